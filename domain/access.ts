/** Who may see what: pure role rules, used by every service query (and unit-tested). */

export const ROLES = ['agent', 'dept_head', 'dept_staff', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  agent: '客服',
  dept_head: '科室主任',
  dept_staff: '科室人员',
  manager: '管理层',
  admin: '管理员',
};

export interface Principal {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  departmentCode: string | null;
}

/** Roles that read across departments (management aggregates, administration). */
export function seesAllDepartments(role: Role): boolean {
  return role === 'manager' || role === 'admin';
}

/** Agents and department users see their own department only. */
export function canAccessDepartment(user: Principal, departmentCode: string): boolean {
  return seesAllDepartments(user.role) || user.departmentCode === departmentCode;
}

/** The portal a role lands on after sign-in. */
export function homePath(role: Role): string {
  switch (role) {
    case 'agent':
      return '/agent';
    case 'dept_head':
    case 'dept_staff':
      return '/department';
    case 'manager':
      return '/management';
    case 'admin':
      return '/admin';
  }
}

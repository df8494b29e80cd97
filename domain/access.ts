/**
 * Who may see and do what: the role and department rules that services, pages and the process
 * modules all ask (pure, unit-tested). What a process's own state allows (a closed ticket takes no
 * action) is in its `workflows/<process>/contracts.ts`, whose `allowedActions` builds on these.
 */

export const ROLES = ['agent', 'dept_head', 'dept_staff', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  agent: '客服',
  dept_head: '科室主任',
  dept_staff: '科室人员',
  manager: '管理层',
  admin: '管理员',
};

/** A stored role by its Chinese name (a role no longer known keeps its code). */
export const roleLabel = (role: string): string => ((ROLES as readonly string[]).includes(role) ? ROLE_LABELS[role as Role] : role);

export interface Principal {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  departmentCode: string | null;
  /** Set after a reset or when the password expired: nothing but choosing a new password until then. */
  mustChangePassword?: true;
}

/** Roles that read across departments (management aggregates, administration, links to the Temporal UI). */
export function seesAllDepartments(role: Role): boolean {
  return role === 'manager' || role === 'admin';
}

/** Administration: users, rules, templates, mappings, routing, quotas, the audit log, the no-show blacklist, unmasked values. */
export function administers(role: Role): boolean {
  return role === 'admin';
}

/** Department staff (head or staff): their department's inbox, alerts and clinic queue. */
export function isDepartmentStaff(role: Role): boolean {
  return role === 'dept_head' || role === 'dept_staff';
}

/** Who speaks with patients for the hospital: records follow-up calls, complaints and ratings (agents; admins may stand in). */
export function speaksWithPatients(role: Role): boolean {
  return role === 'agent' || role === 'admin';
}

/** Who handles tickets: department staff for their own department, admins for every department. */
/** Management and admins chase (督办) and reassign tickets across departments. */
export function supervisesTickets(role: Role): boolean {
  return seesAllDepartments(role);
}

export function handlesTickets(role: Role): boolean {
  return isDepartmentStaff(role) || administers(role);
}

/** Agents and department users see their own department only. */
export function canAccessDepartment(user: Principal, departmentCode: string): boolean {
  return seesAllDepartments(user.role) || user.departmentCode === departmentCode;
}

export interface TaskAccessFacts {
  departmentCode: string | null;
  assignedAgentId: string | null;
}

/** Agents see their own tasks and their department's unassigned ones; department users their department; management all. */
export function canViewTask(user: Principal, task: TaskAccessFacts): boolean {
  if (seesAllDepartments(user.role)) return true;
  if (task.departmentCode === null || !canAccessDepartment(user, task.departmentCode)) return false;
  return user.role !== 'agent' || task.assignedAgentId === null || task.assignedAgentId === user.id;
}

/** Whose tasks a principal's 今日任务 lists: an agent's own (and the department's unassigned), everyone's, or none. */
export function taskQueueScope(user: Principal): 'own' | 'all' | null {
  if (user.role === 'agent') return 'own';
  return seesAllDepartments(user.role) ? 'all' : null;
}

export interface PatientAccessFacts {
  /** Departments of the patient's stays. */
  encounterDepartments: (string | null)[];
  tasks: TaskAccessFacts[];
  tickets: TicketAccessFacts[];
}

/**
 * A patient record: an agent sees the patients of the tasks they may see (their own, their queue's
 * unassigned ones) and of the tickets they raised; department users their department's patients;
 * management all. The same rule as the row-level policies (migration 1763901610000).
 */
export function canViewPatient(user: Principal, patient: PatientAccessFacts): boolean {
  if (seesAllDepartments(user.role)) return true;
  if (patient.tickets.some((t) => canViewTicket(user, t))) return true;
  if (user.role === 'agent') return patient.tasks.some((t) => canViewTask(user, t));
  return isDepartmentStaff(user.role) && patient.encounterDepartments.some((d) => d !== null && d === user.departmentCode);
}

export interface TicketAccessFacts {
  departmentCode: string | null;
  createdBy: string | null;
  /** The follow-up task it came from (red flags and complaints raised by the follow-up workflow), if any. */
  sourceTask?: TaskAccessFacts | null;
}

/** Which tickets a principal lists: every one, one department's, the ones they raised, or none. */
export type TicketScope = { kind: 'all' } | { kind: 'department'; departmentCode: string | null } | { kind: 'raised'; userId: string } | null;

export function ticketScope(user: Principal): TicketScope {
  if (seesAllDepartments(user.role)) return { kind: 'all' };
  if (isDepartmentStaff(user.role)) return { kind: 'department', departmentCode: user.departmentCode };
  if (user.role === 'agent') return { kind: 'raised', userId: user.id };
  return null;
}

/**
 * Department users see their department's tickets; agents the ones they raised and the ones that
 * came from a follow-up task they may see (the red flag of their own call, raised by the
 * workflow); management and admins all. The same rule as the row-level policy (migration 1763902800000).
 */
export function canViewTicket(user: Principal, ticket: TicketAccessFacts): boolean {
  const scope = ticketScope(user);
  if (scope === null) return false;
  if (scope.kind === 'all') return true;
  if (scope.kind === 'department') return ticket.departmentCode !== null && ticket.departmentCode === scope.departmentCode;
  return ticket.createdBy === scope.userId || (ticket.sourceTask != null && canViewTask(user, ticket.sourceTask));
}

/** Runs a clinic session's queue: staff of the session's department, or an admin. */
export function runsClinic(user: Principal, departmentCode: string): boolean {
  return administers(user.role) || (isDepartmentStaff(user.role) && user.departmentCode === departmentCode);
}

/**
 * The portal a role lands on after sign-in: where its work is. A functional department (护理部,
 * 总务科, 医务科, 门诊部) works complaints, so it lands on the ticket inbox; a clinical one on its
 * dashboard of alerts, tickets and discharges.
 */
export function homePath(role: Role, departmentKind?: string | null): string {
  switch (role) {
    case 'agent':
      return '/agent';
    case 'dept_head':
    case 'dept_staff':
      return departmentKind === 'functional' ? '/tickets' : '/department';
    case 'manager':
      return '/management';
    case 'admin':
      return '/admin';
  }
}

/** Whose report figures a principal sees: the whole hospital, one department (its head), their own (an agent), or none. */
export type ReportScope =
  | { kind: 'all' }
  | { kind: 'department'; departmentCode: string }
  | { kind: 'agent'; userId: string; departmentCode: string | null }
  | null;

export function reportScope(user: Principal): ReportScope {
  if (seesAllDepartments(user.role)) return { kind: 'all' };
  if (user.role === 'dept_head' && user.departmentCode) return { kind: 'department', departmentCode: user.departmentCode };
  if (user.role === 'agent') return { kind: 'agent', userId: user.id, departmentCode: user.departmentCode };
  return null;
}

/**
 * Which staff notifications a user reads (the `audience` the workflows address, see
 * staff_notifications): department inbox, department head, supervisors, management. Pure.
 */
import type { Principal } from './access.js';

export type StaffAudience = 'department' | 'dept_head' | 'supervisors' | 'management';

export interface NotificationScope {
  audiences: StaffAudience[];
  /** null: every department (and notifications without one). */
  departmentCode: string | null;
}

/** What `user` receives; null for roles that receive no staff notifications (agents work their task queue). */
export function notificationScope(user: Principal): NotificationScope | null {
  switch (user.role) {
    case 'dept_head':
      return user.departmentCode ? { audiences: ['department', 'dept_head'], departmentCode: user.departmentCode } : null;
    case 'dept_staff':
      return user.departmentCode ? { audiences: ['department'], departmentCode: user.departmentCode } : null;
    case 'manager':
      return { audiences: ['supervisors', 'management'], departmentCode: null };
    case 'admin':
      return { audiences: ['supervisors'], departmentCode: null };
    default:
      return null;
  }
}

/** Red-flag alerts are acknowledged by the department that must act on them (or an admin). */
export function canAcknowledgeAlert(user: Principal, alertDepartment: string | null): boolean {
  if (user.role === 'admin') return true;
  return (user.role === 'dept_head' || user.role === 'dept_staff') && user.departmentCode !== null && user.departmentCode === alertDepartment;
}

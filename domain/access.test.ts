import { describe, it, expect } from 'vitest';
import {
  administers,
  canAccessDepartment,
  canViewPatient,
  canViewTask,
  canViewTicket,
  handlesTickets,
  homePath,
  isDepartmentStaff,
  ROLE_LABELS,
  ROLES,
  runsClinic,
  seesAllDepartments,
  speaksWithPatients,
  taskQueueScope,
  reportScope,
  ticketScope,
  type Principal,
  type Role,
} from './access.js';

const user = (role: Role, departmentCode: string | null): Principal => ({
  id: '00000000-0000-0000-0000-000000000001',
  username: `${role}_user`,
  displayName: role,
  role,
  departmentCode,
});

describe('seesAllDepartments', () => {
  it.each([
    ['agent', false],
    ['dept_head', false],
    ['dept_staff', false],
    ['manager', true],
    ['admin', true],
  ] as const)('%s → %s', (role, expected) => {
    expect(seesAllDepartments(role)).toBe(expected);
  });

  it('covers every role', () => {
    expect([...ROLES].sort()).toEqual(['admin', 'agent', 'dept_head', 'dept_staff', 'manager']);
    for (const role of ROLES) expect(ROLE_LABELS[role]).toBeTruthy();
  });
});

describe('canAccessDepartment', () => {
  it.each(['agent', 'dept_head', 'dept_staff'] as const)('%s sees its own department only', (role) => {
    const u = user(role, 'ORTHO');
    expect(canAccessDepartment(u, 'ORTHO')).toBe(true);
    expect(canAccessDepartment(u, 'ENDO')).toBe(false);
  });

  it('compares codes exactly (no case folding, no prefixes)', () => {
    const u = user('agent', 'ORTHO');
    expect(canAccessDepartment(u, 'ortho')).toBe(false);
    expect(canAccessDepartment(u, 'ORTHO2')).toBe(false);
    expect(canAccessDepartment(u, 'ORT')).toBe(false);
    expect(canAccessDepartment(u, '')).toBe(false);
  });

  it('a department user without a department sees none', () => {
    for (const role of ['agent', 'dept_head', 'dept_staff'] as const) {
      expect(canAccessDepartment(user(role, null), 'ORTHO')).toBe(false);
      expect(canAccessDepartment(user(role, null), '')).toBe(false);
    }
  });

  it.each(['manager', 'admin'] as const)('%s sees every department, with or without one of its own', (role) => {
    expect(canAccessDepartment(user(role, null), 'ORTHO')).toBe(true);
    expect(canAccessDepartment(user(role, null), 'ENDO')).toBe(true);
    expect(canAccessDepartment(user(role, 'ORTHO'), 'ENDO')).toBe(true);
  });
});

describe('role rules', () => {
  // role → [administers, isDepartmentStaff, speaksWithPatients, handlesTickets]
  it.each([
    ['agent', [false, false, true, false]],
    ['dept_head', [false, true, false, true]],
    ['dept_staff', [false, true, false, true]],
    ['manager', [false, false, false, false]],
    ['admin', [true, false, true, true]],
  ] as const)('%s', (role, expected) => {
    expect([administers(role), isDepartmentStaff(role), speaksWithPatients(role), handlesTickets(role)]).toEqual(expected);
  });
});

describe('canViewTask', () => {
  const me = user('agent', 'ORTHO');
  const other = '00000000-0000-0000-0000-000000000002';

  it('an agent sees its own tasks and its department’s unassigned ones, not a colleague’s', () => {
    expect(canViewTask(me, { departmentCode: 'ORTHO', assignedAgentId: me.id })).toBe(true);
    expect(canViewTask(me, { departmentCode: 'ORTHO', assignedAgentId: null })).toBe(true);
    expect(canViewTask(me, { departmentCode: 'ORTHO', assignedAgentId: other })).toBe(false);
    expect(canViewTask(me, { departmentCode: 'ENDO', assignedAgentId: null })).toBe(false);
  });

  it('department users see their department’s, whoever holds them; nobody but management sees unassigned-department tasks', () => {
    const staff = user('dept_staff', 'ORTHO');
    expect(canViewTask(staff, { departmentCode: 'ORTHO', assignedAgentId: other })).toBe(true);
    expect(canViewTask(staff, { departmentCode: null, assignedAgentId: null })).toBe(false);
    expect(canViewTask(user('manager', null), { departmentCode: null, assignedAgentId: other })).toBe(true);
  });

  it('only agents have a queue of their own; management sees all; department users have none', () => {
    expect(taskQueueScope(me)).toBe('own');
    expect(taskQueueScope(user('admin', null))).toBe('all');
    expect(taskQueueScope(user('manager', null))).toBe('all');
    expect(taskQueueScope(user('dept_head', 'ORTHO'))).toBeNull();
  });
});

describe('tickets', () => {
  const raisedBy = '00000000-0000-0000-0000-000000000001';

  it('scopes the list by role', () => {
    expect(ticketScope(user('manager', null))).toEqual({ kind: 'all' });
    expect(ticketScope(user('dept_head', 'ORTHO'))).toEqual({ kind: 'department', departmentCode: 'ORTHO' });
    expect(ticketScope(user('agent', 'ORTHO'))).toEqual({ kind: 'raised', userId: raisedBy });
  });

  it('department users see their department’s tickets, agents the ones they raised, management all', () => {
    const ticket = { departmentCode: 'ORTHO', createdBy: raisedBy };
    expect(canViewTicket(user('dept_staff', 'ORTHO'), ticket)).toBe(true);
    expect(canViewTicket(user('dept_staff', 'ENDO'), ticket)).toBe(false);
    expect(canViewTicket(user('dept_staff', null), { departmentCode: null, createdBy: null })).toBe(false);
    expect(canViewTicket(user('agent', 'ENDO'), ticket)).toBe(true);
    expect(canViewTicket({ ...user('agent', 'ORTHO'), id: '00000000-0000-0000-0000-000000000009' }, ticket)).toBe(false);
    expect(canViewTicket(user('manager', null), ticket)).toBe(true);
  });

  it('an agent sees a ticket raised by the workflow from a follow-up task they may see', () => {
    const agent = { ...user('agent', 'ORTHO'), id: '00000000-0000-0000-0000-000000000009' };
    const fromTask = (assignedAgentId: string | null, departmentCode = 'ORTHO') => ({ departmentCode: 'ZWK', createdBy: null, sourceTask: { departmentCode, assignedAgentId } });
    expect(canViewTicket(agent, fromTask(agent.id))).toBe(true);
    expect(canViewTicket(agent, fromTask(null))).toBe(true);
    expect(canViewTicket(agent, fromTask('00000000-0000-0000-0000-00000000000a'))).toBe(false);
    expect(canViewTicket(agent, fromTask(null, 'ENDO'))).toBe(false);
    expect(canViewTicket(agent, { departmentCode: 'ORTHO', createdBy: null, sourceTask: null })).toBe(false);
    // Department staff still go by the ticket's department, not the task's.
    expect(canViewTicket(user('dept_staff', 'ORTHO'), fromTask(null))).toBe(false);
  });
});

describe('runsClinic', () => {
  it('the session department’s staff and admins run its queue', () => {
    expect(runsClinic(user('dept_staff', 'ORTHO'), 'ORTHO')).toBe(true);
    expect(runsClinic(user('dept_head', 'ENDO'), 'ORTHO')).toBe(false);
    expect(runsClinic(user('agent', 'ORTHO'), 'ORTHO')).toBe(false);
    expect(runsClinic(user('manager', null), 'ORTHO')).toBe(false);
    expect(runsClinic(user('admin', null), 'ORTHO')).toBe(true);
  });
});

describe('homePath', () => {
  it.each([
    ['agent', '/agent'],
    ['dept_head', '/department'],
    ['dept_staff', '/department'],
    ['manager', '/management'],
    ['admin', '/admin'],
  ] as const)('%s → %s', (role, path) => {
    expect(homePath(role)).toBe(path);
  });

  it('a functional department lands on the ticket inbox, a clinical one on its dashboard', () => {
    expect(homePath('dept_head', 'functional')).toBe('/tickets');
    expect(homePath('dept_staff', 'functional')).toBe('/tickets');
    expect(homePath('dept_head', 'clinical')).toBe('/department');
    expect(homePath('agent', 'functional')).toBe('/agent');
  });

  it('gives every role a same-site path', () => {
    for (const role of ROLES) expect(homePath(role)).toMatch(/^\/[a-z]+$/);
  });
});

describe('reportScope', () => {
  it('gives management everything, a department head their department, an agent their own figures, staff nothing', () => {
    expect(reportScope(user('manager', null))).toEqual({ kind: 'all' });
    expect(reportScope(user('admin', null))).toEqual({ kind: 'all' });
    expect(reportScope(user('dept_head', 'GK'))).toEqual({ kind: 'department', departmentCode: 'GK' });
    expect(reportScope(user('agent', 'GK'))).toEqual({ kind: 'agent', userId: '00000000-0000-0000-0000-000000000001', departmentCode: 'GK' });
    expect(reportScope(user('dept_staff', 'GK'))).toBeNull();
  });
});

describe('canViewPatient', () => {
  const me = '00000000-0000-0000-0000-000000000001';
  const other = '00000000-0000-0000-0000-000000000002';
  const patient = (tasks: { departmentCode: string | null; assignedAgentId: string | null }[], tickets: { departmentCode: string | null; createdBy: string | null }[] = []) => ({
    encounterDepartments: ['GK'],
    tasks,
    tickets,
  });

  it('shows an agent the patients of their own and their queue’s unassigned tasks only', () => {
    const agent = user('agent', 'GK');
    expect(canViewPatient(agent, patient([{ departmentCode: 'GK', assignedAgentId: null }]))).toBe(true);
    expect(canViewPatient(agent, patient([{ departmentCode: 'GK', assignedAgentId: me }]))).toBe(true);
    expect(canViewPatient(agent, patient([{ departmentCode: 'GK', assignedAgentId: other }]))).toBe(false);
    expect(canViewPatient(agent, patient([]))).toBe(false);
    expect(canViewPatient(agent, patient([{ departmentCode: 'NK', assignedAgentId: null }]))).toBe(false);
    // A complaint the agent took down keeps the patient visible to them.
    expect(canViewPatient(agent, patient([], [{ departmentCode: 'NK', createdBy: me }]))).toBe(true);
  });

  it('shows department users their department’s patients, and management all', () => {
    expect(canViewPatient(user('dept_head', 'GK'), patient([]))).toBe(true);
    expect(canViewPatient(user('dept_staff', 'NK'), patient([]))).toBe(false);
    expect(canViewPatient(user('dept_staff', 'NK'), patient([], [{ departmentCode: 'NK', createdBy: null }]))).toBe(true);
    expect(canViewPatient(user('manager', null), patient([]))).toBe(true);
    expect(canViewPatient(user('admin', null), patient([]))).toBe(true);
  });
});

import { describe, it, expect } from 'vitest';
import { canAccessDepartment, homePath, ROLE_LABELS, ROLES, seesAllDepartments, type Principal, type Role } from './access.js';

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

  it('gives every role a same-site path', () => {
    for (const role of ROLES) expect(homePath(role)).toMatch(/^\/[a-z]+$/);
  });
});

/** Departments and staff: the organisation the other services check access against. */
import type { Sql } from '../db/client.js';
import { administers, type Principal, type Role } from '../domain/access.js';
import { forbidden } from './errors.js';

export interface Department {
  code: string;
  name: string;
  kind: 'clinical' | 'functional';
}

export interface StaffMember {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  departmentCode: string | null;
  active: boolean;
  locked: boolean;
}

export function createDirectoryService({ sql }: { sql: Sql }) {
  return {
    async departments(): Promise<Department[]> {
      return sql<Department[]>`SELECT code, name, kind FROM departments ORDER BY kind, code`;
    },

    async department(code: string): Promise<Department | null> {
      const [row] = await sql<Department[]>`SELECT code, name, kind FROM departments WHERE code = ${code}`;
      return row ?? null;
    },

    /** Staff list for administrators only. */
    async staff(user: Principal): Promise<StaffMember[]> {
      if (!administers(user.role)) throw forbidden('仅管理员可查看用户列表');
      return sql<StaffMember[]>`
        SELECT id, username, display_name AS "displayName", role, department_code AS "departmentCode", active,
               (locked_until IS NOT NULL AND locked_until > now()) AS locked
        FROM users ORDER BY role, username`;
    },
  };
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;

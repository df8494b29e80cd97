/** Departments and staff: the organisation the other services check access against, and its administration. */
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { administers, type Principal } from '../domain/access.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ServiceError, ValidationError } from './errors.js';
import { parseOrThrow } from './validation.js';

export interface Department {
  code: string;
  name: string;
  kind: 'clinical' | 'functional';
}

/** A department as the administrator manages it. */
export interface DepartmentDetail extends Department {
  headUserId: string | null;
  headName: string | null;
  /** Off: its discharges are stored and shown, but no follow-up starts (a pilot starts with a few departments). */
  followUpEnabled: boolean;
  /** The HIS codes mapped to it (/admin/mappings). */
  hisCodes: string[];
  staffCount: number;
}

const departmentSchema = z.object({
  code: z
    .string({ required_error: '请填写科室代码', invalid_type_error: '请填写科室代码' })
    .trim()
    .min(1, '请填写科室代码')
    .max(32, '科室代码最多 32 位')
    .regex(/^[A-Za-z0-9_-]+$/, '科室代码只能包含字母、数字、下划线和连字符'),
  name: z.string({ required_error: '请填写科室名称', invalid_type_error: '请填写科室名称' }).trim().min(1, '请填写科室名称').max(64, '科室名称最多 64 字'),
  kind: z.enum(['clinical', 'functional'], { errorMap: () => ({ message: '须为 clinical（临床科室）或 functional（职能科室）' }) }),
  headUserId: z.string().uuid('请选择科室主任').nullish().or(z.literal('').transform(() => null)),
  followUpEnabled: z.boolean({ invalid_type_error: '须为 true 或 false' }).default(true),
});
export type DepartmentInput = z.input<typeof departmentSchema>;

export function createDirectoryService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  const mustAdminister = (user: Principal) => {
    if (!administers(user.role)) throw forbidden('仅管理员可管理科室');
  };
  const service = {
    async departments(): Promise<Department[]> {
      return sql<Department[]>`SELECT code, name, kind FROM departments ORDER BY kind, code`;
    },

    async department(code: string): Promise<Department | null> {
      const [row] = await sql<Department[]>`SELECT code, name, kind FROM departments WHERE code = ${code}`;
      return row ?? null;
    },

    /** Every department with its head, follow-up switch, HIS codes and staff count (admins). */
    async departmentDetails(user: Principal): Promise<DepartmentDetail[]> {
      mustAdminister(user);
      return sql<DepartmentDetail[]>`
        SELECT d.code, d.name, d.kind, d.head_user_id AS "headUserId", h.display_name AS "headName",
               d.follow_up_enabled AS "followUpEnabled",
               coalesce((SELECT array_agg(m.his_code ORDER BY m.his_code) FROM department_mappings m WHERE m.department_code = d.code), '{}') AS "hisCodes",
               (SELECT count(*)::int FROM users u WHERE u.department_code = d.code AND u.active) AS "staffCount"
        FROM departments d LEFT JOIN users h ON h.id = d.head_user_id
        ORDER BY d.kind, d.code`;
    },

    /**
     * Creates a department or changes one (the code is its key and stays). The head must be an
     * active user of that department.
     */
    async saveDepartment(user: Principal, input: unknown, meta: RequestMeta, options: { create: boolean }): Promise<DepartmentDetail> {
      mustAdminister(user);
      const d = parseOrThrow(departmentSchema, input ?? {});
      if (d.headUserId) {
        const [head] = await sql<{ department_code: string | null; active: boolean }[]>`SELECT department_code, active FROM users WHERE id = ${d.headUserId}`;
        if (!head || !head.active || head.department_code !== d.code) throw new ValidationError([{ field: 'headUserId', message: '科室主任须为本科室的在职人员' }]);
      }
      const [row] = options.create
        ? await sql`
            INSERT INTO departments (code, name, kind, head_user_id, follow_up_enabled)
            VALUES (${d.code}, ${d.name}, ${d.kind}, ${d.headUserId ?? null}, ${d.followUpEnabled})
            ON CONFLICT DO NOTHING RETURNING code`
        : await sql`
            UPDATE departments SET name = ${d.name}, kind = ${d.kind}, head_user_id = ${d.headUserId ?? null},
                                   follow_up_enabled = ${d.followUpEnabled}, updated_at = now()
            WHERE code = ${d.code} RETURNING code`;
      if (!row) {
        if (options.create) throw new ServiceError(409, 'department_exists', `科室代码 ${d.code} 已存在`, { problems: [{ field: 'code', message: '科室代码已存在' }] });
        throw notFound('科室不存在');
      }
      await audit.record({ actor: user, action: options.create ? 'department.create' : 'department.update', entityType: 'department', entityId: d.code, details: { ...d } }, meta);
      return (await service.departmentDetails(user)).find((x) => x.code === d.code)!;
    },
  };
  return service;
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;

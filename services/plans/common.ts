/**
 * What the plan editors share: the admin-only rule, the form-field schemas (blank → null, Chinese
 * messages), zod issues as field problems, and the department check.
 */
import type postgres from 'postgres';
import { z } from 'zod';
import type { Sql } from '../../db/client.js';
import { administers, type Principal } from '../../domain/access.js';
import type { AuditService } from '../audit.js';
import { forbidden, type FieldProblem } from '../errors.js';

export interface PlanDeps {
  sql: Sql;
  audit: AuditService;
  /** Touchpoint times in seconds (tests, demo); production plans in days only. */
  secondOffsetsAllowed?: boolean;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requireAdmin(user: Principal, message = '仅管理员可管理随访计划'): void {
  if (!administers(user.role)) throw forbidden(message);
}

export async function departmentExists(tx: Sql | postgres.TransactionSql, code: string): Promise<boolean> {
  const rows = await tx`SELECT 1 FROM departments WHERE code = ${code}`;
  return rows.length > 0;
}

/** '' and whitespace become null; anything else must be a string. */
export const optionalText = (max: number, label: string) =>
  z
    .union([z.string({ invalid_type_error: `${label}须为文字` }), z.null()], { errorMap: () => ({ message: `${label}须为文字` }) })
    .optional()
    .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim()))
    .refine((v) => v === null || v.length <= max, `${label}最长 ${max} 个字符`);

export const requiredText = (max: number, label: string, missing: string) =>
  z
    .string({ required_error: missing, invalid_type_error: `${label}须为文字` })
    .trim()
    .min(1, missing)
    .max(max, `${label}最长 ${max} 个字符`);

/** Zod issues as field problems (path joined with dots, like the domain validators). */
export function zodProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ field: issue.path.length > 0 ? issue.path.join('.') : '(body)', message: issue.message }));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Staff accounts, administered: create, edit, disable (never delete: the audit trail names them),
 * reset to a one-time password, change one's own password, and bulk import from a staff list.
 * Every change is audited; only admins administer (the first admin comes from `npm run admin:create`).
 */
import { randomBytes } from 'node:crypto';
import { verify } from '@node-rs/argon2';
import type postgres from 'postgres';
import { z } from 'zod';
import { normaliseCallPhone } from '../domain/voice.js';
import type { Sql } from '../db/client.js';
import { administers, ROLE_LABELS, ROLES, type Principal, type Role } from '../domain/access.js';
import { oneTimePassword, passwordProblem, type PasswordPolicy } from '../domain/password-policy.js';
import type { AuditService, RequestMeta } from './audit.js';
import { hashPassword } from './auth.js';
import { forbidden, notFound, ServiceError, ValidationError, type FieldProblem } from './errors.js';
import { readStaffFile, STAFF_COLUMN_LABELS, type StaffField } from './staff-file.js';
import { parseOrThrow } from './validation.js';

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  departmentCode: string | null;
  departmentName: string | null;
  phone: string | null;
  extension: string | null;
  /** What click-to-call rings first for this agent: a phone number (E.164) or an extension. */
  callPhone: string | null;
  active: boolean;
  locked: boolean;
  mustChangePassword: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_MESSAGE = `须为 ${ROLES.join('、')} 之一`;
const optionalText = (max: number, pattern: RegExp, message: string) =>
  z
    .string({ invalid_type_error: message })
    .trim()
    .max(max, message)
    .regex(pattern, message)
    .nullish()
    .or(z.literal('').transform(() => null));

const CALL_PHONE_MESSAGE = '坐席电话须为手机号、带区号的座机号（可带 +86）或 2–8 位分机号';
const callPhoneField = z
  .string({ invalid_type_error: CALL_PHONE_MESSAGE })
  .trim()
  .max(24, CALL_PHONE_MESSAGE)
  .transform((v, ctx) => {
    if (v === '') return null;
    const n = normaliseCallPhone(v);
    if (n === null) ctx.addIssue({ code: z.ZodIssueCode.custom, message: CALL_PHONE_MESSAGE });
    return n;
  })
  .nullish();

const profileFields = {
  displayName: z.string({ required_error: '请填写姓名', invalid_type_error: '请填写姓名' }).trim().min(1, '请填写姓名').max(64, '姓名最多 64 字'),
  role: z.enum(ROLES, { errorMap: () => ({ message: ROLE_MESSAGE }) }),
  departmentCode: z.string({ invalid_type_error: '科室代码须为文字' }).trim().max(32, '科室代码最多 32 位').nullish(),
  phone: optionalText(20, /^[0-9+-]{3,20}$/, '电话只能包含数字、+ 和 -'),
  extension: optionalText(8, /^[0-9]{2,8}$/, '分机为 2–8 位数字'),
  callPhone: callPhoneField,
};

const createSchema = z.object({
  username: z
    .string({ required_error: '请填写用户名', invalid_type_error: '请填写用户名' })
    .trim()
    .min(2, '用户名至少 2 位')
    .max(64, '用户名最多 64 位')
    .regex(/^[A-Za-z0-9_.-]+$/, '用户名只能包含字母、数字、点、下划线和连字符'),
  ...profileFields,
  password: z.string({ required_error: '请填写初始密码', invalid_type_error: '请填写初始密码' }),
});
export type CreateUserInput = z.input<typeof createSchema>;

const updateSchema = z.object(profileFields).partial();
export type UpdateUserInput = z.input<typeof updateSchema>;

const changeSchema = z.object({
  currentPassword: z.string({ required_error: '请输入当前密码' }).min(1, '请输入当前密码'),
  newPassword: z.string({ required_error: '请输入新密码' }),
});

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  department_code: string | null;
  department_name: string | null;
  phone: string | null;
  extension: string | null;
  call_phone: string | null;
  active: boolean;
  locked: boolean;
  must_change_password: boolean;
}

const toRecord = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  departmentCode: r.department_code,
  departmentName: r.department_name,
  phone: r.phone,
  extension: r.extension,
  callPhone: r.call_phone,
  active: r.active,
  locked: r.locked,
  mustChangePassword: r.must_change_password,
});

/** One row of a staff list as it would be imported, or why it cannot be. */
export interface ImportPreview {
  rows: { row: number; username: string; displayName: string; role: Role | string; roleLabel: string; departmentCode: string | null; departmentName: string | null; oneTimePassword: boolean }[];
  errors: { row: number; column: string; message: string }[];
}

type Db = Sql | postgres.TransactionSql;

export function createUserService({ sql, audit, policy }: { sql: Sql; audit: AuditService; policy: PasswordPolicy }) {
  const mustAdminister = (user: Principal) => {
    if (!administers(user.role)) throw forbidden('仅管理员可管理用户');
  };

  async function load(db: Db, id: string): Promise<UserRecord | null> {
    if (!UUID.test(id)) return null;
    const [row] = await db<UserRow[]>`
      SELECT u.id, u.username, u.display_name, u.role, u.department_code, d.name AS department_name, u.phone, u.extension, u.call_phone,
             u.active, (u.locked_until IS NOT NULL AND u.locked_until > now()) AS locked, u.must_change_password
      FROM users u LEFT JOIN departments d ON d.code = u.department_code WHERE u.id = ${id}`;
    return row ? toRecord(row) : null;
  }

  /** Field problems of a role/department pair (agents and department staff belong to an existing department). */
  async function departmentProblems(db: Db, role: Role, departmentCode: string | null | undefined, field = 'departmentCode'): Promise<FieldProblem[]> {
    if (!departmentCode) return role === 'manager' || role === 'admin' ? [] : [{ field, message: `${ROLE_LABELS[role]}须属于一个科室` }];
    const [d] = await db`SELECT 1 FROM departments WHERE code = ${departmentCode}`;
    return d ? [] : [{ field, message: `科室 ${departmentCode} 不存在` }];
  }

  /** Inserts one account; null when the username is taken (case-insensitive). */
  async function insert(
    db: Db,
    u: { username: string; displayName: string; role: Role; departmentCode: string | null; phone: string | null; extension: string | null; callPhone?: string | null },
    password: string,
    mustChange: boolean,
  ): Promise<string | null> {
    const hash = await hashPassword(password);
    const [row] = await db<{ id: string }[]>`
      INSERT INTO users (username, display_name, role, department_code, password_hash, phone, extension, call_phone, must_change_password)
      VALUES (${u.username}, ${u.displayName}, ${u.role}, ${u.departmentCode},
              ${hash}, ${u.phone}, ${u.extension}, ${u.callPhone ?? null}, ${mustChange})
      ON CONFLICT DO NOTHING RETURNING id`;
    if (!row) return null;
    await db`INSERT INTO password_history (user_id, password_hash) VALUES (${row.id}, ${hash})`;
    return row.id;
  }

  const taken = (username: string) => new ServiceError(409, 'username_taken', `用户名 ${username} 已存在`, { problems: [{ field: 'username', message: '用户名已存在' }] });

  const service = {
    async list(user: Principal): Promise<UserRecord[]> {
      mustAdminister(user);
      const rows = await sql<UserRow[]>`
        SELECT u.id, u.username, u.display_name, u.role, u.department_code, d.name AS department_name, u.phone, u.extension, u.call_phone,
               u.active, (u.locked_until IS NOT NULL AND u.locked_until > now()) AS locked, u.must_change_password
        FROM users u LEFT JOIN departments d ON d.code = u.department_code
        ORDER BY u.active DESC, u.role, u.username`;
      return rows.map(toRecord);
    },

    async get(user: Principal, id: string): Promise<UserRecord> {
      mustAdminister(user);
      const found = await load(sql, id);
      if (!found) throw notFound('用户不存在');
      return found;
    },

    /**
     * A new account with the password the administrator chose; its owner must change it at the
     * first sign-in. 400 names the field, 409 for a username that exists.
     */
    async create(user: Principal, input: unknown, meta: RequestMeta): Promise<UserRecord> {
      mustAdminister(user);
      const data = parseOrThrow(createSchema, input ?? {});
      const problems = await departmentProblems(sql, data.role, data.departmentCode);
      const weak = passwordProblem(data.password, policy, data.username);
      if (weak) problems.push({ field: 'password', message: weak });
      if (problems.length) throw new ValidationError(problems);
      const id = await insert(
        sql,
        { ...data, departmentCode: data.departmentCode ?? null, phone: data.phone ?? null, extension: data.extension ?? null, callPhone: data.callPhone ?? null },
        data.password,
        true,
      );
      if (!id) throw taken(data.username);
      await audit.record({ actor: user, action: 'user.create', entityType: 'user', entityId: id, details: { username: data.username, role: data.role, departmentCode: data.departmentCode ?? null } }, meta);
      return (await load(sql, id))!;
    },

    /** Name, role, department and the agent's phone or extension. */
    async update(user: Principal, id: string, input: unknown, meta: RequestMeta): Promise<UserRecord> {
      mustAdminister(user);
      const before = await load(sql, id);
      if (!before) throw notFound('用户不存在');
      const data = parseOrThrow(updateSchema, input ?? {});
      const after = {
        displayName: data.displayName ?? before.displayName,
        role: data.role ?? before.role,
        departmentCode: data.departmentCode === undefined ? before.departmentCode : data.departmentCode,
        phone: data.phone === undefined ? before.phone : data.phone,
        extension: data.extension === undefined ? before.extension : data.extension,
        callPhone: data.callPhone === undefined ? before.callPhone : data.callPhone,
      };
      const problems = await departmentProblems(sql, after.role, after.departmentCode);
      if (problems.length) throw new ValidationError(problems);
      if (before.id === user.id && after.role !== 'admin') throw new ValidationError([{ field: 'role', message: '不能取消自己的管理员角色' }]);
      await sql`
        UPDATE users SET display_name = ${after.displayName}, role = ${after.role}, department_code = ${after.departmentCode ?? null},
                         phone = ${after.phone ?? null}, extension = ${after.extension ?? null},
                         call_phone = ${after.callPhone ?? null}, updated_at = now()
        WHERE id = ${id}`;
      const changed = Object.fromEntries(
        (Object.keys(after) as (keyof typeof after)[]).filter((k) => (after[k] ?? null) !== (before[k] ?? null)).map((k) => [k, { from: before[k], to: after[k] ?? null }]),
      );
      await audit.record({ actor: user, action: 'user.update', entityType: 'user', entityId: id, details: { username: before.username, changed } }, meta);
      return (await load(sql, id))!;
    },

    /** Disable (sessions end at once) or enable again. Accounts are never deleted. */
    async setActive(user: Principal, id: string, active: boolean, meta: RequestMeta): Promise<UserRecord> {
      mustAdminister(user);
      const before = await load(sql, id);
      if (!before) throw notFound('用户不存在');
      if (before.id === user.id && !active) throw new ServiceError(409, 'self_disable', '不能停用自己的账户');
      await sql.begin(async (tx) => {
        await tx`UPDATE users SET active = ${active}, updated_at = now() WHERE id = ${id}`;
        if (!active) await tx`DELETE FROM sessions WHERE user_id = ${id}`;
      });
      await audit.record({ actor: user, action: active ? 'user.enable' : 'user.disable', entityType: 'user', entityId: id, details: { username: before.username } }, meta);
      return (await load(sql, id))!;
    },

    /**
     * A new one-time password, shown to the administrator once and never stored in clear; the lock
     * is lifted, sessions end, and the owner must choose a new password at the next sign-in.
     */
    async resetPassword(user: Principal, id: string, meta: RequestMeta): Promise<{ user: UserRecord; oneTimePassword: string }> {
      mustAdminister(user);
      const before = await load(sql, id);
      if (!before) throw notFound('用户不存在');
      const password = oneTimePassword((n) => randomBytes(n));
      const hash = await hashPassword(password);
      await sql.begin(async (tx) => {
        await tx`UPDATE users SET password_hash = ${hash}, must_change_password = true, failed_logins = 0, locked_until = NULL,
                                  password_changed_at = now(), updated_at = now() WHERE id = ${id}`;
        await tx`DELETE FROM sessions WHERE user_id = ${id}`;
      });
      await audit.record({ actor: user, action: 'user.reset_password', entityType: 'user', entityId: id, details: { username: before.username } }, meta);
      return { user: (await load(sql, id))!, oneTimePassword: password };
    },

    /** One's own password: the current one, then a new one that meets the policy and is none of the last few. */
    async changePassword(user: Principal, input: unknown, meta: RequestMeta): Promise<void> {
      const { currentPassword, newPassword } = parseOrThrow(changeSchema, input ?? {});
      const [row] = await sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${user.id} AND active`;
      if (!row) throw notFound('用户不存在');
      if (!(await verify(row.password_hash, currentPassword).catch(() => false))) {
        await audit.record({ actor: user, action: 'auth.password_change_failed', entityType: 'user', entityId: user.id, details: { reason: 'bad_current' } }, meta);
        throw new ValidationError([{ field: 'currentPassword', message: '当前密码不正确' }]);
      }
      const weak = passwordProblem(newPassword, policy, user.username);
      if (weak) throw new ValidationError([{ field: 'newPassword', message: weak }]);
      const previous = await sql<{ password_hash: string }[]>`
        SELECT password_hash FROM (
          SELECT password_hash, id FROM password_history WHERE user_id = ${user.id} ORDER BY id DESC LIMIT ${policy.history}
        ) h`;
      for (const p of [row, ...previous]) {
        if (await verify(p.password_hash, newPassword).catch(() => false)) {
          throw new ValidationError([{ field: 'newPassword', message: `新密码不能与最近 ${policy.history} 次使用过的密码相同` }]);
        }
      }
      const hash = await hashPassword(newPassword);
      await sql.begin(async (tx) => {
        await tx`UPDATE users SET password_hash = ${hash}, must_change_password = false, password_changed_at = now(), updated_at = now()
                 WHERE id = ${user.id}`;
        await tx`INSERT INTO password_history (user_id, password_hash) VALUES (${user.id}, ${hash})`;
      });
      await audit.record({ actor: user, action: 'auth.password_change', entityType: 'user', entityId: user.id }, meta);
    },

    /** What a staff list would import: each row as understood, and every problem (row, column, why). Nothing is written. */
    async previewImport(user: Principal, file: { name: string; bytes: Uint8Array }): Promise<ImportPreview> {
      mustAdminister(user);
      return checkImport(sql, file);
    },

    /**
     * Imports a staff list all or nothing: any row error and nothing is written (400 with every
     * row's problems); otherwise every account is created in one transaction. Rows without a
     * password get a one-time password, returned here once; everyone changes it at first sign-in.
     */
    async importStaff(user: Principal, file: { name: string; bytes: Uint8Array }, meta: RequestMeta): Promise<{ created: { username: string; oneTimePassword: string | null }[] }> {
      mustAdminister(user);
      const created = await sql.begin(async (tx) => {
        // Usernames are locked for the check and the inserts together, so a parallel import cannot slip in between.
        await tx`LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`;
        const preview = await checkImport(tx, file);
        if (preview.errors.length) {
          throw new ServiceError(400, 'invalid_rows', `${preview.errors.length} 处错误，未导入任何人员`, { rowErrors: preview.errors });
        }
        const parsed = await readStaffFile(file.name, file.bytes);
        const out: { username: string; oneTimePassword: string | null }[] = [];
        for (const [i, row] of preview.rows.entries()) {
          const given = parsed[i]!.values.password;
          const password = given ?? oneTimePassword((n) => randomBytes(n));
          const id = await insert(
            tx,
            { username: row.username, displayName: row.displayName, role: row.role as Role, departmentCode: row.departmentCode, phone: parsed[i]!.values.phone ?? null, extension: parsed[i]!.values.extension ?? null },
            password,
            true,
          );
          if (!id) throw taken(row.username);
          out.push({ username: row.username, oneTimePassword: given ? null : password });
        }
        return out;
      });
      await audit.record({ actor: user, action: 'user.import', entityType: 'user', details: { file: file.name, usernames: created.map((c) => c.username) } }, meta);
      return { created };
    },
  };

  async function checkImport(db: Db, file: { name: string; bytes: Uint8Array }): Promise<ImportPreview> {
    const rows = await readStaffFile(file.name, file.bytes);
    const departments = await db<{ code: string; name: string }[]>`SELECT code, name FROM departments`;
    const byKey = new Map<string, { code: string; name: string }>();
    for (const d of departments) {
      byKey.set(d.code.toLowerCase(), d);
      byKey.set(d.name, d);
    }
    const roleByLabel = new Map<string, Role>([...ROLES.map((r) => [r, r] as const), ...ROLES.map((r) => [ROLE_LABELS[r], r] as const)]);
    const usernames = rows.map((r) => r.values.username?.trim() ?? '').filter(Boolean);
    const existing = new Set(
      usernames.length
        ? (await db<{ u: string }[]>`SELECT lower(username) AS u FROM users WHERE lower(username) IN ${db(usernames.map((u) => u.toLowerCase()))}`).map((r) => r.u)
        : [],
    );
    const seen = new Map<string, number>();
    const preview: ImportPreview = { rows: [], errors: [] };
    for (const { row, values } of rows) {
      const problem = (field: StaffField, message: string) => preview.errors.push({ row, column: STAFF_COLUMN_LABELS[field], message });
      const role = values.role ? roleByLabel.get(values.role) : undefined;
      const department = values.departmentCode ? byKey.get(values.departmentCode.toLowerCase()) ?? byKey.get(values.departmentCode) : undefined;
      const check = createSchema.safeParse({
        username: values.username ?? '',
        displayName: values.displayName ?? '',
        role: role ?? values.role ?? '',
        departmentCode: department?.code ?? null,
        password: values.password ?? 'unused',
        phone: values.phone ?? null,
        extension: values.extension ?? null,
      });
      if (!check.success) {
        for (const issue of check.error.issues) {
          const field = issue.path[0] as StaffField;
          problem(field, field === 'role' ? `角色“${values.role ?? ''}”无效，应为 ${ROLES.map((r) => ROLE_LABELS[r]).join('、')}` : issue.message);
        }
      }
      if (values.departmentCode && !department) problem('departmentCode', `科室“${values.departmentCode}”不存在`);
      else if (!values.departmentCode && role && role !== 'manager' && role !== 'admin') problem('departmentCode', `${ROLE_LABELS[role]}须属于一个科室`);
      if (values.password) {
        const weak = passwordProblem(values.password, policy, values.username);
        if (weak) problem('password', weak);
      }
      const key = values.username?.toLowerCase();
      if (key && existing.has(key)) problem('username', `用户名 ${values.username} 已存在`);
      else if (key && seen.has(key)) problem('username', `与第 ${seen.get(key)} 行的用户名重复`);
      if (key && !seen.has(key)) seen.set(key, row);
      preview.rows.push({
        row,
        username: values.username ?? '',
        displayName: values.displayName ?? '',
        role: role ?? values.role ?? '',
        roleLabel: role ? ROLE_LABELS[role] : (values.role ?? ''),
        departmentCode: department?.code ?? null,
        departmentName: department?.name ?? null,
        oneTimePassword: !values.password,
      });
    }
    return preview;
  }

  return service;
}

/**
 * The first administrator of a new installation (`npm run admin:create`): refused when the username
 * exists; the password must meet the policy. Audited with no actor (it is not done by a signed-in user).
 */
export async function createFirstAdmin(
  { sql, audit, policy }: { sql: Sql; audit: AuditService; policy: PasswordPolicy },
  { username, displayName, password }: { username: string; displayName?: string; password: string },
): Promise<string> {
  const data = parseOrThrow(createSchema, { username, displayName: displayName ?? username, role: 'admin', password });
  const weak = passwordProblem(password, policy, data.username);
  if (weak) throw new ValidationError([{ field: 'password', message: weak }]);
  const hash = await hashPassword(password);
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO users (username, display_name, role, password_hash) VALUES (${data.username}, ${data.displayName}, 'admin', ${hash})
    ON CONFLICT DO NOTHING RETURNING id`;
  if (!row) throw new ServiceError(409, 'username_taken', `用户 ${data.username} 已存在，未做任何更改`);
  await sql`INSERT INTO password_history (user_id, password_hash) VALUES (${row.id}, ${hash})`;
  await audit.record({ action: 'user.create_first_admin', entityType: 'user', entityId: row.id, details: { username: data.username, via: 'admin:create' } }, {});
  return row.id;
}

export type UserService = ReturnType<typeof createUserService>;

/**
 * 常用问题快捷回复: canned answers to what patients ask most (用药, 复诊, 费用/报销, 检查报告), per
 * department or hospital-wide. Staff read the ones for their work (the shortcut box on the task and
 * ticket pages); administrators add, edit and disable them (never delete), every change audited.
 */
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { administers, type Principal } from '../domain/access.js';
import {
  CANNED_REPLY_TOPICS,
  CANNED_REPLY_TOPIC_LABELS,
  MAX_CANNED_BODY,
  MAX_CANNED_TITLE,
  matchCannedReplies,
  type CannedReply,
  type CannedReplyTopic,
} from '../domain/canned-replies.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ValidationError } from './errors.js';
import { parseOrThrow } from './validation.js';

export interface CannedReplyInput {
  /** Absent: a new reply. */
  id?: number | string | null;
  /** Blank or null: hospital-wide. */
  departmentCode?: string | null;
  topic: string;
  title: string;
  body: string;
}

const inputSchema = z.object({
  id: z.preprocess((v) => (v === '' || v === null || v === undefined ? undefined : Number(v)), z.number().int().positive().optional()),
  departmentCode: z
    .union([z.string(), z.null()])
    .optional()
    .transform((v) => (v == null || v.trim() === '' ? null : v.trim())),
  topic: z.enum(CANNED_REPLY_TOPICS, { errorMap: () => ({ message: '请选择问题类别（用药、复诊、费用/报销、检查报告或其他）' }) }),
  title: z.string({ required_error: '请填写标题' }).trim().min(1, '请填写标题').max(MAX_CANNED_TITLE, `标题最多 ${MAX_CANNED_TITLE} 字`),
  body: z.string({ required_error: '请填写回复内容' }).trim().min(2, '请填写回复内容').max(MAX_CANNED_BODY, `回复内容最多 ${MAX_CANNED_BODY} 字`),
});

interface Row {
  id: number;
  department_code: string | null;
  department_name: string | null;
  topic: CannedReplyTopic;
  title: string;
  body: string;
  active: boolean;
}

const toReply = (r: Row): CannedReply => ({
  id: r.id,
  departmentCode: r.department_code,
  departmentName: r.department_name,
  topic: r.topic,
  topicLabel: CANNED_REPLY_TOPIC_LABELS[r.topic],
  title: r.title,
  body: r.body,
  active: r.active,
});

export function createCannedReplyService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  function requireAdmin(user: Principal) {
    if (!administers(user.role)) throw forbidden('仅管理员可维护快捷回复');
  }

  async function load(id: number): Promise<CannedReply | undefined> {
    const [row] = await sql<Row[]>`
      SELECT c.id, c.department_code, d.name AS department_name, c.topic, c.title, c.body, c.active
      FROM canned_replies c LEFT JOIN departments d ON d.code = c.department_code WHERE c.id = ${id}`;
    return row ? toReply(row) : undefined;
  }

  return {
    /**
     * The enabled replies for work in `departmentCode` (the task's or ticket's department): that
     * department's and the hospital-wide ones, filtered by `query` (see matchCannedReplies).
     * Any signed-in staff member may read them: they hold no patient data.
     */
    async forWork(_user: Principal, departmentCode: string | null, query = ''): Promise<CannedReply[]> {
      const rows = await sql<Row[]>`
        SELECT c.id, c.department_code, d.name AS department_name, c.topic, c.title, c.body, c.active
        FROM canned_replies c LEFT JOIN departments d ON d.code = c.department_code
        WHERE c.active AND (c.department_code IS NULL OR c.department_code = ${departmentCode})
        ORDER BY c.topic, c.id`;
      return matchCannedReplies(rows.map(toReply), query);
    },

    /** Every reply, enabled or not, for the admin page (filtered by `query`, optionally by department: '' hospital-wide). */
    async all(user: Principal, filters: { query?: string; departmentCode?: string | null } = {}): Promise<CannedReply[]> {
      requireAdmin(user);
      const dept = filters.departmentCode;
      const rows = await sql<Row[]>`
        SELECT c.id, c.department_code, d.name AS department_name, c.topic, c.title, c.body, c.active
        FROM canned_replies c LEFT JOIN departments d ON d.code = c.department_code
        WHERE ${dept === undefined || dept === null ? sql`TRUE` : dept === '' ? sql`c.department_code IS NULL` : sql`c.department_code = ${dept}`}
        ORDER BY c.department_code NULLS FIRST, c.topic, c.id`;
      const all = rows.map(toReply);
      const matched = new Set(matchCannedReplies(all, filters.query ?? ''));
      return all.filter((r) => matched.has(r));
    },

    /** Adds or edits a reply; the same title twice in one department (or hospital-wide) is refused. */
    async save(user: Principal, input: CannedReplyInput, meta: RequestMeta): Promise<CannedReply> {
      requireAdmin(user);
      const data = parseOrThrow(inputSchema, input);
      if (data.departmentCode && (await sql`SELECT 1 FROM departments WHERE code = ${data.departmentCode}`).length === 0) {
        throw new ValidationError([{ field: 'departmentCode', message: `科室“${data.departmentCode}”不存在` }]);
      }
      const before = data.id ? await load(data.id) : undefined;
      if (data.id && !before) throw notFound('快捷回复不存在');
      const [clash] = await sql<{ id: number }[]>`
        SELECT id FROM canned_replies
        WHERE coalesce(department_code, '') = ${data.departmentCode ?? ''} AND title = ${data.title} AND id <> ${data.id ?? 0}`;
      if (clash) throw new ValidationError([{ field: 'title', message: `${data.departmentCode ? '该科室' : '全院通用'}已有标题为“${data.title}”的快捷回复` }]);
      const [row] = data.id
        ? await sql<{ id: number }[]>`
            UPDATE canned_replies SET department_code = ${data.departmentCode}, topic = ${data.topic}, title = ${data.title},
                   body = ${data.body}, updated_by = ${user.id}, updated_at = now()
            WHERE id = ${data.id} RETURNING id`
        : await sql<{ id: number }[]>`
            INSERT INTO canned_replies (department_code, topic, title, body, created_by, updated_by)
            VALUES (${data.departmentCode}, ${data.topic}, ${data.title}, ${data.body}, ${user.id}, ${user.id}) RETURNING id`;
      const saved = (await load(row!.id))!;
      const snap = (r: CannedReply) => ({ departmentCode: r.departmentCode, topic: r.topic, title: r.title, body: r.body });
      await audit.record(
        {
          actor: user,
          action: 'canned_reply.saved',
          entityType: 'canned_reply',
          entityId: String(saved.id),
          details: { before: before ? snap(before) : null, after: snap(saved) },
        },
        meta,
      );
      return saved;
    },

    /** Enables or disables a reply (disabled ones are no longer offered to staff). */
    async setActive(user: Principal, id: number, active: boolean, meta: RequestMeta): Promise<CannedReply> {
      requireAdmin(user);
      if (!Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) throw notFound('快捷回复不存在');
      const before = await load(id);
      if (!before) throw notFound('快捷回复不存在');
      await sql`UPDATE canned_replies SET active = ${active}, updated_by = ${user.id}, updated_at = now() WHERE id = ${id}`;
      await audit.record(
        {
          actor: user,
          action: 'canned_reply.active_set',
          entityType: 'canned_reply',
          entityId: String(id),
          details: { title: before.title, before: { active: before.active }, after: { active } },
        },
        meta,
      );
      return { ...before, active };
    },
  };
}

export type CannedReplyService = ReturnType<typeof createCannedReplyService>;

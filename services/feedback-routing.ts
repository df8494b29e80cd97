/**
 * The complaint routing table as administrators edit it (投诉分派): for each feedback category the
 * responsible department (NULL = the follow-up's own department) and its timings — SLA before the
 * first escalation, the second escalation after that, and how long the patient may rate the
 * handling — plus the sub-tags (problem taxonomy) offered per category.
 *
 * A ticket copies the route's timings when it is opened, so a change applies to new tickets only.
 * Sub-tags are never deleted (reports rank them): they are disabled instead. Every change is audited.
 */
import type postgres from 'postgres';
import { z } from 'zod';
import type { Sql } from '../db/client.js';
import { administers, type Principal } from '../domain/access.js';
import { TICKET_CATEGORIES, TICKET_CATEGORY_LABELS, type TicketCategory } from '../workflows/feedback-ticket/contracts.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ValidationError, type FieldProblem } from './errors.js';

/** Upper bound of every timing, in hours (30 days). */
export const MAX_ROUTE_HOURS = 720;
export const MAX_SUBTAG_LENGTH = 30;

export interface FeedbackRoute {
  category: TicketCategory;
  categoryLabel: string;
  /** null: the department of the follow-up the feedback came from. */
  departmentCode: string | null;
  departmentName: string | null;
  slaSeconds: number;
  escalateSeconds: number;
  ratingWaitSeconds: number;
  updatedAt: string;
}

export interface RouteInput {
  category: string;
  departmentCode: string | null;
  /** Hours > 0 and ≤ 720; numeric text (a form field) is accepted too. */
  slaHours: number | string;
  escalateHours: number | string;
  ratingWaitHours: number | string;
}

export interface Subtag {
  id: number;
  category: string;
  label: string;
  active: boolean;
  /** Tickets filed under this sub-tag (so an admin sees what disabling affects in reports). */
  ticketCount: number;
}

export interface SubtagInput {
  category: string;
  label: string;
}

const categorySchema = z.enum(TICKET_CATEGORIES, { errorMap: () => ({ message: '请选择投诉类别（服务态度、医疗质量、环境设施、流程问题或红旗预警）' }) });

/** Hours as a number (or numeric text), > 0 and ≤ 720. */
const hoursSchema = (label: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v.trim())) ? Number(v.trim()) : v),
    z
      .number({ required_error: `请填写${label}`, invalid_type_error: `${label}须为数字（小时）` })
      .finite(`${label}须为数字（小时）`)
      .positive(`${label}须大于 0 小时`)
      .max(MAX_ROUTE_HOURS, `${label}最多 ${MAX_ROUTE_HOURS} 小时（30 天）`),
  );

const routeSchema = z.object({
  category: categorySchema,
  departmentCode: z
    .union([z.string(), z.null()], { errorMap: () => ({ message: '科室须为科室代码，或留空表示随访所在科室' }) })
    .optional()
    .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim())),
  slaHours: hoursSchema('SLA 时限'),
  escalateHours: hoursSchema('二次升级时限'),
  ratingWaitHours: hoursSchema('评价等待时间'),
});

const subtagSchema = z.object({
  category: categorySchema,
  label: z
    .string({ required_error: '请填写子标签', invalid_type_error: '子标签须为文字' })
    .trim()
    .min(1, '请填写子标签')
    .max(MAX_SUBTAG_LENGTH, `子标签最长 ${MAX_SUBTAG_LENGTH} 个字符`),
});

function zodProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ field: issue.path.length > 0 ? issue.path.join('.') : '(body)', message: issue.message }));
}

/** Hours as whole seconds, at least one. */
const toSeconds = (hours: number) => Math.max(1, Math.round(hours * 3600));

interface RouteRow {
  category: TicketCategory;
  department_code: string | null;
  department_name: string | null;
  sla_seconds: number;
  escalate_seconds: number;
  rating_wait_seconds: number;
  updated_at: Date;
}

const toRoute = (r: RouteRow): FeedbackRoute => ({
  category: r.category,
  categoryLabel: TICKET_CATEGORY_LABELS[r.category],
  departmentCode: r.department_code,
  departmentName: r.department_name,
  slaSeconds: r.sla_seconds,
  escalateSeconds: r.escalate_seconds,
  ratingWaitSeconds: r.rating_wait_seconds,
  updatedAt: r.updated_at.toISOString(),
});

const snapshot = (r: FeedbackRoute) => ({
  departmentCode: r.departmentCode,
  slaSeconds: r.slaSeconds,
  escalateSeconds: r.escalateSeconds,
  ratingWaitSeconds: r.ratingWaitSeconds,
});

export function createFeedbackRoutingService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  function requireAdmin(user: Principal) {
    if (!administers(user.role)) throw forbidden('仅管理员可维护投诉分派');
  }

  async function loadRoutes(db: Sql | postgres.TransactionSql, category?: TicketCategory): Promise<FeedbackRoute[]> {
    const rows = await db<RouteRow[]>`
      SELECT r.category, r.department_code, d.name AS department_name, r.sla_seconds, r.escalate_seconds,
             r.rating_wait_seconds, r.updated_at
      FROM feedback_routes r LEFT JOIN departments d ON d.code = r.department_code
      WHERE ${category ?? null}::text IS NULL OR r.category = ${category ?? null}`;
    return rows.map(toRoute).sort((a, b) => TICKET_CATEGORIES.indexOf(a.category) - TICKET_CATEGORIES.indexOf(b.category));
  }

  return {
    /** The routing table, in the fixed category order. */
    async routes(user: Principal): Promise<FeedbackRoute[]> {
      requireAdmin(user);
      return loadRoutes(sql);
    },

    /**
     * Departments where nobody can act on a ticket (no active 科室主任 or 科室人员): a route to one of
     * them would leave its complaints waiting for no one, so the routing page warns.
     */
    async unstaffedDepartments(user: Principal): Promise<{ code: string; name: string; kind: string }[]> {
      requireAdmin(user);
      return sql<{ code: string; name: string; kind: string }[]>`
        SELECT d.code, d.name, d.kind FROM departments d
        WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.department_code = d.code AND u.active AND u.role IN ('dept_head', 'dept_staff'))
        ORDER BY d.kind, d.name`;
    },

    /** Changes a category's department and timings; tickets already opened keep theirs. */
    async saveRoute(user: Principal, input: RouteInput, meta: RequestMeta): Promise<FeedbackRoute> {
      requireAdmin(user);
      const parsed = routeSchema.safeParse(input);
      const problems: FieldProblem[] = parsed.success ? [] : zodProblems(parsed.error);
      const department = routeSchema.shape.departmentCode.safeParse(typeof input === 'object' && input !== null ? input.departmentCode : undefined);
      if (department.success && department.data !== null) {
        const found = await sql`SELECT 1 FROM departments WHERE code = ${department.data}`;
        if (found.length === 0) problems.push({ field: 'departmentCode', message: `科室“${department.data}”不存在` });
      }
      if (!parsed.success || problems.length > 0) throw new ValidationError(problems);
      const data = parsed.data;
      const after = {
        departmentCode: data.departmentCode,
        slaSeconds: toSeconds(data.slaHours),
        escalateSeconds: toSeconds(data.escalateHours),
        ratingWaitSeconds: toSeconds(data.ratingWaitHours),
      };

      const { before, saved } = await sql.begin(async (tx) => {
        const [previous] = await tx<RouteRow[]>`
          SELECT category, department_code, NULL::text AS department_name, sla_seconds, escalate_seconds, rating_wait_seconds, updated_at
          FROM feedback_routes WHERE category = ${data.category} FOR UPDATE`;
        await tx`
          INSERT INTO feedback_routes (category, department_code, sla_seconds, escalate_seconds, rating_wait_seconds)
          VALUES (${data.category}, ${after.departmentCode}, ${after.slaSeconds}, ${after.escalateSeconds}, ${after.ratingWaitSeconds})
          ON CONFLICT (category) DO UPDATE SET
            department_code = EXCLUDED.department_code, sla_seconds = EXCLUDED.sla_seconds,
            escalate_seconds = EXCLUDED.escalate_seconds, rating_wait_seconds = EXCLUDED.rating_wait_seconds, updated_at = now()`;
        const [saved] = await loadRoutes(tx, data.category);
        return { before: previous ? toRoute(previous) : null, saved: saved! };
      });

      await audit.record(
        {
          actor: user,
          action: 'routing.route_saved',
          entityType: 'feedback_route',
          entityId: data.category,
          details: { category: data.category, before: before ? snapshot(before) : null, after: snapshot(saved) },
        },
        meta,
      );
      return saved;
    },

    /** Every sub-tag, enabled or not, by category then creation. */
    async subtags(user: Principal): Promise<Subtag[]> {
      requireAdmin(user);
      const rows = await sql<{ id: number; category: string; label: string; active: boolean; ticket_count: number }[]>`
        SELECT s.id, s.category, s.label, s.active,
               (SELECT count(*)::int FROM tickets t WHERE t.category = s.category AND t.subtag = s.label) AS ticket_count
        FROM feedback_subtags s ORDER BY s.category, s.id`;
      return rows
        .map((r) => ({ id: r.id, category: r.category, label: r.label, active: r.active, ticketCount: r.ticket_count }))
        .sort((a, b) => {
          const order = (c: string) => {
            const i = TICKET_CATEGORIES.indexOf(c as TicketCategory);
            return i === -1 ? TICKET_CATEGORIES.length : i;
          };
          return order(a.category) - order(b.category) || a.id - b.id;
        });
    },

    /** Adds a sub-tag (enabled); a label already used in the category, enabled or not, is refused. */
    async saveSubtag(user: Principal, input: SubtagInput, meta: RequestMeta): Promise<Subtag> {
      requireAdmin(user);
      const parsed = subtagSchema.safeParse(input);
      if (!parsed.success) throw new ValidationError(zodProblems(parsed.error));
      const { category, label } = parsed.data;
      const [row] = await sql<{ id: number }[]>`
        INSERT INTO feedback_subtags (category, label) VALUES (${category}, ${label})
        ON CONFLICT (category, label) DO NOTHING RETURNING id`;
      if (!row) {
        const [existing] = await sql<{ active: boolean }[]>`SELECT active FROM feedback_subtags WHERE category = ${category} AND label = ${label}`;
        const where = TICKET_CATEGORY_LABELS[category];
        throw new ValidationError([
          {
            field: 'label',
            message: existing && !existing.active ? `“${where}”下已有子标签“${label}”（已停用）：请启用它` : `“${where}”下已有子标签“${label}”`,
          },
        ]);
      }
      await audit.record(
        { actor: user, action: 'routing.subtag_saved', entityType: 'feedback_subtag', entityId: String(row.id), details: { category, label } },
        meta,
      );
      return { id: row.id, category, label, active: true, ticketCount: 0 };
    },

    /** Enables or disables a sub-tag: disabled ones are no longer offered, past tickets keep them. */
    async setSubtagActive(user: Principal, id: number, active: boolean, meta: RequestMeta): Promise<Subtag> {
      requireAdmin(user);
      if (!Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) throw notFound('子标签不存在');
      if (typeof active !== 'boolean') throw new ValidationError([{ field: 'active', message: '“启用”须为是或否' }]);
      const [before] = await sql<{ active: boolean }[]>`SELECT active FROM feedback_subtags WHERE id = ${id}`;
      if (!before) throw notFound('子标签不存在');
      const [row] = await sql<{ id: number; category: string; label: string; active: boolean; ticket_count: number }[]>`
        UPDATE feedback_subtags s SET active = ${active} WHERE id = ${id}
        RETURNING s.id, s.category, s.label, s.active,
                  (SELECT count(*)::int FROM tickets t WHERE t.category = s.category AND t.subtag = s.label) AS ticket_count`;
      if (!row) throw notFound('子标签不存在');
      await audit.record(
        {
          actor: user,
          action: 'routing.subtag_active_set',
          entityType: 'feedback_subtag',
          entityId: String(id),
          details: { category: row.category, label: row.label, before: { active: before.active }, after: { active: row.active } },
        },
        meta,
      );
      return { id: row.id, category: row.category, label: row.label, active: row.active, ticketCount: row.ticket_count };
    },
  };
}

export type FeedbackRoutingService = ReturnType<typeof createFeedbackRoutingService>;

/**
 * Praise (表扬) and suggestions (建议) as the responsible department receives them: information to
 * read and acknowledge (已阅), with no SLA clock, escalation or rating request, unlike complaints,
 * which are tickets. Department staff see their department's; management and admins all; an agent
 * the ones they recorded. Acknowledging is audited.
 */
import type { Sql } from '../db/client.js';
import { isDepartmentStaff, administers, ticketScope, type Principal } from '../domain/access.js';
import { FEEDBACK_KIND_LABELS, ticketCategoryLabel, type FeedbackKind } from '../workflows/feedback-ticket/labels.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound } from './errors.js';

export interface FeedbackInformation {
  id: string;
  kind: Exclude<FeedbackKind, 'complaint'>;
  kindLabel: string;
  category: string;
  categoryLabel: string;
  description: string;
  departmentCode: string | null;
  departmentName: string | null;
  patientName: string;
  /** The follow-up task it was recorded in. */
  taskId: string | null;
  recordedByName: string | null;
  createdAt: string;
  readAt: string | null;
  readByName: string | null;
}

interface Row {
  id: string;
  kind: Exclude<FeedbackKind, 'complaint'>;
  category: string;
  description: string;
  department_code: string | null;
  department_name: string | null;
  patient_name: string;
  task_id: string | null;
  recorded_by: string | null;
  created_at: Date;
  read_at: Date | null;
  read_by: string | null;
  created_by: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createFeedbackInfoService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  const select = sql`
    SELECT f.id, f.kind, f.category, f.description, f.department_code, d.name AS department_name, p.name AS patient_name,
           f.task_id, u.display_name AS recorded_by, f.created_at, f.read_at, r.display_name AS read_by, f.created_by
    FROM feedback_records f JOIN patients p ON p.id = f.patient_id
    LEFT JOIN departments d ON d.code = f.department_code
    LEFT JOIN users u ON u.id = f.created_by LEFT JOIN users r ON r.id = f.read_by`;

  const toItem = (r: Row): FeedbackInformation => ({
    id: r.id,
    kind: r.kind,
    kindLabel: FEEDBACK_KIND_LABELS[r.kind],
    category: r.category,
    categoryLabel: ticketCategoryLabel(r.category),
    description: r.description,
    departmentCode: r.department_code,
    departmentName: r.department_name,
    patientName: r.patient_name,
    taskId: r.task_id,
    recordedByName: r.recorded_by,
    createdAt: r.created_at.toISOString(),
    readAt: r.read_at?.toISOString() ?? null,
    readByName: r.read_by,
  });

  return {
    /** Unread first, newest first. */
    async list(user: Principal, filters: { unreadOnly?: boolean; departmentCode?: string; taskId?: string; limit?: number } = {}): Promise<FeedbackInformation[]> {
      const scope = ticketScope(user);
      if (!scope) throw forbidden();
      if (scope.kind === 'department' && filters.departmentCode && filters.departmentCode !== scope.departmentCode) throw forbidden('只能查看本科室的反馈');
      const where =
        scope.kind === 'all'
          ? filters.departmentCode
            ? sql`f.department_code = ${filters.departmentCode}`
            : sql`TRUE`
          : scope.kind === 'department'
            ? sql`f.department_code = ${scope.departmentCode}`
            : sql`f.created_by = ${scope.userId}`;
      const rows = await sql<Row[]>`
        ${select}
        WHERE f.kind <> 'complaint' AND ${where} AND ${filters.unreadOnly ? sql`f.read_at IS NULL` : sql`TRUE`}
          AND ${filters.taskId === undefined ? sql`TRUE` : UUID.test(filters.taskId) ? sql`f.task_id = ${filters.taskId}` : sql`FALSE`}
        ORDER BY f.read_at IS NULL DESC, f.created_at DESC LIMIT ${Math.min(filters.limit ?? 100, 500)}`;
      return rows.map(toItem);
    },

    /** 已阅: someone of the department (or an admin) acknowledges it; the department's notice is read with it. */
    async markRead(user: Principal, id: string, meta: RequestMeta): Promise<FeedbackInformation> {
      if (!UUID.test(id)) throw notFound('反馈不存在');
      const [row] = await sql<Row[]>`${select} WHERE f.id = ${id} AND f.kind <> 'complaint'`;
      if (!row) throw notFound('反馈不存在');
      const mayAct = administers(user.role) || (isDepartmentStaff(user.role) && row.department_code !== null && row.department_code === user.departmentCode);
      if (!mayAct) throw forbidden('只有责任科室可以确认已阅');
      if (row.read_at) return toItem(row);
      await sql.begin(async (tx) => {
        await tx`UPDATE feedback_records SET read_at = now(), read_by = ${user.id} WHERE id = ${id} AND read_at IS NULL`;
        await tx`UPDATE staff_notifications SET read_at = coalesce(read_at, now()) WHERE feedback_id = ${id}`;
      });
      await audit.record({ actor: user, action: 'feedback.read', entityType: 'feedback', entityId: id, details: { kind: row.kind } }, meta);
      const [after] = await sql<Row[]>`${select} WHERE f.id = ${id}`;
      return toItem(after!);
    },
  };
}

export type FeedbackInfoService = ReturnType<typeof createFeedbackInfoService>;

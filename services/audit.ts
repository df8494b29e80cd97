/** The audit trail: who looked at or changed what, when, from where. */
import type { Sql } from '../db/client.js';
import { administers, roleLabel, type Principal } from '../domain/access.js';
import { auditActionLabel, auditEntityLabel } from '../domain/audit-labels.js';
import { displayPatientKey } from '../domain/masking.js';
import { forbidden, ValidationError, type FieldProblem } from './errors.js';

/** Where a request came from; every service call that touches patient data receives it. */
export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

export interface AuditEntry {
  actor?: Principal;
  action: string;
  entityType?: string;
  entityId?: string;
  patientId?: string;
  details?: Record<string, unknown>;
}

/** Filters of the admin audit search (/admin/audit); all optional, combined with AND. */
export interface AuditFilters {
  /** Username of the person who acted (case-insensitive, exact). */
  username?: string;
  /** Patient: the platform's patient id (uuid) or the HIS patient id. */
  patient?: string;
  /** Action prefix, e.g. `patient.` or `auth.login`. */
  action?: string;
  /** First and last day of the period (YYYY-MM-DD, Asia/Shanghai), inclusive. */
  from?: string;
  to?: string;
}

export interface AuditRow {
  id: string;
  /** ISO 8601 (UTC). */
  at: string;
  /** `YYYY-MM-DD HH:MM:SS` in Asia/Shanghai. */
  atLocal: string;
  actorUsername: string | null;
  actorRole: string | null;
  action: string;
  entityType: string | null;
  entityId: string | null;
  /** What people call the record: the ticket's number for tickets, else the id. */
  entityRef: string | null;
  patientId: string | null;
  hisPatientId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

const PAGE_LIMIT = 200;
const EXPORT_LIMIT = 50_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function normalizeFilters(filters: AuditFilters): AuditFilters {
  const out: AuditFilters = {};
  const problems: FieldProblem[] = [];
  for (const key of ['username', 'patient', 'action', 'from', 'to'] as const) {
    const value = filters[key]?.trim();
    if (value) out[key] = value;
  }
  for (const key of ['from', 'to'] as const) {
    const value = out[key];
    if (value && (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))) {
      problems.push({ field: key, message: '日期格式应为 YYYY-MM-DD' });
    }
  }
  if (problems.length === 0 && out.from && out.to && out.from > out.to) problems.push({ field: 'to', message: '结束日期不能早于开始日期' });
  if (problems.length) throw new ValidationError(problems);
  return out;
}

const likePrefix = (s: string) => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A CSV cell: quoted when needed, and defused when a spreadsheet would read it as a formula. */
function csvCell(value: string | null): string {
  let s = value ?? '';
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CSV_HEADER = ['编号', '时间（北京时间）', '人员', '角色', '操作', '操作代码', '对象类型', '对象', '患者ID', 'HIS患者ID', 'IP', 'User-Agent', '详情'];

export function createAuditService({ sql }: { sql: Sql }) {
  const service = {
    async record(entry: AuditEntry, meta: RequestMeta): Promise<void> {
      await sql`
        INSERT INTO audit_log (actor_id, actor_username, actor_role, action, entity_type, entity_id, patient_id, ip, user_agent, details)
        VALUES (${entry.actor?.id ?? null}, ${entry.actor?.username ?? null}, ${entry.actor?.role ?? null}, ${entry.action},
                ${entry.entityType ?? null}, ${entry.entityId ?? null}, ${entry.patientId ?? null},
                ${meta.ip ?? null}, ${meta.userAgent ?? null}, ${sql.json((entry.details ?? {}) as never)})`;
    },

    /**
     * A list that shows patient data was shown (今日任务, discharge lists, ticket inbox, alerts, clinic
     * board): which view, how many rows and whose records, as a record view is audited.
     */
    async listed(actor: Principal, view: string, patientIds: readonly string[], meta: RequestMeta, details: Record<string, unknown> = {}): Promise<void> {
      const patients = [...new Set(patientIds)];
      await service.record({ actor, action: 'patient.list', entityType: view, details: { ...details, count: patientIds.length, patients: patients.slice(0, 500) } }, meta);
    },

    /** A refused attempt to open a list (another department's, or a role without one). */
    async listDenied(actor: Principal, view: string, meta: RequestMeta, details: Record<string, unknown> = {}): Promise<void> {
      await service.record({ actor, action: 'patient.list_denied', entityType: view, details }, meta);
    },

    /** Admin search of the audit trail, newest first (at most `limit` rows; `truncated` when more matched). */
    async search(user: Principal, filters: AuditFilters, options: { limit?: number } = {}): Promise<{ rows: AuditRow[]; truncated: boolean; filters: AuditFilters }> {
      if (!administers(user.role)) throw forbidden('仅管理员可查看审计日志');
      const f = normalizeFilters(filters);
      const limit = Math.min(Math.max(1, options.limit ?? PAGE_LIMIT), EXPORT_LIMIT);
      const patient = f.patient;
      const found = await sql<(Omit<AuditRow, 'at'> & { at: Date })[]>`
        SELECT a.id::text AS "id", a.at AS "at",
               to_char(a.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS "atLocal",
               a.actor_username AS "actorUsername", a.actor_role AS "actorRole", a.action AS "action",
               a.entity_type AS "entityType", a.entity_id AS "entityId", COALESCE(t.number, ep.his_patient_id, '第 ' || (ft.touchpoint_index + 1) || ' 次随访', eu.username, a.entity_id) AS "entityRef",
               a.patient_id::text AS "patientId",
               p.his_patient_id AS "hisPatientId", a.ip AS "ip", a.user_agent AS "userAgent", a.details AS "details"
        FROM audit_log a
        LEFT JOIN patients p ON p.id = a.patient_id
        LEFT JOIN tickets t ON a.entity_type = 'ticket' AND t.id::text = a.entity_id
        -- Records by the names people use: a patient by 病案号, a task by its touchpoint, a user by login.
        LEFT JOIN patients ep ON a.entity_type = 'patient' AND ep.id::text = a.entity_id
        LEFT JOIN follow_up_tasks ft ON a.entity_type = 'task' AND ft.id::text = a.entity_id
        LEFT JOIN users eu ON a.entity_type = 'user' AND eu.id::text = a.entity_id
        WHERE true
          ${f.username ? sql`AND lower(a.actor_username) = lower(${f.username})` : sql``}
          ${
            patient
              ? UUID.test(patient)
                ? sql`AND a.patient_id = ${patient}::uuid`
                : sql`AND a.patient_id IN (SELECT id FROM patients WHERE his_patient_id = ${patient})`
              : sql``
          }
          ${f.action ? sql`AND a.action LIKE ${likePrefix(f.action)}` : sql``}
          ${f.from ? sql`AND a.at >= (${f.from}::date)::timestamp AT TIME ZONE 'Asia/Shanghai'` : sql``}
          ${f.to ? sql`AND a.at < (${f.to}::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'` : sql``}
        ORDER BY a.id DESC
        LIMIT ${limit + 1}`;
      const rows = found.slice(0, limit).map((r) => ({ ...r, at: r.at.toISOString(), hisPatientId: r.hisPatientId && displayPatientKey(r.hisPatientId) }));
      return { rows, truncated: found.length > limit, filters: f };
    },

    /** The search as CSV text (without BOM), for download; the export itself is audited as `audit.export`. */
    async exportCsv(user: Principal, filters: AuditFilters, meta: RequestMeta): Promise<{ csv: string; rows: number; truncated: boolean }> {
      const result = await service.search(user, filters, { limit: EXPORT_LIMIT });
      await service.record(
        { actor: user, action: 'audit.export', entityType: 'audit_log', details: { filters: result.filters, rows: result.rows.length, truncated: result.truncated } },
        meta,
      );
      const lines = [CSV_HEADER.map(csvCell).join(',')];
      for (const r of result.rows) {
        lines.push(
          [
            r.id,
            r.atLocal,
            r.actorUsername,
            r.actorRole && roleLabel(r.actorRole),
            auditActionLabel(r.action),
            r.action,
            r.entityType && auditEntityLabel(r.entityType),
            r.entityRef,
            r.patientId,
            r.hisPatientId,
            r.ip,
            r.userAgent,
            JSON.stringify(r.details),
          ]
            .map(csvCell)
            .join(','),
        );
      }
      return { csv: lines.join('\r\n') + '\r\n', rows: result.rows.length, truncated: result.truncated };
    },
  };
  return service;
}

export type AuditService = ReturnType<typeof createAuditService>;

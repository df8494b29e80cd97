/** Red-flag alerts raised by follow-ups, for the department that must act on them. */
import type { Sql } from '../db/client.js';
import { canAccessDepartment, type Principal } from '../domain/access.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden } from './errors.js';

export interface AlertItem {
  id: string;
  taskId: string | null;
  patientName: string;
  /** Wording of the questions whose answers raised the alert. */
  questions: string[];
  createdAt: string;
  acknowledgedAt: string | null;
}

export function createAlertService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  return {
    /** The department's alerts, unacknowledged first, newest first (the listing is audited, as is a refusal). */
    async forDepartment(user: Principal, departmentCode: string, limit = 50, meta: RequestMeta = {}): Promise<AlertItem[]> {
      if (!canAccessDepartment(user, departmentCode)) {
        await audit.listDenied(user, 'alert_list', meta, { departmentCode });
        throw forbidden('只能查看本科室的预警');
      }
      const rows = await sql<{ id: string; task_id: string | null; patient_id: string; name: string; details: { questionIds?: string[]; questions?: string[] }; created_at: Date; acknowledged_at: Date | null }[]>`
        SELECT a.id, a.task_id, p.id AS patient_id, p.name, a.details, a.created_at, a.acknowledged_at
        FROM alerts a JOIN follow_up_tasks t ON t.id = a.task_id JOIN patients p ON p.id = t.patient_id
        WHERE a.department_code = ${departmentCode}
        ORDER BY (a.acknowledged_at IS NULL) DESC, a.created_at DESC LIMIT ${limit}`;
      await audit.listed(user, 'alert_list', rows.map((r) => r.patient_id), meta, { departmentCode });
      return rows.map((r) => ({
        id: r.id,
        taskId: r.task_id,
        patientName: r.name,
        questions: r.details.questions ?? r.details.questionIds ?? [],
        createdAt: r.created_at.toISOString(),
        acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
      }));
    },
  };
}

export type AlertService = ReturnType<typeof createAlertService>;

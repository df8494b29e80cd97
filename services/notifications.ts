/**
 * The staff's notifications in the portal: what the ticket workflows address to a department,
 * its head, the supervisors or management (staff_notifications), and the department's red-flag
 * alerts, which stay in the list until someone of the department acknowledges them.
 */
import type { Sql } from '../db/client.js';
import { REFUND_ALERT_KIND } from '../domain/payment-refund.js';
import type { Principal } from '../domain/access.js';
import { canAcknowledgeAlert, notificationScope } from '../domain/notification-audience.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound } from './errors.js';

export interface NotificationItem {
  kind: 'notice' | 'red_flag' | 'refund';
  id: string;
  body: string;
  ticketId: string | null;
  taskId: string | null;
  createdAt: string;
  /** Read (notices) or acknowledged (red flags). */
  doneAt: string | null;
}

export interface PhoneSettings {
  sms: boolean;
  wechat: boolean;
  hasPhone: boolean;
  wechatBound: boolean;
}

export function createNotificationService({ sql, audit }: { sql: Sql; audit: AuditService }) {
  /** The user's notices and alerts, open ones first, newest first. */
  async function items(user: Principal, limit: number): Promise<NotificationItem[]> {
    const scope = notificationScope(user);
    if (!scope) return [];
    const all = scope.departmentCode === null;
    const rows = await sql<{ kind: NotificationItem['kind']; id: string; body: string; ticket_id: string | null; task_id: string | null; created_at: Date; done_at: Date | null }[]>`
      SELECT * FROM (
      (SELECT 'notice' AS kind, n.id::text AS id, n.body, n.ticket_id, NULL::uuid AS task_id, n.created_at, n.read_at AS done_at
       FROM staff_notifications n
       WHERE n.audience = ANY(${scope.audiences}) AND (${all} OR n.department_code = ${scope.departmentCode}))
      UNION ALL
      (SELECT 'red_flag', a.id::text, '红旗预警:' || p.name || ' · ' || coalesce(array_to_string(ARRAY(SELECT jsonb_array_elements_text(a.details->'questions')), '、'), ''),
              NULL, a.task_id, a.created_at, a.acknowledged_at
       FROM alerts a JOIN follow_up_tasks t ON t.id = a.task_id JOIN patients p ON p.id = t.patient_id
       WHERE a.kind = 'red_flag' AND ${scope.departmentCode !== null || user.role === 'admin'} AND (${all} OR a.department_code = ${scope.departmentCode}))
      UNION ALL
      -- A prepayment refund WeChat Pay reported ABNORMAL / CLOSED (activities/payments/refunds.ts): someone must handle it.
      (SELECT 'refund', a.id::text, (a.details->>'message') || ':' || p.name || ' · 预约号 ' || ap.number || ' · 商户订单号 ' || o.out_trade_no,
              NULL, NULL, a.created_at, a.acknowledged_at
       FROM alerts a JOIN payment_orders o ON o.out_trade_no = a.details->>'outTradeNo' JOIN appointments ap ON ap.id = o.appointment_id
       JOIN patients p ON p.id = ap.patient_id
       WHERE a.kind = ${REFUND_ALERT_KIND} AND ${scope.departmentCode !== null || user.role === 'admin'} AND (${all} OR a.department_code = ${scope.departmentCode}))
      ) items
      ORDER BY done_at IS NULL DESC, created_at DESC LIMIT ${limit}`;
    return rows.map((r) => ({
      kind: r.kind,
      id: r.id,
      body: r.body,
      ticketId: r.ticket_id,
      taskId: r.task_id,
      createdAt: r.created_at.toISOString(),
      doneAt: r.done_at?.toISOString() ?? null,
    }));
  }

  return {
    list: (user: Principal, limit = 100) => items(user, limit),

    /** Whether notifications also come to the user's phone (SMS / WeChat), and where they would. */
    async phoneSettings(user: Principal): Promise<PhoneSettings> {
      const [u] = await sql<{ notify_sms: boolean; notify_wechat: boolean; has_phone: boolean; wechat_bound: boolean }[]>`
        SELECT notify_sms, notify_wechat, coalesce(phone, '') <> '' AS has_phone, wechat_openid IS NOT NULL AS wechat_bound
        FROM users WHERE id = ${user.id}`;
      if (!u) throw notFound('用户不存在');
      return { sms: u.notify_sms, wechat: u.notify_wechat, hasPhone: u.has_phone, wechatBound: u.wechat_bound };
    },

    /** The user's own choice (audited): red-flag alerts and escalations by SMS / WeChat, or the portal only. */
    async setPhoneSettings(user: Principal, input: { sms: boolean; wechat: boolean }, meta: RequestMeta): Promise<void> {
      await sql`UPDATE users SET notify_sms = ${input.sms}, notify_wechat = ${input.wechat}, updated_at = now() WHERE id = ${user.id}`;
      await audit.record({ actor: user, action: 'user.notify_settings', entityType: 'user', entityId: user.id, details: { sms: input.sms, wechat: input.wechat } }, meta);
    },

    /** The header's count: unread notices and unacknowledged red flags. */
    async unreadCount(user: Principal): Promise<number> {
      const scope = notificationScope(user);
      if (!scope) return 0;
      const all = scope.departmentCode === null;
      const [row] = await sql<{ n: number }[]>`
        SELECT (SELECT count(*) FROM staff_notifications n
                WHERE n.read_at IS NULL AND n.audience = ANY(${scope.audiences}) AND (${all} OR n.department_code = ${scope.departmentCode}))
             + (SELECT count(*) FROM alerts a
                WHERE a.kind IN ('red_flag', ${REFUND_ALERT_KIND}) AND a.acknowledged_at IS NULL AND ${scope.departmentCode !== null || user.role === 'admin'}
                  AND (${all} OR a.department_code = ${scope.departmentCode})) AS n`;
      return Number(row?.n ?? 0);
    },

    async markRead(user: Principal, id: string): Promise<void> {
      const scope = notificationScope(user);
      if (!scope || !/^\d+$/.test(id)) throw notFound('通知不存在');
      const all = scope.departmentCode === null;
      const rows = await sql`
        UPDATE staff_notifications n SET read_at = coalesce(read_at, now())
        WHERE n.id = ${id} AND n.audience = ANY(${scope.audiences}) AND (${all} OR n.department_code = ${scope.departmentCode})
        RETURNING id`;
      if (rows.length === 0) throw notFound('通知不存在');
    },

    /** Someone of the department has seen the red flag and acts on it (audited). */
    async acknowledgeAlert(user: Principal, alertId: string, meta: RequestMeta): Promise<void> {
      const [alert] = await sql<{ department_code: string | null; patient_id: string | null }[]>`
        SELECT a.department_code, t.patient_id FROM alerts a LEFT JOIN follow_up_tasks t ON t.id = a.task_id
        WHERE a.id = ${/^[0-9a-f-]{36}$/.test(alertId) ? alertId : null}`;
      if (!alert) throw notFound('预警不存在');
      if (!canAcknowledgeAlert(user, alert.department_code)) throw forbidden('只有本科室人员可以确认该预警');
      await sql`UPDATE alerts SET acknowledged_at = now(), acknowledged_by = ${user.id} WHERE id = ${alertId} AND acknowledged_at IS NULL`;
      await audit.record({ actor: user, action: 'alert.acknowledge', entityType: 'alert', entityId: alertId, patientId: alert.patient_id ?? undefined }, meta);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;

/**
 * Staff notifications by SMS / WeChat: who receives a notification or red-flag alert on the phone
 * (one staff_messages row per recipient, started as a staffMessageWorkflow), what the dispatcher
 * needs to decide, and the send itself through the same adapters and the same delivery records
 * (message_deliveries, key written before the provider call) as patient messages.
 */
import { Context } from '@temporalio/activity';
import type { Sql } from '../../db/client.js';
import { DEFAULT_CONTACT_RULES, REAL_CONTACT_CLOCK, type ContactClock, type DeliveryChannel } from '../../domain/contact-rules.js';
import type { StaffAudience } from '../../domain/notification-audience.js';
import { audienceRecipients, RED_FLAG_RECIPIENTS, type StaffRole } from '../../domain/staff-contact.js';
import {
  staffMessageStart,
  type StaffDeliverInput,
  type StaffDeliverResult,
  type StaffDispatchFacts,
} from '../../workflows/staff-notify/contracts.js';
import { startOnce } from '../../workflows/shared/start.js';
import { takeEarlyReport } from './early-report.js';
import { e164, type Channels } from './settings.js';
import { PermanentSendError, type MessageAdapter } from './types.js';

/** What identifies the notifications to hand to the phone dispatcher. */
export type StaffDispatchSource = { notificationDedupeKey: string } | { alertWorkflowId: string; alertStep: string };

/**
 * Creates one staff message per recipient of the notification (or red-flag alert) and starts its
 * dispatcher, from inside the activity that wrote the notification (idempotent: a retried activity
 * finds the rows and the running workflows). Without channels (no provider configured) the portal
 * list is the only way, as before.
 */
export async function startStaffDispatch({ sql, channels }: { sql: Sql; channels?: Channels }, source: StaffDispatchSource): Promise<void> {
  if (!channels) return;
  const ids = await queueStaffMessages(sql, source);
  if (ids.length === 0) return;
  const { client, info } = Context.current();
  for (const { id } of ids) await startOnce(client, info.taskQueue, staffMessageStart({ staffMessageId: id }));
}

/**
 * The staff messages (one per recipient with a phone or WeChat) of a notification or red-flag
 * alert, queued and not yet dispatched: what the caller starts a staffMessageWorkflow for, with
 * the activity's client (startStaffDispatch) or a service's (a 督办 from the portal).
 */
export async function queueStaffMessages(sql: Sql, source: StaffDispatchSource): Promise<{ id: string }[]> {
  if ('notificationDedupeKey' in source) {
    const [n] = await sql<{ id: string; audience: StaffAudience; department_code: string | null }[]>`
      SELECT id, audience, department_code FROM staff_notifications WHERE dedupe_key = ${source.notificationDedupeKey}`;
    if (!n) return [];
    const { roles, sameDepartment } = audienceRecipients(n.audience);
    const ids = await insertFor(sql, { notificationId: n.id, alertId: null, urgent: false, roles, departmentCode: sameDepartment ? n.department_code : null, sameDepartment });
    await sql`UPDATE staff_notifications SET dispatched_at = coalesce(dispatched_at, now()) WHERE id = ${n.id}`;
    return ids;
  }
  const [a] = await sql<{ id: string; department_code: string | null }[]>`
    SELECT id, department_code FROM alerts WHERE workflow_id = ${source.alertWorkflowId} AND step = ${source.alertStep} AND kind = 'red_flag'`;
  if (!a) return [];
  return insertFor(sql, { notificationId: null, alertId: a.id, urgent: true, ...RED_FLAG_RECIPIENTS, departmentCode: a.department_code });
}

/** The recipients' rows (existing ones too, so a retry restarts nothing twice but misses none). */
async function insertFor(
  sql: Sql,
  r: { notificationId: string | null; alertId: string | null; urgent: boolean; roles: StaffRole[]; departmentCode: string | null; sameDepartment: boolean },
): Promise<{ id: string }[]> {
  if (r.sameDepartment && r.departmentCode === null) return [];
  const conflict = r.notificationId ? sql`(notification_id, user_id)` : sql`(alert_id, user_id)`;
  await sql`
    INSERT INTO staff_messages (notification_id, alert_id, user_id, urgent)
    SELECT ${r.notificationId}, ${r.alertId}, u.id, ${r.urgent}
    FROM users u
    WHERE u.active AND u.role = ANY(${r.roles}) AND (${!r.sameDepartment} OR u.department_code = ${r.departmentCode})
      AND ((u.phone IS NOT NULL AND u.phone <> '' AND u.notify_sms) OR (u.wechat_openid IS NOT NULL AND u.notify_wechat))
    ON CONFLICT ${conflict} DO NOTHING`;
  return r.notificationId
    ? sql<{ id: string }[]>`SELECT id FROM staff_messages WHERE notification_id = ${r.notificationId} AND status = 'queued'`
    : sql<{ id: string }[]>`SELECT id FROM staff_messages WHERE alert_id = ${r.alertId} AND status = 'queued'`;
}

interface StaffRow {
  id: string;
  status: string;
  urgent: boolean;
  phone: string | null;
  wechat_openid: string | null;
  notify_sms: boolean;
  notify_wechat: boolean;
  active: boolean;
  department_code: string | null;
  body: string;
}

const NO_CHANNELS: Channels = { smsFor: () => null, wechat: null, publicBaseUrl: '', linkSecret: '' };

export function createStaffMessageActivities({
  sql,
  channels = NO_CHANNELS,
  contactClock = REAL_CONTACT_CLOCK,
}: {
  sql: Sql;
  channels?: Channels;
  contactClock?: ContactClock;
}) {
  async function row(id: string): Promise<StaffRow | undefined> {
    const [r] = await sql<StaffRow[]>`
      SELECT s.id, s.status, s.urgent, u.phone, u.wechat_openid, u.notify_sms, u.notify_wechat, u.active,
             coalesce(n.department_code, a.department_code, u.department_code) AS department_code,
             coalesce(n.body, '红旗预警:' || p.name || ' · ' || coalesce(array_to_string(ARRAY(SELECT jsonb_array_elements_text(a.details->'questions')), '、'), '') || ',请尽快处理') AS body
      FROM staff_messages s JOIN users u ON u.id = s.user_id
      LEFT JOIN staff_notifications n ON n.id = s.notification_id
      LEFT JOIN alerts a ON a.id = s.alert_id
      LEFT JOIN follow_up_tasks t ON t.id = a.task_id
      LEFT JOIN patients p ON p.id = t.patient_id
      WHERE s.id = ${id}`;
    return r;
  }

  const smsAdapter = (r: StaffRow): MessageAdapter | null => (r.active && r.notify_sms && r.phone ? channels.smsFor(e164(r.phone)) : null);
  const wechatOk = (r: StaffRow) => r.active && r.notify_wechat && r.wechat_openid !== null && channels.wechat !== null;

  function target(channel: DeliveryChannel, r: StaffRow): { adapter: MessageAdapter; to: string } | null {
    if (channel === 'wechat') return wechatOk(r) ? { adapter: channels.wechat!, to: r.wechat_openid! } : null;
    const adapter = smsAdapter(r);
    return adapter ? { adapter, to: e164(r.phone!) } : null;
  }

  async function recordSent(deliveryKey: string, provider: string, providerMessageId: string): Promise<StaffDeliverResult> {
    await sql`
      UPDATE message_deliveries SET provider_message_id = ${providerMessageId}, status = 'sent', updated_at = now()
      WHERE delivery_key = ${deliveryKey} AND provider_message_id IS NULL`;
    // A final report that overtook the provider's answer waits in the receipts (see patient-contact deliveryReport).
    return takeEarlyReport(sql, deliveryKey, provider, providerMessageId);
  }

  return {
    async loadStaffDispatchFacts(input: { staffMessageId: string; failedChannels: DeliveryChannel[] }): Promise<StaffDispatchFacts> {
      const r = await row(input.staffMessageId);
      const [rules] = r
        ? await sql<{ quietStart: string; quietEnd: string; deliveryWaitSeconds: number }[]>`
            SELECT to_char(quiet_start, 'HH24:MI:SS') AS "quietStart", to_char(quiet_end, 'HH24:MI:SS') AS "quietEnd",
                   delivery_wait_seconds AS "deliveryWaitSeconds"
            FROM contact_rules WHERE department_code = ${r.department_code} OR department_code IS NULL
            ORDER BY department_code NULLS LAST LIMIT 1`
        : [];
      return {
        finished: !r || r.status !== 'queued',
        contact: {
          urgent: r?.urgent ?? false,
          sms: r ? smsAdapter(r) !== null : false,
          wechat: r ? wechatOk(r) : false,
          failedChannels: input.failedChannels,
        },
        rules: rules ?? { quietStart: DEFAULT_CONTACT_RULES.quietStart, quietEnd: DEFAULT_CONTACT_RULES.quietEnd, deliveryWaitSeconds: DEFAULT_CONTACT_RULES.deliveryWaitSeconds },
        clock: contactClock,
      };
    },

    async deliverStaffMessage(input: StaffDeliverInput): Promise<StaffDeliverResult> {
      const deliveryKey = `staff:${input.staffMessageId}:${input.tryNo}`;
      const r = await row(input.staffMessageId);
      if (!r) return { outcome: 'reconsider' };
      const [existing] = await sql<{ status: string; provider: string; provider_message_id: string | null; error: string | null }[]>`
        SELECT status, provider, provider_message_id, error FROM message_deliveries WHERE delivery_key = ${deliveryKey}`;
      if (existing?.provider_message_id) {
        if (existing.status === 'delivered' || existing.status === 'failed') return { outcome: 'sent', deliveryKey, report: existing.status };
        return recordSent(deliveryKey, existing.provider, existing.provider_message_id);
      }
      if (existing?.status === 'failed') return { outcome: 'failed', deliveryKey, error: existing.error ?? '' };
      if (existing) {
        // The try before stopped between the provider call and its record: never send twice.
        await sql`UPDATE message_deliveries SET status = 'unknown', updated_at = now() WHERE delivery_key = ${deliveryKey}`;
        return { outcome: 'sent', deliveryKey };
      }
      const t = target(input.channel, r);
      if (!t) return { outcome: 'reconsider' };
      await sql`
        INSERT INTO message_deliveries (delivery_key, staff_message_id, channel, provider, to_address)
        VALUES (${deliveryKey}, ${r.id}, ${input.channel}, ${t.adapter.provider}, ${t.to})`;
      await sql`UPDATE staff_messages SET sent_channel = ${input.channel} WHERE id = ${r.id}`;
      try {
        const statusCallbackUrl = t.adapter.provider === 'twilio' ? `${channels.publicBaseUrl}/api/webhooks/twilio/status` : undefined;
        const text = `【随访平台】${r.body}`;
        const { providerMessageId } = await t.adapter.send({
          to: t.to,
          text,
          kind: 'notice',
          params: { title: r.urgent ? '红旗预警' : '工作提醒', summary: r.body },
          link: `${channels.publicBaseUrl}/notifications`,
          statusCallbackUrl,
        });
        return await recordSent(deliveryKey, t.adapter.provider, providerMessageId);
      } catch (err) {
        if (err instanceof PermanentSendError) {
          const error = `${err.code}: ${err.message}`;
          await sql`UPDATE message_deliveries SET status = 'failed', error = ${error}, updated_at = now() WHERE delivery_key = ${deliveryKey}`;
          return { outcome: 'failed', deliveryKey, error };
        }
        throw err;
      }
    },

    async finishStaffMessage(input: { staffMessageId: string; status: 'delivered' | 'sent' | 'skipped' | 'failed'; reason?: string }): Promise<void> {
      await sql`
        UPDATE staff_messages SET status = ${input.status}, finished_reason = ${input.reason ?? null}, finished_at = now()
        WHERE id = ${input.staffMessageId} AND status = 'queued'`;
    },
  };
}

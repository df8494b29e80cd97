/**
 * Activities of the outbox dispatcher: what the contact rules need to know about a queued
 * message, the send itself (idempotent per message and try), the message's final state, and
 * handing a survey over to an agent's call list.
 *
 * A send writes its delivery row (key = message + try) before calling the provider, under a
 * per-patient lock that re-checks the rules (so two messages cannot both take the day's one
 * slot). A retry that finds the row without a provider ID lost its answer mid-call: it asks the
 * provider whether the message went out before sending again.
 */
import { fillTemplate } from '../../domain/message-template.js';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../../db/client.js';
import { surveyToken, tokenHash } from '../../db/survey-links.js';
import {
  DEFAULT_CONTACT_RULES,
  REAL_CONTACT_CLOCK,
  ageOn,
  countsAgainstCaps,
  decideContactOn,
  messageKind,
  type ContactClock,
  type ContactRules,
  type DeliveryChannel,
  type MessageKind,
} from '../../domain/contact-rules.js';
import { switchToPhoneSignal } from '../../workflows/follow-up/contracts.js';
import {
  outboxStart,
  type DeliverInput,
  type DeliverResult,
  type DispatchFacts,
  type FinishInput,
  type PhoneReason,
} from '../../workflows/outbox/contracts.js';
import { outboxDispatcherStart } from '../../workflows/outbox/dispatcher-contracts.js';
import { startOnce } from '../../workflows/shared/start.js';
import { takeEarlyReport } from './early-report.js';
import { createOutboxDispatcherActivities } from './outbox-dispatcher.js';
import { createCallActivities, type CallActivityDeps } from '../calls/ivr.js';
import { e164, type Channels } from './settings.js';
import { PermanentSendError, type MessageAdapter, type SendRequest } from './types.js';

interface MessageRow {
  id: string;
  workflow_id: string;
  step: string;
  body: string;
  status: string;
  patient_id: string;
  patient_name: string;
  phone: string | null;
  birth_date: string | null;
  opted_out: boolean;
  wechat_openid: string | null;
  department_code: string | null;
  procedure_name: string | null;
  attending_doctor: string | null;
  department_name: string | null;
  ticket_id: string | null;
}

const TASK_BODY = /^survey:([0-9a-f-]{36})$/;

/**
 * Hands the step's queued messages to the batch dispatcher of this task queue (once: a message it
 * owns already is left alone) and makes sure that dispatcher runs, from inside a queueing activity.
 * Messages queued before the batch dispatcher existed (marked 'legacy' by its migration) still get
 * their own outboxMessageWorkflow, whose start is idempotent. A worker without channels (no
 * provider configured) leaves messages queued.
 */
export async function startOutboxDispatch({ sql, channels }: { sql: Sql; channels?: Channels }, workflowId: string, steps: string[]): Promise<void> {
  if (steps.length === 0 || !channels) return;
  const { client, info } = Context.current();
  const rows = await sql<{ id: string; legacy: boolean }[]>`
    SELECT id, dispatch_stage = 'legacy' AS legacy FROM outbound_messages
    WHERE workflow_id = ${workflowId} AND step = ANY(${steps}) AND status = 'queued' AND (dispatch_stage IS NULL OR dispatch_stage = 'legacy')`;
  await handToOutboxDispatcher(sql, client, info.taskQueue, rows.filter((r) => !r.legacy).map((r) => r.id));
  for (const { id } of rows.filter((r) => r.legacy)) await startOnce(client, info.taskQueue, outboxStart({ messageId: id }));
}

/**
 * Queued messages become the task queue's batch dispatcher's, due now (a message that has an owner
 * already keeps it), and the dispatcher is started unless it runs.
 */
export async function handToOutboxDispatcher(sql: Sql, client: Client, taskQueue: string, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  const owned = await sql`
    UPDATE outbound_messages SET dispatch_queue = ${taskQueue}, dispatch_stage = 'due', dispatch_after = now()
    WHERE id = ANY(${messageIds}::uuid[]) AND status = 'queued' AND dispatch_stage IS NULL
    RETURNING id`;
  if (owned.length > 0) await ensureOutboxDispatcher(client, taskQueue);
}

/** When each task queue's dispatcher was last found running (by this process): asked again after a minute. */
const dispatcherSeen = new Map<string, number>();

/** Starts the task queue's batch dispatcher unless it runs (one start call a minute at most per queue). */
export async function ensureOutboxDispatcher(client: Client, taskQueue: string): Promise<void> {
  if (Date.now() - (dispatcherSeen.get(taskQueue) ?? 0) < 60_000) return;
  await startOnce(client, taskQueue, outboxDispatcherStart(taskQueue));
  dispatcherSeen.set(taskQueue, Date.now());
}

/** Without channels (a worker with no provider configured) nothing is dispatched: these then never run. */
const NO_CHANNELS: Channels = { smsFor: () => null, wechat: null, publicBaseUrl: '', linkSecret: '' };

export function createOutboxActivities({
  sql,
  channels = NO_CHANNELS,
  calls,
  contactClock = REAL_CONTACT_CLOCK,
}: {
  sql: Sql;
  channels?: Channels;
  calls?: CallActivityDeps['calls'];
  contactClock?: ContactClock;
}) {
  async function messageRow(db: Sql, messageId: string): Promise<MessageRow | undefined> {
    const [row] = await db<MessageRow[]>`
      SELECT m.id, m.workflow_id, m.step, m.body, m.status, m.patient_id, p.name AS patient_name, p.phone,
             to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.opted_out_at IS NOT NULL AS opted_out, p.wechat_openid,
             coalesce(e.department_code, t.department_code) AS department_code, e.procedure_name, e.attending_doctor,
             d.name AS department_name, t.id AS ticket_id
      FROM outbound_messages m
      JOIN patients p ON p.id = m.patient_id
      LEFT JOIN encounters e ON e.workflow_id = m.workflow_id
      LEFT JOIN tickets t ON 'ticket-' || t.number = m.workflow_id
      LEFT JOIN departments d ON d.code = coalesce(e.department_code, t.department_code)
      WHERE m.id = ${messageId}`;
    return row;
  }

  async function rulesFor(db: Sql, departmentCode: string | null): Promise<ContactRules> {
    const [r] = await db<(ContactRules & { department: boolean })[]>`
      SELECT to_char(quiet_start, 'HH24:MI:SS') AS "quietStart", to_char(quiet_end, 'HH24:MI:SS') AS "quietEnd",
             max_per_day AS "maxPerDay", max_per_week AS "maxPerWeek", sms_max_age AS "smsMaxAge",
             link_unanswered_seconds AS "linkUnansweredSeconds", delivery_wait_seconds AS "deliveryWaitSeconds",
             survey_link_ttl_seconds AS "surveyLinkTtlSeconds", department_code IS NOT NULL AS department
      FROM contact_rules WHERE department_code = ${departmentCode} OR department_code IS NULL
      ORDER BY department_code NULLS LAST LIMIT 1`;
    if (!r) return DEFAULT_CONTACT_RULES;
    const { department: _department, ...rules } = r;
    return rules;
  }

  const smsAdapter = (phone: string | null) => (phone ? channels.smsFor(e164(phone)) : null);

  async function factsOf(db: Sql, m: MessageRow, failedChannels: DeliveryChannel[]): Promise<DispatchFacts> {
    const kind = messageKind(m.step, m.body);
    const taskId = TASK_BODY.exec(m.body)?.[1] ?? null;
    const [sends, task, rules] = await Promise.all([
      db<{ step: string; body: string; sent_at: Date }[]>`
        SELECT step, body, sent_at FROM outbound_messages
        WHERE patient_id = ${m.patient_id} AND sent_at > now() - interval '7 days' AND id <> ${m.id}`,
      taskId
        ? db<{ open: boolean; started: boolean }[]>`
            SELECT t.status = 'open' AND t.channel <> 'phone' AS open,
                   EXISTS (SELECT 1 FROM survey_links l WHERE l.task_id = t.id AND l.opened_at IS NOT NULL)
                   OR EXISTS (SELECT 1 FROM patient_inbound_messages i WHERE i.task_id = t.id) AS started
            FROM follow_up_tasks t WHERE t.id = ${taskId}`.then((r) => r[0])
        : undefined,
      rulesFor(db, m.department_code),
    ]);
    return {
      finished: m.status !== 'queued',
      taskId,
      rules,
      clock: contactClock,
      contact: {
        kind,
        optedOut: m.opted_out,
        age: ageOn(m.birth_date, new Date()),
        hasPhone: smsAdapter(m.phone) !== null,
        wechatBound: m.wechat_openid !== null && channels.wechat !== null,
        failedChannels,
        recentAutomatedSends: sends.filter((s) => countsAgainstCaps(messageKind(s.step, s.body))).map((s) => s.sent_at),
        ...(taskId ? { taskOpen: task?.open ?? false, startedAnswering: task?.started ?? false } : {}),
      },
    };
  }

  /** The text and template parameters of a message; survey and rating messages get their link here. */
  async function render(m: MessageRow, kind: MessageKind, rules: ContactRules): Promise<Omit<SendRequest, 'to' | 'statusCallbackUrl'>> {
    const taskId = TASK_BODY.exec(m.body)?.[1];
    let link: string | undefined;
    if (taskId || (kind === 'rating_request' && m.ticket_id)) {
      const token = surveyToken(channels.linkSecret, m.id);
      link = `${channels.publicBaseUrl}/s/${token}`;
      await sql`
        INSERT INTO survey_links (token_hash, message_id, task_id, ticket_id, expires_at)
        VALUES (${tokenHash(token)}, ${m.id}, ${taskId ?? null}, ${taskId ? null : m.ticket_id},
                now() + make_interval(secs => ${rules.surveyLinkTtlSeconds}))
        ON CONFLICT (message_id) DO NOTHING`;
    }
    const days = Math.max(1, Math.round(rules.surveyLinkTtlSeconds / 86_400));
    // Messages queued before greetings were filled at queueing time still carry placeholders.
    const fill = (text: string) =>
      fillTemplate(text, { 姓名: m.patient_name, 科室: m.department_name, 手术: m.procedure_name, 医生: m.attending_doctor });
    const optOut = '回复TD退订';
    let text: string;
    if (taskId) text = `${m.patient_name}您好,出院后恢复得怎么样?请花一分钟填写随访问卷:${link} (${days}天内有效)。${optOut}`;
    else if (link) text = `${fill(m.body)} 也可点击 ${link} 评价。${optOut}`;
    else text = kind === 'greeting' ? `${fill(m.body)} ${optOut}` : fill(m.body);
    const title = { greeting: '出院关怀', survey: '随访问卷', survey_reminder: '随访问卷', appointment_reminder: '就诊提醒', rating_request: '处理结果', notice: '通知' }[kind];
    return { text, kind, link, params: { name: m.patient_name, title, summary: text, ...(link ? { link } : {}) } };
  }

  function adapterFor(channel: DeliveryChannel, m: MessageRow): { adapter: MessageAdapter; to: string } | null {
    if (channel === 'wechat') return channels.wechat && m.wechat_openid ? { adapter: channels.wechat, to: m.wechat_openid } : null;
    const adapter = smsAdapter(m.phone);
    return adapter && m.phone ? { adapter, to: e164(m.phone) } : null;
  }

  /** Stores the provider's ID; a final report that came before it (webhook_receipts) is taken now. */
  async function recordSent(deliveryKey: string, provider: string, providerMessageId: string): Promise<DeliverResult> {
    // The ID first, then the receipts (the webhook does the reverse, see deliveryReport).
    await sql`
      UPDATE message_deliveries SET provider_message_id = ${providerMessageId}, status = 'sent', updated_at = now()
      WHERE delivery_key = ${deliveryKey} AND provider_message_id IS NULL`;
    return takeEarlyReport(sql, deliveryKey, provider, providerMessageId);
  }

  async function recordFailed(deliveryKey: string, error: string): Promise<DeliverResult> {
    await sql`UPDATE message_deliveries SET status = 'failed', error = ${error}, updated_at = now() WHERE delivery_key = ${deliveryKey}`;
    return { outcome: 'failed', deliveryKey, error };
  }

  const perMessage = {
    async loadDispatchFacts(input: { messageId: string; failedChannels: DeliveryChannel[] }): Promise<DispatchFacts> {
      const m = await messageRow(sql, input.messageId);
      if (!m) return { finished: true, taskId: null, rules: DEFAULT_CONTACT_RULES, contact: { kind: 'notice', optedOut: false, age: null, hasPhone: false, wechatBound: false, failedChannels: [], recentAutomatedSends: [] } };
      return factsOf(sql, m, input.failedChannels);
    },

    async deliverMessage(input: DeliverInput): Promise<DeliverResult> {
      const deliveryKey = `${input.messageId}:${input.tryNo}`;
      const m = await messageRow(sql, input.messageId);
      if (!m) return { outcome: 'reconsider' };
      const [existing] = await sql<{ status: string; provider_message_id: string | null; error: string | null; created_at: Date }[]>`
        SELECT status, provider_message_id, error, created_at FROM message_deliveries WHERE delivery_key = ${deliveryKey}`;
      if (existing?.provider_message_id) {
        if (existing.status === 'delivered' || existing.status === 'failed') return { outcome: 'sent', deliveryKey, report: existing.status };
        // The try before stopped after storing the ID: a report that came meanwhile is still only a receipt.
        const [delivery] = await sql<{ provider: string }[]>`SELECT provider FROM message_deliveries WHERE delivery_key = ${deliveryKey}`;
        return takeEarlyReport(sql, deliveryKey, delivery!.provider, existing.provider_message_id);
      }
      if (existing?.status === 'failed') return { outcome: 'failed', deliveryKey, error: existing.error ?? '' };

      const target = adapterFor(input.channel, m);
      if (!target) {
        if (existing) return recordFailed(deliveryKey, 'channel no longer configured');
        return { outcome: 'reconsider' };
      }
      const rules = await rulesFor(sql, m.department_code);
      const content = await render(m, messageKind(m.step, m.body), rules);

      if (existing) {
        // An earlier try stopped between the provider call and its record: did the message go out?
        if (!target.adapter.findSent) {
          // Without a way to ask, not sending again is the safe side (never twice).
          await sql`UPDATE message_deliveries SET status = 'unknown', updated_at = now() WHERE delivery_key = ${deliveryKey}`;
          return { outcome: 'sent', deliveryKey };
        }
        const sid = await target.adapter.findSent(target.to, content.text, new Date(existing.created_at.getTime() - 60_000));
        if (sid) return recordSent(deliveryKey, target.adapter.provider, sid);
      } else {
        const claimed = await sql.begin(async (tx) => {
          await tx`SELECT pg_advisory_xact_lock(hashtextextended(${m.patient_id}, 7))`;
          const db = tx as unknown as Sql; // the same query interface, inside the transaction
          const fresh = await messageRow(db, m.id);
          if (!fresh) return false;
          const facts = await factsOf(db, fresh, input.failedChannels);
          if (facts.finished) return false;
          const decision = decideContactOn(contactClock, facts.contact, facts.rules, new Date());
          if (decision.action !== 'send' || decision.channel !== input.channel) return false;
          await tx`
            INSERT INTO message_deliveries (delivery_key, message_id, channel, provider, to_address)
            VALUES (${deliveryKey}, ${m.id}, ${input.channel}, ${target.adapter.provider}, ${target.to})`;
          // Counted against the caps from now on, whatever the provider says later.
          await tx`UPDATE outbound_messages SET sent_at = now(), sent_channel = ${input.channel} WHERE id = ${m.id}`;
          return true;
        });
        if (!claimed) return { outcome: 'reconsider' };
      }

      try {
        const statusCallbackUrl = target.adapter.provider === 'twilio' ? `${channels.publicBaseUrl}/api/webhooks/twilio/status` : undefined;
        const { providerMessageId } = await target.adapter.send({ ...content, to: target.to, statusCallbackUrl });
        return await recordSent(deliveryKey, target.adapter.provider, providerMessageId);
      } catch (err) {
        if (err instanceof PermanentSendError) return recordFailed(deliveryKey, `${err.code}: ${err.message}`);
        throw err; // transient: the activity retries with backoff
      }
    },

    async finishMessage(input: FinishInput): Promise<void> {
      await sql`
        UPDATE outbound_messages SET status = ${input.status}, finished_reason = ${input.reason ?? null}
        WHERE id = ${input.messageId} AND status = 'queued'`;
    },

    /** The survey goes to an agent: its follow-up moves the task to the call list (once; a finished task stays). */
    async requestPhoneContact(input: { messageId: string; reason: PhoneReason }): Promise<void> {
      const [task] = await sql<{ id: string; workflow_id: string }[]>`
        SELECT t.id, t.workflow_id FROM outbound_messages m
        JOIN follow_up_tasks t ON m.body = 'survey:' || t.id::text
        WHERE m.id = ${input.messageId} AND t.status = 'open' AND t.channel <> 'phone'`;
      if (!task) return;
      try {
        await Context.current().client.workflow.getHandle(task.workflow_id).signal(switchToPhoneSignal, { taskId: task.id, reason: input.reason });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    /** Moves an open survey task to the agents' call list (the follow-up workflow's projection). */
    async moveTaskToPhone(input: { taskId: string }): Promise<void> {
      await sql`
        UPDATE follow_up_tasks SET channel = 'phone', due_at = LEAST(due_at, now()), updated_at = now()
        WHERE id = ${input.taskId} AND status = 'open'`;
    },
  };
  // The batch dispatcher works through the same steps (see outbox-dispatcher.ts).
  // With telephony, an SMS link never opened gets the keypress survey call before an agent (issue 16).
  const { startIvrForUnansweredLink } = createCallActivities({ sql, ...(calls ? { calls } : {}) });
  return { ...perMessage, ...createOutboxDispatcherActivities({ sql }, calls ? { ...perMessage, startIvrForUnansweredLink } : perMessage) };
}

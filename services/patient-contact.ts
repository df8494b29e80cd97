/**
 * What comes back from patients through the channels, and the rules for it: provider delivery
 * reports (to the message's dispatcher), inbound SMS (1–5 answers or rates, 退订/TD/STOP opts
 * out, anything else is kept for the agent), WeChat binding by QR scene, and opt-out / opt-in,
 * which belong to the patient across every encounter.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { isOptOutKeyword, ratingReply } from '../domain/contact-rules.js';
import { canViewPatient, speaksWithPatients, type Principal } from '../domain/access.js';
import type { Question } from '../domain/questions.js';
import { rateTicketSignal, ticketWorkflowId } from '../workflows/feedback-ticket/contracts.js';
import { cancelFollowUpSignal, surveyAnsweredSignal } from '../workflows/follow-up/contracts.js';
import { deliveryReportSignal, outboxWorkflowId, recheckSignal, type DeliveryReport } from '../workflows/outbox/contracts.js';
import { staffDeliveryReportSignal, staffMessageWorkflowId, type StaffDeliveryReport } from '../workflows/staff-notify/contracts.js';
import type { AuditService, RequestMeta } from './audit.js';
import { patientAccessFacts } from './patients.js';
import { forbidden, notFound } from './errors.js';

export type InboundHandling = 'answer' | 'rating' | 'opt_out' | 'opt_in' | 'message' | 'unknown_sender' | 'duplicate';

/** Signals a workflow that may have finished meanwhile (then there is nobody left to tell). */
async function signalIfRunning(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** The stored forms of a number we may be written from: +8613812341234 is stored as 13812341234. */
const storedPhones = (from: string) => [from, from.replace(/^\+86/, ''), from.replace(/^\+/, '00')];

export function createPatientContactService({ sql, temporal, audit }: { sql: Sql; temporal: Client; audit: AuditService }) {
  /** Stops everything automated for the patient: queued messages, open follow-ups of every encounter. */
  async function optOut(patientId: string, via: string): Promise<void> {
    const [changed] = await sql<{ id: string }[]>`
      UPDATE patients SET opted_out_at = now(), opted_out_via = ${via} WHERE id = ${patientId} AND opted_out_at IS NULL RETURNING id`;
    // The batch dispatcher sees the cancellation in the row; a message's own dispatcher (queued before it) is told.
    const queued = await sql<{ id: string; batch: boolean }[]>`
      UPDATE outbound_messages SET status = 'cancelled', finished_reason = 'opted_out',
             dispatch_after = CASE WHEN dispatch_stage = 'due' THEN now() ELSE dispatch_after END
      WHERE patient_id = ${patientId} AND status = 'queued' RETURNING id, dispatch_queue IS NOT NULL AS batch`;
    for (const { id } of queued.filter((m) => !m.batch)) await signalIfRunning(() => temporal.workflow.getHandle(outboxWorkflowId(id)).signal(recheckSignal));
    if (!changed) return;
    const followUps = await sql<{ workflow_id: string }[]>`
      SELECT DISTINCT t.workflow_id FROM follow_up_tasks t WHERE t.patient_id = ${patientId} AND t.status = 'open'
      UNION SELECT e.workflow_id FROM encounters e
      WHERE e.patient_id = ${patientId} AND NOT EXISTS (SELECT 1 FROM follow_up_events f WHERE f.workflow_id = e.workflow_id AND f.step = 'closed')`;
    for (const { workflow_id } of followUps) {
      await signalIfRunning(() => temporal.workflow.getHandle(workflow_id).signal(cancelFollowUpSignal, { reason: 'opt_out' }));
    }
  }

  /** A 1–5 reply: the answer to an open one-question survey, else the rating of a resolved ticket. */
  async function applyDigit(patientId: string, digit: number): Promise<{ handledAs: 'answer' | 'rating'; taskId?: string; ticketId?: string } | null> {
    const [survey] = await sql<{ task_id: string; workflow_id: string; questions: Question[] }[]>`
      SELECT t.id AS task_id, t.workflow_id, q.questions
      FROM outbound_messages m
      JOIN follow_up_tasks t ON m.body = 'survey:' || t.id::text
      JOIN question_templates q ON q.id = t.template_id
      WHERE m.patient_id = ${patientId} AND m.sent_at IS NOT NULL AND t.status = 'open'
      ORDER BY m.sent_at DESC LIMIT 1`;
    const only = survey?.questions.length === 1 ? survey.questions[0] : undefined;
    if (survey && only?.type === 'rating') {
      await temporal.workflow
        .getHandle(survey.workflow_id)
        .signal(surveyAnsweredSignal, { taskId: survey.task_id, outcome: 'completed', answers: { [only.id]: digit }, note: '患者短信回复' });
      return { handledAs: 'answer', taskId: survey.task_id };
    }
    const [ticket] = await sql<{ id: string; number: string }[]>`
      SELECT id, number FROM tickets WHERE patient_id = ${patientId} AND status = 'resolved' ORDER BY resolved_at DESC LIMIT 1`;
    if (ticket) {
      await temporal.workflow.getHandle(ticketWorkflowId(ticket.number)).signal(rateTicketSignal, { rating: digit, via: 'patient' });
      return { handledAs: 'rating', ticketId: ticket.id };
    }
    return null;
  }

  /** The same rule as the patient page: an agent changes only the patients they are responsible for. */
  async function requireVisible(principal: Principal, patientId: string): Promise<void> {
    const facts = await patientAccessFacts(sql, patientId);
    if (!facts) throw notFound('患者不存在');
    if (!canViewPatient(principal, facts)) throw forbidden('该患者不在您负责的随访任务中');
  }

  return {
    optOut,

    /** An agent or the patient page opts the patient back in (the patient asked for it). */
    async optIn(principal: Principal, patientId: string, meta: RequestMeta = {}): Promise<void> {
      if (!speaksWithPatients(principal.role)) throw forbidden('只有客服或管理员可以恢复联系');
      await requireVisible(principal, patientId);
      const [p] = await sql<{ id: string }[]>`UPDATE patients SET opted_out_at = NULL, opted_out_via = NULL WHERE id = ${patientId} RETURNING id`;
      if (!p) throw notFound('患者不存在');
      await audit.record({ actor: principal, action: 'patient.opt_in', entityType: 'patient', entityId: patientId, patientId }, meta);
    },

    /** An agent records that the patient asked not to be contacted. */
    async optOutByAgent(principal: Principal, patientId: string, meta: RequestMeta = {}): Promise<void> {
      if (!speaksWithPatients(principal.role)) throw forbidden('只有客服或管理员可以登记退订');
      await requireVisible(principal, patientId);
      const [p] = await sql<{ id: string }[]>`SELECT id FROM patients WHERE id = ${patientId}`;
      if (!p) throw notFound('患者不存在');
      await optOut(patientId, 'agent');
      await audit.record({ actor: principal, action: 'patient.opt_out', entityType: 'patient', entityId: patientId, patientId }, meta);
    },

    /**
     * A provider's delivery report for one of our messages. Unknown IDs are logged and accepted
     * (providers retry anything but 2xx); each (message, status) takes effect once.
     */
    async deliveryReport(input: { provider: string; providerMessageId: string; status: 'sent' | 'delivered' | 'failed'; error?: string }): Promise<'applied' | 'duplicate' | 'unknown'> {
      // Receipt first, then the lookup; deliverMessage stores the ID first, then reads the receipts:
      // whichever comes second sees the other, so a report overtaking the send's answer is never lost.
      const [fresh] = await sql`
        INSERT INTO webhook_receipts (provider, event_id) VALUES (${input.provider}, ${`${input.providerMessageId}:${input.status}`})
        ON CONFLICT DO NOTHING RETURNING event_id`;
      const [delivery] = await sql<{ delivery_key: string; message_id: string | null; staff_message_id: string | null }[]>`
        SELECT delivery_key, message_id, staff_message_id FROM message_deliveries WHERE provider = ${input.provider} AND provider_message_id = ${input.providerMessageId}`;
      if (!delivery) {
        // Kept all the same: a report can overtake the provider's answer to our own send, whose
        // activity then finds it here (see deliverMessage).
        if (input.status !== 'sent') console.warn(`[webhooks] ${input.provider} report for unknown message ${input.providerMessageId} (${input.status})`);
        return 'unknown';
      }
      if (!fresh) return 'duplicate';
      try {
        await sql`
          UPDATE message_deliveries SET status = ${input.status}, error = ${input.error ?? null}, updated_at = now()
          WHERE delivery_key = ${delivery.delivery_key} AND status NOT IN ('delivered', 'failed')`;
        if (input.status !== 'sent' && delivery.message_id) {
          // The batch dispatcher waiting for this report takes it up now; a message's own dispatcher gets a signal.
          const [batch] = await sql`
            UPDATE outbound_messages SET dispatch_after = CASE WHEN dispatch_stage = 'awaiting_report' THEN now() ELSE dispatch_after END
            WHERE id = ${delivery.message_id} AND dispatch_queue IS NOT NULL RETURNING id`;
          const report: DeliveryReport = { deliveryKey: delivery.delivery_key, status: input.status, ...(input.error ? { error: input.error } : {}) };
          if (!batch) await signalIfRunning(() => temporal.workflow.getHandle(outboxWorkflowId(delivery.message_id!)).signal(deliveryReportSignal, report));
        }
        if (input.status !== 'sent' && delivery.staff_message_id) {
          const report: StaffDeliveryReport = { deliveryKey: delivery.delivery_key, status: input.status, ...(input.error ? { error: input.error } : {}) };
          await signalIfRunning(() => temporal.workflow.getHandle(staffMessageWorkflowId(delivery.staff_message_id!)).signal(staffDeliveryReportSignal, report));
        }
      } catch (err) {
        // Not taken: the provider's retry must find it new again.
        await sql`DELETE FROM webhook_receipts WHERE provider = ${input.provider} AND event_id = ${`${input.providerMessageId}:${input.status}`}`;
        throw err;
      }
      return 'applied';
    },

    /** A patient's text (SMS reply, WeChat message): answer, rating, opt-out, or a message for the agent. */
    async inbound(input: { provider: string; providerMessageId: string; from: string; body: string; patientId?: string }): Promise<InboundHandling> {
      const [patient] = input.patientId
        ? [{ id: input.patientId }]
        : await sql<{ id: string }[]>`SELECT id FROM patients WHERE phone = ANY(${storedPhones(input.from)}) ORDER BY updated_at DESC LIMIT 1`;
      const [inserted] = await sql<{ id: string }[]>`
        INSERT INTO patient_inbound_messages (provider, provider_message_id, patient_id, from_address, body, handled_as)
        VALUES (${input.provider}, ${input.providerMessageId}, ${patient?.id ?? null}, ${input.from}, ${input.body}, 'message')
        ON CONFLICT (provider, provider_message_id) DO NOTHING RETURNING id`;
      if (!inserted) return 'duplicate';
      try {
        let handledAs: InboundHandling = 'message';
        let taskId: string | null = null;
        let ticketId: string | null = null;
        if (!patient) {
          console.warn(`[webhooks] ${input.provider} message from unknown sender`);
          handledAs = 'unknown_sender';
        } else if (isOptOutKeyword(input.body)) {
          await optOut(patient.id, input.provider === 'wechat' ? 'wechat' : 'sms');
          handledAs = 'opt_out';
        } else {
          const digit = ratingReply(input.body);
          const applied = digit === null ? null : await applyDigit(patient.id, digit);
          if (applied) {
            handledAs = applied.handledAs;
            taskId = applied.taskId ?? null;
            ticketId = applied.ticketId ?? null;
          } else {
            // Kept for the agent: on the patient's open task (else their latest one).
            const [task] = await sql<{ id: string }[]>`
              SELECT id FROM follow_up_tasks WHERE patient_id = ${patient.id} ORDER BY (status = 'open') DESC, due_at DESC LIMIT 1`;
            taskId = task?.id ?? null;
          }
        }
        await sql`UPDATE patient_inbound_messages SET handled_as = ${handledAs}, task_id = ${taskId}, ticket_id = ${ticketId} WHERE id = ${inserted.id}`;
        return handledAs;
      } catch (err) {
        await sql`DELETE FROM patient_inbound_messages WHERE id = ${inserted.id}`;
        throw err;
      }
    },

    /** The patient scanned a binding QR code (subscribe with qrscene_<scene>, or SCAN): the openid reaches them on WeChat from now on. */
    async bindWechat(input: { openid: string; scene: string }): Promise<boolean> {
      const [scene] = await sql<{ patient_id: string }[]>`SELECT patient_id FROM wechat_bind_scenes WHERE scene = ${input.scene}`;
      if (!scene) {
        console.warn('[webhooks] wechat scan of an unknown scene');
        return false;
      }
      await sql.begin(async (tx) => {
        // One openid, one patient: a re-scan by another patient's phone moves the binding.
        await tx`UPDATE patients SET wechat_openid = NULL, wechat_bound_at = NULL WHERE wechat_openid = ${input.openid} AND id <> ${scene.patient_id}`;
        await tx`UPDATE patients SET wechat_openid = ${input.openid}, wechat_bound_at = now() WHERE id = ${scene.patient_id}`;
        await tx`UPDATE wechat_bind_scenes SET bound_at = now() WHERE scene = ${input.scene}`;
      });
      return true;
    },

    /** Unfollowing the Official Account is the patient's opt-out on WeChat. */
    async wechatUnsubscribed(openid: string): Promise<void> {
      const [p] = await sql<{ id: string }[]>`UPDATE patients SET wechat_openid = NULL WHERE wechat_openid = ${openid} RETURNING id`;
      if (p) await optOut(p.id, 'wechat');
    },

    /** The patient of a WeChat openid, if bound. */
    async patientOfOpenid(openid: string): Promise<string | null> {
      const [p] = await sql<{ id: string }[]>`SELECT id FROM patients WHERE wechat_openid = ${openid}`;
      return p?.id ?? null;
    },
  };
}

export type PatientContactService = ReturnType<typeof createPatientContactService>;

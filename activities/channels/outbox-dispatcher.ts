/**
 * The batch outbox dispatcher's activity (`dispatchOutbox`, run by outboxDispatcherWorkflow): for
 * a few minutes at a time it claims the messages of its task queue that are due, a batch at a
 * time (`FOR UPDATE SKIP LOCKED`, a lease pushed onto `dispatch_after`), and takes each one step
 * further, with bounded concurrency:
 *
 *   due             → the contact rules decide: wait (due again then), skip, hand to a call, or
 *                     send (deliverMessage: the try's row is written before the provider call, so
 *                     a send interrupted by a crash is looked up at the provider, never repeated)
 *   awaiting_report → the provider's report (the webhook makes it due at once) or the rule's wait:
 *                     failed falls back to the next channel, otherwise the message is finished
 *   awaiting_answer → a survey link still unanswered after the rule's limit: an agent calls
 *
 * These are the per-message workflow's steps (workflows/outbox/workflow.ts) with its state kept in
 * the message row. Each message is worked on under a session advisory lock held on one connection
 * of this activity: a second dispatcher (an abandoned attempt still running after its heartbeat
 * timed out) skips it; a worker that dies drops the connection and with it the locks.
 */
import { Context } from '@temporalio/activity';
import type { Sql } from '../../db/client.js';
import { REAL_CONTACT_CLOCK, decideContactOn, type DeliveryChannel } from '../../domain/contact-rules.js';
import type { DispatchOutboxInput, DispatchOutboxResult } from '../../workflows/outbox/dispatcher-contracts.js';
import type { DeliverInput, DeliverResult, DispatchFacts, FinishInput, PhoneReason } from '../../workflows/outbox/contracts.js';
import { IVR_ANSWER_WAIT_SECONDS } from '../../domain/voice.js';
import type { IvrStepOutcome } from '../calls/ivr.js';

/** The per-message dispatcher's activities (outbox.ts), which the batch dispatcher calls as functions. */
interface Outbox {
  loadDispatchFacts(input: { messageId: string; failedChannels: DeliveryChannel[] }): Promise<DispatchFacts>;
  deliverMessage(input: DeliverInput): Promise<DeliverResult>;
  finishMessage(input: FinishInput): Promise<void>;
  requestPhoneContact(input: { messageId: string; reason: PhoneReason }): Promise<void>;
  /** The keypress survey call for an SMS link never opened (activities/calls/ivr.ts), before an agent calls. */
  startIvrForUnansweredLink?(input: { messageId: string }): Promise<IvrStepOutcome>;
}

/** Messages worked on at once (each is a few queries and one provider call; the worker's pool has 10 connections). */
const CONCURRENCY = 24;
/** A claimed message is not claimed again before this (a crashed dispatcher's messages fall due again after it). */
const LEASE_SECONDS = 30;
/** Polling for newly due messages while nothing is in hand. */
const IDLE_POLL_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A follow-up survey's message (its body names the task): after sending it waits for the answer. */
const SURVEY_BODY = /^survey:[0-9a-f-]{36}$/;

type Stage = 'due' | 'awaiting_report' | 'awaiting_answer' | 'done';

export function createOutboxDispatcherActivities({ sql }: { sql: Sql }, outbox: Outbox) {
  /** Where the message stands after a step: its next stage and when to look again (null: never). */
  async function setStage(messageId: string, stage: Stage, afterSeconds: number | null): Promise<void> {
    await sql`
      UPDATE outbound_messages SET dispatch_stage = ${stage}, dispatch_errors = 0,
             dispatch_after = CASE WHEN ${afterSeconds}::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => ${afterSeconds}::float8) END
      WHERE id = ${messageId}`;
  }

  /** Sent: a survey waits for its answer (an agent calls if none comes), anything else is done. */
  async function afterSent(messageId: string, facts: DispatchFacts): Promise<void> {
    const survey = facts.contact.kind === 'survey' || facts.contact.kind === 'survey_reminder';
    if (survey && facts.taskId) await setStage(messageId, 'awaiting_answer', facts.rules.linkUnansweredSeconds);
    else await setStage(messageId, 'done', null);
  }

  /** The message's tries so far, oldest first (one row per try, keyed message:try). */
  const triesOf = (messageId: string) =>
    sql<{ delivery_key: string; channel: DeliveryChannel; status: string }[]>`
      SELECT delivery_key, channel, status FROM message_deliveries WHERE message_id = ${messageId}
      ORDER BY split_part(delivery_key, ':', 2)::int`;

  /** One step of one message (under its lock). */
  async function step(messageId: string, stage: Stage): Promise<void> {
    if (stage === 'awaiting_answer') {
      if (outbox.startIvrForUnansweredLink) {
        // The automated keypress survey call first (once per task; quiet hours and caps make it wait),
        // then an agent if the task is still open a while after that call.
        const ivr = await outbox.startIvrForUnansweredLink({ messageId });
        const now = Date.now();
        if (ivr.placed) {
          const left = (new Date(ivr.placedAt).getTime() + IVR_ANSWER_WAIT_SECONDS * 1000 - now) / 1000;
          if (left > 0) return setStage(messageId, 'awaiting_answer', left);
        } else if (ivr.retryAt) {
          return setStage(messageId, 'awaiting_answer', Math.max(1, (new Date(ivr.retryAt).getTime() - now) / 1000));
        }
      }
      await outbox.requestPhoneContact({ messageId, reason: 'unanswered' });
      return setStage(messageId, 'done', null);
    }
    if (stage === 'awaiting_report') {
      // The last try's report: delivered, or no news within the rule's wait (that counts as sent), or failed.
      const [m] = await sql<{ body: string; last: string | null }[]>`
        SELECT m.body, (SELECT d.status FROM message_deliveries d WHERE d.message_id = m.id
                        ORDER BY split_part(d.delivery_key, ':', 2)::int DESC LIMIT 1) AS last
        FROM outbound_messages m WHERE m.id = ${messageId}`;
      if (!m) return;
      if (m.last && m.last !== 'failed') {
        const status = m.last === 'delivered' ? 'delivered' : 'sent';
        if (SURVEY_BODY.test(m.body)) {
          await outbox.finishMessage({ messageId, status });
          return afterSent(messageId, await outbox.loadDispatchFacts({ messageId, failedChannels: [] }));
        }
        // Finished and done in one statement (finishMessage's rule: only a message still queued changes status).
        await sql`
          UPDATE outbound_messages SET status = CASE WHEN status = 'queued' THEN ${status} ELSE status END,
                 dispatch_stage = 'done', dispatch_after = NULL, dispatch_errors = 0
          WHERE id = ${messageId}`;
        return;
      }
      // Reported failed: the next channel.
    }
    let tries = await triesOf(messageId);
    // Decide and send; a failed try falls back to the next channel at once (as the workflow loops).
    for (let round = 0; round < 5; round++) {
      const failed = tries.filter((t) => t.status === 'failed').map((t) => t.channel);
      const facts = await outbox.loadDispatchFacts({ messageId, failedChannels: failed });
      if (facts.finished) return setStage(messageId, 'done', null);
      const now = new Date();
      const contact = { ...facts.contact, recentAutomatedSends: facts.contact.recentAutomatedSends.map((d) => new Date(d)) };
      const decision = decideContactOn(facts.clock ?? REAL_CONTACT_CLOCK, contact, facts.rules, now);
      if (decision.action === 'wait') return setStage(messageId, 'due', Math.max(1, (decision.until.getTime() - now.getTime()) / 1000));
      if (decision.action === 'skip') {
        await outbox.finishMessage({ messageId, status: decision.reason === 'opted_out' ? 'cancelled' : 'skipped', reason: decision.reason });
        return setStage(messageId, 'done', null);
      }
      if (decision.action === 'phone') {
        await outbox.finishMessage({ messageId, status: 'skipped', reason: `phone:${decision.reason}` });
        await outbox.requestPhoneContact({ messageId, reason: decision.reason });
        return setStage(messageId, 'done', null);
      }
      // A try left unfinished (the dispatcher died between writing it and storing the provider's
      // answer) is finished on its own channel: deliverMessage asks the provider before sending.
      const last = tries.at(-1);
      const resume = last && last.status !== 'failed' ? last : undefined;
      const tryNo = resume ? tries.length : tries.length + 1;
      const result = await outbox.deliverMessage({ messageId, channel: resume?.channel ?? decision.channel, tryNo, failedChannels: failed });
      if (result.outcome === 'sent' && result.report !== 'failed') {
        if (result.report === 'delivered') {
          await outbox.finishMessage({ messageId, status: 'delivered' });
          return afterSent(messageId, facts);
        }
        // Wait for the report; one that came while we were busy makes it due at once (the webhook
        // marks it due only in this stage, so it is read here, in the same statement).
        await sql`
          UPDATE outbound_messages SET dispatch_stage = 'awaiting_report', dispatch_errors = 0,
                 dispatch_after = CASE WHEN EXISTS (SELECT 1 FROM message_deliveries WHERE delivery_key = ${result.deliveryKey} AND status IN ('delivered', 'failed'))
                                  THEN now() ELSE now() + make_interval(secs => ${facts.rules.deliveryWaitSeconds}) END
          WHERE id = ${messageId}`;
        return;
      }
      // Failed (refused, or reported failed already), or the rules said otherwise under the patient's lock: decide again.
      tries = await triesOf(messageId);
    }
    // Still undecided after several rounds (the patient's other messages keep taking the slot): look again shortly.
    return setStage(messageId, 'due', 5);
  }

  return {
    /**
     * Works the queue's due messages for `forSeconds`, then returns. Heartbeats all along; on
     * cancellation (worker shutting down) it stops claiming and lets what it holds finish.
     */
    async dispatchOutbox({ queue, forSeconds }: DispatchOutboxInput): Promise<DispatchOutboxResult> {
      const ctx = Context.current();
      const until = Date.now() + forSeconds * 1000;
      const locks = await sql.reserve();
      const inHand = new Map<string, Promise<void>>();
      let handled = 0;
      let stopping = false;
      ctx.cancelled.catch(() => void (stopping = true));

      const work = async (id: string, stage: Stage) => {
        const key = `outbox-message:${id}`;
        const [lock] = await locks<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(hashtextextended(${key}, 11)) AS ok`;
        if (!lock?.ok) return; // another dispatcher has it in hand
        try {
          await step(id, stage);
          handled++;
        } catch (err) {
          console.warn(`[outbox] message ${id} (${stage}) failed, retried with backoff: ${err instanceof Error ? err.message : String(err)}`);
          // Transient (provider down, database hiccup): backs off as the per-message workflow's send did, 2 s doubling to 5 min.
          await sql`
            UPDATE outbound_messages SET dispatch_errors = dispatch_errors + 1,
                   dispatch_after = now() + make_interval(secs => least(300, 2 * power(2, least(dispatch_errors, 8))))
            WHERE id = ${id}`.catch(() => {}); // the lease makes it due again anyway
        } finally {
          await locks`SELECT pg_advisory_unlock(hashtextextended(${key}, 11))`;
        }
      };

      try {
        while (!stopping && Date.now() < until) {
          ctx.heartbeat({ handled });
          // Claim when half the lanes are free, enough to fill them all.
          const room = CONCURRENCY - inHand.size;
          let claimed: { id: string; stage: Stage }[] = [];
          if (room >= CONCURRENCY / 2) {
            claimed = await sql<{ id: string; stage: Stage }[]>`
              UPDATE outbound_messages m SET dispatch_after = now() + make_interval(secs => ${LEASE_SECONDS})
              WHERE m.id IN (
                SELECT id FROM outbound_messages
                WHERE dispatch_queue = ${queue} AND dispatch_after <= now() AND NOT (id = ANY(${[...inHand.keys()]}::uuid[]))
                ORDER BY dispatch_after LIMIT ${room} FOR UPDATE SKIP LOCKED)
              RETURNING m.id, m.dispatch_stage AS stage`;
          }
          for (const { id, stage } of claimed) {
            inHand.set(id, work(id, stage).finally(() => inHand.delete(id)));
          }
          // Nothing due: look again after a moment (or when a message in hand is done). Otherwise let
          // the lanes work until half of them are free for the next batch.
          if (claimed.length === 0) await Promise.race([sleep(IDLE_POLL_MS), ...inHand.values()]);
          else while (inHand.size > CONCURRENCY / 2) await Promise.race(inHand.values());
        }
        await Promise.all(inHand.values());
      } finally {
        await Promise.allSettled(inHand.values());
        locks.release();
      }
      return { handled };
    },
  };
}

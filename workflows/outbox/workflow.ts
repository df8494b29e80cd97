/**
 * outboxMessageWorkflow: delivers one queued patient message (ID `outbox-<message id>`).
 *
 * Asks the contact rules (domain/contact-rules.ts) what to do now: wait (quiet hours, caps),
 * skip (opted out, task closed, already answering), hand a survey to an agent's call list, or
 * send on a channel (WeChat if bound, else SMS). A delivery the provider reports failed falls
 * back to the next channel. A survey link still unanswered after the rule's limit becomes a
 * phone task; sent by SMS and never opened, an automated keypress survey call (IVR) comes first
 * when telephony is on. Each send is an idempotent activity (see activities/channels/outbox.ts).
 */
import { condition, patched, proxyActivities, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import { REAL_CONTACT_CLOCK, decideContactOn, type DeliveryChannel } from '../../domain/contact-rules.js';
import { IVR_ANSWER_WAIT_SECONDS } from '../../domain/voice.js';
import { deliveryReportSignal, getOutboxStateQuery, recheckSignal, type DeliveryReport, type OutboxInput, type OutboxState } from './contracts.js';

// Reading the facts and closing the row are millisecond database steps: local activities, run
// inside the workflow task instead of a task round trip each (bench:dispatch).
const db = proxyLocalActivities<Activities>(ACTIVITY_TIMEOUTS.localDatabase);
const signals = proxyActivities<Activities>(ACTIVITY_TIMEOUTS.database);
const provider = proxyActivities<Activities>(ACTIVITY_TIMEOUTS.provider);

export async function outboxMessageWorkflow({ messageId }: OutboxInput): Promise<OutboxState> {
  const state: OutboxState = { messageId, decisions: [] };
  const reports = new Map<string, DeliveryReport>();
  let recheck = false;
  setHandler(getOutboxStateQuery, () => state);
  setHandler(deliveryReportSignal, (report) => void reports.set(report.deliveryKey, report));
  setHandler(recheckSignal, () => void (recheck = true));

  const failed: DeliveryChannel[] = [];
  let surveyTask: string | null;
  let linkWaitSeconds: number;
  for (;;) {
    const facts = await db.loadDispatchFacts({ messageId, failedChannels: failed });
    if (facts.finished) return state;
    const now = new Date(Date.now());
    // Activity results arrive as JSON: the send times are strings again.
    const contact = { ...facts.contact, recentAutomatedSends: facts.contact.recentAutomatedSends.map((d) => new Date(d)) };
    // The contact clock comes with the facts (an activity result): histories from before it have none, the real day.
    const decision = decideContactOn(facts.clock ?? REAL_CONTACT_CLOCK, contact, facts.rules, now);
    state.decisions.push({ at: now.toISOString(), decision });
    if (decision.action === 'wait') {
      recheck = false;
      await condition(() => recheck, Math.max(1000, decision.until.getTime() - Date.now()));
      continue;
    }
    if (decision.action === 'skip') {
      const status = decision.reason === 'opted_out' ? 'cancelled' : 'skipped';
      await db.finishMessage({ messageId, status, reason: decision.reason });
      state.outcome = status;
      return state;
    }
    if (decision.action === 'phone') {
      await db.finishMessage({ messageId, status: 'skipped', reason: `phone:${decision.reason}` });
      await signals.requestPhoneContact({ messageId, reason: decision.reason });
      state.outcome = 'phone';
      return state;
    }
    const result = await provider.deliverMessage({ messageId, channel: decision.channel, tryNo: failed.length + 1, failedChannels: failed });
    if (result.outcome === 'reconsider') continue;
    if (result.outcome === 'failed') {
      failed.push(decision.channel);
      continue;
    }
    // Sent: the provider's final report (or none within the wait: no news counts as delivered).
    if (result.report) reports.set(result.deliveryKey, { deliveryKey: result.deliveryKey, status: result.report });
    const reported = await condition(() => reports.has(result.deliveryKey), facts.rules.deliveryWaitSeconds * 1000);
    const report = reports.get(result.deliveryKey);
    if (report?.status === 'failed') {
      failed.push(decision.channel);
      continue;
    }
    await db.finishMessage({ messageId, status: reported ? 'delivered' : 'sent' });
    state.outcome = reported ? 'delivered' : 'sent';
    surveyTask = facts.contact.kind === 'survey' || facts.contact.kind === 'survey_reminder' ? facts.taskId : null;
    linkWaitSeconds = facts.rules.linkUnansweredSeconds;
    break;
  }
  if (surveyTask) {
    // The link's answer completes the task by itself; still open after the limit, an agent calls.
    await sleep(linkWaitSeconds * 1000);
    if (patched('ivr-before-phone-task')) {
      // An SMS link never opened (the patient has no WeChat): the keypress survey call first, under
      // the same contact rules (quiet hours and caps make it wait, at most twice). A keypress
      // completes the task, "0" hands it to the agents; otherwise an agent calls after a while.
      for (let tries = 0; tries < 3; tries++) {
        const ivr = await signals.startIvrForUnansweredLink({ messageId });
        if (ivr.placed) {
          state.ivrCallId = ivr.callId;
          await sleep(Math.min(linkWaitSeconds, IVR_ANSWER_WAIT_SECONDS) * 1000);
          break;
        }
        if (!ivr.retryAt || tries === 2) break;
        await sleep(Math.max(1000, new Date(ivr.retryAt).getTime() - Date.now()));
      }
    }
    await signals.requestPhoneContact({ messageId, reason: 'unanswered' });
  }
  return state;
}

/**
 * staffMessageWorkflow: delivers one staff notification (or red-flag alert) to one staff member's
 * phone (ID `staff-message-<id>`), beside the portal list that always has it.
 *
 * Asks domain/staff-contact.ts what to do now: wait out the quiet hours (ordinary notices only),
 * skip (no channel configured or wanted), or send on WeChat / SMS. The send is an idempotent
 * activity (delivery row keyed by message + try, written before the provider call, as for patient
 * messages); a delivery the provider reports failed falls back to the other channel.
 */
import { condition, proxyActivities, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import { REAL_CONTACT_CLOCK, type DeliveryChannel } from '../../domain/contact-rules.js';
import { decideStaffContactOn } from '../../domain/staff-contact.js';
import {
  getStaffMessageStateQuery,
  staffDeliveryReportSignal,
  type StaffDeliveryReport,
  type StaffMessageInput,
  type StaffMessageState,
} from './contracts.js';

const db = proxyLocalActivities<Activities>(ACTIVITY_TIMEOUTS.localDatabase);
const provider = proxyActivities<Activities>(ACTIVITY_TIMEOUTS.provider);

export async function staffMessageWorkflow({ staffMessageId }: StaffMessageInput): Promise<StaffMessageState> {
  const state: StaffMessageState = { staffMessageId, decisions: [] };
  const reports = new Map<string, StaffDeliveryReport>();
  setHandler(getStaffMessageStateQuery, () => state);
  setHandler(staffDeliveryReportSignal, (report) => void reports.set(report.deliveryKey, report));

  const failed: DeliveryChannel[] = [];
  for (;;) {
    const facts = await db.loadStaffDispatchFacts({ staffMessageId, failedChannels: failed });
    if (facts.finished) return state;
    const now = new Date(Date.now());
    // The contact clock comes with the facts (an activity result): histories from before it have none, the real day.
    const decision = decideStaffContactOn(facts.clock ?? REAL_CONTACT_CLOCK, facts.contact, facts.rules, now);
    state.decisions.push({ at: now.toISOString(), decision });
    if (decision.action === 'wait') {
      await sleep(Math.max(1000, new Date(decision.until).getTime() - Date.now()));
      continue;
    }
    if (decision.action === 'skip') {
      const status = decision.reason === 'all_failed' ? 'failed' : 'skipped';
      await db.finishStaffMessage({ staffMessageId, status, reason: decision.reason });
      state.outcome = status;
      return state;
    }
    const result = await provider.deliverStaffMessage({ staffMessageId, channel: decision.channel, tryNo: failed.length + 1 });
    if (result.outcome === 'reconsider') continue;
    if (result.outcome === 'failed') {
      failed.push(decision.channel);
      continue;
    }
    if (result.report) reports.set(result.deliveryKey, { deliveryKey: result.deliveryKey, status: result.report });
    const reported = await condition(() => reports.has(result.deliveryKey), facts.rules.deliveryWaitSeconds * 1000);
    if (reports.get(result.deliveryKey)?.status === 'failed') {
      failed.push(decision.channel);
      continue;
    }
    const status = reported ? 'delivered' : 'sent';
    await db.finishStaffMessage({ staffMessageId, status });
    state.outcome = status;
    return state;
  }
}

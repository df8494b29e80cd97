/**
 * Telephony rules (issue 16), pure: what a Twilio call status means for the follow-up attempt, what
 * a keypress in the automated survey means, and whether an automated survey call may be placed now
 * under the same contact rules as every message (opt-out, quiet hours, daily/weekly caps).
 */
import { capFreeAt, onContactClock, quietHoursEnd, type ContactClock, type ContactRules } from './contact-rules.js';

/** Twilio's CallStatus values (Call resource, status callbacks). */
export const TWILIO_CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
export type TwilioCallStatus = (typeof TWILIO_CALL_STATUSES)[number];

/** How a call ended for the patient; `agent_unreachable`: the agent's own phone never answered, the patient was not dialled. */
export type CallOutcome = 'answered' | 'no_answer' | 'busy' | 'failed' | 'agent_unreachable';

export const CALL_OUTCOME_LABELS: Record<CallOutcome, string> = {
  answered: '已接通',
  no_answer: '无人接听',
  busy: '忙线',
  failed: '呼叫失败',
  agent_unreachable: '坐席未接听',
};

export const CALL_STATUS_LABELS: Record<string, string> = {
  queued: '排队中',
  initiated: '正在呼叫坐席',
  agent_ringing: '坐席电话振铃中',
  dialing: '正在呼叫患者',
  ringing: '振铃中',
  'in-progress': '通话中',
  completed: '已结束',
  busy: '忙线',
  failed: '呼叫失败',
  'no-answer': '无人接听',
  canceled: '已取消',
};

/**
 * The outcome a status of the patient's leg settles, or null while the call is still going on
 * (ringing, in progress) or ended after being answered (completed: the answer already settled it).
 */
export function patientLegOutcome(status: string): Exclude<CallOutcome, 'agent_unreachable'> | null {
  switch (status) {
    case 'in-progress':
      return 'answered';
    case 'no-answer':
    case 'canceled':
      return 'no_answer';
    case 'busy':
      return 'busy';
    case 'failed':
      return 'failed';
    default:
      return null;
  }
}

/** A patient who did not answer: the call counts as a follow-up attempt (未接通) and feeds the retry policy. */
export const countsAsAttempt = (outcome: CallOutcome): boolean => outcome === 'no_answer' || outcome === 'busy' || outcome === 'failed';

/** The agent's own leg ending before it was answered: the patient was never dialled. */
export const agentLegUnanswered = (status: string): boolean => status === 'no-answer' || status === 'busy' || status === 'failed' || status === 'canceled';

/** A keypress in the automated survey: 1–5 answers the rating, 0 asks for an agent, anything else is asked again. */
export type IvrKeypress = { kind: 'answer'; value: number } | { kind: 'transfer' } | { kind: 'invalid' };

export function ivrKeypress(digits: string | undefined): IvrKeypress {
  const d = (digits ?? '').trim();
  if (d === '0') return { kind: 'transfer' };
  if (/^[1-5]$/.test(d)) return { kind: 'answer', value: Number(d) };
  return { kind: 'invalid' };
}

/** The question is read at most this often (once, then once more on no input). */
export const IVR_MAX_PROMPTS = 2;

export interface IvrCallFacts {
  optedOut: boolean;
  hasPhone: boolean;
  /** Automated contacts of the last 7 days (messages and survey calls). */
  recentAutomatedContacts: Date[];
}

export type IvrDecision = { action: 'call' } | { action: 'wait'; until: Date; reason: 'quiet_hours' | 'daily_cap' | 'weekly_cap' } | { action: 'skip'; reason: 'opted_out' | 'no_phone' };

/** Whether an automated survey call may ring the patient now: the same rules as every automated message. */
export function decideIvrCall(facts: IvrCallFacts, rules: ContactRules, now: Date): IvrDecision {
  if (facts.optedOut) return { action: 'skip', reason: 'opted_out' };
  if (!facts.hasPhone) return { action: 'skip', reason: 'no_phone' };
  const quietEnd = quietHoursEnd(now, rules);
  if (quietEnd) return { action: 'wait', until: quietEnd, reason: 'quiet_hours' };
  const capped = capFreeAt(now, facts.recentAutomatedContacts, rules);
  if (capped) return { action: 'wait', until: quietHoursEnd(capped.until, rules) ?? capped.until, reason: capped.reason };
  return { action: 'call' };
}

/** decideIvrCall with quiet hours and caps on the contact clock (CONTACT_DAY_SECONDS). */
export function decideIvrCallOn(clock: ContactClock, facts: IvrCallFacts, rules: ContactRules, now: Date): IvrDecision {
  return onContactClock(clock, now, facts.recentAutomatedContacts, (at, contacts) => decideIvrCall({ ...facts, recentAutomatedContacts: contacts }, rules, at));
}

/** After an automated survey call, how long before a task still unanswered goes to an agent anyway. */
export const IVR_ANSWER_WAIT_SECONDS = 3600;

/**
 * The agent's own phone or extension that click-to-call rings first: a mobile or a landline with
 * its area code (stored as E.164, +86…), an international +number, or a 2–8 digit extension.
 */
export function normaliseCallPhone(raw: string): string | null {
  const v = raw.replace(/[\s()-]/g, '');
  if (/^[0-9]{2,8}$/.test(v)) return v;
  if (/^1[3-9][0-9]{9}$/.test(v)) return `+86${v}`;
  if (/^0[1-9][0-9]{8,10}$/.test(v)) return `+86${v.slice(1)}`;
  if (/^\+86(1[3-9][0-9]{9}|[1-9][0-9]{8,10})$/.test(v)) return v;
  if (/^\+[1-79][0-9]{7,14}$/.test(v)) return v;
  return null;
}

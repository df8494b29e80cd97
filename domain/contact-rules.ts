/**
 * Contact rules: whether, when and by which channel an automated message may reach a patient.
 * Pure (workflow-safe): the outbox dispatcher asks `decideContact` before every send.
 *
 * Times are Asia/Shanghai (fixed UTC+08:00, see schedule.ts). Quiet hours and caps make a message
 * wait, never disappear; opt-out, a closed task or an answer already started skip it.
 *
 * The day they are counted on is a `ContactClock` (CONTACT_DAY_SECONDS, CONTACT_CLOCK_ORIGIN): the
 * real day by default; a compressed day (a simulated month) keeps quiet hours and caps on its own
 * clock, through the `…On(clock, …)` wrappers below.
 */
import { addDays, shanghaiDate, shanghaiTime } from './schedule.js';

export interface ContactRules {
  /** Local time of day "HH:MM" or "HH:MM:SS" at which nothing automated is sent any more … */
  quietStart: string;
  /** … until this local time (the window may cross midnight). */
  quietEnd: string;
  maxPerDay: number;
  maxPerWeek: number;
  /** Patients this old or older are called instead of sent a link. */
  smsMaxAge: number;
  /** A survey link unanswered this long becomes a phone task. */
  linkUnansweredSeconds: number;
  /** A sent message without a final delivery report after this long counts as delivered. */
  deliveryWaitSeconds: number;
  surveyLinkTtlSeconds: number;
}

export const DEFAULT_CONTACT_RULES: ContactRules = {
  quietStart: '21:00',
  quietEnd: '08:00',
  maxPerDay: 1,
  maxPerWeek: 3,
  smsMaxAge: 60,
  linkUnansweredSeconds: 48 * 3600,
  deliveryWaitSeconds: 600,
  surveyLinkTtlSeconds: 7 * 86_400,
};

/**
 * What a queued message is, read from what its workflow wrote (step and body):
 * greeting, survey link (first send or a reminder), appointment reminder, or a notice
 * (ticket resolved + rating request, anything else).
 */
export type MessageKind = 'greeting' | 'survey' | 'survey_reminder' | 'appointment_reminder' | 'rating_request' | 'notice';

export function messageKind(step: string, body: string): MessageKind {
  if (body.startsWith('survey:')) {
    // follow-up steps are survey:<touchpoint>:<attempt>; attempt 2+ is a reminder.
    const attempt = Number(step.split(':')[2] ?? '1');
    return attempt > 1 ? 'survey_reminder' : 'survey';
  }
  if (step === 'greeting') return 'greeting';
  if (step === 'reminder') return 'appointment_reminder';
  if (step.endsWith(':patient-resolved')) return 'rating_request';
  return 'notice';
}

/** Messages the hospital sends on its own initiative count against the daily and weekly caps. */
export function countsAgainstCaps(kind: MessageKind): boolean {
  return kind === 'greeting' || kind === 'survey' || kind === 'survey_reminder';
}

export type DeliveryChannel = 'wechat' | 'sms';

export interface ContactFacts {
  kind: MessageKind;
  optedOut: boolean;
  /** Whole years, if the birth date is known. */
  age: number | null;
  hasPhone: boolean;
  wechatBound: boolean;
  /** Channels already tried for this message and failed. */
  failedChannels: DeliveryChannel[];
  /** When earlier automated messages to this patient were sent (the last 7 days are enough). */
  recentAutomatedSends: Date[];
  /** Survey messages: is the task still open, and has the patient begun answering (opened the link, replied)? */
  taskOpen?: boolean;
  startedAnswering?: boolean;
}

export type ContactDecision =
  | { action: 'send'; channel: DeliveryChannel }
  | { action: 'wait'; until: Date; reason: 'quiet_hours' | 'daily_cap' | 'weekly_cap' }
  /** The survey goes to an agent's call list instead. */
  | { action: 'phone'; reason: 'elderly' | 'no_channel' | 'delivery_failed' }
  | { action: 'skip'; reason: 'opted_out' | 'task_closed' | 'already_answering' | 'no_channel' };

const DAY_MS = 86_400_000;

/** Seconds since local midnight of "HH:MM[:SS]". */
function secondsOfDay(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(hhmm);
  if (!m) throw new RangeError(`Invalid time of day "${hhmm}" (expected HH:MM or HH:MM:SS)`);
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || min > 59 || s > 59) throw new RangeError(`Invalid time of day "${hhmm}"`);
  return h * 3600 + min * 60 + s;
}

/** The instant `seconds` after local midnight of a local date. */
function atLocal(localDate: string, seconds: number): Date {
  return new Date(shanghaiTime(localDate, 0).getTime() + seconds * 1000);
}

/** When the quiet hours around `now` end, or null when `now` is not in them. */
export function quietHoursEnd(now: Date, rules: Pick<ContactRules, 'quietStart' | 'quietEnd'>): Date | null {
  const start = secondsOfDay(rules.quietStart);
  const end = secondsOfDay(rules.quietEnd);
  if (start === end) return null;
  const today = shanghaiDate(now);
  const t = Math.floor((now.getTime() - shanghaiTime(today, 0).getTime()) / 1000);
  if (start < end) return t >= start && t < end ? atLocal(today, end) : null;
  // Across midnight (21:00–08:00): the evening part ends tomorrow morning, the morning part today.
  if (t >= start) return atLocal(addDays(today, 1), end);
  if (t < end) return atLocal(today, end);
  return null;
}

/** The earliest instant at or after `now` at which the daily and weekly caps allow one more message (null: now). */
export function capFreeAt(now: Date, sends: Date[], rules: ContactRules): { until: Date; reason: 'daily_cap' | 'weekly_cap' } | null {
  const today = shanghaiDate(now);
  const todayStart = shanghaiTime(today, 0).getTime();
  const sentToday = sends.filter((s) => s.getTime() >= todayStart && s.getTime() <= now.getTime()).length;
  if (sentToday >= rules.maxPerDay) return { until: shanghaiTime(addDays(today, 1), 0), reason: 'daily_cap' };
  const lastWeek = sends
    .filter((s) => s.getTime() > now.getTime() - 7 * DAY_MS && s.getTime() <= now.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
  if (lastWeek.length >= rules.maxPerWeek) {
    // Free once enough of them have left the rolling 7-day window.
    const oldest = lastWeek[lastWeek.length - rules.maxPerWeek]!;
    return { until: new Date(oldest.getTime() + 7 * DAY_MS), reason: 'weekly_cap' };
  }
  return null;
}

/** Which channel, if any, carries this message now (see the ladder in the issue: WeChat → SMS → phone). */
function channelFor(facts: ContactFacts, rules: ContactRules): ContactDecision {
  const survey = facts.kind === 'survey' || facts.kind === 'survey_reminder';
  const tried = new Set(facts.failedChannels);
  if (facts.wechatBound && !tried.has('wechat')) return { action: 'send', channel: 'wechat' };
  if (survey && facts.age !== null && facts.age >= rules.smsMaxAge) return { action: 'phone', reason: 'elderly' };
  if (facts.hasPhone && !tried.has('sms')) return { action: 'send', channel: 'sms' };
  if (survey) return { action: 'phone', reason: tried.size > 0 ? 'delivery_failed' : 'no_channel' };
  return { action: 'skip', reason: 'no_channel' };
}

/**
 * The decision for one message now. Skips come first (they never change by waiting), then the
 * channel (a call needs no quiet-hours wait: the agent's working hours rule it), then the waits.
 */
export function decideContact(facts: ContactFacts, rules: ContactRules, now: Date): ContactDecision {
  if (facts.optedOut) return { action: 'skip', reason: 'opted_out' };
  const survey = facts.kind === 'survey' || facts.kind === 'survey_reminder';
  if (survey && facts.taskOpen === false) return { action: 'skip', reason: 'task_closed' };
  if (facts.kind === 'survey_reminder' && facts.startedAnswering) return { action: 'skip', reason: 'already_answering' };
  const channel = channelFor(facts, rules);
  if (channel.action !== 'send') return channel;
  const quietEnd = quietHoursEnd(now, rules);
  if (quietEnd) return { action: 'wait', until: quietEnd, reason: 'quiet_hours' };
  if (countsAgainstCaps(facts.kind)) {
    const capped = capFreeAt(now, facts.recentAutomatedSends, rules);
    if (capped) {
      // After the cap lifts the quiet hours may still hold it (a new day starts at midnight).
      const later = quietHoursEnd(capped.until, rules);
      return { action: 'wait', until: later ?? capped.until, reason: capped.reason };
    }
  }
  return channel;
}

/**
 * The day quiet hours and caps are counted on. The real day (daySeconds 86 400) is the identity.
 * A compressed day maps a real instant to local contact time: 00:00 Asia/Shanghai of the origin's
 * date, plus the real time since the origin stretched by 86 400 / daySeconds.
 */
export interface ContactClock {
  /** Real seconds one contact day lasts. */
  daySeconds: number;
  /** The real instant (epoch ms) at which contact time is 00:00 of the origin's local date; unused for the real day. */
  originMs: number;
}

export const REAL_CONTACT_CLOCK: ContactClock = { daySeconds: 86_400, originMs: 0 };

const REAL_DAY_SECONDS = 86_400;

/** 00:00 local of the origin's date (epoch ms), with the stretch of a contact day. */
function clockFrame(clock: ContactClock): { anchorMs: number; stretch: number } {
  if (!(clock.daySeconds > 0) || !Number.isFinite(clock.originMs)) throw new RangeError('Invalid contact clock');
  return { anchorMs: shanghaiTime(shanghaiDate(new Date(clock.originMs)), 0).getTime(), stretch: REAL_DAY_SECONDS / clock.daySeconds };
}

/** A real instant as local contact time. */
export function toContactTime(clock: ContactClock, real: Date): Date {
  if (clock.daySeconds === REAL_DAY_SECONDS) return real;
  const { anchorMs, stretch } = clockFrame(clock);
  return new Date(anchorMs + (real.getTime() - clock.originMs) * stretch);
}

/** Local contact time as the real instant (rounded up: at that instant the local time has come). */
export function fromContactTime(clock: ContactClock, local: Date): Date {
  if (clock.daySeconds === REAL_DAY_SECONDS) return local;
  const { anchorMs, stretch } = clockFrame(clock);
  return new Date(clock.originMs + Math.ceil((local.getTime() - anchorMs) / stretch));
}

/**
 * A decision computed on local contact time: `now` and the send history mapped in, a wait's
 * `until` mapped back to the real instant.
 */
export function onContactClock<D extends { action: string }>(clock: ContactClock, now: Date, sends: Date[], decide: (now: Date, sends: Date[]) => D): D {
  if (clock.daySeconds === REAL_DAY_SECONDS) return decide(now, sends);
  const local = (d: Date) => toContactTime(clock, d);
  const decision = decide(local(now), sends.map(local));
  if ('until' in decision && decision.until instanceof Date) return { ...decision, until: fromContactTime(clock, decision.until) };
  return decision;
}

/** decideContact with quiet hours and caps counted on the contact clock. */
export function decideContactOn(clock: ContactClock, facts: ContactFacts, rules: ContactRules, now: Date): ContactDecision {
  return onContactClock(clock, now, facts.recentAutomatedSends, (at, sends) => decideContact({ ...facts, recentAutomatedSends: sends }, rules, at));
}

/** Whole years between a birth date (YYYY-MM-DD) and the local date of `now`. */
export function ageOn(birthDate: string | null, now: Date): number | null {
  if (!birthDate) return null;
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [ny, nm, nd] = shanghaiDate(now).split('-').map(Number) as [number, number, number];
  return ny - by - (nm < bm || (nm === bm && nd < bd) ? 1 : 0);
}

/** SMS keywords that opt the patient out (退订 / TD / STOP, any case, surrounding spaces ignored). */
export function isOptOutKeyword(text: string): boolean {
  return /^(退订|TD|STOP|UNSUBSCRIBE)$/i.test(text.trim());
}

/** An SMS reply of a single digit 1–5 (full-width digits too) as a rating, else null. */
export function ratingReply(text: string): number | null {
  const t = text.trim().replace(/[１-５]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  return /^[1-5]$/.test(t) ? Number(t) : null;
}

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTACT_RULES,
  ageOn,
  REAL_CONTACT_CLOCK,
  decideContact,
  decideContactOn,
  fromContactTime,
  isOptOutKeyword,
  messageKind,
  quietHoursEnd,
  ratingReply,
  toContactTime,
  type ContactFacts,
} from './contact-rules.js';

/** An instant given as Asia/Shanghai local time (UTC+8). */
const local = (iso: string) => new Date(`${iso}+08:00`);

const facts = (over: Partial<ContactFacts> = {}): ContactFacts => ({
  kind: 'survey',
  optedOut: false,
  age: 45,
  hasPhone: true,
  wechatBound: false,
  failedChannels: [],
  recentAutomatedSends: [],
  taskOpen: true,
  startedAnswering: false,
  ...over,
});

describe('messageKind', () => {
  it('reads what the workflows queue', () => {
    expect(messageKind('greeting', '祝您早日康复')).toBe('greeting');
    expect(messageKind('survey:0:1', 'survey:5b1c0d2e-0000-4000-8000-000000000000')).toBe('survey');
    expect(messageKind('survey:0:2', 'survey:5b1c0d2e-0000-4000-8000-000000000000')).toBe('survey_reminder');
    expect(messageKind('reminder', '提醒:您预约了明天…')).toBe('appointment_reminder');
    expect(messageKind('7:patient-resolved', '您反馈的问题已处理')).toBe('rating_request');
    expect(messageKind('other', 'x')).toBe('notice');
  });
});

describe('quietHoursEnd (21:00–08:00 Asia/Shanghai)', () => {
  it('is null in the day, tomorrow 08:00 in the evening, today 08:00 before dawn', () => {
    expect(quietHoursEnd(local('2026-11-20T20:59:59'), DEFAULT_CONTACT_RULES)).toBeNull();
    expect(quietHoursEnd(local('2026-11-20T21:00:00'), DEFAULT_CONTACT_RULES)).toEqual(local('2026-11-21T08:00:00'));
    expect(quietHoursEnd(local('2026-12-31T23:30:00'), DEFAULT_CONTACT_RULES)).toEqual(local('2027-01-01T08:00:00'));
    expect(quietHoursEnd(local('2026-11-21T07:59:00'), DEFAULT_CONTACT_RULES)).toEqual(local('2026-11-21T08:00:00'));
    expect(quietHoursEnd(local('2026-11-21T08:00:00'), DEFAULT_CONTACT_RULES)).toBeNull();
  });

  it('takes a window within one day and seconds', () => {
    const rules = { quietStart: '12:00:00', quietEnd: '12:00:30' };
    expect(quietHoursEnd(local('2026-11-20T12:00:10'), rules)).toEqual(local('2026-11-20T12:00:30'));
    expect(quietHoursEnd(local('2026-11-20T12:00:30'), rules)).toBeNull();
    expect(() => quietHoursEnd(local('2026-11-20T12:00:00'), { quietStart: '25:00', quietEnd: '08:00' })).toThrow(RangeError);
  });
});

describe('decideContact', () => {
  const day = local('2026-11-20T10:00:00');

  it('climbs the ladder: WeChat if bound, else SMS, else a call; elderly patients are called', () => {
    expect(decideContact(facts({ wechatBound: true }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'send', channel: 'wechat' });
    expect(decideContact(facts(), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'send', channel: 'sms' });
    expect(decideContact(facts({ age: 60 }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'phone', reason: 'elderly' });
    expect(decideContact(facts({ hasPhone: false }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'phone', reason: 'no_channel' });
    // A greeting is not a survey: no call, just nothing to send it by.
    expect(decideContact(facts({ kind: 'greeting', hasPhone: false }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'skip', reason: 'no_channel' });
    expect(decideContact(facts({ kind: 'greeting', age: 80 }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'send', channel: 'sms' });
  });

  it('falls back after a failed delivery: WeChat → SMS → call', () => {
    expect(decideContact(facts({ wechatBound: true, failedChannels: ['wechat'] }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'send', channel: 'sms' });
    expect(decideContact(facts({ wechatBound: true, failedChannels: ['wechat', 'sms'] }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'phone', reason: 'delivery_failed' });
  });

  it('skips opted-out patients, closed tasks, and reminders once the patient started answering', () => {
    expect(decideContact(facts({ optedOut: true }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'skip', reason: 'opted_out' });
    expect(decideContact(facts({ taskOpen: false }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'skip', reason: 'task_closed' });
    expect(decideContact(facts({ kind: 'survey_reminder', startedAnswering: true }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'skip', reason: 'already_answering' });
    expect(decideContact(facts({ kind: 'survey', startedAnswering: true }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'send', channel: 'sms' });
  });

  it('waits through the quiet hours', () => {
    expect(decideContact(facts(), DEFAULT_CONTACT_RULES, local('2026-11-20T22:15:00'))).toEqual({ action: 'wait', until: local('2026-11-21T08:00:00'), reason: 'quiet_hours' });
  });

  it('allows one automated message a day and three a week, then waits for the next free slot', () => {
    const sentThisMorning = [local('2026-11-20T09:00:00')];
    expect(decideContact(facts({ recentAutomatedSends: sentThisMorning }), DEFAULT_CONTACT_RULES, day)).toEqual({
      action: 'wait',
      // Midnight frees the daily cap, but the quiet hours hold it until 08:00.
      until: local('2026-11-21T08:00:00'),
      reason: 'daily_cap',
    });
    const threeThisWeek = [local('2026-11-15T09:00:00'), local('2026-11-17T09:00:00'), local('2026-11-19T09:00:00')];
    expect(decideContact(facts({ recentAutomatedSends: threeThisWeek }), DEFAULT_CONTACT_RULES, day)).toEqual({
      action: 'wait',
      until: local('2026-11-22T09:00:00'),
      reason: 'weekly_cap',
    });
    // Notices about the patient's own ticket or appointment are not capped.
    expect(decideContact(facts({ kind: 'rating_request', recentAutomatedSends: sentThisMorning }), DEFAULT_CONTACT_RULES, day)).toEqual({ action: 'send', channel: 'sms' });
    expect(decideContact(facts({ recentAutomatedSends: sentThisMorning }), { ...DEFAULT_CONTACT_RULES, maxPerDay: 2 }, day)).toEqual({ action: 'send', channel: 'sms' });
  });
});

describe('decideContactOn (the contact clock)', () => {
  it('is decideContact on the real day, whatever the origin', () => {
    const cases: [ContactFacts, Date][] = [
      [facts(), local('2026-11-20T10:00:00')],
      [facts(), local('2026-11-20T22:15:00')],
      [facts({ recentAutomatedSends: [local('2026-11-20T09:00:00')] }), local('2026-11-20T10:00:00')],
      [facts({ recentAutomatedSends: [local('2026-11-15T09:00:00'), local('2026-11-17T09:00:00'), local('2026-11-19T09:00:00')] }), local('2026-11-20T10:00:00')],
      [facts({ optedOut: true }), local('2026-11-20T22:15:00')],
    ];
    for (const [f, now] of cases) {
      const today = decideContact(f, DEFAULT_CONTACT_RULES, now);
      expect(decideContactOn(REAL_CONTACT_CLOCK, f, DEFAULT_CONTACT_RULES, now)).toEqual(today);
      expect(decideContactOn({ daySeconds: 86_400, originMs: Date.parse('2026-11-03T05:17:00Z') }, f, DEFAULT_CONTACT_RULES, now)).toEqual(today);
    }
  });

  // One contact day is 20 real seconds from 10:00 local on 11-20; that instant is local 11-20 00:00.
  const originMs = local('2026-11-20T10:00:00').getTime();
  const clock = { daySeconds: 20, originMs };
  const at = (ms: number) => new Date(originMs + ms);

  it('maps real instants to local contact time and back', () => {
    expect(toContactTime(clock, at(0))).toEqual(local('2026-11-20T00:00:00'));
    expect(toContactTime(clock, at(10_000))).toEqual(local('2026-11-20T12:00:00'));
    expect(toContactTime(clock, at(45_000))).toEqual(local('2026-11-22T06:00:00'));
    expect(fromContactTime(clock, local('2026-11-22T06:00:00'))).toEqual(at(45_000));
    // Rounded up to whole milliseconds: at the real instant the local time has come.
    expect(toContactTime(clock, fromContactTime(clock, local('2026-11-20T08:00:00'))).getTime()).toBeGreaterThanOrEqual(local('2026-11-20T08:00:00').getTime());
  });

  it('holds a message at local 22:00 until local 08:00, as a real instant', () => {
    const tenPm = at(Math.ceil((22 / 24) * 20_000)); // 18 334 ms: just after 22:00 local
    expect(toContactTime(clock, tenPm).getTime()).toBeGreaterThanOrEqual(local('2026-11-20T22:00:00').getTime());
    // 08:00 the next local day = 32 local hours = 26 666.7 real ms after the origin.
    expect(decideContactOn(clock, facts(), DEFAULT_CONTACT_RULES, tenPm)).toEqual({ action: 'wait', until: at(26_667), reason: 'quiet_hours' });
    expect(decideContactOn(clock, facts(), DEFAULT_CONTACT_RULES, at(26_667))).toEqual({ action: 'send', channel: 'sms' });
    // The real clock (10:00 + 18 s) is day time: no wait.
    expect(decideContact(facts(), DEFAULT_CONTACT_RULES, tenPm)).toEqual({ action: 'send', channel: 'sms' });
  });

  it('counts the daily cap per compressed day', () => {
    const dayOneNight = [at(21_000)]; // local 11-21 01:12
    expect(decideContactOn(clock, facts({ recentAutomatedSends: dayOneNight }), DEFAULT_CONTACT_RULES, at(28_000))).toEqual({
      action: 'wait',
      // Local midnight of day 2 lifts the cap, the quiet hours hold it to 08:00 (40 000 + 6 666.7 ms).
      until: at(46_667),
      reason: 'daily_cap',
    });
    // Sent on the compressed day before: free again.
    expect(decideContactOn(clock, facts({ recentAutomatedSends: [at(10_000)] }), DEFAULT_CONTACT_RULES, at(28_000))).toEqual({ action: 'send', channel: 'sms' });
  });

  it('counts the weekly cap over 7 compressed days', () => {
    const noons = [at(10_000), at(30_000), at(50_000)]; // local noon of days 0, 1, 2
    expect(decideContactOn(clock, facts({ recentAutomatedSends: noons }), DEFAULT_CONTACT_RULES, at(70_000))).toEqual({
      action: 'wait',
      until: at(150_000), // day 7 noon: the first of the three has left the window
      reason: 'weekly_cap',
    });
    expect(decideContactOn(clock, facts({ recentAutomatedSends: noons }), DEFAULT_CONTACT_RULES, at(150_001))).toEqual({ action: 'send', channel: 'sms' });
  });
});

describe('patient replies', () => {
  it('knows the opt-out keywords and 1–5 ratings', () => {
    for (const word of ['退订', 'TD', 'td', ' STOP ', 'Unsubscribe']) expect(isOptOutKeyword(word)).toBe(true);
    for (const word of ['退订吧', '不要', '3']) expect(isOptOutKeyword(word)).toBe(false);
    expect(ratingReply(' 2 ')).toBe(2);
    expect(ratingReply('５')).toBe(5);
    expect(ratingReply('6')).toBeNull();
    expect(ratingReply('2分')).toBeNull();
  });

  it('computes age in whole years on the local date', () => {
    expect(ageOn('1966-11-21', local('2026-11-20T23:00:00'))).toBe(59);
    expect(ageOn('1966-11-21', local('2026-11-21T00:30:00'))).toBe(60);
    expect(ageOn(null, local('2026-11-21T00:30:00'))).toBeNull();
  });
});

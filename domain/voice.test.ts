import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTACT_RULES } from './contact-rules.js';
import { agentLegUnanswered, countsAsAttempt, decideIvrCall, decideIvrCallOn, ivrKeypress, normaliseCallPhone, patientLegOutcome } from './voice.js';

describe('call outcomes', () => {
  it('settles the patient leg on answer, no answer, busy or failure, not while it rings or after it was answered', () => {
    expect(patientLegOutcome('in-progress')).toBe('answered');
    expect(patientLegOutcome('no-answer')).toBe('no_answer');
    expect(patientLegOutcome('canceled')).toBe('no_answer');
    expect(patientLegOutcome('busy')).toBe('busy');
    expect(patientLegOutcome('failed')).toBe('failed');
    for (const s of ['queued', 'initiated', 'ringing', 'completed']) expect(patientLegOutcome(s)).toBeNull();
  });

  it('counts only a patient who did not answer as an attempt; the agent not answering dials nobody', () => {
    expect(countsAsAttempt('no_answer')).toBe(true);
    expect(countsAsAttempt('busy')).toBe(true);
    expect(countsAsAttempt('failed')).toBe(true);
    expect(countsAsAttempt('answered')).toBe(false);
    expect(countsAsAttempt('agent_unreachable')).toBe(false);
    expect(agentLegUnanswered('no-answer')).toBe(true);
    expect(agentLegUnanswered('completed')).toBe(false);
  });
});

describe('IVR keypress', () => {
  it('takes 1–5 as the answer, 0 as a transfer, anything else as invalid', () => {
    expect(ivrKeypress('4')).toEqual({ kind: 'answer', value: 4 });
    expect(ivrKeypress('1')).toEqual({ kind: 'answer', value: 1 });
    expect(ivrKeypress('0')).toEqual({ kind: 'transfer' });
    for (const d of ['6', '9', '#', '', undefined, '44']) expect(ivrKeypress(d)).toEqual({ kind: 'invalid' });
  });
});

describe('decideIvrCall', () => {
  // 2026-03-10 10:00 in Shanghai (02:00Z), a Tuesday.
  const morning = new Date('2026-03-10T02:00:00Z');
  const facts = { optedOut: false, hasPhone: true, recentAutomatedContacts: [] as Date[] };

  it('calls in the daytime with room under the caps', () => {
    expect(decideIvrCall(facts, DEFAULT_CONTACT_RULES, morning)).toEqual({ action: 'call' });
  });

  it('never calls an opted-out patient or one without a phone', () => {
    expect(decideIvrCall({ ...facts, optedOut: true }, DEFAULT_CONTACT_RULES, morning)).toEqual({ action: 'skip', reason: 'opted_out' });
    expect(decideIvrCall({ ...facts, hasPhone: false }, DEFAULT_CONTACT_RULES, morning)).toEqual({ action: 'skip', reason: 'no_phone' });
  });

  it('waits out the quiet hours (21:00–08:00 Shanghai)', () => {
    const late = new Date('2026-03-10T14:30:00Z'); // 22:30 local
    expect(decideIvrCall(facts, DEFAULT_CONTACT_RULES, late)).toEqual({ action: 'wait', until: new Date('2026-03-11T00:00:00Z'), reason: 'quiet_hours' });
  });

  it('waits for the daily cap to lift, then for the morning', () => {
    const sentToday = [new Date('2026-03-10T01:00:00Z')]; // 09:00 local; the default cap is one a day
    expect(decideIvrCall({ ...facts, recentAutomatedContacts: sentToday }, DEFAULT_CONTACT_RULES, morning)).toEqual({
      action: 'wait',
      until: new Date('2026-03-11T00:00:00Z'),
      reason: 'daily_cap',
    });
  });

  it('counts quiet hours and caps on a compressed contact day', () => {
    // One day = 24 real seconds from `morning`, which is local 00:00 of 03-10 on that clock (1 s = 1 local hour).
    const clock = { daySeconds: 24, originMs: morning.getTime() };
    const at = (s: number) => new Date(morning.getTime() + s * 1000);
    expect(decideIvrCallOn(clock, facts, DEFAULT_CONTACT_RULES, at(22))).toEqual({ action: 'wait', until: at(32), reason: 'quiet_hours' });
    expect(decideIvrCallOn(clock, { ...facts, recentAutomatedContacts: [at(9)] }, DEFAULT_CONTACT_RULES, at(10))).toEqual({ action: 'wait', until: at(32), reason: 'daily_cap' });
    expect(decideIvrCallOn(clock, { ...facts, recentAutomatedContacts: [at(9)] }, DEFAULT_CONTACT_RULES, at(33))).toEqual({ action: 'call' });
  });
});

describe('normaliseCallPhone (the agent phone click-to-call rings first)', () => {
  it('stores mobiles and landlines with their area code as +86 numbers, keeps extensions and +numbers', () => {
    expect(normaliseCallPhone('138 0013 8000')).toBe('+8613800138000');
    expect(normaliseCallPhone('010-8888-0001')).toBe('+861088880001');
    expect(normaliseCallPhone('+861088880001')).toBe('+861088880001');
    expect(normaliseCallPhone('8001')).toBe('8001');
    expect(normaliseCallPhone('+14155550100')).toBe('+14155550100');
  });
  it('refuses anything else', () => {
    for (const bad of ['1', '123456789', 'abc', '+0123456789', '1380013800', '+86123', '12345678901234']) expect(normaliseCallPhone(bad)).toBeNull();
  });
});

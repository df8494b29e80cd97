import { describe, it, expect } from 'vitest';
import { CHANNELS, selectRule, validateTouchpoints, type FollowUpRule, type TouchpointSpec } from './follow-up-plan.js';

const tp = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  offsetDays: 3,
  templateCode: 'ortho_day3',
  channel: 'phone',
  maxAttempts: 3,
  retryAfterSeconds: 3600,
  ...over,
});

function rule(id: string, departmentCode: string, scenarioKind: FollowUpRule['scenarioKind'] = null, scenarioValue: string | null = null): FollowUpRule {
  return {
    id,
    departmentCode,
    name: id,
    scenarioKind,
    scenarioValue,
    greetingText: '出院后请注意休息。',
    touchpoints: [tp() as unknown as TouchpointSpec],
  };
}

const orthoPlain = rule('ortho-plain', 'ORTHO');
const orthoReplacement = rule('ortho-replacement', 'ORTHO', 'procedure_keyword', '置换');
const endoPlain = rule('endo-plain', 'ENDO');
const endoE11 = rule('endo-e11', 'ENDO', 'diagnosis_prefix', 'E11');
const endoE116 = rule('endo-e11.6', 'ENDO', 'diagnosis_prefix', 'E11.6');
const rules = [orthoPlain, orthoReplacement, endoPlain, endoE11, endoE116];

describe('selectRule', () => {
  it('prefers the 骨科 procedure rule for 全髋关节置换术', () => {
    expect(selectRule(rules, { departmentCode: 'ORTHO', diagnosisCode: 'M16.1', procedure: '全髋关节置换术' })).toBe(orthoReplacement);
  });

  it('falls back to the plain 骨科 rule when no scenario matches', () => {
    expect(selectRule(rules, { departmentCode: 'ORTHO', diagnosisCode: 'S82.2', procedure: '胫骨骨折切开复位内固定术' })).toBe(orthoPlain);
    expect(selectRule(rules, { departmentCode: 'ORTHO', diagnosisCode: null, procedure: null })).toBe(orthoPlain);
  });

  it('picks the plain rule regardless of its position', () => {
    expect(selectRule([orthoReplacement, orthoPlain], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: '关节镜检查' })).toBe(orthoPlain);
    expect(selectRule([orthoPlain, orthoReplacement], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: '膝关节置换术' })).toBe(orthoReplacement);
  });

  it('takes the longest matching diagnosis prefix, case-insensitively', () => {
    expect(selectRule(rules, { departmentCode: 'ENDO', diagnosisCode: 'E11.621', procedure: null })).toBe(endoE116);
    expect(selectRule([endoE116, endoE11, endoPlain], { departmentCode: 'ENDO', diagnosisCode: 'e11.6', procedure: null })).toBe(endoE116);
    expect(selectRule(rules, { departmentCode: 'ENDO', diagnosisCode: 'E11.9', procedure: null })).toBe(endoE11);
    expect(selectRule(rules, { departmentCode: 'ENDO', diagnosisCode: 'e11.9', procedure: null })).toBe(endoE11);
    expect(selectRule([rule('lower', 'ENDO', 'diagnosis_prefix', 'e11')], { departmentCode: 'ENDO', diagnosisCode: 'E11.9', procedure: null })?.id).toBe('lower');
    expect(selectRule(rules, { departmentCode: 'ENDO', diagnosisCode: 'E10.9', procedure: null })).toBe(endoPlain);
  });

  it('matches prefixes only at the start of the code', () => {
    expect(selectRule(rules, { departmentCode: 'ENDO', diagnosisCode: 'XE11', procedure: null })).toBe(endoPlain);
  });

  it('never uses another department’s rule', () => {
    expect(selectRule(rules, { departmentCode: 'ORTHO', diagnosisCode: 'E11.6', procedure: null })).toBe(orthoPlain);
    expect(selectRule([endoE11], { departmentCode: 'ORTHO', diagnosisCode: 'E11.6', procedure: null })).toBeNull();
  });

  it('returns null for an unknown or unmapped department', () => {
    expect(selectRule(rules, { departmentCode: 'CARDIO', diagnosisCode: 'I21.0', procedure: 'PCI' })).toBeNull();
    expect(selectRule(rules, { departmentCode: null, diagnosisCode: 'E11.6', procedure: '全髋关节置换术' })).toBeNull();
    expect(selectRule([], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: null })).toBeNull();
  });

  it('returns null when the department only has scenario rules and none matches', () => {
    expect(selectRule([orthoReplacement], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: '关节镜检查' })).toBeNull();
  });

  it('breaks ties by input order', () => {
    const a = rule('a', 'ORTHO');
    const b = rule('b', 'ORTHO');
    expect(selectRule([a, b], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: null })).toBe(a);
    const k1 = rule('k1', 'ORTHO', 'procedure_keyword', '髋关');
    const k2 = rule('k2', 'ORTHO', 'procedure_keyword', '置换');
    expect(selectRule([k1, k2], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: '全髋关节置换术' })).toBe(k1);
    expect(selectRule([k2, k1], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: '全髋关节置换术' })).toBe(k2);
  });

  it('prefers the longer keyword', () => {
    const hip = rule('hip', 'ORTHO', 'procedure_keyword', '髋关节置换');
    expect(selectRule([orthoReplacement, hip], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: '全髋关节置换术' })).toBe(hip);
    expect(selectRule([orthoReplacement, hip], { departmentCode: 'ORTHO', diagnosisCode: null, procedure: '膝关节置换术' })).toBe(orthoReplacement);
  });

  it('ignores scenario rules without a value', () => {
    const empty = rule('empty', 'ORTHO', 'procedure_keyword', '');
    const missing = rule('missing', 'ORTHO', 'diagnosis_prefix', null);
    expect(selectRule([empty, missing, orthoPlain], { departmentCode: 'ORTHO', diagnosisCode: 'M16', procedure: '全髋关节置换术' })).toBe(orthoPlain);
  });
});

describe('validateTouchpoints', () => {
  const fields = (touchpoints: unknown) => validateTouchpoints(touchpoints).map((p) => p.field);

  it('lists the channels', () => {
    expect(CHANNELS).toEqual(['phone', 'sms', 'wechat']);
  });

  it('accepts a valid plan', () => {
    expect(validateTouchpoints([tp({ offsetDays: 0, channel: 'sms' }), tp({ offsetDays: 3 }), tp({ offsetDays: 3, channel: 'wechat' }), tp({ offsetDays: 30 })])).toEqual([]);
    expect(validateTouchpoints([tp({ offsetDays: undefined, offsetSeconds: 30 }), tp({ offsetDays: undefined, offsetSeconds: 10 })])).toEqual([]);
    expect(validateTouchpoints([tp({ offsetDays: 365, maxAttempts: 10, retryAfterSeconds: 2_592_000 }), tp({ offsetDays: null, offsetSeconds: 31_536_000, maxAttempts: 1, retryAfterSeconds: 60 })])).toEqual([]);
  });

  it('requires an array of 1–10 touchpoints', () => {
    expect(fields(null)).toEqual(['touchpoints']);
    expect(fields({})).toEqual(['touchpoints']);
    expect(fields([])).toEqual(['touchpoints']);
    expect(fields(Array.from({ length: 11 }, () => tp()))).toEqual(['touchpoints']);
    expect(fields(Array.from({ length: 10 }, () => tp()))).toEqual([]);
    expect(fields([tp(), 'x'])).toEqual(['touchpoints.1']);
  });

  it('requires exactly one of offsetDays and offsetSeconds', () => {
    expect(fields([tp({ offsetDays: undefined })])).toEqual(['touchpoints.0']);
    expect(fields([tp({ offsetDays: null })])).toEqual(['touchpoints.0']);
    expect(fields([tp({ offsetDays: 1, offsetSeconds: 30 })])).toEqual(['touchpoints.0']);
  });

  it('checks offset ranges', () => {
    for (const bad of [-1, 366, 1.5, '3']) expect(fields([tp({ offsetDays: bad })]), String(bad)).toEqual(['touchpoints.0.offsetDays']);
    for (const bad of [-1, 31_536_001, 2.5, '30']) {
      expect(fields([tp({ offsetDays: undefined, offsetSeconds: bad })]), String(bad)).toEqual(['touchpoints.0.offsetSeconds']);
    }
  });

  it('checks template, channel, attempts and retry interval', () => {
    expect(fields([tp({ templateCode: '  ' })])).toEqual(['touchpoints.0.templateCode']);
    expect(fields([tp({ templateCode: undefined })])).toEqual(['touchpoints.0.templateCode']);
    expect(fields([tp({ channel: 'email' })])).toEqual(['touchpoints.0.channel']);
    for (const bad of [0, 11, 2.5, undefined]) expect(fields([tp({ maxAttempts: bad })]), String(bad)).toEqual(['touchpoints.0.maxAttempts']);
    for (const bad of [0, 2_592_001, 90.5, '3600']) {
      expect(fields([tp({ retryAfterSeconds: bad })]), String(bad)).toEqual(['touchpoints.0.retryAfterSeconds']);
    }
  });

  it('uses the index of the touchpoint in field names', () => {
    expect(fields([tp(), tp({ offsetDays: 7, maxAttempts: 0, channel: 'fax' })])).toEqual(['touchpoints.1.channel', 'touchpoints.1.maxAttempts']);
  });

  it('requires non-decreasing offsetDays', () => {
    const problems = validateTouchpoints([tp({ offsetDays: 7 }), tp({ offsetDays: 3 }), tp({ offsetDays: 30 }), tp({ offsetDays: 14 })]);
    expect(problems.map((p) => p.field)).toEqual(['touchpoints.1.offsetDays', 'touchpoints.3.offsetDays']);
    expect(problems[0]?.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('does not check the order when some touchpoints use offsetSeconds or are invalid', () => {
    expect(fields([tp({ offsetDays: 7 }), tp({ offsetDays: undefined, offsetSeconds: 60 })])).toEqual([]);
    expect(fields([tp({ offsetDays: 7 }), tp({ offsetDays: 400 }), tp({ offsetDays: 3 })])).toEqual(['touchpoints.1.offsetDays']);
  });
});

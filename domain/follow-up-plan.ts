/**
 * Follow-up plans: which rule (department + optional scenario → touchpoints) applies to an
 * encounter, and validation of the touchpoints edited in the admin portal. Pure: safe to import
 * from workflow code.
 */
import type { TouchpointTiming } from './schedule.js';

export const CHANNELS = ['phone', 'sms', 'wechat'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CHANNEL_LABELS: Record<Channel, string> = { phone: '电话', sms: '短信', wechat: '微信' };
export const isChannel = (v: unknown): v is Channel => (CHANNELS as readonly unknown[]).includes(v);
/** Why a value is not a channel (the message every form and API uses). */
export const CHANNEL_PROBLEM = `随访方式须为${CHANNELS.map((c) => CHANNEL_LABELS[c]).join('、')}之一`;

/** One planned contact: when (offsetDays or offsetSeconds), what (template), how, and retries. */
export interface TouchpointSpec extends TouchpointTiming {
  templateCode: string;
  channel: Channel;
  maxAttempts: number;
  retryAfterSeconds: number;
}
/** A follow-up rule of a department; scenarioKind/scenarioValue are both null for the department's plain rule. */
export interface FollowUpRule {
  id: string;
  departmentCode: string;
  name: string;
  scenarioKind: 'diagnosis_prefix' | 'procedure_keyword' | null;
  scenarioValue: string | null;
  greetingText: string;
  touchpoints: TouchpointSpec[];
}
/** What the rule choice looks at; departmentCode is the mapped department (null = 未分配科室). */
export interface EncounterFacts {
  departmentCode: string | null;
  diagnosisCode: string | null;
  procedure: string | null;
}

/**
 * How specific a rule is for the encounter: -1 = does not apply, 0 = the department's plain
 * rule, n > 0 = a scenario rule whose value (n characters) matches.
 */
function specificity(rule: FollowUpRule, encounter: EncounterFacts): number {
  if (rule.departmentCode !== encounter.departmentCode) return -1;
  if (rule.scenarioKind === null) return 0;
  const value = (rule.scenarioValue ?? '').trim();
  if (value === '') return -1; // a scenario rule without a value matches nothing
  switch (rule.scenarioKind) {
    case 'diagnosis_prefix': {
      const code = (encounter.diagnosisCode ?? '').trim().toUpperCase();
      return code !== '' && code.startsWith(value.toUpperCase()) ? value.length : -1;
    }
    case 'procedure_keyword': {
      const procedure = (encounter.procedure ?? '').toLowerCase();
      return procedure.includes(value.toLowerCase()) ? value.length : -1;
    }
    default:
      return -1; // unknown kind from the database: never applies
  }
}

/**
 * The most specific matching rule: a scenario rule of the department that matches (diagnosis
 * code prefix, case-insensitive, longest prefix wins; procedure keyword contained in the
 * procedure name) beats the department's plain rule; null when the department is
 * unknown/unmapped or has no rule. Ties: the first in input order.
 *
 * Specificity among matching scenario rules is the length of the matched scenario value, for
 * both kinds: 'E11.6' beats 'E11', and the keyword '全髋关节置换' beats '置换'. When a diagnosis
 * rule and a procedure rule both match, the longer value wins, then input order. Procedure
 * keywords are also matched case-insensitively (for Latin letters, e.g. 'PCI'). A department
 * with only scenario rules, none of which matches, has no rule: null.
 */
export function selectRule(rules: FollowUpRule[], encounter: EncounterFacts): FollowUpRule | null {
  if (encounter.departmentCode === null || encounter.departmentCode === '') return null;
  let best: FollowUpRule | null = null;
  let bestScore = -1;
  for (const rule of rules) {
    const score = specificity(rule, encounter);
    if (score > bestScore) {
      best = rule;
      bestScore = score;
    }
  }
  return best;
}

const MAX_TOUCHPOINTS = 10;
const MAX_OFFSET_DAYS = 365;
const MAX_OFFSET_SECONDS = 31_536_000; // 365 days
const MAX_ATTEMPTS = 10;
// Second-scale timings are for tests and demos (durations are data); production rules use days and hours.
const MIN_RETRY_SECONDS = 1;
const MAX_RETRY_SECONDS = 2_592_000; // 30 days

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

const present = (value: unknown) => value !== undefined && value !== null;

/**
 * Validates a touchpoints array from the admin form: 1–10 touchpoints, exactly one of
 * offsetDays (integer 0–365) / offsetSeconds (integer 0–31,536,000), templateCode non-empty,
 * channel in CHANNELS, maxAttempts 1–10, retryAfterSeconds 1–2,592,000 (up to 30 days),
 * touchpoints in non-decreasing due order when all use offsetDays. Field names like
 * 'touchpoints.0.maxAttempts'.
 *
 * Other fields: 'touchpoints' (not an array, or a wrong count), 'touchpoints.N' (not an object,
 * or neither/both of offsetDays and offsetSeconds; `null` counts as absent), and
 * 'touchpoints.N.offsetDays' for a touchpoint due before the one above it. Messages are in
 * Chinese; an empty array means valid.
 */
export function validateTouchpoints(touchpoints: unknown): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (!Array.isArray(touchpoints)) return [{ field: 'touchpoints', message: '随访节点格式不正确' }];
  if (touchpoints.length === 0) problems.push({ field: 'touchpoints', message: '至少需要 1 个随访节点' });
  if (touchpoints.length > MAX_TOUCHPOINTS) {
    problems.push({ field: 'touchpoints', message: `最多 ${MAX_TOUCHPOINTS} 个随访节点，当前 ${touchpoints.length} 个` });
  }

  // offsetDays of each touchpoint while every one so far uses valid offsetDays; null once one does not.
  let days: number[] | null = [];
  for (const [i, tp] of (touchpoints as unknown[]).entries()) {
    const at = `touchpoints.${i}`;
    if (!isRecord(tp)) {
      problems.push({ field: at, message: '随访节点格式不正确' });
      days = null;
      continue;
    }

    const hasDays = present(tp.offsetDays);
    const hasSeconds = present(tp.offsetSeconds);
    if (hasDays && hasSeconds) {
      problems.push({ field: at, message: '“出院后天数”和“出院后秒数”只能填写一个' });
    } else if (!hasDays && !hasSeconds) {
      problems.push({ field: at, message: '请填写出院后第几天随访' });
    } else if (hasDays && !isIntIn(tp.offsetDays, 0, MAX_OFFSET_DAYS)) {
      problems.push({ field: `${at}.offsetDays`, message: `出院后天数须为 0–${MAX_OFFSET_DAYS} 的整数` });
    } else if (hasSeconds && !isIntIn(tp.offsetSeconds, 0, MAX_OFFSET_SECONDS)) {
      problems.push({ field: `${at}.offsetSeconds`, message: `出院后秒数须为 0–${MAX_OFFSET_SECONDS} 的整数` });
    }
    if (days !== null) {
      if (!hasSeconds && isIntIn(tp.offsetDays, 0, MAX_OFFSET_DAYS)) days.push(tp.offsetDays);
      else days = null;
    }

    if (typeof tp.templateCode !== 'string' || tp.templateCode.trim() === '') {
      problems.push({ field: `${at}.templateCode`, message: '请选择问卷模板' });
    }
    if (!isChannel(tp.channel)) {
      problems.push({ field: `${at}.channel`, message: CHANNEL_PROBLEM });
    }
    if (!isIntIn(tp.maxAttempts, 1, MAX_ATTEMPTS)) {
      problems.push({ field: `${at}.maxAttempts`, message: `最多尝试次数须为 1–${MAX_ATTEMPTS} 的整数` });
    }
    if (!isIntIn(tp.retryAfterSeconds, MIN_RETRY_SECONDS, MAX_RETRY_SECONDS)) {
      problems.push({ field: `${at}.retryAfterSeconds`, message: '重试间隔须为 1 秒到 30 天（2592000 秒）之间的整数秒' });
    }
  }

  if (days !== null) {
    for (let i = 1; i < days.length; i++) {
      const previous = days[i - 1] ?? 0;
      const current = days[i] ?? 0;
      if (current < previous) {
        problems.push({ field: `touchpoints.${i}.offsetDays`, message: `须按时间先后排列：第 ${i + 1} 个节点（第 ${current} 天）早于上一个（第 ${previous} 天）` });
      }
    }
  }
  return problems;
}

/**
 * 人员测算 (admin): how many agents the hospital's follow-up needs. Reads the hospital's own
 * volumes and channel mix of the last 30 days (discharges a day, WeChat-bound share, patients at
 * the phone age, link and phone answer rates, the follow-up rules' touchpoints) and runs the pure
 * month model (domain/month-model.ts) for each staffing level asked. Where the hospital has no
 * history yet, the default scenario's figures (scripts/simulate-month/scenario.default.yaml) stand in.
 */
import type { Sql } from '../db/client.js';
import { administers, type Principal } from '../domain/access.js';
import type { Channel } from '../domain/follow-up-plan.js';
import { staffingTable, type MonthModelInput, type MonthModelResult } from '../domain/month-model.js';
import { forbidden, ValidationError } from './errors.js';

/** The hospital's own figures the what-if starts from, and whether each one was observed. */
export interface StaffingBasis {
  dischargesPerDay: number;
  wechatBound: number;
  elderlyShare: number;
  /** Share of link surveys the patient answered (per sent survey). */
  linkAnswer: number;
  phoneAnswer: number;
  wrongNumber: number;
  touchpoints: { day: number; channel: Channel; maxAttempts: number }[];
  agentsNow: number;
  /** Which figures came from the hospital's data (the others are defaults). */
  observed: string[];
}

export interface StaffingQuery {
  levels: number[];
  hoursPerDay: number;
  callsPerHour: number;
  days: number;
}

// Defaults when there is no history: the default scenario of `npm run simulate:month`.
const DEFAULTS = {
  dischargesPerDay: 100,
  wechatBound: 0.35,
  elderlyShare: 0.4,
  linkAnswer: 0.08,
  phoneAnswer: 0.5,
  wrongNumber: 0.04,
  touchpoints: [
    { day: 3, channel: 'sms' as Channel, maxAttempts: 3 },
    { day: 14, channel: 'phone' as Channel, maxAttempts: 3 },
  ],
};
const WECHAT_ANSWER = 0.4;

/** Parses the form (agents "3,5,8", hours, calls per hour, days); problems name the field. */
export function parseStaffingQuery(form: Record<string, string | undefined>, agentsNow: number): StaffingQuery {
  const problems: { field: string; message: string }[] = [];
  const levels = (form.levels?.trim() || [Math.max(1, agentsNow - 2), Math.max(1, agentsNow), agentsNow + 3].join(','))
    .split(/[,，\s]+/)
    .filter(Boolean)
    .map(Number);
  if (levels.length === 0 || levels.length > 8 || levels.some((n) => !Number.isInteger(n) || n < 1 || n > 500)) {
    problems.push({ field: 'levels', message: '请填写 1–8 个人数,如 3,5,8(每个 1–500)' });
  }
  const num = (field: string, fallback: number, min: number, max: number) => {
    const raw = form[field]?.trim();
    const v = raw ? Number(raw) : fallback;
    if (!Number.isFinite(v) || v < min || v > max) problems.push({ field, message: `须在 ${min}–${max} 之间` });
    return v;
  };
  const query = { levels: [...new Set(levels)].sort((a, b) => a - b), hoursPerDay: num('hoursPerDay', 8, 1, 16), callsPerHour: num('callsPerHour', 10, 1, 60), days: num('days', 30, 7, 92) };
  if (problems.length) throw new ValidationError(problems);
  return query;
}

export function createStaffingService({ sql }: { sql: Sql }) {
  async function basis(): Promise<StaffingBasis> {
    const observed: string[] = [];
    const [d] = await sql<{ discharges: number; days: number; bound: number; elderly: number; known_age: number }[]>`
      SELECT count(*)::int AS discharges,
             greatest(1, least(30, extract(epoch FROM now() - min(e.discharged_at)) / 86400))::float8 AS days,
             count(*) FILTER (WHERE p.wechat_bound_at IS NOT NULL)::int AS bound,
             count(*) FILTER (WHERE date_part('year', age(p.birth_date)) >= coalesce((SELECT sms_max_age FROM contact_rules WHERE department_code IS NULL), 60))::int AS elderly,
             count(p.birth_date)::int AS known_age
      FROM encounters e JOIN patients p ON p.id = e.patient_id
      WHERE e.discharged_at > now() - interval '30 days'`;
    const [a] = await sql<{ calls: number; reached: number; wrong: number; surveys: number; answered: number }[]>`
      SELECT count(*) FILTER (WHERE a.by_user IS NOT NULL)::int AS calls,
             count(*) FILTER (WHERE a.by_user IS NOT NULL AND a.outcome IN ('completed', 'refused'))::int AS reached,
             count(*) FILTER (WHERE a.by_user IS NOT NULL AND a.outcome = 'wrong_number')::int AS wrong,
             (SELECT count(*) FROM follow_up_tasks t WHERE t.created_at > now() - interval '30 days' AND EXISTS (SELECT 1 FROM survey_links l WHERE l.task_id = t.id))::int AS surveys,
             count(*) FILTER (WHERE a.by_patient AND a.outcome = 'completed')::int AS answered
      FROM task_attempts a WHERE a.at > now() - interval '30 days'`;
    const rules = await sql<{ touchpoints: { offsetDays?: number; offsetSeconds?: number; channel: Channel; maxAttempts: number }[] }[]>`
      SELECT touchpoints FROM follow_up_rules WHERE active AND scenario_kind IS NULL ORDER BY id LIMIT 1`;
    const [agents] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE role = 'agent' AND active`;
    const pick = <K extends keyof typeof DEFAULTS>(key: K, value: (typeof DEFAULTS)[K], enough: boolean): (typeof DEFAULTS)[K] => {
      if (!enough) return DEFAULTS[key];
      observed.push(key);
      return value;
    };
    const hasDischarges = (d?.discharges ?? 0) >= 30;
    const rule = rules[0]?.touchpoints.filter((t) => typeof t.offsetDays === 'number');
    return {
      dischargesPerDay: pick('dischargesPerDay', Math.round((d?.discharges ?? 0) / (d?.days ?? 1)), hasDischarges),
      wechatBound: pick('wechatBound', (d?.bound ?? 0) / Math.max(1, d?.discharges ?? 0), hasDischarges),
      elderlyShare: pick('elderlyShare', (d?.elderly ?? 0) / Math.max(1, d?.known_age ?? 0), (d?.known_age ?? 0) >= 30),
      linkAnswer: pick('linkAnswer', (a?.answered ?? 0) / Math.max(1, a?.surveys ?? 0), (a?.surveys ?? 0) >= 30),
      phoneAnswer: pick('phoneAnswer', (a?.reached ?? 0) / Math.max(1, a?.calls ?? 0), (a?.calls ?? 0) >= 30),
      wrongNumber: pick('wrongNumber', (a?.wrong ?? 0) / Math.max(1, a?.calls ?? 0), (a?.calls ?? 0) >= 30),
      touchpoints: pick(
        'touchpoints',
        (rule ?? []).map((t) => ({ day: t.offsetDays!, channel: t.channel, maxAttempts: t.maxAttempts })),
        (rule?.length ?? 0) > 0,
      ),
      agentsNow: agents?.n ?? 0,
      observed,
    };
  }

  return {
    basis,
    /** The month for each staffing level, from the hospital's own figures (admins only). */
    async whatIf(user: Principal, form: Record<string, string | undefined>): Promise<{ basis: StaffingBasis; query: StaffingQuery; rows: MonthModelResult[] }> {
      if (!administers(user.role)) throw forbidden('仅系统管理员可以使用人员测算');
      const b = await basis();
      const query = parseStaffingQuery(form, b.agentsNow);
      const input: Omit<MonthModelInput, 'agents'> = {
        dischargesPerDay: b.dischargesPerDay,
        days: query.days,
        touchpoints: b.touchpoints,
        wechatBound: b.wechatBound,
        wechatAnswer: WECHAT_ANSWER,
        ageBands: [
          { share: 1 - b.elderlyShare, linkAnswer: b.linkAnswer, elderly: false },
          { share: b.elderlyShare, linkAnswer: 0, elderly: true },
        ],
        phoneAnswer: b.phoneAnswer,
        wrongNumber: b.wrongNumber,
        hoursPerDay: query.hoursPerDay,
        callsPerHour: query.callsPerHour,
      };
      return { basis: b, query, rows: staffingTable(input, query.levels) };
    },
  };
}

export type StaffingService = ReturnType<typeof createStaffingService>;

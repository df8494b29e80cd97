/**
 * The scenario of a simulated hospital month (scripts/simulate-month/*.yaml): its shape, loading
 * (with `extends:` for variants such as the phone-only baseline), and the time compression — every
 * duration of the scenario is given in simulated hours or days and turned into the real seconds
 * that go into the system's own data (rule offsets, retry intervals, SLA, rating wait).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Channel } from '../../domain/follow-up-plan.js';

export interface AgeBand {
  from: number;
  to: number;
  share: number;
  linkOpen: number;
  answerOnceOpen: number;
}

export interface Scenario {
  name: string;
  seed: number;
  days: number;
  secondsPerDay: number;
  tailDays: number;
  dischargesPerDay: number;
  dischargesCv: number;
  departments: { code: string; name: string; share: number }[];
  hisVia: { hl7: number; json: number; fhir: number };
  plan: {
    touchpoints: { day: number; channel: Channel; maxAttempts: number; retryHours: number }[];
    linkUnansweredHours: number;
    escalateAfterHours: number;
  };
  ageBands: AgeBand[];
  wechatBound: number;
  wechatOpen: number;
  wechatAnswerOnceOpen: number;
  optOutBySms: number;
  phoneAnswer: number;
  wrongNumber: number;
  refuseWhenReached: number;
  complaintRate: number;
  redFlagRate: number;
  satisfiedShare: number;
  ratingAnswer: number;
  ratingSatisfied: number;
  agents: { count: number; hours: [number, number]; callsPerHour: number };
  resolution: { medianHours: number; p90Hours: number };
  slaHours: number;
  redFlagSlaHours: number;
  ratingWaitHours: number;
  targets: {
    coverage: number;
    completeness: number;
    processing: number;
    timeliness: number;
    satisfaction: number;
    followUpsPerAgentDay: number;
    meanResolveHours: number;
  };
}

export const DEFAULT_SCENARIO_PATH = resolve(dirname(new URL(import.meta.url).pathname), 'scenario.default.yaml');
export const PHONE_ONLY_SCENARIO_PATH = resolve(dirname(new URL(import.meta.url).pathname), 'scenario.phone-only.yaml');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(base[k]) ? merge(base[k], v) : v;
  return out;
}

function readRaw(path: string): Record<string, unknown> {
  const raw: unknown = path.endsWith('.json') ? JSON.parse(readFileSync(path, 'utf8')) : parse(readFileSync(path, 'utf8'));
  if (!isObject(raw)) throw new Error(`${path}: not a scenario object`);
  const { extends: parent, ...rest } = raw;
  return typeof parent === 'string' ? merge(readRaw(resolve(dirname(path), parent)), rest) : rest;
}

/** Reads a scenario file (YAML or JSON), applying `extends:`, and checks the figures that must add up. */
export function loadScenario(path: string, overrides: Partial<Pick<Scenario, 'seed' | 'days' | 'secondsPerDay' | 'dischargesPerDay' | 'tailDays'>> = {}): Scenario {
  const s = { ...(readRaw(path) as unknown as Scenario), ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) } as Scenario;
  const problems: string[] = [];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (Math.abs(sum(s.departments.map((d) => d.share)) - 1) > 0.01) problems.push('departments: shares must add up to 1');
  if (Math.abs(sum(s.ageBands.map((b) => b.share)) - 1) > 0.01) problems.push('ageBands: shares must add up to 1');
  if (Math.abs(s.hisVia.hl7 + s.hisVia.json + s.hisVia.fhir - 1) > 0.01) problems.push('hisVia: shares must add up to 1');
  if (!(s.secondsPerDay >= 2)) problems.push('secondsPerDay: at least 2');
  if (!(s.days >= 1)) problems.push('days: at least 1');
  if (!(s.agents.count >= 1)) problems.push('agents.count: at least 1');
  if (problems.length) throw new Error(`${path}:\n  ${problems.join('\n  ')}`);
  return s;
}

/** Time compression: simulated hours → real seconds (at least 1, as the rule editor requires). */
export function realSeconds(s: Pick<Scenario, 'secondsPerDay'>, simHours: number): number {
  return Math.max(1, Math.round((simHours / 24) * s.secondsPerDay));
}

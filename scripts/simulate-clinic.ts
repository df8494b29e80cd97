/**
 * `npm run simulate:clinic` — replays a month of one expert's morning sessions through the
 * discrete-event simulation (domain/clinic-sim.ts) under two appointment plans and prints the
 * waits of walk-in and appointment patients and the expert's idle minutes.
 *
 * Plans:
 * (a) current plan (现行方案): all appointment numbers in the first slot 08:00–09:00, as when every
 *     appointment is booked "for 08:00" (SIM_CURRENT_PLAN=even spreads them evenly instead);
 * (b) computed quotas (测算配额): domain/quota.ts from the history — NX'ᵢ by estimateWalkIns per slot
 *     (for 08:00–09:00 plus the registrations of 07:00–08:00, who also queue for the first slot),
 *     NXᵢ by the product's rule (domain/consultation-capacity.ts, as the nightly plan): slot minutes ÷
 *     the slot's mean consultation time, or the observed mean seen where that is below the late-start
 *     ratio × the expectation (the expert starts late after ward rounds), then allocateQuotas.
 *
 * Each day replays that day's walk-in registration times, expert start and consultation durations
 * (the k-th consultation takes the day's k-th historical duration, so both plans get the same work).
 *
 * The generated history is that of the demo's expert who starts late (王主任, scripts/demo-consultations.ts).
 *
 * Env: SIM_SEED (default: the demo expert's), SIM_DAYS (20), SIM_EARLY_SHARE (0.2), SIM_LATE_SHARE (0.1),
 * SIM_NO_SHOW (0.1), SIM_CURRENT_PLAN (first | even), SIM_LATE_START_RATIO (default 0.6; with
 * SIM_EXPERT the database's quota_capacity_settings), SIM_HISTORY (path to a ClinicHistory JSON
 * file to load instead of generating the demo history), SIM_EXPERT (+ SIM_DEPARTMENT, SIM_WEEKS,
 * DATABASE_URL): the expert's recorded history from the database instead — walk-in registrations
 * and the consultations the clinic page recorded (scripts/clinic-history-db.ts).
 */
import { readFileSync } from 'node:fs';
import { allocateQuotas, estimateWalkIns, slotCount } from '../domain/quota.js';
import { makeSlots, summarise, type AppointmentBehaviour, type SimulationSummary } from '../domain/clinic-sim.js';
import { CAPACITY_SOURCE_LABELS, DEFAULT_FALLBACK_CONSULT_MINUTES, DEFAULT_LATE_START_RATIO, type CapacityRule } from '../domain/consultation-capacity.js';
import { replaySession } from '../domain/plan-comparison.js';
import { generateClinicHistory, historyCapacities, type ClinicHistory } from './clinic-history.js';
import { LATE_STARTING_DEMO_EXPERT } from './demo-consultations.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new Error(`${name} must be a number (got ${raw})`);
  return v;
}

const seed = envNumber('SIM_SEED', LATE_STARTING_DEMO_EXPERT.seed);
const behaviour: AppointmentBehaviour = {
  earlyShare: envNumber('SIM_EARLY_SHARE', 0.2),
  lateShare: envNumber('SIM_LATE_SHARE', 0.1),
  noShowRate: envNumber('SIM_NO_SHOW', 0.1),
};
const currentPlanKind = process.env.SIM_CURRENT_PLAN === 'even' ? 'even' : 'first';
const historyPath = process.env.SIM_HISTORY;
const recordedExpert = process.env.SIM_EXPERT;
const defaultRule: CapacityRule = { lateStartRatio: DEFAULT_LATE_START_RATIO, fallbackConsultMinutes: DEFAULT_FALLBACK_CONSULT_MINUTES };
/** The expert's recorded history and the capacity rule in force, from the database. */
async function recordedHistory(expertName: string): Promise<{ history: ClinicHistory; rule: CapacityRule }> {
  const { createSql } = await import('../db/client.js');
  const { loadRecordedHistory } = await import('./clinic-history-db.js');
  const { readCapacityRule } = await import('../activities/db/quota-planning.js');
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('SIM_EXPERT needs DATABASE_URL');
  const sql = createSql(url, { max: 1 });
  try {
    return {
      history: await loadRecordedHistory(sql, { expertName, departmentCode: process.env.SIM_DEPARTMENT, weeks: envNumber('SIM_WEEKS', 8) }),
      rule: await readCapacityRule(sql),
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
const loaded: { history: ClinicHistory; rule: CapacityRule } = recordedExpert
  ? await recordedHistory(recordedExpert)
  : {
      history: historyPath
        ? (JSON.parse(readFileSync(historyPath, 'utf8')) as ClinicHistory)
        : generateClinicHistory({ seed, days: envNumber('SIM_DAYS', 20), profile: LATE_STARTING_DEMO_EXPERT.profile }),
      rule: defaultRule,
    };
const { history } = loaded;
const rule: CapacityRule = { ...loaded.rule, lateStartRatio: envNumber('SIM_LATE_START_RATIO', loaded.rule.lateStartRatio) };

const { slotMinutes, periodMinutes, appointmentNumbers, days } = history;
const m = slotCount(periodMinutes, slotMinutes);
const slots = makeSlots(m, slotMinutes);
const clock = (minutes: number) => {
  const t = 8 * 60 + minutes;
  return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
};
const f1 = (v: number) => v.toFixed(1);

// --- Walk-in peak in the history (registrations per half hour, mean per day).
const halfHours = (periodMinutes - history.registrationOpensMinutes) / 30;
const perHalfHour = Array.from({ length: halfHours }, (_, h) => {
  const from = history.registrationOpensMinutes + h * 30;
  const n = days.reduce((s, d) => s + d.walkInRegistrations.filter((r) => r >= from && r < from + 30).length, 0);
  return { from, mean: n / days.length };
});

// --- Quotas from the history.
const windowOffsets = (from: number) =>
  days.map((d) => d.walkInRegistrations.filter((r) => r >= from && r < from + slotMinutes).map((r) => r - from));
const preOpening = estimateWalkIns(windowOffsets(history.registrationOpensMinutes), slotMinutes, { seed });
const walkInEstimates = slots.map((s, i) => {
  const inSlot = estimateWalkIns(windowOffsets(s.start), slotMinutes, { seed: seed + i + 1 });
  return i === 0 ? inSlot + preOpening : inSlot;
});
const allConsults = days.flatMap((d) => d.consultMinutes);
const meanConsult = allConsults.length > 0 ? allConsults.reduce((s, c) => s + c, 0) / allConsults.length : rule.fallbackConsultMinutes;
const lateDays = days.filter((d) => d.expertStartMinutes > 0).length;
// The same rule as the nightly plan (domain/consultation-capacity.ts), threshold as data.
const slotCapacities = historyCapacities(history, rule);
const capacities = slotCapacities.map((c) => c.capacity);
const computed = allocateQuotas(capacities, walkInEstimates, appointmentNumbers);
const current =
  currentPlanKind === 'first'
    ? slots.map((_, i) => (i === 0 ? appointmentNumbers : 0))
    : slots.map((_, i) => Math.floor(appointmentNumbers / m) + (i < appointmentNumbers % m ? 1 : 0));

// --- Simulation of every day under a plan.
function simulatePlan(quotas: number[]): SimulationSummary {
  return summarise(
    days.map((d, k) =>
      replaySession({
        slots,
        session: { walkIns: d.walkInRegistrations, consultMinutes: d.consultMinutes, expertStartMinutes: d.expertStartMinutes },
        quotas,
        seed: seed * 31 + k,
        fallbackConsultMinutes: meanConsult,
        behaviour,
      }),
    ),
  );
}
const results = [
  { name: `现行方案 current (${currentPlanKind === 'first' ? 'all in 08:00–09:00' : 'evenly spread'})`, quotas: current },
  { name: '测算配额 computed quotas', quotas: computed },
].map((p) => ({ ...p, summary: simulatePlan(p.quotas) }));

// --- Output.
const out: string[] = [];
out.push(`# 专家门诊仿真 Clinic simulation — ${history.expert}`);
out.push('');
out.push(
  `${days.length} 个工作日 working days (${days[0]?.date ?? '?'} … ${days[days.length - 1]?.date ?? '?'}), ` +
    `08:00–12:00, 07:00 开始挂号 registration opens; ${history.totalNumbers} 号/诊 numbers per session, ` +
    `${appointmentNumbers} 个预约号 appointment numbers; seed ${seed}${recordedExpert ? ', recorded history (clinic page consultations)' : historyPath ? `, history ${historyPath}` : ' (generated demo history)'}.`,
);
out.push(
  `预约患者行为 appointment behaviour: 提前 early 30–120 min ${f1(behaviour.earlyShare * 100)} %, ` +
    `迟到 late 30–120 min ${f1(behaviour.lateShare * 100)} %, 爽约 no-show ${f1(behaviour.noShowRate * 100)} %, otherwise on time ±15 min.`,
);
out.push(
  `平均就诊时长 mean consultation ${f1(meanConsult)} min; 专家迟到 expert started late on ${lateDays}/${days.length} days (ward rounds); ` +
    `开诊晚判定 late-start ratio ${rule.lateStartRatio} (observed mean seen < ratio × slot minutes ÷ mean consultation).`,
);
out.push('');
out.push('## 现场挂号分布 Walk-in registrations per half hour (mean per day)');
out.push('');
out.push('| 时段 Time | 人数 Walk-ins | |');
out.push('|---|---:|---|');
for (const h of perHalfHour) out.push(`| ${clock(h.from)}–${clock(h.from + 30)} | ${f1(h.mean)} | ${'█'.repeat(Math.round(h.mean * 4))} |`);
out.push('');
out.push('## 测算配额 Computed quotas per slot');
out.push('');
out.push("| 时段 Slot | 现场挂号估计 NX'ᵢ | 平均接诊 mean consult | 实际接诊 seen / expected | 接诊能力 NXᵢ | 来源 Source | 预约配额 Quota | 现行方案 Current |");
out.push('|---|---:|---:|---:|---:|---|---:|---:|');
slots.forEach((s, i) => {
  const note = i === 0 ? ` (incl. 07:00–08:00 ${f1(preOpening)})` : '';
  const c = slotCapacities[i]!;
  out.push(
    `| ${clock(s.start)}–${clock(s.end)} | ${f1(walkInEstimates[i] ?? 0)}${note} | ${f1(c.meanConsultMinutes)} min | ${c.meanSeen === null || c.source === 'fallback' ? '—' : f1(c.meanSeen)} / ${f1(c.expected)} | ` +
      `${f1(c.capacity)} | ${CAPACITY_SOURCE_LABELS[c.source]} (${c.source}) | ${computed[i] ?? 0} | ${current[i] ?? 0} |`,
  );
});
out.push('');
out.push('## 仿真结果 Simulation results (minutes; p90 = 90th percentile)');
out.push('');
out.push('| 方案 Plan | 配额 Quotas | 现场 walk-in 平均 mean | 现场 walk-in p90 | 预约 appointment 平均 mean | 预约 appointment p90 | 专家空闲 idle /day | 结束 last consult ends |');
out.push('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const s = r.summary;
  out.push(
    `| ${r.name} | ${r.quotas.join(' / ')} | ${f1(s.walkIn.mean)} | ${f1(s.walkIn.p90)} | ${f1(s.appointment.mean)} | ${f1(s.appointment.p90)} | ${f1(s.idleMinutes)} | ${clock(Math.round(s.finish))} |`,
  );
}
out.push('');
out.push(
  'Waits: walk-ins from registration; appointment patients from max(arrival, slot start) — an early arrival waits from its slot start. ' +
    `Patients seen: ${results[0]?.summary.walkIn.count ?? 0} walk-in, ${results[0]?.summary.appointment.count ?? 0} / ${results[1]?.summary.appointment.count ?? 0} appointment (no-shows ${results[0]?.summary.noShows ?? 0} / ${results[1]?.summary.noShows ?? 0}).`,
);
console.log(out.join('\n'));

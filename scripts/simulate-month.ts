/**
 * `npm run simulate:month` — a generated hospital month through the real system
 * (scripts/simulate-month/run.ts), its figures from the system's own reports beside the targets,
 * and the month's management report (.xlsx + PDF) through the normal export.
 *
 *   npm run simulate:month                              default scenario, its agents
 *   npm run simulate:month -- --seed 7 --days 5         another seed, a shorter month
 *   npm run simulate:month -- --agents 3,5,8            staffing table: the same month per level
 *   npm run simulate:month -- --baseline                also the phone-only, no-automation month
 *   npm run simulate:month -- --scenario my.yaml --out .data/simulate-month --seconds-per-day 6
 *
 * Exits 1 when the simulator's bookkeeping and the reports differ, or a soak check fails.
 */
import { parseArgs } from 'node:util';
import { figureLines, runMonth, type MonthResult } from './simulate-month/run.js';
import { DEFAULT_SCENARIO_PATH, PHONE_ONLY_SCENARIO_PATH, loadScenario } from './simulate-month/scenario.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    seed: { type: 'string' },
    days: { type: 'string' },
    'seconds-per-day': { type: 'string' },
    'discharges-per-day': { type: 'string' },
    agents: { type: 'string' },
    baseline: { type: 'boolean', default: false },
    out: { type: 'string', default: '.data/simulate-month' },
  },
});
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const overrides = { seed: num(values.seed), days: num(values.days), secondsPerDay: num(values['seconds-per-day']), dischargesPerDay: num(values['discharges-per-day']) };
const scenario = loadScenario(values.scenario ?? DEFAULT_SCENARIO_PATH, overrides);
const levels = values.agents ? values.agents.split(',').map((a) => Number(a.trim())) : [scenario.agents.count];
if (levels.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--agents: comma-separated whole numbers ≥ 1');

let failed = false;
const print = (r: MonthResult) => {
  console.log(`\n# ${r.scenario} — seed ${scenario.seed}, ${r.agents} agents, ${r.discharges} discharges, ${(r.wallSeconds / 60).toFixed(1)} min`);
  for (const line of figureLines(r)) console.log(line);
  for (const c of r.checks) console.log(`  ${c}`);
  for (const p of r.problems) console.log(`  FAIL ${p}`);
  for (const f of r.files) console.log(`  report written: ${f}`);
  if (r.problems.length) failed = true;
};

const results: MonthResult[] = [];
for (const agents of levels) {
  const r = await runMonth(scenario, { agents, outDir: values.out });
  print(r);
  results.push(r);
}
if (levels.length > 1) {
  console.log('\n## 人员配置 Staffing (same month, same patients)\n');
  console.log('| agents | coverage | backlog at end of day (mean) | backlog last day | overtime h/agent/day |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const cov = r.figures.find((f) => f.name === 'coverage')?.value;
    const mean = r.backlogEndOfDay.reduce((a, b) => a + b, 0) / Math.max(1, r.backlogEndOfDay.length);
    console.log(`| ${r.agents} | ${cov == null ? '—' : (cov * 100).toFixed(1) + ' %'} | ${mean.toFixed(0)} | ${r.backlogEndOfDay.at(-1) ?? 0} | ${r.overtimeHoursPerAgentDay.toFixed(1)} |`);
  }
}
if (values.baseline) {
  // The default scenario's before is its file; another scenario's is the same month with every
  // touchpoint a call and no WeChat (what scenario.phone-only.yaml says for the default).
  const base = values.scenario
    ? { ...scenario, name: `对照(纯电话,无自动化)— ${scenario.name}`, wechatBound: 0, plan: { ...scenario.plan, touchpoints: scenario.plan.touchpoints.map((t) => ({ ...t, channel: 'phone' as const })) } }
    : loadScenario(PHONE_ONLY_SCENARIO_PATH, overrides);
  // Before and after with the same people: the scenario's own staffing when it is among the levels.
  const def = results.find((x) => x.agents === scenario.agents.count) ?? results[0]!;
  const r = await runMonth(base, { agents: def.agents, outDir: values.out });
  print(r);
  console.log('\n## 前后对比 Before/after (same patients, same agents)\n');
  console.log(`| figure | ${r.scenario} | ${def.scenario} |`);
  console.log('|---|---:|---:|');
  for (const f of def.figures) {
    const b = r.figures.find((x) => x.name === f.name)?.value;
    const fmt = (v: number | null | undefined) => (v == null ? '—' : f.kind === 'share' ? `${(v * 100).toFixed(1)} %` : v.toFixed(1));
    console.log(`| ${f.name} | ${fmt(b)} | ${fmt(f.value)} |`);
  }
}
process.exit(failed ? 1 : 0);

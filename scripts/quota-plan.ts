/**
 * `npm run quota:plan` — prints the appointment quota plan of the coming clinic sessions, per expert
 * and slot: the walk-in estimate NX'ᵢ, the capacity NXᵢ and where it came from (the expert's mean
 * consultation time, the observed number seen for a late-starting expert, or the default time for
 * an expert without records), the appointment quota, and the current vs proposed plan simulated
 * over the recorded sessions — what the quota page (/admin/quotas) shows.
 *
 * - With DATABASE_URL (e.g. the database `npm start` writes): prints the plans stored by the last
 *   nightly run; QUOTA_PLAN_RECOMPUTE=1 first runs the nightly computation (the activity the
 *   quotaPlanningWorkflow runs) on that database.
 * - Without: starts a throwaway Postgres (scripts/lib/stack.ts), loads the demo clinic's history
 *   (scripts/demo-consultations.ts), runs the nightly computation on it and prints the result.
 *
 * QUOTA_PLAN_WEEKS (8) and QUOTA_PLAN_HORIZON_DAYS (7) are the nightly Schedule's defaults.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createQuotaPlanningActivities, readCapacityRule } from '../activities/db/quota-planning.js';
import { createSql, type Sql } from '../db/client.js';
import type { Principal } from '../domain/access.js';
import { CAPACITY_SOURCE_LABELS } from '../domain/consultation-capacity.js';
import { createAuditService } from '../services/audit.js';
import { createQuotaPlanningService, type QuotaSessionView } from '../services/quota-planning.js';
import { DEFAULT_QUOTA_HISTORY_WEEKS, DEFAULT_QUOTA_HORIZON_DAYS } from '../worker/quota-schedule.js';
import { seedDemoClinicHistory } from './demo-consultations.js';
import { makeTempDir, runMigrations, startPostgres, Teardown } from './lib/stack.js';
import { seedDemoDepartments } from './seed-demo.js';

const weeks = Number(process.env.QUOTA_PLAN_WEEKS ?? DEFAULT_QUOTA_HISTORY_WEEKS);
const horizonDays = Number(process.env.QUOTA_PLAN_HORIZON_DAYS ?? DEFAULT_QUOTA_HORIZON_DAYS);
/** Reads the plans as an administrator does on the quota page. */
const READER: Principal = { id: '00000000-0000-0000-0000-000000000000', username: 'quota-plan', displayName: '号源测算', role: 'admin', departmentCode: null };

const f1 = (v: number) => v.toFixed(1);
const hhmm = (iso: string) => new Date(iso).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });

/** The plan of each session as Markdown. */
export function formatPlans(sessions: readonly QuotaSessionView[], rule: { lateStartRatio: number; fallbackConsultMinutes: number }): string {
  const out: string[] = [];
  out.push(`# 预约号源测算 Quota plan — ${sessions.length} coming sessions`);
  out.push('');
  out.push(
    `接诊能力 capacity = slot minutes ÷ mean consultation time, or the observed mean seen when that is below ${rule.lateStartRatio} × the expectation ` +
      `(开诊晚 late start); ${rule.fallbackConsultMinutes} min per patient only without records.`,
  );
  for (const s of sessions) {
    out.push('');
    const basis = s.slots[0]?.computed?.basis;
    out.push(
      `## ${s.departmentName} ${s.expertName} · ${s.sessionDate} ${hhmm(s.startsAt)} · ${s.totalAppointments ?? '?'} 个预约号` +
        (basis ? ` · 历史 ${basis.pastSessions} 诊 (${s.weeksOfHistory} 周) past sessions` : ''),
    );
    out.push('');
    if (!s.computedAt) {
      out.push('未测算 not computed (no past sessions of this expert in the window).');
      continue;
    }
    out.push("| 时段 Slot | 现场挂号估计 NX'ᵢ | 平均接诊 mean consult | 实际接诊 seen / expected | 接诊能力 NXᵢ | 来源 Source | 预约配额 Quota | 生效 In force |");
    out.push('|---|---:|---:|---:|---:|---|---:|---:|');
    for (const slot of s.slots) {
      const c = slot.computed;
      if (!c) continue;
      const b = c.basis;
      const source = b.capacitySource ?? 'fallback';
      out.push(
        `| ${hhmm(slot.startsAt)}–${hhmm(slot.endsAt)} | ${f1(c.walkIns)} | ${f1(b.meanConsultMinutes)} min | ` +
          `${b.meanSeen == null || source === 'fallback' ? '—' : f1(b.meanSeen)} / ${b.expectedSeen == null ? '—' : f1(b.expectedSeen)} | ${f1(c.capacity)} | ` +
          `${CAPACITY_SOURCE_LABELS[source]} (${source}) | ${c.quota} | ${slot.effectiveQuota}${slot.override !== null ? ' (人工 override)' : ''} |`,
      );
    }
    const sim = s.simulation;
    if (sim) {
      const line = (name: string, p: typeof sim.current) =>
        `| ${name} | ${p.quotas.join(' / ')} | ${f1(p.walkInMean)} | ${f1(p.walkInP90)} | ${f1(p.appointmentMean)} | ${f1(p.appointmentP90)} | ${f1(p.idleMinutes)} |`;
      out.push('');
      out.push(`仿真 simulated over the ${sim.sessions} recorded sessions (minutes):`);
      out.push('');
      out.push('| 方案 Plan | 配额 Quotas | 现场 walk-in mean | p90 | 预约 appointment mean | p90 | 空闲 idle |');
      out.push('|---|---|---:|---:|---:|---:|---:|');
      out.push(line('现行 current', sim.current));
      out.push(line('测算 proposed', sim.proposed));
    }
  }
  return out.join('\n');
}

async function printPlans(sql: Sql, recompute: boolean): Promise<void> {
  if (recompute) await createQuotaPlanningActivities({ sql }).recomputeQuotas({ weeks, horizonDays });
  const service = createQuotaPlanningService({ sql, audit: createAuditService({ sql }) });
  const sessions = (await service.list(READER, horizonDays)).filter((s) => s.sessionDate > new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }));
  console.log(formatPlans(sessions, await readCapacityRule(sql)));
}

const teardown = new Teardown();
try {
  if (process.env.DATABASE_URL) {
    const sql = createSql(process.env.DATABASE_URL, { max: 2 });
    teardown.add('sql pool', () => sql.end({ timeout: 5 }));
    await printPlans(sql, process.env.QUOTA_PLAN_RECOMPUTE === '1');
  } else {
    const tmp = makeTempDir('suifang-quota-plan-');
    teardown.add('temp folder', () => rmSync(tmp, { recursive: true, force: true }));
    const pg = await startPostgres({ dataDir: join(tmp, 'pg'), database: 'quota_plan', teardown });
    const sql = createSql(pg.url, { max: 2 });
    teardown.add('sql pool', () => sql.end({ timeout: 5 }));
    await runMigrations(pg.url);
    await seedDemoDepartments(sql);
    const seeded = await seedDemoClinicHistory(sql);
    console.error(`throwaway database: demo clinic history loaded (${seeded.pastSessions} past sessions, ${seeded.recorded} with consultations)`);
    await printPlans(sql, true);
  }
} finally {
  await teardown.run();
}

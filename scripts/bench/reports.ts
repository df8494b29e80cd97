/**
 * `npm run bench:reports`: the management reports at hospital scale. A fresh Postgres gets, in SQL
 * with generate_series, 24 months of records: 1,000,000 follow-up answers, 200,000 tasks (with a
 * call each) and 100,000 tickets over 20 departments and 100 agents; the rollups are built once
 * by the rollup activity (what the `report-rollup` Schedule runs). Then, for each report over the
 * whole 24 months and the whole hospital, as a manager: the query (services/reports.ts `collect`,
 * 30 runs) and the export (collect + render, the slower of .xlsx and PDF, 5 runs).
 * Prints one line per report, exactly `<report> p95_ms=<n> export_ms=<n>`, and the database size.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createReportRollupActivities } from '../../activities/reports/rollup.js';
import { renderReportFile } from '../../activities/reports/export.js';
import { createSql } from '../../db/client.js';
import type { Principal } from '../../domain/access.js';
import { lastMonths } from '../../domain/reports/period.js';
import { createReportService, currentMonth } from '../../services/reports.js';
import { REPORT_KINDS } from '../../workflows/reports/contracts.js';
import { makeTempDir, runMigrations, startPostgres } from '../lib/stack.js';
import { intFromEnv, percentile, printHeader } from './report.js';
import { runBenchmark, teardown } from './run.js';

const TASKS = intFromEnv('BENCH_TASKS', 200_000);
const ANSWERS_PER_TASK = 5; // 1,000,000 answers for 200,000 tasks
const TICKETS = intFromEnv('BENCH_TICKETS', 100_000);
const DEPARTMENTS = 20;
const AGENTS_PER_DEPARTMENT = 5;
const DAYS = 730;
const QUERY_RUNS = 30;
const EXPORT_RUNS = 5;

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

await runBenchmark(async () => {
  printHeader('bench:reports', { tasks: TASKS, answers: TASKS * ANSWERS_PER_TASK, tickets: TICKETS, months: 24, departments: DEPARTMENTS });
  const tmp = makeTempDir('suifang-bench-reports-');
  teardown.add('temp folder', () => rmSync(tmp, { recursive: true, force: true }));
  const pg = await startPostgres({ dataDir: join(tmp, 'pg'), database: 'bench', teardown });
  const sql = createSql(pg.url);
  teardown.add('sql pool', () => sql.end({ timeout: 5 }));
  await runMigrations(pg.url);

  let t = performance.now();
  await sql`INSERT INTO departments (code, name, kind) SELECT 'D' || i, '科室' || i, 'clinical' FROM generate_series(1, ${DEPARTMENTS}) i`;
  await sql`INSERT INTO users (username, display_name, role, department_code, password_hash)
            SELECT 'agent' || d || '_' || k, '客服' || d || '-' || k, 'agent', 'D' || d, 'x'
            FROM generate_series(1, ${DEPARTMENTS}) d, generate_series(1, ${AGENTS_PER_DEPARTMENT}) k`;
  await sql`CREATE TEMP TABLE bench_agents AS
            SELECT (row_number() OVER (ORDER BY username) - 1)::int AS n, id, department_code FROM users WHERE role = 'agent'`;
  const [template] = await sql<{ id: string }[]>`
    INSERT INTO question_templates (code, version, name, questions) VALUES ('bench', 1, '出院随访', ${sql.json([
      { id: 'recovery', text: '恢复情况', type: 'rating' },
      { id: 'medication', text: '按时服药', type: 'yes_no' },
      { id: 'pain', text: '疼痛', type: 'rating' },
      { id: 'satisfaction', text: '满意度', type: 'rating' },
      { id: 'comments', text: '建议', type: 'text' },
    ] as never)}) RETURNING id`;
  await sql`INSERT INTO patients (his_patient_id, name, phone) SELECT 'P' || i, '患者' || i, '138' || lpad(i::text, 8, '0') FROM generate_series(1, ${TASKS}) i`;
  // Task i: due some time in the last 24 months, in its agent's department.
  await sql`INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, discharged_at, workflow_id)
            SELECT 'E' || p.i, p.id, a.department_code, a.department_code,
                   now() - make_interval(mins => (p.i * 7919) % (${DAYS} * 1440)) - interval '7 days', 'followup-E' || p.i
            FROM (SELECT substr(his_patient_id, 2)::int AS i, id FROM patients) p
            JOIN bench_agents a ON a.n = p.i % ${DEPARTMENTS * AGENTS_PER_DEPARTMENT}`;
  // 90 % completed, 4 % unreachable, 3 % refused, 2 % cancelled, the most recent 1 % open.
  await sql`INSERT INTO follow_up_tasks (workflow_id, touchpoint_index, encounter_id, patient_id, department_code, assigned_agent_id,
                                         template_id, channel, due_at, status, attempts, max_attempts, completed_at, completed_by, updated_at)
            SELECT e.workflow_id, 0, e.id, e.patient_id, e.department_code, a.id, ${template!.id}, 'phone', d.due,
                   s.status, 1, 3,
                   CASE WHEN s.status IN ('completed', 'refused', 'unreachable') THEN d.due + interval '3 hours' END,
                   CASE WHEN s.status IN ('completed', 'refused', 'unreachable') THEN a.id END, d.due + interval '3 hours'
            FROM encounters e
            JOIN LATERAL (SELECT substr(e.his_encounter_id, 2)::int AS i, e.discharged_at + interval '7 days' AS due) d ON true
            JOIN bench_agents a ON a.n = d.i % ${DEPARTMENTS * AGENTS_PER_DEPARTMENT}
            JOIN LATERAL (SELECT CASE WHEN d.due > now() - interval '2 days' THEN 'open'
                                      WHEN d.i % 100 < 90 THEN 'completed' WHEN d.i % 100 < 94 THEN 'unreachable'
                                      WHEN d.i % 100 < 97 THEN 'refused' WHEN d.i % 100 < 99 THEN 'cancelled' ELSE 'completed' END AS status) s ON true`;
  // Five answers per task; in 3 % of the records the medication question was skipped (a note instead).
  await sql`INSERT INTO task_answers (task_id, question_id, value)
            SELECT t.id, q.id,
                   CASE q.id WHEN 'medication' THEN 'true'::jsonb WHEN 'comments' THEN '"无"'::jsonb
                             ELSE to_jsonb(1 + (hashtext(t.workflow_id || q.id) & 2147483647) % 5 / 2 + (hashtext(t.workflow_id) & 1) * 2) END
            FROM follow_up_tasks t
            CROSS JOIN LATERAL (SELECT unnest(ARRAY['recovery', CASE WHEN hashtext(t.workflow_id) % 33 = 0 THEN 'note' ELSE 'medication' END,
                                                    'pain', 'satisfaction', 'comments']) AS id) q`;
  await sql`INSERT INTO task_attempts (task_id, attempt, outcome, by_user, at)
            SELECT id, 1, CASE status WHEN 'completed' THEN 'completed' WHEN 'refused' THEN 'refused' ELSE 'no_answer' END,
                   assigned_agent_id, due_at + interval '1 hour'
            FROM follow_up_tasks WHERE status <> 'cancelled'`;
  // Tickets: received over 24 months, in one of the departments, resolved mostly within the 24 h SLA.
  await sql`INSERT INTO tickets (number, source_key, patient_id, category, subtag, description, department_code, status,
                                 received_at, sla_seconds, escalate_seconds, rating_wait_seconds, sla_due_at, sla_breached, resolved_at, updated_at)
            SELECT 'T' || i, 'bench:' || i, p.id, tag.category, tag.label, '投诉', 'D' || (1 + i % ${DEPARTMENTS}),
                   CASE WHEN i % 10 = 0 THEN 'open' WHEN i % 10 = 1 THEN 'in_progress' WHEN i % 10 < 6 THEN 'closed' ELSE 'resolved' END,
                   r.at, 86400, 172800, 259200, r.at + interval '24 hours',
                   (r.hours > 24 OR i % 10 < 2 AND r.at < now() - interval '1 day'),
                   CASE WHEN i % 10 >= 2 THEN r.at + make_interval(hours => r.hours) END, r.at
            FROM generate_series(1, ${TICKETS}) i
            JOIN patients p ON p.his_patient_id = 'P' || (1 + i % ${TASKS})
            JOIN LATERAL (SELECT now() - make_interval(mins => ((i::bigint * 104729) % (${DAYS} * 1440))::int) AS at, (i * 37) % 40 AS hours) r ON true
            JOIN LATERAL (SELECT category, label FROM feedback_subtags ORDER BY id OFFSET (i * 13) % 11 LIMIT 1) tag ON true`;
  await sql`ANALYZE`;
  const counts = await sql<{ answers: number; tasks: number; tickets: number }[]>`
    SELECT (SELECT count(*) FROM task_answers)::int AS answers, (SELECT count(*) FROM follow_up_tasks)::int AS tasks, (SELECT count(*) FROM tickets)::int AS tickets`;
  console.log(`data: ${counts[0]!.answers} answers, ${counts[0]!.tasks} tasks, ${counts[0]!.tickets} tickets, loaded in ${seconds(t)} s`);

  const rollup = createReportRollupActivities({ sql });
  t = performance.now();
  const first = await rollup.refreshReportRollups({ full: true });
  console.log(`rollup, first run (all ${first.months.length} months): ${seconds(t)} s`);
  await sql`UPDATE follow_up_tasks SET updated_at = now() WHERE id IN (SELECT id FROM follow_up_tasks ORDER BY due_at DESC LIMIT 50)`;
  t = performance.now();
  const next = await rollup.refreshReportRollups({});
  console.log(`rollup, a Schedule run after 50 changed tasks (${next.months.length} months): ${seconds(t)} s`);

  const reports = createReportService({ sql });
  const manager: Principal = { id: '00000000-0000-0000-0000-000000000001', username: 'bench', displayName: '管理层', role: 'manager', departmentCode: null };
  const period = lastMonths(currentMonth(), 24);
  console.log(`each report: the whole hospital, ${period.from} – ${period.to}\n`);
  for (const report of REPORT_KINDS) {
    const request = { report, period, departmentCode: null };
    await reports.collect(manager, request); // warm-up
    const queries: number[] = [];
    for (let i = 0; i < QUERY_RUNS; i++) {
      const started = performance.now();
      await reports.collect(manager, request);
      queries.push(performance.now() - started);
    }
    const exports: number[] = [];
    for (let i = 0; i < EXPORT_RUNS; i++) {
      const times = [];
      for (const format of ['xlsx', 'pdf'] as const) {
        const started = performance.now();
        await renderReportFile(await reports.collect(manager, request), format);
        times.push(performance.now() - started);
      }
      exports.push(Math.max(...times));
    }
    console.log(`${report} p95_ms=${Math.round(percentile(queries, 95))} export_ms=${Math.round(percentile(exports, 95))}`);
  }
  const [size] = await sql<{ total: string; rollups: string }[]>`
    SELECT pg_size_pretty(pg_database_size(current_database())) AS total,
           pg_size_pretty(pg_total_relation_size('report_department_month') + pg_total_relation_size('report_agent_month') + pg_total_relation_size('report_tag_month')) AS rollups`;
  console.log(`database size: ${size!.total} (rollups ${size!.rollups})`);
});

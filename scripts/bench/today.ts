/**
 * `npm run bench:today`: the agent's 今日任务 list with 100,000 tasks in the database.
 * Times the service query and the whole portal page (server render) for one agent.
 */
import { rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createHttpApp, loadWebBuild } from '../../api/server.js';
import { loadEnv } from '../../config/env.js';
import { createSql } from '../../db/client.js';
import { hashPassword } from '../../services/auth.js';
import { createServices } from '../../services/index.js';
import { readSessionToken } from '../../services/session-cookie.js';
import { buildPortal, makeTempDir, ROOT, runMigrations, startPostgres } from '../lib/stack.js';
import { percentile } from './report.js';
import { runBenchmark, teardown } from './run.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 100_000);
const DEPARTMENTS = 10;
const RUNS = 30;
// Inside the project: the server bundle resolves react & co. from node_modules.
const BUILD_DIR = join(ROOT, '.cache/bench-build');

await runBenchmark(async () => {
  const tmp = makeTempDir('suifang-bench-today-');
  teardown.add('temp folder', () => rmSync(tmp, { recursive: true, force: true }));
  const pg = await startPostgres({ dataDir: join(tmp, 'pg'), database: 'bench', teardown });
  const sql = createSql(pg.url);
  teardown.add('sql pool', () => sql.end({ timeout: 5 }));
  const connection = Connection.lazy({ address: '127.0.0.1:1' }); // the list never talks to Temporal
  teardown.add('temporal client', () => connection.close());
  console.log(`bench:today — ${TASKS.toLocaleString()} tasks, ${DEPARTMENTS} departments; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`);
  await runMigrations(pg.url);
  await buildPortal(BUILD_DIR);
  const hash = await hashPassword('bench-password-1');
  const started = Date.now();
  await sql`INSERT INTO departments (code, name, kind) SELECT 'D' || i, '科室' || i, 'clinical' FROM generate_series(1, ${DEPARTMENTS}) i`;
  await sql`INSERT INTO users (username, display_name, role, department_code, password_hash)
            SELECT 'agent' || i || '_' || j, '客服' || i || '-' || j, 'agent', 'D' || i, ${hash}
            FROM generate_series(1, ${DEPARTMENTS}) i, generate_series(1, 5) j`;
  const [template] = await sql<{ id: string }[]>`
    INSERT INTO question_templates (code, version, name, questions) VALUES ('bench', 1, 'bench', '[]') RETURNING id`;
  // One patient and encounter per task: the realistic worst case for the joins.
  await sql`INSERT INTO patients (his_patient_id, name, sex, birth_date, phone)
            SELECT 'P' || i, '患者' || i, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END, date '1950-01-01' + (i % 15000), '138' || lpad(i::text, 8, '0')
            FROM generate_series(1, ${TASKS}) i`;
  await sql`INSERT INTO encounters (his_encounter_id, patient_id, his_department_code, department_code, discharged_at, workflow_id, diagnosis_name)
            SELECT 'E' || p.his_patient_id, p.id, 'D' || (1 + (substr(p.his_patient_id, 2)::int % ${DEPARTMENTS})),
                   'D' || (1 + (substr(p.his_patient_id, 2)::int % ${DEPARTMENTS})),
                   now() - (((substr(p.his_patient_id, 2)::int / ${DEPARTMENTS}) % 60) || ' days')::interval - ((substr(p.his_patient_id, 2)::int % 600) || ' minutes')::interval, 'followup-E' || p.his_patient_id, '诊断'
            FROM patients p`;
  // Tasks spread over 60 days; most finished, the recent ones open (as in a hospital that keeps up).
  await sql`INSERT INTO follow_up_tasks (workflow_id, touchpoint_index, encounter_id, patient_id, department_code, assigned_agent_id,
                                         template_id, channel, due_at, status, max_attempts, urgent, updated_at)
            SELECT e.workflow_id, 0, e.id, e.patient_id, e.department_code,
                   (SELECT u.id FROM users u WHERE u.department_code = e.department_code
                    ORDER BY u.username OFFSET (hashtext(e.his_encounter_id) & 4) LIMIT 1),
                   ${template!.id}, 'phone', e.discharged_at + interval '3 days',
                   CASE WHEN e.discharged_at < now() - interval '5 days' THEN 'completed' ELSE 'open' END,
                   3, (hashtext(e.his_encounter_id) % 50 = 0), e.discharged_at + interval '4 days'
            FROM encounters e`;
  await sql`ANALYZE`;
  console.log(`data loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const env = { ...loadEnv({ NODE_ENV: 'test' }), DATABASE_URL: pg.url };
  const services = createServices({ sql, temporal: new Client({ connection }), env });
  const login = await services.auth.login({ username: 'agent1_1', password: 'bench-password-1' }, {});
  const app = createHttpApp({ services, webBuild: await loadWebBuild(BUILD_DIR) });
  const cookie = `sf_session=${login.token}`;
  if (!readSessionToken(cookie)) throw new Error('session cookie not readable');

  const serviceTimes: number[] = [];
  const pageTimes: number[] = [];
  let listed = 0;
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const { items } = await services.tasks.today(login.user);
    serviceTimes.push(performance.now() - t);
    listed = items.length;
    t = performance.now();
    const res = await app.request('/agent', { headers: { cookie } });
    await res.text();
    pageTimes.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`/agent answered ${res.status}`);
  }
  const fmt = (v: number[]) => `p50 ${percentile(v, 50).toFixed(1)} ms, p95 ${percentile(v, 95).toFixed(1)} ms`;
  console.log(`tasks listed for agent1_1: ${listed}`);
  console.log(`service today():        ${fmt(serviceTimes)}`);
  console.log(`GET /agent (SSR page):  ${fmt(pageTimes)}   target < 200 ms: ${percentile(pageTimes, 95) < 200 ? 'PASS' : 'FAIL'}`);
});

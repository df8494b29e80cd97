/**
 * `npm run chaos`: proof that killing any process loses nothing.
 *
 * Brings up a fresh cluster (scripts/lib/cluster.ts: Postgres, the Temporal server as separate
 * processes with two history processes, two workers, two API processes behind a load balancer,
 * every process supervised) and drives it as a hospital does: CHAOS_DISCHARGES discharges over
 * CHAOS_DURATION_S, half JSON over HTTP and half HL7 v2 over MLLP, each resent until confirmed
 * (scripts/chaos/his.ts); an agent records every call that falls due (CHAOS_DUE_AFTER_S after
 * discharge), a quarter with a complaint that opens a ticket, and an admin resolves each ticket
 * (scripts/chaos/staff.ts). Meanwhile, at random moments, one after the other, it SIGKILLs an
 * application worker, an API process mid-request, a Temporal history process, the matching
 * process and Postgres (scripts/chaos/faults.ts); the supervisor restarts each. After each fault
 * a probe discharge, sent right after the SIGKILL, measures how long until a discharge goes end to
 * end again (while the other worker / API process / history process carries on, or until the
 * matching process or Postgres is back).
 *
 * When the system is quiet it counts (scripts/chaos/checks.ts) and prints, as its last line,
 *   chaos: discharges=<n> lost=<n> duplicated=<n> faults=<n> recovery_s=<n>
 * (recovery_s: the longest time from a SIGKILL until a new discharge was planned again). Exit 1 when
 * lost or duplicated is not 0, the audit chain does not verify, the HIS saw an answer other than
 * success or a retryable error, or a discharge could not be delivered at all.
 */
import { Client, Connection } from '@temporalio/client';
import { loadEnv } from '../config/env.js';
import { createSql, type Sql } from '../db/client.js';
import { hashPassword } from '../services/auth.js';
import { payloadDataConverter } from '../worker/payload-codec.js';
import { fmt, formatTable, intFromEnv } from './bench/report.js';
import { pool } from './bench/run.js';
import { runChecks, type Confirmed } from './chaos/checks.js';
import { FAULT_KINDS, inject, type Fault } from './chaos/faults.js';
import { deliver, seen, type Delivery } from './chaos/his.js';
import { StaffSession } from './chaos/staff.js';
import { generateDemoDischarges, type DemoDischarge } from './demo-data.js';
import { startThrowawayCluster } from './lib/cluster.js';
import { takeOverProcessEvent, Teardown } from './lib/stack.js';
import { sleep, waitUntil } from './lib/wait.js';

const COUNT = intFromEnv('CHAOS_DISCHARGES', 1000);
const DURATION_S = intFromEnv('CHAOS_DURATION_S', 180);
const CONCURRENCY = intFromEnv('CHAOS_CONCURRENCY', 16);
const DUE_AFTER_S = intFromEnv('CHAOS_DUE_AFTER_S', 30);
const SETTLE_TIMEOUT_S = intFromEnv('CHAOS_SETTLE_TIMEOUT_S', 900);
/** A HIS gives up on a message after this long (then it is "undelivered", which fails the run). */
const HIS_DEADLINE_S = 600;
const DEPARTMENT = 'CHAOS';
const PASSWORD = 'chaos-run-password';
const QUESTIONS = [
  { id: 'pain', text: '疼痛程度(1–5)', type: 'rating', redFlag: { op: 'gte', value: 5 } },
  { id: 'wound_exudate', text: '伤口有无渗液?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
];

const log = (msg: string) => console.log(msg.startsWith('[') ? msg : `[chaos] ${msg}`);
const teardown = new Teardown((msg) => console.error(`[chaos] ${msg}`));
const elapsed = (since: number) => fmt((Date.now() - since) / 1000);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  takeOverProcessEvent(signal, () => void teardown.run().finally(() => process.exit(130)));
}

/** Runs `query`, and again after a pause while Postgres is away (the chaos tool's own reads). */
async function retrying<T>(query: () => Promise<T>): Promise<T> {
  return waitUntil(async () => ({ value: await query() }), 600_000, { intervalMs: 500, what: 'a query of the chaos tool' }).then((r) => r.value);
}

async function seed(sql: Sql): Promise<void> {
  const hash = await hashPassword(PASSWORD);
  await sql`INSERT INTO departments (code, name, kind) VALUES (${DEPARTMENT}, '混沌测试科', 'clinical')`;
  await sql`INSERT INTO users (username, display_name, role, department_code, password_hash) VALUES
            ('chaos_agent', '混沌客服', 'agent', ${DEPARTMENT}, ${hash}), ('chaos_admin', '混沌管理员', 'admin', NULL, ${hash})`;
  await sql`INSERT INTO question_templates (code, version, department_code, name, questions)
            VALUES ('chaos', 1, ${DEPARTMENT}, '混沌随访', ${sql.json(QUESTIONS as never)})`;
  await sql`INSERT INTO follow_up_rules (department_code, name, greeting_text, touchpoints)
            VALUES (${DEPARTMENT}, '混沌规则', '祝您早日康复',
                    ${sql.json([{ offsetSeconds: DUE_AFTER_S, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600, templateCode: 'chaos' }] as never)})`;
  // Complaints go to the same department; short SLA and rating wait, so escalations and closes happen during the run.
  await sql`UPDATE feedback_routes SET department_code = ${DEPARTMENT}, sla_seconds = 40, escalate_seconds = 40, rating_wait_seconds = 60`;
}

async function main(): Promise<number> {
  const started = Date.now();
  log('bringing up the cluster (Temporal server, 2 history processes, 2 workers, 2 API processes)…');
  const cluster = await startThrowawayCluster({ name: 'chaos', workers: 2, keep: Boolean(process.env.CHAOS_KEEP), log, teardown });
  log(`cluster up in ${elapsed(started)} s; logs in ${cluster.logDir}`);
  const sql = createSql(cluster.databaseUrl, { max: 4 });
  teardown.add('sql', () => sql.end({ timeout: 5 }));
  await seed(sql);
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  teardown.add('temporal client', () => connection.close());
  const temporal = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter(loadEnv({ NODE_ENV: 'development' })) });

  const target = { httpUrl: cluster.httpUrl, mllpPort: cluster.mllpPort };
  const confirmed: Confirmed = { discharges: [], contacts: new Map(), resolved: new Set() };
  const undelivered: Delivery[] = [];
  const staffFailures: string[] = [];
  const seedNo = 10_000 + Math.floor(Math.random() * 80_000);
  const discharges = generateDemoDischarges({ now: new Date(), count: COUNT, days: 1, seed: seedNo });
  const t0 = Date.now();
  const hisDone = { value: false };

  // --- the HIS: discharges spread over DURATION_S, half JSON, half HL7 ---------------------------
  const send = async (d: DemoDischarge, via: 'json' | 'hl7') => {
    const delivery = await deliver(target, { ...d, department: DEPARTMENT, dischargedAt: new Date().toISOString() }, via, Date.now() + HIS_DEADLINE_S * 1000);
    if (delivery.accepted) confirmed.discharges.push(delivery.encounterId);
    else undelivered.push(delivery);
  };
  const his = pool(discharges, CONCURRENCY, async (d, i) => {
    const due = t0 + (i * DURATION_S * 1000) / COUNT;
    if (due > Date.now()) await sleep(due - Date.now());
    await send(d, i % 2 === 0 ? 'json' : 'hl7');
  }).finally(() => (hisDone.value = true));

  // --- the staff: every due call recorded, every ticket resolved ------------------------------------
  const agent = new StaffSession(cluster.httpUrl, 'chaos_agent', PASSWORD);
  const admin = new StaffSession(cluster.httpUrl, 'chaos_admin', PASSWORD);
  const handledTasks = new Set<string>();
  const handledTickets = new Set<string>();
  let contactNo = 0;
  let staffStop = false;
  const staff = (async () => {
    while (!staffStop) {
      const [tasks, tickets] = await retrying(() =>
        Promise.all([
          sql<{ id: string }[]>`SELECT id FROM follow_up_tasks WHERE status = 'open' AND department_code = ${DEPARTMENT} ORDER BY due_at LIMIT 200`,
          sql<{ id: string }[]>`SELECT id FROM tickets WHERE status IN ('open', 'in_progress') AND department_code = ${DEPARTMENT} LIMIT 200`,
        ]),
      );
      const newTasks = tasks.filter((t) => !handledTasks.has(t.id));
      const newTickets = tickets.filter((t) => !handledTickets.has(t.id));
      await Promise.all([
        pool(newTasks, 4, async ({ id }) => {
          handledTasks.add(id);
          const feedback = contactNo++ % 4 === 0;
          const r = await agent.recordContact(id, feedback, Date.now() + HIS_DEADLINE_S * 1000);
          if (r.done) confirmed.contacts.set(id, { feedback });
          else staffFailures.push(`call on task ${id} not confirmed after ${r.attempts} tries`);
        }),
        pool(newTickets, 2, async ({ id }) => {
          handledTickets.add(id);
          const r = await admin.resolveTicket(id, Date.now() + HIS_DEADLINE_S * 1000);
          if (r.done) confirmed.resolved.add(id);
          else staffFailures.push(`resolution of ticket ${id} not confirmed after ${r.attempts} tries`);
        }),
      ]);
      await sleep(1000);
    }
  })();

  // --- the faults: one of each kind, in random order, at random moments of the load ---------------
  const faults: Fault[] = [];
  const plannedCount = async (ids: string[]) => {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_events WHERE step = 'planned' AND workflow_id = ANY(${ids})`;
    return row!.n;
  };
  let probeNo = 0;
  const chaos = (async () => {
    const kinds = [...FAULT_KINDS].sort(() => Math.random() - 0.5);
    for (const [k, kind] of kinds.entries()) {
      const at = t0 + DURATION_S * 1000 * (0.1 + (0.8 * (k + Math.random())) / kinds.length);
      if (at > Date.now()) await sleep(at - Date.now());
      const fault = await inject(cluster, kind);
      // Right after the SIGKILL, a probe discharge, resent until confirmed, then followed until its workflow has planned.
      const probe = { ...discharges[0]!, encounterId: `PROBE${seedNo}${++probeNo}`, patient: { ...discharges[0]!.patient, id: `PP${seedNo}${probeNo}` } };
      await send(probe, 'json');
      await waitUntil(() => plannedCount([`followup-${probe.encounterId}`]).catch(() => 0), 600_000, { intervalMs: 200, what: 'the probe planned' });
      fault.recoveryS = (Date.now() - fault.at) / 1000;
      await fault.restarted;
      log(`SIGKILL ${fault.target} at ${fmt((fault.at - t0) / 1000)} s: a new discharge went end to end again after ${fmt(fault.recoveryS)} s; restarted after ${fmt(fault.restartS!)} s`);
      faults.push(fault);
    }
  })();

  const progress = setInterval(() => {
    log(`${elapsed(t0)} s: ${confirmed.discharges.length}/${COUNT} discharges confirmed, ${confirmed.contacts.size} calls, ${confirmed.resolved.size} tickets resolved, ${faults.length} faults`);
  }, 15_000);
  teardown.add('progress', () => clearInterval(progress));
  await Promise.all([his, chaos]);
  log(`load and faults done in ${elapsed(t0)} s; waiting for the system to be quiet…`);

  // --- quiet: every confirmed discharge planned, every due task called, every ticket resolved ---------
  const lastDue = Date.now() + DUE_AFTER_S * 1000;
  const quietStarted = Date.now();
  await waitUntil(
    async () => {
      if (Date.now() < lastDue) return false;
      const ids = confirmed.discharges.map((e) => `followup-${e}`);
      const [[open], [tickets], planned] = await Promise.all([
        sql<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_tasks WHERE status = 'open' AND department_code = ${DEPARTMENT}`,
        sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tickets WHERE status IN ('open', 'in_progress') AND department_code = ${DEPARTMENT}`,
        plannedCount(ids),
      ]);
      const [due] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM follow_up_tasks WHERE workflow_id = ANY(${ids})`;
      const complaints = [...confirmed.contacts.values()].filter((c) => c.feedback).length;
      const [ticketsMade] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tickets WHERE department_code = ${DEPARTMENT}`;
      return planned === ids.length && due!.n >= ids.length && open!.n === 0 && tickets!.n === 0 && ticketsMade!.n >= complaints;
    },
    SETTLE_TIMEOUT_S * 1000,
    { intervalMs: 2000, what: 'a quiet system' },
  ).catch((err: Error) => log(`not quiet after ${SETTLE_TIMEOUT_S} s (${err.message}); counting anyway`));
  staffStop = true;
  await staff;
  log(`quiet after ${elapsed(quietStarted)} s more`);

  // --- counting ----------------------------------------------------------------------------------------
  const result = await runChecks({ sql, temporal, confirmed, department: DEPARTMENT });
  const lost = result.lines.reduce((s, l) => s + l.lost, 0);
  const duplicated = result.lines.reduce((s, l) => s + l.duplicated, 0);
  console.log(`\n${formatTable(['check', 'expected', 'lost', 'duplicated', ''], result.lines.map((l) => [l.what, l.expected, l.lost, l.duplicated, l.note ?? '']))}`);
  console.log(`\naudit chain: ${result.auditOk ? 'verifies' : 'BROKEN'} (${result.auditRows} rows); inbound messages stored but never processed: ${result.unprocessedInbox}`);
  const acceptable = /^(HTTP (202|503)|HL7 (AA|AE)|connection: .*)$/;
  const unexpected = [...seen.entries()].filter(([what]) => !acceptable.test(what));
  console.log(`\nwhat the HIS saw (answers to ${COUNT + probeNo} discharges, resends included):`);
  console.log(formatTable(['answer', 'times'], [...seen.entries()].sort((a, b) => b[1] - a[1]).map(([what, n]) => [what, n])));
  console.log(`\n${formatTable(
    ['fault (SIGKILL)', 'at s', 'restarted after s', 'end to end again after s'],
    faults.map((f) => [f.target, fmt((f.at - t0) / 1000), fmt(f.restartS!), fmt(f.recoveryS!)]),
  )}`);
  for (const u of undelivered) console.log(`undelivered: ${u.via} ${u.encounterId} after ${u.attempts} tries: ${u.failure}`);
  for (const f of staffFailures) console.log(`staff: ${f}`);
  if (unexpected.length) console.log(`the HIS saw answers that are neither success nor retryable: ${unexpected.map(([w, n]) => `${w} ×${n}`).join(', ')}`);
  console.log(`\ntotal ${elapsed(started)} s (load ${DURATION_S} s for ${COUNT} discharges, ${CONCURRENCY} HIS connections; machine load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')})`);

  const recovery = Math.ceil(Math.max(0, ...faults.map((f) => f.recoveryS ?? 0)));
  const failed = lost !== 0 || duplicated !== 0 || !result.auditOk || unexpected.length > 0 || undelivered.length > 0 || staffFailures.length > 0;
  await teardown.run();
  console.log(`chaos: discharges=${confirmed.discharges.length} lost=${lost} duplicated=${duplicated} faults=${faults.length} recovery_s=${recovery}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(`[chaos] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await teardown.run();
    process.exit(1);
  },
);

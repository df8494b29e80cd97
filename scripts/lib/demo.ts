/**
 * What `npm start` and `npm run start:cluster` share around the bring-up: one instance per data
 * folder, the check that the public ports are free, and the demo data (departments, logins,
 * discharges through the HIS ingest path, tickets, older calls, a clinic session).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Env } from '../../config/env.js';
import { createSql } from '../../db/client.js';
import { ROLE_LABELS } from '../../domain/access.js';
import { createServices } from '../../services/index.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { DEMO_USERS } from '../demo-data.js';
import { seedDemoClinic } from '../demo-clinic.js';
import { seedDemoFollowUps } from '../demo-follow-ups.js';
import { seedDemoTickets } from '../demo-tickets.js';
import { seedDemoData } from '../seed-demo.js';

type Log = (msg: string) => void;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Takes `<dataDir>/run.lock` for this process; returns the pid of the live process that holds it
 * instead, if any. The returned release() removes the lock.
 */
export function takeRunLock(dataDir: string): { heldBy?: number; release(): void } {
  const lockFile = join(dataDir, 'run.lock');
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (pid && pid !== process.pid && alive(pid)) return { heldBy: pid, release() {} };
  }
  writeFileSync(lockFile, String(process.pid));
  return { release: () => rmSync(lockFile, { force: true }) };
}

export const portBusy = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

/** The first of `needed` that something already listens on, if any. */
export async function firstBusyPort(needed: [number, string][]): Promise<[number, string] | undefined> {
  for (const entry of needed) if (await portBusy(entry[0])) return entry;
  return undefined;
}

/**
 * Loads the demo hospital through the same paths the hospital uses (idempotent); returns the
 * clinic session to show, if any.
 */
export async function loadDemoData(o: { databaseUrl: string; env: Env; log: Log }): Promise<{ clinicSession?: string }> {
  const { env, log } = o;
  const sql = createSql(o.databaseUrl, { max: 5 });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
    // The demo's 60 days of history are loaded as if each discharge had arrived on its day: the
    // rule that nobody is called about a stay that ended long ago would leave the older ones bare.
    const services = createServices({ sql, temporal, env: { ...env, HIS_FOLLOW_UP_HORIZON_DAYS: 3650, HIS_LATE_FOLLOW_UP_DAYS: 3650 } });
    const { discharges } = await seedDemoData({ sql, services, password: env.DEMO_PASSWORD });
    if (discharges) log(`demo data: ${discharges} discharges sent through the HIS ingest path`);
    const tickets = await seedDemoTickets({ sql, services, temporal });
    if (tickets) log(`demo data: ${tickets} feedback tickets driven through their workflows`);
    if (discharges) {
      const calls = await seedDemoFollowUps({ sql, services });
      log(`demo data: ${calls} older follow-up calls recorded through the workflow Update`);
    }
    const seeded = await seedDemoClinic({ sql, services, temporal, taskQueue: env.TEMPORAL_TASK_QUEUE });
    const [latest] = await sql<{ id: string }[]>`SELECT id FROM clinic_sessions ORDER BY session_date DESC LIMIT 1`;
    return { clinicSession: seeded ?? latest?.id };
  } finally {
    await connection.close();
    await sql.end();
  }
}

/** The demo logins for the start banner. */
export function demoLoginLines(env: Env): string {
  return env.SEED_DEMO_DATA
    ? DEMO_USERS.map((u) => `    ${u.username.padEnd(10)} ${ROLE_LABELS[u.role]}${u.departmentCode ? ` (${u.departmentCode})` : ''}`).join('\n')
    : '    (SEED_DEMO_DATA=false: no demo users)';
}

/**
 * Chaos: Temporal goes down while the HIS keeps sending. Runs against a Temporal dev server of
 * its own (a SQLite file, so it comes back with its state), never the shared one. Discharges
 * posted while it is down are stored and answered with a retryable error (503 / AE); once it is
 * back, the inbox reconciler's Schedule processes them: every one gets its workflow without the
 * HIS resending anything.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApi } from '../api/app.js';
import { RETRY_LATER, startMllpListener, type MllpListener } from '../api/his/mllp-listener.js';
import { loadEnv, type Env } from '../config/env.js';
import { createSql, type Sql } from '../db/client.js';
import { freePort } from '../scripts/lib/free-port.js';
import { findOrBuildTemporalCli } from '../scripts/lib/temporal-cli.js';
import { startTemporalDevServer, type RunningDevServer } from '../scripts/lib/temporal-dev-server.js';
import { createServices } from '../services/index.js';
import { createWorker } from '../worker/create-worker.js';
import { ensureHisInboxSchedule } from '../worker/his-inbox-schedule.js';
import { payloadDataConverter } from '../worker/payload-codec.js';
import { followUpWorkflowId } from '../workflows/follow-up/contracts.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { readAck, sendHl7 } from './support/mllp.js';
import { createTestOrg, dischargeBody } from './support/org.js';
import { uniq } from './support/stack.js';

const quiet = { info() {}, warn() {}, error() {} };

describe('Temporal down while discharges arrive', () => {
  const infra = inject('infra');
  const dir = mkdtempSync(join(tmpdir(), 'suifang-chaos-'));
  let devServer: { start(): Promise<RunningDevServer>; current?: RunningDevServer };
  let sql: Sql;
  let connection: Connection;
  let client: Client;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let mllp: MllpListener;
  let env: Env;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') }); // this file runs in a process of its own
    const [cli, port] = await Promise.all([findOrBuildTemporalCli(), freePort()]);
    const options = { cli, port, uiPort: null, namespace: 'default', dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') };
    devServer = {
      async start() {
        this.current = await startTemporalDevServer(options);
        return this.current;
      },
    };
    const server = await devServer.start();
    env = { ...loadEnv({ NODE_ENV: 'test' }), DATABASE_URL: infra.databaseUrl, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}` };
    sql = createSql(infra.databaseUrl, { max: 5 });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter(env) });
    workerConnection = await NativeConnection.connect({ address: server.address });
    worker = await createWorker({
      connection: workerConnection,
      namespace: 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      sql,
      dataConverter: payloadDataConverter(env),
      workflowBundle: { codePath: infra.workflowBundlePath },
    });
    running = worker.run();
    await ensureHisInboxSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE, everySeconds: 2, olderThanSeconds: 1 });
  }, 240_000);

  afterAll(async () => {
    await mllp?.close();
    worker?.shutdown();
    await running?.catch(() => {});
    await workerConnection?.close().catch(() => {});
    await connection?.close().catch(() => {});
    await devServer?.current?.stop();
    await sql?.end({ timeout: 5 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('stored and answered 503 / AE while Temporal is down; every one has its workflow once it is back, without a resend', async () => {
    const services = createServices({ sql, temporal: client, env });
    const api = createApi(services);
    const org = await createTestOrg(sql);
    mllp = await startMllpListener({ port: 0, host: '127.0.0.1', services, logger: quiet });
    const post = async (body: unknown) => api.request('/his/discharges', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const before = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() });
    expect((await post(before)).status).toBe(202);

    await devServer.current!.stop();

    const bodies = [0, 1, 2].map(() => dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() }));
    const answers = await Promise.all(bodies.map(post));
    expect(answers.map((r) => r.status)).toEqual([503, 503, 503]);
    const hl7Encounter = `ZY${uniq()}`;
    const pv1 = Array<string>(46).fill('');
    Object.assign(pv1, { 0: 'PV1', 1: '1', 2: 'I', 3: org.deptA, 19: hl7Encounter, 45: new Date(Date.now() + 8 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) });
    const hl7 = [`MSH|^~\\&|HIS|H|FU|H|20261129||ADT^A03^ADT_A03|C${uniq()}|P|2.5`, `PID|1||P${uniq()}||王秀英`, pv1.join('|')].join('\r');
    expect(readAck(await sendHl7(mllp.port, hl7))).toMatchObject({ code: 'AE', text: RETRY_LATER });

    const encounterIds = [...bodies.map((b) => b.encounterId), hl7Encounter];
    const stored = await sql<{ his_encounter_id: string; outcome: string }[]>`
      SELECT his_encounter_id, outcome FROM inbound_messages WHERE his_encounter_id = ANY(${encounterIds})`;
    expect(stored.map((r) => r.outcome)).toEqual(['received', 'received', 'received', 'received']);

    await devServer.start();

    // Nothing is sent again: the reconciler's Schedule finds the stored messages and processes them.
    for (const encounterId of encounterIds) {
      await waitFor(() => client.workflow.getHandle(followUpWorkflowId(encounterId)).describe(), 120_000, `workflow of ${encounterId}`);
    }
    const settled = await waitFor(async () => {
      const rows = await sql<{ outcome: string }[]>`SELECT outcome FROM inbound_messages WHERE his_encounter_id = ANY(${encounterIds})`;
      return rows.every((r) => r.outcome === 'accepted') ? rows : undefined;
    }, 30_000, 'inbox settled');
    expect(settled).toHaveLength(4);
  }, 240_000);
});

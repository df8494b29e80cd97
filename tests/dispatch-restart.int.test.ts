/**
 * A worker killed (SIGKILL) in the middle of a dispatch burst, then started again: every message
 * reaches the patient's phone exactly once, by the batch dispatcher (outboxDispatcherWorkflow) and
 * by the per-message workflow that still delivers messages queued before it. The worker is a real child process (worker/main.ts)
 * on a Temporal dev server of its own; the Twilio simulator answers slowly so the kill lands
 * while sends are in flight.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handToOutboxDispatcher } from '../activities/channels/outbox.js';
import { createApi } from '../api/app.js';
import { loadEnv, type Env } from '../config/env.js';
import { createSql, type Sql } from '../db/client.js';
import { freePort } from '../scripts/lib/free-port.js';
import { startWorker, type ChildService } from '../scripts/lib/stack.js';
import { findOrBuildTemporalCli } from '../scripts/lib/temporal-cli.js';
import { startTemporalDevServer, type RunningDevServer } from '../scripts/lib/temporal-dev-server.js';
import { DEV_SIMULATOR_CREDENTIALS, startSimulators, type Simulators } from '../scripts/simulators/providers.js';
import { createServices } from '../services/index.js';
import { payloadDataConverter } from '../worker/payload-codec.js';
import { outboxStart } from '../workflows/outbox/contracts.js';
import { startOnce } from '../workflows/shared/start.js';
import { PUBLIC_BASE_URL, setContactRules, uniquePhone } from './support/channels.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg } from './support/org.js';
import { uniq } from './support/stack.js';

const MESSAGES = 60;

describe('worker restart in the middle of a dispatch', () => {
  const infra = inject('infra');
  const dir = mkdtempSync(join(tmpdir(), 'suifang-dispatch-'));
  let server: RunningDevServer;
  let sql: Sql;
  let connection: Connection;
  let client: Client;
  let sims: Simulators;
  let env: Env;
  const workers: ChildService[] = [];

  beforeAll(async () => {
    const [cli, port] = await Promise.all([findOrBuildTemporalCli(), freePort()]);
    server = await startTemporalDevServer({ cli, port, uiPort: null, namespace: 'default', logFile: join(dir, 'temporal.log') });
    sql = createSql(infra.databaseUrl, { max: 5 });
    let api: ReturnType<typeof createApi> | undefined;
    sims = await startSimulators({
      ...DEV_SIMULATOR_CREDENTIALS,
      publicBaseUrl: PUBLIC_BASE_URL,
      sendLatencyMs: 150,
      deliver: async (url, init) => {
        const u = new URL(url);
        return api!.request(`${u.pathname.replace(/^\/api/, '')}${u.search}`, init);
      },
    });
    env = { ...loadEnv({ NODE_ENV: 'test', ...sims.env }), DATABASE_URL: infra.databaseUrl, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: `dispatch-${randomUUID()}` };
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter(env) });
    api = createApi(createServices({ sql, temporal: client, env }));
  }, 240_000);

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await connection?.close().catch(() => {});
    await server?.stop();
    await sims?.close();
    await sql?.end({ timeout: 5 });
    rmSync(dir, { recursive: true, force: true });
  });

  const startChildWorker = () => {
    const worker = startWorker({
      name: `worker-${workers.length + 1}`,
      env: {
        ...process.env,
        ...sims.env,
        NODE_ENV: 'test',
        DATABASE_URL: infra.databaseUrl,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: env.TEMPORAL_TASK_QUEUE,
        WORKFLOW_BUNDLE: infra.workflowBundlePath,
      },
    });
    workers.push(worker);
    return worker;
  };

  /** `count` queued notices to patients of their own, tagged with `run` in their text. */
  async function queueNotices(run: string, count: number): Promise<{ ids: string[]; phones: string[] }> {
    const org = await createTestOrg(sql);
    await setContactRules(sql, org.deptA, {});
    const phones: string[] = [];
    for (let i = 0; i < count; i++) {
      const phone = uniquePhone();
      phones.push(`+86${phone}`);
      await sql`
        WITH p AS (INSERT INTO patients (his_patient_id, name, phone, birth_date) VALUES (${`R-${run}-${i}`}, '测试患者', ${phone}, '1980-01-01') RETURNING id)
        INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body)
        SELECT ${`restart-${run}-${i}`}, 'notice', p.id, 'sms', ${`复诊通知 ${run}-${i}`} FROM p`;
    }
    const ids = await sql<{ id: string }[]>`SELECT id FROM outbound_messages WHERE workflow_id LIKE ${`restart-${run}-%`}`;
    return { ids: ids.map((r) => r.id), phones };
  }

  /** Starts a worker, dispatches, SIGKILLs it a quarter of the way, starts another: each message reached its phone once. */
  async function killMidDispatch(run: string, count: number, phones: string[], dispatch: () => Promise<void>): Promise<void> {
    const first = startChildWorker();
    await first.ready;
    await dispatch();
    await waitFor(async () => sims.messages.filter((m) => m.body.includes(run)).length >= count / 4 || undefined, 60_000, 'a quarter sent');
    first.process.kill('SIGKILL');
    await first.exited;
    const sentBeforeKill = sims.messages.filter((m) => m.body.includes(run)).length;
    expect(sentBeforeKill).toBeLessThan(count);

    const second = startChildWorker();
    await second.ready;
    await waitFor(
      async () => {
        const [row] = await sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM outbound_messages WHERE workflow_id LIKE ${`restart-${run}-%`} AND status IN ('sent', 'delivered')`;
        return row!.n === count || undefined;
      },
      150_000,
      'every message sent after the restart',
    );
    const bodies = sims.messages.filter((m) => m.direction === 'outbound' && m.body.includes(run)).map((m) => m.body);
    expect(bodies).toHaveLength(count);
    expect(new Set(bodies).size).toBe(count);
    expect(new Set(sims.messages.filter((m) => m.body.includes(run)).map((m) => m.address))).toEqual(new Set(phones));
    await second.stop();
  }

  it('sends every message exactly once although the worker died mid-send (the batch dispatcher)', async () => {
    // More messages than the per-message case: the batch dispatcher has 24 in hand at once.
    const run = uniq();
    const count = 300;
    const { ids, phones } = await queueNotices(run, count);
    await killMidDispatch(run, count, phones, () => handToOutboxDispatcher(sql, client, env.TEMPORAL_TASK_QUEUE, ids));
    // The dispatcher left nothing behind: every message done.
    const [left] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM outbound_messages WHERE workflow_id LIKE ${`restart-${run}-%`} AND dispatch_stage <> 'done'`;
    expect(left!.n).toBe(0);
  }, 240_000);

  it('sends every message exactly once although the worker died mid-send (messages queued before it, one workflow each)', async () => {
    const run = uniq();
    const { ids, phones } = await queueNotices(run, MESSAGES);
    await killMidDispatch(run, MESSAGES, phones, async () => {
      for (const id of ids) await startOnce(client, env.TEMPORAL_TASK_QUEUE, outboxStart({ messageId: id }));
    });
  }, 240_000);
});

/**
 * DIAGNOSTICS ONLY: the worker of worker/main.ts with Worker.create options overridden, to try
 * a tuning before anyone edits worker/create-worker.ts. The bench harness runs this instead of
 * worker/main.ts when BENCH_WORKER_OPTIONS and/or BENCH_WORKER_PG_MAX is set, e.g.
 *
 *   BENCH_WORKER_OPTIONS='{"workflowTaskPollerBehavior":{"type":"autoscaling"}}' npm run bench:ingest
 *   BENCH_WORKER_PG_MAX=20 npm run bench:burst
 *
 * The options of create-worker.ts are kept (it is called as is); only the keys given in
 * BENCH_WORKER_OPTIONS replace them, by wrapping Worker.create for this process.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { loadEnv } from '../../config/env.js';
import { createSql } from '../../db/client.js';
import { createWorker } from '../../worker/create-worker.js';
import { ensureSearchAttributes } from '../../worker/search-attributes.js';
import { payloadDataConverter } from '../../worker/payload-codec.js';

const env = loadEnv();
Runtime.install({ logger: new DefaultLogger('WARN') });
if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required');

const overrides = JSON.parse(process.env.BENCH_WORKER_OPTIONS || '{}') as Partial<WorkerOptions>;
const pgMax = process.env.BENCH_WORKER_PG_MAX ? Number(process.env.BENCH_WORKER_PG_MAX) : undefined;

const create = Worker.create.bind(Worker);
Worker.create = (options: WorkerOptions) => create({ ...options, ...overrides });

const sql = createSql(env.DATABASE_URL, pgMax ? { max: pgMax } : {});
const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
const worker = await createWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  dataConverter: payloadDataConverter(env),
  sql,
});
console.log(`[worker] VARIANT options ${JSON.stringify(overrides)}${pgMax ? `, pg pool ${pgMax}` : ''}`);
console.log(`[worker] polling task queue "${env.TEMPORAL_TASK_QUEUE}" on ${env.TEMPORAL_ADDRESS}/${env.TEMPORAL_NAMESPACE}`);
await worker.run();
await connection.close();
await sql.end({ timeout: 5 });
console.log('[worker] stopped');

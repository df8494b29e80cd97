/**
 * `npm run bench:dispatch`: 10,000 queued patient messages, all due now, delivered by the batch
 * outbox dispatcher (outboxDispatcherWorkflow, the worker as a child process) through the Twilio
 * simulator, whose signed status callbacks come back to the API over HTTP. Prints messages/s and
 * the worst delay past due (queued → handed to the provider); target: all within 5 minutes.
 */
import { cpus } from 'node:os';
import { DEV_SIMULATOR_CREDENTIALS, startSimulators } from '../simulators/providers.js';
import { handToOutboxDispatcher } from '../../activities/channels/outbox.js';
import { fmt, intFromEnv } from './report.js';
import { runBenchmark, teardown } from './run.js';
import { runTag, startBenchStack } from './stack.js';

const MESSAGES = intFromEnv('BENCH_MESSAGES', 10_000);
const TARGET_S = 300;
const CALLBACK_CONNECTIONS = 32;

let callbacksInFlight = 0;
const waitingCallbacks: (() => void)[] = [];
const callbackSlot = () =>
  callbacksInFlight < CALLBACK_CONNECTIONS ? Promise.resolve(void callbacksInFlight++) : new Promise<void>((resolve) => waitingCallbacks.push(resolve));
const releaseCallbackSlot = () => {
  const next = waitingCallbacks.shift();
  if (next) next();
  else callbacksInFlight--;
};

await runBenchmark(async () => {
  let apiOrigin = '';
  const sims = await startSimulators({
    ...DEV_SIMULATOR_CREDENTIALS,
    publicBaseUrl: 'https://suifang.bench.invalid',
    // Callbacks go out over at most CALLBACK_CONNECTIONS connections at once, as a provider's
    // webhook sender does: unbounded, 20,000 callbacks in a few minutes opened thousands of sockets
    // to the API in this same process and failed on connect timeouts (the reports then never came).
    deliver: async (url, init) => {
      const u = new URL(url);
      await callbackSlot();
      try {
        return await fetch(`${apiOrigin}${u.pathname}${u.search}`, init);
      } finally {
        releaseCallbackSlot();
      }
    },
  });
  teardown.add('simulators', () => sims.close());
  const stack = await startBenchStack({ env: sims.env });
  apiOrigin = stack.apiUrl.replace(/\/api$/, '');
  const sql = stack.probe;
  console.log(`bench:dispatch — ${MESSAGES.toLocaleString()} messages through the Twilio simulator; ${cpus().length} cores`);

  // The hospital-wide contact rules, without quiet hours (the benchmark may run at night) and with a
  // short report wait; nothing here counts against the caps (notices).
  await sql`UPDATE contact_rules SET quiet_start = '00:00', quiet_end = '00:00', delivery_wait_seconds = 30 WHERE department_code IS NULL`;
  const tag = runTag();
  await sql`
    INSERT INTO patients (his_patient_id, name, phone, birth_date)
    SELECT ${`B${tag}-`} || i, '患者' || i, '139' || lpad(i::text, 8, '0'), date '1980-01-01' FROM generate_series(1, ${MESSAGES}) i`;
  const ids = await sql<{ id: string }[]>`
    INSERT INTO outbound_messages (workflow_id, step, patient_id, channel, body)
    SELECT 'bench-' || p.his_patient_id, 'notice', p.id, 'sms', '【随访】复诊提醒 ' || p.his_patient_id
    FROM patients p WHERE p.his_patient_id LIKE ${`B${tag}-%`}
    RETURNING id`;

  // Handed to the task queue's batch dispatcher, as a queueing activity does (startOutboxDispatch).
  const started = Date.now();
  await handToOutboxDispatcher(sql, stack.temporal, stack.taskQueue, ids.map(({ id }) => id));
  console.log(`[bench] ${ids.length} messages handed to the dispatcher in ${fmt((Date.now() - started) / 1000)} s`);
  let last = -1;
  for (;;) {
    const [row] = await sql<{ sent: number }[]>`SELECT count(*)::int AS sent FROM outbound_messages WHERE workflow_id LIKE 'bench-%' AND sent_at IS NOT NULL`;
    if (row!.sent !== last) console.log(`[bench] ${row!.sent} handed to the provider after ${fmt((Date.now() - started) / 1000)} s`);
    last = row!.sent;
    if (row!.sent >= MESSAGES) break;
    if (Date.now() - started > 3 * TARGET_S * 1000) throw new Error(`only ${row!.sent} of ${MESSAGES} sent after ${3 * TARGET_S} s`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const [stats] = await sql<{ first: Date; last: Date; worst: number }[]>`
    SELECT min(sent_at) AS first, max(sent_at) AS last, max(extract(epoch FROM sent_at - created_at))::float AS worst
    FROM outbound_messages WHERE workflow_id LIKE 'bench-%'`;
  // Delivery reports come back through the webhook behind the sends; how far they had come by now.
  const [reports] = await sql<{ delivered: number; failed: number }[]>`
    SELECT count(*) FILTER (WHERE d.status = 'delivered')::int AS delivered, count(*) FILTER (WHERE d.status = 'failed')::int AS failed
    FROM message_deliveries d JOIN outbound_messages m ON m.id = d.message_id WHERE m.workflow_id LIKE 'bench-%'`;
  const total = (stats!.last.getTime() - started) / 1000;
  const received = sims.messages.filter((m) => m.direction === 'outbound' && m.body.includes(`B${tag}-`));
  const duplicates = received.length - new Set(received.map((m) => m.body)).size;
  console.log(`
bench:dispatch results
  messages handed to the simulator   ${received.length} (duplicates: ${duplicates})
  all sent after                     ${fmt(total)} s (first after ${fmt((stats!.first.getTime() - started) / 1000)} s)
  throughput                         ${fmt(MESSAGES / total)} messages/s
  worst delay past due               ${fmt(stats!.worst)} s
  delivery reports taken by then     ${reports!.delivered} delivered, ${reports!.failed} failed (callbacks still queued: ${callbacksInFlight + waitingCallbacks.length})
  target (all within ${TARGET_S} s)         ${total <= TARGET_S ? 'met' : 'NOT met'}`);
});

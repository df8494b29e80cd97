/** Worker process: `npm run worker`. Connects, registers search attributes if missing, runs until SIGINT/SIGTERM. */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { contactClockOf, loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { createWorker } from './create-worker.js';
import { payloadDataConverter } from './payload-codec.js';
import { ensureReconcileSchedule } from './reconcile-schedule.js';
import { ensureAuditAnchorSchedule } from './audit-anchor-schedule.js';
import { auditAnchorSettings } from '../services/audit-anchor.js';
import { ensureQuotaSchedule } from './quota-schedule.js';
import { ensureReportSchedules } from './report-schedules.js';
import { hisIngestSettings } from '../services/his-settings.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { channelsFromEnv } from '../activities/channels/settings.js';
import { refundActivityDepsFromEnv } from '../activities/payments/settings.js';
import { ensureCallRetentionSchedule } from './call-retention-schedule.js';
import { createCallService } from '../services/calls.js';
import { createAuditService } from '../services/audit.js';

const env = loadEnv();
// Warnings and errors only: the bundler's build report is noise in the npm start console.
Runtime.install({ logger: new DefaultLogger('WARN') });
if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required (npm start sets it for the local database)');

const sql = createSql(env.DATABASE_URL);
const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
const added = await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
if (added.length > 0) console.log(`[worker] registered search attributes: ${added.join(', ')}`);

// Fleet-wide jobs (the nightly quota planning, the reconciler) are Temporal Schedules, created or updated at every start.
const client = new Client({
  connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS }),
  namespace: env.TEMPORAL_NAMESPACE,
  dataConverter: payloadDataConverter(env),
});
await ensureQuotaSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE, weeks: env.QUOTA_HISTORY_WEEKS });
await ensureReconcileSchedule(client, {
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  everySeconds: env.HIS_INBOX_RECONCILE_SECONDS,
  olderThanSeconds: env.HIS_INBOX_RETRY_AFTER_SECONDS,
});
await ensureAuditAnchorSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE, everySeconds: env.AUDIT_ANCHOR_SECONDS });
await ensureReportSchedules(client, { taskQueue: env.TEMPORAL_TASK_QUEUE, rollupEverySeconds: env.REPORT_ROLLUP_SECONDS });
await ensureCallRetentionSchedule(client, { taskQueue: env.TEMPORAL_TASK_QUEUE });
await client.connection.close();

// The calls service of the IVR survey step and the recording purge signals follow-ups through its own client.
const callsClient = new Client({
  connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS }),
  namespace: env.TEMPORAL_NAMESPACE,
  dataConverter: payloadDataConverter(env),
});
const calls = createCallService({ sql, temporal: callsClient, audit: createAuditService({ sql }), env });

const worker = await createWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  dataConverter: payloadDataConverter(env),
  sql,
  his: hisIngestSettings(env),
  followUp: { escalateAfterSeconds: env.FOLLOW_UP_ESCALATE_AFTER_SECONDS },
  auditAnchor: auditAnchorSettings(env),
  retryAlertAttempts: env.WORKFLOW_RETRY_ALERT_ATTEMPTS,
  channels: channelsFromEnv(env) ?? undefined,
  calls,
  // Quiet hours and message caps are counted on this day (a compressed one in npm run simulate:month).
  contactClock: contactClockOf(env),
  // Refunds of prepayments (paymentRefundWorkflow) go through the same adapter the booking service uses.
  ...refundActivityDepsFromEnv(env),
  // WORKFLOW_BUNDLE: workflows bundled once ahead (the cluster mode does), so a restarted worker
  // polls again in seconds instead of bundling workflows/ anew.
  workflowBundle: process.env.WORKFLOW_BUNDLE ? { codePath: process.env.WORKFLOW_BUNDLE } : undefined,
});
// Worker.run() stops gracefully on SIGINT/SIGTERM (shutdownSignals default), finishing in-flight tasks.
console.log(`[worker] polling task queue "${env.TEMPORAL_TASK_QUEUE}" on ${env.TEMPORAL_ADDRESS}/${env.TEMPORAL_NAMESPACE}`);
await worker.run();
await connection.close();
await sql.end({ timeout: 5 });
console.log('[worker] stopped');

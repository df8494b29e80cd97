/** All activities, built from their dependencies so tests can pass real or simulated ones. */
import type { Sql } from '../db/client.js';
import { createFollowUpDbActivities, type FollowUpSettings } from './db/follow-up.js';
import { createTicketDbActivities } from './db/tickets.js';
import { createFeedbackDbActivities } from './db/feedback.js';
import { createAppointmentDbActivities } from './db/appointments.js';
import { createQuotaPlanningActivities } from './db/quota-planning.js';
import { createOutpatientBookingActivities } from './db/outpatient-booking.js';
import { createHisInboxActivities } from './his/inbox.js';
import { createReconcileActivities } from './db/reconcile.js';
import { createAuditAnchorActivities } from './db/audit-anchor.js';
import type { AuditAnchorSettings } from '../services/audit-anchor.js';
import { createReportExportActivities } from './reports/export.js';
import { createReportRollupActivities } from './reports/rollup.js';
import { createOutboxActivities } from './channels/outbox.js';
import { createStaffMessageActivities } from './channels/staff.js';
import { createCallActivities, type CallActivityDeps } from './calls/ivr.js';
import { createPaymentActivities } from './payments/refunds.js';
import type { PaymentAdapter } from './payments/types.js';
import type { Channels } from './channels/settings.js';
import type { IngestSettings } from '../services/discharges.js';
import type { ContactClock } from '../domain/contact-rules.js';

export interface ActivityDeps {
  sql: Sql;
  /** HIS ingest settings for the inbox reconciler (defaults when absent). */
  his?: IngestSettings;
  /** Follow-up timings from the environment (defaults when absent). */
  followUp?: FollowUpSettings;
  /** Where the audit chain is anchored (the anchoring activity fails without it). */
  auditAnchor?: AuditAnchorSettings;
  /** The message channels (activities/channels/settings.ts: channelsFromEnv); without them messages stay queued. */
  channels?: Channels;
  /** The calls service for the IVR survey step and the recording purge (issue 16); without it no call is placed. */
  calls?: CallActivityDeps['calls'];
  /** The day quiet hours and message caps are counted on (config/env.ts: contactClockOf); the real day when absent. */
  contactClock?: ContactClock;
  /** The prepayment adapter (activities/payments/settings.ts: paymentsFromEnv); without it refunds wait (retried). */
  payments?: PaymentAdapter;
  /** Where the provider posts refund result notifications (activities/payments/settings.ts: wechatPayNotifyUrls). */
  refundNotifyUrl?: string;
  /** First delay of the refund workflow's status checks while a refund is PROCESSING (60 s when absent). */
  refundPollSeconds?: number;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createFollowUpDbActivities(deps),
    ...createTicketDbActivities(deps),
    ...createFeedbackDbActivities(deps),
    ...createAppointmentDbActivities(deps),
    ...createQuotaPlanningActivities(deps),
    ...createHisInboxActivities(deps),
    ...createReconcileActivities(deps),
    ...createAuditAnchorActivities(deps),
    ...createReportRollupActivities(deps),
    ...createReportExportActivities(deps),
    ...createOutboxActivities(deps),
    ...createStaffMessageActivities(deps),
    ...createOutpatientBookingActivities(deps),
    ...createCallActivities(deps),
    ...createPaymentActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

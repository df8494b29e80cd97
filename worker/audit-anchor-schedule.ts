/**
 * The Temporal Schedule `audit-anchor`: runs auditAnchorWorkflow every `everySeconds`
 * (AUDIT_ANCHOR_SECONDS). Created when missing, otherwise updated in place.
 */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { auditAnchorStart } from '../workflows/audit-anchor/contracts.js';
import { scheduleAction } from '../workflows/shared/start.js';
import { ensureSchedule } from './schedules.js';

export const AUDIT_ANCHOR_SCHEDULE_ID = 'audit-anchor';

export function ensureAuditAnchorSchedule(client: Client, options: { taskQueue: string; everySeconds: number }): Promise<{ scheduleId: string; created: boolean }> {
  return ensureSchedule(client, AUDIT_ANCHOR_SCHEDULE_ID, {
    spec: { intervals: [{ every: `${options.everySeconds}s` }] },
    action: scheduleAction(options.taskQueue, auditAnchorStart()),
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
}

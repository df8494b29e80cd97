/**
 * Telephony steps of workflows (issue 16): the automated keypress survey call for a survey link
 * that went unanswered, and the daily purge of recordings past their retention. The calls service
 * (services/calls.ts) does the work; these activities decide when and stay idempotent.
 */
import type { Sql } from '../../db/client.js';
import type { CallService } from '../../services/calls.js';
import { ServiceError } from '../../services/errors.js';

export type IvrStepOutcome =
  | { placed: true; callId: string; placedAt: string }
  | { placed: false; reason: 'no_telephony' | 'not_applicable' | 'not_ivr_survey' | 'opted_out' | 'no_phone' | 'quiet_hours' | 'daily_cap' | 'weekly_cap'; retryAt?: string };

export interface CallActivityDeps {
  sql: Sql;
  /** The calls service (services/calls.ts) with a Temporal client; without it no call is placed. */
  calls?: Pick<CallService, 'startIvrSurvey' | 'purgeExpiredRecordings'>;
}

export function createCallActivities({ sql, calls }: CallActivityDeps) {
  return {
    /**
     * A survey link sent by SMS (the patient has no WeChat) and never opened by the time the rule's
     * limit ran out: an automated keypress survey call before the task goes to an agent. Once per
     * task: a retried or replayed step finds the call it placed and places none.
     */
    async startIvrForUnansweredLink(input: { messageId: string }): Promise<IvrStepOutcome> {
      const [row] = await sql<{ task_id: string; opened: boolean; ivr_call: string | null; ivr_at: Date | null }[]>`
        SELECT t.id AS task_id,
               EXISTS (SELECT 1 FROM survey_links l WHERE l.task_id = t.id AND l.opened_at IS NOT NULL) AS opened,
               (SELECT c.id FROM calls c WHERE c.task_id = t.id AND c.kind = 'ivr' ORDER BY c.created_at LIMIT 1) AS ivr_call,
               (SELECT min(c.created_at) FROM calls c WHERE c.task_id = t.id AND c.kind = 'ivr') AS ivr_at
        FROM outbound_messages m JOIN follow_up_tasks t ON m.body = 'survey:' || t.id::text
        WHERE m.id = ${input.messageId} AND m.sent_channel = 'sms' AND t.status = 'open' AND t.channel <> 'phone'`;
      if (!row || row.opened) return { placed: false, reason: 'not_applicable' };
      if (row.ivr_call) return { placed: true, callId: row.ivr_call, placedAt: (row.ivr_at ?? new Date()).toISOString() };
      if (!calls) return { placed: false, reason: 'no_telephony' };
      try {
        const r = await calls.startIvrSurvey(row.task_id);
        if (r.action === 'call') return r.callId ? { placed: true, callId: r.callId, placedAt: new Date().toISOString() } : { placed: false, reason: 'not_applicable' };
        // Quiet hours or a cap: the caller may try again then (as a message would wait).
        return r.action === 'wait' ? { placed: false, reason: r.reason, retryAt: r.until.toISOString() } : { placed: false, reason: r.reason };
      } catch (err) {
        // Telephony off (503), the task settled meanwhile (404), or not a one-question rating survey (409): an agent calls.
        if (err instanceof ServiceError && err.code === 'telephony_off') return { placed: false, reason: 'no_telephony' };
        if (err instanceof ServiceError && err.status < 500) return { placed: false, reason: err.code === 'not_ivr_survey' ? 'not_ivr_survey' : 'not_applicable' };
        throw err;
      }
    },

    /** Deletes the recordings past CALL_RECORDING_RETENTION_DAYS (the retention schedule's step). */
    async purgeExpiredCallRecordings(): Promise<{ deleted: number }> {
      if (!calls) return { deleted: 0 };
      return { deleted: await calls.purgeExpiredRecordings() };
    },
  };
}

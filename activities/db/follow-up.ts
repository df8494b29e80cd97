/** Database activities of the follow-up workflow: read its context, write its projection. */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../db/client.js';

export interface EncounterContext {
  departmentCode: string;
  dischargedAt: string;
}

export interface FollowUpEvent {
  workflowId: string;
  /** Unique per workflow: a retried activity finds its row already there. */
  step: string;
  kind: string;
  details?: Record<string, unknown>;
}

export function createFollowUpDbActivities({ sql }: { sql: Sql }) {
  return {
    async loadEncounterContext(encounterId: string): Promise<EncounterContext> {
      const [row] = await sql<{ department_code: string; discharged_at: Date }[]>`
        SELECT department_code, discharged_at FROM encounters WHERE his_encounter_id = ${encounterId}`;
      if (!row) {
        throw ApplicationFailure.nonRetryable(`Encounter ${encounterId} is not stored`, 'UnknownEncounter');
      }
      return { departmentCode: row.department_code, dischargedAt: row.discharged_at.toISOString() };
    },

    async recordFollowUpEvent(event: FollowUpEvent): Promise<void> {
      await sql`
        INSERT INTO follow_up_events (workflow_id, step, kind, details)
        VALUES (${event.workflowId}, ${event.step}, ${event.kind}, ${sql.json((event.details ?? {}) as never)})
        ON CONFLICT (workflow_id, step) DO NOTHING`;
    },
  };
}

/**
 * The HIS inbox (`inbound_messages`): every message from every route is stored here before
 * anything else is done with it, and never deleted; its outcome is recorded once processed.
 */
import type { Sql } from '../db/client.js';

export type InboundSource = 'json' | 'hl7' | 'fhir';
export type InboxOutcome = 'accepted' | 'duplicate' | 'rejected';

export interface StoredMessage {
  id: string;
  source: InboundSource;
  raw: string;
  receivedAt: Date;
}

export function createHisInbox({ sql }: { sql: Sql }) {
  return {
    /** Stores a message as received; returns it with its inbox id. */
    async receive(source: InboundSource, raw: string): Promise<StoredMessage> {
      const [row] = await sql<{ id: string; received_at: Date }[]>`
        INSERT INTO inbound_messages (source, raw) VALUES (${source}, ${raw}) RETURNING id, received_at`;
      return { id: row!.id, source, raw, receivedAt: row!.received_at };
    },

    /** Records how a message was processed. */
    async settle(inboxId: string, outcome: InboxOutcome, extra: { error?: string; encounterId?: string } = {}): Promise<void> {
      await sql`
        UPDATE inbound_messages SET outcome = ${outcome}, error = ${extra.error ?? null}, his_encounter_id = ${extra.encounterId ?? null}
        WHERE id = ${inboxId}`;
    },

    /** Processing stopped on a dependency: the message stays `received` (to be processed again) with the reason. */
    async deferred(inboxId: string, error: string, encounterId?: string): Promise<void> {
      await sql`
        UPDATE inbound_messages SET error = ${error}, his_encounter_id = COALESCE(${encounterId ?? null}, his_encounter_id)
        WHERE id = ${inboxId}`;
    },
  };
}

export type HisInbox = ReturnType<typeof createHisInbox>;

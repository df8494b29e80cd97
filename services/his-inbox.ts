/**
 * The HIS inbox (`inbound_messages`): every message from every route is stored here before
 * anything else is done with it — the bytes exactly as received — and never deleted; how it was
 * processed is recorded once it was. A message still `received` was not processed (a
 * dependency was down, the process stopped between store and start): the inbox reconciler and
 * the admin's replay take it up again.
 */
import type { Sql } from '../db/client.js';
import type { Principal } from '../domain/access.js';
import { maskRawMessage } from '../domain/his/mask-raw.js';
import type { AuditService, RequestMeta } from './audit.js';
import { forbidden, notFound, ValidationError } from './errors.js';

export const INBOUND_SOURCES = ['json', 'hl7', 'fhir'] as const;
export type InboundSource = (typeof INBOUND_SOURCES)[number];
export const INBOX_OUTCOMES = ['received', 'accepted', 'duplicate', 'rejected', 'ignored'] as const;
export type InboxOutcome = (typeof INBOX_OUTCOMES)[number];

export interface StoredMessage {
  id: string;
  source: InboundSource;
  /** The text as decoded (or, when it could not be, a readable rendering). */
  raw: string;
  /** The bytes as received, when they are not the UTF-8 of `raw`. */
  bytes?: Buffer;
  receivedAt: Date;
}

export interface Processed {
  outcome: Exclude<InboxOutcome, 'received'>;
  error?: string;
  note?: string;
  encounterId?: string;
  summary?: Record<string, unknown>[];
}

export function createHisInbox({ sql }: { sql: Sql }) {
  type Row = { id: string; source: InboundSource; raw: string; raw_bytes: Buffer | null; received_at: Date };
  const toMessage = (r: Row): StoredMessage => ({
    id: r.id,
    source: r.source,
    raw: r.raw,
    ...(r.raw_bytes ? { bytes: r.raw_bytes } : {}),
    receivedAt: r.received_at,
  });

  return {
    /** Stores a message as received; returns it with its inbox id. */
    async receive(source: InboundSource, raw: string, extra: { bytes?: Uint8Array; charset?: string } = {}): Promise<StoredMessage> {
      const bytes = extra.bytes && !Buffer.from(raw, 'utf8').equals(Buffer.from(extra.bytes)) ? Buffer.from(extra.bytes) : undefined;
      const [row] = await sql<Row[]>`
        INSERT INTO inbound_messages (source, raw, raw_bytes, charset)
        VALUES (${source}, ${raw}, ${bytes ?? null}, ${extra.charset ?? null})
        RETURNING id, source, raw, raw_bytes, received_at`;
      return toMessage(row!);
    },

    /** Records how a message was processed. */
    async settle(inboxId: string, p: Processed): Promise<void> {
      await sql`
        UPDATE inbound_messages SET outcome = ${p.outcome}, error = ${p.error ?? null}, note = ${p.note ?? null},
               his_encounter_id = COALESCE(${p.encounterId ?? null}, his_encounter_id),
               summary = COALESCE(${p.summary ? sql.json(p.summary as never) : null}, summary),
               attempts = attempts + 1, processed_at = now()
        WHERE id = ${inboxId}`;
    },

    /** Processing stopped on a dependency: the message stays `received` (to be processed again) with the reason. */
    async deferred(inboxId: string, error: string, encounterId?: string): Promise<void> {
      await sql`
        UPDATE inbound_messages SET error = ${error}, his_encounter_id = COALESCE(${encounterId ?? null}, his_encounter_id),
               attempts = attempts + 1
        WHERE id = ${inboxId}`;
    },

    /** Messages stored at least `olderThanSeconds` ago and not processed yet, oldest first. */
    async pending({ olderThanSeconds, limit }: { olderThanSeconds: number; limit: number }): Promise<StoredMessage[]> {
      const rows = await sql<Row[]>`
        SELECT id, source, raw, raw_bytes, received_at FROM inbound_messages
        WHERE outcome = 'received' AND received_at < now() - make_interval(secs => ${olderThanSeconds})
        ORDER BY id LIMIT ${limit}`;
      return rows.map(toMessage);
    },

    async load(inboxId: string): Promise<StoredMessage | undefined> {
      const [row] = await sql<Row[]>`SELECT id, source, raw, raw_bytes, received_at FROM inbound_messages WHERE id = ${inboxId}`;
      return row ? toMessage(row) : undefined;
    },
  };
}

export type HisInbox = ReturnType<typeof createHisInbox>;

export interface InboxFilters {
  outcome?: string;
  source?: string;
}

export interface InboxRow {
  id: string;
  source: InboundSource;
  receivedAt: string;
  outcome: InboxOutcome;
  error: string | null;
  note: string | null;
  encounterId: string | null;
  summary: Record<string, unknown>[];
  attempts: number;
  charset: string | null;
  /** Size of what was received, in bytes. */
  bytes: number;
  /** The raw message with personal data masked. */
  rawMasked: string;
}

const PAGE = 100;

/**
 * The admin's view of the inbox (/admin/inbox): masked raw message, what it meant, how it
 * ended; and replay, which processes a stored message again (audited). Admins only.
 */
export function createHisInboxService({
  sql,
  audit,
  reprocess,
}: {
  sql: Sql;
  audit: AuditService;
  /** The ingest pipeline's processing of a stored message (services/discharges.ts). */
  reprocess: (inboxId: string) => Promise<{ outcome: InboxOutcome; error?: string }>;
}) {
  const requireAdmin = (user: Principal) => {
    if (user.role !== 'admin') throw forbidden('仅管理员可查看 HIS 消息收件箱');
  };

  function normalize(filters: InboxFilters): { outcome?: InboxOutcome; source?: InboundSource } {
    const problems = [];
    const outcome = filters.outcome?.trim() || undefined;
    const source = filters.source?.trim() || undefined;
    if (outcome && !(INBOX_OUTCOMES as readonly string[]).includes(outcome)) problems.push({ field: 'outcome', message: '未知的处理结果' });
    if (source && !(INBOUND_SOURCES as readonly string[]).includes(source)) problems.push({ field: 'source', message: '未知的来源' });
    if (problems.length) throw new ValidationError(problems);
    return { outcome: outcome as InboxOutcome | undefined, source: source as InboundSource | undefined };
  }

  return {
    /** Newest first, at most 100; `before` pages back by id. The look is audited (raw messages hold patient data, masked). */
    async list(user: Principal, filters: InboxFilters, meta: RequestMeta, before?: string): Promise<{ rows: InboxRow[]; more: boolean }> {
      requireAdmin(user);
      const f = normalize(filters);
      const rows = await sql<
        {
          id: string;
          source: InboundSource;
          received_at: Date;
          outcome: InboxOutcome;
          error: string | null;
          note: string | null;
          his_encounter_id: string | null;
          summary: Record<string, unknown>[] | null;
          attempts: number;
          charset: string | null;
          bytes: number;
          raw: string;
        }[]
      >`
        SELECT id, source, received_at, outcome, error, note, his_encounter_id, summary, attempts, charset,
               COALESCE(octet_length(raw_bytes), octet_length(raw))::int AS bytes, left(raw, 20000) AS raw
        FROM inbound_messages
        WHERE true
          ${f.outcome ? sql`AND outcome = ${f.outcome}` : sql``}
          ${f.source ? sql`AND source = ${f.source}` : sql``}
          ${before && /^\d+$/.test(before) ? sql`AND id < ${before}` : sql``}
        ORDER BY id DESC LIMIT ${PAGE + 1}`;
      await audit.record({ actor: user, action: 'his_inbox.view', entityType: 'inbound_messages', details: { ...f, rows: Math.min(rows.length, PAGE) } }, meta);
      return {
        more: rows.length > PAGE,
        rows: rows.slice(0, PAGE).map((r) => ({
          id: r.id,
          source: r.source,
          receivedAt: r.received_at.toISOString(),
          outcome: r.outcome,
          error: r.error,
          note: r.note,
          encounterId: r.his_encounter_id,
          summary: r.summary ?? [],
          attempts: r.attempts,
          charset: r.charset,
          bytes: r.bytes,
          rawMasked: maskRawMessage(r.source, r.raw),
        })),
      };
    },

    /** Processes a stored message again (whatever its outcome so far); audited with the outcome. */
    async replay(user: Principal, inboxId: string, meta: RequestMeta): Promise<{ outcome: InboxOutcome; error?: string }> {
      requireAdmin(user);
      if (!/^\d+$/.test(inboxId)) throw notFound('消息不存在');
      const [exists] = await sql`SELECT 1 FROM inbound_messages WHERE id = ${inboxId}`;
      if (!exists) throw notFound('消息不存在');
      const result = await reprocess(inboxId);
      await audit.record(
        { actor: user, action: 'his_inbox.replay', entityType: 'inbound_messages', entityId: inboxId, details: { outcome: result.outcome, ...(result.error ? { error: result.error } : {}) } },
        meta,
      );
      return result;
    },
  };
}

export type HisInboxService = ReturnType<typeof createHisInboxService>;

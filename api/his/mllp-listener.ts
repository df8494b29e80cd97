/**
 * HL7 v2 over MLLP (TCP, default port HL7_MLLP_PORT 2575): the HIS's ADT feed.
 *
 * Library: @medplum/hl7 (Hl7Server / Hl7Connection) with @medplum/core's Hl7Message. Chosen
 * because it is maintained (Medplum, Apache-2.0, released with the rest of Medplum), does the
 * MLLP framing (VT … FS CR) and character sets (iconv-lite: utf-8, gb18030 …), builds ACKs
 * (`Hl7Message.buildAck`), and runs on Node 20 without native code. Version is pinned; two of
 * its 4.5.2 behaviours are handled here (see `listen` and `takeUnparsedFrame`).
 *
 * Per message, the ingest pipeline (services/discharges.ts) stores the raw text in the inbox,
 * maps it (domain/his/hl7.ts) and applies it; only then the ACK goes out:
 *   AA  stored and processed (also for a resend: the service makes that harmless)
 *   AE  mapping error (reason in MSA-3 and ERR, message marked rejected) · Temporal or the
 *       database unavailable ("暂时无法处理,请重发"; the stored message is kept, a resend is
 *       harmless) · unexpected error (logged)
 *   AR  the bytes are not an HL7 message at all (no MSH); stored and marked rejected as well
 * Messages of one connection are processed one after the other, so an A13 sent right after its
 * A03 on the same connection always finds the discharge. Logs carry control and inbox IDs,
 * never message contents (patient data).
 */
import type { AddressInfo } from 'node:net';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Server, type Hl7Connection } from '@medplum/hl7';
import type { DischargeService, IngestOutcome } from '../../services/discharges.js';
import { hl7Escape, Hl7MappingError, type Hl7ErrorCode } from '../../domain/his/hl7.js';

export interface MllpListenerOptions {
  /** 0 picks a free port; the listener reports the actual one. */
  port: number;
  /** Interface to bind; all interfaces when absent. */
  host?: string;
  services: { discharges: DischargeService };
  /** Character set of the feed: utf-8 (default), or e.g. gb18030 for HIS that send GBK. */
  encoding?: string;
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  /** On close, how long in-flight messages may take to finish (default 10 s). */
  drainTimeoutMs?: number;
}

export interface MllpListener {
  port: number;
  close(): Promise<void>;
}

export const RETRY_LATER = '暂时无法处理,请重发';
/** The library builds an ACK from an empty header when the frame has none. */
const NO_HEADER = Hl7Message.parse('MSH|^~\\&');

const ERROR_TEXT: Record<Hl7ErrorCode, string> = {
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  207: 'Application internal error',
};

export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const { services, encoding = 'utf-8', logger = console, drainTimeoutMs = 10_000 } = options;
  const discharges = services.discharges;
  const decoder = new TextDecoder(encoding); // also rejects an unknown encoding before listening
  const connections = new Set<Hl7Connection>();
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const hl7 = new Hl7Server((connection) => {
    connections.add(connection);
    connection.addEventListener('close', () => connections.delete(connection));
    let queue: Promise<void> = Promise.resolve();
    const enqueue = (work: () => Promise<Hl7Message>, after?: () => void) => {
      const job = queue
        .then(async () => {
          if (closing) return; // no ACK: the HIS resends it to the next instance
          const ack = await work();
          if (!connection.isClosed()) connection.send(ack);
          after?.();
        })
        .catch((err: unknown) => logger.error('[mllp] could not answer a message', err));
      queue = job;
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    };

    connection.addEventListener('message', (event) => enqueue(() => handle(event.message)));
    connection.addEventListener('error', (event) => {
      const err = event.error as Error & { type?: string; code?: string };
      if (err.type === 'entity.parse.failed') {
        const frame = takeUnparsedFrame(connection, decoder);
        // Without the library's buffer we cannot resynchronise: answer, then drop the connection.
        enqueue(() => handle(frame ?? ''), frame === undefined ? () => void connection.close() : undefined);
      } else {
        logger.warn(`[mllp] connection error: ${err.code ?? err.message}`);
      }
    });
  });

  /** Receive → map → apply (the discharge service), then the ACK that says how it ended. */
  async function handle(message: Hl7Message | string): Promise<Hl7Message> {
    const text = typeof message === 'string' ? message : message.toString();
    const parsed = typeof message === 'string' ? headerOf(message) : message;
    let result: IngestOutcome;
    try {
      result = await discharges.ingest('hl7', text);
    } catch (err) {
      logger.error('[mllp] could not store or process a message', err);
      return ack(parsed ?? NO_HEADER, 'AE', RETRY_LATER, { code: 207 });
    }
    const header = parsed ?? NO_HEADER;
    switch (result.status) {
      case 'done':
        return ack(header, 'AA');
      case 'retry':
        logger.warn(`[mllp] inbox ${result.inboxId} stored, not processed: ${result.error.message}`);
        return ack(header, 'AE', RETRY_LATER, { code: 207 });
      case 'rejected': {
        const err = result.error;
        if (err instanceof Hl7MappingError) return ack(header, err.ackCode, err.message, err);
        return ack(header, 'AE', err.message, { code: 102 });
      }
    }
  }

  const port = await listen(hl7, options.port, options.host, encoding, logger);
  logger.info(`[mllp] HL7 v2 listener on ${options.host ?? '*'}:${port} (${encoding})`);

  return {
    port,
    async close() {
      if (closing) return;
      closing = true;
      const stopped = hl7.stop({ forceDrainTimeoutMs: -1 }).catch(() => {}); // stops accepting now
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
      ]);
      clearTimeout(timer);
      await Promise.all([...connections].map((c) => c.close().catch(() => {})));
      await stopped;
    },
  };
}

/** The message's header for the ACK, when the text has one. */
function headerOf(text: string): Hl7Message | undefined {
  const trimmed = text.replace(/^[\uFEFF\s]+/, '');
  if (!trimmed.startsWith('MSH')) return undefined;
  try {
    return Hl7Message.parse(trimmed);
  } catch {
    return undefined;
  }
}

/**
 * Hl7Server.start(port) takes no host and retries EADDRINUSE every 50 ms forever. Node's
 * `listen` also takes `{ port, host }`, which start() passes through unchanged; and a busy port
 * fails here at once (a silently waiting listener would hide a second instance or a wrong port).
 */
async function listen(
  hl7: Hl7Server,
  port: number,
  host: string | undefined,
  encoding: string,
  logger: Pick<Console, 'warn'>,
): Promise<number> {
  hl7.start((host ? { port, host } : port) as number, encoding);
  const server = hl7.server!;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error & { code?: string }) => {
      server.off('listening', onListening);
      server.removeAllListeners('error'); // ends the library's retry loop …
      server.on('error', () => {}); // … whose last attempt may still fail
      server.once('listening', () => server.close()); // … or succeed
      logger.warn(`[mllp] cannot listen on ${host ?? '*'}:${port}: ${err.code ?? err.message}`);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
  });
  return (server.address() as AddressInfo).port;
}

/**
 * The bytes of a frame the library could not parse. Hl7Connection 4.5.2 keeps them in its
 * private `chunks` and does not clear them after a parse error, which would spoil every later
 * message on the connection; taking them here also clears them. Undefined if that changed.
 */
function takeUnparsedFrame(connection: Hl7Connection, decoder: TextDecoder): string | undefined {
  const internals = connection as unknown as { chunks?: unknown };
  if (!Array.isArray(internals.chunks)) return undefined;
  let bytes = Buffer.concat(internals.chunks as Buffer[]);
  internals.chunks = [];
  if (bytes[0] === 0x0b) bytes = bytes.subarray(1);
  if (bytes.at(-2) === 0x1c && bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -2);
  return decoder.decode(bytes);
}

/** ACK through the library, with the reason in MSA-3 and, for errors, an ERR segment (v2.3–v2.5 readable). */
function ack(
  message: Hl7Message,
  code: 'AA' | 'AE' | 'AR',
  text?: string,
  error?: { code: Hl7ErrorCode; segment?: string; field?: number },
): Hl7Message {
  const ctx = message.context;
  let errSegment: Hl7Segment | undefined;
  if (code !== 'AA' && error) {
    const c = ctx.componentSeparator;
    const s = ctx.subcomponentSeparator;
    const where = error.segment ? [error.segment, '1', error.field === undefined ? '' : String(error.field)] : [];
    errSegment = new Hl7Segment(
      [
        'ERR',
        // ERR-1 (v2.3/v2.4 ELD): segment^sequence^field^code&text&HL70357
        where.length ? [...where, [error.code, ERROR_TEXT[error.code], 'HL70357'].join(s)].join(c) : '',
        where.filter(Boolean).join(c), // ERR-2 (v2.5 ERL)
        [error.code, ERROR_TEXT[error.code], 'HL70357'].join(c), // ERR-3
        'E', // ERR-4 severity
        '',
        '',
        '',
        text ? hl7Escape(text, ctx) : '', // ERR-8 user message
      ],
      ctx,
    );
  }
  const reply = message.buildAck({ ackCode: code, errSegment });
  if (text) reply.getSegment('MSA')?.setField(3, hl7Escape(text, ctx));
  return reply;
}

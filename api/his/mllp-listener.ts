/**
 * HL7 v2 over MLLP (TCP, optionally TLS; default port HL7_MLLP_PORT 2575): the HIS's ADT feed.
 *
 * Transport written on node:net / node:tls rather than @medplum/hl7's Hl7Server: that server
 * (4.5.2) joins two frames that arrive in one TCP write into one message (the second discharge
 * was lost), buffers a frame without end marker whole (a 200 MiB frame grew the process by
 * 200 MB), and has no idle timeout, connection cap, back-pressure, TLS or source allow-list.
 * The framing itself is small and pure (mllp-framing.ts); @medplum/core's Hl7Message still
 * parses headers and builds the ACKs.
 *
 * Per frame, the ingest pipeline (services/discharges.ts) stores the bytes as received in the
 * inbox, decodes them per MSH-18, maps (domain/his/hl7.ts) and applies; only then the ACK goes
 * out, in the message's character set where it can be encoded (else UTF-8, said in MSH-18):
 *   AA  processed (also a resend, and an event this system has no use for: stored as ignored)
 *   AE  "try again later": stored, but Temporal, the database or the FHIR server is down (the
 *       inbox reconciler processes it once they are back; a resend is harmless)
 *   AR  "never acceptable as sent": not HL7, bytes invalid in the declared character set, a
 *       field missing or wrong; the reason in MSA-3 and ERR
 * Frames of one connection are processed in order (an A13 right after its A03 finds the
 * discharge); while a connection has `queueLimit` frames waiting, its socket is paused.
 * A frame over `maxFrameBytes`, a connection silent for `idleTimeoutMs`, or a frame not
 * finished within `frameTimeoutMs` (a slow sender) closes the connection; connections beyond
 * `maxConnections`, and from addresses outside `allowedSources`, are refused. Logs carry
 * control and inbox IDs, never message contents (patient data).
 */
import { BlockList, createServer as createTcpServer, isIPv4, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import iconv from 'iconv-lite';
import type { DischargeService, IngestOutcome } from '../../services/discharges.js';
import { hl7Escape, Hl7MappingError, type Hl7ErrorCode } from '../../domain/his/hl7.js';
import { declaredCharset, decodeHl7 } from '../../domain/his/hl7-charset.js';
import { frame, MllpFramer } from './mllp-framing.js';

export interface MllpTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA certificates client certificates are verified against. */
  ca?: string | Buffer;
  /** none (default), request (verified when one is sent), require. */
  clientCert?: 'none' | 'request' | 'require';
}

export interface MllpListenerOptions {
  /** 0 picks a free port; the listener reports the actual one. */
  port: number;
  /** Interface to bind; all interfaces when absent. */
  host?: string;
  services: { discharges: Pick<DischargeService, 'ingest'> };
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  /** On close, how long in-flight messages may take to finish (default 10 s). */
  drainTimeoutMs?: number;
  maxFrameBytes?: number;
  idleTimeoutMs?: number;
  frameTimeoutMs?: number;
  maxConnections?: number;
  queueLimit?: number;
  /** IPs or CIDR ranges allowed to connect; everyone when absent. */
  allowedSources?: readonly string[];
  tls?: MllpTlsOptions;
  /** Character sets tried for messages without MSH-18 (to encode their ACK alike). */
  fallbackCharsets?: readonly string[];
}

export interface MllpListener {
  port: number;
  close(): Promise<void>;
}

export const RETRY_LATER = '暂时无法处理,请重发';
export const FRAME_TOO_LARGE = '消息帧过大,连接已关闭';

const ERROR_TEXT: Record<Hl7ErrorCode, string> = {
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  207: 'Application internal error',
};

/** The header the ACK answers when a frame has none. */
const NO_HEADER = Hl7Message.parse('MSH|^~\\&');

export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const {
    services,
    logger = console,
    drainTimeoutMs = 10_000,
    maxFrameBytes = 1024 * 1024,
    idleTimeoutMs = 300_000,
    frameTimeoutMs = 30_000,
    maxConnections = 50,
    queueLimit = 16,
  } = options;
  const allowed = allowList(options.allowedSources);
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const onConnection = (socket: Socket) => {
    const remote = normalizeAddress(socket.remoteAddress ?? '');
    if (allowed && !allowed.check(remote, isIPv4(remote) ? 'ipv4' : 'ipv6')) {
      logger.warn(`[mllp] refused a connection from ${remote}: not in HL7_MLLP_ALLOWED_SOURCES`);
      socket.destroy();
      return;
    }
    if (options.tls?.clientCert === 'request') {
      const tlsSocket = socket as TLSSocket;
      if (Object.keys(tlsSocket.getPeerCertificate() ?? {}).length > 0 && !tlsSocket.authorized) {
        logger.warn(`[mllp] refused ${remote}: client certificate not trusted (${String(tlsSocket.authorizationError)})`);
        socket.destroy();
        return;
      }
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err: Error & { code?: string }) => logger.warn(`[mllp] connection error from ${remote}: ${err.code ?? err.message}`));
    socket.setTimeout(idleTimeoutMs, () => {
      logger.warn(`[mllp] closing idle connection from ${remote}`);
      socket.destroy();
    });

    const framer = new MllpFramer(maxFrameBytes);
    const queue: Buffer[] = [];
    let working = false;
    let frameTimer: NodeJS.Timeout | undefined;

    const work = async () => {
      if (working) return;
      working = true;
      while (queue.length > 0 && !socket.destroyed) {
        const bytes = queue.shift()!;
        if (queue.length < queueLimit && socket.isPaused()) socket.resume();
        if (closing) break; // no ACK: the HIS resends it to the next instance
        const reply = await answer(bytes);
        if (!socket.destroyed) socket.write(frame(reply));
      }
      working = false;
    };

    let refused = false;
    socket.on('data', (chunk: Buffer) => {
      if (refused) return;
      const { frames, error } = framer.push(chunk);
      if (error) {
        logger.warn(`[mllp] frame from ${remote} exceeds ${maxFrameBytes} bytes: closing the connection`);
        refused = true;
        clearTimeout(frameTimer);
        socket.end(frame(encodeAck(ack(NO_HEADER, 'AR', FRAME_TOO_LARGE, { code: 207 }), 'utf-8')), () => socket.destroy());
        return;
      }
      // A frame must finish within frameTimeoutMs of its first byte, however slowly it trickles.
      if (framer.partial && !frameTimer) {
        frameTimer = setTimeout(() => {
          logger.warn(`[mllp] frame from ${remote} not finished within ${frameTimeoutMs} ms: closing the connection`);
          socket.destroy();
        }, frameTimeoutMs);
      } else if (!framer.partial) {
        clearTimeout(frameTimer);
        frameTimer = undefined;
      }
      if (frames.length === 0) return;
      queue.push(...frames);
      if (queue.length >= queueLimit) socket.pause();
      const job = work().catch((err: unknown) => logger.error('[mllp] could not answer a message', err));
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    });
    socket.on('close', () => clearTimeout(frameTimer));
  };

  /** Ingest one frame and build its ACK, encoded like the message. */
  async function answer(bytes: Buffer): Promise<Buffer> {
    const { header, charset, declared } = headerOf(bytes, options.fallbackCharsets);
    let reply: Hl7Message;
    try {
      reply = ackFor(header, await services.discharges.ingest('hl7', bytes));
    } catch (err) {
      logger.error(`[mllp] could not store or process message ${controlId(header)}`, err);
      reply = ack(header, 'AE', RETRY_LATER, { code: 207 });
    }
    return encodeAck(reply, charset, declared);
  }

  function ackFor(header: Hl7Message, result: IngestOutcome): Hl7Message {
    switch (result.status) {
      case 'done':
        return ack(header, 'AA');
      case 'retry':
        logger.warn(`[mllp] message ${controlId(header)} (inbox ${result.inboxId}) stored, not processed: ${result.error.message}`);
        return ack(header, 'AE', RETRY_LATER, { code: 207 });
      case 'rejected': {
        const err = result.error;
        return err instanceof Hl7MappingError ? ack(header, err.ackCode, err.message, err) : ack(header, 'AR', err.message, { code: 102 });
      }
    }
  }

  const server: Server = options.tls
    ? createTlsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.ca ? { ca: options.tls.ca } : {}),
          requestCert: (options.tls.clientCert ?? 'none') !== 'none',
          rejectUnauthorized: options.tls.clientCert === 'require',
        },
        onConnection,
      )
    : createTcpServer(onConnection);
  server.maxConnections = maxConnections;
  server.on('tlsClientError', (err: Error) => logger.warn(`[mllp] TLS handshake failed: ${err.message}`));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error & { code?: string }) => {
      logger.warn(`[mllp] cannot listen on ${options.host ?? '*'}:${options.port}: ${err.code ?? err.message}`);
      reject(err);
    });
    server.listen({ port: options.port, ...(options.host ? { host: options.host } : {}) }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(`[mllp] HL7 v2 listener on ${options.host ?? '*'}:${port}${options.tls ? ' (TLS)' : ''}`);

  return {
    port,
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
      ]);
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}

/** The message's header (MSH is ASCII in every supported set) and the character set to answer in. */
function headerOf(bytes: Buffer, fallbacks?: readonly string[]): { header: Hl7Message; charset: string; declared?: string } {
  let charset = 'utf-8';
  let declared: string | undefined;
  try {
    ({ charset, declared } = decodeHl7(bytes, fallbacks));
  } catch {
    declared = declaredCharset(bytes).msh18;
  }
  const text = bytes.toString('latin1').replace(/^[\uFEFF\s]+/, '').replace(/^\u00EF\u00BB\u00BF/, '');
  const firstSegment = text.split(/[\r\n]/)[0] ?? '';
  let header = NO_HEADER;
  if (firstSegment.startsWith('MSH')) {
    try {
      header = Hl7Message.parse(firstSegment);
    } catch {
      header = NO_HEADER;
    }
  }
  return { header, charset, declared };
}

function controlId(header: Hl7Message): string {
  return header.getSegment('MSH')?.getField(10)?.toString() ?? '';
}

/** The ACK's bytes: in the message's character set when iconv-lite can write it (GB18030, GBK …), else UTF-8 said in MSH-18. */
function encodeAck(reply: Hl7Message, charset: string, declared?: string): Buffer {
  const msh = reply.getSegment('MSH');
  if (charset !== 'utf-8' && charset !== 'ascii' && iconv.encodingExists(charset)) {
    if (declared) msh?.setField(18, declared);
    return iconv.encode(reply.toString(), charset);
  }
  // ISO-2022-JP has no encoder in iconv-lite, and an ASCII ACK could not carry a Chinese reason.
  if (declared) msh?.setField(18, 'UNICODE UTF-8');
  return Buffer.from(reply.toString(), 'utf8');
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

function allowList(sources: readonly string[] | undefined): BlockList | undefined {
  if (!sources || sources.length === 0) return undefined;
  const list = new BlockList();
  for (const source of sources) {
    const [address, bits] = source.split('/') as [string, string | undefined];
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) → `10.1.2.3`. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

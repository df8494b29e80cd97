/** A small MLLP client for tests and the benchmark: send HL7 v2 to the listener, get the ACK text. */
import { connect } from 'node:net';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';

export interface SendOptions {
  host?: string;
  timeoutMs?: number;
}

/** Text with \n or \r\n between segments (as written in tests) → an Hl7Message (\r). */
export function toHl7(message: string | Hl7Message): Hl7Message {
  return typeof message === 'string' ? Hl7Message.parse(message.replace(/\r?\n/g, '\r').replace(/\r+$/, '')) : message;
}

/** One connection for many messages (the benchmark): `send` waits for each ACK. */
export function createHl7Sender(port: number, { host = '127.0.0.1', timeoutMs = 30_000 }: SendOptions = {}) {
  const client = new Hl7Client({ host, port, connectTimeout: 5_000 });
  return {
    async send(message: string | Hl7Message): Promise<string> {
      const ack = await client.sendAndWait(toHl7(message), { timeoutMs });
      return ack.toString();
    },
    close: () => client.close(),
  };
}

/** Sends one message on its own connection (needs MSH-10) and returns the ACK text. */
export async function sendHl7(port: number, message: string | Hl7Message, options: SendOptions = {}): Promise<string> {
  const sender = createHl7Sender(port, options);
  try {
    return await sender.send(message);
  } finally {
    await sender.close();
  }
}

/** Arbitrary bytes in one MLLP frame, for what Hl7Client cannot send: garbage, messages without a control ID. */
export { sendMllpFrame } from '../../scripts/lib/mllp-client.js';

/** The parts of an ACK tests look at. */
export function readAck(text: string) {
  const ack = Hl7Message.parse(text);
  const msa = ack.getSegment('MSA');
  const err = ack.getSegment('ERR');
  return {
    code: msa?.getField(1)?.toString() ?? '',
    controlId: msa?.getField(2)?.toString() ?? '',
    text: msa?.getField(3)?.toString() ?? '',
    /** ERR-2 location (v2.5 ERL): `PV1^1^45`. */
    errLocation: err?.getField(2)?.toString() ?? '',
    errCode: err?.getComponent(3, 1) ?? '',
  };
}

export interface RawExchange {
  /** The ACKs (frame bytes without VT/FS/CR), in order. */
  acks: Buffer[];
  /** True when the server closed the connection. */
  closed: boolean;
}

/**
 * Writes `payload` (already framed or not: raw bytes as a sender would) on one connection in
 * one write, and collects `expectAcks` ACK frames, or stops when the server closes the
 * connection or `timeoutMs` passes. For framing, size-limit and charset tests.
 */
export function exchangeRaw(
  port: number,
  payload: Buffer,
  { expectAcks = 1, timeoutMs = 15_000, host = '127.0.0.1', socket: makeSocket }: { expectAcks?: number; timeoutMs?: number; host?: string; socket?: () => import('node:net').Socket } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = makeSocket ? makeSocket() : connect({ host, port });
    let buffered = Buffer.alloc(0);
    const acks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ acks, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on(makeSocket ? 'secureConnect' : 'connect', () => socket.write(payload));
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        const start = buffered.indexOf(0x0b);
        const end = buffered.indexOf(0x1c, start + 1);
        if (start < 0 || end < 0) break;
        acks.push(buffered.subarray(start + 1, end));
        buffered = buffered.subarray(end + 2);
      }
      if (acks.length >= expectAcks) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server closing on us mid-write (EPIPE, ECONNRESET) is what some tests expect.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') finish(true);
      else if (!done) reject(err);
    });
  });
}

/** Wraps a message in its MLLP frame; text with \n between segments is sent with \r. */
export function mllpFrame(message: string | Buffer): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message.replace(/\r?\n/g, '\r'), 'utf8') : message;
  return Buffer.concat([Buffer.from([0x0b]), body, Buffer.from([0x1c, 0x0d])]);
}

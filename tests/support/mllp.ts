/** A small MLLP client for tests and the benchmark: send HL7 v2 to the listener, get the ACK text. */
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

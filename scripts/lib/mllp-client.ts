/** Sending one MLLP frame (VT … FS CR) and reading the reply: the HIS side of HL7 v2 over TCP. */
import { connect } from 'node:net';

/**
 * Sends `payload` in one frame on a connection of its own and resolves with the reply without
 * framing; rejects on a connection error, on a connection closed before the reply (the listener
 * died), and after `timeoutMs`.
 */
export function sendMllpFrame(port: number, payload: string | Buffer, { host = '127.0.0.1', timeoutMs = 30_000 }: { host?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      socket.destroy();
      settle(() => reject(new Error(`no MLLP reply within ${timeoutMs} ms`)));
    }, timeoutMs);
    socket.on('connect', () => {
      const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
      socket.write(Buffer.concat([Buffer.from([0x0b]), body, Buffer.from([0x1c, 0x0d])]));
    });
    socket.on('data', (data) => {
      chunks.push(data);
      const all = Buffer.concat(chunks);
      if (all.at(-2) === 0x1c && all.at(-1) === 0x0d) {
        socket.end();
        settle(() => resolve(all.subarray(all[0] === 0x0b ? 1 : 0, -2).toString('utf8')));
      }
    });
    socket.on('error', (err) => settle(() => reject(err)));
    socket.on('close', () => settle(() => reject(new Error('connection closed before the MLLP reply'))));
  });
}

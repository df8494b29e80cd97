import { createServer } from 'node:net';

const listenOn = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return listenOn(0);
}

/**
 * A free port below 32768. Temporal stores its processes' membership ports in a smallint column,
 * and the OS picks from the ephemeral range above it; this draws from 20000–32767 instead.
 */
export async function freeLowPort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_768);
    const port = await listenOn(candidate).catch(() => undefined);
    if (port) return port;
  }
  throw new Error('no free port found between 20000 and 32767');
}

/**
 * A TCP load balancer for the cluster mode: one public port in front of several API processes
 * (HTTP, and MLLP on its own port), round robin, as HAProxy or a cloud load balancer in TCP mode
 * would do. A backend that refuses the connection (down, restarting) is skipped and the next one
 * tried, so nothing has been sent yet and no request is lost; a backend that dies mid-request
 * closes the client's connection, which the client sees as a failed request and retries.
 */
import net from 'node:net';

export interface Balancer {
  port: number;
  /**
   * Requests in flight to a backend port now: connections whose client has sent bytes the backend
   * has not answered yet (HTTP and MLLP are request/response, so this is a request being worked on).
   */
  inFlight(backendPort: number): number;
  close(): Promise<void>;
}

export function startBalancer(o: { port: number; host?: string; backends: () => number[]; log?: (msg: string) => void }): Promise<Balancer> {
  let next = 0;
  const inFlight = new Map<number, number>();
  const shift = (port: number, by: number) => inFlight.set(port, (inFlight.get(port) ?? 0) + by);
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const ports = o.backends();
    const tryBackend = (attempt: number) => {
      if (client.destroyed) return;
      if (attempt >= ports.length) {
        client.destroy();
        return;
      }
      const port = ports[next++ % ports.length]!;
      const upstream = net.connect({ port, host: '127.0.0.1' });
      sockets.add(upstream);
      upstream.once('connect', () => {
        let waiting = false;
        const wait = (now: boolean) => {
          if (now !== waiting) shift(port, now ? 1 : -1);
          waiting = now;
        };
        client.on('data', () => wait(true));
        upstream.on('data', () => wait(false));
        upstream.once('close', () => wait(false));
        upstream.on('error', () => client.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        sockets.delete(upstream);
        if (upstream.connecting || err.code === 'ECONNREFUSED') tryBackend(attempt + 1);
      });
      upstream.once('close', () => sockets.delete(upstream));
    };
    tryBackend(0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '0.0.0.0', () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        inFlight: (port) => inFlight.get(port) ?? 0,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

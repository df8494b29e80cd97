/**
 * A local stand-in for the hospital's FHIR server: answers `GET [base]/[type]/[id]` with the
 * resources a test puts in, as a FHIR R4 server does (application/fhir+json, 404 with an
 * OperationOutcome), and checks the bearer token. `down` makes it answer 503, like a server
 * that is restarting.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FhirServerStub {
  baseUrl: string;
  token: string;
  resources: Map<string, Record<string, unknown>>;
  /** What was requested, in order (`Patient/123`). */
  requests: string[];
  down: boolean;
  close(): Promise<void>;
}

export async function startFhirServerStub(token = 'fhir-test-token-0123456789'): Promise<FhirServerStub> {
  const stub: Omit<FhirServerStub, 'baseUrl' | 'close'> = { token, resources: new Map(), requests: [], down: false };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/fhir\//, '');
    stub.requests.push(path);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/fhir+json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, outcome('login', 'token missing or wrong'));
    if (stub.down) return send(503, outcome('transient', 'restarting'));
    const resource = req.method === 'GET' ? stub.resources.get(path) : undefined;
    return resource ? send(200, resource) : send(404, outcome('not-found', `${path} not found`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

const outcome = (code: string, diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

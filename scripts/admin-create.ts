/**
 * `npm run admin:create -- --username <name> [--display-name <姓名>]`: the first administrator of a
 * new installation (production refuses demo data, so nobody could sign in otherwise). The password
 * comes from ADMIN_PASSWORD or a prompt that echoes nothing; it must meet the password policy.
 * Refused (exit 1, nothing changed) when the username exists. Audited as `user.create_first_admin`.
 * Uses DATABASE_URL, or the project-local database `npm start` runs when unset.
 */
import { parseArgs } from 'node:util';
import { loadEnv } from '../config/env.js';
import { createSql } from '../db/client.js';
import { createAuditService } from '../services/audit.js';
import { isServiceError, ValidationError } from '../services/errors.js';
import { passwordPolicy } from '../services/index.js';
import { createFirstAdmin } from '../services/users.js';

/** Reads a line from the terminal without echoing it (or from piped stdin, which shows nothing anyway). */
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const tty = input.isTTY;
    if (tty) input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    const done = (result: string | Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      if (tty) input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onEnd = () => done(value);
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

const { values } = parseArgs({ options: { username: { type: 'string' }, 'display-name': { type: 'string' } } });
if (!values.username) {
  console.error('usage: npm run admin:create -- --username <name> [--display-name <姓名>]  (password from ADMIN_PASSWORD or a prompt)');
  process.exit(2);
}

const env = loadEnv();
let password = process.env.ADMIN_PASSWORD;
if (!password) {
  password = await readHidden(`Password for ${values.username}: `);
  if (process.stdin.isTTY && (await readHidden('Repeat the password: ')) !== password) {
    console.error('The passwords differ; nothing was changed.');
    process.exit(1);
  }
}

const url = env.DATABASE_URL || `postgres://postgres:postgres@127.0.0.1:${env.EMBEDDED_PG_PORT}/suifang`;
const sql = createSql(url, { max: 1 });
try {
  await createFirstAdmin(
    { sql, audit: createAuditService({ sql }), policy: passwordPolicy(env) },
    { username: values.username, displayName: values['display-name'], password },
  );
  console.log(`Administrator ${values.username} created; sign in at /login.`);
} catch (err) {
  if (err instanceof ValidationError) console.error(`Not created: ${err.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  else if (isServiceError(err)) console.error(`Not created: ${err.message}`);
  else console.error(`Not created: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}

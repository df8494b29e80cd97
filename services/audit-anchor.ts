/**
 * Anchors of the audit hash chain outside the database: the newest row's id and hash, signed
 * (HMAC-SHA256 with AUDIT_ANCHOR_KEY) in a file in AUDIT_ANCHOR_DIR, written periodically by the
 * Schedule `audit-anchor`. The chain alone cannot tell that its newest rows were deleted (what is
 * left is still a valid chain); the last anchor can: the row it names must still be there, with
 * the same hash, unless a retention purge removed it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../config/env.js';
import type { Sql } from '../db/client.js';

export interface AuditAnchorSettings {
  dir: string;
  key: string;
}

/** Where anchors go and the key they are signed with, from the environment. */
export function auditAnchorSettings(env: Pick<Env, 'AUDIT_ANCHOR_DIR' | 'AUDIT_ANCHOR_KEY' | 'DATA_DIR'>): AuditAnchorSettings {
  return { dir: env.AUDIT_ANCHOR_DIR ?? join(env.DATA_DIR, 'audit-anchors'), key: env.AUDIT_ANCHOR_KEY };
}

export interface AuditAnchor {
  /** The newest audit_log row when anchored. */
  headId: string;
  headHash: string;
  anchoredAt: string;
}

interface AnchorFile extends AuditAnchor {
  /** HMAC-SHA256 (hex) of the fields above, in this order. */
  signature: string;
}

const FILE = /^audit-anchor-(\d{20})\.json$/;
/** Older anchors add nothing the newest does not; a few are kept in case the newest is damaged. */
const KEEP_FILES = 50;

const sign = (key: string, a: AuditAnchor) => createHmac('sha256', key).update(JSON.stringify([a.headId, a.headHash, a.anchoredAt])).digest('hex');

/** Writes an anchor of the chain's current head (one file per head; nothing when the chain is empty). */
export async function writeAuditAnchor(sql: Sql, { dir, key }: AuditAnchorSettings): Promise<AuditAnchor | null> {
  const [head] = await sql<{ id: string; hash: string | null }[]>`SELECT id::text, hash FROM audit_log ORDER BY id DESC LIMIT 1`;
  if (!head?.hash) return null;
  const anchor: AuditAnchor = { headId: head.id, headHash: head.hash, anchoredAt: new Date().toISOString() };
  const file: AnchorFile = { ...anchor, signature: sign(key, anchor) };
  await mkdir(dir, { recursive: true });
  const name = `audit-anchor-${head.id.padStart(20, '0')}.json`;
  // Written aside and renamed: a reader never sees half a file.
  await writeFile(join(dir, `.${name}.tmp`), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(join(dir, `.${name}.tmp`), join(dir, name));
  const old = (await anchorFiles(dir)).slice(KEEP_FILES);
  await Promise.all(old.map((f) => rm(join(dir, f), { force: true })));
  return anchor;
}

/** Anchor file names, newest head first. */
async function anchorFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((n) => FILE.test(n)).sort().reverse();
}

/**
 * The newest anchor whose signature holds, and a problem for each newer file that is not a valid
 * anchor (a forged or damaged anchor is itself a finding).
 */
export async function readLatestAnchor({ dir, key }: AuditAnchorSettings): Promise<{ anchor: AuditAnchor | null; problems: string[] }> {
  const problems: string[] = [];
  for (const name of await anchorFiles(dir)) {
    let file: Partial<AnchorFile>;
    try {
      file = JSON.parse(await readFile(join(dir, name), 'utf8')) as Partial<AnchorFile>;
    } catch {
      problems.push(`anchor file ${name} is not readable JSON`);
      continue;
    }
    const { headId, headHash, anchoredAt, signature } = file;
    if (typeof headId !== 'string' || typeof headHash !== 'string' || typeof anchoredAt !== 'string' || typeof signature !== 'string') {
      problems.push(`anchor file ${name} lacks a field`);
      continue;
    }
    const anchor = { headId, headHash, anchoredAt };
    const expected = Buffer.from(sign(key, anchor), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      problems.push(`anchor file ${name} has an invalid signature (changed, or signed with another key)`);
      continue;
    }
    return { anchor, problems };
  }
  return { anchor: null, problems };
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTION_LABELS, AUDIT_ENTITY_LABELS, auditActionLabel, auditEntityLabel } from './audit-labels.js';

const ROOT = new URL('..', import.meta.url).pathname;

/** Source files that write audit rows (tests excluded). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('audit labels', () => {
  const code = ['services', 'activities', 'api', 'web', 'scripts', 'workflows'].flatMap((d) => sources(join(ROOT, d))).map((f) => readFileSync(f, 'utf8'));

  it('every audit action written by the code has a Chinese name', () => {
    // Every quoted code in an `action:` expression, conditional ones included.
    const expressions = code.flatMap((text) => [...text.matchAll(/action: ([^,}\n]+)/g)].map((m) => m[1]!));
    const written = new Set(expressions.flatMap((e) => [...e.matchAll(/'([a-z_]+\.[a-z_.]+)'/g)].map((m) => m[1]!)));
    expect(written.size).toBeGreaterThan(10);
    expect([...written].filter((a) => !(a in AUDIT_ACTION_LABELS))).toEqual([]);
  });

  it('every kind of audited record has a Chinese name', () => {
    const expressions = code.flatMap((text) => [...text.matchAll(/entityType: ([^,}\n]+)/g)].map((m) => m[1]!));
    const written = new Set(expressions.flatMap((e) => [...e.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!)));
    expect([...written].filter((t) => !(t in AUDIT_ENTITY_LABELS))).toEqual([]);
  });

  it('an unknown code is shown as is', () => {
    expect(auditActionLabel('patient.view')).toBe('查看患者');
    expect(auditActionLabel('x.unknown')).toBe('x.unknown');
    expect(auditEntityLabel('ticket')).toBe('工单');
    expect(auditEntityLabel('thing')).toBe('thing');
  });
});

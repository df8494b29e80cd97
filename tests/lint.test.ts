/**
 * The lint guard for workflow code fires where it should: the real ESLint configuration, on text
 * linted as if it stood in a workflow file (the rules apply by path).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PROBES = ['workflows/follow-up/lint-probe.ts', 'services/lint-probe.ts', 'scripts/lint-probe.ts'];
// The probes exist only as text: the type-aware parser is told to give them a project of their own.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: { allowDefaultProject: PROBES } } } },
});

async function ruleIdsFor(code: string, filePath: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId);
}

describe('eslint workflow guard', () => {
  // Loading the TypeScript program takes most of a minute on a busy machine: once, under the hook timeout.
  beforeAll(() => eslint.lintText('', { filePath: PROBES[1]! }));

  const workflowFile = PROBES[0]!;

  it('refuses Math.random() in a workflow file', async () => {
    expect(await ruleIdsFor('export const pick = () => Math.random();\n', workflowFile)).toEqual(['no-restricted-properties']);
  });

  it('refuses an fs import in a workflow file', async () => {
    expect(await ruleIdsFor("import fs from 'fs';\nexport const read = () => fs.readFileSync('x');\n", workflowFile)).toEqual(['no-restricted-imports']);
  });

  it('refuses local-time Date arithmetic and an implicit clock, allows the workflow clock', async () => {
    const code = 'export const a = () => new Date().getHours();\nexport const b = () => new Date(Date.now()).toISOString();\n';
    expect(await ruleIdsFor(code, workflowFile)).toEqual(['no-restricted-syntax', 'no-restricted-syntax']);
  });

  it('allows a type-only import of the activities but not a value import', async () => {
    const typeOnly = "import type { Activities } from '../../activities/index.js';\nexport type A = Activities;\n";
    expect(await ruleIdsFor(typeOnly, workflowFile)).toEqual([]);
    const value = "import { createActivities } from '../../activities/index.js';\nexport const c = createActivities;\n";
    expect(await ruleIdsFor(value, workflowFile)).toEqual(['no-restricted-imports']);
  });

  it('leaves the same Math.random() alone outside workflow code', async () => {
    expect(await ruleIdsFor('export const pick = () => Math.random();\n', PROBES[2]!)).toEqual([]);
  });

  it('refuses a floating promise anywhere', async () => {
    const code = 'async function work(): Promise<void> {}\nexport function go(): void {\n  work();\n}\n';
    expect(await ruleIdsFor(code, PROBES[1]!)).toEqual(['@typescript-eslint/no-floating-promises']);
  });
});

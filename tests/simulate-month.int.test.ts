/**
 * `npm run simulate:month` end to end on a short scenario (3 simulated days): discharges over
 * MLLP, FHIR and JSON, patients answering links, agents calling through the API, departments
 * resolving tickets, then the system's own reports, the simulator's bookkeeping beside them and
 * the soak checks, and the month's report exported as .xlsx and PDF.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { figureLines, runMonth } from '../scripts/simulate-month/run.js';
import { loadScenario } from '../scripts/simulate-month/scenario.js';

const SHORT = new URL('../scripts/simulate-month/scenario.short.yaml', import.meta.url).pathname;

describe('simulate:month (3 simulated days through the real system)', () => {
  const out = mkdtempSync(join(tmpdir(), 'suifang-month-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs the month, prints every figure from the reports, matches its own bookkeeping and exports the report', async () => {
    const scenario = loadScenario(SHORT);
    const result = await runMonth(scenario, { outDir: out, log: () => {} });
    const lines = figureLines(result);
    for (const name of ['coverage', 'completeness', 'processing', 'timeliness', 'satisfaction', 'follow_ups_per_agent_day', 'mean_time_to_resolve_hours']) {
      expect(lines.some((l) => l.startsWith(`${name}=`) && l.includes('target'))).toBe(true);
    }
    expect(result.problems).toEqual([]);
    expect(result.discharges).toBeGreaterThan(0);
    // The actors did work the reports saw: follow-ups completed, and the bookkeeping lines are there.
    expect(result.figures.find((f) => f.name === 'coverage')!.value).toBeGreaterThan(0);
    expect(result.checks.some((c) => c.startsWith('ok follow-ups completed'))).toBe(true);
    expect(result.checks.some((c) => c.startsWith('ok follow-up workflows (one per stored discharge)'))).toBe(true);
    expect(result.files.map((f) => f.slice(-4))).toEqual(['xlsx', '.pdf']);
    expect(readFileSync(result.files[0]!).subarray(0, 2).toString()).toBe('PK');
    expect(readFileSync(result.files[1]!).subarray(0, 5).toString()).toBe('%PDF-');
  }, 600_000);
});

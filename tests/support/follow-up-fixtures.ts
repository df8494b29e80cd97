/** Test plans with short timings (offsets in seconds), and helpers to drive follow-ups. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { findOrBuildTemporalCli } from '../../scripts/lib/temporal-cli.js';
import { waitUntil } from '../../scripts/lib/wait.js';
import type { Sql } from '../../db/client.js';
import type { TouchpointSpec } from '../../domain/follow-up-plan.js';
import type { Question } from '../../domain/questions.js';
import { uniq } from './stack.js';

export const TEST_QUESTIONS: Question[] = [
  { id: 'pain', text: '疼痛程度(1–5)', type: 'rating', redFlag: { op: 'gte', value: 5 } },
  { id: 'wound_exudate', text: '伤口有无渗液?', type: 'yes_no', redFlag: { op: 'eq', value: true } },
  { id: 'comments', text: '其他', type: 'text' },
];

/** A template and a rule for the department whose touchpoints fall due seconds after discharge. */
export async function createShortPlan(
  sql: Sql,
  departmentCode: string,
  touchpoints: Omit<TouchpointSpec, 'templateCode'>[],
  extra: { scenarioKind?: 'diagnosis_prefix' | 'procedure_keyword'; scenarioValue?: string; questions?: Question[] } = {},
): Promise<{ templateCode: string }> {
  const templateCode = `t-${uniq().toLowerCase()}`;
  await sql`INSERT INTO question_templates (code, version, department_code, name, questions)
            VALUES (${templateCode}, 1, ${departmentCode}, '测试模板', ${sql.json((extra.questions ?? TEST_QUESTIONS) as never)})`;
  await sql`INSERT INTO follow_up_rules (department_code, name, scenario_kind, scenario_value, greeting_text, touchpoints)
            VALUES (${departmentCode}, '测试规则', ${extra.scenarioKind ?? null}, ${extra.scenarioValue ?? null}, '祝您早日康复',
                    ${sql.json(touchpoints.map((t) => ({ ...t, templateCode })) as never)})`;
  return { templateCode };
}

/** Polls every 200 ms; on timeout the error names `what` and the probe's last error, if any. */
export const waitFor = <T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> =>
  waitUntil(probe, timeoutMs, { intervalMs: 200, what });

const FIXTURES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/**
 * With RECORD_HISTORIES=1, keeps a finished workflow's history as a replay fixture, exported by
 * the Temporal CLI in the JSON form the SDK's replayer reads (`temporal workflow show -o json`).
 */
export async function maybeRecordHistory(temporal: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  await temporal.workflow.getHandle(workflowId).result();
  const cli = await findOrBuildTemporalCli();
  const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('infra').temporalAddress]);
  writeFileSync(`${FIXTURES}${name}.json`, json);
}

/** The latest instant within the last day that was daytime (10:00–19:00) in Asia/Shanghai (UTC+8, no DST). */
export function recentDaytime(): Date {
  for (let hoursAgo = 0; ; hoursAgo++) {
    const t = new Date(Date.now() - hoursAgo * 3_600_000 - 60_000);
    const localHour = (t.getUTCHours() + 8) % 24;
    if (localHour >= 10 && localHour < 19) return t;
  }
}

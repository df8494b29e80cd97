/**
 * 拨打 in a real (headless) Chromium (issue 16): on the task page the agent presses Alt+C, the
 * Twilio simulator rings the agent's phone and then the patient, both answer, the call ends and its
 * recording is stored; the agent records the answers and plays the recording on the same page
 * (the play is audited). The full number appears nowhere on the page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulators } from '../../scripts/simulators/providers.js';
import { followUpWorkflowId } from '../../workflows/follow-up/contracts.js';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { setContactRules, startChannelStack, uniquePhone } from '../support/channels.js';
import { recentDaytime, waitFor } from '../support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { uniq, type TestStack } from '../support/stack.js';

/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('click-to-call on the task page', () => {
  let stack: TestStack;
  let sims: Simulators;
  let web: BrowserStack;
  let org: TestOrg;
  let page: Page;
  let storage: string;
  let taskId: string;
  let phone: string;
  const agentPhone = `+8612${String(Date.now()).slice(-9)}`;
  let templateCode: string;

  /** A patient discharged into deptA whose phone task is due at once. */
  async function dischargeOne(): Promise<{ taskId: string; phone: string }> {
    const keyword = `术式${uniq()}`;
    const dischargedAt = recentDaytime();
    const offsetSeconds = Math.ceil((Date.now() - dischargedAt.getTime()) / 1000) + 1;
    await stack.sql`INSERT INTO follow_up_rules (department_code, name, scenario_kind, scenario_value, greeting_text, touchpoints)
                    VALUES (${org.deptA}, '电话随访(测试)', 'procedure_keyword', ${keyword}, '祝您早日康复',
                            ${stack.sql.json([{ offsetSeconds, templateCode, channel: 'phone', maxAttempts: 3, retryAfterSeconds: 3600 }])})`;
    const number = uniquePhone();
    const base = dischargeBody(org.deptA, { dischargedAt: dischargedAt.toISOString(), procedure: `${keyword}内固定术` });
    const body = { ...base, patient: { ...base.patient, phone: number, birthDate: '1990-05-01' } };
    await stack.services.discharges.ingestJson(JSON.stringify(body));
    const workflowId = followUpWorkflowId(body.encounterId);
    const id = await waitFor(
      async () => (await stack.sql<{ id: string }[]>`SELECT id FROM follow_up_tasks WHERE workflow_id = ${workflowId} AND status = 'open'`)[0]?.id,
      30_000,
      'open task',
    );
    return { taskId: id, phone: number };
  }

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'suifang-recordings-'));
    ({ stack, sims } = await startChannelStack({ web: true, env: { CALL_RECORDINGS_DIR: storage }, voice: { ringMs: 300, talkMs: 2000 } }));
    org = await createTestOrg(stack.sql);
    await setContactRules(stack.sql, org.deptA, {});
    templateCode = `call_${uniq().toLowerCase()}`;
    const questions = [
      { id: 'pain', text: '目前伤口疼痛程度如何?(1 不痛 – 5 剧痛)', type: 'rating' },
      { id: 'wound_exudate', text: '伤口是否有渗液、红肿?', type: 'yes_no' },
    ];
    await stack.sql`INSERT INTO question_templates (code, version, department_code, name, questions)
                    VALUES (${templateCode}, 1, ${org.deptA}, '骨科术后随访', ${stack.sql.json(questions)})`;
    ({ taskId, phone } = await dischargeOne());
    await stack.sql`UPDATE users SET call_phone = ${agentPhone} WHERE lower(username) = ${org.users.agentA.username}`;
    sims.voice.behave(agentPhone, 'answer');
    sims.voice.behave(`+86${phone}`, 'answer');
    web = await serveInBrowser(stack);
    page = await signedInPage(web, org.users.agentA.username, TEST_PASSWORD);
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
    rmSync(storage, { recursive: true, force: true });
  });

  it('calls with Alt+C: the agent rings first, then the patient; the call ends with its recording', async () => {
    await page.goto(`${web.base}/tasks/${taskId}`);
    await page.locator('[data-testid=call-button]').waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/call-before.png`, fullPage: true });
    // Keys do nothing until the page is hydrated: press again only while the button still offers 拨打.
    const status = page.locator('[data-testid=call-status]');
    await expect
      .poll(
        async () => {
          if (!(await status.isVisible()) && (await page.locator('[data-testid=call-button]').innerText()).startsWith('拨打')) await page.keyboard.press('Alt+c');
          return status.isVisible();
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe(true);
    await waitFor(async () => sims.voice.calls.some((c) => c.to === `+86${phone}` && c.status === 'in-progress'), 20_000, 'patient answered');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/call-live.png`, fullPage: true });
    await page.locator('[data-testid=call-recording]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=call-status]').textContent()).toContain('已结束');
    const legs = sims.voice.calls.filter((c) => c.to === agentPhone || c.to === `+86${phone}`);
    expect(legs.map((c) => c.to)).toEqual([agentPhone, `+86${phone}`]);
    expect(await page.content()).not.toContain(phone);
  });

  it('records the answers, stays on the task page and plays the recording there (audited)', async () => {
    await page.locator('fieldset[data-question=pain]').getByLabel('2').check();
    await page.locator('fieldset[data-question=wound_exudate]').getByLabel('否').check();
    await page.keyboard.press('Alt+1');
    await page.waitForURL((url) => url.pathname === `/tasks/${taskId}` && url.searchParams.has('saved'));
    await page.getByText('已保存').first().waitFor();
    const [task] = await stack.sql<{ status: string }[]>`SELECT status FROM follow_up_tasks WHERE id = ${taskId}`;
    expect(task!.status).toBe('completed');

    const audio = page.locator('[data-testid=call-recording]').first();
    const duration = await audio.evaluate(
      (a: HTMLAudioElement) =>
        new Promise<number>((resolve, reject) => {
          a.addEventListener('loadedmetadata', () => resolve(a.duration), { once: true });
          a.addEventListener('error', () => reject(new Error(`audio error ${a.error?.code}`)), { once: true });
          a.preload = 'auto';
          a.load();
        }),
    );
    expect(duration).toBeGreaterThan(0.5);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/call-after.png`, fullPage: true });
    const plays = await waitFor(
      async () => {
        const rows = await stack.sql`SELECT 1 FROM audit_log WHERE action = 'call.recording_play' AND entity_id = ${taskId}`;
        return rows.length > 0 ? rows : undefined;
      },
      10_000,
      'play audited',
    );
    expect(plays.length).toBeGreaterThanOrEqual(1);
  });

  it('模拟手机: the patient picks up and hangs up on the developer page; the recording reaches the task page', async () => {
    const other = await dischargeOne(); // its phone rings until someone acts on the 模拟手机 page
    await page.goto(`${web.base}/tasks/${other.taskId}`);
    await page.locator('[data-testid=call-button]').click();
    const phonePage = await web.newPage();
    await phonePage.goto(`${web.base}/dev/phone`);
    const ringing = phonePage.locator('.sim-call', { hasText: `+86${other.phone}` });
    await ringing.getByRole('button', { name: '接听' }).waitFor({ timeout: 20_000 });
    if (SCREENSHOTS) await phonePage.screenshot({ path: `${SCREENSHOTS}/dev-phone-ringing.png`, fullPage: true });
    await ringing.getByRole('button', { name: '接听' }).click();
    await ringing.getByRole('button', { name: '挂断' }).waitFor({ timeout: 20_000 });
    expect(await ringing.textContent()).toContain('本次通话将被录音');
    await ringing.getByRole('button', { name: '挂断' }).click();
    await page.locator('[data-testid=call-recording]').waitFor({ timeout: 30_000 });
    if (SCREENSHOTS) await phonePage.screenshot({ path: `${SCREENSHOTS}/dev-phone-after.png`, fullPage: true });
    const [call] = await stack.sql<{ outcome: string; recording_sid: string | null }[]>`SELECT outcome, recording_sid FROM calls WHERE task_id = ${other.taskId}`;
    expect(call).toMatchObject({ outcome: 'answered' });
    expect(call!.recording_sid).toMatch(/^RE/);
  });
});

/**
 * The quota page in a browser: after the clinic page's calls have recorded an expert who starts
 * late, the nightly plan's inputs (walk-in estimate, capacity and where it came from, the 10-minute
 * fallback named as such) and the current vs proposed plan simulation are shown to the admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../domain/access.js';
import { quotaPlanningStart } from '../../workflows/quota-planning/contracts.js';
import { executeWorkflow } from '../../workflows/shared/start.js';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';

const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('quota page in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let org: TestOrg;
  let admin: Principal;
  const expert = `页面专家${uniq().slice(0, 4)}`;

  beforeAll(async () => {
    stack = await startStack({ worker: true, web: true });
    org = await createTestOrg(stack.sql);
    admin = (await stack.services.auth.login({ username: org.users.admin.username, password: TEST_PASSWORD }, {})).user;
    web = await serveInBrowser(stack);
  });
  afterAll(async () => {
    await web?.close();
    await stack?.stop();
  });

  async function createSession(dayOffset: number) {
    const [s] = await stack.sql<{ id: string; starts_at: Date }[]>`
      WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date + ${dayOffset}::int AS day)
      INSERT INTO clinic_sessions (expert_name, department_code, session_date, registration_opens_at, starts_at, ends_at, slot_minutes, grace_minutes)
      SELECT ${expert}, ${org.deptA}, day, (day + time '07:00') AT TIME ZONE 'Asia/Shanghai',
             (day + time '08:00') AT TIME ZONE 'Asia/Shanghai', (day + time '12:00') AT TIME ZONE 'Asia/Shanghai', 60, 0
      FROM d RETURNING id, starts_at`;
    for (const [i, q] of [8, 8, 7, 7].entries()) {
      await stack.sql`
        INSERT INTO clinic_slots (session_id, slot_index, starts_at, ends_at, appointment_quota)
        SELECT id, ${i}, starts_at + make_interval(hours => ${i}::int), starts_at + make_interval(hours => ${i + 1}::int), ${q} FROM clinic_sessions WHERE id = ${s!.id}`;
    }
    return s!;
  }

  it('shows capacity sources and the plans side by side', async () => {
    for (const week of [1, 2]) {
      const past = await createSession(-7 * week);
      for (let k = 0; k < 10; k++) {
        await stack.sql`INSERT INTO walk_in_registrations (session_id, number, registered_at) VALUES (${past.id}, ${`QW-${uniq()}`}, ${new Date(past.starts_at.getTime() + (-30 + k) * 60_000)})`;
      }
      for (const m of [40, 50, 60, 70, 80, 90, 100, 110, 120]) await stack.services.clinicQueue.callNext(admin, past.id, {}, new Date(past.starts_at.getTime() + m * 60_000));
    }
    const upcoming = await createSession(1);
    await executeWorkflow(stack.temporal, stack.taskQueue, quotaPlanningStart({ weeks: 8, horizonDays: 2 }, `quota-page-${uniq()}`));

    const page = await signedInPage(web, org.users.admin.username, TEST_PASSWORD);
    await page.goto(`${web.base}/admin/quotas`);
    const section = page.locator('section', { hasText: expert }).filter({ has: page.locator(`input[value="${upcoming.id}"]`) });
    await section.getByTestId('plan-simulation').waitFor();
    const bases = await section.getByTestId('capacity-basis').allTextContents();
    expect(bases[0]).toContain('开诊晚');
    expect(bases[1]).toContain('历史平均接诊时间');
    expect(bases[3]).toContain('默认 10 分钟/人(无接诊记录)');
    await expect(section.getByTestId('plan-simulation').textContent()).resolves.toMatch(/现行方案.*测算方案/);
    if (SCREENSHOTS) {
      await section.scrollIntoViewIfNeeded();
      await section.screenshot({ path: `${SCREENSHOTS}/quota-page.png` });
    }
  });
});

/**
 * /admin/inbox in headless Chromium: the admin sees the HIS messages with personal data masked,
 * what each meant and how it ended, filters by outcome and source, and replays a message that
 * waited for the hospital's FHIR server once that server is back (audited). Other roles are
 * refused.
 */
import type { Encounter } from 'fhir/r4';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveInBrowser, type BrowserStack } from '../support/browser-stack.js';
import { waitFor } from '../support/follow-up-fixtures.js';
import { startFhirServerStub, type FhirServerStub } from '../support/fhir-server.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';

/** Set to a folder to keep screenshots of the pages (e.g. E2E_SCREENSHOTS=/tmp). */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('admin HIS inbox in a browser', () => {
  let stack: TestStack;
  let web: BrowserStack;
  let org: TestOrg;
  let fhirServer: FhirServerStub;
  const patientName = `欧阳${uniq().slice(0, 2)}`;
  const waitingEncounter = `ZY${uniq()}`;
  const patientRef = `Patient/p-${uniq().toLowerCase()}`;

  beforeAll(async () => {
    fhirServer = await startFhirServerStub();
    stack = await startStack({ worker: true, web: true, env: { HIS_FHIR_BASE_URL: fhirServer.baseUrl, HIS_FHIR_TOKEN: fhirServer.token } });
    org = await createTestOrg(stack.sql);
    const { discharges } = stack.services;
    await discharges.ingestJson(
      JSON.stringify({
        encounterId: `ZY${uniq()}`,
        department: org.deptA,
        dischargedAt: new Date().toISOString(),
        patient: { id: `P${uniq()}`, name: patientName, phone: '13812345678', address: '北京市朝阳区望京街道花家地南里5号楼3单元402室' },
      }),
    );
    await discharges.ingest('hl7', Buffer.from(`not hl7 ${uniq()} 13812345678`));
    await discharges.ingest('hl7', Buffer.from(`MSH|^~\\&|EPIC|UCLH|||20130311100052|IPUC|ADT^A17|${uniq()}|T|2.4\rPID|1||40800000`));
    // The hospital's FHIR server is down when this Encounter (Patient only referenced) arrives.
    fhirServer.down = true;
    const encounter: Encounter = {
      resourceType: 'Encounter',
      identifier: [{ value: waitingEncounter }],
      status: 'finished',
      class: { code: 'IMP' },
      subject: { reference: patientRef },
      serviceProvider: { identifier: { value: org.deptA } },
      period: { end: new Date().toISOString() },
    };
    const waiting = await discharges.ingest('fhir', JSON.stringify(encounter));
    expect(waiting.status).toBe('retry');
    // The server stays down until the replay test: a reconciler (this stack's or another test
    // file's, sharing the database) would otherwise take the message up before the page shows it waiting.
    fhirServer.resources.set(patientRef, { resourceType: 'Patient', id: patientRef.split('/')[1], identifier: [{ value: `P${uniq()}` }], name: [{ text: '李建国' }] });
    web = await serveInBrowser(stack);
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
    await fhirServer?.close();
  });

  async function signIn(page: Page, username: string) {
    await page.goto(`${web.base}/login`);
    await page.getByRole('textbox', { name: '用户名' }).fill(username);
    await page.getByLabel('密码').fill(TEST_PASSWORD);
    await page.getByLabel('密码').press('Enter');
    await page.waitForURL((url) => url.pathname !== '/login');
  }

  it('shows the messages masked, with meaning, outcome and reason; filters by outcome and source', async () => {
    const page = await web.newPage();
    await signIn(page, org.users.admin.username);
    await page.goto(`${web.base}/admin/inbox`);
    await page.locator('h1', { hasText: 'HIS 消息收件箱' }).waitFor();
    const table = page.locator('[data-testid=inbox-table]');
    const text = await table.innerText();
    expect(text).toContain('已接受');
    expect(text).toContain('已拒绝');
    expect(text).toContain('已忽略');
    expect(text).toContain('待处理');
    expect(text).toContain('随访系统不使用 ADT^A17 消息');
    expect(text).toContain('不是 HL7 v2 消息');
    const html = await page.content();
    expect(html).not.toContain(patientName);
    expect(html).not.toContain('13812345678');
    expect(html).not.toContain('402室');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/admin-inbox.png`, fullPage: true });

    await page.getByLabel('处理结果').selectOption('ignored');
    await page.getByLabel('来源').selectOption('hl7');
    await page.getByRole('button', { name: '筛选' }).click();
    await page.waitForURL((url) => url.searchParams.get('outcome') === 'ignored');
    // The URL changes with the navigation; the filtered rows may come a moment later.
    const outcomes = await waitFor(
      async () => {
        const shown = await page.locator('[data-testid=inbox-table] tbody tr td:nth-child(4)').allInnerTexts();
        return shown.length > 0 && shown.every((o) => o.includes('已忽略')) ? shown : undefined;
      },
      15_000,
      'only 已忽略 rows after filtering',
    );
    expect(outcomes.length).toBeGreaterThan(0);
  });

  it('replays a message that waited for the FHIR server: its follow-up starts, and the replay is audited', async () => {
    fhirServer.down = false;
    const page = await web.newPage();
    await signIn(page, org.users.admin.username);
    // No outcome filter: another test file's reconciler shares this database and may have taken the message up.
    await page.goto(`${web.base}/admin/inbox?source=fhir`);
    const row = page.locator('[data-testid=inbox-table] tbody tr', { hasText: waitingEncounter });
    await row.getByRole('button', { name: /重新处理/ }).click();
    await page.getByRole('status').filter({ hasText: '已重新处理:已接受' }).waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/admin-inbox-replayed.png`, fullPage: true });
    await stack.temporal.workflow.getHandle(`followup-${waitingEncounter}`).describe();
    const audit = await stack.sql`
      SELECT action, details FROM audit_log WHERE actor_username = ${org.users.admin.username} AND action LIKE 'his_inbox.%' ORDER BY id`;
    expect(audit.map((a) => a.action)).toContain('his_inbox.view');
    expect(audit.find((a) => a.action === 'his_inbox.replay')?.details).toMatchObject({ outcome: 'accepted' });
  });

  it('is for admins only', async () => {
    const page = await web.newPage();
    await signIn(page, org.users.manager.username);
    const response = await page.goto(`${web.base}/admin/inbox`);
    expect(response?.status()).toBe(403);
  });
});

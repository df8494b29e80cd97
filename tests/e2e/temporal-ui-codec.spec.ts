/**
 * The Temporal Web UI decrypts payloads through /api/codec exactly as the README says: a manager
 * signed in to the portal opens the UI's Data Encoder settings, enters the endpoint, switches on
 * "Include cross-origin credentials", and reads the workflow input in clear text. An agent's
 * session gets 403, so the agent sees ciphertext. Runs against the dev server's own UI (the one
 * `npm start` serves), started here with its UI on a free port and no cluster-level codec: the dev
 * server cannot pass "include credentials" at cluster level, which is why the README's path is the
 * browser setting (see scripts/start.ts).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrBuildTemporalCli } from '../../scripts/lib/temporal-cli.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { startTemporalDevServer, type RunningDevServer } from '../../scripts/lib/temporal-dev-server.js';
import { Client, Connection } from '@temporalio/client';
import { payloadDataConverter } from '../../worker/payload-codec.js';
import { serveInBrowser, signedInPage, type BrowserStack } from '../support/browser-stack.js';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/org.js';
import { startStack, uniq, type TestStack } from '../support/stack.js';

const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

describe('Temporal UI decodes payloads through the portal session', () => {
  let temporal: RunningDevServer;
  let ui: string;
  let stack: TestStack;
  let web: BrowserStack;
  let org: TestOrg;
  const marker = `解码标记${uniq()}`;
  let workflowPath: string;

  beforeAll(async () => {
    const uiPort = await freePort();
    let port = await freePort();
    while (port === uiPort) port = await freePort();
    temporal = await startTemporalDevServer({ cli: await findOrBuildTemporalCli(() => {}), port, uiPort, namespace: 'default' });
    ui = `http://127.0.0.1:${uiPort}`;
    stack = await startStack({ web: true, env: { CODEC_CORS_ORIGIN: ui } });
    org = await createTestOrg(stack.sql);
    web = await serveInBrowser(stack);
    // A workflow whose input is encrypted with the system's codec; no worker needed to show its history.
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: 'default', dataConverter: payloadDataConverter(stack.env) });
    const handle = await client.workflow.start('followUpWorkflow', { taskQueue: `codec-ui-${uniq()}`, workflowId: `codec-ui-${uniq()}`, args: [{ note: marker }] });
    workflowPath = `/namespaces/default/workflows/${handle.workflowId}/${handle.firstExecutionRunId}/history`;
    await connection.close();
  }, 300_000);

  afterAll(async () => {
    await web?.close();
    await stack?.stop();
    await temporal?.stop();
  });

  /** The README's steps: Data Encoder settings → endpoint → Include cross-origin credentials → Apply. */
  async function configureCodec(page: Page) {
    await page.goto(`${ui}${workflowPath}`);
    await page.getByTestId('data-encoder-status').click();
    await page.getByPlaceholder('Paste your endpoint here').fill(`${web.base}/api/codec`);
    await page.getByText('Include cross-origin credentials').click();
    await page.getByRole('button', { name: 'Apply' }).click();
  }

  it('a signed-in manager reads the workflow input in clear text; the look is audited', async () => {
    const page = await signedInPage(web, org.users.manager.username, TEST_PASSWORD);
    await configureCodec(page);
    await page.goto(`${ui}${workflowPath}`);
    await expect.poll(() => page.getByText(marker).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/temporal-ui-decoded.png`, fullPage: true });
    const audited = await stack.sql`SELECT 1 FROM audit_log WHERE actor_username = ${org.users.manager.username} AND action = 'codec.decode'`;
    expect(audited.length).toBeGreaterThan(0);
  });

  it('an agent session is refused: the input stays ciphertext', async () => {
    const page = await signedInPage(web, org.users.agentA.username, TEST_PASSWORD);
    await configureCodec(page);
    const refused = page.waitForResponse((r) => r.url().startsWith(`${web.base}/api/codec/decode`) && r.request().method() === 'POST');
    await page.goto(`${ui}${workflowPath}`);
    expect((await refused).status()).toBe(403);
    await page.waitForTimeout(1000);
    expect(await page.getByText(marker).count()).toBe(0);
  });
});

/** The test stack served over real HTTP, and headless Chromium pages to drive it. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../../scripts/lib/free-port.js';
import { launchBrowser } from './chromium.js';
import type { TestStack } from './stack.js';

export interface BrowserStack {
  /** http://127.0.0.1:<port> */
  base: string;
  browser: Browser;
  /** A page in a fresh context (own cookies), zh-CN in Asia/Shanghai. */
  newPage(): Promise<Page>;
  /** Closes the pages, the browser and the HTTP server (not the stack). */
  close(): Promise<void>;
}

export async function serveInBrowser(stack: TestStack): Promise<BrowserStack> {
  const port = await freePort();
  const app = stack.app as unknown as { fetch: (request: Request) => Response | Promise<Response> };
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
  const browser = await launchBrowser();
  const contexts: BrowserContext[] = [];
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo | null)?.port ?? port}`,
    browser,
    async newPage() {
      const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1400, height: 900 } });
      context.setDefaultTimeout(20_000);
      contexts.push(context);
      return context.newPage();
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}

/** A fresh browser page (own cookies) signed in through the portal's sign-in form. */
export async function signedInPage(web: BrowserStack, username: string, password: string): Promise<Page> {
  const page = await web.newPage();
  await page.goto(`${web.base}/login`);
  await page.getByRole('textbox', { name: '用户名' }).fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByLabel('密码').press('Enter');
  await page.waitForURL((url) => url.pathname !== '/login');
  return page;
}

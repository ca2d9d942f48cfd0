// Debian's Chromium through playwright-core, against a govflow server listening on a free port.
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, PASSWORD, type TestApp } from './server.ts';

/** A listening app and a browser. */
export interface BrowserApp {
  app: TestApp;
  browser: Browser;
  baseUrl: string;
  /** A new page, optionally at phone width (360 px). */
  newPage(opts?: { phone?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/** Starts a listening server on a fresh database and launches Chromium. */
export async function startBrowserApp(opts: { orgs?: boolean; env?: Record<string, string> } = {}): Promise<BrowserApp> {
  const app = await startApp({ ...opts, listen: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const baseUrl = `http://127.0.0.1:${app.server.info.port}`;
  return {
    app,
    browser,
    baseUrl,
    async newPage(o = {}) {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: o.phone ? { width: 360, height: 740 } : { width: 1280, height: 900 }, locale: 'vi-VN' });
      return context.newPage();
    },
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/** Logs in through the login page as a person would. */
export async function loginAs(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('form[action="/login"] button[type=submit]')]);
}

// Debian's Chromium through playwright-core, against a govflow server listening on a free port. Every page
// a test opens through newPage is checked for accessibility (axe-core, WCAG 2.2 AA; no sideways scrolling
// at phone width) each time a document loads; see docs/testing.md.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startApp, PASSWORD, type TestApp } from './server.ts';
import { findA11yProblems, formatA11yFindings } from './a11y.ts';

/** A listening app and a browser. */
export interface BrowserApp {
  app: TestApp;
  browser: Browser;
  baseUrl: string;
  /** A new page, optionally at phone width (360 px). Closing its context (or the page) fails with the
   * list of accessibility problems found on any document it loaded. */
  newPage(opts?: { phone?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/** Problems found in one browser context and the checks still running in it. */
interface A11yWatch {
  reports: string[];
  pending: Set<Promise<void>>;
}

/** Waits for the checks still running so that none is lost to a navigation or a close. */
async function settle(watch: A11yWatch): Promise<void> {
  while (watch.pending.size) await Promise.all([...watch.pending]);
}

/** Throws (once) the problems the context's pages showed. */
function throwReports(watch: A11yWatch): void {
  if (!watch.reports.length) return;
  const text = watch.reports.splice(0).join('\n');
  throw new Error(text);
}

// Each action a test takes first waits for the checks still running on its page: a click that navigates
// would otherwise throw the document away before axe has read it. (Holding the navigation request
// instead does not work: Playwright cannot evaluate in a document whose frame is navigating.)
const watchOf = new WeakMap<Page, A11yWatch>();
const PAGE_ACTIONS = ['goto', 'reload', 'goBack', 'goForward', 'click', 'dblclick', 'tap', 'fill', 'type', 'press', 'check', 'uncheck', 'setChecked', 'selectOption', 'setInputFiles', 'dispatchEvent', 'dragAndDrop', 'focus', 'hover'];
const LOCATOR_ACTIONS = ['click', 'dblclick', 'tap', 'fill', 'clear', 'type', 'press', 'pressSequentially', 'check', 'uncheck', 'setChecked', 'selectOption', 'setInputFiles', 'dispatchEvent', 'dragTo', 'focus', 'hover', 'blur'];
const INPUT_ACTIONS = ['down', 'up', 'press', 'type', 'insertText', 'click', 'dblclick', 'wheel'];
let patched = false;
/** A11Y_LOG=1 prints each checked page, its problem count and axe's time, to see what a suite covers. */
const logChecks = process.env.A11Y_LOG === '1';

/** Makes each named method of obj wait for the checks of the page pageOf(this) gives first. */
function waitBefore(obj: any, names: string[], pageOf: (self: any) => Page | undefined): void {
  for (const name of names) {
    const original = obj[name];
    if (typeof original !== 'function') continue;
    obj[name] = async function (this: any, ...args: unknown[]) {
      const page = pageOf(this);
      const watch = page && watchOf.get(page);
      if (watch) await settle(watch);
      return original.apply(this, args);
    };
  }
}

/** Checks every document the page loads, before the test's next action. */
async function watchPage(page: Page, watch: A11yWatch, phone: boolean): Promise<void> {
  if (!patched) {
    patched = true;
    waitBefore(Object.getPrototypeOf(page), PAGE_ACTIONS, (self) => self);
    waitBefore(Object.getPrototypeOf(page.locator('html')), LOCATOR_ACTIONS, (self) => self.page());
  }
  watchOf.set(page, watch);
  waitBefore(page.keyboard, INPUT_ACTIONS.filter((n) => n in page.keyboard), () => page);
  waitBefore(page.mouse, INPUT_ACTIONS.filter((n) => n in page.mouse), () => page);
  page.on('load', () => {
    const url = page.url();
    const started = Date.now();
    const run = findA11yProblems(page, { phone })
      .then((findings) => {
        if (logChecks) process.stderr.write(`a11y: ${url} ${phone ? '360 px' : '1280 px'} ${findings.length} problem(s) in ${Date.now() - started} ms\n`);
        if (findings.length) watch.reports.push(formatA11yFindings(url, findings));
      })
      // A page that closed or navigated by itself (a script redirect) before its check ended is gone.
      .catch((err: Error) => {
        if (logChecks) process.stderr.write(`a11y: ${url} not checked: ${err.message.split('\n')[0]}\n`);
        if (!/closed|destroyed|navigat|Target/i.test(err.message)) watch.reports.push(`Accessibility check failed on ${url}: ${err.message}`);
      })
      .finally(() => watch.pending.delete(run));
    watch.pending.add(run);
  });
  const closePage = page.close.bind(page);
  page.close = async (...args: Parameters<Page['close']>) => {
    await settle(watch);
    await closePage(...args);
    throwReports(watch);
  };
}

/** A context whose pages are all watched; closing it reports what was found. */
async function watchedContext(browser: Browser, baseUrl: string, phone: boolean, all: A11yWatch[]): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: phone ? { width: 360, height: 740 } : { width: 1280, height: 900 }, locale: 'vi-VN' });
  const watch: A11yWatch = { reports: [], pending: new Set() };
  all.push(watch);
  const watching: Promise<void>[] = [];
  // Pages opened by the site itself (target=_blank, window.open) are checked as well.
  context.on('page', (p) => { watching.push(watchPage(p, watch, phone)); });
  const closeContext = context.close.bind(context);
  context.close = async (...args: Parameters<BrowserContext['close']>) => {
    await Promise.all(watching);
    await settle(watch);
    await closeContext(...args);
    throwReports(watch);
  };
  // newPage resolves after the 'page' event, so the first page's watcher is registered by then.
  const newPage = context.newPage.bind(context);
  context.newPage = async () => {
    const p = await newPage();
    await Promise.all(watching);
    return p;
  };
  return context;
}

/** Starts a listening server on a fresh database and launches Chromium. */
export async function startBrowserApp(opts: { orgs?: boolean; env?: Record<string, string> } = {}): Promise<BrowserApp> {
  const app = await startApp({ ...opts, listen: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const baseUrl = `http://127.0.0.1:${app.server.info.port}`;
  const watches: A11yWatch[] = [];
  return {
    app,
    browser,
    baseUrl,
    async newPage(o = {}) {
      const context = await watchedContext(browser, baseUrl, !!o.phone, watches);
      return context.newPage();
    },
    async close() {
      await Promise.all(watches.map((w) => settle(w).catch(() => undefined)));
      await browser.close();
      await app.close();
      // Pages a test left open (or a test that failed before closing them) still report here.
      const left = watches.flatMap((w) => w.reports.splice(0));
      if (left.length) throw new Error(left.join('\n'));
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

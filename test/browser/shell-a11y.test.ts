// Keyboard and screen-reader basics on the shell's pages: named controls, one h1, landmarks, contrast.
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';

let b: BrowserApp;
let adminName: string;

test.before(async () => {
  b = await startBrowserApp();
  adminName = (await makeUser('admin', null, { username: 'quantri.a11y' })).username;
  await makeUser('officer', '01');
});

test.after.always(async () => {
  await b?.close();
});

/** Form controls without an accessible name (label, aria-label or aria-labelledby; text for buttons). */
function unnamedControls(page: Page) {
  return page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => {
      const e = el as HTMLInputElement;
      const named = (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent!.trim());
      return !named;
    })
    .map((el) => el.outerHTML.slice(0, 120)));
}

/** Text whose contrast with its background is below WCAG AA (4.5:1). Plain JavaScript: the
 * TypeScript loader's helpers do not exist inside the page. */
const LOW_CONTRAST = `(() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null || el.closest('[aria-hidden="true"]')) continue;
    const a = lum(parse(getComputedStyle(el).color).slice(0, 3));
    const b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return bad;
})()`;

function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(LOW_CONTRAST);
}

async function checkPage(t: import('ava').ExecutionContext, page: Page, url: string) {
  await page.goto(url);
  t.deepEqual(await unnamedControls(page), [], `${url}: every control has a name`);
  t.is(await page.locator('h1').count(), 1, `${url}: one h1`);
  t.is(await page.locator('main#main').count(), 1, `${url}: a main landmark`);
  t.deepEqual(await lowContrast(page), [], `${url}: text contrast at least 4.5:1`);
}

test.serial('pages for visitors have named controls, one heading, a main landmark and readable contrast', async (t) => {
  const page = await b.newPage();
  for (const url of ['/', '/login', '/register', '/nope']) await checkPage(t, page, url);
  await page.context().close();
});

test.serial('the admin\'s user pages have named controls, one heading, a main landmark and readable contrast', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  for (const url of ['/', '/admin/users', '/admin/users/new']) await checkPage(t, page, url);
  await page.context().close();
});

test.serial('the login form is reachable with the keyboard in a sensible order', async (t) => {
  const page = await b.newPage();
  await page.goto('/login');
  // The username field has focus first, so a person can type at once.
  t.is(await page.evaluate(() => document.activeElement?.id), 'username');
  await page.keyboard.type(adminName);
  await page.keyboard.press('Tab');
  t.is(await page.evaluate(() => document.activeElement?.id), 'password');
  await page.keyboard.type('TestPassword123');
  await Promise.all([page.waitForURL('/'), page.keyboard.press('Enter')]);
  t.is(await page.locator('[data-testid="user-name"]').count(), 1);
  await page.context().close();
});

test.serial('a focused link shows a visible outline', async (t) => {
  const page = await b.newPage();
  await page.goto('/');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  t.not(outline, 'none');
  await page.context().close();
});

// Keyboard and screen-reader basics on the shell's pages: named controls, one h1, landmarks, contrast.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { checkPageA11y as checkPage } from '../helpers/a11y.ts';

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

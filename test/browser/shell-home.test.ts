// A visitor on the home page: Vietnamese first, English on request, and a layout that fits a phone.
import fs from 'node:fs';
import test from 'ava';
import { startBrowserApp, type BrowserApp } from '../helpers/browser.ts';

let b: BrowserApp;
const VI_TITLE = JSON.parse(fs.readFileSync(new URL('../../locales/vi/home.json', import.meta.url), 'utf8')).title as string;

test.before(async () => {
  b = await startBrowserApp({ orgs: false });
});

test.after.always(async () => {
  await b?.close();
});

test.serial('a visitor opens the home page in Vietnamese, switches to English and back', async (t) => {
  const page = await b.newPage();
  await page.goto('/');
  t.is(await page.getAttribute('html', 'lang'), 'vi');
  t.is(await page.textContent('h1'), VI_TITLE);
  t.truthy(await page.getByRole('link', { name: 'Đăng nhập', exact: true }).count());

  await Promise.all([page.waitForURL('/'), page.getByRole('button', { name: 'Switch to English' }).click()]);
  await page.waitForSelector('html[lang="en"]', { state: 'attached' });
  t.is(await page.getAttribute('html', 'lang'), 'en');
  t.is(await page.textContent('h1'), 'Government reporting and administrative procedures');
  t.truthy(await page.getByRole('link', { name: 'Log in', exact: true }).count());

  // The choice sticks while moving around the site.
  await page.goto('/login');
  t.is(await page.textContent('h1'), 'Log in');

  await Promise.all([page.waitForURL('/login'), page.getByRole('button', { name: 'Chuyển sang tiếng Việt' }).click()]);
  await page.waitForSelector('html[lang="vi"]', { state: 'attached' });
  t.is(await page.textContent('h1'), 'Đăng nhập hệ thống', 'the switch returns to the same page');
  await page.context().close();
});

test.serial('the skip link is the first thing the keyboard reaches and leads to the content', async (t) => {
  const page = await b.newPage();
  await page.goto('/');
  await page.keyboard.press('Tab');
  t.is(await page.evaluate(() => document.activeElement?.textContent), 'Chuyển đến nội dung chính');
  t.true(await page.locator('a.skip').isVisible(), 'the link shows when focused');
  await page.keyboard.press('Enter');
  t.is(await page.evaluate(() => location.hash), '#main');
  await page.context().close();
});

test.serial('the home page has no horizontal scrolling at 360 px', async (t) => {
  const page = await b.newPage({ phone: true });
  for (const lang of ['vi', 'en']) {
    await page.context().addCookies([{ name: 'lang', value: lang, url: b.baseUrl }]);
    await page.goto('/');
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    t.is(innerWidth, 360);
    t.true(scrollWidth <= innerWidth, `${lang}: page is ${scrollWidth} px wide`);
    await page.screenshot({ path: `/tmp/shot-home-phone-${lang}.png`, fullPage: true });
  }
  await page.context().close();
});

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

/** Contrast of two `rgb(...)` colours (WCAG relative luminance). */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? []).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

test.serial('by keyboard the focus ring in the red header and menu stands out at least 3:1', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/');
  const seen: string[] = [];
  // Tab past the skip link through the header (brand, language, bell, logout) into the menu.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const bar = el.closest('.topbar, .mainnav');
      if (!bar) return null;
      const s = getComputedStyle(el);
      return { what: (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 30), style: s.outlineStyle, color: s.outlineColor, bar: getComputedStyle(bar).backgroundColor };
    });
    if (!ring) continue;
    t.not(ring.style, 'none', `${ring.what}: a visible outline`);
    const ratio = contrast(ring.color, ring.bar);
    t.log(`${ring.what}: focus ring ${ring.color} on ${ring.bar} = ${ratio.toFixed(2)}:1`);
    t.true(ratio >= 3, `${ring.what}: focus ring contrast ${ratio.toFixed(2)}:1`);
    seen.push(ring.what);
  }
  t.true(seen.length >= 4, `the header and menu took focus: ${seen.join(', ')}`);
  t.true(seen.includes('EN – Switch to English'), 'the language button is in the tab order and its name starts with what it shows');
  await page.context().close();
});

test.serial('the browser helper fails a page that breaks a WCAG rule or scrolls sideways on a phone, and lists the problems', async (t) => {
  // A page the app does not serve: an unnamed button, an image without text, and a row wider than a phone.
  const bad = '<!doctype html><html lang="vi"><head><title>x</title></head><body><main><h1>x</h1>'
    + '<button></button><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><div style="width:500px">rộng</div></main></body></html>';
  const page = await b.newPage({ phone: true });
  await page.route('**/a11y-fixture', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: bad }));
  await page.goto('/a11y-fixture');
  const err = await t.throwsAsync(page.context().close());
  t.log(err?.message);
  t.regex(err?.message ?? '', /a11y-fixture/);
  t.regex(err?.message ?? '', /button-name \(critical\)/);
  t.regex(err?.message ?? '', /image-alt \(critical\)/);
  t.regex(err?.message ?? '', /horizontal-overflow \(serious\): The page scrolls sideways at 360 px \(content is 5\d\d px wide\)/);
  t.regex(err?.message ?? '', /div right edge at 5\d\d px/);
});

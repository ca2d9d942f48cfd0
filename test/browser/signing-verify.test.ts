// Signing in a real browser: a leader uploads their PKCS#12 and signs a PDF with its PIN; an anonymous
// visitor on a phone verifies the downloaded file on /verify and sees the signer and "valid"; a
// tampered copy shows as broken.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { setupCa, pkcs12For, samplePdf, tamper, tempDir } from '../helpers/signing.ts';

let b: BrowserApp;
let dir: string;
let leaderName: string;

test.before(async () => {
  b = await startBrowserApp();
  await setupCa();
  leaderName = (await makeUser('leader', '01', { username: 'lanhdao.ky', fullName: 'Đỗ Thị Hạnh' })).username;
  dir = tempDir();
  fs.writeFileSync(path.join(dir, 'chu-ky.p12'), pkcs12For('Đỗ Thị Hạnh', '852456').p12);
  fs.writeFileSync(path.join(dir, 'bao-cao.pdf'), await samplePdf());
});
test.after.always(async () => {
  await b?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function noHorizontalScroll(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/** Form controls without an accessible name (label, aria-label or aria-labelledby; text for buttons). */
function unnamedControls(page: Page) {
  return page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => {
      const e = el as HTMLInputElement;
      return !((e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent!.trim()));
    })
    .map((el) => el.outerHTML.slice(0, 120)));
}

// Text below WCAG AA contrast (4.5:1); plain JavaScript, since the TypeScript loader's helpers do not exist in the page.
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
    if (ratio < 4.5) bad.push(el.tagName.toLowerCase() + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return bad;
})()`;

async function checkPage(t: import('ava').ExecutionContext, page: Page, url: string): Promise<void> {
  await page.goto(url);
  t.deepEqual(await unnamedControls(page), [], `${url}: every control has a name`);
  t.is(await page.locator('h1').count(), 1, `${url}: one h1`);
  t.is(await page.locator('main#main').count(), 1, `${url}: a main landmark`);
  t.deepEqual(await page.evaluate(LOW_CONTRAST), [], `${url}: text contrast at least 4.5:1`);
  t.true(await noHorizontalScroll(page), `${url}: no sideways scrolling at 360 px`);
}

test.serial('a leader uploads a PKCS#12 with its PIN and signs a PDF; anyone verifies it on /verify and a tampered copy shows broken', async (t) => {
  // Given a leader who uploads their certificate from the navigation
  const page = await b.newPage();
  await loginAs(page, leaderName);
  await Promise.all([page.waitForURL('/me/certificates'), page.getByRole('link', { name: 'Chứng thư số của tôi' }).first().click()]);
  await page.getByLabel('Tệp PKCS#12 (.p12, .pfx)').setInputFiles(path.join(dir, 'chu-ky.p12'));
  await page.getByLabel('Mã PIN của chứng thư').fill('852456');
  await Promise.all([page.waitForURL(/uploaded=1/), page.getByRole('button', { name: 'Tải lên chứng thư' }).click()]);
  t.regex((await page.getByTestId('cert-uploaded').textContent()) ?? '', /Đã lưu chứng thư/);
  t.regex((await page.getByTestId('cert-current').textContent()) ?? '', /Đỗ Thị Hạnh/);

  // When they sign a PDF with the PIN
  await page.goto('/sign');
  await page.getByLabel('Văn bản PDF').setInputFiles(path.join(dir, 'bao-cao.pdf'));
  await page.getByLabel('Mã PIN chứng thư của bạn').fill('852456');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Ký và tải về' }).click()]);
  const signedFile = path.join(dir, 'bao-cao-signed.pdf');
  await download.saveAs(signedFile);
  t.is(download.suggestedFilename(), 'bao-cao-signed.pdf');
  fs.writeFileSync(path.join(dir, 'tampered.pdf'), tamper(fs.readFileSync(signedFile)));

  // Then anyone, on a phone and without logging in, verifies it and sees the signer and "valid"
  const visitor = await b.newPage({ phone: true });
  await visitor.goto('/verify');
  t.is(await visitor.getByRole('heading', { level: 1 }).textContent(), 'Xác thực chữ ký số');
  await visitor.getByLabel('Tệp PDF đã ký').setInputFiles(signedFile);
  await Promise.all([visitor.waitForLoadState('load'), visitor.getByRole('button', { name: 'Xác thực' }).click()]);
  await visitor.getByTestId('verify-result').waitFor();
  t.is((await visitor.getByTestId('verify-status').textContent())?.trim(), 'Chữ ký hợp lệ');
  t.is(await visitor.getByTestId('verify-signer').textContent(), 'Đỗ Thị Hạnh');
  t.regex((await visitor.getByTestId('verify-intact').textContent()) ?? '', /còn nguyên vẹn/);
  t.regex((await visitor.getByTestId('verify-trust').textContent()) ?? '', /được tin cậy/);
  t.true(await noHorizontalScroll(visitor), 'no sideways scrolling at 360 px');
  await visitor.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? dir, 'signing-verify-valid.png'), fullPage: true });

  // And a copy with one changed byte shows as broken
  await visitor.getByLabel('Tệp PDF đã ký').setInputFiles(path.join(dir, 'tampered.pdf'));
  await Promise.all([visitor.waitForLoadState('load'), visitor.getByRole('button', { name: 'Xác thực' }).click()]);
  await visitor.locator('[data-testid="verify-result"][data-valid="false"]').waitFor();
  t.is((await visitor.getByTestId('verify-status').textContent())?.trim(), 'Chữ ký không hợp lệ');
  t.regex((await visitor.getByTestId('verify-intact').textContent()) ?? '', /bị thay đổi sau khi ký/);
  await visitor.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? dir, 'signing-verify-broken.png'), fullPage: true });
});

test.serial('the signing pages have named controls, one heading, a main landmark, readable contrast and fit 360 px', async (t) => {
  const visitor = await b.newPage({ phone: true });
  await checkPage(t, visitor, '/verify');
  const leader = await b.newPage({ phone: true });
  await loginAs(leader, leaderName);
  for (const url of ['/me/certificates', '/sign']) await checkPage(t, leader, url);
});

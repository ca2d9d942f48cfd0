// Signing in a real browser: a leader uploads their PKCS#12 and signs a PDF with its PIN; an anonymous
// visitor on a phone verifies the downloaded file on /verify and sees the signer and "valid"; a
// tampered copy shows as broken.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
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

async function checkPage(t: import('ava').ExecutionContext, page: Page, url: string): Promise<void> {
  await checkPageA11y(t, page, url);
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

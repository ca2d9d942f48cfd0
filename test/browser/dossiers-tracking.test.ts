// Tracking in Chromium: an anonymous visitor looks a dossier up from the home page, is refused with a wrong
// factor and sees the status and expected date with the right one; the owner opens the dossier's page and
// sees its steps and the diagram with the current step highlighted.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { deployTrackingProcess, moveToHandle, receivedDossier } from '../helpers/tracking-dossiers.ts';
import { formatVn } from '../../src/time.ts';
import type { Dossier } from '../../src/dossiers/models.ts';

const noSideScroll = (page: import('playwright-core').Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

let b: BrowserApp;
let dossier: Dossier;

test.before(async () => {
  execFileSync(process.execPath, ['scripts/build-client.js'], { stdio: 'ignore' });
  b = await startBrowserApp();
  await deployTrackingProcess();
  const citizen = await makeUser('citizen', null, { username: 'congdan.trinhduyet', fullName: 'Nguyễn Thị Lan' });
  dossier = await receivedDossier({ ownerUserId: citizen.id, phone: '0912 345 678' });
  await moveToHandle(dossier);
});
test.after.always(async () => {
  await b?.close();
});

test.serial('an anonymous visitor is refused with a wrong factor, then sees the status and expected date with the right one', async (t) => {
  const page = await b.newPage({ phone: true });
  await page.goto('/');
  await Promise.all([page.waitForURL('**/tra-cuu-ho-so'), page.click('[data-testid=tracking-link]')]);
  t.is(await page.textContent('h1'), 'Tra cứu hồ sơ');
  await page.getByLabel('Mã hồ sơ').fill(dossier.code!);
  await page.getByLabel('4 số cuối điện thoại, hoặc mã 6 số nhận qua thư điện tử').fill('1111');
  await page.getByRole('button', { name: 'Tra cứu', exact: true }).click();
  await page.waitForSelector('[data-testid=lookup-refusal]');
  t.regex((await page.textContent('[data-testid=lookup-refusal]'))!, /Không tìm thấy hồ sơ với mã và thông tin xác nhận này/);
  t.is(await page.locator('[data-testid=lookup-result]').count(), 0);
  t.is(await page.inputValue('#code'), dossier.code!, 'the code stays filled in');

  await page.getByLabel('4 số cuối điện thoại, hoặc mã 6 số nhận qua thư điện tử').fill('5678');
  await page.getByRole('button', { name: 'Tra cứu', exact: true }).click();
  await page.waitForSelector('[data-testid=lookup-result]');
  t.is(await page.textContent('[data-testid=result-status]'), 'Đang xử lý');
  t.is(await page.textContent('[data-testid=result-stage]'), 'Thẩm định, xử lý hồ sơ');
  t.is((await page.textContent('[data-testid=result-due]'))!.trim(), formatVn(dossier.dueAt));
  t.is(await page.locator('[data-testid=lookup-refusal]').count(), 0);
  t.false((await page.textContent('main'))!.includes('Nguyễn Thị Lan'), 'the applicant is not named');
  t.true(await noSideScroll(page), 'the lookup fits 360 px');
  await page.screenshot({ path: '/tmp/d3-lookup.png', fullPage: true });
  await page.context().close();
});

test.serial('the owner opens the dossier and sees the steps and the diagram with the current step highlighted', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'congdan.trinhduyet');
  await page.goto(`/dossiers/${dossier.id}`);
  t.is(await page.textContent('h1'), `Hồ sơ ${dossier.code}`);
  t.regex((await page.textContent('[data-testid=tracking-status]'))!, /Đang xử lý/);
  t.is(await page.textContent('[data-testid=tracking-unit]'), 'Phường Ba Đình');
  t.is(await page.textContent('[data-testid=tracking-officer]'), 'canbo.xuly');
  const rows = await page.locator('[data-testid=tracking-steps] tbody tr').allTextContents();
  t.is(rows.length, 2);
  t.regex(rows[0], /Tiếp nhận, kiểm tra hồ sơ/);
  t.regex(rows[1], /Thẩm định, xử lý hồ sơ[\s\S]*Đang xử lý[\s\S]*\/ 3 ngày làm việc/);
  const steps = await page.locator('[data-testid=process-steps] li').allTextContents();
  t.deepEqual(steps, ['Tiếp nhận hồ sơ — đã xong', 'Xử lý hồ sơ — đang xử lý', 'Phê duyệt — chưa tới']);
  await page.waitForSelector('#diagram[data-ready="true"]');
  t.is(await page.locator('.djs-element.gf-current[data-element-id="handle"]').count(), 1, 'the current step is highlighted');
  t.is(await page.locator('.djs-element.gf-current').count(), 1);
  t.is(await page.locator('.djs-element.gf-done[data-element-id="receive"]').count(), 1, 'the step done is marked');
  t.is(await page.locator('.djs-element.gf-done[data-element-id="approve"]').count(), 0);
  t.regex((await page.textContent('[data-testid=tracking-history]'))!, /Nộp hồ sơ/);
  await page.screenshot({ path: '/tmp/d3-dossier.png', fullPage: true });
  await page.context().close();
});

test.serial('the tracking page fits a phone', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'congdan.trinhduyet');
  await page.goto(`/dossiers/${dossier.id}`);
  await page.waitForSelector('#diagram[data-ready="true"]');
  t.regex((await page.textContent('[data-testid=tracking-steps]'))!, /Thẩm định, xử lý hồ sơ/);
  t.true(await noSideScroll(page), 'the dossier page fits 360 px');
  await page.screenshot({ path: '/tmp/d3-dossier-phone.png', fullPage: true });
  await page.context().close();
});

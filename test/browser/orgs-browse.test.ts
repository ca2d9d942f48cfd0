// The org tree screens in a real browser: browsing by +/− links, search, unit pages, org scope, and the import page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { getOrgByCode } from '../../src/orgs/service.ts';

let b: BrowserApp;
let adminName: string;
let officerName: string;
let tmpDir: string;
const MAIN_NAV = 'Điều hướng chính';

test.before(async () => {
  b = await startBrowserApp();
  adminName = (await makeUser('admin', null, { username: 'quantri.coso', fullName: 'Trần Văn Quản Trị' })).username;
  officerName = (await makeUser('officer', '01', { username: 'canbo.hanoi', fullName: 'Nguyễn Thị Cán Bộ' })).username;
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-orgs-'));
});

test.after.always(async () => {
  await b?.close();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

function noHorizontalScroll(page: Page) {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

test.serial('an admin opens the org tree from the navigation, folds and unfolds it with the +/− links, finds a commune by name and follows its breadcrumb', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/');
  const mainNav = page.getByRole('navigation', { name: MAIN_NAV });
  await Promise.all([page.waitForURL('/admin/orgs'), mainNav.getByRole('link', { name: 'Cơ cấu tổ chức' }).click()]);
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Cơ cấu tổ chức');

  const tree = page.getByTestId('org-tree');
  // The lone root opens by itself: provinces are listed, communes are not.
  const hanoi = tree.locator('li[data-org="01"]');
  t.true(await hanoi.isVisible());
  t.is(await tree.locator('li[data-org="00004"]').count(), 0);

  // Fold the root: the provinces disappear.
  const rootToggle = page.getByRole('link', { name: 'Thu gọn Chính phủ' });
  t.is(await rootToggle.textContent(), '−');
  t.is(await rootToggle.getAttribute('aria-expanded'), 'true');
  await Promise.all([page.waitForURL(/open=$/), rootToggle.click()]);
  t.is(await tree.locator('li[data-org="01"]').count(), 0);

  // Unfold the root, then Hà Nội: its communes appear under it.
  const openRoot = page.getByRole('link', { name: 'Mở Chính phủ' });
  t.is(await openRoot.textContent(), '+');
  t.is(await openRoot.getAttribute('aria-expanded'), 'false');
  await Promise.all([page.waitForURL(/open=\d+$/), openRoot.click()]);
  t.true(await hanoi.isVisible());
  await Promise.all([page.waitForURL(/open=\d+,\d+$/), page.getByRole('link', { name: 'Mở Thành phố Hà Nội' }).click()]);
  t.is(await page.getByRole('link', { name: 'Thu gọn Thành phố Hà Nội' }).getAttribute('aria-expanded'), 'true');
  t.true(await hanoi.locator('li[data-org="00004"]').getByRole('link', { name: 'Phường Ba Đình' }).isVisible());
  t.is(await tree.locator('li[data-org="25747"]').count(), 0, 'Hồ Chí Minh stays folded');

  // Search by name.
  await page.getByLabel('Tìm theo mã hoặc tên').fill('Phường Ba Đình');
  await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: 'Tìm kiếm' }).click()]);
  const results = page.getByTestId('org-results');
  const row = results.locator('tbody tr', { hasText: 'Phường Ba Đình' });
  t.is(await row.count(), 1);
  t.true((await row.textContent())!.includes('00004'));
  t.true((await row.textContent())!.includes('Xã, phường'));
  t.is(await results.locator('tbody tr', { hasText: 'Xã Ba Đình' }).count(), 0, 'the full name does not match Xã Ba Đình of another province');

  // Open the unit page and go back up through the breadcrumb.
  const commune = await getOrgByCode('00004');
  await Promise.all([page.waitForURL(`/admin/orgs/${commune.id}`), row.getByRole('link', { name: 'Phường Ba Đình' }).click()]);
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Phường Ba Đình');
  t.is(await page.getByTestId('org-code').textContent(), '00004');
  const crumbs = page.getByRole('navigation', { name: 'Vị trí trong cây' });
  t.deepEqual((await crumbs.getByRole('listitem').allTextContents()).map((s) => s.trim()), ['Cơ cấu tổ chức', 'Chính phủ', 'Thành phố Hà Nội', 'Phường Ba Đình']);
  t.is(await crumbs.locator('[aria-current="page"]').textContent(), 'Phường Ba Đình');
  const province = await getOrgByCode('01');
  await Promise.all([page.waitForURL(`/admin/orgs/${province.id}`), crumbs.getByRole('link', { name: 'Thành phố Hà Nội' }).click()]);
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Thành phố Hà Nội');
  t.true(await page.getByTestId('org-children').getByRole('link', { name: 'Phường Ba Đình' }).isVisible());

  await page.screenshot({ path: '/tmp/shot-orgs.png', fullPage: false });
  await page.context().close();
});

test.serial('an officer of Hà Nội cannot find a unit of Hồ Chí Minh, and its URL shows the 403 page in Vietnamese', async (t) => {
  const page = await b.newPage();
  await loginAs(page, officerName);
  await page.goto('/admin/orgs');
  await page.getByLabel('Tìm theo mã hoặc tên').fill('Phường Thủ Dầu Một');
  await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: 'Tìm kiếm' }).click()]);
  t.is(await page.getByRole('heading', { level: 2 }).first().textContent(), '0 kết quả cho "Phường Thủ Dầu Một"');
  t.true(await page.getByText('Không có đơn vị nào khớp.').isVisible());
  t.is(await page.getByTestId('org-results').count(), 0);

  // The same search finds a unit of the officer's own province, so the empty result is the scope at work.
  await page.getByLabel('Tìm theo mã hoặc tên').fill('Phường Ba Đình');
  await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: 'Tìm kiếm' }).click()]);
  t.true(await page.getByTestId('org-results').getByRole('link', { name: 'Phường Ba Đình' }).isVisible());

  const outside = await getOrgByCode('25747');
  const res = await page.goto(`/admin/orgs/${outside.id}`);
  t.is(res!.status(), 403);
  t.is(await page.getAttribute('html', 'lang'), 'vi');
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Không có quyền truy cập');
  t.is(await page.getByTestId('error-message').textContent(), 'Dữ liệu này thuộc đơn vị ngoài phạm vi quản lý của bạn.');
  t.false((await page.content()).includes('Phường Thủ Dầu Một'), 'nothing about the unit leaks');
  await page.context().close();
});

test.serial('an admin uploads a bad CSV and sees every problem with its line number, then imports a good one into a new tree', async (t) => {
  const bad = path.join(tmpDir, 'don-vi-loi.csv');
  fs.writeFileSync(bad, [
    'code,name,level,parent_code',
    'T90,Tỉnh Thử Nghiệm,province,',
    'T90,Tỉnh Thử Nghiệm Trùng,province,',
    'T90001,Xã Mồ Côi,commune,ZZ99',
    '',
  ].join('\n'));
  const good = path.join(tmpDir, 'don-vi-tot.csv');
  fs.writeFileSync(good, [
    'code,name,level,parent_code',
    'T90,Tỉnh Thử Nghiệm,province,',
    'T90001,Xã Thử Một,commune,T90',
    'T90002,Phường Thử Hai,commune,T90',
    '',
  ].join('\n'));

  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/admin/orgs');
  await Promise.all([page.waitForURL('/admin/orgs/import'), page.getByRole('link', { name: 'Nhập danh mục đơn vị' }).click()]);

  await page.getByLabel('Tệp CSV (UTF-8)').setInputFiles(bad);
  await page.getByLabel('Cây đơn vị').fill('thunghiem');
  await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.url().endsWith('/admin/orgs/import') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Nhập tệp' }).click()]);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.true((await alert.locator('p').first().textContent())!.startsWith('Tệp bị từ chối: có 2 lỗi.'));
  const problems = (await alert.getByRole('listitem').allTextContents()).map((s) => s.trim());
  t.is(problems.length, 2);
  t.true(problems.includes('Dòng 3: mã T90 bị trùng với dòng 2.'), problems.join(' | '));
  t.true(problems.some((p) => p.startsWith('Dòng 4: đơn vị T90001 thuộc đơn vị cha ZZ99')), problems.join(' | '));
  t.is(await page.getByLabel('Cây đơn vị').inputValue(), 'thunghiem', 'the tree name is kept');
  await t.throwsAsync(getOrgByCode('T90', 'thunghiem'), undefined, 'nothing was saved');

  await page.getByLabel('Tệp CSV (UTF-8)').setInputFiles(good);
  await page.getByLabel('Cây đơn vị').fill('thunghiem');
  await Promise.all([page.waitForURL(/\/admin\/orgs\/import\?tree=thunghiem&rows=3/), page.getByRole('button', { name: 'Nhập tệp' }).click()]);
  const done = page.getByTestId('import-result');
  t.regex((await done.textContent())!, /^Đã nhập 3 dòng vào cây "thunghiem": 3 tạo mới, 0 cập nhật, 0 không đổi \(\d+ ms\)\.$/);
  t.is(await page.getByRole('alert').count(), 0);

  // The new tree is offered in the browser, next to the current one.
  await page.goto('/admin/orgs');
  await page.getByLabel('Cây đơn vị').selectOption('thunghiem');
  await Promise.all([page.waitForURL(/tree=thunghiem/), page.getByRole('button', { name: 'Tìm kiếm' }).click()]);
  t.true(await page.getByTestId('org-tree').getByRole('link', { name: 'Tỉnh Thử Nghiệm', exact: true }).isVisible());
  t.is((await getOrgByCode('T90001', 'thunghiem')).name, 'Xã Thử Một');
  await page.context().close();
});

test.serial('the org browser and a unit page have no horizontal scrolling at 360 px', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, adminName);
  const hanoi = await getOrgByCode('01');
  const commune = await getOrgByCode('00004');
  for (const url of [`/admin/orgs?open=${(await getOrgByCode('VN')).id},${hanoi.id}`, `/admin/orgs?q=${encodeURIComponent('Phường')}`, `/admin/orgs/${hanoi.id}`, `/admin/orgs/${commune.id}`, '/admin/orgs/import']) {
    await page.goto(url);
    const { scrollWidth, innerWidth } = await noHorizontalScroll(page);
    t.is(innerWidth, 360);
    t.true(scrollWidth <= innerWidth, `${url}: page is ${scrollWidth} px wide`);
  }
  await page.goto(`/admin/orgs/${hanoi.id}`);
  await page.screenshot({ path: '/tmp/shot-orgs-phone.png', fullPage: false });
  await page.context().close();
});

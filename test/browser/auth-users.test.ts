// An admin manages users through the screens, on a desktop and on a phone.
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser, PASSWORD } from '../helpers/server.ts';
import { User } from '../../src/auth/models.ts';
import { AuditEntry } from '../../src/audit/models.ts';

let b: BrowserApp;
let adminName: string;

test.before(async () => {
  b = await startBrowserApp();
  adminName = (await makeUser('admin', null, { username: 'quantri', fullName: 'Nguyễn Văn Quản Trị Hệ Thống Trung Ương' })).username;
  // Long names and addresses are what break narrow layouts.
  await makeUser('officer', '01', { username: 'nguyen.thi.thanh.huong.so.ke.hoach.dau.tu', fullName: 'Nguyễn Thị Thanh Hương (Sở Kế hoạch và Đầu tư Thành phố Hà Nội)' });
  await makeUser('leader', '79', { username: 'lanhdao.tphcm', fullName: 'Lê Văn Lãnh Đạo' });
});

test.after.always(async () => {
  await b?.close();
});

async function hasNoHorizontalScroll(page: Page) {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

test.serial('an admin creates a user through the form and sees it in the list', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/admin/users');
  await Promise.all([page.waitForURL('/admin/users/new'), page.getByRole('link', { name: 'Thêm người dùng' }).click()]);
  await page.getByLabel('Tên đăng nhập').fill('pham.van.moi');
  await page.getByLabel('Họ và tên').fill('Phạm Văn Mới');
  await page.getByLabel('Thư điện tử').fill('pham.van.moi@hanoi.gov.vn');
  await page.getByLabel('Số điện thoại').fill('0243 825 1234');
  await page.getByLabel('Mã đơn vị').fill('01');
  await page.getByLabel('Vai trò').selectOption('leader');
  await page.getByLabel('Mật khẩu ban đầu').fill('KhoiTao2025abc');
  await Promise.all([page.waitForURL(/\/admin\/users\/\d+\?created=1/), page.getByRole('button', { name: 'Tạo người dùng' }).click()]);
  t.is(await page.textContent('.flash'), 'Đã tạo người dùng.');
  t.is(await page.textContent('h1'), 'Phạm Văn Mới');

  await page.goto('/admin/users');
  const row = page.locator('tbody tr', { hasText: 'pham.van.moi' });
  t.is(await row.count(), 1);
  t.true((await row.textContent())!.includes('Phạm Văn Mới'));
  t.true((await row.textContent())!.includes('Lãnh đạo'));

  const user = await User.findOne({ where: { username: 'pham.van.moi' } });
  t.truthy(user);
  t.truthy(await AuditEntry.findOne({ where: { action: 'user.create', targetId: String(user!.id) } }));
  await page.context().close();
});

test.serial('a mistake on the form is shown next to the kept values', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/admin/users/new');
  await page.getByLabel('Tên đăng nhập').fill('yeu.matkhau');
  await page.getByLabel('Họ và tên').fill('Mật Khẩu Yếu');
  await page.getByLabel('Mã đơn vị').fill('01');
  await page.getByLabel('Mật khẩu ban đầu').fill('ngan1');
  await page.getByRole('button', { name: 'Tạo người dùng' }).click();
  await page.waitForSelector('[data-testid="form-errors"]');
  t.is((await page.textContent('[data-testid="form-errors"]'))!.trim(), 'Mật khẩu phải có ít nhất 10 ký tự.');
  t.is(await page.inputValue('#fullName'), 'Mật Khẩu Yếu');
  t.is(await page.inputValue('#password'), '');
  await page.context().close();
});

test.serial('the users page has no horizontal scrolling at 360 px', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, adminName, PASSWORD);
  const someone = await User.findOne({ where: { username: 'nguyen.thi.thanh.huong.so.ke.hoach.dau.tu' } });
  for (const url of ['/admin/users', '/admin/users/new', `/admin/users/${someone!.id}`, '/']) {
    await page.goto(url);
    const { scrollWidth, innerWidth } = await hasNoHorizontalScroll(page);
    t.true(scrollWidth <= innerWidth, `${url}: page is ${scrollWidth} px wide`);
  }
  await page.goto('/admin/users');
  await page.screenshot({ path: '/tmp/shot-users-phone.png', fullPage: true });
  await page.goto(`/admin/users/${someone!.id}`);
  await page.screenshot({ path: '/tmp/shot-user-phone.png', fullPage: true });
  await page.goto('/');
  await page.screenshot({ path: '/tmp/shot-home-admin-phone.png', fullPage: true });
  await page.context().close();
});

test.serial('the users page on a desktop', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/admin/users');
  const { scrollWidth, innerWidth } = await hasNoHorizontalScroll(page);
  t.true(scrollWidth <= innerWidth);
  await page.screenshot({ path: '/tmp/shot-users-desktop.png', fullPage: true });
  await page.context().close();
});

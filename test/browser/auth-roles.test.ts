// Each demo account logs in through the login page and sees the navigation of its role.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { seedDemo, DEMO_USERS } from '../../src/seed.ts';
import { User } from '../../src/auth/models.ts';
import { loadViewer } from '../../src/auth/service.ts';
import { navFor } from '../../src/web/nav.ts';
import { t as tr } from '../../src/i18n/index.ts';

let b: BrowserApp;

test.before(async () => {
  b = await startBrowserApp({ orgs: false });
  await seedDemo();
});

test.after.always(async () => {
  await b?.close();
});

for (const demo of DEMO_USERS) {
  test.serial(`the demo ${demo.role} (${demo.username}) logs in and sees the ${demo.role} navigation`, async (t) => {
    const page = await b.newPage();
    await loginAs(page, demo.username, demo.password);
    t.is(new URL(page.url()).pathname, '/');
    t.is(await page.textContent('[data-testid="user-name"]'), demo.fullName);
    t.true((await page.textContent('[data-testid="user-roles"]'))!.includes(tr('vi', `roles.${demo.role}`)));

    const links = await page.locator('nav.mainnav a').allTextContents();
    const viewer = await loadViewer((await User.findOne({ where: { username: demo.username } }))!);
    t.deepEqual(links, navFor(viewer).map((i) => tr('vi', i.label)), 'the menu is exactly what the role may use');
    if (demo.role === 'admin') {
      t.true(links.includes('Người dùng'));
      await Promise.all([page.waitForURL('/admin/users'), page.getByRole('link', { name: 'Người dùng', exact: true }).first().click()]);
      t.is(await page.textContent('h1'), 'Quản lý người dùng');
      t.is(await page.getAttribute('nav.mainnav a[href="/admin/users"]', 'aria-current'), 'page');
    } else {
      t.false(links.includes('Người dùng'));
      const res = await page.goto('/admin/users');
      t.is(res!.status(), 403, 'typing the address does not help either');
    }

    await Promise.all([page.waitForURL('/'), page.getByRole('button', { name: 'Đăng xuất' }).click()]);
    t.is(await page.locator('[data-testid="user-name"]').count(), 0);
    t.is(await page.locator('nav.mainnav').count(), 0, 'a visitor has no menu');
    await page.context().close();
  });
}

test.serial('a wrong password shows the message on the login page', async (t) => {
  const page = await b.newPage();
  await page.goto('/login');
  await page.fill('#username', 'admin');
  await page.fill('#password', 'SaiMatKhau123');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForSelector('[data-testid="login-error"]');
  t.is(await page.textContent('[data-testid="login-error"]'), 'Tên đăng nhập hoặc mật khẩu không đúng.');
  t.is(await page.inputValue('#username'), 'admin', 'the username is kept');
  await page.context().close();
});

test.serial('a visitor sent to the login page returns to the page they wanted', async (t) => {
  const page = await b.newPage();
  await page.goto('/admin/users?q=canbo');
  t.is(new URL(page.url()).pathname, '/login');
  await page.fill('#username', 'admin');
  await page.fill('#password', 'GovflowDemo2025');
  await Promise.all([page.waitForURL(/\/admin\/users/), page.click('form[action="/login"] button[type=submit]')]);
  t.is(new URL(page.url()).search, '?q=canbo');
  t.true((await page.locator('table').textContent())!.includes('canbo.hanoi'));
  await page.context().close();
});

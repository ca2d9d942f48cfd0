// An admin reads the audit log in a real browser: filter by action, times in Vietnam time, the chain check, English labels.
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { User } from '../../src/auth/models.ts';
import { AuditEntry } from '../../src/audit/models.ts';

let b: BrowserApp;
let adminName: string;
const MAIN_NAV = 'Điều hướng chính';

test.before(async () => {
  b = await startBrowserApp({ orgs: true });
  adminName = (await makeUser('admin', null, { username: 'quantri.nhatky', fullName: 'Lê Thị Kiểm Soát' })).username;
});

test.after.always(async () => {
  await b?.close();
});

/** `dd/mm/yyyy HH:MM` at UTC+7, computed here rather than with the app's own formatter. */
function vietnamTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const v = new Date(d.getTime() + 7 * 3600 * 1000);
  return `${p(v.getUTCDate())}/${p(v.getUTCMonth() + 1)}/${v.getUTCFullYear()} ${p(v.getUTCHours())}:${p(v.getUTCMinutes())}`;
}

/** How many lines an element's text takes on screen (run in the page; no named inner functions, which the test build would wrap). */
const linesOf = (el: Element) => {
  const r = document.createRange();
  r.selectNodeContents(el);
  return new Set(Array.from(r.getClientRects(), (b) => Math.round(b.top))).size;
};

async function createUserThroughForm(page: Page) {
  await page.goto('/admin/users/new');
  await page.getByLabel('Tên đăng nhập').fill('tran.van.nhatky');
  await page.getByLabel('Họ và tên').fill('Trần Văn Nhật Ký');
  await page.getByLabel('Thư điện tử').fill('tran.van.nhatky@hanoi.gov.vn');
  await page.getByLabel('Mã đơn vị').fill('01');
  await page.getByLabel('Vai trò').selectOption('officer');
  await page.getByLabel('Mật khẩu ban đầu').fill('KhoiTao2025xyz');
  await Promise.all([page.waitForURL(/\/admin\/users\/\d+\?created=1/), page.getByRole('button', { name: 'Tạo người dùng' }).click()]);
}

test.serial('an admin finds the user.create entry of a user made on the form, in Vietnam time, checks the chain and reads the log in English', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  await createUserThroughForm(page);
  const created = await User.findOne({ where: { username: 'tran.van.nhatky' } });
  const entry = await AuditEntry.findOne({ where: { action: 'user.create', targetId: String(created!.id) } });
  t.truthy(entry, 'the form wrote an audit entry');

  await Promise.all([page.waitForURL('/admin/audit'), page.getByRole('navigation', { name: MAIN_NAV }).getByRole('link', { name: 'Nhật ký hệ thống' }).click()]);
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Nhật ký hệ thống');
  // Before filtering the login of the admin is listed too.
  t.true(await page.getByTestId('audit-rows').locator('tbody tr').count() > 1);

  await page.getByLabel('Hành động').fill('user.create');
  await Promise.all([page.waitForURL(/action=user\.create/), page.getByRole('button', { name: 'Tìm kiếm' }).click()]);
  const rows = page.getByTestId('audit-rows').locator('tbody tr');
  const actions = await rows.locator('td[data-label="Hành động"]').allTextContents();
  t.true(actions.length >= 1);
  t.true(actions.every((a) => a.trim().startsWith('user.create')), actions.join(', '));
  const row = rows.filter({ hasText: `user:${created!.id}` });
  t.is(await row.count(), 1);
  t.is((await row.getAttribute('data-seq')), String(entry!.seq));
  t.is((await row.locator('td[data-label="Người thực hiện"]').textContent())!.trim(), adminName);
  t.true((await row.locator('td[data-label="Chi tiết"]').textContent())!.includes('"username":"tran.van.nhatky"'));
  const time = row.locator('td[data-label="Thời gian"] time');
  t.is(await time.textContent(), vietnamTime(entry!.at));
  t.regex((await time.getAttribute('datetime'))!, /\+07:00$/);
  t.true((await page.getByText('Ngày tính theo giờ Việt Nam (UTC+7).').count()) === 1);
  // Neither a one-word header nor a time is split across lines on a desktop.
  const table = page.getByTestId('audit-rows');
  const lineCounts = {
    seq: await table.locator('thead th').first().evaluate(linesOf),
    time: await time.evaluate(linesOf),
  };
  t.deepEqual(lineCounts, { seq: 1, time: 1 });
  await page.screenshot({ path: '/tmp/shot-audit.png', fullPage: true });

  // The chain check.
  await Promise.all([page.waitForURL((u) => u.pathname === '/admin/audit/verify'), page.getByRole('button', { name: 'Kiểm tra chuỗi băm' }).click()]);
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Kiểm tra tính toàn vẹn của nhật ký');
  const result = page.getByTestId('verify-result');
  t.is(await result.getAttribute('data-ok'), 'true');
  t.is(await result.getAttribute('role'), 'status');
  const total = await AuditEntry.count();
  t.regex((await result.textContent())!, new RegExp(`^Nhật ký nguyên vẹn: đã kiểm tra ${total} bản ghi \\(\\d+ ms\\)\\.$`));

  // Back to the filtered list, then English.
  await page.goBack();
  await page.waitForURL(/action=user\.create/);
  await Promise.all([page.waitForURL(/\/admin\/audit\?.*action=user\.create/), page.getByRole('button', { name: 'Switch to English' }).click()]);
  await page.waitForSelector('html[lang="en"]', { state: 'attached' });
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Audit log');
  t.is(await page.getByLabel('Action').inputValue(), 'user.create', 'the filter survives the switch');
  t.truthy(await page.getByLabel('Actor').count());
  t.truthy(await page.getByLabel('From date').count());
  t.deepEqual((await page.getByTestId('audit-rows').locator('thead th').allTextContents()).map((s) => s.trim()), ['No.', 'Time', 'Actor', 'Unit code', 'Action', 'Target', 'IP address', 'Detail']);
  t.true(await page.getByRole('button', { name: 'Verify the hash chain' }).isVisible());
  t.true(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audit log' }).isVisible());
  t.is(await page.getByText('Nhật ký hệ thống').count(), 0);

  await Promise.all([page.waitForURL((u) => u.pathname === '/admin/audit/verify'), page.getByRole('button', { name: 'Verify the hash chain' }).click()]);
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Audit log integrity check');
  t.regex((await page.getByTestId('verify-result').textContent())!, /^The log is intact: \d+ entries checked \(\d+ ms\)\.$/);
  await page.context().close();
});

test.serial('the audit log has no horizontal scrolling at 360 px', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, adminName);
  for (const url of ['/admin/audit', '/admin/audit?action=user.create', '/admin/audit/verify']) {
    await page.goto(url);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    t.true(scrollWidth <= innerWidth, `${url}: page is ${scrollWidth} px wide`);
  }
  await page.goto('/admin/audit');
  await page.screenshot({ path: '/tmp/shot-audit-phone.png', fullPage: true });
  await page.context().close();
});

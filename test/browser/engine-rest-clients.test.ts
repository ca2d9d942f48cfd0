// An admin issues an API client on /admin/api-clients in a real browser, sees its secret once, a worker
// uses it, and the admin revokes it; the page passes the shared accessibility checks and fits 360 px.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
import { makeUser } from '../helpers/server.ts';

let b: BrowserApp;
let adminName: string;

test.before(async () => {
  b = await startBrowserApp({ orgs: false });
  adminName = (await makeUser('admin', null, { username: 'quantri.khoaapi' })).username;
});
test.after.always(async () => b?.close());

const fetchAs = (id: string, secret: string) => fetch(`${b.baseUrl}/engine-rest/external-task/fetchAndLock`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
  body: JSON.stringify({ workerId: 'w', maxTasks: 1, topics: [{ topicName: 'dossier-sync', lockDuration: 1000 }] }),
});

test.serial('an admin issues a client, sees the secret once, and revokes it; the worker is refused afterwards', async (t) => {
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/');
  await Promise.all([page.waitForURL(/\/admin\/api-clients$/), page.getByRole('navigation', { name: 'Điều hướng chính' }).getByRole('link', { name: 'Khóa API' }).click()]);
  t.is(await page.getByRole('heading', { level: 1 }).textContent(), 'Khóa API cho hệ thống ngoài');
  t.is(await page.getByTestId('clients-empty').textContent(), 'Chưa có khóa API nào.');
  await page.getByLabel('Tên hệ thống').fill('Cổng dịch vụ công quốc gia');
  await page.getByLabel('Chủ đề (topic), cách nhau bằng dấu phẩy').fill('dossier-sync, dossier-status');
  await page.getByRole('button', { name: 'Cấp khóa mới' }).click();
  const issued = page.getByTestId('issued');
  await issued.waitFor();
  t.is(await issued.getByRole('heading').textContent(), 'Đã cấp khóa cho Cổng dịch vụ công quốc gia');
  const id = (await page.getByTestId('issued-id').textContent())!;
  const secret = (await page.getByTestId('issued-secret').textContent())!;
  t.regex(id, /^gfc_[0-9a-f]{16}$/);
  t.true(secret.length >= 40);
  const row = page.locator(`tr[data-client="${id}"]`);
  t.regex((await row.textContent())!, /dossier-sync, dossier-status/);
  t.is(await row.locator('.badge').textContent(), 'Đang dùng');
  t.is((await fetchAs(id, secret)).status, 200);

  // Reloaded, the list no longer shows the secret; the last use is there.
  await page.goto('/admin/api-clients');
  t.false((await page.content()).includes(secret));
  t.is(await page.getByTestId('issued').count(), 0);
  await checkPageA11y(t, page, '/admin/api-clients');
  await Promise.all([page.waitForURL(/revoked=/), page.getByRole('button', { name: `Thu hồi khóa ${id} (Cổng dịch vụ công quốc gia)` }).click()]);
  t.is(await page.getByTestId('revoked-notice').textContent(), `Đã thu hồi khóa ${id}. Mọi yêu cầu dùng khóa này bị từ chối ngay.`);
  t.is(await page.locator(`tr[data-client="${id}"] .badge`).textContent(), 'Đã thu hồi');
  t.is(await page.locator(`tr[data-client="${id}"] button`).count(), 0);
  t.is((await fetchAs(id, secret)).status, 401);
});

test.serial('the page fits a 360 px phone screen without sideways scrolling', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, adminName);
  await page.goto('/admin/api-clients');
  await page.getByLabel('Tên hệ thống').fill('Hệ thống thuế');
  await page.getByLabel('Mã quy trình được khởi động, cách nhau bằng dấu phẩy').fill('Process_tax');
  await page.getByRole('button', { name: 'Cấp khóa mới' }).click();
  await page.getByTestId('issued').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.true(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: '/tmp/govflow-api-clients-360.png', fullPage: true });
});

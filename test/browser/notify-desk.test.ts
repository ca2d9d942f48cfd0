// An admin resends a failed e-mail from the failed-message desk in a real browser, and the page shows
// it delivered; the desk works at phone width (360 px); an officer sees the bell's count.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { startSmtp, type TestSmtp } from '../helpers/notify-smtp.ts';
import { queueMessage } from '../../src/notify/service.ts';
import { NotifyMessage } from '../../src/notify/models.ts';

let b: BrowserApp;
let smtp: TestSmtp;
let adminName: string;

test.before(async () => {
  smtp = await startSmtp();
  b = await startBrowserApp({ orgs: true, env: { SMTP_URL: smtp.url, NOTIFY_RETRY_MS: '3600000', NOTIFY_ALERT_FAILED: '0' } });
  adminName = (await makeUser('admin', null, { username: 'quantri.tinnhan' })).username;
});

test.after.always(async () => {
  await b?.close();
  await smtp?.stop();
});

async function failedMessage(): Promise<number> {
  smtp.refuse = (to) => (to === 'van.thu@so-tc.gov.vn' ? 421 : null);
  const m = await queueMessage({ channel: 'email', event: 'approved', to: 'van.thu@so-tc.gov.vn', senderOrgCode: '01', recipientOrgCode: '00004', data: { title: 'Báo cáo tháng 11', recipientName: 'Văn thư' } });
  const end = Date.now() + 20000;
  while ((await NotifyMessage.findByPk(m.id))!.status !== 'temporary-failure' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  smtp.refuse = () => null;
  return m.id;
}

test.serial('an admin resends a failed message and the desk shows it delivered', async (t) => {
  const id = await failedMessage();
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/admin/notify');
  const row = page.locator(`tr[data-id="${id}"]`);
  await t.notThrowsAsync(row.waitFor());
  t.is(await row.getByTestId(`status-${id}`).textContent(), 'Lỗi tạm thời');
  await row.locator('summary').click();
  t.regex(await row.locator('.tries').textContent() ?? '', /421/);
  await page.getByLabel(`Chọn tin nhắn số ${id}`).check();
  await Promise.all([page.waitForURL(/resent=1/), page.getByRole('button', { name: 'Gửi lại các tin nhắn đã chọn' }).click()]);
  t.is(await page.getByRole('status').textContent(), 'Đã gửi lại 1 tin nhắn.');
  t.is(await page.getByTestId(`status-${id}`).textContent(), 'Đã gửi tới');
  t.is(smtp.received.filter((r) => r.govflowId === String(id)).length, 1);
});

test.serial('the desk fits a 360 px phone screen without sideways scrolling', async (t) => {
  const id = await failedMessage();
  const page = await b.newPage({ phone: true });
  await loginAs(page, adminName);
  await page.goto('/admin/notify');
  await page.locator(`tr[data-id="${id}"]`).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.true(overflow <= 0, `page is ${overflow}px wider than the screen`);
});

test.serial('an officer sees the unread count on the bell and reads the notification', async (t) => {
  const officer = await makeUser('officer', '01', { username: 'canbo.chuong' });
  await queueMessage({ channel: 'inapp', event: 'returned-for-revision', to: String(officer.id), recipientUserId: officer.id, data: { title: 'Báo cáo quý III', comment: 'Thiếu số liệu' } });
  const page = await b.newPage();
  await loginAs(page, officer.username);
  const bell = page.getByTestId('bell');
  t.is(await bell.getAttribute('aria-label'), 'Thông báo: 1 chưa đọc');
  await Promise.all([page.waitForURL(/\/notifications$/), bell.click()]);
  t.true((await page.getByTestId('notify-inbox').textContent())!.includes('Cần sửa lại: Báo cáo quý III'));
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Đánh dấu tất cả là đã đọc' }).click()]);
  await page.waitForURL(/\/notifications$/);
  t.is(await page.getByTestId('bell').getAttribute('aria-label'), 'Thông báo: 0 chưa đọc');
});

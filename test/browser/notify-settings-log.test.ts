// A user turns SMS on and off on /notifications/settings (on a phone) and the page shows it saved; an admin
// filters the message log on /admin/notify/log and sees only the matching rows.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { getChannels, queueMessage } from '../../src/notify/service.ts';

let b: BrowserApp;
let adminName: string;

test.before(async () => {
  // No SMTP or SMS gateway: the log shows the messages as they were queued.
  b = await startBrowserApp({ orgs: true, env: { NOTIFY_RETRY_MS: '3600000', NOTIFY_ALERT_FAILED: '0' } });
  adminName = (await makeUser('admin', null, { username: 'quantri.nhatky' })).username;
});

test.after.always(async () => {
  await b?.close();
});

test.serial('on a phone a user turns SMS on, then off, and the page shows each choice saved', async (t) => {
  const user = await makeUser('officer', '01', { username: 'canbo.sms', fullName: 'Trần Văn Bình' });
  const page = await b.newPage({ phone: true });
  await loginAs(page, user.username);
  await page.goto('/notifications/settings');
  const sms = page.getByLabel('Tin nhắn SMS');
  // By default a user gets e-mail and in-app messages, not SMS.
  t.false(await sms.isChecked());
  t.true(await page.getByLabel('Thư điện tử').isChecked());
  await sms.check();
  await Promise.all([page.waitForURL('**/notifications/settings?saved=1'), page.getByRole('button', { name: 'Lưu', exact: true }).click()]);
  t.is((await page.locator('.flash').textContent())?.trim(), 'Đã lưu cách nhận thông báo.');
  t.true(await page.getByLabel('Tin nhắn SMS').isChecked());
  t.true((await getChannels(user.id)).includes('sms'));

  await page.getByLabel('Tin nhắn SMS').uncheck();
  await Promise.all([page.waitForURL('**/notifications/settings?saved=1'), page.getByRole('button', { name: 'Lưu', exact: true }).click()]);
  t.is((await page.locator('.flash').textContent())?.trim(), 'Đã lưu cách nhận thông báo.');
  t.false(await page.getByLabel('Tin nhắn SMS').isChecked());
  // The other channels stay as they were, and a fresh visit shows the same choice.
  await page.goto('/notifications/settings');
  t.false(await page.getByLabel('Tin nhắn SMS').isChecked());
  t.is(await page.locator('.flash').count(), 0);
  t.false((await getChannels(user.id)).includes('sms'));
  t.true(await page.getByLabel('Thư điện tử').isChecked());
  t.deepEqual(await getChannels(user.id), ['email', 'inapp']);
  await page.context().close();
});

test.serial('an admin filters the message log by channel and event and sees only the matching rows', async (t) => {
  const data = { title: 'Báo cáo tháng 11', recipientName: 'Văn thư' };
  const mail = await queueMessage({ channel: 'email', event: 'approved', to: 'van.thu@so-tc.gov.vn', senderOrgCode: '01', recipientOrgCode: '00004', data });
  const smsLate = await queueMessage({ channel: 'sms', event: 'overdue', to: '0912345678', senderOrgCode: '01', recipientOrgCode: '00004', data });
  const smsOk = await queueMessage({ channel: 'sms', event: 'approved', to: '0987654321', senderOrgCode: '01', recipientOrgCode: '00004', data });
  const page = await b.newPage();
  await loginAs(page, adminName);
  await page.goto('/admin/notify/log');
  const ids = async () => (await page.locator('[data-testid="notify-rows"] tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))))).sort((x, y) => x - y);
  t.deepEqual(await ids(), [mail.id, smsLate.id, smsOk.id].sort((x, y) => x - y));

  await page.getByLabel('Kênh').selectOption({ label: 'Tin nhắn SMS' });
  await Promise.all([page.waitForURL('**/admin/notify/log?**channel=sms**'), page.getByRole('button', { name: 'Tìm kiếm', exact: true }).click()]);
  t.deepEqual(await ids(), [smsLate.id, smsOk.id].sort((x, y) => x - y));
  t.regex(await page.locator('[data-testid="notify-rows"] caption').textContent() ?? '', /Tổng số: 2/);
  t.deepEqual([...new Set(await page.locator('[data-testid="notify-rows"] tbody td[data-label="Kênh"]').allTextContents())], ['Tin nhắn SMS']);

  await page.getByLabel('Sự kiện').selectOption({ label: 'Quá hạn' });
  await Promise.all([page.waitForURL('**event=overdue**'), page.getByRole('button', { name: 'Tìm kiếm', exact: true }).click()]);
  t.deepEqual(await ids(), [smsLate.id]);
  t.regex(await page.locator(`tr[data-id="${smsLate.id}"]`).textContent() ?? '', /0912345678/);
  // The filters stay filled in, so the admin sees what the list shows.
  t.is(await page.getByLabel('Kênh').inputValue(), 'sms');
  t.is(await page.getByLabel('Sự kiện').inputValue(), 'overdue');
  await page.context().close();
});

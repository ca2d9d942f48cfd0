// The administrator enters the Government's yearly decision on the calendar page, on a phone.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { dueDate } from '../../src/calendar/service.ts';
import { toVnIso } from '../../src/time.ts';

let b: BrowserApp;

test.before(async () => {
  b = await startBrowserApp({ orgs: false });
});

test.after.always(async () => {
  await b?.close();
});

test.serial('an admin adds a compensating Saturday and removes it again; due dates follow, and the page fits 360 px', async (t) => {
  const admin = await makeUser('admin');
  const page = await b.newPage({ phone: true });
  await loginAs(page, admin.username);
  await page.goto('/admin/calendar?year=2027');
  t.is(await page.textContent('h1'), 'Lịch làm việc năm 2027');
  const rows = page.locator('[data-testid=calendar-days] tbody tr');
  t.regex((await rows.filter({ hasText: '2027-02-10' }).textContent())!, /Nghỉ bù Tết Nguyên đán/);

  await page.getByLabel('Từ ngày').fill('2027-02-20');
  await page.getByLabel('Loại').selectOption('workday');
  await page.getByLabel('Tên').fill('Làm bù cho ngày 11/02/2027');
  await Promise.all([page.waitForURL(/saved=1/), page.getByRole('button', { name: 'Thêm' }).click()]);
  t.is(await page.textContent('.flash'), 'Đã lưu.');
  const added = rows.filter({ hasText: 'Làm bù cho ngày 11/02/2027' });
  t.regex((await added.textContent())!, /Làm việc/);
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll at 360 px');
  t.is(toVnIso((await dueDate(new Date('2027-02-19T10:00:00+07:00'), 1)).due), '2027-02-20T17:00:00+07:00');

  await Promise.all([page.waitForURL(/removed=2027-02-20/), added.getByRole('button', { name: 'Xóa mục ngày 2027-02-20' }).click()]);
  t.is(await rows.filter({ hasText: 'Làm bù cho ngày 11/02/2027' }).count(), 0);
  t.is(toVnIso((await dueDate(new Date('2027-02-19T10:00:00+07:00'), 1)).due), '2027-02-22T17:00:00+07:00');
  await page.context().close();
});

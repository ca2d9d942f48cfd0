// A citizen on a phone finds a procedure from the home page: types without diacritics, filters, opens it and reads
// what to bring, what it costs and how long it takes.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
import { seedProcedures } from '../../src/catalog/service.ts';

let b: BrowserApp;

test.before(async () => {
  b = await startBrowserApp({ orgs: false });
  await seedProcedures();
});

test.after.always(async () => {
  await b?.close();
});

const noSideScroll = (page: import('playwright-core').Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test.serial('a citizen searches without diacritics, filters, opens the procedure and sees documents, fees and time at 360 px', async (t) => {
  const citizen = await makeUser('citizen');
  const page = await b.newPage({ phone: true });
  await loginAs(page, citizen.username);
  await page.goto('/');
  await Promise.all([page.waitForURL('**/thu-tuc'), page.getByRole('link', { name: 'Thủ tục hành chính' }).first().click()]);
  t.is(await page.textContent('h1'), 'Thủ tục hành chính');

  await page.getByLabel('Bạn cần làm gì?').fill('dang ky thuong tru');
  await Promise.all([page.waitForURL(/q=dang/), page.getByRole('button', { name: 'Tìm', exact: true }).click()]);
  const first = page.locator('[data-testid=results] li').first();
  t.is(await first.locator('h2').textContent(), 'Đăng ký thường trú');

  // The broader word finds several; the level filter with its count narrows them to the commune ones.
  await page.getByLabel('Bạn cần làm gì?').fill('dang ky');
  await Promise.all([page.waitForURL(/q=dang\+ky$/), page.getByRole('button', { name: 'Tìm', exact: true }).click()]);
  const before = await page.locator('[data-testid=results] li').count();
  const option = page.locator('#f-level option', { hasText: 'Cấp Xã' });
  const label = (await option.textContent())!;
  const count = Number(/\((\d+)\)/.exec(label)![1]);
  await page.selectOption('#f-level', 'Cấp Xã');
  await page.selectOption('#f-online', 'full');
  await Promise.all([page.waitForURL(/level=/), page.getByRole('button', { name: 'Lọc', exact: true }).click()]);
  const shown = await page.locator('[data-testid=results] li').count();
  t.true(shown <= count && shown <= before, `${shown} of ${count} commune procedures, ${before} before`);
  const names = await page.locator('[data-testid=results] li h2').allTextContents();
  t.true(names.includes('Đăng ký khai sinh'), names.join('; '));
  t.true(await noSideScroll(page), 'the results fit 360 px');

  await Promise.all([page.waitForURL('**/thu-tuc/1.001193'), page.getByRole('link', { name: 'Đăng ký khai sinh', exact: true }).click()]);
  t.is(await page.textContent('h1'), 'Đăng ký khai sinh');
  t.regex((await page.textContent('[data-testid=time]'))!, /^\s*Ngay trong ngày tiếp nhận hồ sơ/);
  t.regex((await page.textContent('[data-testid=time]'))!, /sau 15 giờ/);
  t.regex((await page.textContent('[data-testid=fee]'))!, /Miễn phí/);
  const docs = await page.locator('[data-testid=documents] li').allTextContents();
  t.deepEqual(docs, ['Tờ khai đăng ký khai sinh theo mẫu', 'Giấy chứng sinh hoặc giấy tờ thay thế Giấy chứng sinh', 'Giấy tờ tùy thân của người đi đăng ký khai sinh (xuất trình)']);
  t.regex((await page.textContent('main'))!, /Luật Hộ tịch số 60\/2014\/QH13/);
  t.regex((await page.textContent('main'))!, /Ủy ban nhân dân cấp xã/);
  const start = page.getByRole('link', { name: 'Nộp hồ sơ trực tuyến' });
  t.is(await start.getAttribute('href'), '/dossiers/new?procedure=1.001193');
  t.true(await noSideScroll(page), 'the procedure page fits 360 px');
  await page.context().close();
});

test.serial('a visitor reaches the catalog from the home page and the pages pass the accessibility checks', async (t) => {
  const page = await b.newPage();
  await page.goto('/');
  await Promise.all([page.waitForURL('**/thu-tuc'), page.click('[data-testid=catalog-link]')]);
  t.regex((await page.textContent('[data-testid=result-count]'))!, /213 thủ tục/);
  await checkPageA11y(t, page, '/thu-tuc?q=khai+sinh');
  await checkPageA11y(t, page, '/thu-tuc/1.004222');
  await page.context().close();
});

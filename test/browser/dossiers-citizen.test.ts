// A citizen on a phone files a birth registration online: finds it without diacritics, starts, picks the ward,
// fills the declaration, attaches a PDF, saves a draft, submits, reads the confirmation and the receipt, and finds
// the dossier in "Hồ sơ của tôi".
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { seedProcedures } from '../../src/catalog/service.ts';

let b: BrowserApp;
let tmp: string;

test.before(async () => {
  b = await startBrowserApp();
  await seedProcedures();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-dossier-browser-'));
});

test.after.always(async () => {
  await b?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const noSideScroll = (page: import('playwright-core').Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test.serial('a citizen finds the birth registration, fills it, attaches a PDF, saves a draft, submits and gets the code, the due date and the receipt', async (t) => {
  const citizen = await makeUser('citizen', null, { fullName: 'Nguyễn Thị Mai' });
  const page = await b.newPage({ phone: true });
  await loginAs(page, citizen.username);

  await page.goto('/thu-tuc');
  await page.getByLabel('Bạn cần làm gì?').fill('dang ky khai sinh');
  await Promise.all([page.waitForURL(/q=dang/), page.getByRole('button', { name: 'Tìm', exact: true }).click()]);
  await Promise.all([page.waitForURL('**/thu-tuc/1.001193'), page.getByRole('link', { name: 'Đăng ký khai sinh', exact: true }).click()]);
  t.is(await page.textContent('h1'), 'Đăng ký khai sinh');
  await Promise.all([page.waitForURL(/\/dossiers\/new\?procedure=1\.001193/), page.getByRole('link', { name: 'Nộp hồ sơ trực tuyến' }).click()]);
  t.is(await page.textContent('h1'), 'Nộp hồ sơ: Đăng ký khai sinh');

  // The ward is found without diacritics.
  await page.getByLabel('Tìm xã, phường hoặc tỉnh, thành phố').fill('ba dinh');
  await Promise.all([page.waitForURL(/q=ba/), page.getByRole('button', { name: 'Tìm', exact: true }).click()]);
  await page.getByLabel('Phường Ba Đình, Thành phố Hà Nội').check();
  await Promise.all([page.waitForURL(/\/dossiers\/\d+\/edit$/), page.getByRole('button', { name: 'Lập hồ sơ' }).click()]);
  t.is(await page.textContent('h1'), 'Hồ sơ: Đăng ký khai sinh');
  t.is(await page.textContent('[data-testid=unit-name]'), 'Phường Ba Đình');
  t.true(await noSideScroll(page), 'the dossier page fits 360 px');

  // Submitting the empty declaration lists what is missing.
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Nộp hồ sơ' }).click()]);
  const errors = (await page.textContent('[data-testid=form-errors]'))!;
  t.regex(errors, /Chưa nộp được hồ sơ/);
  t.regex(errors, /Chưa đính kèm: Giấy chứng sinh hoặc giấy tờ thay thế Giấy chứng sinh/);

  const fill: Array<[string, string]> = [
    ['Họ, chữ đệm, tên người yêu cầu *', 'Nguyễn Thị Mai'], ['Số định danh cá nhân *', '001190012345'], ['Số điện thoại liên hệ *', '0912345678'],
    ['Họ, chữ đệm, tên *', 'Nguyễn Minh An'], ['Nơi sinh *', 'Bệnh viện Phụ sản Hà Nội'], ['Dân tộc *', 'Kinh'], ['Quốc tịch *', 'Việt Nam'],
  ];
  for (const [label, value] of fill) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByLabel('Ngày, tháng, năm sinh *').fill('2026-11-20');
  await page.getByLabel('Giới tính *').selectOption('nam');
  const pdf = path.join(tmp, 'giay-chung-sinh.pdf');
  fs.writeFileSync(pdf, '%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n');
  await page.locator('#doc-giay-chung-sinh-hoac-giay-to-thay-the-giay-chung-sinh input[type=file]').setInputFiles(pdf);
  await Promise.all([page.waitForURL(/edit\?saved=1/), page.getByRole('button', { name: 'Lưu nháp' }).click()]);
  t.regex((await page.textContent('.flash'))!, /Đã lưu nháp/);
  t.regex((await page.textContent('[data-testid^=attached-]'))!, /Đã đính kèm: giay-chung-sinh\.pdf/);
  t.is(await page.getByLabel('Họ, chữ đệm, tên *', { exact: true }).inputValue(), 'Nguyễn Minh An');

  // The draft is in the list; coming back to it and submitting.
  await page.goto('/dossiers');
  t.regex((await page.textContent('[data-testid=my-dossiers]'))!, /Đăng ký khai sinh[\s\S]*Nháp/);
  await Promise.all([page.waitForURL(/\/edit$/), page.getByRole('link', { name: '(chưa có mã)' }).click()]);
  await Promise.all([page.waitForURL(/\/submitted$/), page.getByRole('button', { name: 'Nộp hồ sơ' }).click()]);
  t.is(await page.textContent('h1'), 'Đã nộp hồ sơ');
  const code = (await page.textContent('[data-testid=dossier-code]'))!.trim();
  t.regex(code, /^000\.00\.00\.X00-\d{6}-0001$/);
  const due = (await page.textContent('[data-testid=due]'))!;
  t.regex(due, /Ngày hẹn trả kết quả: \d{2}\/\d{2}\/\d{4} \d{2}:\d{2} \(giờ Việt Nam\)/);
  t.regex((await page.textContent('main'))!, /Bộ phận một cửa của Phường Ba Đình sẽ kiểm tra hồ sơ/);
  t.true(await noSideScroll(page), 'the confirmation fits 360 px');

  // The receipt: the code, the applicant, the unit, the due date and the document received.
  const href = (await page.getByRole('link', { name: /Tải giấy tiếp nhận/ }).getAttribute('href'))!;
  const res = await page.request.get(href);
  t.is(res.status(), 200);
  t.is(res.headers()['content-type'], 'application/pdf');
  const file = path.join(tmp, 'receipt.pdf');
  fs.writeFileSync(file, await res.body());
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  t.regex(text, /GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ/);
  t.true(text.includes(`Mã hồ sơ: ${code}`), text);
  t.regex(text, /Người nộp hồ sơ: Nguyễn Thị Mai/);
  t.regex(text, /Cơ quan tiếp nhận: Phường Ba Đình/);
  t.true(text.includes(due.match(/\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/)![0]), 'the receipt carries the same due date');
  t.regex(text, /Giấy chứng sinh hoặc giấy tờ thay thế Giấy chứng sinh: giay-chung-sinh\.pdf/);

  // "Hồ sơ của tôi" in the navigation shows it with its code and status.
  await Promise.all([page.waitForURL('**/dossiers'), page.getByRole('link', { name: 'Về danh sách hồ sơ của tôi' }).click()]);
  t.is(await page.textContent('h1'), 'Hồ sơ của tôi');
  const row = (await page.textContent('[data-testid=my-dossiers] tbody tr'))!;
  t.true(row.includes(code), row);
  t.regex(row, /Đã nộp, chờ tiếp nhận/);
  await page.screenshot({ path: path.join(tmp, 'mine.png'), fullPage: true });
  fs.copyFileSync(path.join(tmp, 'mine.png'), '/tmp/d1-mine.png');
  await page.close();
});

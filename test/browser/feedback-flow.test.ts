// A citizen on a phone sends feedback without an account, an officer of the agency answers and publishes it,
// and the citizen (still anonymous) reads the published answer with their personal data masked.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';

let b: BrowserApp;

test.before(async () => {
  b = await startBrowserApp();
  await makeUser('officer', '79', { username: 'pakn.hcm', fullName: 'Trần Thu Hà' });
});

test.after.always(async () => {
  await b?.close();
});

const noSideScroll = (page: import('playwright-core').Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

test.serial('a citizen sends feedback, an officer answers and publishes it, and the citizen reads the masked answer', async (t) => {
  // The citizen finds the form from the home page.
  const citizen = await b.newPage({ phone: true });
  await citizen.goto('/');
  await Promise.all([citizen.waitForURL('**/phan-anh-kien-nghi'), citizen.getByTestId('feedback-link').click()]);
  t.is(await citizen.textContent('h1'), 'Phản ánh, kiến nghị đã được trả lời');
  t.regex((await citizen.textContent('[data-testid=result-count]'))!, /0 phản ánh/);
  await Promise.all([citizen.waitForURL('**/phan-anh-kien-nghi/gui'), citizen.getByRole('link', { name: 'Gửi phản ánh, kiến nghị' }).click()]);
  t.is(await citizen.textContent('h1'), 'Gửi phản ánh, kiến nghị');
  await citizen.getByLabel('Tiêu đề').fill('Đèn chiếu sáng hẻm 42 Lê Văn Sỹ bị hỏng');
  await citizen.getByLabel('Nội dung').fill('Tôi là Phạm Thị Mai, số điện thoại 0903 123 456. Đèn chiếu sáng trong hẻm 42 đường Lê Văn Sỹ đã hỏng hơn hai tuần, buổi tối rất nguy hiểm. Đề nghị sửa chữa sớm.');
  await citizen.getByLabel('Cơ quan tiếp nhận').selectOption({ label: 'Thành phố Hồ Chí Minh' });
  await citizen.getByLabel('Họ và tên').fill('Phạm Thị Mai');
  await citizen.getByLabel('Số điện thoại').fill('0903 123 456');
  await citizen.getByLabel('Tệp đính kèm (không bắt buộc)').setInputFiles({ name: 'hien-truong.pdf', mimeType: 'application/pdf', buffer: PDF });
  t.true(await noSideScroll(citizen), 'the form fits 360 px');
  await Promise.all([citizen.waitForURL(/\/phan-anh-kien-nghi\/da-gui/), citizen.getByRole('button', { name: 'Gửi phản ánh' }).click()]);
  t.is(await citizen.textContent('h1'), 'Đã gửi phản ánh');
  const code = (await citizen.textContent('[data-testid=case-code]'))!.trim();
  t.regex(code, /^PAKN-\d{6}-[A-Z0-9]{6}$/);

  // The officer sees it in the queue with the time left, assigns it to themself, answers and publishes.
  const officer = await b.newPage({ phone: true });
  await loginAs(officer, 'pakn.hcm');
  await officer.goto('/feedback');
  const row = officer.locator('[data-testid=feedback-queue] tr', { hasText: code });
  t.regex((await row.textContent())!, /Chờ phân loại/);
  t.regex((await row.locator('.badge').textContent())!, /\d+ ngày làm việc/);
  t.is(await row.locator('.badge').getAttribute('data-level'), 'green');
  t.true(await noSideScroll(officer), 'the queue fits 360 px');
  await Promise.all([officer.waitForURL(/\/feedback\/\d+$/), row.getByRole('link', { name: code }).click()]);
  t.regex((await officer.textContent('main'))!, /0903 123 456/);
  t.regex((await officer.textContent('main'))!, /hien-truong\.pdf/);
  await Promise.all([officer.waitForURL(/done=assigned/), officer.getByRole('button', { name: 'Giao xử lý' }).click()]);
  t.is((await officer.textContent('.flash'))!.trim(), 'Đã giao xử lý.');
  t.is((await officer.textContent('[data-testid=case-status]'))!.trim(), 'Đang xử lý');
  await officer.getByLabel('Nội dung trả lời').fill('Ủy ban nhân dân phường đã thay bóng đèn hẻm 42 ngày 05/12/2025. Cảm ơn bà Phạm Thị Mai đã phản ánh.');
  await Promise.all([officer.waitForURL(/done=answered/), officer.getByRole('button', { name: 'Gửi câu trả lời' }).click()]);
  t.is((await officer.textContent('.flash'))!.trim(), 'Đã gửi câu trả lời cho người gửi.');
  // The preview before publication already hides the name and the phone number.
  const preview = await officer.getByLabel('Nội dung công khai').inputValue();
  t.false(preview.includes('Phạm Thị Mai'));
  t.false(preview.includes('0903'));
  t.true(await noSideScroll(officer), 'the case page fits 360 px');
  await Promise.all([officer.waitForURL(/done=published/), officer.getByRole('button', { name: 'Công khai', exact: true }).click()]);
  t.is((await officer.textContent('.flash'))!.trim(), 'Đã công khai câu trả lời.');
  await officer.context().close();

  // The citizen, still without an account, finds and reads the published answer.
  await citizen.goto('/phan-anh-kien-nghi');
  await citizen.getByLabel('Tìm trong phản ánh').fill('Lê Văn Sỹ');
  await Promise.all([citizen.waitForURL(/q=/), citizen.getByRole('button', { name: 'Tìm', exact: true }).click()]);
  t.regex((await citizen.textContent('[data-testid=result-count]'))!, /1 phản ánh/);
  await Promise.all([citizen.waitForURL(`**/phan-anh-kien-nghi/${code}`), citizen.getByRole('link', { name: 'Đèn chiếu sáng hẻm 42 Lê Văn Sỹ bị hỏng' }).click()]);
  const answer = (await citizen.textContent('[data-testid=public-answer]'))!;
  t.regex(answer, /đã thay bóng đèn hẻm 42 ngày 05\/12\/2025/);
  t.regex(answer, /Cảm ơn bà \*\*\* đã phản ánh/);
  const content = (await citizen.textContent('[data-testid=public-content]'))!;
  t.regex(content, /^Tôi là \*\*\*, số điện thoại \*\*\*\. Đèn chiếu sáng/);
  const main = (await citizen.textContent('main'))!;
  t.false(main.includes('Phạm Thị Mai'));
  t.false(main.includes('0903'));
  t.true(await noSideScroll(citizen), 'the answer fits 360 px');

  // Tracking with the last 4 digits of the phone shows the case as published, with the reopen form.
  await citizen.goto(`/phan-anh-kien-nghi/tra-cuu?code=${code}`);
  await citizen.getByLabel('4 số cuối điện thoại hoặc mã tra cứu (6 số) trong thư điện tử').fill('3456');
  await citizen.getByRole('button', { name: 'Tra cứu' }).click();
  await citizen.waitForSelector('[data-testid=tracked]');
  t.is((await citizen.textContent('[data-testid=tracked-status]'))!.trim(), 'Đã công khai');
  t.regex((await citizen.textContent('[data-testid=tracked]'))!, /Không đồng ý với câu trả lời\?/);
  await citizen.context().close();
});

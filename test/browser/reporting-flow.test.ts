// A commune's monthly report in a real browser: the officer fills it on a phone and sends it, the
// leader returns it with a comment, the officer sees the comment and fixes it, the leader approves and
// signs, and the province's officer sees the roll-up and the status dashboard — each step checked by
// what the page says.
import fs from 'node:fs';
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
import { nssDbTrusting, pdfsig, setupCa } from '../helpers/signing.ts';
import { issueUserCertificate } from '../../src/signing/service.ts';
import { deployShippedProcesses, runDueJobs } from '../../src/engine/service.ts';
import { importRegime, openCycle } from '../../src/reporting/service.ts';
import { periodContaining } from '../../src/reporting/periods.ts';

let b: BrowserApp;
let nss: string;
const period = periodContaining('month', new Date()).period;
const url = `/reporting/KTXH-HN/${period}/00004`;

test.before(async () => {
  b = await startBrowserApp();
  await deployShippedProcesses();
  nss = await nssDbTrusting(await setupCa());
  await makeUser('officer', '00004', { username: 'canbo.badinh', fullName: 'Nguyễn Thu Trang' });
  await makeUser('leader', '00004', { username: 'lanhdao.badinh', fullName: 'Phạm Quốc Hùng' });
  await makeUser('officer', '01', { username: 'canbo.tinh', fullName: 'Lê Thị Tỉnh' });
  await issueUserCertificate('lanhdao.badinh', null);
  await importRegime(null, { code: 'KTXH-HN', name: 'Báo cáo KT-XH tháng (Hà Nội)', formKey: 'kt-xh-thang', frequency: 'month', reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 } });
  await openCycle('KTXH-HN', period);
  // The cycle's instances are started before the clicking begins, so the job worker is idle meanwhile.
  await runDueJobs();
});
test.after.always(async () => {
  await b?.close();
  if (nss) fs.rmSync(nss, { recursive: true, force: true });
});

async function checkPage(t: import('ava').ExecutionContext, page: Page, path: string): Promise<void> {
  await checkPageA11y(t, page, path);
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${path}: no sideways scrolling`);
}

const status = (page: Page) => page.getByTestId('report-status').textContent();

test.serial('officer fills and sends, leader returns, officer fixes, leader approves and signs, the province sees the roll-up and the dashboard', async (t) => {
  // Given the commune officer on a phone
  const officer = await b.newPage({ phone: true });
  await loginAs(officer, 'canbo.badinh');
  await officer.goto(url);
  t.is(await status(officer), 'Chưa lập');
  await checkPage(t, officer, url);
  // When they send an empty report, it is refused with a reason
  await officer.getByRole('button', { name: 'Trình lãnh đạo' }).click();
  t.regex((await officer.getByTestId('report-error').textContent()) ?? '', /chưa có số liệu/);
  // And when they fill it and send it
  await officer.getByLabel('Người lập biểu').fill('Nguyễn Thu Trang');
  await officer.locator('[id="c-TMBL_BANLE.th"]').fill('120,5');
  await officer.getByRole('button', { name: 'Trình lãnh đạo' }).click();
  t.regex((await officer.getByTestId('report-done').textContent()) ?? '', /Đã trình lãnh đạo/);
  t.is(await status(officer), 'Chờ lãnh đạo duyệt');

  // Then the leader returns it with a comment
  const leader = await b.newPage();
  await loginAs(leader, 'lanhdao.badinh');
  await leader.goto(url);
  t.regex((await leader.locator('[id="c-TMBL_BANLE.th"]').textContent()) ?? '', /120,5/);
  await checkPage(t, leader, url);
  await leader.getByRole('button', { name: 'Trả lại' }).click();
  t.regex((await leader.getByTestId('report-error').textContent()) ?? '', /Hãy ghi ý kiến/);
  await leader.getByLabel('Ý kiến (bắt buộc khi trả lại)').fill('Số bán lẻ chưa khớp số liệu của Chi cục Thống kê');
  await leader.getByRole('button', { name: 'Trả lại' }).click();
  t.is(await status(leader), 'Bị trả lại');

  // The officer sees the comment, fixes the figure and sends it again
  await officer.goto(url);
  t.regex((await officer.getByTestId('report-returns').textContent()) ?? '', /Số bán lẻ chưa khớp/);
  t.regex((await officer.getByTestId('report-status').locator('..').textContent()) ?? '', /Vòng 2/);
  await officer.locator('[id="c-TMBL_BANLE.th"]').fill('125');
  await officer.getByRole('button', { name: 'Trình lãnh đạo' }).click();
  t.is(await status(officer), 'Chờ lãnh đạo duyệt');

  // The leader approves and signs
  await leader.goto(url);
  await leader.getByRole('button', { name: 'Phê duyệt' }).click();
  t.is(await status(leader), 'Đã duyệt, chờ ký');
  await leader.getByRole('button', { name: 'Ký số và gửi' }).click();
  t.regex((await leader.getByTestId('report-done').textContent()) ?? '', /Đã ký số và gửi/);
  t.is(await status(leader), 'Đã gửi');
  t.true(await leader.getByRole('link', { name: 'Chữ ký số', exact: true }).isVisible());
  const history = (await leader.getByTestId('report-history').textContent()) ?? '';
  for (const step of ['Trình lãnh đạo', 'Trả lại', 'Phê duyệt', 'Ký số và gửi']) t.true(history.includes(step), `history shows ${step}`);
  // The same signing made a signed PDF: the page links it and lists it in the history as current
  await checkPage(t, leader, url);
  t.regex((await leader.getByTestId('signed-pdf-history').textContent()) ?? '', /Vòng 2 — hiệu lực — ký lúc/);
  const [download] = await Promise.all([leader.waitForEvent('download'), leader.getByTestId('signed-pdf').getByRole('link', { name: 'Tải báo cáo PDF đã ký số' }).click()]);
  t.regex(download.suggestedFilename(), /^KTXH-HN-.*-00004-signed\.pdf$/);
  const verdict = await pdfsig(nss, await download.path());
  t.regex(verdict, /Signer Certificate Common Name: Phạm Quốc Hùng/);
  t.regex(verdict, /Signature Validation: Signature is Valid/);
  t.regex(verdict, /Total document signed/);

  // The province's officer sees the roll-up and the dashboard
  const province = await b.newPage({ phone: true });
  await loginAs(province, 'canbo.tinh');
  await checkPage(t, province, `/reporting/KTXH-HN/${period}/01`);
  t.regex((await province.getByTestId('report-completeness').textContent()) ?? '', /1\/\d+ đơn vị đã gửi \(1 đúng hạn, 0 muộn hạn\)/);
  t.regex((await province.locator('[id="c-TMBL_BANLE.th"]').inputValue()), /^125/);
  await checkPage(t, province, `/reporting/KTXH-HN/${period}`);
  t.is(await province.locator('[data-count="submitted"] strong').textContent(), '1');
  await checkPage(t, province, `/reporting/KTXH-HN/${period}/dashboard`);
  t.is(await province.locator('[data-count="onTime"] strong').textContent(), '1');
  t.is(await province.locator('[data-testid="dashboard-table"] tr[data-unit="01"] td').nth(1).textContent(), '1');
  await province.waitForSelector('#rp-chart svg');
});

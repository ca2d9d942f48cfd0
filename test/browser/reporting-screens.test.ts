// The reporting screens around the flow, in a real browser on a phone: a designer creates a regime in
// the editor (mistakes are named in Vietnamese), edits it and downloads it as JSON, and imports one from
// a file — each step checked by what the page says.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
import ExcelJS from 'exceljs';
import { getRegime, importRegime, openCycle, saveReport } from '../../src/reporting/service.ts';
import { periodContaining, previousPeriod } from '../../src/reporting/periods.ts';
import { loadViewerByUsername } from '../../src/auth/service.ts';
import { deployShippedProcesses, runDueJobs } from '../../src/engine/service.ts';

let b: BrowserApp;

test.before(async () => {
  b = await startBrowserApp();
  await makeUser('designer', null, { username: 'thietke.chedo', fullName: 'Trần Minh Thiết' });
  await makeUser('leader', '01', { username: 'lanhdao.hanoi', fullName: 'Đỗ Văn Lãnh' });
  await makeUser('officer', '00004', { username: 'canbo.badinh2', fullName: 'Vũ Thị Lan' });
  await deployShippedProcesses();
  await importRegime(null, { code: 'KTXH-HN', name: 'Báo cáo KT-XH tháng (Hà Nội)', formKey: 'kt-xh-thang', frequency: 'month', reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 } });
});
test.after.always(async () => {
  await b?.close();
});

/** Opens a page, checks its accessibility and that it does not scroll sideways at 360 px. */
async function checkPage(t: import('ava').ExecutionContext, page: Page, url: string): Promise<void> {
  await checkPageA11y(t, page, url);
  await fitsPhone(t, page, url);
}

async function fitsPhone(t: import('ava').ExecutionContext, page: Page, where: string): Promise<void> {
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${where}: no sideways scrolling`);
}

test.serial('a designer creates a regime in the editor, sees mistakes named in Vietnamese, edits it, downloads and imports JSON', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'thietke.chedo');
  await page.goto('/reporting');
  await page.getByTestId('regime-new').click();
  t.is(await page.locator('h1').textContent(), 'Tạo chế độ báo cáo');
  await checkPage(t, page, '/reporting/regimes/new');

  // A deadline outside the legal window and no form are refused, each next to its field
  await page.getByLabel('Mã chế độ (chữ, số, dấu . _ -)').fill('KTXH-QN');
  await page.getByLabel('Tên chế độ báo cáo').fill('Báo cáo KT-XH tháng (Quảng Ninh)');
  await page.getByLabel('Chỉ trong địa bàn của đơn vị (mã; để trống: cả nước)').fill('22');
  await page.getByRole('checkbox', { name: 'Xã, phường, đặc khu' }).check();
  await page.locator('#r-deadline-commune').fill('28');
  await page.getByRole('button', { name: 'Lưu chế độ báo cáo' }).click();
  t.regex((await page.getByTestId('regime-errors').textContent()) ?? '', /Chưa lưu được: còn 2 chỗ cần sửa/);
  t.is(await page.locator('#e-form').textContent(), 'Hãy chọn một biểu mẫu đã ban hành.');
  t.is(await page.locator('#e-deadline-commune').textContent(), 'Hạn gửi phải là một ngày từ 15 đến 25 của tháng cuối kỳ.');
  t.is(await page.getByLabel('Tên chế độ báo cáo').inputValue(), 'Báo cáo KT-XH tháng (Quảng Ninh)', 'what was typed stays');
  await fitsPhone(t, page, 'the editor with errors');

  // Fixed, it is saved
  const formChoice = await page.locator('#r-form option[value^="kt-xh-thang@"]').getAttribute('value');
  await page.getByLabel('Biểu mẫu (phiên bản đã ban hành)').selectOption({ value: formChoice! });
  await page.locator('#r-deadline-commune').fill('18');
  await page.locator('#r-deadline-province').fill('22');
  await page.getByLabel('Gửi đến đơn vị (mã; để trống: đơn vị cấp trên)').fill('VN');
  await page.getByLabel('Nhắc trước hạn (số ngày, ví dụ: 5, 1)').fill('3, 1');
  await page.getByRole('button', { name: 'Lưu chế độ báo cáo' }).click();
  t.is(await page.getByTestId('regime-done').textContent(), 'Đã tạo chế độ báo cáo.');
  t.is(await page.locator('h1').textContent(), 'Sửa chế độ báo cáo KTXH-QN');
  const saved = await getRegime('KTXH-QN');
  t.like(saved, { frequency: 'month', formKey: 'kt-xh-thang', recipientCode: 'VN', deadlines: { commune: 18, province: 22 }, reminderDays: [3, 1] });

  // Edited: late reports no longer accepted
  await page.getByLabel('Cho phép gửi muộn').uncheck();
  await page.getByRole('button', { name: 'Lưu chế độ báo cáo' }).click();
  t.is(await page.getByTestId('regime-done').textContent(), 'Đã lưu các thay đổi.');
  t.false(await page.getByLabel('Cho phép gửi muộn').isChecked());

  // Downloaded as JSON, changed and imported back from the page
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải chế độ này dạng JSON' }).click()]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'regime-')), 'regime.json');
  await download.saveAs(file);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  t.like(json, { code: 'KTXH-QN', isLateAllowed: false });
  fs.writeFileSync(file, JSON.stringify({ ...json, code: 'KTXH-QN2', name: 'Báo cáo KT-XH tháng (Quảng Ninh, bản nhập)' }));
  await page.getByLabel('Tệp JSON của chế độ báo cáo').setInputFiles(file);
  await page.getByRole('button', { name: 'Nhập', exact: true }).click();
  t.is(await page.getByTestId('regime-done').textContent(), 'Đã nhập chế độ báo cáo từ tệp JSON.');
  t.is(await page.getByLabel('Tên chế độ báo cáo').inputValue(), 'Báo cáo KT-XH tháng (Quảng Ninh, bản nhập)');

  // A file that is not JSON is refused with a reason
  fs.writeFileSync(file, 'không phải JSON');
  await page.getByLabel('Tệp JSON của chế độ báo cáo').setInputFiles(file);
  await page.getByRole('button', { name: 'Nhập', exact: true }).click();
  t.is(await page.getByTestId('regime-error').textContent(), 'Tệp không phải JSON hợp lệ của một chế độ báo cáo.');

  // The list shows both regimes with their edit links
  await page.goto('/reporting');
  const list = (await page.getByTestId('regimes').textContent()) ?? '';
  t.true(list.includes('Báo cáo KT-XH tháng (Quảng Ninh)') && list.includes('KTXH-QN2'));
});

test.serial('a province leader asks two communes for an ad hoc report; the commune officer gets the task and the notification', async (t) => {
  const leader = await b.newPage({ phone: true });
  await loginAs(leader, 'lanhdao.hanoi');
  await leader.goto('/reporting');
  await leader.getByRole('link', { name: 'Yêu cầu báo cáo đột xuất' }).click();
  t.is(await leader.locator('h1').textContent(), 'Yêu cầu báo cáo đột xuất');
  await checkPage(t, leader, '/reporting/requests');

  // Without units or deadline it is refused, with what to fix
  await leader.getByLabel('Nội dung yêu cầu').fill('Báo cáo nhanh thiệt hại do mưa lũ');
  await leader.getByRole('button', { name: 'Gửi yêu cầu' }).click();
  const errors = (await leader.getByTestId('request-errors').textContent()) ?? '';
  t.regex(errors, /Hãy chọn hạn gửi/);
  t.regex(errors, /Hãy chọn ít nhất một đơn vị/);
  await fitsPhone(t, leader, 'the request form with errors');

  // With two communes and a deadline in a week it is sent
  const deadline = new Date(Date.now() + 7 * 86_400_000 + 7 * 3_600_000).toISOString().slice(0, 10);
  await leader.getByLabel('Hạn gửi').fill(deadline);
  await leader.getByLabel('Phường Ba Đình (00004)').check();
  await leader.getByLabel('Phường Ngọc Hà (00008)').check();
  await leader.getByRole('button', { name: 'Gửi yêu cầu' }).click();
  t.is(await leader.getByTestId('request-done').textContent(), 'Đã gửi yêu cầu báo cáo đột xuất đến các đơn vị.');
  const row = leader.getByTestId('request-list').locator('tbody tr').first();
  t.regex((await row.textContent()) ?? '', /Báo cáo nhanh thiệt hại do mưa lũ.*0\/2 đơn vị/s);

  // The cycle of the request lists exactly the two communes, due on the chosen day
  const cycleHref = (await row.getByRole('link').getAttribute('href')) ?? '';
  t.regex(cycleHref, /^\/reporting\/KTXH-HN-DX\d+\//);
  await row.getByRole('link').click();
  t.is(await leader.locator('[data-count="expected"] strong').textContent(), '2');
  t.regex((await leader.getByTestId('cycle-reports').textContent()) ?? '', new RegExp(`00004.*${deadline.slice(8, 10)}/${deadline.slice(5, 7)}/${deadline.slice(0, 4)}`, 's'));

  // The commune's officer is told and finds the report task
  await runDueJobs();
  const officer = await b.newPage({ phone: true });
  await loginAs(officer, 'canbo.badinh2');
  await officer.goto('/notifications');
  t.regex((await officer.locator('main').textContent()) ?? '', /Báo cáo nhanh thiệt hại do mưa lũ/);
  await officer.goto('/tasks');
  t.regex((await officer.locator('main').textContent()) ?? '', /Cán bộ lập báo cáo.*Phường Ba Đình/s);
  await officer.goto(`${cycleHref}/00004`);
  t.is(await officer.getByTestId('report-status').textContent(), 'Chưa lập');
  t.regex((await officer.locator('h1').textContent()) ?? '', /Báo cáo nhanh thiệt hại do mưa lũ/);
});

test.serial('the reviewer sees each figure against the previous period, the communes below and their warnings, and drills down to the cell', async (t) => {
  const period = periodContaining('month', new Date()).period;
  const before = previousPeriod(period);
  await openCycle('KTXH-HN', before);
  await openCycle('KTXH-HN', period);
  const officer = (await loadViewerByUsername('canbo.badinh2'))!.viewer;
  await saveReport(officer, 'KTXH-HN', before, '00004', { nguoiLap: 'Vũ Thị Lan', TMBL_BANLE: { th: 100 } } as never);
  const rule = 'xc.change.TMBL_BANLE.th';
  await saveReport(officer, 'KTXH-HN', period, '00004', { nguoiLap: 'Vũ Thị Lan', TMBL_BANLE: { th: 300 } } as never, { submit: true, explanations: { [rule]: 'Khai trương trung tâm thương mại mới' } });

  // The province's leader opens the province's report: the commune is listed with its warning
  const leader = await b.newPage({ phone: true });
  await loginAs(leader, 'lanhdao.hanoi');
  await checkPage(t, leader, `/reporting/KTXH-HN/${period}/01`);
  const child = leader.getByTestId('review-children').locator('tr[data-unit="00004"]');
  t.regex((await child.textContent()) ?? '', /00004.*Chờ lãnh đạo duyệt.*1/s);
  const warning = leader.getByTestId('review-warnings').locator('li', { hasText: '00004' });
  t.regex((await warning.textContent()) ?? '', /thay đổi 200% so với kỳ trước.*giải trình: Khai trương trung tâm thương mại mới/s);

  // Drilling down opens the commune's report at the cell, with the previous period's figure and the change
  await warning.getByRole('link').click();
  t.regex(leader.url(), new RegExp(`/reporting/KTXH-HN/${period}/00004#c-TMBL_BANLE\\.th$`));
  t.regex((await leader.getByTestId('report-meta').textContent()) ?? '', /00004/);
  t.is(await leader.locator('[data-prev="TMBL_BANLE.th"]').textContent(), 'Kỳ trước: 100 · +200 %');
  t.regex((await leader.getByTestId('review-previous').textContent()) ?? '', /kỳ trước \(Tháng \d+\/\d{4}\)/);
  await fitsPhone(t, leader, 'the commune report with its previous period');
});

test.serial('a unit\'s aggregated results are a table (one indicator per card on a phone), an Excel file and a PDF', async (t) => {
  const period = periodContaining('month', new Date()).period;
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'lanhdao.hanoi');
  await page.goto(`/reporting/KTXH-HN/${period}/00004`);
  await page.getByTestId('results-link').click();
  t.is(await page.locator('h1').textContent(), 'Kết quả tổng hợp — Phường Ba Đình');
  await checkPage(t, page, `/reporting/KTXH-HN/${period}/00004/results`);
  const row = page.getByTestId('results-table').locator('tbody tr', { hasText: 'bán lẻ' }).first();
  t.regex((await row.textContent()) ?? '', /300/);
  t.is(await row.locator('td').first().evaluate((e) => getComputedStyle(e).display), 'block', 'a card per indicator at 360 px');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'results-'));
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải Excel' }).click()]);
  await xlsx.saveAs(path.join(dir, 'r.xlsx'));
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path.join(dir, 'r.xlsx'));
  const values = wb.worksheets.flatMap((ws) => ws.getSheetValues().flat());
  t.true(values.includes(300), 'the Excel file carries the figure as a number');
  t.true(values.some((v) => typeof v === 'string' && v.includes('Phường Ba Đình')));
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải PDF' }).click()]);
  await pdf.saveAs(path.join(dir, 'r.pdf'));
  t.is(fs.readFileSync(path.join(dir, 'r.pdf')).subarray(0, 5).toString(), '%PDF-');
});

test.serial('the national status board shows every regime\'s current cycle: on time, late and missing, as a chart and a table, leading to the dashboard by province', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'lanhdao.hanoi');
  await page.goto('/reporting');
  await page.getByRole('link', { name: 'Tình hình toàn quốc' }).click();
  t.is(await page.locator('h1').textContent(), 'Tình hình báo cáo toàn quốc theo chế độ');
  await checkPage(t, page, '/reporting/status');
  const row = page.getByTestId('board-table').locator('tr[data-regime="KTXH-HN"]');
  t.regex((await row.textContent()) ?? '', /Báo cáo KT-XH tháng \(Hà Nội\).*\d+ phải nộp/s);
  t.deepEqual((await row.locator('td').allTextContents()).slice(0, 2), ['0', '0'], 'none on time or late yet');
  t.true(Number(await row.locator('td').nth(2).textContent()) > 100, 'every Hà Nội unit is still missing');
  t.regex((await page.getByTestId('board-table').textContent()) ?? '', /Báo cáo nhanh thiệt hại do mưa lũ/, 'the ad hoc request is on the board too');
  await page.waitForSelector('#rp-chart svg');
  await row.getByRole('link').click();
  t.is(await page.locator('h1').textContent(), 'Bảng theo dõi tình hình nộp báo cáo');
});

// The procedures report checked against the dossiers, on a phone: the commune's officer opens the quarter's report
// and finds its figures pre-filled from the unit's dossiers, changes one, sees the warning and explains it; the
// leader reviewing the report sees the warning and opens the list of dossiers behind the figure.
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
import { importRegime, openCycle } from '../../src/reporting/service.ts';
import { deployShippedProcesses } from '../../src/engine/service.ts';
import { Dossier } from '../../src/dossiers/models.ts';
import { getOrgByCode } from '../../src/orgs/service.ts';

const REGIME = 'TTHC-QUY-T';
// A fixed quarter (window 15 September – 14 December 2026), so the figures do not depend on today's date.
const PERIOD = '2026Q4';
const UNIT = '00004';
const REPORT = `/reporting/${REGIME}/${PERIOD}/${UNIT}`;

let b: BrowserApp;

const vn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+07:00`);

test.before(async () => {
  b = await startBrowserApp();
  await makeUser('officer', UNIT, { username: 'canbo.xc', fullName: 'Vũ Thị Lan' });
  await makeUser('leader', UNIT, { username: 'lanhdao.xc', fullName: 'Đỗ Văn Lãnh' });
  await deployShippedProcesses();
  const org = await getOrgByCode(UNIT);
  const make = (code: string, channel: string, status: string, received: string, due: string, finished?: string) => Dossier.create({
    code, procedureCode: '1.001193', procedureName: 'Đăng ký khai sinh', formKey: 'dang-ky-khai-sinh', formVersion: 1, ownerUserId: null, applicantName: 'Hoàng Minh An',
    orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel, status, valuesJson: '{}', submittedAt: vn(received), receivedAt: vn(received), dueAt: vn(due), finishedAt: finished ? vn(finished) : null,
  });
  await make('000.00.04.H26-261001-0001', 'online', 'done', '2026-10-01 08:00', '2026-10-06 17:00', '2026-10-02 10:00');
  await make('000.00.04.H26-261005-0002', 'online', 'done', '2026-10-05 08:00', '2026-10-09 17:00', '2026-10-07 15:00');
  await make('000.00.04.H26-261110-0003', 'direct', 'processing', '2026-11-10 08:00', '2027-01-20 17:00');
  await importRegime(null, {
    code: REGIME, name: 'Báo cáo giải quyết thủ tục hành chính quý (Hà Nội)', formKey: 'tthc-giai-quyet', frequency: 'quarter',
    reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 }, isLateAllowed: true, lateUntilDays: null,
  });
  await openCycle(REGIME, PERIOD);
});
test.after.always(async () => {
  await b?.close();
});

async function fitsPhone(t: import('ava').ExecutionContext, page: Page, where: string): Promise<void> {
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${where}: no sideways scrolling`);
}

const cell = (page: Page, key: string) => page.locator(`[name="v:${key}"]`);

test.serial('the officer finds the figures pre-filled from dossiers, changes one, sees the warning; the leader opens the dossiers behind it', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'canbo.xc');
  await checkPageA11y(t, page, REPORT);
  await fitsPhone(t, page, REPORT);
  t.regex((await page.getByTestId('dossier-window').textContent()) ?? '', /Các chỉ tiêu đã được điền sẵn từ hồ sơ của đơn vị trên hệ thống \(kỳ chốt số liệu từ 15\/09\/2026 00:00 đến 14\/12\/2026 23:59\)/);
  t.is(await cell(page, 'HS_NHAN_TRUCTUYEN.xa').inputValue(), '2');
  t.is(await cell(page, 'HS_NHAN_TRUCTIEP.xa').inputValue(), '1');
  t.is(await cell(page, 'HS_DAGQ_TRUOCHAN.xa').inputValue(), '2');
  t.is(await cell(page, 'HS_DANGGQ_TRONGHAN.xa').inputValue(), '1');
  t.is(await page.locator('[data-dossiers="HS_DAGQ_TRUOCHAN.xa"]').innerText(), 'Theo hồ sơ: 2 · Xem danh sách 2 hồ sơ');

  // The officer counts one early dossier as on time instead (the totals still balance) and saves.
  await page.getByLabel('Người lập biểu *').fill('Vũ Thị Lan');
  await cell(page, 'HS_DAGQ_TRUOCHAN.xa').fill('1');
  await cell(page, 'HS_DAGQ_DUNGHAN.xa').fill('1');
  await page.getByRole('button', { name: 'Lưu nháp' }).click();
  t.is(await page.getByTestId('report-done').textContent(), 'Đã lưu nháp.');
  await fitsPhone(t, page, 'the saved report');
  const early = '2.1 Giải quyết trước hạn / Cấp xã: đơn vị báo cáo 1, theo hồ sơ trên hệ thống là 2. Đề nghị kiểm tra hoặc giải trình.';
  const onTime = '2.2 Giải quyết đúng hạn / Cấp xã: đơn vị báo cáo 1, theo hồ sơ trên hệ thống là 0. Đề nghị kiểm tra hoặc giải trình.';
  t.is(await page.locator('[data-row="HS_DAGQ_TRUOCHAN"] .rp-problem').innerText(), early);
  t.true((await page.locator('[data-dossiers="HS_DAGQ_TRUOCHAN.xa"]').innerText()).includes('khác số liệu hồ sơ'));
  // Sending needs an explanation of each warning.
  await page.getByLabel(early).fill('Hồ sơ 0002 trả kết quả đúng ngày hẹn theo sổ theo dõi.');
  await page.getByLabel(onTime).fill('Như trên.');
  await page.getByRole('button', { name: 'Trình lãnh đạo' }).click();
  t.is(await page.getByTestId('report-done').textContent(), 'Đã trình lãnh đạo.');
  await page.context().close();

  const leader = await b.newPage({ phone: true });
  await loginAs(leader, 'lanhdao.xc');
  await checkPageA11y(t, leader, REPORT);
  await fitsPhone(t, leader, REPORT);
  const warnings = leader.getByTestId('review-warnings');
  t.true((await warnings.innerText()).includes(`Báo cáo này: ${early} — giải trình: Hồ sơ 0002 trả kết quả đúng ngày hẹn theo sổ theo dõi.`), await warnings.innerText());
  await warnings.getByRole('link').first().click();
  await leader.waitForURL(/\/crosscheck\/HS_DAGQ_TRUOCHAN\.xa$/);
  t.is(await leader.locator('h1').textContent(), 'Danh sách hồ sơ theo chỉ tiêu: 2.1. Giải quyết trước hạn — Cấp xã');
  t.is(await leader.getByTestId('crosscheck-summary').innerText(), 'Theo hồ sơ trên hệ thống: 2 hồ sơ · Đơn vị báo cáo: 1 · khác số liệu hồ sơ');
  const items = leader.getByTestId('crosscheck-dossiers').locator('li');
  t.is(await items.count(), 2);
  const first = await items.nth(0).innerText();
  t.true(first.includes('000.00.04.H26-261001-0001 — Đăng ký khai sinh'), first);
  t.true(first.includes('01/10/2026 08:00 · tiếp nhận trực tuyến'), first);
  t.true(first.includes('giải quyết trước hạn · 02/10/2026 10:00'), first);
  t.true((await items.nth(1).innerText()).includes('000.00.04.H26-261005-0002'));
  t.false((await leader.getByTestId('crosscheck-dossiers').innerText()).includes('0003'), 'the pending dossier is not behind this figure');
  await checkPageA11y(t, leader, leader.url());
  await fitsPhone(t, leader, 'the list of dossiers');
  // From the list, the officer's dossier page of the first dossier.
  await items.nth(0).getByRole('link').click();
  t.true((await leader.locator('body').innerText()).includes('000.00.04.H26-261001-0001'));
});

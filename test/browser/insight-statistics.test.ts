// Anyone on a phone opens the public statistics from the home page, narrows them to a province and a field,
// reads the counts in the table (dossiers, payments, satisfaction, feedback answered on time), drills down to a
// commune and downloads the same figures as Excel.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import ExcelJS from 'exceljs';
import { startBrowserApp, type BrowserApp } from '../helpers/browser.ts';
import { getOrgByCode } from '../../src/orgs/service.ts';
import { Dossier } from '../../src/dossiers/models.ts';
import { Payment } from '../../src/payments/models.ts';
import { DossierRating, FeedbackCase } from '../../src/feedback/models.ts';
import { importProcedures } from '../../src/catalog/import.ts';
import { repoRoot } from '../helpers/server.ts';

let b: BrowserApp;
const H = 3600_000;

test.before(async () => {
  b = await startBrowserApp();
  await importProcedures(fs.readFileSync(path.join(repoRoot, 'seed/procedures-common.csv')), null);
  const badinh = await getOrgByCode('00004');
  const saigon = await getOrgByCode('26740');
  const at = (d: string) => new Date(`${d}T09:00:00+07:00`);
  const make = (u: typeof badinh, procedureCode: string, receivedAt: Date, extra: Record<string, unknown>) => Dossier.create({
    procedureCode, procedureName: 'x', formKey: 'f', formVersion: 1, ownerUserId: 1, orgUnitId: u.id, orgCode: u.code, orgPath: u.path,
    channel: 'online', status: 'processing', valuesJson: '{}', receivedAt, dueAt: new Date(receivedAt.getTime() + 72 * H), ...extra,
  });
  // Ba Đình: two birth registrations resolved on time, one late; one residence registration received at the desk.
  const first = await make(badinh, '1.001193', at('2026-11-02'), { status: 'done', finishedAt: at('2026-11-05') });
  const second = await make(badinh, '1.001193', at('2026-11-03'), { status: 'done', finishedAt: at('2026-11-04') });
  // One fee of 50,000 VND paid online; one dossier very satisfied, one not; one feedback case answered on time.
  const pay = await Payment.create({ txnRef: 'B1', dossierId: first.id, gateway: 'vnpay', amount: 50000, status: 'pending', orderInfo: 'x' });
  await Payment.update({ status: 'paid', paidAt: at('2026-11-02') }, { where: { id: pay.id, status: 'pending' } });
  for (const [d, overall] of [[first, 'very_satisfied'], [second, 'unsatisfied']] as const) {
    await DossierRating.create({ dossierId: d.id, dossierCode: `D${d.id}`, procedureCode: d.procedureCode, field: 'Hộ tịch', orgCode: d.orgCode, orgPath: d.orgPath, via: 'code', overall, answersJson: '{}', day: '2026-11-06', ratedAt: at('2026-11-06') });
  }
  const fb = await FeedbackCase.create({ code: 'PA-1', subject: 'x', content: 'x', source: 'web', status: 'processing', orgCode: badinh.code, orgPath: badinh.path, orgName: badinh.name, contactName: 'x', locale: 'vi', receivedAt: at('2026-11-02'), dueAt: at('2026-11-12') });
  await fb.update({ status: 'answered', answer: 'y', answeredAt: at('2026-11-10') });
  await make(badinh, '1.001193', at('2026-11-09'), { status: 'done', finishedAt: at('2026-11-20') });
  await make(badinh, '1.004222', at('2026-11-10'), { channel: 'direct' });
  // Sài Gòn (another province) must not show under Hà Nội.
  await make(saigon, '1.001193', at('2026-11-10'), {});
});

test.after.always(async () => {
  await b?.close();
});

test.serial('the public narrows the statistics to Hà Nội and Hộ tịch, reads them, drills down and downloads Excel at 360 px', async (t) => {
  const page = await b.newPage({ phone: true });
  await page.goto('/');
  await Promise.all([page.waitForURL('**/thong-ke'), page.getByTestId('insight-link').click()]);
  t.is(await page.textContent('h1'), 'Thống kê giải quyết hồ sơ');
  await page.getByLabel('Từ ngày').fill('2026-11-01');
  await page.getByLabel('Đến ngày').fill('2026-11-30');
  await page.getByLabel('Mã đơn vị').fill('01');
  await Promise.all([page.waitForURL(/org=01/), page.getByRole('button', { name: 'Xem thống kê' }).click()]);
  t.regex((await page.getByTestId('st-scope').textContent())!, /Thành phố Hà Nội · 2026-11-01 – 2026-11-30/);
  t.is(await page.locator('[data-count=received] strong').textContent(), '4');
  t.is(await page.locator('[data-count=resolved] strong').textContent(), '3');
  const row = page.locator('[data-testid=st-table] tbody tr[data-key="00004"]');
  t.is(await row.locator('td').first().textContent(), 'Phường Ba Đình');
  t.is(await page.locator('[data-testid=st-table] tbody tr').count(), 1);
  t.is(await row.locator('td[data-col=paymentsPaid]').textContent(), '1');
  t.is(await row.locator('td[data-col=amountPaid]').textContent(), '50.000');
  t.is(await row.locator('td[data-col=rated]').textContent(), '2');
  t.is(await row.locator('td[data-col=satisfactionRate]').textContent(), '50');
  t.is(await row.locator('td[data-col=feedbackOnTime]').textContent(), '1');
  t.is(await page.locator('[data-count=satisfactionRate] strong').textContent(), '50%');
  t.is(await page.locator('[data-count=feedbackOnTimeRate] strong').textContent(), '100%');
  // The chart draws the new series too: its legend names them.
  await page.locator('#st-chart svg').waitFor();
  t.true((await page.locator('#st-chart').textContent())!.includes('Tỷ lệ hài lòng (%)'));
  await page.screenshot({ path: '/tmp/stats-bench/insight-statistics-360.png', fullPage: true });

  await page.selectOption('#st-field', 'Hộ tịch');
  await Promise.all([page.waitForURL(/field=/), page.getByRole('button', { name: 'Xem thống kê' }).click()]);
  t.is(await page.locator('[data-count=received] strong').textContent(), '3');
  t.is(await page.locator('[data-count=onTimeRate] strong').textContent(), '66.7%');

  await Promise.all([page.waitForURL(/org=00004/), row.getByRole('link', { name: 'Phường Ba Đình' }).click()]);
  t.regex((await page.getByTestId('st-scope').textContent())!, /Phường Ba Đình/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải Excel' }).click()]);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(fs.readFileSync((await download.path())!) as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  t.is(ws.getRow(2).getCell(5).value, 'Tổng tiếp nhận');
  const last = ws.getRow(ws.rowCount);
  t.is(last.getCell(1).value, 'Tổng cộng');
  t.is(last.getCell(5).value, 3);
  t.is(ws.getRow(2).getCell(16).value, 'Số tiền đã thanh toán (VNĐ)');
  t.is(last.getCell(15).value, 1);
  t.is(last.getCell(16).value, 50000);
});

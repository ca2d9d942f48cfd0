// A citizen on a phone pays a dossier's fee through the sandbox gateway: sees the amount from the catalog, is sent
// to the gateway, chooses success, comes back to the result, and finds the paid status and the receipt (PDF);
// a cancelled payment shows as failed and can be tried again.
import test from 'ava';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { freePort } from '../helpers/notify-smtp.ts';
import { seedProcedures } from '../../src/catalog/service.ts';
import { getOrgByCode } from '../../src/orgs/service.ts';
import { Dossier } from '../../src/dossiers/models.ts';
import { receiveDossier } from '../../src/dossiers/core.ts';
import { inTransaction } from '../../src/store/index.ts';

let b: BrowserApp;
let citizen: { id: number; username: string };

test.before(async () => {
  // The gateway sends the payer back to BASE_URL, so the server gets a known port.
  const port = await freePort();
  b = await startBrowserApp({ env: { PORT: String(port), BASE_URL: `http://127.0.0.1:${port}` } });
  await seedProcedures();
  citizen = await makeUser('citizen', null, { fullName: 'Nguyễn Thị Lan' });
});

test.after.always(async () => {
  await b?.close();
});

/** A received online dossier of 1.004222 Đăng ký thường trú at Phường Ba Đình (10.000 đ online). */
async function receivedDossier(): Promise<Dossier> {
  const org = await getOrgByCode('00004');
  const d = await Dossier.create({
    procedureCode: '1.004222', procedureName: 'Đăng ký thường trú', formKey: 'dang-ky-thuong-tru', formVersion: 1, ownerUserId: citizen.id,
    applicantName: 'Nguyễn Thị Lan', orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: 'online', status: 'draft', valuesJson: '{}',
  });
  return inTransaction((t) => receiveDossier(d, { limit: { amount: 2, unit: 'workday' } }, t));
}

test.serial('a citizen pays in the sandbox, sees the success and the paid status, and opens the receipt', async (t) => {
  const d = await receivedDossier();
  const page = await b.newPage({ phone: true });
  await loginAs(page, citizen.username);
  await page.goto(`/dossiers/${d.id}/payment`);
  t.is(await page.textContent('h1'), 'Thanh toán phí, lệ phí trực tuyến');
  t.is((await page.textContent('[data-testid=pay-amount]'))!.trim(), '10.000 đồng');
  t.regex((await page.textContent('[data-testid=pay-facts]'))!, new RegExp(d.code!.replace(/\./g, '\\.')));

  await Promise.all([page.waitForURL('**/payments/sandbox/vnpay?**'), page.getByRole('button', { name: 'Thanh toán 10.000 đồng qua VNPay' }).click()]);
  t.is(await page.textContent('h1'), 'Cổng thanh toán thử nghiệm');
  t.is((await page.textContent('[data-testid=sandbox-amount]'))!.trim(), '10.000 đồng');
  t.regex((await page.textContent('[data-testid=sandbox-order]'))!, /Nop phi ho so/);
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the gateway page fits 360 px');

  await Promise.all([page.waitForURL('**/payments/vnpay/return?**'), page.getByRole('button', { name: 'Thanh toán thành công' }).click()]);
  t.is(await page.textContent('h1'), 'Kết quả thanh toán');
  t.is((await page.textContent('[data-testid=return-status]'))!.trim(), `Thanh toán thành công 10.000 đồng cho hồ sơ ${d.code}.`);

  await Promise.all([page.waitForURL(`**/dossiers/${d.id}/payment`), page.getByRole('link', { name: 'Xem trang thanh toán của hồ sơ' }).click()]);
  const paid = (await page.textContent('[data-testid=pay-paid]'))!;
  t.regex(paid, /Đã thanh toán/);
  t.regex(paid, /10\.000 đồng lúc \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
  t.regex(paid, /Số biên lai: BL-/);
  t.is(await page.getByRole('button', { name: /Thanh toán .* qua VNPay/ }).count(), 0);
  await page.screenshot({ path: '/tmp/payments-paid-360.png', fullPage: true });

  const href = await page.getByRole('link', { name: 'Tải biên lai (PDF)' }).getAttribute('href');
  const receipt = await page.request.get(href!);
  t.is(receipt.status(), 200);
  t.is(receipt.headers()['content-type'], 'application/pdf');
  t.is((await receipt.body()).subarray(0, 5).toString(), '%PDF-');
  await page.close();
});

test.serial('a payment cancelled at the gateway shows as failed and the citizen may pay again', async (t) => {
  const d = await receivedDossier();
  const page = await b.newPage();
  await loginAs(page, citizen.username);
  await page.goto(`/dossiers/${d.id}/payment`);
  await Promise.all([page.waitForURL('**/payments/sandbox/vnpay?**'), page.getByRole('button', { name: 'Thanh toán 10.000 đồng qua VNPay' }).click()]);
  await page.screenshot({ path: '/tmp/payments-sandbox.png', fullPage: true });
  await Promise.all([page.waitForURL('**/payments/vnpay/return?**'), page.getByRole('button', { name: 'Hủy / thanh toán thất bại' }).click()]);
  t.is((await page.textContent('[data-testid=return-status]'))!.trim(), 'Thanh toán không thành công hoặc đã bị hủy. Bạn có thể thanh toán lại.');
  await Promise.all([page.waitForURL(`**/dossiers/${d.id}/payment`), page.getByRole('link', { name: 'Xem trang thanh toán của hồ sơ' }).click()]);
  t.regex((await page.textContent('[data-testid=pay-failed]'))!, /Lần thanh toán trước không thành công/);
  t.is(await page.getByRole('button', { name: 'Thanh toán 10.000 đồng qua VNPay' }).count(), 1);
  await page.close();
});

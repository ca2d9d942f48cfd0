// On a 360 px phone the form builder, the form entry and the cockpit fit the screen (no sideways scrolling)
// and pass axe's WCAG 2.2 AA rules: the browser helper checks every page these tests load.
import test from 'ava';
import { build } from 'esbuild';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { expectAccessible } from '../helpers/a11y.ts';
import { startProcess } from '../../src/engine/runtime.ts';

let b: BrowserApp;
const shots = process.env.A11Y_SHOTS;

test.before(async () => {
  await build({ entryPoints: ['src/web/client/form-entry.ts', 'src/web/client/form-builder.ts'], bundle: true, format: 'esm', target: 'es2020', outdir: 'public/build', logLevel: 'warning' });
  b = await startBrowserApp({ orgs: false });
  await makeUser('designer', null, { username: 'thietke.dt' });
  await makeUser('officer', null, { username: 'canbo.dt' });
  await makeUser('admin', null, { username: 'quantri.dt' });
});
test.after.always(async () => {
  await b?.close();
});

test.serial('on a phone a designer builds and publishes a form and an officer fills it, without sideways scrolling', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'thietke.dt');
  await page.goto('/forms');
  await page.fill('#new-key', 'bao-cao-dt');
  await page.fill('#new-code', 'Biểu số T2');
  await page.fill('#new-name', 'Báo cáo lao động trên điện thoại');
  await Promise.all([page.waitForURL('**/forms/bao-cao-dt/edit'), page.click('[data-testid="create-form"] button[type=submit]')]);
  await page.waitForSelector('#builder-root[data-live="ready"]');
  await page.click('[data-testid="add-field-chung"]');
  await page.fill('[data-path="sections.0.fields.0.label"]', 'Người lập biểu');
  await page.selectOption('[data-path="sections.0.fields.0.type"]', 'text');
  await page.click('[data-testid="add-table-chung"]');
  await page.fill('[data-path="sections.0.tables.0.columns.0.label"]', 'Số lao động');
  for (let i = 0; i < 3; i++) await page.click('[data-testid="add-row-bang1"]');
  await page.fill('[data-path="sections.0.tables.0.rows.0.name"]', 'Tổng số');
  await page.fill('[data-path="sections.0.tables.0.rows.1.name"]', 'Nam');
  await page.fill('[data-path="sections.0.tables.0.rows.2.name"]', 'Nữ');
  await page.fill('[data-path="sections.0.tables.0.rows.0.formula"]', 'r2 + r3');
  await page.click('[data-testid="add-rule"]');
  await page.fill('[data-path="rules.0.expression"]', 'r1.c1 <= 100');
  await page.fill('[data-path="rules.0.message"]', 'Tổng số lao động không được vượt quá 100');
  // The builder draws rows and rules in the browser: check it as it is now.
  await expectAccessible(page, { label: 'builder with a table and a rule' });
  if (shots) await page.screenshot({ path: `${shots}/builder-360.png`, fullPage: true });
  t.regex(await page.textContent('[data-testid="builder-problems"]') ?? '', /Không có lỗi/);
  await Promise.all([page.waitForURL('**/edit?done=saved'), page.click('[data-testid="save-definition"]')]);
  await Promise.all([page.waitForURL('**/edit?done=published**'), page.click('[data-testid="publish"]')]);
  t.regex(await page.textContent('[data-testid="form-status"]') ?? '', /Đã ban hành/);
  await page.context().close();

  const officer = await b.newPage({ phone: true });
  await loginAs(officer, 'canbo.dt');
  await officer.goto('/forms/bao-cao-dt/fill?period=2025-02');
  await officer.waitForSelector('#entry-form[data-live="ready"]');
  await officer.getByLabel('Người lập biểu').fill('Nguyễn Thị Lan');
  await officer.fill('[id="in-r2.c1"]', '60');
  await officer.fill('[id="in-r3.c1"]', '50');
  t.is(await officer.textContent('[data-computed="r1.c1"]'), '110');
  t.regex(await officer.textContent('[data-testid="entry-summary"]') ?? '', /không được vượt quá 100/);
  await expectAccessible(officer, { label: 'entry with a broken rule' });
  // A table wider than the phone scrolls inside its own region, which is named and reachable by keyboard.
  const region = officer.locator('.table-wrap[role="region"][tabindex="0"]');
  t.is(await region.count(), 1);
  t.truthy(await region.getAttribute('aria-label'));
  if (shots) await officer.screenshot({ path: `${shots}/entry-360.png`, fullPage: true });
  await officer.fill('[id="in-r3.c1"]', '30');
  await Promise.all([officer.waitForURL('**done=draft'), officer.click('[data-testid="save-draft"]')]);
  t.is(await officer.textContent('[data-computed="r1.c1"]'), '90');
  t.is(await officer.getByLabel('Người lập biểu').inputValue(), 'Nguyễn Thị Lan');
  await officer.context().close();
});

test.serial('on a phone an admin reads the cockpit without sideways scrolling', async (t) => {
  // A running instance with long variable values, as real dossiers carry.
  await startProcess('Process_sampleApproval', { businessKey: 'HS-2025-000123', startedBy: 'quantri.dt', variables: { amount: 250, applicant: 'Công ty TNHH Thương mại Dịch vụ Xuất nhập khẩu Sài Gòn', note: 'x'.repeat(300) } });
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'quantri.dt');
  await page.goto('/engine');
  t.is(await page.locator('h1').count(), 1);
  if (shots) await page.screenshot({ path: `${shots}/cockpit-360.png`, fullPage: true });
  t.is(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  // The definition page (with its diagram) and the instance list fit too.
  await Promise.all([page.waitForURL('**/engine/definitions/**'), page.getByRole('link', { name: 'Process_sampleApproval' }).click()]);
  t.regex(await page.locator('h1').textContent() ?? '', /\S/);
  if (shots) await page.screenshot({ path: `${shots}/definition-360.png`, fullPage: true });
  await page.goto('/engine');
  await Promise.all([page.waitForURL('**/engine/instances'), page.getByRole('link', { name: 'Các phiên quy trình' }).click()]);
  if (shots) await page.screenshot({ path: `${shots}/instances-360.png`, fullPage: true });
  t.is(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  await Promise.all([page.waitForURL('**/engine/instances/*'), page.getByRole('link', { name: 'HS-2025-000123' }).click()]);
  t.regex(await page.locator('[data-testid="instance-variables"]').textContent() ?? '', /Sài Gòn/);
  if (shots) await page.screenshot({ path: `${shots}/instance-360.png`, fullPage: true });
  t.is(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  await page.context().close();
});

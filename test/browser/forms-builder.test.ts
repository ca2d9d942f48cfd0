import test from 'ava';
import { build } from 'esbuild';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';

let b: BrowserApp;

test.before(async () => {
  // Bundle this page's islands the way `npm run build:client` does, without depending on other islands.
  await build({ entryPoints: ['src/web/client/form-entry.ts', 'src/web/client/form-builder.ts'], bundle: true, format: 'esm', target: 'es2020', outdir: 'public/build', logLevel: 'warning' });
  b = await startBrowserApp({ orgs: false });
  await makeUser('designer', null, { username: 'thietke.bieu' });
  await makeUser('officer', null, { username: 'canbo.nhap' });
});
test.after.always(async () => {
  await b?.close();
});

test.serial('a designer builds a form with a formula and a rule, previews it and publishes it; an officer sees the total and the rule message', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'thietke.bieu');
  await page.goto('/forms');
  await page.fill('#new-key', 'bao-cao-nho');
  await page.fill('#new-code', 'Biểu số T1');
  await page.fill('#new-name', 'Báo cáo lao động nhỏ');
  await Promise.all([page.waitForURL('**/forms/bao-cao-nho/edit'), page.click('[data-testid="create-form"] button[type=submit]')]);
  await page.waitForSelector('#builder-root[data-live="ready"]');

  await page.click('[data-testid="add-table-chung"]');
  await page.fill('[data-path="sections.0.tables.0.columns.0.label"]', 'Số lao động');
  for (let i = 0; i < 3; i++) await page.click('[data-testid="add-row-bang1"]');
  await page.fill('[data-path="sections.0.tables.0.rows.0.name"]', 'Tổng số');
  await page.fill('[data-path="sections.0.tables.0.rows.1.name"]', 'Nam');
  await page.fill('[data-path="sections.0.tables.0.rows.2.name"]', 'Nữ');
  // A wrong reference is flagged at once, next to the formula.
  await page.fill('[data-path="sections.0.tables.0.rows.0.formula"]', 'r2 + r9');
  t.regex(await page.textContent('[data-err-for="row:r1"]') ?? '', /"r9"/);
  await page.fill('[data-path="sections.0.tables.0.rows.0.formula"]', 'r2 + r3');
  t.is((await page.textContent('[data-err-for="row:r1"]'))?.trim(), '');
  await page.click('[data-testid="add-rule"]');
  await page.fill('[data-path="rules.0.expression"]', 'r1.c1 <= 100');
  await page.fill('[data-path="rules.0.message"]', 'Tổng số lao động không được vượt quá 100');
  t.regex(await page.textContent('[data-testid="builder-problems"]') ?? '', /Không có lỗi/);
  await Promise.all([page.waitForURL('**/edit?done=saved'), page.click('[data-testid="save-definition"]')]);

  await Promise.all([page.waitForURL('**/preview**'), page.click('[data-testid="preview-link"]')]);
  await page.waitForSelector('#entry-form[data-live="ready"]');
  await page.fill('[id="in-r2.c1"]', '7');
  await page.fill('[id="in-r3.c1"]', '5');
  t.is(await page.textContent('[data-computed="r1.c1"]'), '12');

  await page.goto('/forms/bao-cao-nho/edit');
  await Promise.all([page.waitForURL('**/edit?done=published**'), page.click('[data-testid="publish"]')]);
  t.regex(await page.textContent('[data-testid="form-status"]') ?? '', /Đã ban hành/);

  const officer = await b.newPage();
  await loginAs(officer, 'canbo.nhap');
  await officer.goto('/forms/bao-cao-nho/fill?period=2025-02');
  await officer.waitForSelector('#entry-form[data-live="ready"]');
  await officer.fill('[id="in-r2.c1"]', '60');
  t.is(await officer.textContent('[data-computed="r1.c1"]'), '');
  await officer.fill('[id="in-r3.c1"]', '50');
  t.is(await officer.textContent('[data-computed="r1.c1"]'), '110');
  t.regex(await officer.textContent('[data-testid="entry-summary"]') ?? '', /Tổng số lao động không được vượt quá 100/);
  t.regex(await officer.textContent('[data-msg="r1.c1"]') ?? '', /không được vượt quá 100/);
  await officer.fill('[id="in-r3.c1"]', '30');
  t.is(await officer.textContent('[data-computed="r1.c1"]'), '90');
  t.notRegex(await officer.textContent('[data-testid="entry-summary"]') ?? '', /vượt quá 100/);
  await Promise.all([officer.waitForURL('**done=draft'), officer.click('[data-testid="save-draft"]')]);
  t.is(await officer.inputValue('[id="in-r2.c1"]'), '60');
  t.is(await officer.textContent('[data-computed="r1.c1"]'), '90');
  await officer.screenshot({ path: '/tmp/forms-officer.png', fullPage: true });
});

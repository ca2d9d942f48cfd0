// The public, on a phone, goes from the statistics to the Decision 766 rankings, sees the provinces with their
// scores, opens one province's score card and follows the points it lost on timeliness to the late dossiers behind
// them; in English the same card reads in English.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startBrowserApp, type BrowserApp } from '../helpers/browser.ts';
import { importProcedures } from '../../src/catalog/import.ts';
import { seedRankingDemo } from '../../src/insight/rankings-seed.ts';
import { missedItems, parsePeriod } from '../../src/insight/rankings.ts';
import { repoRoot } from '../helpers/server.ts';

let b: BrowserApp;

test.before(async () => {
  b = await startBrowserApp();
  await importProcedures(fs.readFileSync(path.join(repoRoot, 'seed/procedures-common.csv')), null);
  await seedRankingDemo();
});

test.after.always(async () => {
  await b?.close();
});

test.serial('the public opens the rankings, a province and the late dossiers that cost it points, at 360 px', async (t) => {
  const page = await b.newPage({ phone: true });
  await page.goto('/thong-ke');
  await Promise.all([page.waitForURL('**/xep-hang?period=*'), page.getByTestId('rankings-link').click()]);
  t.is(await page.textContent('h1'), 'Bộ chỉ số phục vụ người dân, doanh nghiệp');
  t.regex((await page.getByTestId('rk-period').textContent())!, /Năm \d{4}/);
  const provinces = page.locator('[data-testid=rk-provinces] tbody tr');
  t.is(await provinces.count(), 34);
  // The first row is ranked 1 and has a score out of 100.
  const first = provinces.first();
  t.is((await first.locator('td').first().textContent())!.trim().replace(/^Hạng/, ''), '1');
  const name = (await first.locator('td').nth(1).textContent())!.trim();
  t.regex((await first.locator('td[data-col=score]').textContent())!, /\d/);
  t.true((await page.locator('[data-testid=rk-ministries]').textContent())!.includes('Bộ Tư pháp'));
  await page.locator('#rk-chart-provinces svg').waitFor();
  t.true((await page.locator('#rk-chart-provinces').textContent())!.includes('Tiến độ, kết quả giải quyết'));
  await page.screenshot({ path: '/tmp/stats-bench/insight-rankings-360.png', fullPage: true });

  // The province with the most late dossiers in its card: open the one a citizen sees in the list.
  const hanoi = provinces.filter({ hasText: 'Thành phố Hà Nội' });
  await Promise.all([page.waitForURL(/\/xep-hang\/01\?/), hanoi.getByRole('link', { name: 'Thành phố Hà Nội' }).click()]);
  t.is(await page.textContent('h1'), 'Thành phố Hà Nội');
  t.regex((await page.getByTestId('rk-summary').textContent())!, /\/ 100 điểm · Hạng \d+ trong các tỉnh, thành phố/);
  const onTime = page.locator('tr[data-indicator=onTime]');
  t.true((await onTime.textContent())!.includes('Hồ sơ giải quyết đúng hạn'));
  const link = onTime.locator('td[data-col=lost] a');
  const linkText = (await link.textContent())!;
  const m = /— (\d+) hồ sơ/.exec(linkText);
  t.truthy(m, linkText);
  const n = Number(m![1]);
  t.true(n > 0);
  await page.screenshot({ path: '/tmp/stats-bench/insight-rankings-unit-360.png', fullPage: true });

  await Promise.all([page.waitForURL(/\/xep-hang\/01\/onTime/), link.click()]);
  t.is(await page.textContent('h1'), 'Hồ sơ giải quyết đúng hạn');
  t.regex((await page.getByTestId('rk-explain').textContent())!, new RegExp(`^${n} trong \\d+ hồ sơ giải quyết trong kỳ bị quá hạn: mất`));
  t.true((await page.locator('[data-testid=rk-items] caption').textContent())!.includes(`${n} mục làm mất điểm`));
  const shown = await page.locator('[data-testid=rk-items] tbody tr td:first-child').allTextContents();
  const expected = (await missedItems('01', 'onTime', parsePeriod(''))).items.map((i) => i.code);
  t.deepEqual(shown.map((s) => s.trim()), expected);
  t.true(shown.every((c) => c.startsWith('DEMO-')));
  await page.screenshot({ path: '/tmp/stats-bench/insight-rankings-drill-360.png', fullPage: true });
  t.not(name, '');

  await page.getByRole('button', { name: 'EN' }).click();
  await page.waitForLoadState('load');
  t.is(await page.textContent('h1'), 'Dossiers resolved on time');
  t.regex((await page.getByTestId('rk-explain').textContent())!, new RegExp(`^${n} of \\d+ dossiers resolved in the period were late`));
  await page.context().close();
});

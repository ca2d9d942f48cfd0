// Satisfaction ratings in Chromium at phone width: the demo citizen rates the finished demo dossier from its page
// and sees the thank-you and the answers; an anonymous visitor rates another dossier by its code and the last
// digits of the phone, answers "không hài lòng" on one criterion and sees the number of the feedback case it opened.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { receivedDossier } from '../helpers/dossier-handling.ts';
import { DEMO_USERS } from '../../src/seed.ts';
import { createUser, loadViewerByUsername } from '../../src/auth/service.ts';
import { seedProcedures } from '../../src/catalog/service.ts';
import { seedDemoDossiers } from '../../src/dossiers/seed.ts';
import { seedHandling } from '../../src/dossiers/seed-handling.ts';
import { acceptDossier, completeHandling, decideDossier, issueResult, returnResult } from '../../src/dossiers/handling.ts';
import { Dossier } from '../../src/dossiers/models.ts';
import { runDueJobs } from '../../src/engine/service.ts';
import { DossierRating, FeedbackCase } from '../../src/feedback/models.ts';
import { RATING_CRITERIA } from '../../src/feedback/ratings.ts';
import type { Viewer } from '../../src/access/index.ts';

const noSideScroll = (page: import('playwright-core').Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

let b: BrowserApp;
let citizen: Viewer;

test.before(async () => {
  execFileSync(process.execPath, ['scripts/build-client.js'], { stdio: 'ignore' });
  b = await startBrowserApp();
  // The demo users and the demo dossiers as `govflow seed` makes them (the reporting demo is not needed here).
  await seedProcedures();
  for (const u of DEMO_USERS) await createUser({ username: u.username, fullName: u.fullName, email: u.email, password: u.password, orgCode: u.orgCode, roles: [{ role: u.role, orgCode: u.roleOrg }] }, null);
  await seedDemoDossiers();
  await seedHandling();
  citizen = (await loadViewerByUsername('congdan@example.vn'))!.viewer;
});
test.after.always(async () => {
  await b?.close();
});

/** Chooses a level (by its words on the page) for every criterion, some chosen otherwise. */
async function answerAll(page: import('playwright-core').Page, level: string, overrides: Record<string, string> = {}): Promise<void> {
  for (const c of RATING_CRITERIA) {
    await page.locator(`fieldset[data-criterion="${c}"]`).getByLabel(overrides[c] ?? level, { exact: true }).check();
  }
}

test.serial('the demo citizen rates the finished demo dossier from its page and sees the thank-you and the answers', async (t) => {
  const done = await Dossier.findOne({ where: { ownerUserId: citizen.userId, status: 'done' } });
  t.truthy(done, 'the demo seed has a finished dossier');
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'congdan@example.vn', 'GovflowDemo2025');
  await page.goto(`/dossiers/${done!.id}`);
  t.regex((await page.textContent('[data-testid=rating-cta]'))!, /Hồ sơ đã có kết quả/);
  await Promise.all([page.waitForURL(`**/dossiers/${done!.id}/rate`), page.getByRole('link', { name: 'Đánh giá', exact: true }).click()]);
  t.is(await page.textContent('h1'), `Đánh giá mức độ hài lòng — hồ sơ ${done!.code}`);
  t.true(await noSideScroll(page), 'the form fits 360 px');

  // Sending with a criterion left out keeps the choices and names what is missing (the browser's own check is off here).
  await answerAll(page, 'Rất hài lòng', { timeliness: 'Hài lòng' });
  await page.getByLabel('Ý kiến khác (không bắt buộc)').fill('Cán bộ một cửa hướng dẫn rất tận tình.');
  await page.evaluate(() => document.querySelector('form.stack')?.setAttribute('novalidate', ''));
  await page.locator('fieldset[data-criterion="onlineService"] input:checked').evaluate((el) => { (el as HTMLInputElement).checked = false; });
  await page.getByRole('button', { name: 'Gửi đánh giá' }).click();
  await page.waitForSelector('[data-testid=form-errors]');
  t.regex((await page.textContent('[data-testid=form-errors]'))!, /Hãy chọn mức độ hài lòng cho tiêu chí "Chất lượng dịch vụ công trực tuyến"/);
  t.true(await page.locator('fieldset[data-criterion="timeliness"]').getByLabel('Hài lòng', { exact: true }).isChecked(), 'the choices stay');

  await page.locator('fieldset[data-criterion="onlineService"]').getByLabel('Rất hài lòng', { exact: true }).check();
  await Promise.all([page.waitForURL('**/rate?done=1'), page.getByRole('button', { name: 'Gửi đánh giá' }).click()]);
  t.regex((await page.textContent('[data-testid=rating-thanks]'))!, /Cảm ơn bạn đã đánh giá/);
  const answers = (await page.textContent('[data-testid=rating-answers]'))!;
  t.regex(answers, /Mức độ hài lòng chung về việc giải quyết hồ sơ\s*Rất hài lòng/);
  t.regex(answers, /Tính kịp thời, đúng hẹn khi giải quyết hồ sơ\s*Hài lòng/);
  t.regex(answers, /Cán bộ một cửa hướng dẫn rất tận tình\./);
  t.is(await page.locator('[data-testid=rating-case]').count(), 0, 'a satisfied rating opens no case');
  t.true(await noSideScroll(page));

  await page.getByRole('link', { name: 'Về trang hồ sơ' }).click();
  await page.waitForSelector('[data-testid=rating-given]');
  t.regex((await page.textContent('[data-testid=rating-given]'))!, /Đã đánh giá[\s\S]*Rất hài lòng/);
  t.is(await page.locator('[data-testid=rating-cta]').count(), 0, 'no second rating is offered');
  t.is((await DossierRating.findOne({ where: { dossierId: done!.id } }))?.via, 'account');
  await page.context().close();
});

test.serial('an anonymous visitor rates a dossier by code, "không hài lòng" on one criterion, and sees the new feedback case number', async (t) => {
  const [officer, leader] = await Promise.all(['canbo.xa', 'lanhdao.xa'].map(async (u) => (await loadViewerByUsername(u))!.viewer));
  const d = await receivedDossier(citizen, '1.000894');
  await Dossier.update({ applicantPhone: '0977 123 456' }, { where: { id: d.id } });
  // The listening server's own job runner may be the one starting the handling process: wait for its first task.
  for (let i = 0; ; i++) {
    try {
      await acceptDossier(officer, d.id);
      break;
    } catch (err) {
      if (i >= 100 || (err as { code?: string }).code !== 'dossiers.handling.notReady') throw err;
      await runDueJobs();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await completeHandling(officer, d.id);
  await decideDossier(leader, d.id, { decision: 'approved' });
  await issueResult(officer, d.id);
  await returnResult(officer, d.id, { method: 'counter' });

  const page = await b.newPage({ phone: true });
  await page.goto('/danh-gia');
  t.is(await page.textContent('h1'), 'Đánh giá mức độ hài lòng');
  await page.getByLabel('Mã hồ sơ').fill(d.code!);
  await page.getByLabel('Mã xác nhận').fill('9999');
  await answerAll(page, 'Hài lòng', { attitude: 'Không hài lòng' });
  await page.getByRole('button', { name: 'Gửi đánh giá' }).click();
  await page.waitForSelector('[data-testid=form-errors]');
  t.regex((await page.textContent('[data-testid=form-errors]'))!, /Không tìm thấy hồ sơ/);
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 0);

  await page.getByLabel('Mã xác nhận').fill('3456');
  await page.getByRole('button', { name: 'Gửi đánh giá' }).click();
  await page.waitForSelector('[data-testid=rating-thanks]');
  t.regex((await page.textContent('[data-testid=rating-thanks]'))!, /Cảm ơn bạn đã đánh giá/);
  t.regex((await page.textContent('[data-testid=rating-answers]'))!, /Thái độ phục vụ của cán bộ, công chức\s*Không hài lòng/);
  const rating = (await DossierRating.findOne({ where: { dossierId: d.id } }))!;
  const c = (await FeedbackCase.findByPk(rating.feedbackCaseId!))!;
  t.is(c.dossierId, d.id);
  t.is((await page.textContent('[data-testid=rating-case]'))!.includes(`Phản ánh số ${c.code} đã được tạo`), true);
  t.true(await noSideScroll(page), 'the public page fits 360 px');
  await page.context().close();
});

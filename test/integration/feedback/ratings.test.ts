// Satisfaction ratings on a real database, through the pages and the API: the owner rates a dossier once it has
// its result, once only (also under two posts at the same time); an unsatisfied answer opens a feedback case
// linked to the dossier; anyone with the dossier code and the second factor rates without an account; the public
// statistics count the rating.
import test from 'ava';
import { startApp, makeUser, login, anonymous, call, type TestApp, type Session } from '../../helpers/server.ts';
import { receivedDossier } from '../../helpers/dossier-handling.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { seedProcedures } from '../../../src/catalog/service.ts';
import { deployShippedProcesses } from '../../../src/engine/service.ts';
import { acceptDossier, completeHandling, decideDossier, issueResult, returnResult } from '../../../src/dossiers/handling.ts';
import { Dossier } from '../../../src/dossiers/models.ts';
import { DossierRating, FeedbackCase } from '../../../src/feedback/models.ts';
import { RATING_CRITERIA } from '../../../src/feedback/ratings.ts';
import { rebuildStatistics } from '../../../src/insight/service.ts';
import type { Viewer } from '../../../src/access/index.ts';

let app: TestApp;
let citizen: Viewer;
let officer: Viewer;
let leader: Viewer;
let sessions: Record<'citizen' | 'other' | 'officer', Session>;
let ipCounter = 20;

/** Đăng ký kết hôn: handled the same day, result an unsigned notice (no certificate needed to issue it). */
const PROCEDURE = '1.000894';

test.before(async () => {
  app = await startApp({ env: { TRACKING_RATE_PER_IP: '100', TRACKING_RATE_PER_CODE: '100' } });
  await seedProcedures();
  await deployShippedProcesses();
  citizen = await loadViewer(await makeUser('citizen', null, { username: 'danhgia.congdan', fullName: 'Phạm Thị Đánh Giá' }));
  officer = await loadViewer(await makeUser('officer', '00004', { username: 'danhgia.canbo' }));
  leader = await loadViewer(await makeUser('leader', '00004', { username: 'danhgia.lanhdao' }));
  await makeUser('citizen', null, { username: 'danhgia.nguoikhac' });
  sessions = { citizen: await login(app.server, 'danhgia.congdan'), other: await login(app.server, 'danhgia.nguoikhac'), officer: await login(app.server, 'danhgia.canbo') };
});
test.after.always(async () => app?.close());

function nextIp(): string {
  ipCounter++;
  return `10.9.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`;
}

/** A dossier of the citizen handed back with its result (status `done`), with the applicant's phone. */
async function doneDossier(phone = '0987654321'): Promise<Dossier> {
  const d = await receivedDossier(citizen, PROCEDURE);
  await Dossier.update({ applicantPhone: phone }, { where: { id: d.id } });
  await acceptDossier(officer, d.id);
  await completeHandling(officer, d.id, { note: 'Đủ điều kiện' });
  await decideDossier(leader, d.id, { decision: 'approved' });
  await issueResult(officer, d.id);
  await returnResult(officer, d.id, { method: 'counter' });
  const done = (await Dossier.findByPk(d.id))!;
  if (done.status !== 'done') throw new Error(`dossier ${d.id} is ${done.status}, not done`);
  return done;
}

/** Every criterion at one level, some overridden. */
function answers(level: string, overrides: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(RATING_CRITERIA.map((c) => [c, level])), ...overrides };
}

const rateApi = (session: Session, id: number, body: unknown) => call(app.server, session, 'POST', `/api/dossiers/${id}/rating`, body);
const ratePublic = (body: unknown, ip = nextIp()) => app.server.inject({ method: 'POST', url: '/api/ratings', payload: body as object, remoteAddress: ip });

test.serial('the owner rates a dossier with its result once; a second rating is 409 with a clear message', async (t) => {
  const d = await doneDossier();
  let page = await call(app.server, sessions.citizen, 'GET', `/dossiers/${d.id}`);
  t.true(page.payload.includes('data-testid="rating-cta"'));
  t.true(page.payload.includes(`/dossiers/${d.id}/rate`));

  let res = await rateApi(sessions.citizen, d.id, { answers: answers('very_satisfied', { timeliness: 'satisfied' }), comment: 'Cán bộ hướng dẫn tận tình.' });
  t.is(res.statusCode, 201, res.payload);
  const body = JSON.parse(res.payload) as { overall: string; answers: Record<string, string>; feedbackCase: unknown };
  t.is(body.overall, 'very_satisfied');
  t.is(body.answers.timeliness, 'satisfied');
  t.is(body.feedbackCase, null);
  const row = (await DossierRating.findOne({ where: { dossierId: d.id } }))!;
  t.like(row.get({ plain: true }), { via: 'account', userId: citizen.userId, overall: 'very_satisfied', orgCode: '00004', procedureCode: PROCEDURE, feedbackCaseId: null, comment: 'Cán bộ hướng dẫn tận tình.' });

  res = await rateApi(sessions.citizen, d.id, { answers: answers('unsatisfied') });
  t.is(res.statusCode, 409);
  t.is(JSON.parse(res.payload).code, 'ratings.already');
  t.regex(JSON.parse(res.payload).message, /đã được đánh giá/);
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 1);
  t.is(await FeedbackCase.count({ where: { dossierId: d.id } }), 0);

  page = await call(app.server, sessions.citizen, 'GET', `/dossiers/${d.id}`);
  t.false(page.payload.includes('data-testid="rating-cta"'));
  t.true(page.payload.includes('Đã đánh giá'));
  t.true(page.payload.includes('Cán bộ hướng dẫn tận tình.'));
});

test.serial('two ratings posted at the same time: one is kept, the other gets 409', async (t) => {
  const d = await doneDossier();
  const [a, b] = await Promise.all([
    rateApi(sessions.citizen, d.id, { answers: answers('satisfied') }),
    rateApi(sessions.citizen, d.id, { answers: answers('unsatisfied') }),
  ]);
  t.deepEqual([a.statusCode, b.statusCode].sort(), [201, 409], `${a.payload} ${b.payload}`);
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 1);
  const kept = (await DossierRating.findOne({ where: { dossierId: d.id } }))!;
  // A case exists exactly when the kept rating was the unsatisfied one: the loser left nothing behind.
  t.is(await FeedbackCase.count({ where: { dossierId: d.id } }), kept.overall === 'unsatisfied' ? 1 : 0);
});

test.serial('two forms posted at the same time through the owner page: one thank-you, one refusal', async (t) => {
  const d = await doneDossier();
  const form = { ...answers('satisfied') };
  const [a, b] = await Promise.all([
    call(app.server, sessions.citizen, 'POST', `/dossiers/${d.id}/rate`, form),
    call(app.server, sessions.citizen, 'POST', `/dossiers/${d.id}/rate`, form),
  ]);
  t.deepEqual([a.statusCode, b.statusCode].sort(), [302, 409]);
  const refused = a.statusCode === 409 ? a : b;
  t.true(refused.payload.includes('Mỗi hồ sơ chỉ được đánh giá một lần'));
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 1);
});

test.serial('a dossier without its result cannot be rated and shows no rate button', async (t) => {
  const d = await receivedDossier(citizen, PROCEDURE);
  await acceptDossier(officer, d.id);
  const res = await rateApi(sessions.citizen, d.id, { answers: answers('satisfied') });
  t.is(res.statusCode, 409);
  t.is(JSON.parse(res.payload).code, 'ratings.notYet');
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 0);
  const page = await call(app.server, sessions.citizen, 'GET', `/dossiers/${d.id}`);
  t.false(page.payload.includes('data-testid="rating-cta"'));
  const ratePage = await call(app.server, sessions.citizen, 'GET', `/dossiers/${d.id}/rate`);
  t.is(ratePage.statusCode, 200);
  t.true(ratePage.payload.includes('Hồ sơ chưa có kết quả giải quyết'));
  t.false(ratePage.payload.includes('name="overall"'));
});

test.serial('a refused dossier has its result too and can be rated', async (t) => {
  const d = await receivedDossier(citizen, PROCEDURE);
  await acceptDossier(officer, d.id);
  await completeHandling(officer, d.id);
  await decideDossier(leader, d.id, { decision: 'refused', reason: 'Hồ sơ không đủ điều kiện đăng ký.' });
  t.is((await Dossier.findByPk(d.id))!.status, 'refused');
  const res = await rateApi(sessions.citizen, d.id, { answers: answers('satisfied') });
  t.is(res.statusCode, 201, res.payload);
});

test.serial('an unsatisfied answer opens a feedback case linked to the dossier, at its agency, with its flow started', async (t) => {
  const d = await doneDossier();
  const res = await rateApi(sessions.citizen, d.id, { answers: answers('satisfied', { attitude: 'unsatisfied', contacts: 'unsatisfied' }), comment: 'Phải đến bộ phận một cửa ba lần.' });
  t.is(res.statusCode, 201, res.payload);
  const body = JSON.parse(res.payload) as { overall: string; feedbackCase: { code: string } };
  t.is(body.overall, 'satisfied');
  t.regex(body.feedbackCase.code, /^PAKN-\d{6}-[A-Z0-9]{6}$/);
  const rating = (await DossierRating.findOne({ where: { dossierId: d.id } }))!;
  const c = (await FeedbackCase.findByPk(rating.feedbackCaseId!))!;
  t.like(c.get({ plain: true }), { code: body.feedbackCase.code, source: 'rating', dossierId: d.id, dossierCode: d.code, orgCode: '00004', status: 'received', submitterUserId: citizen.userId });
  t.truthy(c.instanceId, 'the case goes through processes/feedback-handling.bpmn');
  t.true(c.content.includes('Thái độ phục vụ của cán bộ, công chức'));
  t.true(c.content.includes('Số lần phải liên hệ với cơ quan'));
  t.true(c.content.includes('Phải đến bộ phận một cửa ba lần.'));
  // The agency's officer finds it in the queue; the citizen's page names the case.
  const queue = await call(app.server, sessions.officer, 'GET', '/feedback');
  t.true(queue.payload.includes(c.code));
  const page = await call(app.server, sessions.citizen, 'GET', `/dossiers/${d.id}`);
  t.true(page.payload.includes(c.code));
});

test.serial('bad answers are refused with every problem named, and nothing is written', async (t) => {
  const d = await doneDossier();
  const bad = answers('satisfied', { ease: 'so-so' });
  delete (bad as Record<string, string | undefined>).publicity;
  let res = await rateApi(sessions.citizen, d.id, { answers: { ...bad, nonsense: 'satisfied' }, comment: 'x'.repeat(2001) });
  t.is(res.statusCode, 422);
  const err = JSON.parse(res.payload) as { details: Array<{ field: string; code: string }> };
  t.deepEqual(err.details.map((x) => x.code).sort(), ['ratings.answerRequired', 'ratings.badLevel', 'ratings.commentTooLong', 'ratings.unknownCriterion']);
  res = await call(app.server, sessions.citizen, 'POST', `/dossiers/${d.id}/rate`, answers('satisfied', { onlineService: '' }));
  t.is(res.statusCode, 422);
  t.true(res.payload.includes('Hãy chọn mức độ hài lòng cho tiêu chí &quot;Chất lượng dịch vụ công trực tuyến&quot;'));
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 0);
});

test.serial('another citizen cannot rate or see the rating page of a dossier not theirs', async (t) => {
  const d = await doneDossier();
  let res = await rateApi(sessions.other, d.id, { answers: answers('unsatisfied') });
  t.is(res.statusCode, 404);
  res = await call(app.server, sessions.other, 'GET', `/dossiers/${d.id}/rate`);
  t.is(res.statusCode, 404);
  res = await call(app.server, sessions.other, 'POST', `/dossiers/${d.id}/rate`, answers('unsatisfied'));
  t.is(res.statusCode, 404);
  res = await call(app.server, sessions.officer, 'POST', `/api/dossiers/${d.id}/rating`, { answers: answers('satisfied') });
  t.is(res.statusCode, 404);
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 0);
});

test.serial('anyone rates by dossier code and the last 4 digits of the phone; a wrong factor and an unknown code get the same 401', async (t) => {
  const d = await doneDossier('0911222333');
  const wrong = await ratePublic({ code: d.code, factor: '0000', answers: answers('satisfied') });
  const unknown = await ratePublic({ code: d.code!.replace(/\d{4}$/, '9999'), factor: '2333', answers: answers('satisfied') });
  t.is(wrong.statusCode, 401);
  t.is(unknown.statusCode, 401);
  t.deepEqual(JSON.parse(wrong.payload), JSON.parse(unknown.payload));
  t.is(await DossierRating.count({ where: { dossierId: d.id } }), 0);

  // The page answers a wrong factor on the page itself (not with the login redirect of other 401s).
  const anon = await anonymous(app.server);
  let page = await app.server.inject({ method: 'POST', url: '/danh-gia', headers: { cookie: anon.cookie }, payload: { crumb: anon.crumb, code: d.code, factor: '1234', ...answers('satisfied') }, remoteAddress: nextIp() });
  t.is(page.statusCode, 401);
  t.true(page.payload.includes('data-testid="form-errors"'));

  const ok = await ratePublic({ code: d.code!.toLowerCase(), factor: '2333', answers: answers('very_satisfied', { overall: 'unsatisfied' }), comment: 'Chờ lâu.' });
  t.is(ok.statusCode, 201, ok.payload);
  const body = JSON.parse(ok.payload) as { dossierCode: string; overall: string; feedbackCase: { code: string } };
  t.is(body.dossierCode, d.code!);
  t.is(body.overall, 'unsatisfied');
  const row = (await DossierRating.findOne({ where: { dossierId: d.id } }))!;
  t.like(row.get({ plain: true }), { via: 'code', userId: null, overall: 'unsatisfied' });
  const c = (await FeedbackCase.findByPk(row.feedbackCaseId!))!;
  t.like(c.get({ plain: true }), { code: body.feedbackCase.code, dossierId: d.id, contactPhone: '0911222333', submitterUserId: null });

  page = await app.server.inject({ method: 'POST', url: '/danh-gia', headers: { cookie: anon.cookie }, payload: { crumb: anon.crumb, code: d.code, factor: '2333', ...answers('satisfied') }, remoteAddress: nextIp() });
  t.is(page.statusCode, 409);
  t.true(page.payload.includes('Mỗi hồ sơ chỉ được đánh giá một lần'));
});

test.serial('the public page rates a dossier and shows the thank-you with the answers', async (t) => {
  const d = await doneDossier('0909111222');
  const anon = await anonymous(app.server);
  const get = await app.server.inject({ url: `/danh-gia?code=${d.code}`, headers: { cookie: anon.cookie } });
  t.is(get.statusCode, 200);
  t.true(get.payload.includes(`value="${d.code}"`));
  const res = await app.server.inject({ method: 'POST', url: '/danh-gia', headers: { cookie: anon.cookie }, payload: { crumb: anon.crumb, code: d.code, factor: '1222', ...answers('satisfied', { overall: 'very_satisfied' }) }, remoteAddress: nextIp() });
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('Cảm ơn bạn đã đánh giá'));
  t.true(res.payload.includes('Rất hài lòng'));
  t.is((await DossierRating.findOne({ where: { dossierId: d.id } }))?.via, 'code');
});

test.serial('the public statistics count ratings by level and their satisfaction rate, equal to a recount', async (t) => {
  const today = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
  const stats = async () => {
    const res = await app.server.inject(`/api/statistics?from=${today}&to=${today}&org=00004`);
    t.is(res.statusCode, 200, res.payload);
    return (JSON.parse(res.payload) as { total: { rated: number; verySatisfied: number; satisfied: number; unsatisfied: number; satisfactionRate: number | null } }).total;
  };
  const before = await stats();
  const d1 = await doneDossier();
  const d2 = await doneDossier();
  t.is((await rateApi(sessions.citizen, d1.id, { answers: answers('very_satisfied') })).statusCode, 201);
  t.is((await rateApi(sessions.citizen, d2.id, { answers: answers('satisfied', { overall: 'unsatisfied' }) })).statusCode, 201);
  const after = await stats();
  t.is(after.rated - before.rated, 2);
  t.is(after.verySatisfied - before.verySatisfied, 1);
  t.is(after.unsatisfied - before.unsatisfied, 1);
  const ratings = await DossierRating.findAll();
  const good = ratings.filter((r) => r.overall !== 'unsatisfied').length;
  t.is(after.rated, ratings.length);
  t.is(after.satisfactionRate, Math.round((good / ratings.length) * 1000) / 10);
  const rebuilt = await rebuildStatistics({ dryRun: true });
  t.deepEqual(rebuilt.differences, []);
});

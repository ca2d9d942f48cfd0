// Tracking of dossiers: the public lookup behind a second factor (phone digits or an e-mailed one-time
// code) that answers a wrong factor and an unknown code alike, its rate limits, and the full view with
// the diagram for the owner and staff in scope only.
import test from 'ava';
import { startApp, makeUser, login, call, anonymous, type TestApp, type Session } from '../../helpers/server.ts';
import { deployTrackingProcess, moveToHandle, receivedDossier } from '../../helpers/tracking-dossiers.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';
import { runDueJobs } from '../../../src/engine/jobs.ts';
import type { Dossier } from '../../../src/dossiers/models.ts';

let app: TestApp;
let dossier: Dossier;
let owner: Session;
let otherCitizen: Session;
let wardOfficer: Session;
let hcmOfficer: Session;
let ipCounter = 0;
/** Each test speaks from its own client address, so the per-IP limit of one test does not spend another's. */
const fromIp = () => ({ 'x-forwarded-for': `203.0.113.${++ipCounter}` });

test.before(async () => {
  app = await startApp({ env: { TRUST_PROXY_HOPS: '1', TRACKING_RATE_PER_CODE: '12', TRACKING_RATE_PER_IP: '8' } });
  await deployTrackingProcess();
  const citizen = await makeUser('citizen', null, { username: 'congdan.theodoi' });
  await makeUser('citizen', null, { username: 'congdan.khac' });
  await makeUser('officer', '00004', { username: 'canbo.badinh' });
  await makeUser('officer', '79', { username: 'canbo.hcm.theodoi' });
  dossier = await receivedDossier({ ownerUserId: citizen.id, email: 'lan@example.vn' });
  await moveToHandle(dossier);
  owner = await login(app.server, 'congdan.theodoi');
  otherCitizen = await login(app.server, 'congdan.khac');
  wardOfficer = await login(app.server, 'canbo.badinh');
  hcmOfficer = await login(app.server, 'canbo.hcm.theodoi');
});
test.after.always(async () => {
  await app?.close();
});

test('the tracking API shows status, stage and the expected date after the last 4 digits of the phone', async (t) => {
  const res = await call(app.server, null, 'GET', `/api/tracking/${dossier.code}?factor=5678`, undefined, fromIp());
  t.is(res.statusCode, 200);
  const body = JSON.parse(res.payload);
  t.deepEqual(Object.keys(body).sort(), ['code', 'dueAt', 'dueText', 'stage', 'stageText', 'status', 'statusText']);
  t.is(body.code, dossier.code);
  t.is(body.status, 'processing');
  t.is(body.statusText, 'Đang xử lý');
  t.is(body.stage, 'handle');
  t.regex(body.dueAt, /\+07:00$/);
  t.false(res.payload.includes('Nguyễn Thị Lan'), 'the applicant is not named to an anonymous visitor');
});

test('a wrong factor and an unknown code get byte-identical 401 answers', async (t) => {
  const ip = fromIp();
  const wrong = await call(app.server, null, 'GET', `/api/tracking/${dossier.code}?factor=1234`, undefined, ip);
  const unknownCode = dossier.code!.replace(/\d{4}$/, '9999');
  const unknown = await call(app.server, null, 'GET', `/api/tracking/${unknownCode}?factor=1234`, undefined, ip);
  const otp = await call(app.server, null, 'GET', `/api/tracking/${unknownCode}?factor=123456`, undefined, ip);
  t.is(wrong.statusCode, 401);
  t.is(unknown.statusCode, 401);
  t.is(otp.statusCode, 401);
  t.is(wrong.payload, unknown.payload);
  t.is(wrong.payload, otp.payload);
  t.is(wrong.headers['content-type'], unknown.headers['content-type']);
  t.is(JSON.parse(wrong.payload).message, 'Không tìm thấy hồ sơ với mã và thông tin xác nhận này. Anh/chị kiểm tra lại mã hồ sơ và 4 số cuối điện thoại, hoặc xin mã gửi qua thư điện tử.');
});

test('the lookup page refuses a wrong factor and an unknown code with the same page', async (t) => {
  const anon = await anonymous(app.server);
  const ip = fromIp();
  const unknownCode = dossier.code!.replace(/\d{4}$/, '9998');
  const wrong = await call(app.server, anon, 'POST', '/tra-cuu-ho-so', { code: dossier.code, factor: '0000' }, ip);
  const unknown = await call(app.server, anon, 'POST', '/tra-cuu-ho-so', { code: unknownCode, factor: '0000' }, ip);
  t.is(wrong.statusCode, 401);
  t.is(unknown.statusCode, 401);
  t.true(wrong.payload.includes('Không tìm thấy hồ sơ với mã và thông tin xác nhận này'));
  // The pages differ only by the code the visitor typed, which the form shows back.
  t.is(wrong.payload.replaceAll(dossier.code!, 'CODE'), unknown.payload.replaceAll(unknownCode, 'CODE'));
  const right = await call(app.server, anon, 'POST', '/tra-cuu-ho-so', { code: dossier.code!.toLowerCase(), factor: '5678' }, ip);
  t.is(right.statusCode, 200);
  t.true(right.payload.includes('Đang xử lý'));
  t.true(right.payload.includes('Thẩm định, xử lý hồ sơ'));
});

test('a malformed code or factor is told what is expected, without counting as a lookup', async (t) => {
  const anon = await anonymous(app.server);
  const res = await call(app.server, anon, 'POST', '/tra-cuu-ho-so', { code: 'HS-1', factor: '12' }, fromIp());
  t.is(res.statusCode, 400);
  t.true(res.payload.includes('Mã hồ sơ có dạng 000.00.00.G11-261201-0001'));
  t.true(res.payload.includes('Nhập 4 số cuối điện thoại hoặc mã 6 số'));
  const api = await call(app.server, null, 'GET', '/api/tracking/HS-1?factor=1234', undefined, fromIp());
  t.is(api.statusCode, 400);
});

test('an e-mailed one-time code opens the lookup once, and asking for one answers the same for unknown codes', async (t) => {
  const anon = await anonymous(app.server);
  const ip = fromIp();
  const unknownCode = dossier.code!.replace(/\d{4}$/, '9997');
  const known = await call(app.server, anon, 'POST', '/tra-cuu-ho-so', { code: dossier.code, action: 'send-code' }, ip);
  const unknown = await call(app.server, anon, 'POST', '/tra-cuu-ho-so', { code: unknownCode, action: 'send-code' }, ip);
  t.is(known.statusCode, 200);
  t.is(known.payload.replaceAll(dossier.code!, 'CODE'), unknown.payload.replaceAll(unknownCode, 'CODE'));
  t.true(known.payload.includes('chúng tôi vừa gửi một mã 6 số'));
  await runDueJobs();
  const mails = await NotifyMessage.findAll({ where: { event: 'dossier-tracking-code' } });
  t.is(mails.length, 1, 'only the known code sends mail');
  t.is(mails[0].recipient, 'lan@example.vn');
  const otp = /: (\d{6})/.exec(mails[0].body)![1];
  const first = await call(app.server, null, 'GET', `/api/tracking/${dossier.code}?factor=${otp}`, undefined, ip);
  t.is(first.statusCode, 200);
  t.is(JSON.parse(first.payload).status, 'processing');
  const again = await call(app.server, null, 'GET', `/api/tracking/${dossier.code}?factor=${otp}`, undefined, fromIp());
  t.is(again.statusCode, 401, 'a one-time code works once');
});

test('lookups are limited per code from any address and per address over any code', async (t) => {
  const code = dossier.code!.replace(/\d{4}$/, '9996');
  const statuses: number[] = [];
  for (let i = 0; i < 13; i++) statuses.push((await call(app.server, null, 'GET', `/api/tracking/${code}?factor=1234`, undefined, fromIp())).statusCode);
  t.deepEqual(statuses, [...Array(12).fill(401), 429]);
  // The right factor does not get past a spent limit either.
  const ip = fromIp();
  const perIp: number[] = [];
  for (let i = 0; i < 9; i++) perIp.push((await call(app.server, null, 'GET', `/api/tracking/${dossier.code!.replace(/\d{4}$/, String(9000 + i))}?factor=1234`, undefined, ip)).statusCode);
  t.deepEqual(perIp, [401, 401, 401, 401, 401, 401, 401, 401, 429]);
  const blocked = await call(app.server, null, 'GET', `/api/tracking/${dossier.code}?factor=5678`, undefined, ip);
  t.is(blocked.statusCode, 429);
  t.true(JSON.parse(blocked.payload).message.startsWith('Đã tra cứu quá nhiều lần'));
});

test('40 wrong attempts at once on one code get exactly the limit of refusals, the rest are rate-limited', async (t) => {
  const code = dossier.code!.replace(/\d{4}$/, '9995');
  const answers = await Promise.all(Array.from({ length: 40 }, () => call(app.server, null, 'GET', `/api/tracking/${code}?factor=1234`, undefined, fromIp())));
  const statuses = answers.map((r) => r.statusCode);
  t.is(statuses.filter((s) => s === 401).length, 12, statuses.join(','));
  t.is(statuses.filter((s) => s === 429).length, 28);
  // From one address over 20 codes at once: the per-address limit holds the same way.
  const ip = fromIp();
  const own = await Promise.all(Array.from({ length: 20 }, (_, i) => call(app.server, null, 'GET', `/api/tracking/${dossier.code!.replace(/\d{4}$/, String(8000 + i))}?factor=1234`, undefined, ip)));
  t.is(own.filter((r) => r.statusCode === 401).length, 8);
  t.is(own.filter((r) => r.statusCode === 429).length, 12);
});

test('the owner sees every step with times, the unit, the officer, the limits and the history', async (t) => {
  const res = await call(app.server, owner, 'GET', `/dossiers/${dossier.id}`);
  t.is(res.statusCode, 200);
  const html = res.payload;
  t.true(html.includes(`Hồ sơ ${dossier.code}`));
  t.true(html.includes('Đăng ký khai sinh'));
  t.true(html.includes('Phường Ba Đình'), 'the receiving unit by name');
  t.true(html.includes('canbo.xuly'), 'the officer in charge');
  t.true(html.includes('Tiếp nhận, kiểm tra hồ sơ (bộ phận một cửa)'));
  t.true(html.includes('Thẩm định, xử lý hồ sơ'));
  t.true(html.includes('/ 3 ngày làm việc'), 'time used against the step limit');
  t.true(html.includes('/ 5 ngày làm việc'), 'time used against the dossier limit');
  t.true(html.includes('Nộp hồ sơ'), 'the history');
  t.true(html.includes('data-diagram-url="/dossiers/'));
  t.regex(html, /<li class="current" data-step="handle">[^<]*đang xử lý<\/li>/);
  t.regex(html, /<li class="done" data-step="receive">[^<]*đã xong<\/li>/);
  t.regex(html, /<li class="pending" data-step="approve">[^<]*chưa tới<\/li>/);
});

test('the diagram JSON marks the current step and the steps done', async (t) => {
  const res = await call(app.server, owner, 'GET', `/dossiers/${dossier.id}/diagram.json`);
  t.is(res.statusCode, 200);
  const body = JSON.parse(res.payload);
  t.true(body.xml.includes('<userTask id="handle"'));
  t.deepEqual(body.current, ['handle']);
  t.true(body.done.includes('start'));
  t.true(body.done.includes('receive'));
  t.false(body.done.includes('handle'));
  t.false(body.done.includes('approve'));
});

test('staff over the receiving unit see the dossier; an officer of another province and another citizen get 404', async (t) => {
  t.is((await call(app.server, wardOfficer, 'GET', `/dossiers/${dossier.id}`)).statusCode, 200);
  for (const s of [hcmOfficer, otherCitizen]) {
    const page = await call(app.server, s, 'GET', `/dossiers/${dossier.id}`);
    const missing = await call(app.server, s, 'GET', '/dossiers/999999');
    t.is(page.statusCode, 404);
    t.is(missing.statusCode, 404);
    t.is((await call(app.server, s, 'GET', `/dossiers/${dossier.id}/diagram.json`)).statusCode, 404);
  }
  const anonymousPage = await call(app.server, null, 'GET', `/dossiers/${dossier.id}`);
  t.not(anonymousPage.statusCode, 200);
});

test('the home page links the public lookup', async (t) => {
  const res = await app.server.inject('/');
  t.true(res.payload.includes('href="/tra-cuu-ho-so"'));
  const page = await app.server.inject('/tra-cuu-ho-so');
  t.is(page.statusCode, 200);
  t.true(page.payload.includes('Tra cứu hồ sơ'));
});

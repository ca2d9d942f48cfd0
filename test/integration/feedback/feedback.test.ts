// Feedback and petitions on a real database, through the pages and the API: anyone sends a case, the
// agency's officers transfer, assign, answer and publish it, the public page shows it with personal data
// masked, the submitter tracks it with a second factor and reopens it once.
import test from 'ava';
import type { ServerInjectResponse } from '@hapi/hapi';
import { startApp, makeUser, login, anonymous, call, type TestApp, type Session } from '../../helpers/server.ts';
import { FeedbackCase, FeedbackFile } from '../../../src/feedback/models.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';
import { EngineTask } from '../../../src/engine/models.ts';
import { openCaseFromRating } from '../../../src/feedback/service.ts';

let app: TestApp;
let officer01: Session;
let officer79: Session;
let leader79: Session;
let ipCounter = 10;

test.before(async () => {
  app = await startApp({ env: { FEEDBACK_RATE_PER_IP: '3', FEEDBACK_RATE_PER_CONTACT: '3', FEEDBACK_TRACK_PER_IP: '20' } });
  await makeUser('officer', '01', { username: 'cb.hanoi' });
  await makeUser('officer', '79', { username: 'cb.hcm' });
  await makeUser('leader', '79', { username: 'ld.hcm' });
  officer01 = await login(app.server, 'cb.hanoi');
  officer79 = await login(app.server, 'cb.hcm');
  leader79 = await login(app.server, 'ld.hcm');
});
test.after.always(async () => app?.close());

/** A client address of its own for each submission, so the per-IP limit only bites where a test means it. */
function nextIp(): string {
  ipCounter++;
  return `10.0.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`;
}

function multipart(fields: Record<string, string>, files: Array<{ name: string; type: string; data: Buffer }> = []): { body: Buffer; type: string } {
  const boundary = '----govflowtest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\nContent-Type: ${f.type}\r\n\r\n`));
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

async function sendForm(fields: Record<string, string>, files: Array<{ name: string; type: string; data: Buffer }> = [], ip = nextIp()): Promise<ServerInjectResponse> {
  const anon = await anonymous(app.server);
  const mp = multipart({ crumb: anon.crumb, ...fields }, files);
  return app.server.inject({ method: 'POST', url: '/phan-anh-kien-nghi/gui', headers: { cookie: anon.cookie, 'content-type': mp.type }, payload: mp.body, remoteAddress: ip });
}

function codeOf(res: ServerInjectResponse): string {
  const m = /code=(PAKN-\d{6}-[A-Z0-9]{6})/.exec(String(res.headers.location));
  if (!m) throw new Error(`no case code in ${res.statusCode} ${res.headers.location} ${res.payload.slice(0, 500)}`);
  return m[1];
}

async function track(code: string, factor: string, ip = nextIp()): Promise<ServerInjectResponse> {
  const anon = await anonymous(app.server);
  return app.server.inject({ method: 'POST', url: '/phan-anh-kien-nghi/tra-cuu', headers: { cookie: anon.cookie }, payload: { crumb: anon.crumb, code, factor }, remoteAddress: ip });
}

async function reopen(code: string, factor: string, reason: string): Promise<ServerInjectResponse> {
  const anon = await anonymous(app.server);
  return app.server.inject({ method: 'POST', url: '/phan-anh-kien-nghi/mo-lai', headers: { cookie: anon.cookie }, payload: { crumb: anon.crumb, code, factor, reason }, remoteAddress: nextIp() });
}

const CONTENT = 'Tôi là Nguyễn Văn An, CCCD 001099012345. Đường Giải Phóng đoạn trước số nhà 120 bị ngập sâu mỗi khi mưa, ông Trần Văn Bình tổ trưởng đã báo nhưng chưa xử lý. Liên hệ 0912 345 678 hoặc an.nguyen@gmail.com.';

test.serial('a case is transferred, answered, published with personal data masked, reopened once and closed', async (t) => {
  let res = await sendForm({ subject: 'Ngập nước đường Giải Phóng, gọi 0912345678', content: CONTENT, orgCode: '01', name: 'Nguyễn Văn An', phone: '0912 345 678', email: 'an.nguyen@gmail.com' }, [{ name: 'ảnh hiện trường.pdf', type: 'application/pdf', data: PDF }]);
  t.is(res.statusCode, 302);
  const code = codeOf(res);
  res = await app.server.inject(`/phan-anh-kien-nghi/da-gui?code=${code}`);
  t.true(res.payload.includes(code));
  const row = (await FeedbackCase.findOne({ where: { code } }))!;
  t.like(row.get({ plain: true }), { status: 'received', orgCode: '01', contactPhone: '0912345678', contactEmail: 'an.nguyen@gmail.com', source: 'web' });
  t.true(row.dueAt.getTime() > row.receivedAt.getTime());
  t.is(await FeedbackFile.count({ where: { caseId: row.id } }), 1);
  const received = await NotifyMessage.findOne({ where: { reference: `feedback:${code}`, event: 'feedback-received' } });
  t.is(received?.recipient, 'an.nguyen@gmail.com');

  // The queue of Hà Nội lists it with its due date; the attachment downloads.
  res = await call(app.server, officer01, 'GET', '/feedback');
  t.true(res.payload.includes(code));
  t.regex(res.payload, /ngày làm việc/);
  const file = (await FeedbackFile.findOne({ where: { caseId: row.id } }))!;
  res = await call(app.server, officer01, 'GET', `/feedback/${row.id}/files/${file.id}`);
  t.is(res.statusCode, 200);
  t.is(res.rawPayload.subarray(0, 5).toString(), '%PDF-');

  // A transfer needs a reason; with one, the case goes to Hồ Chí Minh City and leaves Hà Nội's scope.
  res = await call(app.server, officer01, 'POST', `/feedback/${row.id}/transfer`, { orgCode: '79', reason: '' });
  t.is(res.statusCode, 422);
  t.true(res.payload.includes('Hãy nêu lý do chuyển'));
  res = await call(app.server, officer01, 'POST', `/feedback/${row.id}/transfer`, { orgCode: '79', reason: 'Địa điểm thuộc Thành phố Hồ Chí Minh' });
  t.is(res.statusCode, 302);
  res = await call(app.server, officer01, 'GET', `/feedback/${row.id}`);
  t.is(res.statusCode, 404);
  const tasks = await EngineTask.findAll({ where: { instanceId: row.instanceId!, status: 'open' } });
  t.deepEqual(tasks.map((x) => [x.elementId, x.candidateGroups]), [['Task_classify', ',officer@79,']]);

  // Hồ Chí Minh City assigns, answers (the submitter is told) and publishes.
  res = await call(app.server, officer79, 'GET', `/feedback/${row.id}`);
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('Địa điểm thuộc Thành phố Hồ Chí Minh'));
  res = await call(app.server, officer79, 'POST', `/feedback/${row.id}/assign`, { assignee: 'cb.hanoi', note: '' });
  t.is(res.statusCode, 422);
  res = await call(app.server, officer79, 'POST', `/feedback/${row.id}/assign`, { assignee: '', note: 'Hạ tầng đô thị' });
  t.is(res.statusCode, 302);
  res = await call(app.server, officer79, 'POST', `/feedback/${row.id}/answer`, { answer: 'Sở Xây dựng đã kiểm tra, ông Nguyễn Văn An vui lòng liên hệ 0283 829 1234; cống sẽ được nạo vét trước ngày 15/12/2025.' });
  t.is(res.statusCode, 302);
  t.truthy(await NotifyMessage.findOne({ where: { reference: `feedback:${code}`, event: 'feedback-answered' } }));
  res = await call(app.server, officer79, 'GET', `/feedback/${row.id}`);
  t.true(res.payload.includes('Nguyễn Văn An, CCCD 001099012345'), 'staff see the full text');
  res = await call(app.server, officer79, 'POST', `/feedback/${row.id}/publish`, {});
  t.is(res.statusCode, 302);
  t.truthy(await NotifyMessage.findOne({ where: { reference: `feedback:${code}`, event: 'feedback-published' } }));

  // The public page shows the answer, never the personal data.
  res = await app.server.inject(`/phan-anh-kien-nghi/${code}`);
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('cống sẽ được nạo vét trước ngày 15/12/2025'));
  t.true(res.payload.includes('Đường Giải Phóng'));
  for (const secret of ['Nguyễn Văn An', '001099012345', '0912', 'an.nguyen@gmail.com', 'Trần Văn Bình', '0283 829 1234', '0912345678']) t.false(res.payload.includes(secret), secret);
  res = await app.server.inject('/phan-anh-kien-nghi?q=Giải Phóng'.replace(' ', '%20'));
  t.true(res.payload.includes(code));
  res = await app.server.inject('/phan-anh-kien-nghi?q=Nguy%E1%BB%85n%20V%C4%83n%20An');
  t.false(res.payload.includes(code), 'a search by the submitter name finds nothing');
  res = await app.server.inject(`/api/feedback/published/${code}`);
  t.false(res.payload.includes('0912'));

  // The submitter tracks it with the last 4 digits of the phone and reopens it once.
  res = await track(code, '5678');
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('Đã công khai'));
  t.true(res.payload.includes('Đề nghị xem xét lại'));
  res = await reopen(code, '5678', 'ngắn');
  t.is(res.statusCode, 422);
  res = await reopen(code, '5678', 'Đến nay cống vẫn chưa được nạo vét, đường vẫn ngập.');
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('Đã gửi đề nghị xem xét lại'));
  t.is((await FeedbackCase.findByPk(row.id))!.status, 'reopened');
  res = await call(app.server, officer79, 'POST', `/feedback/${row.id}/answer`, { answer: 'Đã nạo vét xong ngày 10/12/2025, đề nghị ông kiểm tra lại.' });
  t.is(res.statusCode, 302);
  res = await call(app.server, officer79, 'POST', `/feedback/${row.id}/publish`, {});
  t.is(res.statusCode, 302);
  const closed = (await FeedbackCase.findByPk(row.id))!;
  t.is(closed.status, 'closed');
  t.is(closed.reopenCount, 1);
  t.is((await EngineTask.count({ where: { instanceId: row.instanceId!, status: 'open' } })), 0);
  res = await reopen(code, '5678', 'Tôi vẫn không đồng ý với câu trả lời này.');
  t.is(res.statusCode, 409);
  t.true(res.payload.includes('đã được xem xét lại một lần'));
});

test.serial('a "not sure" case goes to the default receiving unit, and an officer of another province cannot see it', async (t) => {
  const res = await sendForm({ subject: 'Thủ tục cấp phiếu lý lịch tư pháp kéo dài', content: 'Tôi nộp hồ sơ cấp phiếu lý lịch tư pháp đã 20 ngày nhưng chưa có kết quả.', orgCode: '', name: 'Lê Thị Hoa', phone: '0987654321', email: '' });
  const c = (await FeedbackCase.findOne({ where: { code: codeOf(res) } }))!;
  t.is(c.orgCode, 'G22');
  t.false((await call(app.server, officer79, 'GET', '/feedback?status=all')).payload.includes(c.code));
  t.is((await call(app.server, officer79, 'GET', `/feedback/${c.id}`)).statusCode, 404);
  t.is((await call(app.server, leader79, 'POST', `/feedback/${c.id}/answer`, { answer: 'Trả lời ngoài phạm vi của tôi.' })).statusCode, 404);
  const api = await call(app.server, officer79, 'GET', '/api/feedback/cases?status=all');
  t.false(api.payload.includes(c.code));
});

test.serial('an unknown code and a wrong second factor get the same answer; the e-mailed code works', async (t) => {
  const res = await sendForm({ subject: 'Thái độ cán bộ một cửa', content: 'Cán bộ bộ phận một cửa không hướng dẫn đầy đủ thành phần hồ sơ.', orgCode: '79', name: 'Phạm Minh Tuấn', phone: '', email: 'tuan.pm@example.vn' });
  const code = codeOf(res);
  const mail = (await NotifyMessage.findOne({ where: { reference: `feedback:${code}`, event: 'feedback-received' } }))!;
  const tracking = /Mã tra cứu của anh\/chị: (\d{6})/.exec(mail.body)![1];
  const wrong = await track(code, tracking === '000000' ? '111111' : '000000');
  const unknown = await track('PAKN-250101-ZZZZZZ', tracking);
  const noPhone = await track(code, '1234');
  for (const r of [wrong, unknown, noPhone]) {
    t.is(r.statusCode, 404);
    t.true(r.payload.includes('Không tìm thấy phản ánh với mã và thông tin xác nhận này'));
  }
  t.is(wrong.payload.replace(/PAKN-[\w-]+|name="crumb" value="[^"]*"|\d{6}/g, ''), unknown.payload.replace(/PAKN-[\w-]+|name="crumb" value="[^"]*"|\d{6}/g, ''));
  const ok = await track(code, tracking);
  t.is(ok.statusCode, 200);
  t.true(ok.payload.includes('Chờ phân loại'));
  const api = await app.server.inject({ method: 'POST', url: '/api/feedback/track', payload: { code, factor: tracking }, remoteAddress: nextIp() });
  t.is(JSON.parse(api.payload).status, 'received');
});

test.serial('the per-IP and per-contact limits refuse a fourth case with 429 and say when to try again', async (t) => {
  const ip = nextIp();
  const fields = (i: number, phone: string) => ({ subject: `Rác thải tồn đọng số ${i}`, content: 'Rác thải sinh hoạt tồn đọng nhiều ngày tại đầu ngõ, gây mùi hôi.', orgCode: '79', name: 'Võ Thị Lan', phone, email: '' });
  for (let i = 0; i < 3; i++) t.is((await sendForm(fields(i, `09000000${10 + i}`), [], ip)).statusCode, 302);
  let res = await sendForm(fields(4, '0900000099'), [], ip);
  t.is(res.statusCode, 429);
  t.truthy(res.headers['retry-after']);
  t.true(res.payload.includes('quá nhiều lần'));
  for (let i = 0; i < 3; i++) t.is((await sendForm(fields(i, '0977 111 222'))).statusCode, 302);
  res = await sendForm(fields(9, '+84977111222'));
  t.is(res.statusCode, 429, 'the same phone written another way counts as the same contact');
  const api = await app.server.inject({ method: 'POST', url: '/api/feedback', payload: { subject: 'Rác thải tồn đọng', content: 'Rác thải sinh hoạt tồn đọng nhiều ngày tại đầu ngõ.', orgCode: '79', contact: { name: 'Võ Thị Lan', phone: '0977111222' } }, remoteAddress: nextIp() });
  t.is(api.statusCode, 429);
});

test.serial('bad input is refused with words a person can act on and nothing is saved', async (t) => {
  const before = await FeedbackCase.count();
  let res = await sendForm({ subject: 'Ngắn', content: 'ít', orgCode: '79', name: 'A', phone: '', email: '' });
  t.is(res.statusCode, 422);
  t.true(res.payload.includes('Tiêu đề cần từ 5 đến 300 ký tự'));
  t.true(res.payload.includes('Hãy nhập số điện thoại hoặc thư điện tử'));
  res = await sendForm({ subject: 'Tệp đính kèm sai loại', content: 'Nội dung đầy đủ hơn hai mươi ký tự để gửi.', orgCode: '79', name: 'Đỗ Văn Nam', phone: '0911222333', email: '' }, [{ name: 'virus.exe', type: 'application/octet-stream', data: Buffer.from('MZ') }]);
  t.is(res.statusCode, 400);
  res = await sendForm({ subject: 'Cơ quan không tồn tại', content: 'Nội dung đầy đủ hơn hai mươi ký tự để gửi.', orgCode: 'XX99', name: 'Đỗ Văn Nam', phone: '0911222334', email: '' });
  t.is(res.statusCode, 422);
  t.is(await FeedbackCase.count(), before);
});

test.serial('a "not satisfied" rating opens one case linked to the dossier, at the dossier\'s agency', async (t) => {
  const a = await openCaseFromRating({ dossierId: 4711, dossierCode: 'HS-79-000123', comment: 'Phải đi lại bốn lần mới nộp được hồ sơ.', contact: { name: 'Trương Văn Hải', phone: '0933444555' }, orgCode: '79' });
  const b = await openCaseFromRating({ dossierId: 4711, dossierCode: 'HS-79-000123', comment: 'Lần nữa', contact: { name: 'Trương Văn Hải' }, orgCode: '79' });
  t.is(a.id, b.id);
  t.like(a.get({ plain: true }), { source: 'rating', dossierId: 4711, dossierCode: 'HS-79-000123', orgCode: '79', status: 'received' });
  const res = await call(app.server, officer79, 'GET', `/feedback/${a.id}`);
  t.true(res.payload.includes('HS-79-000123'));
  t.true(res.payload.includes('Đánh giá không hài lòng'));
});

test.serial('a logged-in citizen is told in the app, and the generic task list sends the officer to the case page', async (t) => {
  const citizen = await makeUser('citizen', null, { username: 'dan.hcm', fullName: 'Huỳnh Thanh Tâm' });
  const session = await login(app.server, 'dan.hcm');
  let res = await call(app.server, session, 'POST', '/api/feedback', { subject: 'Vỉa hè bị lấn chiếm', content: 'Vỉa hè trước chợ bị lấn chiếm để bán hàng, người đi bộ phải xuống lòng đường.', orgCode: '79', contact: { name: 'Huỳnh Thanh Tâm', email: 'tam.ht@example.vn' } });
  t.is(res.statusCode, 201);
  const { code } = JSON.parse(res.payload) as { code: string };
  const c = (await FeedbackCase.findOne({ where: { code } }))!;
  t.is(c.submitterUserId, citizen.id);
  t.truthy(await NotifyMessage.findOne({ where: { reference: `feedback:${code}`, channel: 'inapp', recipientUserId: citizen.id } }));
  const task = (await EngineTask.findOne({ where: { instanceId: c.instanceId!, status: 'open' } }))!;
  res = await call(app.server, officer79, 'GET', `/tasks/${task.id}`);
  t.is(res.statusCode, 302);
  t.is(res.headers.location, `/feedback/${c.id}`);
  res = await call(app.server, officer79, 'GET', `/feedback/${c.id}`);
  t.true(res.payload.includes('Thành phố Hồ Chí Minh'));
});

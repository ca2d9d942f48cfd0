// A dossier's handling on processes/dossier-handling.bpmn: receive → handle (with transfers) → approve →
// issue → return; refusal; a completeness request that stops the clock over a weekend; withdrawal;
// payment; an overdue step escalated by its job; counter registration; scope and bad input.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { setupCa } from '../../helpers/signing.ts';
import { receivedDossier } from '../../helpers/dossier-handling.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { issueUserCertificate } from '../../../src/signing/service.ts';
import { seedProcedures } from '../../../src/catalog/service.ts';
import { correlateMessage, deployShippedProcesses, getInstance, openTasksOf, runDueJobs } from '../../../src/engine/service.ts';
import { CitizenDocument, Dossier, DossierEvent, DossierFile, DossierStep } from '../../../src/dossiers/models.ts';
import { businessKeyOf } from '../../../src/dossiers/core.ts';
import {
  acceptDossier, completeHandling, decideDossier, followPaidDossier, issueResult, requestSupplement, resubmitDossier, returnResult, transferDossier, withdrawDossier,
} from '../../../src/dossiers/handling.ts';
import { dueDate } from '../../../src/calendar/service.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';
import type { Viewer } from '../../../src/access/index.ts';
import { AppError } from '../../../src/errors.ts';

let app: TestApp;
let citizen: Viewer;
let officer: Viewer;
let officer2: Viewer;
let leader: Viewer;
let hcm: Viewer;
let sessions: Record<'officer' | 'hcm' | 'citizen' | 'other', Session>;

const THREE_DAYS = '1.001612'; // Đăng ký thành lập hộ kinh doanh: 03 working days, no fee, fully online (signed result)
const SAME_DAY_PARTIAL = '1.000894'; // Đăng ký kết hôn: same day, partially online (unsigned notice)
const WITH_FEE = '1.004222'; // Đăng ký thường trú: 07 working days, fee 10,000–20,000 VND

test.before(async () => {
  app = await startApp();
  await seedProcedures();
  await deployShippedProcesses();
  await setupCa();
  const c = await makeUser('citizen', null, { username: 'congdan.test', fullName: 'Nguyễn Thị Công Dân' });
  citizen = await loadViewer(c);
  officer = await loadViewer(await makeUser('officer', '00004', { username: 'canbo.mot', fullName: 'Đỗ Thị Một Cửa' }));
  officer2 = await loadViewer(await makeUser('officer', '00004', { username: 'canbo.hai', fullName: 'Trần Văn Chuyên Môn' }));
  leader = await loadViewer(await makeUser('leader', '00004', { username: 'lanhdao.test', fullName: 'Vũ Văn Lãnh Đạo' }));
  hcm = await loadViewer(await makeUser('officer', '79', { username: 'canbo.hcm.test' }));
  const other = await makeUser('citizen', null, { username: 'nguoikhac.test' });
  await issueUserCertificate('canbo.mot', null);
  sessions = {
    officer: await login(app.server, 'canbo.mot'), hcm: await login(app.server, 'canbo.hcm.test'), citizen: await login(app.server, 'congdan.test'), other: await login(app.server, other.username),
  };
});

test.after.always(async () => {
  await app?.close();
});

async function rejects(t: import('ava').ExecutionContext, p: Promise<unknown>, status: number, code?: string) {
  const err = await t.throwsAsync(p);
  t.true(err instanceof AppError, String(err));
  t.is((err as AppError).status, status, (err as AppError).code);
  if (code) t.is((err as AppError).code, code);
}

async function kinds(id: number): Promise<string[]> {
  return (await DossierEvent.findAll({ where: { dossierId: id }, order: [['id', 'ASC']] })).map((e) => e.kind);
}

async function openTaskIds(d: Dossier): Promise<string[]> {
  const fresh = (await Dossier.findByPk(d.id))!;
  return (await openTasksOf(fresh.instanceId!)).map((x) => x.elementId);
}

test.serial('a dossier goes receive → handle (transferred to an officer and back to the desk unit) → approve → issue → return, with history, steps, result and messages', async (t) => {
  const d0 = await receivedDossier(citizen, THREE_DAYS);
  t.is(d0.stage, 'receive');
  t.truthy(d0.instanceId);
  t.deepEqual(await openTaskIds(d0), ['receive']);
  const receiveStep = await DossierStep.findOne({ where: { dossierId: d0.id, step: 'receive' } });
  t.is(receiveStep?.limitDays, 0.5);

  let d = await acceptDossier(officer, d0.id, { version: d0.version, note: 'Đủ thành phần' });
  t.is(d.status, 'processing');
  t.is(d.stage, 'handle');
  t.deepEqual(await openTaskIds(d), ['handle']);
  const handleStep = await DossierStep.findOne({ where: { dossierId: d.id, step: 'handle', endedAt: null } });
  // 3 working days minus receive 0.5, approve 1, issue 0.5 and return 0.5 leaves half a day.
  t.is(handleStep?.limitDays, 0.5);
  t.true(handleStep!.dueAt!.getTime() <= d.dueAt!.getTime());

  await rejects(t, transferDossier(officer, d.id, { toOfficer: 'canbo.hai', reason: '' }), 400, 'dossiers.handling.reasonRequired');
  await rejects(t, transferDossier(officer, d.id, { toOfficer: 'canbo.hcm.test', reason: 'Sai đơn vị' }), 400, 'dossiers.handling.unknownOfficer');
  d = await transferDossier(officer, d.id, { toOfficer: 'canbo.hai', reason: 'Chuyên viên phụ trách hộ kinh doanh' });
  t.is(d.officer, 'canbo.hai');
  const [handleTask] = await openTasksOf(d.instanceId!);
  t.is(handleTask.assignee, 'canbo.hai');
  const transfer = await DossierEvent.findOne({ where: { dossierId: d.id, kind: 'transferred' } });
  t.is(transfer?.toOfficer, 'canbo.hai');
  t.is(transfer?.reason, 'Chuyên viên phụ trách hộ kinh doanh');
  t.is(transfer?.actor, 'canbo.mot');

  await rejects(t, decideDossier(leader, d.id, { decision: 'approved' }), 409, 'dossiers.handling.wrongStep');
  d = await completeHandling(officer2, d.id, { note: 'Đề nghị cấp giấy chứng nhận' });
  t.is(d.stage, 'approve');
  await rejects(t, decideDossier(officer, d.id, { decision: 'approved' }), 403, 'dossiers.handling.notYourStep');
  d = await decideDossier(leader, d.id, { decision: 'approved', reason: 'Đồng ý' });
  t.is(d.status, 'approved');
  t.is(d.stage, 'issue');

  d = await issueResult(officer, d.id);
  t.is(d.stage, 'return');
  const result = await DossierFile.findOne({ where: { dossierId: d.id, kind: 'result' } });
  t.truthy(result);
  const stored = await CitizenDocument.findOne({ where: { userId: citizen.userId, source: 'result', dossierId: d.id } });
  t.is(stored?.sha256, result!.sha256);
  const issued = await DossierEvent.findOne({ where: { dossierId: d.id, kind: 'result-issued' } });
  t.true((JSON.parse(issued!.dataJson!) as { isSigned: boolean }).isSigned, 'a fully online procedure gets a signed result');

  await rejects(t, returnResult(officer, d.id, { method: 'fax' as 'post' }), 400, 'dossiers.handling.badReturnMethod');
  d = await returnResult(officer, d.id, { method: 'online' });
  t.is(d.status, 'done');
  t.is(d.returnMethod, 'online');
  t.is(d.stage, null);
  t.is((await getInstance(d.instanceId!)).status, 'completed');
  t.deepEqual(await kinds(d.id), ['submitted', 'received', 'transferred', 'step-started', 'approved', 'result-issued', 'returned']);
  t.is(await DossierStep.count({ where: { dossierId: d.id, endedAt: null } }), 0);
  const steps = (await DossierStep.findAll({ where: { dossierId: d.id }, order: [['id', 'ASC']] })).map((s) => s.step);
  t.deepEqual(steps, ['receive', 'handle', 'handle', 'approve', 'issue', 'return']);
  const messages = await NotifyMessage.findAll({ where: { reference: `dossier:${d.id}`, recipientUserId: citizen.userId } });
  t.deepEqual([...new Set(messages.map((m) => m.event))].sort(), ['dossier-received', 'dossier-result-ready', 'dossier-status'].sort());
});

test.serial('a transfer to another unit ends the step and its officers take the task', async (t) => {
  const d0 = await receivedDossier(citizen, SAME_DAY_PARTIAL);
  let d = await acceptDossier(officer, d0.id);
  await rejects(t, transferDossier(officer, d.id, { toOrgCode: 'ZZZ', reason: 'x' }), 400, 'dossiers.handling.unknownUnit');
  d = await transferDossier(officer, d.id, { toOrgCode: '00070', reason: 'Thuộc thẩm quyền phường khác' });
  const [task] = await openTasksOf(d.instanceId!);
  t.is(task.elementId, 'handle');
  t.true(task.candidateGroups!.includes('officer@00070'));
  const open = await DossierStep.findOne({ where: { dossierId: d.id, endedAt: null } });
  t.is(open?.orgCode, '00070');
  const there = await loadViewer(await makeUser('officer', '00070'));
  d = await completeHandling(there, d.id);
  t.is(d.stage, 'approve');
});

test.serial('the leader refuses with reasons; the citizen is told and the process ends', async (t) => {
  const d0 = await receivedDossier(citizen, SAME_DAY_PARTIAL);
  await acceptDossier(officer, d0.id);
  await completeHandling(officer, d0.id);
  await rejects(t, decideDossier(leader, d0.id, { decision: 'refused', reason: '  ' }), 400, 'dossiers.handling.reasonRequired');
  const d = await decideDossier(leader, d0.id, { decision: 'refused', reason: 'Hai bên chưa đủ tuổi kết hôn' });
  t.is(d.status, 'refused');
  t.is(d.decisionReason, 'Hai bên chưa đủ tuổi kết hôn');
  t.is((await getInstance(d.instanceId!)).status, 'completed');
  const msg = await NotifyMessage.findOne({ where: { reference: `dossier:${d.id}`, event: 'dossier-status', recipientUserId: citizen.userId, channel: 'email' } });
  t.true(msg!.body.includes('Lý do: Hai bên chưa đủ tuổi kết hôn'), msg!.body);
  t.true(msg!.subject.includes('Từ chối'), msg!.subject);
  await rejects(t, withdrawDossier(citizen, d.id, 'Đổi ý'), 409, 'dossiers.handling.notWithdrawable');
});

test.serial('a completeness request stops the clock; resubmitted after the weekend, the due date moves by the paused working days', async (t) => {
  // Received Wednesday 6 Oct 2027 09:00: 3 working days, the day of receipt not counted → due Monday 11 Oct, end of day.
  // (Dates ahead of the real clock: the step's overdue timer must not fire during the test.)
  const receivedAt = new Date('2027-10-06T09:00:00+07:00');
  const d0 = await receivedDossier(citizen, THREE_DAYS, { at: receivedAt });
  t.is(d0.dueAt!.toISOString(), (await dueDate(receivedAt, 3)).due.toISOString());
  const friday = new Date('2027-10-08T10:00:00+07:00');
  const monday = new Date('2027-10-11T09:30:00+07:00');
  await rejects(t, requestSupplement(officer, d0.id, { missing: ['', ' '] }), 400, 'dossiers.handling.missingRequired');
  let d = await requestSupplement(officer, d0.id, { missing: ['Bản sao CCCD của chủ hộ kinh doanh'], note: 'Ảnh chụp bị mờ', at: friday });
  t.is(d.status, 'supplement');
  t.is(d.stage, 'supplement');
  t.is(d.pausedAt!.toISOString(), friday.toISOString());
  const asked = await NotifyMessage.findOne({ where: { reference: `dossier:${d.id}`, event: 'dossier-needs-documents', channel: 'email' } });
  t.true(asked!.body.includes('- Bản sao CCCD của chủ hộ kinh doanh'), asked!.body);
  t.true(asked!.body.includes(`/dossiers/${d.id}/supplement`), asked!.body);

  await rejects(t, resubmitDossier(officer, d.id, { note: 'x' }), 404);
  await rejects(t, resubmitDossier(citizen, d.id, {}), 400, 'dossiers.handling.supplementEmpty');
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
  d = await resubmitDossier(citizen, d.id, { note: 'Đã chụp lại', files: [{ name: 'cccd.pdf', type: 'application/pdf', data: pdf }], at: monday });
  t.is(d.status, 'submitted');
  t.is(d.stage, 'receive');
  t.is(d.pausedAt, null);
  // Saturday and Sunday do not count; Monday, the day of resubmission, does: one working day.
  t.is(d.pausedWorkingDays, 1);
  t.is(d.dueAt!.toISOString(), new Date('2027-10-12T17:00:00+07:00').toISOString());
  t.deepEqual(await openTaskIds(d), ['receive']);
  t.deepEqual(await kinds(d.id), ['submitted', 'supplement-requested', 'paused', 'resubmitted', 'resumed']);
  t.is(await DossierFile.count({ where: { dossierId: d.id, kind: 'attachment', name: 'cccd.pdf' } }), 1);
  d = await acceptDossier(officer, d.id);
  t.is(d.stage, 'handle');
});

test.serial('the citizen withdraws before a decision and the instance is cancelled', async (t) => {
  const d0 = await receivedDossier(citizen, SAME_DAY_PARTIAL);
  await acceptDossier(officer, d0.id);
  await rejects(t, withdrawDossier(citizen, d0.id, ''), 400, 'dossiers.handling.reasonRequired');
  const d = await withdrawDossier(citizen, d0.id, 'Đã nộp nhầm thủ tục');
  t.is(d.status, 'withdrawn');
  t.is((await getInstance(d.instanceId!)).status, 'cancelled');
  const ev = await DossierEvent.findOne({ where: { dossierId: d.id, kind: 'withdrawn' } });
  t.is(ev?.reason, 'Đã nộp nhầm thủ tục');
  t.is(ev?.step, 'handle');
  await rejects(t, acceptDossier(officer, d.id), 409);
});

test.serial('a procedure with a fee waits for the payment message, then the department step opens', async (t) => {
  const d0 = await receivedDossier(citizen, WITH_FEE);
  let d = await acceptDossier(officer, d0.id);
  t.is(d.stage, 'payment');
  t.deepEqual(await openTaskIds(d), []);
  await correlateMessage('dossier.paid', businessKeyOf(d.id), { paidAmount: 10000 });
  await followPaidDossier(d.id);
  d = (await Dossier.findByPk(d.id))!;
  t.is(d.stage, 'handle');
  t.deepEqual(await openTaskIds(d), ['handle']);
  t.is(await DossierStep.count({ where: { dossierId: d.id, step: 'handle', endedAt: null } }), 1);
});

test.serial('an overdue step is escalated by its job: marked, in the history, and the unit leader is told', async (t) => {
  // Received a month ago and never touched: the receive step's half day is long past.
  const d = await receivedDossier(citizen, THREE_DAYS, { at: new Date(Date.now() - 30 * 86400_000) });
  await runDueJobs();
  const step = await DossierStep.findOne({ where: { dossierId: d.id, step: 'receive' } });
  t.truthy(step?.escalatedAt);
  const ev = await DossierEvent.findOne({ where: { dossierId: d.id, kind: 'step-overdue' } });
  t.is(ev?.step, 'receive');
  const told = await NotifyMessage.findAll({ where: { reference: `dossier:${d.id}`, event: 'overdue' } });
  t.true(told.some((m) => m.recipientUserId === leader.userId));
  t.false(told.some((m) => m.recipientUserId === officer.userId));
  // A second run escalates nothing more.
  await runDueJobs();
  t.is(await DossierEvent.count({ where: { dossierId: d.id, kind: 'step-overdue' } }), 1);
});

test.serial('an officer of another province gets 404 on the page and on the actions; the desk sees the page with its actions', async (t) => {
  const d = await receivedDossier(citizen, SAME_DAY_PARTIAL);
  const page = await call(app.server, sessions.hcm, 'GET', `/officer/dossiers/${d.id}`);
  t.is(page.statusCode, 404);
  const act = await call(app.server, sessions.hcm, 'POST', `/officer/dossiers/${d.id}/accept`, { version: String(d.version) });
  t.is(act.statusCode, 404);
  t.is((await Dossier.findByPk(d.id))!.status, 'submitted');
  await rejects(t, acceptDossier(hcm, d.id), 404);
  const inbox = await call(app.server, sessions.hcm, 'GET', '/officer/dossiers');
  t.false(inbox.payload.includes(d.code!));
  const own = await call(app.server, sessions.officer, 'GET', `/officer/dossiers/${d.id}`);
  t.is(own.statusCode, 200);
  t.true(own.payload.includes(d.code!));
  t.true(own.payload.includes('Tiếp nhận hồ sơ'));
  const mine = await call(app.server, sessions.officer, 'GET', '/officer/dossiers');
  t.true(mine.payload.includes(d.code!));
  // Another citizen does not see the supplement page of someone else's dossier.
  t.is((await call(app.server, sessions.other, 'GET', `/dossiers/${d.id}/supplement`)).statusCode, 404);
});

test.serial('bad input gets a 4xx with a message, and nothing changes', async (t) => {
  const d = await receivedDossier(citizen, SAME_DAY_PARTIAL);
  const unknown = await call(app.server, sessions.officer, 'POST', `/officer/dossiers/${d.id}/explode`, {});
  t.is(unknown.statusCode, 400);
  const noMissing = await call(app.server, sessions.officer, 'POST', `/officer/dossiers/${d.id}/supplement`, { version: String(d.version), missing: '' });
  t.is(noMissing.statusCode, 400);
  t.true(noMissing.payload.includes('Vui lòng ghi ít nhất một giấy tờ còn thiếu.'));
  const stale = await call(app.server, sessions.officer, 'POST', `/officer/dossiers/${d.id}/accept`, { version: String(d.version + 5) });
  t.is(stale.statusCode, 409);
  t.true(stale.payload.includes('vừa được người khác cập nhật'));
  const wrongStep = await call(app.server, sessions.officer, 'POST', `/officer/dossiers/${d.id}/approve`, { version: String(d.version) });
  t.is(wrongStep.statusCode, 409);
  const notWaiting = await call(app.server, sessions.citizen, 'POST', `/dossiers/${d.id}/supplement`, { note: 'x' });
  t.is(notWaiting.statusCode, 409);
  t.is(await DossierEvent.count({ where: { dossierId: d.id } }), 1);
  const counter = await call(app.server, sessions.officer, 'POST', '/officer/dossiers/new', { procedure: '9.999999', channel: 'direct', applicantName: 'Lê Văn A' });
  t.is(counter.statusCode, 400);
  t.true(counter.payload.includes('Không có thủ tục mã 9.999999'));
});

test.serial('an officer registers a dossier received by post; it gets its code, channel post and stands at receive', async (t) => {
  const res = await call(app.server, sessions.officer, 'POST', '/officer/dossiers/new', { procedure: SAME_DAY_PARTIAL, channel: 'post', applicantName: 'Lê Văn Bưu Điện', applicantPhone: '0912345678' });
  t.is(res.statusCode, 302);
  const id = Number(/\/officer\/dossiers\/(\d+)/.exec(String(res.headers.location))![1]);
  const d = (await Dossier.findByPk(id))!;
  t.is(d.channel, 'post');
  t.is(d.status, 'submitted');
  t.regex(d.code!, /^000\.00\.00\.X00-\d{6}-\d{4}$/);
  t.is(d.ownerUserId, null);
  t.deepEqual(await openTaskIds(d), ['receive']);
  const page = await call(app.server, sessions.officer, 'GET', `/officer/dossiers/${id}?done=register`);
  t.true(page.payload.includes('Đã tiếp nhận hồ sơ và cấp mã.'));
  t.true(page.payload.includes('Bưu chính'));
});

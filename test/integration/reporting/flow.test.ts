// A unit's report from the cycle's opening to the parent's roll-up: fill, return with a comment, fix,
// approve, sign; then reopen and re-aggregation; org scope between sibling communes.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp } from '../../helpers/server.ts';
import { setupCa } from '../../helpers/signing.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { issueUserCertificate } from '../../../src/signing/service.ts';
import { deployShippedProcesses, openTasksOf, runDueJobs } from '../../../src/engine/service.ts';
import { approveReport, cycleStatus, getReport, importRegime, openCycle, reopenReport, reportHistory, returnReport, saveReport, signReport } from '../../../src/reporting/service.ts';
import { periodContaining } from '../../../src/reporting/periods.ts';
import type { Viewer } from '../../../src/access/index.ts';
import { AppError } from '../../../src/errors.ts';

let app: TestApp;
let officer: Viewer;
let leader: Viewer;
let sibling: Viewer;
let province: Viewer;
const period = periodContaining('month', new Date()).period;
const REGIME = 'KTXH-HN';
const A = '00004';
const B = '00070';

const filled = { nguoiLap: 'Trần Văn A', VDT_NSNN_TINH: { th: 12.5, lk: 100, cky: 90, kh: 300 }, TMBL_BANLE: { th: 40 } };

test.before(async () => {
  app = await startApp();
  await deployShippedProcesses();
  await setupCa();
  officer = await loadViewer(await makeUser('officer', A));
  leader = await loadViewer(await makeUser('leader', A, { username: 'lanhdao.a' }));
  sibling = await loadViewer(await makeUser('officer', B));
  province = await loadViewer(await makeUser('officer', '01'));
  await issueUserCertificate('lanhdao.a', null);
  await importRegime(null, {
    code: REGIME, name: 'Báo cáo KT-XH tháng (Hà Nội)', formKey: 'kt-xh-thang', frequency: 'month',
    reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 }, reminderDays: [5, 1],
  });
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

test.serial('opening a cycle makes one report per unit once, and starts one instance each', async (t) => {
  const first = await openCycle(REGIME, period);
  t.true(first.created > 100, `created ${first.created}`);
  const again = await openCycle(REGIME, period.replace('-', ''));
  t.deepEqual({ created: again.created, existing: again.existing }, { created: 0, existing: first.created });
  await runDueJobs();
  const r = await getReport(officer, REGIME, period, A);
  t.truthy(r.instanceId);
  const tasks = await openTasksOf(r.instanceId!);
  t.deepEqual(tasks.map((x) => x.elementId), ['Task_fillReport']);
  const st = await cycleStatus(REGIME, period);
  t.is(st.expected, first.created);
  t.is(st.missing, first.created);
});

test.serial('a report task opened from the generic task list leads to the report page and cannot be completed there', async (t) => {
  const r = await getReport(officer, REGIME, period, A);
  const [task] = await openTasksOf(r.instanceId!);
  const session = await login(app.server, officer.username);
  const page = await call(app.server, session, 'GET', `/tasks/${task.id}`);
  t.is(page.statusCode, 302);
  t.is(page.headers.location, `/reporting/${REGIME}/${period}/${A}`);
  // Completing it through the engine's task API would skip the report's checks: refused, and the task stays open
  const done = await call(app.server, session, 'POST', `/api/engine/tasks/${task.id}/complete`, { variables: {} });
  t.is(done.statusCode, 409);
  t.is(JSON.parse(done.payload).code, 'tasklist.ownPage');
  t.deepEqual((await openTasksOf(r.instanceId!)).map((x) => x.id), [task.id]);
});

test.serial('a period of the wrong kind is a 400 and an empty report cannot be sent', async (t) => {
  await rejects(t, getReport(officer, REGIME, '2026Q3', A), 400);
  await rejects(t, getReport(officer, REGIME, 'abcd', A), 400);
  await rejects(t, saveReport(officer, REGIME, period, A, {}, { submit: true }), 422, 'reporting.report.empty');
});

test.serial('a commune never sees its sibling\'s report; the province sees its communes', async (t) => {
  await rejects(t, getReport(sibling, REGIME, period, A), 404);
  await rejects(t, saveReport(sibling, REGIME, period, A, filled), 404);
  t.is((await getReport(province, REGIME, period, A)).unit, A);
});

test.serial('officer fills, leader returns with a comment, officer fixes, leader approves and signs, the province rolls up', async (t) => {
  const sent = await saveReport(officer, REGIME, period, A, filled, { submit: true });
  t.is(sent.status, 'review');
  await rejects(t, saveReport(officer, REGIME, period, A, filled), 409, 'reporting.report.locked');
  await rejects(t, returnReport(leader, REGIME, period, A, '  '), 400, 'reporting.report.commentRequired');
  await rejects(t, returnReport(officer, REGIME, period, A, 'x'), 403);
  const back = await returnReport(leader, REGIME, period, A, 'Số bán lẻ chưa đúng');
  t.is(back.status, 'returned');
  t.is(back.round, 2);
  const fixed = { ...filled, TMBL_BANLE: { th: 45 } };
  t.is((await saveReport(officer, REGIME, period, A, fixed, { submit: true })).status, 'review');
  t.is((await approveReport(leader, REGIME, period, A)).status, 'approved');
  await rejects(t, saveReport(officer, REGIME, period, A, filled), 409);
  const signed = await signReport(leader, REGIME, period, A);
  t.is(signed.status, 'submitted');
  t.truthy(signed.signatureId);
  t.false(signed.isLate);
  const tasks = await openTasksOf(signed.instanceId!);
  t.is(tasks.length, 0);
  const history = await reportHistory(leader, REGIME, period, A);
  t.deepEqual(history.map((h) => h.action), ['sendForReview', 'return', 'sendForReview', 'approve', 'sign']);
  t.is(history[1].comment, 'Số bán lẻ chưa đúng');
  const hn = await getReport(province, REGIME, period, '01');
  t.is((hn.values as any).TMBL_BANLE.th, 45);
  t.is(hn.completeness!.submitted, 1);
  t.true(hn.completeness!.missingUnits.includes(B));
  t.true(hn.isPartial);
  const st = await cycleStatus(REGIME, period);
  t.is(st.submitted, 1);
  t.is(st.onTime, 1);
});

test.serial('a leader reopens with a reason: signature withdrawn, parent re-aggregated, a new round starts', async (t) => {
  await rejects(t, reopenReport(leader, REGIME, period, A, ''), 400);
  const r = await reopenReport(leader, REGIME, period, A, 'Cần bổ sung số liệu');
  t.is(r.status, 'draft');
  t.is(r.signatureId, null);
  const hn = await getReport(province, REGIME, period, '01');
  t.is(hn.completeness!.submitted, 0);
  t.is((hn.values as any)?.TMBL_BANLE?.th ?? null, null);
  const tasks = await openTasksOf(r.instanceId!);
  t.deepEqual(tasks.map((x) => x.elementId), ['Task_fillReport']);
});

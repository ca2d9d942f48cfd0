// The leader's signature on a report: one PIN entry signs the data (openssl accepts the detached CMS
// over the canonical JSON) and the PDF (pdfsig accepts it), the PDF is served to staff in scope and
// withdrawn on reopen; a wrong PIN signs nothing; a report step and its engine task commit together.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp } from '../../helpers/server.ts';
import { dialect } from '../../helpers/db.ts';
import { setupCa, nssDbTrusting, pdfsig, pkcs12For, sh, tempDir } from '../../helpers/signing.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { uploadPkcs12, verifyPdf } from '../../../src/signing/service.ts';
import { Signature, SigningCertificate } from '../../../src/signing/models.ts';
import { deployShippedProcesses, openTasksOf, runDueJobs } from '../../../src/engine/service.ts';
import { EngineHistory } from '../../../src/engine/models.ts';
import { approveReport, getReport, importRegime, openCycle, reopenReport, saveReport, signReport } from '../../../src/reporting/service.ts';
import { ReportSignedPdf } from '../../../src/reporting/models.ts';
import { periodContaining } from '../../../src/reporting/periods.ts';
import { db } from '../../../src/store/index.ts';
import type { Viewer } from '../../../src/access/index.ts';
import { AppError } from '../../../src/errors.ts';

let app: TestApp;
let officer: Viewer;
let leader: Viewer;
let sibling: Viewer;
let province: Viewer;
let dir: string;
let nss: string;
let rootFile: string;
const period = periodContaining('month', new Date()).period;
const REGIME = 'KTXH-KY';
const A = '00004';
const B = '00070';
const PIN = '135790';
const SIGNER = 'Nguyễn Thị Lãnh Đạo';
const page = `/reporting/${REGIME}/${period}/${A}`;
const filled = { nguoiLap: 'Trần Văn A', VDT_NSNN_TINH: { th: 12.5, lk: 100, cky: 90, kh: 300 }, TMBL_BANLE: { th: 40 } };

test.before(async () => {
  app = await startApp();
  await deployShippedProcesses();
  const rootPem = await setupCa();
  dir = tempDir();
  rootFile = path.join(dir, 'root.pem');
  fs.writeFileSync(rootFile, rootPem);
  nss = await nssDbTrusting(rootPem);
  officer = await loadViewer(await makeUser('officer', A));
  leader = await loadViewer(await makeUser('leader', A, { username: 'lanhdao.ky', fullName: SIGNER }));
  sibling = await loadViewer(await makeUser('officer', B));
  province = await loadViewer(await makeUser('officer', '01'));
  // The leader's own PKCS#12: every signature needs the PIN.
  await uploadPkcs12(leader, pkcs12For(SIGNER, PIN).p12, PIN);
  await importRegime(null, {
    code: REGIME, name: 'Báo cáo KT-XH tháng (ký số)', formKey: 'kt-xh-thang', frequency: 'month',
    reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 }, reminderDays: [5, 1],
  });
  await openCycle(REGIME, period);
  await runDueJobs();
});

test.after.always(async () => {
  await app?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (nss) fs.rmSync(nss, { recursive: true, force: true });
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
  return 'no error';
}

async function elementsOpen(unit = A): Promise<string[]> {
  const r = await getReport(officer, REGIME, period, unit);
  return (await openTasksOf(r.instanceId!)).map((x) => x.elementId);
}

async function signaturesOf(reportId: number): Promise<Signature[]> {
  return Signature.findAll({ where: { targetType: 'report', targetId: String(reportId) }, order: [['id', 'ASC']] });
}

/** Makes every audit row of one action fail, as a crash right after the report's write would. */
async function failAuditOf(action: string): Promise<() => Promise<void>> {
  const q = (sql: string) => db().query(sql);
  if (dialect === 'mysql') {
    await q(`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_log FOR EACH ROW BEGIN IF NEW.action = '${action}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`);
  } else {
    await q(`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_log WHEN NEW.action = '${action}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  }
  return async () => {
    await q('DROP TRIGGER test_fail_audit');
  };
}

test.serial('a failure after the report is written rolls back the engine task completion with it', async (t) => {
  t.is((await saveReport(officer, REGIME, period, A, filled, { submit: true })).status, 'review');
  t.deepEqual(await elementsOpen(), ['Task_reviewReport']);
  const { instanceId } = await getReport(officer, REGIME, period, A);
  const before = await EngineHistory.count({ where: { instanceId: instanceId! } });
  // The audit row is written after the report's new status and after the engine completed its task.
  const restore = await failAuditOf('reporting.report.approve');
  try {
    const err = await t.throwsAsync(approveReport(leader, REGIME, period, A)) as Error & { parent?: Error; original?: Error };
    t.regex(String(err?.parent?.message ?? err?.original?.message ?? err?.message), /injected failure/);
  } finally {
    await restore();
  }
  t.is((await getReport(officer, REGIME, period, A)).status, 'review');
  t.deepEqual(await elementsOpen(), ['Task_reviewReport'], 'the review task is still open');
  t.is(await EngineHistory.count({ where: { instanceId: instanceId! } }), before, 'no engine history was kept');
  // Once nothing fails, the same step moves both.
  t.is((await approveReport(leader, REGIME, period, A)).status, 'approved');
  t.deepEqual(await elementsOpen(), ['Task_signReport']);
});

test.serial('a wrong or missing PIN signs nothing: no signature, no PDF, no change of state', async (t) => {
  const r = await getReport(officer, REGIME, period, A);
  t.is(await code(signReport(leader, REGIME, period, A, '000000')), 'signing.wrongPin');
  t.is(await code(signReport(leader, REGIME, period, A)), 'signing.pinRequired');
  t.is((await getReport(officer, REGIME, period, A)).status, 'approved');
  t.is((await signaturesOf(r.id)).length, 0);
  t.is(await ReportSignedPdf.count({ where: { reportId: r.id } }), 0);
  t.deepEqual(await elementsOpen(), ['Task_signReport']);
  const session = await login(app.server, leader.username);
  t.is((await call(app.server, session, 'GET', `${page}/signed.pdf`)).statusCode, 404);
  // Through the page, a wrong PIN is said in words next to the form, not a 500.
  const res = await call(app.server, session, 'POST', page, { action: 'sign', pin: '111111' });
  t.is(res.statusCode, 422);
  t.true(res.payload.includes('data-testid="sign-form"'));
});

test.serial('one PIN entry signs the data and the PDF; openssl and pdfsig accept them; staff in scope download it', async (t) => {
  const session = await login(app.server, leader.username);
  const res = await call(app.server, session, 'POST', page, { action: 'sign', pin: PIN });
  t.is(res.statusCode, 302, res.payload.slice(0, 300));
  const r = await getReport(officer, REGIME, period, A);
  t.is(r.status, 'submitted');
  t.deepEqual(await elementsOpen(), [], 'the sign task is completed');
  const cert = await SigningCertificate.findOne({ where: { userId: leader.userId, status: 'active' } });
  t.is(cert!.pinFailures, 0);

  // Two signature records of one signing: the data one is the report's, the PDF one is in the stored row.
  const sigs = await signaturesOf(r.id);
  t.deepEqual(sigs.map((s) => s.kind).sort(), ['data', 'pdf']);
  const data = sigs.find((s) => s.kind === 'data')!;
  const onPdf = sigs.find((s) => s.kind === 'pdf')!;
  t.is(r.signatureId, data.publicId);
  t.is(data.signedAt.getTime(), onPdf.signedAt.getTime());
  const row = await ReportSignedPdf.findOne({ where: { reportId: r.id } });
  t.is(row!.status, 'current');
  t.is(row!.pdfSignatureId, onPdf.publicId);
  t.is(row!.dataSignatureId, data.publicId);

  // openssl verifies the detached CMS over the canonical JSON against the root.
  fs.writeFileSync(path.join(dir, 'data.json'), data.data!);
  fs.writeFileSync(path.join(dir, 'data.p7s'), Buffer.from(data.cms, 'base64'));
  const o = await sh('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'data.p7s'), '-content', path.join(dir, 'data.json'), '-CAfile', rootFile, '-out', '/dev/null']);
  t.is(o.code, 0, o.stderr);
  t.regex(o.stderr, /Verification successful/);
  t.is(JSON.parse(data.data!).values.TMBL_BANLE.th, 40);

  // The page shows the link; the download is a PDF that pdfsig reports valid and whole.
  const shown = await call(app.server, session, 'GET', page);
  t.true(shown.payload.includes('Tải báo cáo PDF đã ký số'));
  t.true(shown.payload.includes(`href="${page}/signed.pdf"`));
  t.regex(shown.payload, /data-testid="signed-pdf-history"[\s\S]*Vòng 1 — hiệu lực/);
  const got = await call(app.server, session, 'GET', `${page}/signed.pdf`);
  t.is(got.statusCode, 200);
  t.is(got.headers['content-type'], 'application/pdf');
  const file = path.join(dir, 'signed.pdf');
  fs.writeFileSync(file, got.rawPayload);
  const out = await pdfsig(nss, file);
  t.regex(out, /Signature Validation: Signature is Valid/);
  t.regex(out, /Total document signed/);
  t.regex(out, new RegExp(`Signer Certificate Common Name: ${SIGNER}`));
  const text = (await sh('pdftotext', [file, '-'])).stdout.normalize('NFC');
  t.true(text.includes('ĐÃ KÝ SỐ BỞI'), text.slice(0, 500));
  t.true(text.replace(/[\s-]+/g, '').includes(`/verify/${onPdf.publicId}`.replace(/-/g, '')));
  const checked = await verifyPdf(got.rawPayload);
  t.true(checked.isValid);
  t.is(checked.signatures[0].record?.id, onPdf.publicId);

  // The province above may download it; the sibling commune may not even see it.
  const up = await call(app.server, await login(app.server, province.username), 'GET', `${page}/signed.pdf`);
  t.is(up.statusCode, 200);
  t.is(up.rawPayload.length, got.rawPayload.length);
  t.is((await call(app.server, await login(app.server, sibling.username), 'GET', `${page}/signed.pdf`)).statusCode, 404);
});

test.serial('reopening withdraws the signed PDF: no longer served, kept in the history as withdrawn', async (t) => {
  const r = await reopenReport(leader, REGIME, period, A, 'Cần sửa số bán lẻ');
  t.is(r.status, 'draft');
  const row = await ReportSignedPdf.findOne({ where: { reportId: r.id } });
  t.is(row!.status, 'withdrawn');
  t.is(row!.withdrawReason, 'Cần sửa số bán lẻ');
  t.truthy(row!.withdrawnAt);
  const session = await login(app.server, leader.username);
  const got = await call(app.server, session, 'GET', `${page}/signed.pdf`);
  t.is(got.statusCode, 404);
  const shown = await call(app.server, session, 'GET', page);
  t.false(shown.payload.includes(`href="${page}/signed.pdf"`));
  t.regex(shown.payload, /data-testid="signed-pdf-history"[\s\S]*đã thu hồi[\s\S]*Cần sửa số bán lẻ/);
  t.deepEqual(await elementsOpen(), ['Task_fillReport']);
});

// Paying a dossier's fee through the VNPay 2.1.0 protocol on a real database: the owner gets a signed redirect with
// the catalog's amount, the gateway's notification is taken once (repeats, tampered amounts, bad signatures and
// unknown orders are refused with VNPay's codes), the dossier's history and its waiting process hear of it, and
// the sandbox gateway walks the same way as a browser would.
import test from 'ava';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { bpmn, openTasks } from '../../processes/support.ts';
import { Dossier, DossierEvent } from '../../../src/dossiers/models.ts';
import { receiveDossier } from '../../../src/dossiers/core.ts';
import { Payment, PaymentNotification } from '../../../src/payments/models.ts';
import { JOB_CORRELATE_PAID, isDossierPaid, amountDueOf, correlateIfPaid, PAID_RETRY_MINUTES } from '../../../src/payments/service.ts';
import { seedProcedures } from '../../../src/catalog/service.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { deployDefinition } from '../../../src/engine/definitions.ts';
import { startProcess } from '../../../src/engine/runtime.ts';
import { runDueJobs } from '../../../src/engine/service.ts';
import { EngineJob } from '../../../src/engine/models.ts';
import { inTransaction } from '../../../src/store/index.ts';

const SECRET = 'merchant-secret-for-the-payment-tests-0001';
const TMN = 'TESTMERC';
const BASE = 'http://govflow.test';

let app: TestApp;
let owner: { id: number; username: string };
let ownerSession: Session;
let otherCitizen: Session;
let officerHanoi: Session;
let officerHcm: Session;

const hmac = (s: string) => crypto.createHmac('sha512', SECRET).update(s, 'utf8').digest('hex');

test.before(async () => {
  app = await startApp({ env: { PAYMENT_VNPAY_TMNCODE: TMN, PAYMENT_VNPAY_SECRET: SECRET, BASE_URL: BASE } });
  await seedProcedures();
  owner = await makeUser('citizen');
  ownerSession = await login(app.server, owner.username);
  otherCitizen = await login(app.server, (await makeUser('citizen')).username);
  officerHanoi = await login(app.server, (await makeUser('officer', '01')).username);
  officerHcm = await login(app.server, (await makeUser('officer', '79')).username);
});

test.after.always(async () => {
  await app?.close();
});

/** A dossier of the citizen at Phường Ba Đình, received now (1.004222 Đăng ký thường trú: 10.000 đ online, 20.000 đ direct). */
async function dossier(opts: { procedure?: string; channel?: 'online' | 'direct'; received?: boolean } = {}): Promise<Dossier> {
  const org = await getOrgByCode('00004');
  const d = await Dossier.create({
    procedureCode: opts.procedure ?? '1.004222', procedureName: 'Đăng ký thường trú', formKey: 'dang-ky-thuong-tru', formVersion: 1, ownerUserId: owner.id,
    applicantName: 'Nguyễn Thị Lan', orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: opts.channel ?? 'online', status: 'draft', valuesJson: '{}',
  });
  if (opts.received === false) return d;
  return inTransaction((t) => receiveDossier(d, { limit: { amount: 2, unit: 'workday' } }, t));
}

async function startPay(d: Dossier, session = ownerSession) {
  return call(app.server, session, 'POST', `/api/dossiers/${d.id}/payment`, {});
}

/** The gateway's notification for an order, written and signed here by hand. */
function notification(txnRef: string, amountVnd: number, opts: { code?: string; secret?: string } = {}): string {
  const code = opts.code ?? '00';
  const signed = `vnp_Amount=${amountVnd * 100}&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112&vnp_CardType=ATM&vnp_OrderInfo=Nop+phi+ho+so`
    + `&vnp_PayDate=20261201103500&vnp_ResponseCode=${code}&vnp_TmnCode=${TMN}&vnp_TransactionNo=14226112&vnp_TransactionStatus=${code === '00' ? '00' : '02'}&vnp_TxnRef=${txnRef}`;
  const hash = crypto.createHmac('sha512', opts.secret ?? SECRET).update(signed, 'utf8').digest('hex');
  return `${signed}&vnp_SecureHashType=HmacSHA512&vnp_SecureHash=${hash}`;
}

async function ipn(query: string) {
  const res = await app.server.inject(`/api/payments/vnpay/ipn?${query}`);
  t200(res.statusCode);
  return JSON.parse(res.payload) as { RspCode: string; Message: string };
}
function t200(status: number) {
  if (status !== 200) throw new Error(`IPN answered HTTP ${status}`);
}

test.serial('the owner gets the catalog amount and a redirect signed over its sorted, encoded vnp_ parameters', async (t) => {
  const d = await dossier();
  const res = await startPay(d);
  t.is(res.statusCode, 200, res.payload);
  const body = JSON.parse(res.payload) as { txnRef: string; amount: number; redirectUrl: string };
  t.is(body.amount, 10000);
  t.true(body.redirectUrl.startsWith(`${BASE}/payments/sandbox/vnpay?`));
  const query = body.redirectUrl.split('?')[1];
  const [signed, hash] = query.split('&vnp_SecureHash=');
  t.is(hmac(signed), hash);
  const keys = signed.split('&').map((p) => p.split('=')[0]);
  t.deepEqual(keys, [...keys].sort());
  t.true(signed.includes('vnp_Amount=1000000&'));
  t.true(signed.includes(`vnp_TmnCode=${TMN}&`));
  t.true(signed.includes(`vnp_ReturnUrl=${encodeURIComponent(`${BASE}/payments/vnpay/return`)}&`));
  t.true(signed.includes(`vnp_TxnRef=${body.txnRef}&`));
  t.regex(signed, /vnp_OrderInfo=Nop\+phi\+ho\+so\+000\.00\.00\.X00-\d{6}-\d{4}\+1\.004222&/);
  const row = await Payment.findOne({ where: { txnRef: body.txnRef } });
  t.is(row!.status, 'pending');
  t.is(row!.amount, 10000);
});

test.serial('the amount never comes from the browser, and a counter dossier pays the upper catalog figure', async (t) => {
  const d = await dossier();
  const res = await call(app.server, ownerSession, 'POST', `/api/dossiers/${d.id}/payment`, { amount: 1 });
  t.is(res.statusCode, 400);
  const counter = await dossier({ channel: 'direct' });
  t.is((JSON.parse((await startPay(counter)).payload) as { amount: number }).amount, 20000);
});

test.serial('only the owner may pay: another citizen and an officer of another province get 404, an officer in scope 403', async (t) => {
  const d = await dossier();
  t.is((await startPay(d, otherCitizen)).statusCode, 404);
  t.is((await startPay(d, officerHcm)).statusCode, 404);
  const inScope = await startPay(d, officerHanoi);
  t.is(inScope.statusCode, 403);
  t.is((JSON.parse(inScope.payload) as { code: string }).code, 'payments.ownerOnly');
  t.is((await call(app.server, officerHcm, 'GET', `/dossiers/${d.id}/payment`)).statusCode, 404);
  t.is((await call(app.server, officerHanoi, 'GET', `/dossiers/${d.id}/payment`)).statusCode, 200);
  t.is(await Payment.count({ where: { dossierId: d.id } }), 0);
});

test.serial('a free procedure, one without a stated amount and a draft cannot be paid, each with its reason', async (t) => {
  const free = await startPay(await dossier({ procedure: '1.001193' }));
  t.is(free.statusCode, 409);
  t.is((JSON.parse(free.payload) as { code: string }).code, 'payments.nothingDue');
  const unstated = await startPay(await dossier({ procedure: '1.000894' }));
  t.is((JSON.parse(unstated.payload) as { code: string }).code, 'payments.feeUnknown');
  const draft = await startPay(await dossier({ received: false }));
  t.is(draft.statusCode, 409);
  t.is((JSON.parse(draft.payload) as { code: string }).code, 'payments.notPayable');
});

test.serial('a confirmed notification marks the payment paid once; a repeat answers 02 and changes nothing', async (t) => {
  const d = await dossier();
  const { txnRef } = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  t.is(await amountDueOf(d.id), 10000);
  t.deepEqual(await ipn(notification(txnRef, 10000)), { RspCode: '00', Message: 'Confirm Success' });
  const paid = await Payment.findOne({ where: { txnRef } });
  t.is(paid!.status, 'paid');
  t.is(paid!.gatewayTxnNo, '14226112');
  t.is(paid!.receiptNo, `BL-${txnRef}`);
  t.true(await isDossierPaid(d.id));
  t.is(await amountDueOf(d.id), 0);
  const events = await DossierEvent.findAll({ where: { dossierId: d.id, kind: 'payment' } });
  t.is(events.length, 1);
  t.like(JSON.parse(events[0].dataJson!), { status: 'paid', amount: 10000, txnRef, gateway: 'vnpay' });

  t.deepEqual(await ipn(notification(txnRef, 10000)), { RspCode: '02', Message: 'Order already confirmed' });
  t.deepEqual(await ipn(notification(txnRef, 10000, { code: '24' })), { RspCode: '02', Message: 'Order already confirmed' });
  t.is((await Payment.findOne({ where: { txnRef } }))!.status, 'paid');
  t.is(await DossierEvent.count({ where: { dossierId: d.id, kind: 'payment' } }), 1);
  t.is(await EngineJob.count({ where: { kind: JOB_CORRELATE_PAID } }), 1);
  // Once paid there is nothing more to start.
  const again = await startPay(d);
  t.is((JSON.parse(again.payload) as { code: string }).code, 'payments.alreadyPaid');
});

test.serial('a tampered amount answers 04, a bad signature 97, an unknown order 01, and the payment stays pending', async (t) => {
  const d = await dossier();
  const { txnRef } = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  t.is((await ipn(notification(txnRef, 100))).RspCode, '04');
  const honest = notification(txnRef, 10000);
  t.is((await ipn(honest.replace('vnp_Amount=1000000', 'vnp_Amount=100'))).RspCode, '97');
  t.is((await ipn(notification(txnRef, 10000, { secret: 'someone-else-s-secret-of-enough-length' }))).RspCode, '97');
  t.is((await ipn('vnp_TxnRef=x')).RspCode, '97');
  t.is((await ipn(notification('99D000000000000ZZZZZZ', 10000))).RspCode, '01');
  t.is((await Payment.findOne({ where: { txnRef } }))!.status, 'pending');
  t.is(await DossierEvent.count({ where: { dossierId: d.id, kind: 'payment' } }), 0);
  t.true(await PaymentNotification.count({ where: { txnRef } }) >= 3);
});

test.serial('two notifications racing for one order settle it once', async (t) => {
  const d = await dossier();
  const { txnRef } = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  const answers = await Promise.all([ipn(notification(txnRef, 10000)), ipn(notification(txnRef, 10000)), ipn(notification(txnRef, 10000))]);
  t.deepEqual(answers.map((a) => a.RspCode).sort(), ['00', '02', '02']);
  t.is(await DossierEvent.count({ where: { dossierId: d.id, kind: 'payment' } }), 1);
});

test.serial('a failed payment is recorded, leaves the dossier unpaid and can be tried again', async (t) => {
  const d = await dossier();
  const first = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  t.is((await ipn(notification(first.txnRef, 10000, { code: '24' }))).RspCode, '00');
  t.is((await Payment.findOne({ where: { txnRef: first.txnRef } }))!.status, 'failed');
  t.false(await isDossierPaid(d.id));
  const page = await call(app.server, ownerSession, 'GET', `/dossiers/${d.id}/payment`);
  t.regex(page.payload, /Lần thanh toán trước không thành công/);
  const second = await startPay(d);
  t.is(second.statusCode, 200);
  t.not((JSON.parse(second.payload) as { txnRef: string }).txnRef, first.txnRef);
});

test.serial('a second attempt paid at the gateway for a paid dossier is recorded as a duplicate and not sent to the process again', async (t) => {
  const d = await dossier();
  const first = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  const second = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  const jobs = await EngineJob.count({ where: { kind: JOB_CORRELATE_PAID } });
  t.is((await ipn(notification(first.txnRef, 10000))).RspCode, '00');
  t.is((await ipn(notification(second.txnRef, 10000))).RspCode, '00');
  t.is(await Payment.count({ where: { dossierId: d.id, status: 'paid' } }), 2);
  const events = await DossierEvent.findAll({ where: { dossierId: d.id, kind: 'payment' }, order: [['id', 'ASC']] });
  t.deepEqual(events.map((e) => (JSON.parse(e.dataJson!) as { duplicateOf: string | null }).duplicateOf), [null, first.txnRef]);
  t.is(await EngineJob.count({ where: { kind: JOB_CORRELATE_PAID } }), jobs + 1);
  // The receipt stays the first payment's.
  const page = await call(app.server, ownerSession, 'GET', `/dossiers/${d.id}/payment`);
  t.regex(page.payload, new RegExp(`BL-${first.txnRef}`));
});

test.serial('the handling process waiting for dossier.paid moves on once the payment is confirmed', async (t) => {
  await deployDefinition(bpmn('Process_payWait', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="payment"/>
    <intermediateCatchEvent id="payment" name="Chờ thanh toán"><messageEventDefinition messageRef="Message_paid"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_2" sourceRef="payment" targetRef="handle"/>
    <userTask id="handle" name="Giải quyết" camunda:candidateGroups="officer@00004"/>
    <sequenceFlow id="Flow_3" sourceRef="handle" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { head: '<message id="Message_paid" name="dossier.paid"/>' }));
  const d = await dossier();
  const instance = await startProcess('Process_payWait', { businessKey: `dossier:${d.id}`, variables: { dossierId: d.id } });
  t.deepEqual(await openTasks(instance.id), []);
  const { txnRef } = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  t.is((await ipn(notification(txnRef, 10000))).RspCode, '00');
  for (let i = 0; i < 20 && (await openTasks(instance.id)).length === 0; i++) await runDueJobs();
  const tasks = await openTasks(instance.id);
  t.deepEqual(tasks.map((x) => x.elementId), ['handle']);
});

test.serial('a payment made before the process waits for it is kept trying and reaches the process once it waits', async (t) => {
  await deployDefinition(bpmn('Process_payLater', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="receive"/>
    <userTask id="receive" name="Tiếp nhận" camunda:candidateGroups="officer@00004"/>
    <sequenceFlow id="Flow_2" sourceRef="receive" targetRef="payment"/>
    <intermediateCatchEvent id="payment" name="Chờ thanh toán"><messageEventDefinition messageRef="Message_paid"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_3" sourceRef="payment" targetRef="handle"/>
    <userTask id="handle" name="Giải quyết" camunda:candidateGroups="officer@00004"/>
    <sequenceFlow id="Flow_4" sourceRef="handle" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { head: '<message id="Message_paid" name="dossier.paid"/>' }));
  const d = await dossier();
  const instance = await startProcess('Process_payLater', { businessKey: `dossier:${d.id}`, variables: { dossierId: d.id } });
  const { txnRef } = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  t.false(await correlateIfPaid(d.id), 'nothing paid yet');
  t.is((await ipn(notification(txnRef, 10000))).RspCode, '00');
  const before = Date.now();
  for (let i = 0; i < 5; i++) await runDueJobs();
  // The process is still at the desk: the message is tried again later, not dropped.
  t.deepEqual((await openTasks(instance.id)).map((x) => x.elementId), ['receive']);
  const retry = (await EngineJob.findAll({ where: { kind: JOB_CORRELATE_PAID } })).find((j) => (JSON.parse(j.payload!) as { txnRef: string }).txnRef === txnRef && j.status === 'pending');
  t.truthy(retry);
  t.true(retry!.runAt.getTime() >= before + (PAID_RETRY_MINUTES - 1) * 60_000);
  const { completeTaskAsSystem } = await import('../../../src/engine/service.ts');
  const [receive] = await openTasks(instance.id);
  await completeTaskAsSystem(receive.id, {});
  t.deepEqual(await openTasks(instance.id), []);
  // The handling side asks right after the dossier reaches its payment wait.
  t.true(await correlateIfPaid(d.id));
  t.deepEqual((await openTasks(instance.id)).map((x) => x.elementId), ['handle']);
});

test.serial('the receipt is there once paid, for the owner and staff in scope only', async (t) => {
  const d = await dossier();
  t.is((await call(app.server, ownerSession, 'GET', `/dossiers/${d.id}/payment/receipt.pdf`)).statusCode, 404);
  const { txnRef } = JSON.parse((await startPay(d)).payload) as { txnRef: string };
  await ipn(notification(txnRef, 10000));
  const pdf = await call(app.server, ownerSession, 'GET', `/dossiers/${d.id}/payment/receipt.pdf`);
  t.is(pdf.statusCode, 200);
  t.is(pdf.headers['content-type'], 'application/pdf');
  t.is(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
  const text = execFileSync('pdftotext', ['-', '-'], { input: pdf.rawPayload }).toString().normalize('NFC');
  for (const line of ['BIÊN LAI THU PHÍ, LỆ PHÍ', `Số: BL-${txnRef}`, 'Người nộp: Nguyễn Thị Lan', `Mã hồ sơ: ${d.code}`, 'Số tiền: 10.000 đồng', 'Bằng chữ: Mười nghìn đồng', 'Mã giao dịch tại cổng: 14226112', 'PHƯỜNG BA ĐÌNH']) {
    t.true(text.includes(line), `${line} in:\n${text}`);
  }
  t.is((await call(app.server, officerHanoi, 'GET', `/dossiers/${d.id}/payment/receipt.pdf`)).statusCode, 200);
  t.is((await call(app.server, officerHcm, 'GET', `/dossiers/${d.id}/payment/receipt.pdf`)).statusCode, 404);
  t.is((await call(app.server, otherCitizen, 'GET', `/dossiers/${d.id}/payment/receipt.pdf`)).statusCode, 404);
});

test.serial('through the sandbox: the payer sees the order, succeeds, the IPN settles it and the return page says so', async (t) => {
  const d = await dossier();
  const { redirectUrl, txnRef } = JSON.parse((await startPay(d)).payload) as { redirectUrl: string; txnRef: string };
  const local = redirectUrl.slice(BASE.length);
  const page = await call(app.server, ownerSession, 'GET', local);
  t.is(page.statusCode, 200);
  t.regex(page.payload, /10\.000 đồng/);
  t.regex(page.payload, new RegExp(txnRef));
  const fields = Object.fromEntries(new URLSearchParams(local.split('?')[1]));
  const back = await call(app.server, ownerSession, 'POST', '/payments/sandbox/vnpay', { ...fields, outcome: 'success' });
  t.is(back.statusCode, 302);
  const location = String(back.headers.location);
  t.true(location.startsWith(`${BASE}/payments/vnpay/return?`));
  t.is((await Payment.findOne({ where: { txnRef } }))!.status, 'paid');
  const ret = await call(app.server, ownerSession, 'GET', location.slice(BASE.length));
  t.is(ret.statusCode, 200);
  t.regex(ret.payload, /Thanh toán thành công 10\.000 đồng cho hồ sơ 000\.00\.00\.X00-/);
  // A return whose parameters were changed is refused and settles nothing.
  const forged = await call(app.server, ownerSession, 'GET', location.slice(BASE.length).replace('vnp_ResponseCode=00', 'vnp_ResponseCode=24'));
  t.is(forged.statusCode, 400);
});

test.serial('the sandbox refuses a request whose amount was changed after signing', async (t) => {
  const d = await dossier();
  const { redirectUrl } = JSON.parse((await startPay(d)).payload) as { redirectUrl: string };
  const res = await call(app.server, ownerSession, 'GET', redirectUrl.slice(BASE.length).replace('vnp_Amount=1000000', 'vnp_Amount=100'));
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Chữ ký của yêu cầu thanh toán không hợp lệ/);
});

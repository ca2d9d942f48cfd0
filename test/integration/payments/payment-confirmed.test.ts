// The citizen hears that a payment was confirmed: the gateway's notification queues a `payment-confirmed` message in
// the transaction that marks the payment paid (nothing of either is left when that transaction fails), the e-mail
// arrives on a real SMTP server in the citizen's language, and a repeated notification sends nothing more.
import test from 'ava';
import crypto from 'node:crypto';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { startSmtp, type TestSmtp } from '../../helpers/notify-smtp.ts';
import { Dossier } from '../../../src/dossiers/models.ts';
import { receiveDossier } from '../../../src/dossiers/core.ts';
import { Payment } from '../../../src/payments/models.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';
import { seedProcedures } from '../../../src/catalog/service.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { runDueJobs } from '../../../src/engine/service.ts';
import { db, inTransaction, isMysql } from '../../../src/store/index.ts';
import { User } from '../../../src/auth/models.ts';

const SECRET = 'merchant-secret-for-the-payment-tests-0002';
const TMN = 'TESTMERC';
const BASE = 'http://govflow.test';

let app: TestApp;
let smtp: TestSmtp;
let owner: { id: number; username: string; email: string | null };
let session: Session;

test.before(async () => {
  smtp = await startSmtp();
  app = await startApp({ env: { PAYMENT_VNPAY_TMNCODE: TMN, PAYMENT_VNPAY_SECRET: SECRET, BASE_URL: BASE, SMTP_URL: smtp.url, MAIL_FROM: 'govflow <no-reply@govflow.test>' } });
  await seedProcedures();
  owner = await makeUser('citizen', null, { fullName: 'Nguyễn Thị Lan' });
  session = await login(app.server, owner.username);
});

test.after.always(async () => {
  await app?.close();
  await smtp?.stop();
});

/** A received online dossier of the citizen at Phường Ba Đình (1.004222: 10.000 đ online). */
async function dossier(): Promise<Dossier> {
  const org = await getOrgByCode('00004');
  const d = await Dossier.create({
    procedureCode: '1.004222', procedureName: 'Đăng ký thường trú', formKey: 'dang-ky-thuong-tru', formVersion: 1, ownerUserId: owner.id,
    applicantName: 'Nguyễn Thị Lan', orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: 'online', status: 'draft', valuesJson: '{}',
  });
  return inTransaction((t) => receiveDossier(d, { limit: { amount: 2, unit: 'workday' } }, t));
}

/** The gateway's success notification for an order, signed here by hand. */
function notification(txnRef: string, amountVnd: number): string {
  const signed = `vnp_Amount=${amountVnd * 100}&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226113&vnp_CardType=ATM&vnp_OrderInfo=Nop+phi+ho+so`
    + `&vnp_PayDate=20261201103500&vnp_ResponseCode=00&vnp_TmnCode=${TMN}&vnp_TransactionNo=14226113&vnp_TransactionStatus=00&vnp_TxnRef=${txnRef}`;
  return `${signed}&vnp_SecureHashType=HmacSHA512&vnp_SecureHash=${crypto.createHmac('sha512', SECRET).update(signed, 'utf8').digest('hex')}`;
}

async function ipn(query: string): Promise<string> {
  const res = await app.server.inject(`/api/payments/vnpay/ipn?${query}`);
  return (JSON.parse(res.payload) as { RspCode: string }).RspCode;
}

async function pay(d: Dossier): Promise<{ txnRef: string; amount: number }> {
  const res = await call(app.server, session, 'POST', `/api/dossiers/${d.id}/payment`, {});
  if (res.statusCode !== 200) throw new Error(res.payload);
  return JSON.parse(res.payload) as { txnRef: string; amount: number };
}

const confirmedOf = (txnRef: string) => NotifyMessage.findAll({ where: { event: 'payment-confirmed', reference: `payment:${txnRef}` }, order: [['id', 'ASC']] });

test.serial('a confirmed payment sends the citizen one e-mail with the amount and the receipt, and a repeated notification sends nothing more', async (t) => {
  const d = await dossier();
  const started = await pay(d);
  t.is(await ipn(notification(started.txnRef, started.amount)), '00');
  const queued = await confirmedOf(started.txnRef);
  t.deepEqual(queued.map((m) => m.channel).sort(), ['email', 'inapp']);
  t.true(queued.every((m) => m.recipientUserId === owner.id));
  await runDueJobs();
  const mails = smtp.received.filter((m) => m.subject.includes(d.code!));
  t.is(mails.length, 1);
  t.deepEqual(mails[0].to, [owner.email]);
  t.is(mails[0].subject, `Đã nhận thanh toán phí, lệ phí hồ sơ ${d.code}`);
  t.true(mails[0].text.includes('Kính gửi Nguyễn Thị Lan'));
  t.true(mails[0].text.includes('10.000 đồng'), mails[0].text);
  t.true(mails[0].text.includes(`Số biên lai: BL-${started.txnRef}`), mails[0].text);
  t.true(mails[0].text.includes(`${BASE}/dossiers/${d.id}/payment`));

  t.is(await ipn(notification(started.txnRef, started.amount)), '02');
  await runDueJobs();
  t.is((await confirmedOf(started.txnRef)).length, 2, 'still the two messages (e-mail and in-app) of the first notification');
  t.is(smtp.received.filter((m) => m.subject.includes(d.code!)).length, 1);
});

test.serial('the message is in the language the citizen chose', async (t) => {
  await User.update({ locale: 'en' }, { where: { id: owner.id } });
  try {
    const d = await dossier();
    const started = await pay(d);
    t.is(await ipn(notification(started.txnRef, started.amount)), '00');
    await runDueJobs();
    const mail = smtp.received.find((m) => m.subject.includes(d.code!));
    t.is(mail?.subject, `Payment received for application ${d.code}`);
    t.true(mail!.text.includes('10,000 VND'), mail!.text);
  } finally {
    await User.update({ locale: 'vi' }, { where: { id: owner.id } });
  }
});

test.serial('when the confirming transaction fails, neither the payment nor the message is kept', async (t) => {
  const d = await dossier();
  const started = await pay(d);
  // The transaction's last write (the notification log's `confirmed` row) is made to fail.
  if (isMysql()) {
    await db().query("CREATE TRIGGER xc_fail_confirm BEFORE INSERT ON payment_notifications FOR EACH ROW BEGIN IF NEW.outcome = 'confirmed' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF; END");
  } else {
    await db().query("CREATE TRIGGER xc_fail_confirm BEFORE INSERT ON payment_notifications WHEN NEW.outcome = 'confirmed' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  }
  try {
    t.is(await ipn(notification(started.txnRef, started.amount)), '99');
  } finally {
    await db().query('DROP TRIGGER xc_fail_confirm');
  }
  t.is((await Payment.findOne({ where: { txnRef: started.txnRef } }))!.status, 'pending');
  t.is((await confirmedOf(started.txnRef)).length, 0);
  // The gateway retries: now it goes through, and the citizen is told once.
  t.is(await ipn(notification(started.txnRef, started.amount)), '00');
  t.is((await confirmedOf(started.txnRef)).length, 2);
});

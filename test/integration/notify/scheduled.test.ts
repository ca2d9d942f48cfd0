// Scheduled messages (reminders, escalations): queued ahead with `notBefore`, sent once when due and not
// before, shown in the bell only when due, and cancelled by their reference before they are sent.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { startSmtp, type TestSmtp } from '../../helpers/notify-smtp.ts';
import { cancelMessages, queueMessage, queueMessages, unreadCount, listInbox } from '../../../src/notify/service.ts';
import { closeMailer } from '../../../src/notify/channels.ts';
import { NotifyAttempt, NotifyMessage } from '../../../src/notify/models.ts';
import { runDueJobs } from '../../../src/engine/service.ts';
import { EngineJob } from '../../../src/engine/models.ts';
import { AppError } from '../../../src/errors.ts';
import { t as msg } from '../../../src/i18n/index.ts';

let database: TestDb;
let smtp: TestSmtp;

test.before(async () => {
  smtp = await startSmtp();
  database = await freshDb({ SMTP_URL: smtp.url, NOTIFY_RETRY_MS: '50', MAIL_FROM: 'govflow <no-reply@govflow.test>' });
});

test.after.always(async () => {
  closeMailer();
  await smtp?.stop();
  await database?.cleanup();
});

const sleepUntil = (at: Date) => new Promise((r) => setTimeout(r, Math.max(0, at.getTime() - Date.now()) + 20));
const receivedFor = (id: number) => smtp.received.filter((r) => r.govflowId === String(id)).length;
const reminder = { recipientName: 'Nguyễn Văn An', title: 'Báo cáo kinh tế - xã hội tháng 10/2026', dueAt: '2026-10-25T16:59:59.999Z', link: 'http://localhost/r/1' };

test.serial('a message queued with notBefore is not sent before that instant, then once', async (t) => {
  const notBefore = new Date(Date.now() + 600);
  const m = await queueMessage({ channel: 'email', event: 'deadline-reminder', to: 'can.bo@xa-ba-dinh.gov.vn', reference: 'report:sched-1', data: reminder, notBefore });
  t.is(m.status, 'created');
  t.is(m.nextAttemptAt!.getTime(), notBefore.getTime());
  // The delivery job itself waits for the instant, so no worker polls the message before then.
  const jobs = await EngineJob.findAll({ where: { kind: 'notify.deliver' } });
  const job = jobs.find((j) => (JSON.parse(j.payload!) as { ids: number[] }).ids.includes(m.id))!;
  t.is(job.runAt.getTime(), notBefore.getTime());
  await runDueJobs();
  t.is((await NotifyMessage.findByPk(m.id))!.status, 'created');
  t.is(receivedFor(m.id), 0);
  await sleepUntil(notBefore);
  await runDueJobs();
  t.is((await NotifyMessage.findByPk(m.id))!.status, 'delivered');
  t.is(receivedFor(m.id), 1);
  await runDueJobs();
  t.is(receivedFor(m.id), 1);
  t.is(await NotifyAttempt.count({ where: { messageId: m.id } }), 1);
});

test.serial('a notBefore in the past sends at once, and one batch with several instants gets one job per instant', async (t) => {
  const later = new Date(Date.now() + 60_000);
  const rows = await queueMessages([
    { channel: 'email', event: 'test', to: 'a@govflow.test', data: { at: new Date() }, notBefore: new Date(Date.now() - 60_000) },
    { channel: 'email', event: 'test', to: 'b@govflow.test', reference: 'batch:later', data: { at: new Date() }, notBefore: later.toISOString() },
    { channel: 'email', event: 'test', to: 'c@govflow.test', reference: 'batch:later', data: { at: new Date() }, notBefore: later },
  ]);
  await runDueJobs();
  t.deepEqual((await Promise.all(rows.map((r) => NotifyMessage.findByPk(r.id)))).map((r) => r!.status), ['delivered', 'created', 'created']);
  const pending = (await EngineJob.findAll({ where: { kind: 'notify.deliver' } })).filter((j) => j.runAt.getTime() === later.getTime());
  t.deepEqual(pending.map((j) => (JSON.parse(j.payload!) as { ids: number[] }).ids), [[rows[1].id, rows[2].id]]);
  t.is(await cancelMessages({ reference: '' }), 0);
  t.is(await cancelMessages({ reference: 'batch:later' }), 2);
});

test.serial('a scheduled in-app message reaches the bell only when it is due', async (t) => {
  const userId = 9101;
  const notBefore = new Date(Date.now() + 500);
  const [m] = await queueMessages([{ channel: 'inapp', event: 'deadline-reminder', to: String(userId), recipientUserId: userId, data: reminder, notBefore }]);
  t.is(m.status, 'created');
  await runDueJobs();
  t.is(await unreadCount(userId), 0);
  t.deepEqual(await listInbox(userId), []);
  await sleepUntil(notBefore);
  await runDueJobs();
  t.is(await unreadCount(userId), 1);
  t.deepEqual((await listInbox(userId)).map((r) => r.id), [m.id]);
  // An in-app message without notBefore is in the bell at once, as before.
  await queueMessage({ channel: 'inapp', event: 'test', to: String(userId), recipientUserId: userId, data: { at: new Date() } });
  t.is(await unreadCount(userId), 2);
});

test.serial('reminders are cancelled by their reference before they are due; what was sent stays as it was', async (t) => {
  const notBefore = new Date(Date.now() + 400);
  const sent = await queueMessage({ channel: 'email', event: 'child-submitted', to: 'lanh.dao@tinh.gov.vn', reference: 'report:sched-2', data: reminder });
  await runDueJobs();
  const [r1, r2, esc, other] = await queueMessages([
    { channel: 'email', event: 'deadline-reminder', to: 'can.bo@xa.gov.vn', reference: 'report:sched-2', data: reminder, notBefore },
    { channel: 'inapp', event: 'deadline-reminder', to: '9102', recipientUserId: 9102, reference: 'report:sched-2', data: reminder, notBefore },
    { channel: 'email', event: 'overdue', to: 'lanh.dao@xa.gov.vn', reference: 'report:sched-2', data: reminder, notBefore },
    { channel: 'email', event: 'deadline-reminder', to: 'can.bo@xa-khac.gov.vn', reference: 'report:sched-3', data: reminder, notBefore },
  ]);
  t.is(await cancelMessages({ reference: 'report:sched-2', events: ['deadline-reminder'] }), 2);
  await sleepUntil(notBefore);
  await runDueJobs();
  const status = async (id: number) => (await NotifyMessage.findByPk(id))!.status;
  t.deepEqual([await status(sent.id), await status(r1.id), await status(r2.id), await status(esc.id), await status(other.id)], ['delivered', 'cancelled', 'cancelled', 'delivered', 'delivered']);
  t.is(receivedFor(r1.id), 0);
  t.is(receivedFor(esc.id), 1);
  t.is(await unreadCount(9102), 0);
  // Cancelling again finds nothing left to cancel: delivered messages are never touched.
  t.is(await cancelMessages({ reference: 'report:sched-2' }), 0);
  t.is(await status(sent.id), 'delivered');
});

test.serial('a notBefore that is not an instant is a 400 and writes nothing', async (t) => {
  const before = await NotifyMessage.count();
  const err = await t.throwsAsync(queueMessages([
    { channel: 'email', event: 'test', to: 'a@govflow.test', data: { at: new Date() } },
    { channel: 'email', event: 'test', to: 'b@govflow.test', data: { at: new Date() }, notBefore: 'ngày mai' },
  ]), { instanceOf: AppError });
  t.is(err!.code, 'notify.badNotBefore');
  t.is(err!.status, 400);
  t.regex(msg('vi', err!.code, err!.params), /ngày mai/);
  t.is(await NotifyMessage.count(), before);
});

// The outbox on a real SMTP server: one e-mail per message in Vietnamese, retries while the server is
// down, a permanent failure on a 550 reply, and nothing sent for an action that rolled back.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { startSmtp, type TestSmtp } from '../../helpers/notify-smtp.ts';
import { queueMessage, queueMessages, deliverMessage, retryDelayMs } from '../../../src/notify/service.ts';
import { closeMailer } from '../../../src/notify/channels.ts';
import { NotifyAttempt, NotifyMessage } from '../../../src/notify/models.ts';
import { runDueJobs } from '../../../src/engine/service.ts';
import { EngineJob } from '../../../src/engine/models.ts';
import { db } from '../../../src/store/index.ts';

let database: TestDb;
let smtp: TestSmtp;

test.before(async () => {
  smtp = await startSmtp();
  database = await freshDb({ SMTP_URL: smtp.url, NOTIFY_RETRY_MS: '50', NOTIFY_MAX_ATTEMPTS: '6', MAIL_FROM: 'govflow <no-reply@govflow.test>' });
});

test.after.always(async () => {
  closeMailer();
  await smtp?.stop();
  await database?.cleanup();
});

/** Runs due jobs until the message reaches a final state or the time is up. */
async function settle(id: number, ms = 15000): Promise<NotifyMessage> {
  const end = Date.now() + ms;
  for (;;) {
    await runDueJobs();
    const m = (await NotifyMessage.findByPk(id))!;
    if (m.status === 'delivered' || m.status === 'permanent-failure' || (m.status !== 'sending' && !m.nextAttemptAt) || Date.now() > end) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test.serial('a queued e-mail arrives once with its recipient, subject and Vietnamese body', async (t) => {
  const m = await queueMessage({ channel: 'email', event: 'task-assigned', to: 'can.bo@so-tc.gov.vn', data: { recipientName: 'Nguyễn Thị Hoa', taskName: 'Duyệt báo cáo tháng 11', businessKey: 'BC-2026-11', link: 'http://localhost/tasks/7' } });
  const done = await settle(m.id);
  t.is(done.status, 'delivered');
  const got = smtp.received.filter((r) => r.govflowId === String(m.id));
  t.is(got.length, 1);
  t.deepEqual(got[0].to, ['can.bo@so-tc.gov.vn']);
  t.is(got[0].subject, 'Việc mới cần xử lý: Duyệt báo cáo tháng 11');
  t.true(got[0].text.includes('Kính gửi Nguyễn Thị Hoa'));
  t.true(got[0].text.includes('http://localhost/tasks/7'));
  // Running the job again (a second node, a restart) sends nothing more.
  await deliverMessage(m.id);
  await runDueJobs();
  t.is(smtp.received.filter((r) => r.govflowId === String(m.id)).length, 1);
  t.is(await NotifyAttempt.count({ where: { messageId: m.id } }), 1);
});

test.serial('while the SMTP server is down the e-mail is retried with back-off and delivered once when it is back', async (t) => {
  closeMailer();
  await smtp.stop();
  const m = await queueMessage({ channel: 'email', event: 'test', to: 'admin@govflow.test', data: { at: new Date() } });
  await runDueJobs();
  const first = (await NotifyMessage.findByPk(m.id))!;
  t.is(first.status, 'technical-failure');
  t.truthy(first.nextAttemptAt);
  await new Promise((r) => setTimeout(r, 120));
  await runDueJobs();
  t.true((await NotifyAttempt.count({ where: { messageId: m.id } })) >= 2);
  await smtp.start();
  const done = await settle(m.id);
  t.is(done.status, 'delivered', JSON.stringify((await NotifyAttempt.findAll({ where: { messageId: m.id } })).map((a) => [a.at, a.response])));
  t.is(smtp.received.filter((r) => r.govflowId === String(m.id)).length, 1);
  const attempts = await NotifyAttempt.findAll({ where: { messageId: m.id }, order: [['seq', 'ASC']] });
  t.deepEqual(attempts.map((a) => a.outcome).slice(-1), ['delivered']);
  t.true(attempts.slice(0, -1).every((a) => a.outcome === 'technical-failure'));
});

test.serial('a 550 reply is a permanent failure and is not tried again', async (t) => {
  smtp.refuse = (to) => (to === 'khong.ton.tai@so-tc.gov.vn' ? 550 : null);
  const m = await queueMessage({ channel: 'email', event: 'test', to: 'khong.ton.tai@so-tc.gov.vn', data: { at: new Date() } });
  const done = await settle(m.id);
  t.is(done.status, 'permanent-failure');
  t.is(done.nextAttemptAt, null);
  t.regex(done.lastError ?? '', /550/);
  await new Promise((r) => setTimeout(r, 200));
  await runDueJobs();
  t.is(await NotifyAttempt.count({ where: { messageId: m.id } }), 1);
  t.is(await EngineJob.count({ where: { kind: 'notify.deliver' } }), 0);
  smtp.refuse = () => null;
});

test.serial('a 4xx reply is retried until NOTIFY_MAX_ATTEMPTS and then left as a temporary failure', async (t) => {
  smtp.refuse = (to) => (to === 'hop.thu.day@so-tc.gov.vn' ? 452 : null);
  const m = await queueMessage({ channel: 'email', event: 'test', to: 'hop.thu.day@so-tc.gov.vn', data: { at: new Date() } });
  const done = await settle(m.id);
  t.is(done.status, 'temporary-failure');
  t.is(done.nextAttemptAt, null);
  t.is(await NotifyAttempt.count({ where: { messageId: m.id } }), 6);
  smtp.refuse = () => null;
});

test.serial('a malformed address fails permanently without reaching the server', async (t) => {
  const before = smtp.received.length;
  const m = await queueMessage({ channel: 'email', event: 'test', to: 'not an address', data: { at: new Date() } });
  const done = await settle(m.id);
  t.is(done.status, 'permanent-failure');
  t.is(smtp.received.length, before);
});

test.serial('a message queued in an action that rolls back is never written nor sent', async (t) => {
  const before = await NotifyMessage.count();
  await t.throwsAsync(db().transaction(async (tx) => {
    await queueMessage({ channel: 'email', event: 'test', to: 'rollback@govflow.test', data: { at: new Date() } }, { transaction: tx });
    throw new Error('the action failed');
  }), { message: 'the action failed' });
  await runDueJobs();
  t.is(await NotifyMessage.count(), before);
  t.is(smtp.received.filter((r) => r.to.includes('rollback@govflow.test')).length, 0);
  t.is(await EngineJob.count({ where: { kind: 'notify.deliver' } }), 0);
});

test.serial('a try left in sending by a node that died is recorded as interrupted and tried again', async (t) => {
  const m = await queueMessage({ channel: 'email', event: 'test', to: 'mat.ket.noi@govflow.test', data: { at: new Date() } });
  // What a node leaves when it is killed after marking the try and before the SMTP server answered.
  await NotifyMessage.update({ status: 'sending', attempts: 1, tries: 1, sendingOwner: 'dead-node#1', sendingUntil: new Date(Date.now() - 1) }, { where: { id: m.id } });
  const done = await settle(m.id);
  t.is(done.status, 'delivered');
  const attempts = await NotifyAttempt.findAll({ where: { messageId: m.id }, order: [['seq', 'ASC']] });
  t.deepEqual(attempts.map((a) => [a.seq, a.outcome]), [[1, 'technical-failure'], [2, 'delivered']]);
  t.regex(attempts[0].response ?? '', /interrupted/);
  t.is(smtp.received.filter((r) => r.govflowId === String(m.id)).length, 1);
});

test.serial('a try whose answer was recorded before the node died is finished from that record, not sent again', async (t) => {
  const m = await queueMessage({ channel: 'email', event: 'test', to: 'da.gui@govflow.test', data: { at: new Date() } });
  await NotifyMessage.update({ status: 'sending', attempts: 1, tries: 1, sendingOwner: 'dead-node#2', sendingUntil: new Date(Date.now() - 1) }, { where: { id: m.id } });
  await NotifyAttempt.create({ messageId: m.id, seq: 1, node: 'dead-node', outcome: 'delivered', response: '250 OK', ms: 3, at: new Date() });
  const done = await settle(m.id);
  t.is(done.status, 'delivered');
  t.is(await NotifyAttempt.count({ where: { messageId: m.id } }), 1);
  t.is(smtp.received.filter((r) => r.govflowId === String(m.id)).length, 0);
});

test.serial('a try another node still holds is left alone until its hold ends', async (t) => {
  const m = await queueMessage({ channel: 'email', event: 'test', to: 'dang.gui@govflow.test', data: { at: new Date() } });
  await NotifyMessage.update({ status: 'sending', attempts: 1, tries: 1, sendingOwner: 'busy-node#1', sendingUntil: new Date(Date.now() + 60000) }, { where: { id: m.id } });
  await runDueJobs();
  const now = (await NotifyMessage.findByPk(m.id))!;
  t.is(now.status, 'sending');
  t.is(now.sendingOwner, 'busy-node#1');
  t.is(smtp.received.filter((r) => r.govflowId === String(m.id)).length, 0);
  t.is(await EngineJob.count({ where: { kind: 'notify.deliver' } }), 1, 'one job waits for the hold to end');
  await NotifyMessage.update({ status: 'delivered', sendingOwner: null, sendingUntil: null, nextAttemptAt: null }, { where: { id: m.id } });
  await EngineJob.destroy({ where: { kind: 'notify.deliver' } });
});

test.serial('many messages queued together share one delivery job and each arrives once', async (t) => {
  const rows = await queueMessages(Array.from({ length: 30 }, (_v, i) => ({ channel: 'email' as const, event: 'child-submitted', to: `phuong.${i}@hanoi.gov.vn`, data: { unitName: `Phường ${i}`, title: 'Báo cáo tháng 11' } })));
  t.is(await EngineJob.count({ where: { kind: 'notify.deliver' } }), 1);
  await runDueJobs();
  for (const r of rows) t.is(smtp.received.filter((x) => x.govflowId === String(r.id)).length, 1);
  t.is(await NotifyMessage.count({ where: { id: rows.map((r) => r.id), status: 'delivered' } }), 30);
});

test('the wait between tries doubles from NOTIFY_RETRY_MS and keeps between half and all of it', (t) => {
  t.is(retryDelayMs(1, 1000, 1), 1000);
  t.is(retryDelayMs(1, 1000, 0), 500);
  t.is(retryDelayMs(3, 1000, 1), 4000);
  t.is(retryDelayMs(3, 1000, 0), 2000);
});

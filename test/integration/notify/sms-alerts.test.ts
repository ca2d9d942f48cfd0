// SMS through the HTTP gateway adapter to a local gateway that speaks its protocol, and the admin
// alerts when failed messages pass their threshold (one check scheduled across nodes).
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { startSmsGateway, startSmtp, type TestSmtp } from '../../helpers/notify-smtp.ts';
import { queueMessage, notifyRecipient, setChannels } from '../../../src/notify/service.ts';
import { checkAlerts, scheduleAlerts } from '../../../src/notify/alerts.ts';
import { EngineJob } from '../../../src/engine/models.ts';
import { closeMailer } from '../../../src/notify/channels.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';
import { runDueJobs } from '../../../src/engine/service.ts';
import { createUser } from '../../../src/auth/service.ts';

const KEY = 'gateway-key-123';
let database: TestDb;
let smtp: TestSmtp;
let gateway: Awaited<ReturnType<typeof startSmsGateway>>;

test.before(async () => {
  smtp = await startSmtp();
  gateway = await startSmsGateway(KEY);
  database = await freshDb({ SMTP_URL: smtp.url, NOTIFY_SMS_URL: gateway.url, NOTIFY_SMS_KEY: KEY, NOTIFY_SMS_BRAND: 'VPCP', NOTIFY_RETRY_MS: '600000', NOTIFY_ALERT_FAILED: '3', NOTIFY_ALERT_QUIET_MS: '3600000' });
});

test.after.always(async () => {
  closeMailer();
  await gateway?.close();
  await smtp?.stop();
  await database?.cleanup();
});

test.serial('an SMS reaches the gateway with the key, the brandname and a text without tone marks', async (t) => {
  const m = await queueMessage({ channel: 'sms', event: 'dossier-result-ready', to: '0912345678', data: { dossierCode: 'HS-2026-000123', link: 'https://dvc.gov.vn/t/123' } });
  await runDueJobs();
  t.is((await NotifyMessage.findByPk(m.id))!.status, 'delivered');
  t.is(gateway.received.length, 1);
  t.deepEqual(gateway.received[0], { to: '0912345678', text: 'Ho so HS-2026-000123 da co ket qua. Xem: https://dvc.gov.vn/t/123', brandname: 'VPCP', reference: `notify-${m.id}` });
});

test.serial('a number the gateway refuses is a permanent failure; a gateway error is retried later', async (t) => {
  gateway.status = (to) => (to === '0900000000' ? 400 : to === '0911111111' ? 503 : 200);
  const bad = await queueMessage({ channel: 'sms', event: 'test', to: '0900000000', data: { at: new Date() } });
  const busy = await queueMessage({ channel: 'sms', event: 'test', to: '0911111111', data: { at: new Date() } });
  await runDueJobs();
  const b = (await NotifyMessage.findByPk(bad.id))!;
  t.is(b.status, 'permanent-failure');
  t.is(b.nextAttemptAt, null);
  const u = (await NotifyMessage.findByPk(busy.id))!;
  t.is(u.status, 'temporary-failure');
  t.truthy(u.nextAttemptAt);
  gateway.status = () => 200;
});

test.serial('a person who chose SMS gets it on the phone number of their user record', async (t) => {
  const u = await createUser({ username: 'lanhdao.sms', fullName: 'Phạm Văn Đức', email: 'duc@govflow.test', phone: '0987654321', password: 'TestPassword123' }, null);
  await setChannels(u.id, ['sms']);
  const rows = await notifyRecipient({ userId: u.id, fullName: u.fullName, email: u.email, phone: u.phone, locale: 'vi' }, 'approved', { title: 'Báo cáo năm 2026' });
  t.deepEqual(rows.map((r) => [r.channel, r.recipient]), [['sms', '0987654321']]);
  await runDueJobs();
  t.true(gateway.received.some((m) => m.to === '0987654321' && m.text.startsWith('Bao cao nam 2026 da duoc duyet')));
});

test.serial('administrators are alerted once when failed messages pass the threshold', async (t) => {
  const admin = await createUser({ username: 'quantri.canhbao', fullName: 'Quản trị viên', email: 'quantri@govflow.test', phone: '0911000111', password: 'TestPassword123', roles: [{ role: 'admin', orgCode: null }] }, null);
  await setChannels(admin.id, ['email', 'sms']);
  // Two failures so far (the tests above): below the threshold of 3.
  t.deepEqual(await checkAlerts(), []);
  gateway.status = () => 400;
  await queueMessage({ channel: 'sms', event: 'test', to: '0922222222', data: { at: new Date() } });
  await runDueJobs();
  gateway.status = () => 200;
  t.deepEqual(await checkAlerts(), ['failedMessages']);
  await runDueJobs();
  const mail = smtp.received.filter((r) => r.to.includes('quantri@govflow.test'));
  t.is(mail.length, 1);
  t.is(mail[0].subject, 'Cảnh báo hệ thống: Tin nhắn gửi lỗi');
  t.true(mail[0].text.includes('hiện có 3 (ngưỡng cảnh báo là 3)'));
  t.true(gateway.received.some((m) => m.to === '0911000111' && m.text.startsWith('Canh bao govflow: Tin nhan gui loi = 3')));
  // Within the quiet period the same alert is not sent again.
  t.deepEqual(await checkAlerts(), []);
});

test.serial('one alert check stays scheduled however many nodes start', async (t) => {
  await scheduleAlerts();
  await scheduleAlerts();
  t.is(await EngineJob.count({ where: { kind: 'notify.alerts' } }), 1);
  await EngineJob.create({ kind: 'notify.alerts', payload: null, runAt: new Date(), status: 'pending', attempts: 0 });
  await scheduleAlerts();
  t.is(await EngineJob.count({ where: { kind: 'notify.alerts' } }), 1);
});

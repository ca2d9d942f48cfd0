// The failed-message desk, the message log, the bell and the channel choice, through the real server.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { startSmtp, type TestSmtp } from '../../helpers/notify-smtp.ts';
import { queueMessage, getChannels } from '../../../src/notify/service.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';
import { runDueJobs } from '../../../src/engine/service.ts';

const json = (res: { payload: string }): any => JSON.parse(res.payload);

let app: TestApp;
let smtp: TestSmtp;
let admin: Session;
let officer: Session;
let officerId: number;

test.before(async () => {
  smtp = await startSmtp();
  app = await startApp({ env: { SMTP_URL: smtp.url, NOTIFY_RETRY_MS: '600000', NOTIFY_ALERT_FAILED: '0' } });
  await makeUser('admin', null, { username: 'quantri' });
  const o = await makeUser('officer', '01', { username: 'canbo.web' });
  officerId = o.id;
  admin = await login(app.server, 'quantri');
  officer = await login(app.server, 'canbo.web');
});

test.after.always(async () => {
  await app?.close();
  await smtp?.stop();
});

test.serial('the desk lists a failed message with each attempt\'s error, and a resend delivers it', async (t) => {
  smtp.refuse = (to) => (to === 'so.tc@hanoi.gov.vn' ? 451 : null);
  const m = await queueMessage({ channel: 'email', event: 'approved', to: 'so.tc@hanoi.gov.vn', senderOrgCode: '01', recipientOrgCode: '00004', data: { title: 'Báo cáo tháng 11', recipientName: 'Sở Tài chính' } });
  await runDueJobs();
  t.is((await NotifyMessage.findByPk(m.id))!.status, 'temporary-failure');
  const page = await call(app.server, admin, 'GET', '/admin/notify?channel=email');
  t.is(page.statusCode, 200);
  t.regex(page.payload, new RegExp(`data-id="${m.id}" data-status="temporary-failure"`));
  t.true(page.payload.includes('Lỗi tạm thời'));
  t.true(page.payload.includes('451'));
  const api = await call(app.server, admin, 'GET', `/api/notify/messages/${m.id}`);
  t.is(json(api).tries.length, 1);
  t.regex(json(api).tries[0].response, /451/);

  smtp.refuse = () => null;
  const res = await call(app.server, admin, 'POST', '/admin/notify/resend', { ids: String(m.id) });
  t.is(res.statusCode, 302);
  const after = await call(app.server, admin, 'GET', res.headers.location as string);
  t.regex(after.payload, new RegExp(`data-id="${m.id}" data-status="delivered"`));
  t.true(after.payload.includes('Đã gửi lại 1 tin nhắn.'));
  t.is(smtp.received.filter((r) => r.govflowId === String(m.id)).length, 1);
  // The retry job left behind finds the message delivered and sends nothing more.
  await runDueJobs();
  t.is(smtp.received.filter((r) => r.govflowId === String(m.id)).length, 1);
});

test.serial('the message log finds messages by sending unit, receiving unit, event, status and time', async (t) => {
  await queueMessage({ channel: 'inapp', event: 'child-submitted', to: String(officerId), recipientUserId: officerId, senderOrgCode: '00008', recipientOrgCode: '01', data: { unitName: 'Phường Ngọc Hà', title: 'Báo cáo quý' } });
  const bySender = json(await call(app.server, admin, 'GET', '/api/notify/messages?senderOrg=00008'));
  t.is(bySender.total, 1);
  t.is(bySender.rows[0].event, 'child-submitted');
  t.is(json(await call(app.server, admin, 'GET', '/api/notify/messages?recipientOrg=01&event=child-submitted&status=delivered')).total, 1);
  t.is(json(await call(app.server, admin, 'GET', '/api/notify/messages?recipientOrg=01&status=permanent-failure')).total, 0);
  t.is(json(await call(app.server, admin, 'GET', '/api/notify/messages?senderOrg=00008&to=2020-01-01')).total, 0);
  const page = await call(app.server, admin, 'GET', '/admin/notify/log?senderOrg=00008');
  t.is(page.statusCode, 200);
  t.true(page.payload.includes('Đơn vị cấp dưới đã gửi'));
});

test.serial('an administrator of one province cannot open the desk or the log', async (t) => {
  await makeUser('admin', '01', { username: 'quantri.hanoi' });
  const local = await login(app.server, 'quantri.hanoi');
  t.is((await call(app.server, local, 'GET', '/admin/notify')).statusCode, 403);
  t.is((await call(app.server, local, 'GET', '/api/notify/messages')).statusCode, 403);
  t.is((await call(app.server, local, 'POST', '/api/notify/resend', { ids: [1] })).statusCode, 403);
});

test.serial('the bell shows the unread count on every page and clears when read', async (t) => {
  const home = await call(app.server, officer, 'GET', '/notifications');
  t.regex(home.payload, /data-testid="bell" aria-label="Thông báo: 1 chưa đọc"/);
  t.true(home.payload.includes('Phường Ngọc Hà đã gửi báo cáo: Báo cáo quý'));
  const read = await call(app.server, officer, 'POST', '/notifications/read', {});
  t.is(read.statusCode, 302);
  const again = await call(app.server, officer, 'GET', '/notifications');
  t.regex(again.payload, /aria-label="Thông báo: 0 chưa đọc"/);
  t.is(json(await call(app.server, officer, 'GET', '/api/notifications')).unread, 0);
});

test.serial('a user chooses the channels they are notified by', async (t) => {
  t.deepEqual(await getChannels(officerId), ['email', 'inapp']);
  const res = await call(app.server, officer, 'POST', '/notifications/settings', { channels: ['sms', 'inapp'] });
  t.is(res.statusCode, 302);
  t.deepEqual(await getChannels(officerId), ['sms', 'inapp']);
  const page = await call(app.server, officer, 'GET', '/notifications/settings?saved=1');
  t.regex(page.payload, /id="ch-sms" name="channels" value="sms" checked/);
  t.notRegex(page.payload, /id="ch-email" name="channels" value="email" checked/);
  const api = await call(app.server, officer, 'POST', '/api/notifications/settings', { channels: ['email'] });
  t.deepEqual(json(api).channels, ['email']);
});

// A new user task e-mails the people it names (and only them), in their language, and rings their bell.
import test from 'ava';
import { startApp, makeUser, type TestApp } from '../../helpers/server.ts';
import { startSmtp, type TestSmtp } from '../../helpers/notify-smtp.ts';
import { bpmn } from '../../processes/support.ts';
import { deployDefinition, startProcess, runDueJobs } from '../../../src/engine/service.ts';
import { notificationsQueued } from '../../../src/notify/events.ts';
import { setChannels, unreadCount } from '../../../src/notify/service.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';

let app: TestApp;
let smtp: TestSmtp;

test.before(async () => {
  smtp = await startSmtp();
  app = await startApp({ env: { SMTP_URL: smtp.url, BASE_URL: 'http://govflow.test' } });
  await deployDefinition(bpmn('Process_notifyTasks', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_fill"/>
    <userTask id="Task_fill" name="Nhập số liệu báo cáo" camunda:candidateGroups="officer@{orgCode}"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});

test.after.always(async () => {
  await app?.close();
  await smtp?.stop();
});

test.serial('a new task notifies the officers of its unit on the channels they chose and no one else', async (t) => {
  const hanoi = await makeUser('officer', '01', { username: 'canbo.hanoi', fullName: 'Trần Văn Nam' });
  const bellOnly = await makeUser('officer', '01', { username: 'canbo2.hanoi' });
  const below = await makeUser('officer', '00004', { username: 'canbo.badinh' });
  const other = await makeUser('officer', '79', { username: 'canbo.hcm' });
  const leader = await makeUser('leader', '01', { username: 'lanhdao.hanoi' });
  await setChannels(bellOnly.id, ['inapp']);
  await startProcess('Process_notifyTasks', { businessKey: 'BC-01-11', variables: { orgCode: '01' } });
  await notificationsQueued();
  await runDueJobs();
  const to = smtp.received.flatMap((r) => r.to);
  t.deepEqual(to, [hanoi.email]);
  const mail = smtp.received[0];
  t.is(mail.subject, 'Việc mới cần xử lý: Nhập số liệu báo cáo');
  t.true(mail.text.includes('Kính gửi Trần Văn Nam'));
  t.regex(mail.text, /http:\/\/govflow\.test\/tasks\/\d+/);
  t.false(to.includes(other.email!));
  t.false(to.includes(leader.email!));
  // An officer of a commune below is no candidate of the city's task.
  t.false(to.includes(below.email!));
  t.is(await NotifyMessage.count({ where: { recipientUserId: below.id } }), 0);
  // The second city officer chose the bell only: no e-mail, one unread notification.
  t.false(to.includes(bellOnly.email!));
  t.is(await unreadCount(bellOnly.id), 1);
  t.is(await unreadCount(hanoi.id), 1);
  t.is(await NotifyMessage.count({ where: { recipientUserId: other.id } }), 0);
});

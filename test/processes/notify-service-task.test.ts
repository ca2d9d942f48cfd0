// Scenario: a BPMN service task of type `notify` queues messages through the outbox — to the officers of
// the instance's unit (a candidate group built by an input mapping), to named users, to an address held in
// a variable, and as a reminder scheduled ahead; a task without recipients raises an incident.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import { createUser } from '../../src/auth/service.ts';
import { importOrgs } from '../../src/orgs/import.ts';
import { NotifyMessage } from '../../src/notify/models.ts';
import { setChannels, unreadCount } from '../../src/notify/service.ts';
import '../../src/notify/service-task.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
const users: Record<string, { id: number; email: string | null }> = {};

async function user(username: string, role: 'officer' | 'leader', orgCode: string, fullName: string) {
  users[username] = await createUser({ username, fullName, email: `${username}@xa.gov.vn`, password: 'TestPassword123', orgCode, roles: [{ role, orgCode }] }, null);
}

test.before(async () => {
  db = await engineDb();
  await importOrgs(Buffer.from('code,name,level,parent_code\n01,Thành phố Hà Nội,province,\n00004,Phường Ba Đình,commune,01\n00008,Phường Ngọc Hà,commune,01\n79,Thành phố Hồ Chí Minh,province,\n'));
  await user('canbo.badinh', 'officer', '00004', 'Nguyễn Thị Lan');
  await user('canbo2.badinh', 'officer', '00004', 'Phạm Văn Hùng');
  await user('canbo.ngocha', 'officer', '00008', 'Lê Văn Tâm');
  await user('lanhdao.badinh', 'leader', '00004', 'Trần Quốc Việt');
  await user('canbo.hcm', 'officer', '79', 'Võ Thị Sáu');
  await setChannels(users['canbo2.badinh'].id, ['inapp']);
  await deployDefinition(bpmn('Process_notifyReport', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_tell"/>
    <serviceTask id="Task_tell" name="Báo trả lại cho cán bộ">
      <extensionElements>
        <zeebe:taskDefinition type="notify" retries="1"/>
        <zeebe:ioMapping>
          <zeebe:input source="=&quot;returned-for-revision&quot;" target="notifyEvent"/>
          <zeebe:input source="=&quot;officer@&quot; + orgCode" target="notifyGroup"/>
          <zeebe:input source="=[leader]" target="notifyUsers"/>
          <zeebe:input source="=applicantEmail" target="notifyTo"/>
          <zeebe:input source="={title: &quot;Báo cáo tháng 10/2026&quot;, comment: comment, recipientName: &quot;Quý cơ quan&quot;}" target="notifyData"/>
        </zeebe:ioMapping>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_tell" targetRef="Task_remind"/>
    <serviceTask id="Task_remind" name="Hẹn nhắc hạn">
      <extensionElements>
        <zeebe:taskDefinition type="notify" retries="1"/>
        <zeebe:ioMapping>
          <zeebe:input source="=&quot;deadline-reminder&quot;" target="notifyEvent"/>
          <zeebe:input source="=&quot;officer@&quot; + orgCode" target="notifyGroup"/>
          <zeebe:input source="=remindAt" target="notifyNotBefore"/>
          <zeebe:input source="=&quot;report:&quot; + orgCode + &quot;:2026-10&quot;" target="notifyReference"/>
          <zeebe:input source="=true" target="notifyOnce"/>
          <zeebe:input source="={title: &quot;Báo cáo tháng 10/2026&quot;, dueAt: &quot;2026-10-25T16:59:59Z&quot;}" target="notifyData"/>
        </zeebe:ioMapping>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_3" sourceRef="Task_remind" targetRef="Task_fix"/>
    <userTask id="Task_fix" name="Sửa báo cáo"/>
    <sequenceFlow id="Flow_4" sourceRef="Task_fix" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
  await deployDefinition(bpmn('Process_notifyNobody', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_tell"/>
    <serviceTask id="Task_tell" name="Báo">
      <extensionElements>
        <zeebe:taskDefinition type="notify" retries="1"/>
        <zeebe:ioMapping><zeebe:input source="=&quot;approved&quot;" target="notifyEvent"/></zeebe:ioMapping>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_tell" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
});
test.after.always(async () => db?.cleanup());

test.serial('a notify service task queues the message to its unit\'s officers, a named leader and an address from a variable', async (t) => {
  const remindAt = new Date(Date.now() + 3_600_000).toISOString();
  const started = await startProcess('Process_notifyReport', {
    businessKey: 'BC-00004-2026-10',
    variables: { orgCode: '00004', leader: 'lanhdao.badinh', applicantEmail: 'vanthu@so-tc.gov.vn', comment: 'Thiếu số liệu vốn đầu tư cấp xã', remindAt },
  });
  t.is((await openTasks(started.id)).map((x) => x.elementId).join(), 'Task_fix');
  const rows = await NotifyMessage.findAll({ where: { reference: `instance:${started.id}` }, order: [['id', 'ASC']] });
  // The commune's officers (one by e-mail and bell, one by the bell only), the named leader, the address;
  // not the officers of a sibling commune nor of another province.
  t.deepEqual(rows.map((r) => `${r.channel}:${r.recipient}`).sort(), [
    'email:canbo.badinh@xa.gov.vn', 'email:lanhdao.badinh@xa.gov.vn', 'email:vanthu@so-tc.gov.vn',
    `inapp:${users['canbo.badinh'].id}`, `inapp:${users['canbo2.badinh'].id}`, `inapp:${users['lanhdao.badinh'].id}`,
  ]);
  const toOfficer = rows.find((r) => r.recipient === 'canbo.badinh@xa.gov.vn')!;
  t.is(toOfficer.subject, 'Cần sửa lại: Báo cáo tháng 10/2026');
  t.true(toOfficer.body.includes('Kính gửi Nguyễn Thị Lan'));
  t.true(toOfficer.body.includes('Thiếu số liệu vốn đầu tư cấp xã'));
  t.true(rows.find((r) => r.recipient === 'vanthu@so-tc.gov.vn')!.body.includes('Kính gửi Quý cơ quan'));
  t.is(await unreadCount(users['canbo2.badinh'].id), 1);
  t.is(await NotifyMessage.count({ where: { recipientUserId: [users['canbo.ngocha'].id, users['canbo.hcm'].id] } }), 0);
  // The last notify task's count: the reminder to the commune's officers (e-mail and bell, bell only).
  const vars = JSON.parse((await instance(started.id)).variables) as Record<string, unknown>;
  t.is(vars.notifyQueued, 3);

  // The reminder is queued ahead: held until remindAt, also in the bell, under the report's reference.
  const reminders = await NotifyMessage.findAll({ where: { reference: 'report:00004:2026-10' } });
  t.deepEqual(reminders.map((r) => r.event), ['deadline-reminder', 'deadline-reminder', 'deadline-reminder']);
  t.true(reminders.every((r) => r.status === 'created' && r.nextAttemptAt!.toISOString() === remindAt));
  t.is(await unreadCount(users['canbo2.badinh'].id), 1);
});

test.serial('with notifyOnce a second run for the same reference queues nothing', async (t) => {
  const before = await NotifyMessage.count({ where: { reference: 'report:00004:2026-10' } });
  const started = await startProcess('Process_notifyReport', {
    businessKey: 'BC-00004-2026-10-b',
    variables: { orgCode: '00004', leader: 'lanhdao.badinh', applicantEmail: 'vanthu@so-tc.gov.vn', comment: 'Lần hai', remindAt: new Date(Date.now() + 3_600_000).toISOString() },
  });
  t.is(await NotifyMessage.count({ where: { reference: 'report:00004:2026-10' } }), before);
  t.is(await NotifyMessage.count({ where: { reference: `instance:${started.id}` } }), 6);
});

test.serial('a notify task without recipients, or naming an unknown user, raises an incident and sends nothing', async (t) => {
  const before = await NotifyMessage.count();
  const a = await startProcess('Process_notifyNobody', { businessKey: 'BC-nobody' });
  const ia = await EngineIncident.findOne({ where: { instanceId: a.id } });
  t.is(ia?.elementId, 'Task_tell');
  t.regex(ia?.error ?? '', /notify\.task\.noRecipients/);
  const b = await startProcess('Process_notifyReport', { businessKey: 'BC-unknown', variables: { orgCode: '00004', leader: 'khong.co.ai', applicantEmail: 'vanthu@so-tc.gov.vn', comment: '', remindAt: new Date().toISOString() } });
  t.regex((await EngineIncident.findOne({ where: { instanceId: b.id } }))?.error ?? '', /notify\.task\.unknownUsers/);
  t.is(await NotifyMessage.count(), before);
});

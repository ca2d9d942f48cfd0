// Scenarios: a message correlated by business key, a message start event, a signal to every
// waiting instance, and a timer start event that opens instances by itself.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks, restart, sleep, drainJobs } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, correlateMessage, broadcastSignal } from '../../src/engine/runtime.ts';
import { EngineInstance } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(bpmn('Process_parent', `
    <startEvent id="Start" name="Mở kỳ"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Catch_child"/>
    <intermediateCatchEvent id="Catch_child" name="Đơn vị con đã nộp"><messageEventDefinition messageRef="Message_child"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_2" sourceRef="Catch_child" targetRef="Task_aggregate"/>
    <userTask id="Task_aggregate" name="Tổng hợp"/>
    <sequenceFlow id="Flow_3" sourceRef="Task_aggregate" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { head: '<message id="Message_child" name="childSubmitted"/>' }));
  await deployDefinition(bpmn('Process_feedback', `
    <startEvent id="Start_feedback" name="Nhận phản ánh"><messageEventDefinition messageRef="Message_feedback"/></startEvent>
    <sequenceFlow id="Flow_1" sourceRef="Start_feedback" targetRef="Task_answer"/>
    <userTask id="Task_answer" name="Trả lời"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_answer" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { head: '<message id="Message_feedback" name="feedbackReceived"/>' }));
  await deployDefinition(bpmn('Process_holiday', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Catch_signal"/>
    <intermediateCatchEvent id="Catch_signal" name="Lịch nghỉ đổi"><signalEventDefinition signalRef="Signal_calendar"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_2" sourceRef="Catch_signal" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { head: '<signal id="Signal_calendar" name="calendarChanged"/>' }));
  await deployDefinition(bpmn('Process_child', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Catch_reply"/>
    <intermediateCatchEvent id="Catch_reply" name="Chờ trả lời"><messageEventDefinition messageRef="Message_reply"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_2" sourceRef="Catch_reply" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe', head: '<message id="Message_reply" name="replyReceived"><extensionElements><zeebe:subscription correlationKey="=requestId"/></extensionElements></message>' }));
  await deployDefinition(bpmn('Process_cycle', `
    <startEvent id="Start_cycle" name="Mỗi giây"><timerEventDefinition><timeCycle>R2/PT0.3S</timeCycle></timerEventDefinition></startEvent>
    <sequenceFlow id="Flow_1" sourceRef="Start_cycle" targetRef="Task_open"/>
    <userTask id="Task_open" name="Mở kỳ báo cáo"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_open" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});
test.after.always(async () => db?.cleanup());

test.serial('a message reaches the instance waiting with the same business key, after a restart', async (t) => {
  const a = await startProcess('Process_parent', { businessKey: 'unit-A' });
  const b = await startProcess('Process_parent', { businessKey: 'unit-B' });
  await restart(db);
  const result = await correlateMessage('childSubmitted', 'unit-B', { childTotal: 7 });
  t.deepEqual(result, { instanceId: b.id, started: false });
  t.deepEqual((await openTasks(b.id)).map((x) => x.elementId), ['Task_aggregate']);
  t.is(JSON.parse((await instance(b.id)).variables).childTotal, 7);
  t.deepEqual(await openTasks(a.id), []);
});

test.serial('a message nobody waits for is a 404', async (t) => {
  const error = await t.throwsAsync(correlateMessage('childSubmitted', 'unit-Z'));
  t.is((error as { status?: number }).status, 404);
});

test.serial('a message start event starts a new instance with the business key', async (t) => {
  const result = await correlateMessage('feedbackReceived', 'FB-1', { text: 'Chậm' });
  t.true(result.started);
  const row = await instance(result.instanceId);
  t.is(row.definitionKey, 'Process_feedback');
  t.is(row.businessKey, 'FB-1');
  t.deepEqual((await openTasks(row.id)).map((x) => x.elementId), ['Task_answer']);
});

test.serial('a signal reaches every waiting instance', async (t) => {
  const x = await startProcess('Process_holiday', {});
  const y = await startProcess('Process_holiday', {});
  const result = await broadcastSignal('calendarChanged');
  t.is(result.delivered, 2);
  t.is((await instance(x.id)).status, 'completed');
  t.is((await instance(y.id)).status, 'completed');
});

test.serial('a timer start event cycle R2 opens two instances', async (t) => {
  await sleep(350);
  await drainJobs();
  await sleep(350);
  await drainJobs();
  await sleep(350);
  await drainJobs();
  const rows = await EngineInstance.findAll({ where: { definitionKey: 'Process_cycle' } });
  t.is(rows.length, 2);
  for (const r of rows) t.deepEqual((await openTasks(r.id)).map((x) => x.elementId), ['Task_open']);
});

test.serial('a Camunda 8 correlation key picks the waiting instance by a variable', async (t) => {
  const a = await startProcess('Process_child', { businessKey: 'C-1', variables: { requestId: 'REQ-7' } });
  const b = await startProcess('Process_child', { businessKey: 'C-2', variables: { requestId: 'REQ-8' } });
  const result = await correlateMessage('replyReceived', 'REQ-8');
  t.is(result.instanceId, b.id);
  t.is((await instance(b.id)).status, 'completed');
  t.is((await instance(a.id)).status, 'active');
});

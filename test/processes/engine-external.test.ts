// Scenarios: service tasks that no in-process handler serves wait as external tasks (Camunda 7
// `camunda:type="external"` and Camunda 8 `zeebe:taskDefinition`), which workers lock, complete, fail
// into an incident, or answer with a BPMN error that an error boundary event takes.
import test from 'ava';
import { bpmn, drainJobs, engineDb, ended, instance, openTasks, restart } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, retryIncident, cancelInstance, moveTimer } from '../../src/engine/runtime.ts';
import { completeExternalTask, externalBpmnError, failExternalTask, fetchAndLock, listExternalTasks, type LockedTask } from '../../src/engine/external.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(bpmn('Process_c7External', `
    <startEvent id="StartEvent_1" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_score"/>
    <serviceTask id="Task_score" name="Chấm điểm" camunda:type="external" camunda:topic="score"/>
    <boundaryEvent id="Boundary_rejected" name="Bị từ chối" attachedToRef="Task_score"><errorEventDefinition errorRef="Error_rejected"/></boundaryEvent>
    <sequenceFlow id="Flow_2" sourceRef="Task_score" targetRef="Task_review"/>
    <sequenceFlow id="Flow_3" sourceRef="Boundary_rejected" targetRef="End_rejected"/>
    <userTask id="Task_review" name="Xem lại" camunda:candidateGroups="leader"/>
    <sequenceFlow id="Flow_4" sourceRef="Task_review" targetRef="End_done"/>
    <endEvent id="End_done" name="Xong"/>
    <endEvent id="End_rejected" name="Từ chối"/>
  `, { head: '<error id="Error_rejected" name="Rejected" errorCode="REJECTED"/>' }));
  await deployDefinition(bpmn('Process_c8External', `
    <startEvent id="StartEvent_1" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_notify"/>
    <serviceTask id="Task_notify" name="Gửi">
      <extensionElements><zeebe:taskDefinition type="send-letter"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_notify" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
  await deployDefinition(bpmn('Process_parallelExternal', `
    <startEvent id="StartEvent_1" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Fork"/>
    <parallelGateway id="Fork" name="Tách"/>
    <sequenceFlow id="Flow_2" sourceRef="Fork" targetRef="Task_left"/>
    <sequenceFlow id="Flow_3" sourceRef="Fork" targetRef="Task_right"/>
    <serviceTask id="Task_left" name="Trái" camunda:type="external" camunda:topic="left"/>
    <serviceTask id="Task_right" name="Phải" camunda:type="external" camunda:topic="right"/>
    <boundaryEvent id="Timer_late" name="Quá hạn" attachedToRef="Task_right"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="Flow_4" sourceRef="Task_left" targetRef="Join"/>
    <sequenceFlow id="Flow_5" sourceRef="Task_right" targetRef="Join"/>
    <sequenceFlow id="Flow_6" sourceRef="Timer_late" targetRef="End_late"/>
    <parallelGateway id="Join" name="Gộp"/>
    <sequenceFlow id="Flow_7" sourceRef="Join" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
    <endEvent id="End_late" name="Quá hạn"/>
  `));
});
test.after.always(async () => db?.cleanup());

const lockOne = async (topic: string, workerId = 'w1'): Promise<LockedTask | undefined> => {
  const [task] = await fetchAndLock({ workerId, maxTasks: 1, topics: [{ topicName: topic, lockDuration: 10000 }] });
  return task;
};

test.serial('a Camunda 7 external task is locked once, completed with variables, and the instance moves on', async (t) => {
  const started = await startProcess('Process_c7External', { businessKey: 'HS-1', variables: { amount: 1200 } });
  const rows = await listExternalTasks({ instanceId: started.id });
  t.is(rows.length, 1);
  t.is(rows[0].topic, 'score');
  t.is(rows[0].elementId, 'Task_score');
  const task = (await lockOne('score'))!;
  t.is(task.id, rows[0].id);
  t.is(task.businessKey, 'HS-1');
  t.deepEqual({ ...task.variables }, { amount: 1200 });
  // A second worker finds nothing while the lock holds
  t.deepEqual(await fetchAndLock({ workerId: 'w2', maxTasks: 5, topics: [{ topicName: 'score', lockDuration: 1000 }] }), []);
  // Another worker may not complete it
  await t.throwsAsync(completeExternalTask(task.id, 'w2', {}), { message: 'externaltasks.notLockedBy' });
  await completeExternalTask(task.id, 'w1', { score: 7 });
  t.deepEqual(await listExternalTasks({ instanceId: started.id }), []);
  const row = await instance(started.id);
  t.is(JSON.parse(row.variables).score, 7);
  t.deepEqual((await openTasks(started.id)).map((x) => x.elementId), ['Task_review']);
  // Completing twice is refused
  await t.throwsAsync(completeExternalTask(task.id, 'w1', {}), { message: 'externaltasks.notFound' });
});

test.serial('a BPMN error from the worker is taken by the error boundary event with its code', async (t) => {
  const started = await startProcess('Process_c7External', { variables: {} });
  const task = (await lockOne('score'))!;
  await externalBpmnError(task.id, 'w1', 'REJECTED', 'thiếu hồ sơ', { reason: 'missing' });
  const row = await instance(started.id);
  t.is(row.status, 'completed');
  t.is(JSON.parse(row.variables).reason, 'missing');
  t.true((await ended(started.id)).includes('End_rejected'));
  t.deepEqual(await listExternalTasks({ instanceId: started.id }), []);
});

test.serial('a BPMN error no boundary event catches becomes an incident on the task', async (t) => {
  const started = await startProcess('Process_c7External', { variables: {} });
  const task = (await lockOne('score'))!;
  await externalBpmnError(task.id, 'w1', 'OTHER', null, {});
  t.is((await instance(started.id)).status, 'active');
  const incidents = await EngineIncident.findAll({ where: { instanceId: started.id, status: 'open' } });
  t.is(incidents.length, 1);
  t.regex(incidents[0].error, /OTHER/);
  await cancelInstance(started.id, 'admin');
  t.deepEqual(await listExternalTasks({ instanceId: started.id }), []);
});

test.serial('failures with retries wait for the retry timeout; at zero retries an incident, and an admin retry makes it fetchable again', async (t) => {
  const started = await startProcess('Process_c8External', { variables: {} });
  let task = (await lockOne('send-letter'))!;
  await failExternalTask(task.id, 'w1', { errorMessage: 'máy chủ thư bận', errorDetails: 'stack', retries: 1, retryTimeout: 0 });
  task = (await lockOne('send-letter'))!;
  t.is(task.retries, 1);
  t.is(task.errorMessage, 'máy chủ thư bận');
  await failExternalTask(task.id, 'w1', { errorMessage: 'vẫn bận', errorDetails: null, retries: 1, retryTimeout: 60000 });
  t.is(await lockOne('send-letter'), undefined);
  await restart(db);
  const [waiting] = await listExternalTasks({ instanceId: started.id });
  t.is(waiting.retries, 1);
  t.true(waiting.lockExpiresAt!.getTime() > Date.now());
  // When the retry timeout has passed and the last try fails with no retries left
  const { withTx, dbTime } = await import('../../src/engine/sql.ts');
  await withTx(async (tx) => {
    await tx.run('UPDATE engine_external_tasks SET lock_expires_at = ? WHERE id = ?', [dbTime(new Date(Date.now() - 1000)), waiting.id]);
  });
  task = (await lockOne('send-letter'))!;
  await failExternalTask(task.id, 'w1', { errorMessage: 'hỏng hẳn', errorDetails: null, retries: 0, retryTimeout: 0 });
  const incidents = await EngineIncident.findAll({ where: { instanceId: started.id, status: 'open' } });
  t.is(incidents.length, 1);
  t.is(incidents[0].error, 'hỏng hẳn');
  t.is(incidents[0].handler, 'send-letter');
  t.is(await lockOne('send-letter'), undefined);
  // Then an admin retries the incident and a worker completes the task
  await retryIncident(incidents[0].id, 'admin');
  task = (await lockOne('send-letter'))!;
  t.truthy(task);
  t.is(task.retries, null);
  await completeExternalTask(task.id, 'w1', {});
  t.is((await instance(started.id)).status, 'completed');
  t.is((await EngineIncident.findByPk(incidents[0].id))!.status, 'resolved');
});

test.serial('two external tasks of parallel branches completed at the same moment both count, and the instance ends', async (t) => {
  const started = await startProcess('Process_parallelExternal', { variables: {} });
  t.is((await listExternalTasks({ instanceId: started.id })).length, 2);
  const left = (await lockOne('left'))!;
  const right = (await lockOne('right'))!;
  await Promise.all([completeExternalTask(left.id, 'w1', { l: 1 }), completeExternalTask(right.id, 'w1', { r: 2 })]);
  const row = await instance(started.id);
  t.is(row.status, 'completed');
  t.like(JSON.parse(row.variables), { l: 1, r: 2 });
  t.true((await ended(started.id)).includes('End'));
});

test.serial('an interrupting timer on an external task removes its row, and a late completion is refused', async (t) => {
  const started = await startProcess('Process_parallelExternal', { variables: {} });
  const right = (await lockOne('right'))!;
  const { EngineJob } = await import('../../src/engine/models.ts');
  const timer = (await EngineJob.findOne({ where: { instanceId: started.id, kind: 'engine.timer' } }))!;
  await moveTimer(started.id, timer.executionId!, new Date(Date.now() - 1));
  await drainJobs();
  t.deepEqual((await listExternalTasks({ instanceId: started.id })).map((x) => x.topic), ['left']);
  await t.throwsAsync(completeExternalTask(right.id, 'w1', {}), { message: 'externaltasks.notFound' });
  const left = (await lockOne('left'))!;
  await completeExternalTask(left.id, 'w1', {});
  t.true((await ended(started.id)).includes('End_late'));
});

// Scenarios: a call activity starts the called process as a child instance and waits for it; the
// child's result comes back; cancelling the caller or a deadline on the call cancels the child —
// all through durable jobs, across restarts.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks, restart, drainJobs } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask, cancelInstance, moveTimer } from '../../src/engine/runtime.ts';
import { EngineInstance, EngineJob } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(bpmn('Process_unit_report', `
    <startEvent id="Start" name="Nhận yêu cầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_fill"/>
    <userTask id="Task_fill" name="Lập báo cáo đơn vị"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="End"/>
    <endEvent id="End" name="Đã nộp"/>
  `, { dialect: 'zeebe' }));
  await deployDefinition(bpmn('Process_province', `
    <startEvent id="Start" name="Mở kỳ"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Call_unit"/>
    <callActivity id="Call_unit" name="Báo cáo của đơn vị">
      <extensionElements>
        <zeebe:calledElement processId="=childProcess" propagateAllChildVariables="true"/>
        <zeebe:ioMapping><zeebe:input source="=&quot;Quý &quot; + string(quarter)" target="period"/></zeebe:ioMapping>
      </extensionElements>
    </callActivity>
    <boundaryEvent id="Timer_deadline" name="Hạn nộp" attachedToRef="Call_unit"><timerEventDefinition><timeDuration>P10D</timeDuration></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="Flow_2" sourceRef="Call_unit" targetRef="Task_review"/>
    <sequenceFlow id="Flow_3" sourceRef="Timer_deadline" targetRef="Task_remind"/>
    <userTask id="Task_review" name="Xem xét"/>
    <userTask id="Task_remind" name="Đôn đốc"/>
    <sequenceFlow id="Flow_4" sourceRef="Task_review" targetRef="End"/>
    <sequenceFlow id="Flow_5" sourceRef="Task_remind" targetRef="End_late"/>
    <endEvent id="End" name="Xong"/>
    <endEvent id="End_late" name="Trễ"/>
  `, { dialect: 'zeebe' }));
});
test.after.always(async () => db?.cleanup());

async function childOf(parentId: string): Promise<EngineInstance> {
  const [child] = await EngineInstance.findAll({ where: { parentInstanceId: parentId } });
  return child;
}

test.serial('the called process runs as a child with the caller’s key and variables, and its result comes back across restarts', async (t) => {
  const parent = await startProcess('Process_province', { businessKey: 'HN-Q3', variables: { quarter: 3, childProcess: 'Process_unit_report' } });
  t.is((await openTasks(parent.id)).length, 0);
  await drainJobs();
  const child = await childOf(parent.id);
  t.is(child.definitionKey, 'Process_unit_report');
  t.is(child.businessKey, 'HN-Q3');
  t.deepEqual(JSON.parse(child.variables), { quarter: 3, childProcess: 'Process_unit_report', period: 'Quý 3' });
  // Running the start job again starts no second child
  await EngineJob.create({ kind: 'engine.call', instanceId: parent.id, elementId: 'Call_unit', executionId: child.parentExecutionId, runAt: new Date(), status: 'pending', attempts: 0 });
  await drainJobs();
  t.is(await EngineInstance.count({ where: { parentInstanceId: parent.id } }), 1);
  await restart(db);
  const [fill] = await openTasks(child.id);
  await signalTask(fill, { total: 1250 }, 'officer', null);
  t.is((await instance(child.id)).status, 'completed');
  await restart(db);
  await drainJobs();
  const [review] = await openTasks(parent.id);
  t.is(review.elementId, 'Task_review');
  t.is(JSON.parse((await instance(parent.id)).variables).total, 1250);
});

test.serial('cancelling the caller cancels its running child', async (t) => {
  const parent = await startProcess('Process_province', { variables: { quarter: 1, childProcess: 'Process_unit_report' } });
  await drainJobs();
  const child = await childOf(parent.id);
  t.is(child.status, 'active');
  await cancelInstance(parent.id, 'admin', 'opened by mistake');
  await drainJobs();
  t.is((await instance(child.id)).status, 'cancelled');
  t.is((await EngineInstance.findByPk(child.id))!.status, 'cancelled');
});

test.serial('a deadline on the call activity cancels the child and takes the reminder path', async (t) => {
  const parent = await startProcess('Process_province', { variables: { quarter: 2, childProcess: 'Process_unit_report' } });
  await drainJobs();
  const child = await childOf(parent.id);
  const [timer] = await EngineJob.findAll({ where: { instanceId: parent.id, kind: 'engine.timer' } });
  await moveTimer(parent.id, timer.executionId!, new Date(Date.now() - 1));
  await drainJobs();
  t.deepEqual((await openTasks(parent.id)).map((x) => x.elementId), ['Task_remind']);
  t.is((await instance(child.id)).status, 'cancelled');
  t.deepEqual(await openTasks(child.id), []);
});

test.serial('a call activity that names no process is refused at deploy', async (t) => {
  const err = await t.throwsAsync(deployDefinition(bpmn('Process_call_nothing', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Call_x"/>
    <callActivity id="Call_x" name="Gọi"/>
    <sequenceFlow id="Flow_2" sourceRef="Call_x" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `)));
  t.true((err as unknown as { details: Array<{ code: string; elementId?: string }> }).details.some((p) => p.code === 'engine.problem.callWithoutProcess' && p.elementId === 'Call_x'));
});

test.serial('a call to a process that is not deployed fails its job visibly, and putting it back after the deploy starts the child', async (t) => {
  const { retryFailedJob } = await import('../../src/engine/jobs.ts');
  const parent = await startProcess('Process_province', { variables: { quarter: 4, childProcess: 'Process_not_yet' } });
  for (let i = 0; i < 5; i++) {
    await EngineJob.update({ runAt: new Date(Date.now() - 1) }, { where: { instanceId: parent.id, kind: 'engine.call' } });
    await drainJobs();
  }
  const [failed] = await EngineJob.findAll({ where: { instanceId: parent.id, kind: 'engine.call' } });
  t.is(failed.status, 'failed');
  t.regex(failed.lastError ?? '', /Process_not_yet/);
  await deployDefinition(bpmn('Process_not_yet', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_x"/>
    <userTask id="Task_x" name="Việc"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_x" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
  t.true(await retryFailedJob(failed.id));
  await drainJobs();
  t.is((await childOf(parent.id)).definitionKey, 'Process_not_yet');
});

test.serial('a child cancelled by an admin raises an incident on its caller; retrying it starts a new child', async (t) => {
  const { EngineIncident } = await import('../../src/engine/models.ts');
  const { retryIncident } = await import('../../src/engine/runtime.ts');
  const parent = await startProcess('Process_province', { variables: { quarter: 1, childProcess: 'Process_unit_report' } });
  await drainJobs();
  const first = await childOf(parent.id);
  await cancelInstance(first.id, 'admin', 'wrong unit');
  await drainJobs();
  const [incident] = await EngineIncident.findAll({ where: { instanceId: parent.id, status: 'open' } });
  t.is(incident.elementId, 'Call_unit');
  t.regex(incident.error, new RegExp(first.id));
  t.is((await instance(parent.id)).status, 'active');
  // When an admin retries the incident
  await retryIncident(incident.id, 'admin');
  await drainJobs();
  // Then a new child runs, the old one stays cancelled and linked for the record, and the incident is resolved
  const children = await EngineInstance.findAll({ where: { parentInstanceId: parent.id }, order: [['startedAt', 'ASC']] });
  t.is(children.length, 2);
  const second = children.find((c) => c.id !== first.id)!;
  t.is(second.status, 'active');
  t.is((await EngineIncident.findByPk(incident.id))!.status, 'resolved');
  const [fill] = await openTasks(second.id);
  await signalTask(fill, { total: 9 }, 'officer', null);
  await drainJobs();
  t.deepEqual((await openTasks(parent.id)).map((x) => x.elementId), ['Task_review']);
});

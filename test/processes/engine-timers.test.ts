// Scenarios: boundary timers (interrupting and not), a timer cycle, an intermediate timer — all as
// durable job rows fired by the job runner, across a simulated restart.
import test from 'ava';
import { bpmn, engineDb, ended, instance, jobsOf, openTasks, restart, sleep, drainJobs } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask } from '../../src/engine/runtime.ts';
import { EngineHistory } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(bpmn('Process_escalate', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_fill"/>
    <userTask id="Task_fill" name="Nhập báo cáo" camunda:candidateGroups="officer@01"/>
    <boundaryEvent id="Timer_deadline" name="Quá hạn" attachedToRef="Task_fill"><timerEventDefinition><timeDuration>=deadline</timeDuration></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="End_ok"/>
    <endEvent id="End_ok" name="Đã nộp"/>
    <sequenceFlow id="Flow_3" sourceRef="Timer_deadline" targetRef="Task_escalated"/>
    <userTask id="Task_escalated" name="Xử lý quá hạn" camunda:candidateGroups="leader@01"/>
    <sequenceFlow id="Flow_4" sourceRef="Task_escalated" targetRef="End_late"/>
    <endEvent id="End_late" name="Nộp muộn"/>
  `));
  await deployDefinition(bpmn('Process_remind', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_fill"/>
    <userTask id="Task_fill" name="Nhập báo cáo"/>
    <boundaryEvent id="Timer_remind" name="Nhắc" attachedToRef="Task_fill" cancelActivity="false"><timerEventDefinition><timeCycle>R3/PT1S</timeCycle></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="End_ok"/>
    <endEvent id="End_ok" name="Đã nộp"/>
    <sequenceFlow id="Flow_3" sourceRef="Timer_remind" targetRef="End_reminded"/>
    <endEvent id="End_reminded" name="Đã nhắc"/>
  `));
  await deployDefinition(bpmn('Process_wait', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Timer_wait"/>
    <intermediateCatchEvent id="Timer_wait" name="Chờ"><timerEventDefinition><timeDuration>P90D</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="Flow_2" sourceRef="Timer_wait" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});
test.after.always(async () => db?.cleanup());

test.serial('an interrupting boundary timer cancels the task and escalates when it fires after a restart', async (t) => {
  const started = await startProcess('Process_escalate', { variables: { deadline: 'PT0.3S' } });
  const [job] = await jobsOf(started.id);
  t.is(job.kind, 'engine.timer');
  t.is(job.elementId, 'Timer_deadline');
  await restart(db);
  await sleep(350);
  await drainJobs();
  const tasks = await openTasks(started.id);
  t.deepEqual(tasks.map((x) => x.elementId), ['Task_escalated']);
  t.true((await ended(started.id)).includes('Timer_deadline'));
  t.is((await jobsOf(started.id)).length, 0);
});

test.serial('completing the task before the deadline removes the timer job', async (t) => {
  const started = await startProcess('Process_escalate', { variables: { deadline: 'PT1H' } });
  const [task] = await openTasks(started.id);
  await signalTask(task, {}, 'officer', null);
  t.is((await instance(started.id)).status, 'completed');
  t.is((await jobsOf(started.id)).length, 0);
});

test.serial('a task completion racing its due boundary timer loses with 409 and the timer wins once', async (t) => {
  const started = await startProcess('Process_escalate', { variables: { deadline: 'PT0.1S' } });
  const [task] = await openTasks(started.id);
  await sleep(150);
  const error = await t.throwsAsync(signalTask(task, {}, 'officer', null));
  t.is((error as { status?: number }).status, 409);
  await drainJobs();
  t.deepEqual((await openTasks(started.id)).map((x) => x.elementId), ['Task_escalated']);
  const fired = await EngineHistory.count({ where: { instanceId: started.id, elementId: 'Timer_deadline', event: 'timer' } });
  t.is(fired, 1);
});

test.serial('a non-interrupting timer cycle R3/PT1S fires three times while the task stays open, across a restart', async (t) => {
  const started = await startProcess('Process_remind', {});
  for (let i = 0; i < 4; i++) {
    await sleep(1050);
    await drainJobs();
    if (i === 1) await restart(db);
  }
  const fired = await EngineHistory.count({ where: { instanceId: started.id, elementId: 'End_reminded', event: 'end' } });
  t.is(fired, 3);
  t.is((await jobsOf(started.id)).length, 0);
  t.deepEqual((await openTasks(started.id)).map((x) => x.elementId), ['Task_fill']);
});

test.serial('a timer of three months becomes a job row due in three months', async (t) => {
  const started = await startProcess('Process_wait', {});
  const [job] = await jobsOf(started.id);
  const days = (job.runAt.getTime() - Date.now()) / 86400000;
  t.true(days > 89.9 && days <= 90);
  t.is((await instance(started.id)).status, 'active');
});

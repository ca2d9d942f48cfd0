// Scenario of the shipped processes/feedback-handling.bpmn: classify, transfer, answer, publish, one
// reopen by message, and the end when the reopen window passes.
import test from 'ava';
import { drainJobs, engineDb, instance, jobsOf, openTasks } from './support.ts';
import { correlateMessage, deployShippedProcesses, moveTimer, startProcess } from '../../src/engine/service.ts';
import { signalTask } from '../../src/engine/runtime.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  const deployed = await deployShippedProcesses();
  if (!deployed.some((d) => d.key === 'feedback-handling')) throw new Error('feedback handling not deployed');
});
test.after.always(async () => db?.cleanup());

test.serial('given a case sent to province 01, a transfer moves classification to the competent agency, and the answer is published then reopened once', async (t) => {
  const i = await startProcess('feedback-handling', { businessKey: 'PAKN-1', variables: { orgCode: '01', reopenCount: 0, reopenWindow: 'P10D' } });
  let [task] = await openTasks(i.id);
  t.is(task.elementId, 'Task_classify');
  t.is(task.candidateGroups, ',officer@01,');
  await signalTask(task, { decision: 'transfer', orgCode: 'G18' }, 'officer', 'Thuộc thẩm quyền Bộ Y tế');
  [task] = await openTasks(i.id);
  t.is(task.elementId, 'Task_classify');
  t.is(task.candidateGroups, ',officer@G18,');
  await signalTask(task, { decision: 'assign' }, 'officer', null);
  [task] = await openTasks(i.id);
  t.is(task.elementId, 'Task_answer');
  await signalTask(task, { decision: 'answer' }, 'officer', null);
  [task] = await openTasks(i.id);
  t.is(task.elementId, 'Task_publish');
  await signalTask(task, {}, 'officer', null);
  t.is((await openTasks(i.id)).length, 0);
  t.is((await jobsOf(i.id)).filter((j) => j.elementId === 'Timer_windowOver').length, 1);
  await correlateMessage('feedback-reopened', 'PAKN-1', { reopenCount: 1 });
  [task] = await openTasks(i.id);
  t.is(task.elementId, 'Task_answer');
  t.is((await jobsOf(i.id)).filter((j) => j.elementId === 'Timer_windowOver').length, 0);
  await signalTask(task, { decision: 'answer' }, 'officer', null);
  [task] = await openTasks(i.id);
  await signalTask(task, {}, 'officer', null);
  t.is((await instance(i.id)).status, 'completed');
});

test.serial('without a reopen, the case ends when the reopen window passes', async (t) => {
  const i = await startProcess('feedback-handling', { businessKey: 'PAKN-2', variables: { orgCode: '79', reopenCount: 0, reopenWindow: 'P10D' } });
  for (const decision of ['assign', 'answer', 'publish']) {
    const [task] = await openTasks(i.id);
    await signalTask(task, { decision }, 'officer', null);
  }
  const [job] = (await jobsOf(i.id)).filter((j) => j.elementId === 'Timer_windowOver');
  await moveTimer(i.id, job.executionId!, new Date(Date.now() - 1000));
  await drainJobs();
  t.is((await instance(i.id)).status, 'completed');
});

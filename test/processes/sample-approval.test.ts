// Scenario of the shipped processes/sample-approval.bpmn (Camunda 8 attributes, FEEL everywhere).
import test from 'ava';
import { engineDb, instance, jobsOf, openTasks } from './support.ts';
import { deployShippedProcesses, startProcess } from '../../src/engine/service.ts';
import { signalTask } from '../../src/engine/runtime.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  const deployed = await deployShippedProcesses();
  if (!deployed.some((d) => d.key === 'Process_sampleApproval')) throw new Error('sample not deployed');
});
test.after.always(async () => db?.cleanup());

test('given a request of unit 79, the officers of 79 review it with a three-day reminder, and a large amount goes to the leaders', async (t) => {
  const i = await startProcess('Process_sampleApproval', { businessKey: 'S-1', variables: { orgCode: '79' } });
  const [review] = await openTasks(i.id);
  t.is(review.candidateGroups, ',officer@79,');
  const [reminder] = await jobsOf(i.id);
  t.is(reminder.elementId, 'Timer_reviewOverdue');
  await signalTask(review, { amount: 250 }, 'officer', null);
  const [approve] = await openTasks(i.id);
  t.is(approve.elementId, 'Task_approve');
  t.is(approve.candidateGroups, ',leader@79,');
  t.deepEqual(await jobsOf(i.id), []);
  await signalTask(approve, {}, 'leader', null);
  t.is((await instance(i.id)).status, 'completed');
});

test('deploying the shipped folder again changes nothing', async (t) => {
  const again = await deployShippedProcesses();
  t.true(again.every((d) => !d.isNew));
});

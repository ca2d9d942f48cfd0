// Scenario of the shipped processes/document-approval.bpmn (Camunda 7 attributes, linked Camunda
// Forms, a decision gateway after the review) and the facts the task list reads from it.
import test from 'ava';
import { engineDb, instance, openTasks } from './support.ts';
import { deployShippedProcesses, getDefinitionRow, processFacts, startProcess } from '../../src/engine/service.ts';
import { signalTask } from '../../src/engine/runtime.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  const deployed = await deployShippedProcesses();
  if (!deployed.some((d) => d.key === 'Process_documentApproval')) throw new Error('document approval not deployed');
});
test.after.always(async () => db?.cleanup());

test('given a document of unit 79, a return goes back to the officers for revision and an approval goes to the leaders with a due and follow-up date', async (t) => {
  const i = await startProcess('Process_documentApproval', { businessKey: 'VB-1', variables: { orgCode: '79', subject: 'Báo cáo tình hình kinh tế - xã hội tháng 11' } });
  let [review] = await openTasks(i.id);
  t.is(review.elementId, 'Task_review');
  t.is(review.candidateGroups, ',officer@79,');
  t.truthy(review.dueAt);
  t.is(review.priority, 60);
  await signalTask(review, { decision: 'return' }, 'officer', 'Sai thể thức');
  const [revise] = await openTasks(i.id);
  t.is(revise.elementId, 'Task_revise');
  await signalTask(revise, {}, 'officer', null);
  [review] = await openTasks(i.id);
  t.is(review.elementId, 'Task_review');
  await signalTask(review, { decision: 'approve' }, 'officer', null);
  const [sign] = await openTasks(i.id);
  t.is(sign.elementId, 'Task_sign');
  t.is(sign.candidateGroups, ',leader@79,');
  t.truthy(sign.followUpAt);
  t.true(sign.followUpAt!.getTime() < sign.dueAt!.getTime());
  await signalTask(sign, {}, 'leader', null);
  t.is((await instance(i.id)).status, 'completed');
});

test('the review task offers two decisions on one variable, the return one leading back to it', async (t) => {
  const row = await getDefinitionRow({ key: 'Process_documentApproval' });
  const facts = await processFacts(row.id);
  t.deepEqual(facts.candidateStarterGroups, ['leader', 'officer']);
  t.deepEqual(facts.startForm, { kind: 'id', value: 'Form_documentRequest', binding: 'latest' });
  const review = facts.tasks.get('Task_review')!;
  t.like(review.form, { kind: 'id', value: 'Form_documentReview' });
  t.deepEqual(review.decisions.map((d) => [d.flowId, d.name, d.variable, d.value, d.loopsBack]), [
    ['Flow_approve', 'Đồng ý trình ký', 'decision', 'approve', false],
    ['Flow_return', 'Trả lại để soạn lại', 'decision', 'return', true],
  ]);
  t.deepEqual(facts.tasks.get('Task_sign')!.decisions, []);
});

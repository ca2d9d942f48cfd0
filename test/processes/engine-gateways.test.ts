// Scenario: a user task feeds an exclusive gateway with FEEL conditions, then a parallel split and join.
import test from 'ava';
import { bpmn, engineDb, ended, instance, openTasks, restart } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask } from '../../src/engine/runtime.ts';
import type { TestDb } from '../helpers/db.ts';

const xml = bpmn('Process_approval', `
  <startEvent id="Start" name="Đề nghị"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
  <userTask id="Task_review" name="Xem xét" camunda:candidateGroups="officer@{orgCode}" camunda:dueDate="P3D"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="Gateway_amount"/>
  <exclusiveGateway id="Gateway_amount" name="Số tiền lớn?" default="Flow_small"/>
  <sequenceFlow id="Flow_big" name="Lớn" sourceRef="Gateway_amount" targetRef="Split"><conditionExpression>=amount &gt; 100</conditionExpression></sequenceFlow>
  <sequenceFlow id="Flow_small" name="Nhỏ" sourceRef="Gateway_amount" targetRef="End_small"/>
  <endEvent id="End_small" name="Xong nhanh"/>
  <parallelGateway id="Split" name="Tách"/>
  <sequenceFlow id="Flow_a" sourceRef="Split" targetRef="Task_leader"/>
  <sequenceFlow id="Flow_b" sourceRef="Split" targetRef="Task_finance"/>
  <userTask id="Task_leader" name="Lãnh đạo duyệt" camunda:candidateGroups="leader@{orgCode}"/>
  <userTask id="Task_finance" name="Tài chính duyệt" camunda:assignee="=financeUser"/>
  <sequenceFlow id="Flow_c" sourceRef="Task_leader" targetRef="Join"/>
  <sequenceFlow id="Flow_d" sourceRef="Task_finance" targetRef="Join"/>
  <parallelGateway id="Join" name="Gộp"/>
  <sequenceFlow id="Flow_e" sourceRef="Join" targetRef="End_big"/>
  <endEvent id="End_big" name="Xong"/>
`);

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(xml);
});
test.after.always(async () => db?.cleanup());

test.serial('a large amount goes through both parallel approvals and the join ends the instance, across restarts', async (t) => {
  // Given an instance started for unit 01
  const started = await startProcess('Process_approval', { businessKey: 'BK-1', variables: { orgCode: '01', financeUser: 'an' } });
  const [review] = await openTasks(started.id);
  t.is(review.elementId, 'Task_review');
  t.is(review.candidateGroups, ',officer@01,');
  t.is(review.orgCode, '01');
  t.true(review.dueAt!.getTime() > Date.now() + 2.9 * 86400000);
  // When the review completes with amount 500
  await signalTask(review, { amount: 500 }, 'officer1', 'ok');
  const parallel = await openTasks(started.id);
  t.deepEqual(parallel.map((x) => x.elementId).sort(), ['Task_finance', 'Task_leader']);
  t.is(parallel.find((x) => x.elementId === 'Task_finance')!.assignee, 'an');
  // And both approvals complete, with a restart in between
  await restart(db);
  await signalTask(parallel[0], {}, 'u1', null);
  await restart(db);
  t.is((await instance(started.id)).status, 'active');
  await signalTask(parallel[1], {}, 'u2', null);
  // Then the instance has ended through the join
  const done = await instance(started.id);
  t.is(done.status, 'completed');
  t.truthy(done.endedAt);
  t.true((await ended(started.id)).includes('End_big'));
  t.deepEqual(JSON.parse(done.variables), { orgCode: '01', financeUser: 'an', amount: 500 });
});

test.serial('a small amount takes the default flow and ends at once', async (t) => {
  const started = await startProcess('Process_approval', { businessKey: 'BK-2', variables: { orgCode: '01' } });
  const [review] = await openTasks(started.id);
  await signalTask(review, { amount: 50 }, 'officer1', null);
  t.is((await instance(started.id)).status, 'completed');
  const path = await ended(started.id);
  t.true(path.includes('End_small'));
  t.false(path.includes('Split'));
});

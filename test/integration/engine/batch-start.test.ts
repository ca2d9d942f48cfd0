// A batch start (startProcesses) leaves every instance as a one-by-one start would: the same tasks,
// variables, history, durable timers and message subscriptions, all written in one transaction;
// a batch whose write fails leaves none of its instances.
import test from 'ava';
import { bpmn, engineDb, instance, jobsOf, openTasks } from '../../processes/support.ts';
import { completeTaskAsSystem, correlateMessage, deployDefinition, engineEvents, getTimeline, startProcess, startProcesses } from '../../../src/engine/service.ts';
import { EngineInstance, EngineSubscription } from '../../../src/engine/models.ts';
import { createUser } from '../../../src/auth/service.ts';
import type { TestDb } from '../../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(bpmn('Process_batch', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_start" sourceRef="Start" targetRef="Gateway_size"/>
    <exclusiveGateway id="Gateway_size" name="Lớn?" default="Flow_small"/>
    <sequenceFlow id="Flow_big" sourceRef="Gateway_size" targetRef="Task_review"><conditionExpression>=amount &gt; 100</conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_small" sourceRef="Gateway_size" targetRef="Catch_paid"/>
    <userTask id="Task_review" name="Xem xét" camunda:candidateGroups="officer@{orgCode}" camunda:formKey="review"/>
    <boundaryEvent id="Timer_due" name="Quá hạn" attachedToRef="Task_review"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="Flow_late" sourceRef="Timer_due" targetRef="End_late"/>
    <endEvent id="End_late" name="Trễ"/>
    <sequenceFlow id="Flow_reviewed" sourceRef="Task_review" targetRef="End_reviewed"/>
    <endEvent id="End_reviewed" name="Đã xem"/>
    <intermediateCatchEvent id="Catch_paid" name="Đã nộp"><messageEventDefinition messageRef="Msg_paid"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_paid" sourceRef="Catch_paid" targetRef="End_paid"/>
    <endEvent id="End_paid" name="Xong"/>
  `, { head: '<message id="Msg_paid" name="paid"/>' }));
});
test.after.always(async () => db?.cleanup());

const inputs = (prefix: string) => [
  { businessKey: `${prefix}-1`, variables: { amount: 500, orgCode: '01' }, org: { code: '01', path: '/01/' } },
  { businessKey: `${prefix}-2`, variables: { amount: 5, orgCode: '79' }, org: { code: '79', path: '/79/' } },
  { businessKey: `${prefix}-3`, variables: { amount: 101, orgCode: '79' }, startedBy: 'lan' },
];

/** What a user or an admin can see of an instance, without its ids and clock times. */
async function picture(id: string) {
  const row = await instance(id);
  const tasks = await openTasks(id);
  const jobs = await jobsOf(id);
  const subs = await EngineSubscription.findAll({ where: { instanceId: id } });
  return {
    status: row.status,
    variables: JSON.parse(row.variables),
    active: (JSON.parse(row.activeElements) as Array<{ id: string }>).map((a) => a.id),
    org: row.orgCode,
    startedBy: row.startedBy,
    tasks: tasks.map((tk) => ({ element: tk.elementId, name: tk.name, groups: tk.candidateGroups, org: tk.orgCode, formKey: tk.formKey, status: tk.status })),
    jobs: jobs.map((j) => ({ kind: j.kind, element: j.elementId, inAnHour: j.runAt.getTime() > row.startedAt.getTime() + 59 * 60_000 })),
    subscriptions: subs.map((s) => ({ kind: s.kind, name: s.name, element: s.elementId, ownKey: s.businessKey === row.businessKey })),
    history: (await getTimeline(id)).map((h) => `${h.event}:${h.elementId ?? ''}`),
  };
}

test.serial('a batch start leaves each instance as a one-by-one start does: tasks, variables, history, timers and subscriptions', async (t) => {
  const one: EngineInstance[] = [];
  for (const input of inputs('one')) one.push(await startProcess('Process_batch', input));
  const created: number[] = [];
  const onTask = (task: { id: number }) => created.push(task.id);
  engineEvents.on('task.created', onTask);
  const batch = await startProcesses('Process_batch', inputs('batch'));
  engineEvents.off('task.created', onTask);
  t.deepEqual(batch.map((b) => b.businessKey), ['batch-1', 'batch-2', 'batch-3'], 'the answer keeps the order of the inputs');
  for (let i = 0; i < one.length; i++) t.deepEqual(await picture(batch[i].id), await picture(one[i].id));
  t.is(created.length, 2, 'domains hear of each new task once the batch is committed');
  const big = await picture(batch[0].id);
  t.deepEqual(big.tasks.map((x) => x.groups), [',officer@01,']);
  t.deepEqual(big.jobs.map((j) => [j.kind, j.element, j.inAnHour]), [['engine.timer', 'Timer_due', true]]);
  t.deepEqual((await picture(batch[1].id)).subscriptions, [{ kind: 'message', name: 'paid', element: 'Catch_paid', ownKey: true }]);
});

test.serial('instances of a batch go on as any other: a task completed, a message correlated', async (t) => {
  const [big, small] = await startProcesses('Process_batch', inputs('go'));
  const [task] = await openTasks(big.id);
  await completeTaskAsSystem(task.id, { note: 'ổn' }, 'lan');
  t.is((await instance(big.id)).status, 'completed');
  t.deepEqual(await jobsOf(big.id), [], 'the boundary timer went with its task');
  const reached = await correlateMessage('paid', 'go-2');
  t.is(reached.instanceId, small.id);
  t.is((await instance(small.id)).status, 'completed');
});

test.serial('a batch whose write fails leaves none of its instances, and an empty batch starts nothing', async (t) => {
  const user = await createUser({ username: 'batch.user', fullName: 'Người thử', password: 'BatchPassword123', orgCode: null, roles: [] }, null);
  const idem = { userId: user.id, key: 'same-key', fingerprint: 'f' };
  // Two starts under one idempotency key: the second row breaks the unique index inside the one transaction.
  await t.throwsAsync(startProcesses('Process_batch', [
    { businessKey: 'fail-1', variables: { amount: 1 }, idempotency: idem },
    { businessKey: 'fail-2', variables: { amount: 1 }, idempotency: idem },
  ]));
  t.is(await EngineInstance.count({ where: { businessKey: ['fail-1', 'fail-2'] } }), 0);
  t.deepEqual(await startProcesses('Process_batch', []), []);
});

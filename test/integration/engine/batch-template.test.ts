// A batch start derives its instances from the first one's run when that run read nothing of its input:
// the stored rows (instance state, variables, active elements, tasks with their assignment and due
// dates, timer jobs, subscriptions, history) are those of one-by-one starts, ids and clock times aside;
// every id is the instance's own; the derived instances go on as any other. A process whose way to its
// first waits reads a variable is run instance by instance.
import test from 'ava';
import { QueryTypes } from 'sequelize';
import { bpmn, engineDb, instance, openTasks } from '../../processes/support.ts';
import { broadcastSignal, completeTaskAsSystem, correlateMessage, deployDefinition, startProcess, startProcesses } from '../../../src/engine/service.ts';
import { batchStartCounts, moveTimer, resumeInstance } from '../../../src/engine/runtime.ts';
import { db as store } from '../../../src/store/index.ts';
import type { TestDb } from '../../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  // Start → fork: a task for the unit (FEEL candidate group, a placeholder assignee, a due date, a boundary
  // timer), a message catch and a signal catch. Nothing on the way reads a variable.
  await deployDefinition(bpmn('Process_wide', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_start" sourceRef="Start" targetRef="Fork"/>
    <parallelGateway id="Fork" name="Tách"/>
    <sequenceFlow id="Flow_task" sourceRef="Fork" targetRef="Task_fill"/>
    <sequenceFlow id="Flow_paid" sourceRef="Fork" targetRef="Catch_paid"/>
    <sequenceFlow id="Flow_stop" sourceRef="Fork" targetRef="Catch_stop"/>
    <userTask id="Task_fill" name="Lập hồ sơ" camunda:candidateGroups="=&quot;officer@&quot; + orgCode" camunda:assignee="{clerk}" camunda:dueDate="P3D" camunda:formKey="fill:{orgCode}"/>
    <boundaryEvent id="Timer_due" name="Quá hạn" attachedToRef="Task_fill" cancelActivity="false"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="Flow_late" sourceRef="Timer_due" targetRef="Task_remind"/>
    <userTask id="Task_remind" name="Nhắc" camunda:candidateGroups="leader@{orgCode}"/>
    <sequenceFlow id="Flow_reminded" sourceRef="Task_remind" targetRef="End_reminded"/>
    <endEvent id="End_reminded"/>
    <sequenceFlow id="Flow_filled" sourceRef="Task_fill" targetRef="End_filled"/>
    <endEvent id="End_filled"/>
    <intermediateCatchEvent id="Catch_paid" name="Đã nộp"><messageEventDefinition messageRef="Msg_paid"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_paidEnd" sourceRef="Catch_paid" targetRef="End_paid"/>
    <endEvent id="End_paid"/>
    <intermediateCatchEvent id="Catch_stop" name="Dừng"><signalEventDefinition signalRef="Sig_stop"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_stopEnd" sourceRef="Catch_stop" targetRef="End_stop"/>
    <endEvent id="End_stop"/>
  `, { head: '<message id="Msg_paid" name="paid"/><signal id="Sig_stop" name="stop"/>' }));
  // The first wait depends on a variable: an exclusive gateway with a condition.
  await deployDefinition(bpmn('Process_branch', `
    <startEvent id="Start"/>
    <sequenceFlow id="Flow_start" sourceRef="Start" targetRef="Gateway_size"/>
    <exclusiveGateway id="Gateway_size" default="Flow_small"/>
    <sequenceFlow id="Flow_big" sourceRef="Gateway_size" targetRef="Task_big"><conditionExpression>=amount &gt; 100</conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_small" sourceRef="Gateway_size" targetRef="Task_small"/>
    <userTask id="Task_big" name="Lớn"/>
    <userTask id="Task_small" name="Nhỏ"/>
  `));
});
test.after.always(async () => db?.cleanup());

const inputs = (prefix: string) => ['01', '79', '48', '92'].map((org, i) => ({
  businessKey: `${prefix}-${i + 1}`, variables: { orgCode: org, clerk: `clerk.${org}`, amount: i * 100 }, org: { code: org, path: `/${org}/` }, startedBy: i === 2 ? 'lan' : null,
}));

type Row = Record<string, unknown>;
const rows = (sql: string, id: string) => store().query(sql, { replacements: [id], type: QueryTypes.SELECT }) as Promise<Row[]>;

/** The random part of an id as bpmn-elements and its broker make them (`Task_fill_1a2b3c4d5e`, `smq.mid-1a2b3c4d5e`). */
const ID_PART = /(?<=_|mid-)[0-9a-f]{10}/g;

/** Ids' random parts and clock values replaced by their order of appearance: what must be equal between two starts. */
function normalise(text: string): string {
  const seen = new Map<string, string>();
  return text
    .replace(/"(timestamp|expireAt|startedAt|timeout)":("[^"]*"|\d+)/g, '"$1":"<time>"')
    .replace(ID_PART, (m) => {
      if (!seen.has(m)) seen.set(m, `#${seen.size}`);
      return seen.get(m)!;
    });
}

/** Every stored row of an instance, without its own ids and clock times. */
async function stored(id: string) {
  const [row] = await rows('SELECT * FROM engine_instances WHERE id = ?', id);
  const task = (t: Row) => ({ ...t, id: 0, instance_id: 0, business_key: 0, execution_id: normalise(String(t.execution_id)), created_at: 0, updated_at: 0, due_at: t.due_at ? 'set' : null });
  return {
    instance: { ...row, id: 0, business_key: 0, started_at: 0, updated_at: 0, state: normalise(String(row.state)), active_elements: normalise(String(row.active_elements)) },
    tasks: (await rows('SELECT * FROM engine_tasks WHERE instance_id = ? ORDER BY element_id', id)).map(task),
    jobs: (await rows('SELECT * FROM engine_jobs WHERE instance_id = ? ORDER BY kind, element_id', id)).map((j) => ({ ...j, id: 0, instance_id: 0, execution_id: normalise(String(j.execution_id)), run_at: 0, created_at: 0 })),
    subscriptions: (await rows('SELECT * FROM engine_subscriptions WHERE instance_id = ? ORDER BY kind', id)).map((s) => ({ ...s, id: 0, instance_id: 0, business_key: s.business_key === row.business_key ? 'own' : s.business_key })),
    history: (await rows('SELECT * FROM engine_history WHERE instance_id = ? ORDER BY id', id)).map((h) => ({ ...h, id: 0, instance_id: 0, at: 0 })),
  };
}

/** The random id parts of an instance's state and active elements. */
async function idParts(id: string): Promise<Set<string>> {
  const [row] = await rows('SELECT state, active_elements FROM engine_instances WHERE id = ?', id);
  return new Set(`${row.state}${row.active_elements}`.match(ID_PART) ?? []);
}

test.serial('a batch derived from its first run stores exactly what one-by-one starts store', async (t) => {
  const one = [];
  for (const input of inputs('one')) one.push(await startProcess('Process_wide', input));
  const before = batchStartCounts();
  const batch = await startProcesses('Process_wide', inputs('batch'));
  const after = batchStartCounts();
  t.deepEqual([after.run - before.run, after.derived - before.derived], [1, 3], 'one instance ran, three were derived from it');
  for (let i = 0; i < one.length; i++) t.deepEqual(await stored(batch[i].id), await stored(one[i].id), `instance ${i + 1}`);
  const [task] = await openTasks(batch[1].id);
  t.is(task.candidateGroups, ',officer@79,', 'the assignment is evaluated with the instance\'s own variables');
  t.is(task.assignee, 'clerk.79');
  t.is(task.formKey, 'fill:79');
  t.true(task.dueAt!.getTime() > Date.now() + 71 * 3600_000, 'the due date is three days out');
  t.deepEqual(JSON.parse((await instance(batch[3].id)).variables), inputs('x')[3].variables);
  const all = [...one, ...batch];
  const parts = await Promise.all(all.map((i) => idParts(i.id)));
  for (let a = 0; a < parts.length; a++) {
    for (let b = a + 1; b < parts.length; b++) t.deepEqual([...parts[a]].filter((p) => parts[b].has(p)), [], `instances ${a + 1} and ${b + 1} share no execution id`);
  }
});

test.serial('derived instances go on as any other: task completed, message correlated, timer fired, signal received', async (t) => {
  const batch = await startProcesses('Process_wide', inputs('go'));
  const derived = batch[2];
  const [task] = await openTasks(derived.id);
  await completeTaskAsSystem(task.id, { note: 'xong' }, 'lan');
  t.deepEqual((await openTasks(derived.id)).map((x) => x.elementId), [], 'the task is done');
  t.is((await correlateMessage('paid', 'go-3')).instanceId, derived.id, 'the message reaches the derived instance by its business key');
  const other = batch[1];
  const [{ execution_id: timerExecution }] = await rows("SELECT execution_id FROM engine_jobs WHERE instance_id = ? AND kind = 'engine.timer'", other.id);
  await moveTimer(other.id, String(timerExecution), new Date(Date.now() - 1000));
  await resumeInstance(other.id);
  t.deepEqual((await openTasks(other.id)).map((x) => [x.elementId, x.candidateGroups]).sort(), [['Task_fill', ',officer@79,'], ['Task_remind', ',leader@79,']], 'the boundary timer fired on its own instance only');
  t.deepEqual((await openTasks(batch[0].id)).map((x) => x.elementId), ['Task_fill']);
  const reached = await broadcastSignal('stop');
  t.true(reached.delivered >= 4);
  t.is((await instance(derived.id)).status, 'completed', 'task, message and signal done: the derived instance ended');
});

test.serial('a batch whose first run reads a variable runs every instance and stores what one-by-one starts store', async (t) => {
  const mk = (p: string) => [{ businessKey: `${p}-1`, variables: { amount: 500 } }, { businessKey: `${p}-2`, variables: { amount: 5 } }, { businessKey: `${p}-3`, variables: { amount: 150 } }];
  const one = [];
  for (const input of mk('b1')) one.push(await startProcess('Process_branch', input));
  const before = batchStartCounts();
  const batch = await startProcesses('Process_branch', mk('b2'));
  const after = batchStartCounts();
  t.deepEqual([after.run - before.run, after.derived - before.derived], [3, 0]);
  for (let i = 0; i < one.length; i++) t.deepEqual(await stored(batch[i].id), await stored(one[i].id));
  t.deepEqual(await Promise.all(batch.map(async (b) => (await openTasks(b.id))[0].elementId)), ['Task_big', 'Task_small', 'Task_big']);
});

test.serial('derive: false runs every instance of a batch', async (t) => {
  const before = batchStartCounts();
  await startProcesses('Process_wide', inputs('plain'), { derive: false });
  const after = batchStartCounts();
  t.deepEqual([after.run - before.run, after.derived - before.derived], [4, 0]);
});

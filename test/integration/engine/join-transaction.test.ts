// A task completion joined to the caller's transaction (completeTaskAsSystem's `transaction`): it
// commits with the caller's own writes or rolls back with them, and nothing is announced before the
// caller's commit.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks } from '../../processes/support.ts';
import { completeTaskAsSystem, deployDefinition, engineEvents, startProcess } from '../../../src/engine/service.ts';
import { EngineHistory } from '../../../src/engine/models.ts';
import { inTransaction } from '../../../src/store/index.ts';
import type { TestDb } from '../../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(bpmn('Process_join', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_first"/>
    <userTask id="Task_first" name="Bước một"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_first" targetRef="Task_second"/>
    <userTask id="Task_second" name="Bước hai"/>
    <sequenceFlow id="Flow_3" sourceRef="Task_second" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});
test.after.always(async () => db?.cleanup());

function created(): { names: string[]; stop: () => void } {
  const names: string[] = [];
  const on = (task: { elementId: string }) => names.push(task.elementId);
  engineEvents.on('task.created', on);
  return { names, stop: () => engineEvents.off('task.created', on) };
}

test.serial('a completion inside a transaction that fails afterwards leaves the task open and announces nothing', async (t) => {
  const inst = await startProcess('Process_join', { businessKey: 'join-1' });
  const [first] = await openTasks(inst.id);
  const before = await EngineHistory.count({ where: { instanceId: inst.id } });
  const seen = created();
  try {
    await t.throwsAsync(inTransaction(async (tx) => {
      await completeTaskAsSystem(first.id, { ok: true }, 'lan', { transaction: tx });
      throw new Error('the caller fails after the completion');
    }), { message: /caller fails/ });
  } finally {
    seen.stop();
  }
  t.deepEqual(seen.names, []);
  t.deepEqual((await openTasks(inst.id)).map((x) => x.elementId), ['Task_first']);
  t.is(await EngineHistory.count({ where: { instanceId: inst.id } }), before);
  t.is((await instance(inst.id)).version, inst.version);
  // The engine kept in memory did not survive the rollback: the next completion works from the stored state.
  await completeTaskAsSystem(first.id, {}, 'lan');
  t.deepEqual((await openTasks(inst.id)).map((x) => x.elementId), ['Task_second']);
});

test.serial('a completion inside a transaction that commits moves the flow and is announced after the commit', async (t) => {
  const inst = await startProcess('Process_join', { businessKey: 'join-2' });
  const [first] = await openTasks(inst.id);
  const seen = created();
  let seenInside: string[] = [];
  try {
    await inTransaction(async (tx) => {
      await completeTaskAsSystem(first.id, { ok: true }, 'lan', { transaction: tx });
      seenInside = [...seen.names];
    });
  } finally {
    seen.stop();
  }
  t.deepEqual(seenInside, []);
  t.deepEqual(seen.names, ['Task_second']);
  t.deepEqual((await openTasks(inst.id)).map((x) => x.elementId), ['Task_second']);
  t.deepEqual(JSON.parse((await instance(inst.id)).variables), { ok: true });
});

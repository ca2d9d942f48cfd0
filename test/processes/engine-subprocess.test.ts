// Scenario: a user task inside an embedded sub-process becomes a task row and completes the sub-process.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks, restart } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask } from '../../src/engine/runtime.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await deployDefinition(bpmn('Process_sub', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Sub_review"/>
    <subProcess id="Sub_review" name="Thẩm định">
      <startEvent id="Sub_start" name="Vào"/>
      <sequenceFlow id="Flow_s1" sourceRef="Sub_start" targetRef="Task_inner"/>
      <userTask id="Task_inner" name="Kiểm tra bên trong"/>
      <sequenceFlow id="Flow_s2" sourceRef="Task_inner" targetRef="Sub_end"/>
      <endEvent id="Sub_end" name="Ra"/>
    </subProcess>
    <sequenceFlow id="Flow_2" sourceRef="Sub_review" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});
test.after.always(async () => db?.cleanup());

test.serial('a task inside a sub-process is a task row, and completing it after a restart ends the instance', async (t) => {
  const i = await startProcess('Process_sub', {});
  const tasks = await openTasks(i.id);
  t.deepEqual(tasks.map((x) => x.elementId), ['Task_inner']);
  await restart(db);
  await signalTask(tasks[0], {}, 'officer', null);
  t.is((await instance(i.id)).status, 'completed');
});

// Another process acting on the same database while this one keeps engines and versions in memory:
// what this node remembers is only a shortcut, and the stored rows decide.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { engineDb, bpmn, openTasks, instance, sleep } from '../../processes/support.ts';
import { govflowCli } from '../../helpers/cli.ts';
import type { TestDb } from '../../helpers/db.ts';
import { deployDefinition, startProcess, completeTaskAsSystem, openTasksOf } from '../../../src/engine/service.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => {
  await db?.cleanup();
});

const twoSteps = (name: string) => bpmn('Process_two_nodes', `
  <startEvent id="Start" name="Start"/>
  <sequenceFlow id="F1" sourceRef="Start" targetRef="Task_a"/>
  <userTask id="Task_a" name="${name} A"/>
  <sequenceFlow id="F2" sourceRef="Task_a" targetRef="Task_b"/>
  <userTask id="Task_b" name="${name} B"/>
  <sequenceFlow id="F3" sourceRef="Task_b" targetRef="End"/>
  <endEvent id="End" name="End"/>
`);

test.serial('a task created by another process is completed here although this node kept the older engine', async (t) => {
  await deployDefinition(twoSteps('Step'));
  // This process starts the instance and keeps its engine (waiting on Task_a) in memory.
  const started = await startProcess('Process_two_nodes', { businessKey: 'NODE-1' });
  const [a] = await openTasksOf(started.id);
  t.is(a.elementId, 'Task_a');
  // Another process completes Task_a: the instance moves to Task_b behind this node's back.
  const other = await govflowCli(db, ['complete', String(a.id), '--vars', '{"fromOther": true}']);
  t.is(other.code, 0, other.stderr);
  const [b] = await openTasks(started.id);
  t.is(b.elementId, 'Task_b');
  // Completing Task_b here must use the stored state, not the stale engine that never saw Task_b.
  await completeTaskAsSystem(b.id, { here: true }, 'officer');
  const row = await instance(started.id);
  t.is(row.status, 'completed');
  t.deepEqual(JSON.parse(row.variables), { fromOther: true, here: true });
});

test.serial('a version deployed by another process is started here within a second; one deployed here at once', async (t) => {
  const v1 = await deployDefinition(twoSteps('One'));
  t.is((await startProcess('Process_two_nodes')).definitionId, v1.id);
  const file = path.join(db.dataDir, 'v2.bpmn');
  fs.writeFileSync(file, twoSteps('Two'));
  const deployed = await govflowCli(db, ['deploy', file]);
  t.is(deployed.code, 0, deployed.stderr);
  const [key, version] = deployed.stdout.trim().split(' ');
  t.is(key, 'Process_two_nodes');
  await sleep(1100);
  const afterOther = await startProcess('Process_two_nodes');
  t.not(afterOther.definitionId, v1.id);
  t.is((await openTasksOf(afterOther.id))[0].name, 'Two A');
  const v3 = await deployDefinition(twoSteps('Three'));
  t.is(v3.version, Number(version) + 1);
  const afterHere = await startProcess('Process_two_nodes');
  t.is(afterHere.definitionId, v3.id);
});

// Scenario: an instance saved by the earlier runtime, which stored bpmn-engine's Engine.getState()
// (engine fields around the definition state, without its source), continues on the current one.
import test from 'ava';
import { EventEmitter } from 'node:events';
import { Engine } from 'bpmn-engine';
import { bpmn, engineDb, instance, openTasks, restart } from './support.ts';
import { deployDefinition, loadDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask } from '../../src/engine/runtime.ts';
import { EngineInstance, EngineTask } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

const xml = bpmn('Process_upgrade', `
  <startEvent id="Start" name="Nộp"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_check"/>
  <userTask id="Task_check" name="Kiểm tra"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_check" targetRef="Task_sign"/>
  <userTask id="Task_sign" name="Ký"/>
  <sequenceFlow id="Flow_3" sourceRef="Task_sign" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

test.serial('a state written by bpmn-engine is recovered, its task completed, and the instance moves on', async (t) => {
  const deployed = await deployDefinition(xml);
  const def = await loadDefinition(deployed.id);
  // Given a row as the earlier runtime wrote it: Engine.getState() with the definition source removed
  const started = await startProcess('Process_upgrade', { businessKey: 'OLD-1' });
  const engine = new Engine({ name: started.id, sourceContext: def.sourceContext } as never);
  const listener = new EventEmitter();
  const waiting = new Promise<{ executionId: string }>((resolve) => listener.once('wait', (api) => resolve(api)));
  await engine.execute({ listener } as never);
  const { executionId } = await waiting;
  const old = (await engine.getState()) as unknown as { definitions: Array<{ source?: string }>; engineVersion: string };
  for (const d of old.definitions) delete d.source;
  t.truthy(old.engineVersion);
  await engine.stop();
  await EngineInstance.update({ state: JSON.stringify(old), activeElements: JSON.stringify([{ id: 'Task_check', type: 'bpmn:UserTask', executionId }]) }, { where: { id: started.id } });
  await EngineTask.update({ executionId }, { where: { instanceId: started.id } });
  // When a node that never held the instance completes the task
  await restart(db);
  const [check] = await openTasks(started.id);
  await signalTask(check, { checked: true }, 'officer', null);
  // Then the next task exists, and completing it ends the instance
  const [sign] = await openTasks(started.id);
  t.is(sign.elementId, 'Task_sign');
  await signalTask(sign, {}, 'leader', null);
  const row = await instance(started.id);
  t.is(row.status, 'completed');
  t.deepEqual(JSON.parse(row.variables), { checked: true });
});

test.serial('ENGINE_CACHE bounds the engines kept in memory; with 0 every action recovers from the database', async (t) => {
  const { getConfig, setConfig } = await import('../../src/config.ts');
  const { keptEngineCount, forgetLiveEngines } = await import('../../src/engine/runtime.ts');
  const original = getConfig();
  try {
    forgetLiveEngines();
    setConfig({ ...original, engineCache: 2 });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await startProcess('Process_upgrade', { businessKey: `CACHE-${i}` })).id);
    t.is(keptEngineCount(), 2);
    setConfig({ ...original, engineCache: 0 });
    forgetLiveEngines();
    for (const id of ids) {
      for (const task of await openTasks(id)) await signalTask(task, {}, 'officer', null);
      t.is(keptEngineCount(), 0);
      const [sign] = await openTasks(id);
      await signalTask(sign, {}, 'leader', null);
      t.is((await instance(id)).status, 'completed');
    }
    t.is(keptEngineCount(), 0);
  } finally {
    setConfig(original);
  }
});

// Scenario: a model whose service task loops back to itself through a parallel gateway. One action
// stops at ENGINE_MAX_TRANSITIONS with an incident; the instance waits there (retry runs another
// budget, cancel ends it) and the event loop keeps turning while it runs.
import test from 'ava';
import { bpmn, engineDb, instance } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, retryIncident, cancelInstance } from '../../src/engine/runtime.ts';
import { registerServiceHandler } from '../../src/engine/service.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import { getConfig, loadConfig, setConfig } from '../../src/config.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
let before: ReturnType<typeof getConfig>;
let ticks = 0;
test.before(async () => {
  db = await engineDb();
  before = getConfig();
  setConfig(loadConfig({ ...Object.fromEntries(Object.entries(process.env)), NODE_ENV: 'test', DATA_DIR: before.dataDir, DATABASE_URL: before.databaseUrl, SECRET: before.secret, LOG_LEVEL: 'silent', ENGINE_MAX_TRANSITIONS: '1500' }));
  registerServiceHandler('tick', ({ variables }) => {
    ticks++;
    return { n: Number(variables.n ?? 0) + 1 };
  });
});
test.after.always(async () => {
  setConfig(before);
  await db?.cleanup();
});

const runaway = bpmn('Process_runaway', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Task_tick"/>
  <serviceTask id="Task_tick" name="Đếm" camunda:type="external" camunda:topic="tick"/>
  <sequenceFlow id="Flow_2" name="2" sourceRef="Task_tick" targetRef="Fork"/>
  <parallelGateway id="Fork" name="Tách"/>
  <sequenceFlow id="Flow_again" name="lại" sourceRef="Fork" targetRef="Task_tick"/>
  <sequenceFlow id="Flow_out" name="ra" sourceRef="Fork" targetRef="End"/>
  <endEvent id="End" name="Kết thúc"/>
`);

test.serial('a service task that loops back through a parallel gateway stops at the limit with one incident and the event loop keeps turning', async (t) => {
  await deployDefinition(runaway);
  let turns = 0;
  const timer = setInterval(() => turns++, 1);
  const started = performance.now();
  const inst = await startProcess('Process_runaway');
  clearInterval(timer);
  t.log(`stopped after ${(performance.now() - started).toFixed(0)} ms, ${ticks} handler calls, ${turns} event-loop turns meanwhile`);
  t.true(turns > 0);
  const row = await instance(inst.id);
  t.is(row.status, 'active');
  t.true(ticks > 100 && ticks < 1500, String(ticks));
  const incidents = await EngineIncident.findAll({ where: { instanceId: inst.id, status: 'open' } });
  t.is(incidents.length, 1);
  t.is(incidents[0].code, 'incidents.runaway');
  t.like(JSON.parse(incidents[0].params!), { limit: 1500 });
  // A retry runs another budget and stops again; the count went on from where it was
  const n = JSON.parse(row.variables).n as number;
  await retryIncident(incidents[0].id, 'admin');
  const again = await instance(inst.id);
  t.true((JSON.parse(again.variables).n as number) > n);
  t.is(await EngineIncident.count({ where: { instanceId: inst.id, status: 'open' } }), 1);
  // And an admin can end it
  await cancelInstance(inst.id, 'admin', 'vòng lặp');
  t.is((await instance(inst.id)).status, 'cancelled');
});

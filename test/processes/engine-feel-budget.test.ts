// Scenario: expressions that would run for seconds or exhaust the heap. The runtime stops them at their
// budget and raises an incident on their element; the instance is kept and the node goes on working.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask, retryIncident, setInstanceVariables } from '../../src/engine/runtime.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import { AppError } from '../../src/errors.ts';
import { loadConfig, getConfig, setConfig } from '../../src/config.ts';
import type { TestDb } from '../helpers/db.ts';

const HEAVY = 'count(for i in 1..60000000 return i) > 0';

const gateway = (id: string, condition: string) => bpmn(id, `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Gateway_heavy"/>
  <exclusiveGateway id="Gateway_heavy" name="Đếm?" default="Flow_no"/>
  <sequenceFlow id="Flow_yes" name="Có" sourceRef="Gateway_heavy" targetRef="Task_yes"><conditionExpression>=${condition}</conditionExpression></sequenceFlow>
  <sequenceFlow id="Flow_no" name="Không" sourceRef="Gateway_heavy" targetRef="End"/>
  <userTask id="Task_yes" name="Có"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_yes" targetRef="End"/>
  <endEvent id="End" name="Kết thúc"/>
`);

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

/** Runs a step with FEEL_MAX_RANGE raised, as an operator could, so that only the runtime budget stands in the way. */
async function withWideRanges<T>(fn: () => Promise<T>): Promise<T> {
  const before = getConfig();
  setConfig(loadConfig({ ...Object.fromEntries(Object.entries(process.env)), NODE_ENV: 'test', DATA_DIR: before.dataDir, DATABASE_URL: before.databaseUrl, SECRET: before.secret, LOG_LEVEL: 'silent', FEEL_MAX_RANGE: '100000000' }));
  try {
    return await fn();
  } finally {
    setConfig(before);
  }
}

test.serial('a gateway with count(for i in 1..60000000 return i) > 0 waits at the gateway with an incident', async (t) => {
  await withWideRanges(() => deployDefinition(gateway('Process_heavyGateway', HEAVY)));
  const started = performance.now();
  const inst = await startProcess('Process_heavyGateway', { businessKey: 'BK-heavy' });
  t.log(`took ${(performance.now() - started).toFixed(0)} ms`);
  const row = await instance(inst.id);
  t.is(row.businessKey, 'BK-heavy');
  t.is(row.status, 'active');
  t.deepEqual(JSON.parse(row.activeElements).map((a: { id: string }) => a.id), ['Gateway_heavy']);
  const incidents = await EngineIncident.findAll({ where: { instanceId: inst.id } });
  t.is(incidents.length, 1);
  t.is(incidents[0].elementId, 'Gateway_heavy');
  t.is(incidents[0].status, 'open');
  t.true(incidents[0].error.includes(HEAVY), incidents[0].error);
  // The node still evaluates bounded expressions at once.
  await deployDefinition(gateway('Process_lightGateway', 'amount > 100'));
  const light = await startProcess('Process_lightGateway', { variables: { amount: 500 } });
  t.is((await openTasks(light.id)).length, 1);
});

test.serial('a range whose end comes from a variable is stopped at the budget when the task before the gateway completes', async (t) => {
  const xml = bpmn('Process_heavyAfterTask', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_enter"/>
    <userTask id="Task_enter" name="Nhập"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_enter" targetRef="Gateway_count"/>
    <exclusiveGateway id="Gateway_count" name="Đếm?" default="Flow_no"/>
    <sequenceFlow id="Flow_yes" name="Có" sourceRef="Gateway_count" targetRef="End"><conditionExpression>=count(for i in 1..n return i) &gt; 0</conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_no" name="Không" sourceRef="Gateway_count" targetRef="End"/>
    <endEvent id="End" name="Kết thúc"/>
  `);
  await deployDefinition(xml);
  const inst = await startProcess('Process_heavyAfterTask');
  const [task] = await openTasks(inst.id);
  await signalTask(task, { n: 60000000 }, 'officer1', null);
  const row = await instance(inst.id);
  t.is(row.status, 'active');
  t.is(JSON.parse(row.variables).n, 60000000);
  const [incident] = await EngineIncident.findAll({ where: { instanceId: inst.id } });
  t.is(incident.elementId, 'Gateway_count');
  t.true(incident.error.includes('count(for i in 1..n return i) > 0'));
  // An admin lowers n and retries: the gateway decides and the instance ends
  await setInstanceVariables(inst.id, { n: 3 }, 'admin', 256 * 1024);
  await retryIncident(incident.id, 'admin');
  t.is((await instance(inst.id)).status, 'completed');
});

test.serial('a service task whose input mapping runs past the budget waits with an incident', async (t) => {
  const xml = bpmn('Process_heavyInput', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Service_sum"/>
    <serviceTask id="Service_sum" name="Cộng">
      <extensionElements>
        <zeebe:taskDefinition type="noop"/>
        <zeebe:ioMapping><zeebe:input source="=sum(for i in 1..n return i)" target="total"/></zeebe:ioMapping>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Service_sum" targetRef="End"/>
    <endEvent id="End" name="Kết thúc"/>
  `, { dialect: 'zeebe' });
  await deployDefinition(xml);
  const inst = await startProcess('Process_heavyInput', { variables: { n: 60000000 } });
  const row = await instance(inst.id);
  t.is(row.status, 'active');
  t.deepEqual(JSON.parse(row.activeElements).map((a: { id: string }) => a.id), ['Service_sum']);
  const [incident] = await EngineIncident.findAll({ where: { instanceId: inst.id } });
  t.is(incident.elementId, 'Service_sum');
  t.is(incident.status, 'open');
});

test.serial('a multi-instance task over twenty items whose input mapping runs past the budget costs one budget, not twenty', async (t) => {
  await deployDefinition(bpmn('Process_heavyLoop', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Service_each"/>
    <serviceTask id="Service_each" name="Từng đơn vị">
      <extensionElements>
        <zeebe:taskDefinition type="noop"/>
        <zeebe:ioMapping><zeebe:input source="=count(for i in 1..n return i)" target="total"/></zeebe:ioMapping>
      </extensionElements>
      <multiInstanceLoopCharacteristics>
        <extensionElements><zeebe:loopCharacteristics inputCollection="=units" inputElement="unit"/></extensionElements>
      </multiInstanceLoopCharacteristics>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Service_each" targetRef="End"/>
    <endEvent id="End" name="Kết thúc"/>
  `, { dialect: 'zeebe' }));
  const units = Array.from({ length: 20 }, (_, i) => `u${i}`);
  const started = performance.now();
  const inst = await startProcess('Process_heavyLoop', { variables: { n: 60000000, units } });
  t.log(`the start with 20 stopped expressions took ${(performance.now() - started).toFixed(0)} ms`);
  const incidents = await EngineIncident.findAll({ where: { instanceId: inst.id } });
  t.is(incidents.length, 20);
  t.true(incidents.every((i) => i.elementId === 'Service_each' && i.error.includes('count(for i in 1..n return i)')));
  t.is((await instance(inst.id)).status, 'active');
});

test.serial('a user task whose candidate groups run past the budget is an incident on the task, not a task and not a lost start', async (t) => {
  await deployDefinition(bpmn('Process_heavyGroups', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
    <userTask id="Task_review" name="Xem xét" camunda:candidateGroups="=string join(for i in 1..n return &quot;officer@01&quot;, &quot;,&quot;)"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="End"/>
    <endEvent id="End" name="Kết thúc"/>
  `));
  const heavy = await startProcess('Process_heavyGroups', { businessKey: 'BK-groups', variables: { n: 60000000 } });
  t.deepEqual(await openTasks(heavy.id), []);
  const incidents = await EngineIncident.findAll({ where: { instanceId: heavy.id } });
  t.is(incidents.length, 1);
  t.like(incidents[0].get({ plain: true }), { elementId: 'Task_review', handler: 'assignment', status: 'open' });
  t.true(incidents[0].error.includes('string join(for i in 1..n return "officer@01", ",")'), incidents[0].error);
  t.is((await instance(heavy.id)).status, 'active');
  const small = await startProcess('Process_heavyGroups', { variables: { n: 2 } });
  t.is((await openTasks(small.id))[0].candidateGroups, ',officer@01,officer@01,');
});

test.serial('deploying a process that iterates over a literal range beyond FEEL_MAX_RANGE is refused with the expression named', async (t) => {
  const err = await t.throwsAsync(deployDefinition(gateway('Process_wideRange', HEAVY)));
  t.true(err instanceof AppError);
  const e = err as AppError;
  t.is(e.status, 422);
  const problems = e.details as Array<{ code: string; elementId: string; params: Record<string, unknown> }>;
  t.is(problems.length, 1);
  t.like(problems[0], { code: 'engine.problem.feelRange', elementId: 'Flow_yes', params: { expression: `=${HEAVY}`, size: 60000000, limit: 100000 } });
});

// Scenarios: failures become incidents, never a dead end. A gateway where no flow matches, a condition
// on a missing variable, a multi-instance collection that is not there, output mappings that fail: the
// instance waits at the element with an incident in the catalog's words; an admin fixes the variables
// and retries, and the instance moves on.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks, restart } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask, retryIncident, setInstanceVariables } from '../../src/engine/runtime.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import { t as translate } from '../../src/i18n/index.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

async function openIncidents(instanceId: string): Promise<EngineIncident[]> {
  return EngineIncident.findAll({ where: { instanceId, status: 'open' }, order: [['id', 'ASC']] });
}

function activeIds(row: { activeElements: string }): string[] {
  return (JSON.parse(row.activeElements) as Array<{ id: string }>).map((a) => a.id);
}

const noDefault = bpmn('Process_noDefault', `
  <startEvent id="Start" name="Start"/>
  <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Gateway_amount"/>
  <exclusiveGateway id="Gateway_amount" name="Số tiền?"/>
  <sequenceFlow id="Flow_big" name="big" sourceRef="Gateway_amount" targetRef="Task_big"><conditionExpression>=amount &gt; 100</conditionExpression></sequenceFlow>
  <sequenceFlow id="Flow_small" name="small" sourceRef="Gateway_amount" targetRef="Task_small"><conditionExpression>=amount &lt; 10</conditionExpression></sequenceFlow>
  <userTask id="Task_big" name="Lớn"/>
  <userTask id="Task_small" name="Nhỏ"/>
  <sequenceFlow id="Flow_2" name="2" sourceRef="Task_big" targetRef="End"/>
  <sequenceFlow id="Flow_3" name="3" sourceRef="Task_small" targetRef="End"/>
  <endEvent id="End" name="End"/>
`);

test.serial('a gateway where no condition matches waits with an incident; fixing the variables and retrying moves on', async (t) => {
  await deployDefinition(noDefault);
  // Given an amount that neither flow takes
  const inst = await startProcess('Process_noDefault', { variables: { amount: 50 } });
  // Then the instance waits at the gateway, not failed
  const row = await instance(inst.id);
  t.is(row.status, 'active');
  t.deepEqual(activeIds(row), ['Gateway_amount']);
  const [incident] = await openIncidents(inst.id);
  t.is(incident.elementId, 'Gateway_amount');
  t.is(incident.code, 'incidents.noFlow');
  t.deepEqual(JSON.parse(incident.params!), { id: 'Gateway_amount' });
  // And the cockpit can say it in Vietnamese and English
  t.regex(translate('vi', incident.code!, JSON.parse(incident.params!)), /Không có luồng đi ra nào của Gateway_amount/);
  t.regex(incident.error, /No outgoing flow of Gateway_amount matches/);
  // A retry with the same data stays at the gateway with a new incident
  await retryIncident(incident.id, 'admin');
  t.is((await EngineIncident.findByPk(incident.id))!.status, 'resolved');
  t.is((await openIncidents(inst.id)).length, 1);
  // When an admin fixes the amount (after a restart) and retries
  await restart(db);
  await setInstanceVariables(inst.id, { amount: 500 }, 'admin', 256 * 1024);
  const [again] = await openIncidents(inst.id);
  await retryIncident(again.id, 'admin');
  // Then the big task is open and no incident is left
  const tasks = await openTasks(inst.id);
  t.deepEqual(tasks.map((x) => x.elementId), ['Task_big']);
  t.is((await openIncidents(inst.id)).length, 0);
  t.is((await instance(inst.id)).status, 'active');
});

test.serial('a condition on a variable nobody set is an incident after the task before it completes, not a silent default', async (t) => {
  await deployDefinition(bpmn('Process_missingVar', `
    <startEvent id="Start" name="Start"/>
    <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Task_enter"/>
    <userTask id="Task_enter" name="Nhập"/>
    <sequenceFlow id="Flow_2" name="2" sourceRef="Task_enter" targetRef="Gateway_ok"/>
    <exclusiveGateway id="Gateway_ok" name="ok" default="Flow_no"/>
    <sequenceFlow id="Flow_yes" name="yes" sourceRef="Gateway_ok" targetRef="End_yes"><conditionExpression>=approved</conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_no" name="no" sourceRef="Gateway_ok" targetRef="End_no"/>
    <endEvent id="End_yes" name="yes"/>
    <endEvent id="End_no" name="no"/>
  `));
  const inst = await startProcess('Process_missingVar');
  const [task] = await openTasks(inst.id);
  await signalTask(task, { comment: 'quên trường approved' }, 'officer1', null);
  const row = await instance(inst.id);
  t.is(row.status, 'active');
  t.deepEqual(activeIds(row), ['Gateway_ok']);
  const [incident] = await openIncidents(inst.id);
  t.is(incident.code, 'incidents.conditionNotBoolean');
  t.like(JSON.parse(incident.params!), { flow: 'Flow_yes', value: 'null', expression: '=approved' });
  await setInstanceVariables(inst.id, { approved: true, comment: null }, 'admin', 256 * 1024);
  await retryIncident(incident.id, 'admin');
  const done = await instance(inst.id);
  t.is(done.status, 'completed');
  t.deepEqual(JSON.parse(done.variables), { approved: true });
});

test.serial('a multi-instance task whose collection is missing at start waits with an incident and opens its tasks after the fix', async (t) => {
  await deployDefinition(bpmn('Process_missingUnits', `
    <startEvent id="Start" name="Start"/>
    <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Task_report"/>
    <userTask id="Task_report" name="Báo cáo">
      <extensionElements><zeebe:assignmentDefinition candidateGroups="=&quot;officer@&quot; + unit"/></extensionElements>
      <multiInstanceLoopCharacteristics>
        <extensionElements><zeebe:loopCharacteristics inputCollection="=units" inputElement="unit"/></extensionElements>
      </multiInstanceLoopCharacteristics>
    </userTask>
    <sequenceFlow id="Flow_2" name="2" sourceRef="Task_report" targetRef="End"/>
    <endEvent id="End" name="End"/>
  `, { dialect: 'zeebe' }));
  const inst = await startProcess('Process_missingUnits', { variables: { unit: 'x' } });
  t.is((await instance(inst.id)).status, 'active');
  t.is((await openTasks(inst.id)).length, 0);
  t.deepEqual(activeIds(await instance(inst.id)), ['Task_report']);
  const [incident] = await openIncidents(inst.id);
  t.is(incident.elementId, 'Task_report');
  t.is(incident.code, 'incidents.collection');
  await setInstanceVariables(inst.id, { units: ['01', '79'], unit: null }, 'admin', 256 * 1024);
  await retryIncident(incident.id, 'admin');
  t.deepEqual((await openTasks(inst.id)).map((x) => x.candidateGroups), [',officer@01,', ',officer@79,']);
});

test.serial('a variables change larger than the limit is refused and changes nothing', async (t) => {
  await deployDefinition(noDefault);
  const inst = await startProcess('Process_noDefault', { variables: { amount: 50 } });
  const error = await t.throwsAsync(setInstanceVariables(inst.id, { big: 'x'.repeat(2000) }, 'admin', 1000));
  t.is((error as { code?: string }).code, 'incidents.variables.tooLarge');
  t.deepEqual(JSON.parse((await instance(inst.id)).variables), { amount: 50 });
});

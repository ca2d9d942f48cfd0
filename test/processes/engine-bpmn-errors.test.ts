// Scenarios: a service handler reports a business outcome with a BPMN error. An error boundary event
// with its code (or one without a code, on a sub-process around the task) takes the token with the
// error's variables; an error nobody catches is an incident, not a failed instance, and is not retried.
import test from 'ava';
import { bpmn, engineDb, ended, instance, openTasks } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { BpmnError, registerServiceHandler } from '../../src/engine/service.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
let calls = 0;
test.before(async () => {
  db = await engineDb();
  registerServiceHandler('lookupUnit', ({ variables }) => {
    calls++;
    if (variables.unit === '99') throw new BpmnError('UNIT_UNKNOWN', 'no unit 99', { reason: 'mã đơn vị không tồn tại' });
    if (variables.unit === '00') throw new BpmnError('UNIT_CLOSED', 'unit 00 was merged');
    return { unitName: 'Hà Nội' };
  });
});
test.after.always(async () => db?.cleanup());

const lookup = bpmn('Process_lookup', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Task_lookup"/>
  <serviceTask id="Task_lookup" name="Tra cứu đơn vị" camunda:type="external" camunda:topic="lookupUnit"/>
  <boundaryEvent id="Boundary_unknown" name="Không tồn tại" attachedToRef="Task_lookup"><errorEventDefinition errorRef="Error_unknown"/></boundaryEvent>
  <sequenceFlow id="Flow_2" name="2" sourceRef="Task_lookup" targetRef="End_ok"/>
  <sequenceFlow id="Flow_3" name="3" sourceRef="Boundary_unknown" targetRef="Task_fix"/>
  <userTask id="Task_fix" name="Sửa mã đơn vị"/>
  <sequenceFlow id="Flow_4" name="4" sourceRef="Task_fix" targetRef="End_fixed"/>
  <endEvent id="End_ok" name="Xong"/>
  <endEvent id="End_fixed" name="Đã sửa"/>
`, { head: '<error id="Error_unknown" name="Đơn vị không tồn tại" errorCode="UNIT_UNKNOWN"/>' });

test.serial('a BPMN error with a code is taken by the boundary event with that code, with its variables', async (t) => {
  await deployDefinition(lookup);
  const inst = await startProcess('Process_lookup', { variables: { unit: '99' } });
  const [task] = await openTasks(inst.id);
  t.is(task.elementId, 'Task_fix');
  const row = await instance(inst.id);
  t.is(row.status, 'active');
  t.is(JSON.parse(row.variables).reason, 'mã đơn vị không tồn tại');
  t.true((await ended(inst.id)).includes('Boundary_unknown'));
  t.is(await EngineIncident.count({ where: { instanceId: inst.id } }), 0);
});

test.serial('the same handler returning a result takes the normal flow', async (t) => {
  await deployDefinition(lookup);
  const inst = await startProcess('Process_lookup', { variables: { unit: '01' } });
  const row = await instance(inst.id);
  t.is(row.status, 'completed');
  t.is(JSON.parse(row.variables).unitName, 'Hà Nội');
});

test.serial('a BPMN error no boundary event catches is an incident at the task, tried once', async (t) => {
  await deployDefinition(lookup);
  calls = 0;
  const inst = await startProcess('Process_lookup', { variables: { unit: '00' } });
  const row = await instance(inst.id);
  t.is(row.status, 'active');
  t.true(JSON.parse(row.activeElements).some((a: { id: string }) => a.id === 'Task_lookup'));
  t.is((await openTasks(inst.id)).length, 0);
  const [incident] = await EngineIncident.findAll({ where: { instanceId: inst.id, status: 'open' } });
  t.is(incident.code, 'incidents.bpmnError');
  t.like(JSON.parse(incident.params!), { id: 'Task_lookup', code: 'UNIT_CLOSED' });
  t.is(calls, 1);
});

test.serial('a catch-all error boundary on the sub-process around the task takes any BPMN error', async (t) => {
  await deployDefinition(bpmn('Process_lookupSub', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Sub_check"/>
    <subProcess id="Sub_check" name="Kiểm tra">
      <startEvent id="Sub_start" name="Vào"/>
      <sequenceFlow id="Flow_s1" name="s1" sourceRef="Sub_start" targetRef="Task_lookup"/>
      <serviceTask id="Task_lookup" name="Tra cứu" camunda:type="external" camunda:topic="lookupUnit"/>
      <sequenceFlow id="Flow_s2" name="s2" sourceRef="Task_lookup" targetRef="Sub_end"/>
      <endEvent id="Sub_end" name="Ra"/>
    </subProcess>
    <boundaryEvent id="Boundary_any" name="Lỗi bất kỳ" attachedToRef="Sub_check"><errorEventDefinition/></boundaryEvent>
    <sequenceFlow id="Flow_2" name="2" sourceRef="Sub_check" targetRef="End_ok"/>
    <sequenceFlow id="Flow_3" name="3" sourceRef="Boundary_any" targetRef="Task_fix"/>
    <userTask id="Task_fix" name="Xử lý lỗi"/>
    <sequenceFlow id="Flow_4" name="4" sourceRef="Task_fix" targetRef="End_fixed"/>
    <endEvent id="End_ok" name="Xong"/>
    <endEvent id="End_fixed" name="Đã xử lý"/>
  `));
  const inst = await startProcess('Process_lookupSub', { variables: { unit: '00' } });
  const [task] = await openTasks(inst.id);
  t.is(task?.elementId, 'Task_fix');
  t.is(await EngineIncident.count({ where: { instanceId: inst.id } }), 0);
});

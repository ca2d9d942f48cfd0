// The engine builds a task's assignment from validated parts and asks the registered check; a task
// whose assignment yields nothing valid is held by an incident, and retrying it after the fix creates it.
import test from 'ava';
import { bpmn, engineDb, openTasks } from '../../processes/support.ts';
import { deployDefinition } from '../../../src/engine/definitions.ts';
import { retryIncident, startProcess } from '../../../src/engine/runtime.ts';
import { registerAssignmentCheck, type AssignmentProposal } from '../../../src/engine/handlers.ts';
import { EngineIncident, EngineInstance } from '../../../src/engine/models.ts';
import type { TestDb } from '../../helpers/db.ts';

let db: TestDb;
const known = new Set(['79']);
const seen: AssignmentProposal[] = [];
test.before(async () => {
  db = await engineDb();
  registerAssignmentCheck((p) => {
    seen.push(p);
    const bad = p.candidateGroups.find((g) => g.orgCode && !known.has(g.orgCode));
    return bad ? `no unit ${bad.orgCode}` : null;
  });
  await deployDefinition(bpmn('Process_assign', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
    <userTask id="Task_review" name="Xem xét" camunda:candidateGroups="officer@{unit}" camunda:candidateUsers="{reviewer}"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});
test.after.always(async () => {
  registerAssignmentCheck(() => null);
  await db?.cleanup();
});

test.serial('a placeholder value with a separator never adds a group: the task is held by an incident', async (t) => {
  const i = await startProcess('Process_assign', { variables: { unit: '79,officer', reviewer: 'canbo.79' } });
  t.deepEqual(await openTasks(i.id), []);
  const [incident] = await EngineIncident.findAll({ where: { instanceId: i.id } });
  t.is(incident.handler, 'assignment');
  t.regex(incident.error, /role@orgCode/);
  t.is((await EngineInstance.findByPk(i.id))!.status, 'active');
});

test.serial('the registered check sees the parts and its refusal is an incident; a retry after the fix creates the task', async (t) => {
  const i = await startProcess('Process_assign', { variables: { unit: '01', reviewer: 'canbo.01' }, org: { code: '01', path: '/1/' } });
  t.deepEqual(await openTasks(i.id), []);
  const last = seen.at(-1)!;
  t.deepEqual(last.candidateGroups, [{ role: 'officer', orgCode: '01' }]);
  t.deepEqual(last.candidateUsers, ['canbo.01']);
  t.is(last.orgCode, '01');
  const [incident] = await EngineIncident.findAll({ where: { instanceId: i.id, status: 'open' } });
  t.is(incident.error, 'no unit 01');
  known.add('01');
  await retryIncident(incident.id, 'admin');
  const [task] = await openTasks(i.id);
  t.is(task.candidateGroups, ',officer@01,');
  t.is(task.candidateUsers, ',canbo.01,');
  t.is(task.orgCode, '01');
  t.is(await EngineIncident.count({ where: { instanceId: i.id, status: 'open' } }), 0);
  t.like((await EngineInstance.findByPk(i.id))!.toJSON(), { orgCode: '01', orgPath: '/1/' });
});

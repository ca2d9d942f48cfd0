// Scenarios: a service task fails, is retried per its policy, raises an incident, and succeeds
// when an admin retries it after a fix; Camunda 8 (Zeebe) attributes are honoured.
import test from 'ava';
import { bpmn, engineDb, instance, jobsOf, openTasks, restart, sleep, drainJobs } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, retryIncident } from '../../src/engine/runtime.ts';
import { registerServiceHandler } from '../../src/engine/handlers.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
let healthy = false;
let calls = 0;
test.before(async () => {
  db = await engineDb();
  registerServiceHandler('aggregate', ({ variables }) => {
    calls++;
    if (!healthy) throw new Error('upstream unavailable');
    return { total: Number(variables.a) + Number(variables.b) };
  });
  await deployDefinition(bpmn('Process_aggregate', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_aggregate"/>
    <serviceTask id="Task_aggregate" name="Tổng hợp">
      <extensionElements>
        <zeebe:taskDefinition type="aggregate" retries="3"/>
        <zeebe:ioMapping><zeebe:output source="=total" target="sum"/></zeebe:ioMapping>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_aggregate" targetRef="Task_check"/>
    <userTask id="Task_check" name="Kiểm tra">
      <extensionElements>
        <zeebe:assignmentDefinition assignee="=owner" candidateGroups="leader@01, officer@01"/>
        <zeebe:taskSchedule dueDate="=&quot;2030-01-01T00:00:00Z&quot;"/>
        <zeebe:formDefinition formKey="forms/check"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="Flow_3" sourceRef="Task_check" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
});
test.after.always(async () => db?.cleanup());

test.serial('a failing service is retried with back-off, raises an incident, and an admin retry after the fix moves on', async (t) => {
  // Given a handler that fails
  healthy = false;
  calls = 0;
  const started = await startProcess('Process_aggregate', { variables: { a: 2, b: 3, owner: 'lan' } });
  t.is(calls, 1);
  const [retry] = await jobsOf(started.id);
  t.is(retry.kind, 'engine.service');
  // When the retries run (default back-off 10 s, 20 s: moved forward here)
  await restart(db);
  for (let i = 0; i < 2; i++) {
    const { EngineJob } = await import('../../src/engine/models.ts');
    await EngineJob.update({ runAt: new Date(Date.now() - 1) }, { where: { instanceId: started.id } });
    await drainJobs();
  }
  // Then after three tries an incident is open and the instance waits at the service task
  t.is(calls, 3);
  const incidents = await EngineIncident.findAll({ where: { instanceId: started.id, status: 'open' } });
  t.is(incidents.length, 1);
  t.is(incidents[0].error, 'upstream unavailable');
  t.is((await jobsOf(started.id)).length, 0);
  t.is((await instance(started.id)).status, 'active');
  // When the fix is in and an admin retries the incident
  healthy = true;
  await retryIncident(incidents[0].id, 'admin');
  // Then the output mapping stored the result and the next task carries the Zeebe assignment
  t.is(JSON.parse((await instance(started.id)).variables).sum, 5);
  const [task] = await openTasks(started.id);
  t.is(task.elementId, 'Task_check');
  t.is(task.assignee, 'lan');
  t.is(task.candidateGroups, ',leader@01,officer@01,');
  t.is(task.formKey, 'forms/check');
  t.is(task.dueAt!.toISOString(), '2030-01-01T00:00:00.000Z');
  t.is((await EngineIncident.findByPk(incidents[0].id))!.status, 'resolved');
});

test.serial('a service that succeeds runs once and never leaves a job', async (t) => {
  healthy = true;
  calls = 0;
  const started = await startProcess('Process_aggregate', { variables: { a: 1, b: 1, owner: 'lan' } });
  t.is(calls, 1);
  t.is((await jobsOf(started.id)).length, 0);
  await sleep(10);
  t.is(JSON.parse((await instance(started.id)).variables).sum, 2);
});

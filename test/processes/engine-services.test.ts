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

test.serial('Camunda 8 input mappings are local to their task: the handler and the user task see them, the process keeps only what outputs map', async (t) => {
  const seen: Array<Record<string, unknown>> = [];
  registerServiceHandler('score', ({ variables }) => {
    seen.push(variables);
    return { points: Number(variables.weight) * Number(variables.value) };
  });
  await deployDefinition(bpmn('Process_inputs', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_score"/>
    <serviceTask id="Task_score" name="Chấm điểm">
      <extensionElements>
        <zeebe:taskDefinition type="score"/>
        <zeebe:ioMapping>
          <zeebe:input source="=report.units" target="value"/>
          <zeebe:input source="=value * 0 + 2" target="weight"/>
          <zeebe:output source="=points + value" target="score"/>
        </zeebe:ioMapping>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_score" targetRef="Task_review"/>
    <userTask id="Task_review" name="Duyệt">
      <extensionElements>
        <zeebe:ioMapping>
          <zeebe:input source="=report.owner" target="reviewer"/>
          <zeebe:input source="=score &gt;= 20" target="passed"/>
          <zeebe:output source="=if approved then reviewer else null" target="approvedBy"/>
        </zeebe:ioMapping>
        <zeebe:assignmentDefinition assignee="=reviewer"/>
      </extensionElements>
    </userTask>
    <sequenceFlow id="Flow_3" sourceRef="Task_review" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
  const started = await startProcess('Process_inputs', { variables: { report: { units: 7, owner: 'mai' } } });
  // The handler got the inputs on top of the process variables (a later input reads an earlier one).
  t.is(seen.length, 1);
  t.is(seen[0].value, 7);
  t.is(seen[0].weight, 2);
  // Only the output mapping reached the process: not the inputs, not the raw result.
  t.deepEqual(JSON.parse((await instance(started.id)).variables), { report: { units: 7, owner: 'mai' }, score: 21 });
  // The user task is assigned through its input and carries the inputs on its row.
  await restart(db);
  const [task] = await openTasks(started.id);
  t.is(task.assignee, 'mai');
  t.deepEqual(JSON.parse(task.input!), { reviewer: 'mai', passed: true });
  // Its output mapping reads the inputs together with the completion's values.
  const { completeTaskAsSystem } = await import('../../src/engine/tasks.ts');
  await completeTaskAsSystem(task.id, { approved: true }, 'mai');
  const vars = JSON.parse((await instance(started.id)).variables);
  t.is(vars.approvedBy, 'mai');
  t.false('reviewer' in vars);
  t.false('approved' in vars);
});

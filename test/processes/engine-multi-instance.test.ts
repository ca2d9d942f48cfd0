// Scenarios: multi-instance tasks — one task per unit in parallel with its results collected in
// order, reviewers one after another, a service called per item, an empty list — across restarts.
import test from 'ava';
import { bpmn, engineDb, instance, openTasks, restart } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask, moveTimer } from '../../src/engine/runtime.ts';
import { registerServiceHandler } from '../../src/engine/handlers.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

const perUnit = bpmn('Process_per_unit', `
  <startEvent id="Start" name="Mở kỳ báo cáo"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_report"/>
  <userTask id="Task_report" name="Đơn vị báo cáo">
    <extensionElements>
      <zeebe:assignmentDefinition candidateGroups="=&quot;officer@&quot; + unit"/>
    </extensionElements>
    <multiInstanceLoopCharacteristics>
      <extensionElements>
        <zeebe:loopCharacteristics inputCollection="=units" inputElement="unit" outputCollection="reports" outputElement="={unit: unit, figure: figure}"/>
      </extensionElements>
    </multiInstanceLoopCharacteristics>
  </userTask>
  <sequenceFlow id="Flow_2" sourceRef="Task_report" targetRef="Task_sum"/>
  <userTask id="Task_sum" name="Tổng hợp"/>
  <sequenceFlow id="Flow_3" sourceRef="Task_sum" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`, { dialect: 'zeebe' });

test.serial('a parallel multi-instance task opens one task per unit, keeps them across a restart, and collects the results in list order', async (t) => {
  await deployDefinition(perUnit);
  // Given a reporting period opened for three provinces
  const started = await startProcess('Process_per_unit', { businessKey: 'KY-2025-10', variables: { units: ['01', '79', '48'] } });
  // Then each province has its own task, for its own officers, knowing its unit
  const tasks = await openTasks(started.id);
  t.deepEqual(tasks.map((x) => x.candidateGroups), [',officer@01,', ',officer@79,', ',officer@48,']);
  t.deepEqual(tasks.map((x) => JSON.parse(x.input!)), [{ unit: '01', loopCounter: 1 }, { unit: '79', loopCounter: 2 }, { unit: '48', loopCounter: 3 }]);
  t.is(new Set(tasks.map((x) => x.executionId)).size, 3);
  // When they report out of order, with a restart in between
  const byUnit = (unit: string) => tasks.find((x) => JSON.parse(x.input!).unit === unit)!;
  await signalTask(byUnit('79'), { figure: 7 }, 'officer79', null);
  await restart(db);
  await signalTask(byUnit('01'), { figure: 1 }, 'officer01', null);
  t.deepEqual((await openTasks(started.id)).map((x) => x.id), [byUnit('48').id]);
  t.is((await instance(started.id)).status, 'active');
  await signalTask(byUnit('48'), { figure: 48 }, 'officer48', null);
  // Then the summary task follows with every report in the order of the list, and no stray variables
  const [sum] = await openTasks(started.id);
  t.is(sum.elementId, 'Task_sum');
  const vars = JSON.parse((await instance(started.id)).variables);
  t.deepEqual(vars.reports, [{ unit: '01', figure: 1 }, { unit: '79', figure: 7 }, { unit: '48', figure: 48 }]);
  t.false('figure' in vars);
  t.false('unit' in vars);
});

test.serial('an empty list skips the multi-instance task', async (t) => {
  await deployDefinition(perUnit);
  const started = await startProcess('Process_per_unit', { variables: { units: [] } });
  const [sum] = await openTasks(started.id);
  t.is(sum.elementId, 'Task_sum');
});

test.serial('a sequential multi-instance task (Camunda 7) gives each reviewer the task in turn', async (t) => {
  await deployDefinition(bpmn('Process_reviewers', `
    <startEvent id="Start" name="Trình"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
    <userTask id="Task_review" name="Góp ý" camunda:assignee="=reviewer">
      <multiInstanceLoopCharacteristics isSequential="true" camunda:collection="=reviewers" camunda:elementVariable="reviewer"/>
    </userTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
  const started = await startProcess('Process_reviewers', { variables: { reviewers: ['lan', 'minh'] } });
  const [first] = await openTasks(started.id);
  t.is(first.assignee, 'lan');
  t.is((await openTasks(started.id)).length, 1);
  await signalTask(first, { note: 'ok' }, 'lan', null);
  await restart(db);
  const [second] = await openTasks(started.id);
  t.is(second.assignee, 'minh');
  await signalTask(second, {}, 'minh', null);
  t.is((await instance(started.id)).status, 'completed');
});

test.serial('a multi-instance service task calls its handler once per item and collects what it returns', async (t) => {
  const calls: unknown[] = [];
  registerServiceHandler('count-dossiers', ({ variables }) => {
    calls.push(variables.agency);
    return { count: String(variables.agency).length };
  });
  await deployDefinition(bpmn('Process_count', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_count"/>
    <serviceTask id="Task_count" name="Đếm hồ sơ">
      <extensionElements><zeebe:taskDefinition type="count-dossiers"/></extensionElements>
      <multiInstanceLoopCharacteristics>
        <extensionElements><zeebe:loopCharacteristics inputCollection="=agencies" inputElement="agency" outputCollection="counts" outputElement="=count"/></extensionElements>
      </multiInstanceLoopCharacteristics>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_count" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
  const started = await startProcess('Process_count', { variables: { agencies: ['BTC', 'BYT', 'VPCP'] } });
  t.deepEqual([...calls].sort(), ['BTC', 'BYT', 'VPCP']);
  const row = await instance(started.id);
  t.is(row.status, 'completed');
  t.deepEqual(JSON.parse(row.variables).counts, [3, 3, 4]);
});

test.serial('a deadline on a multi-instance task cancels every open instance of it and takes the escalation path', async (t) => {
  const { EngineJob } = await import('../../src/engine/models.ts');
  const { drainJobs } = await import('./support.ts');
  await deployDefinition(bpmn('Process_deadline', `
    <startEvent id="Start" name="Mở kỳ"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_report"/>
    <userTask id="Task_report" name="Đơn vị báo cáo" camunda:candidateGroups="officer@{unit}">
      <multiInstanceLoopCharacteristics camunda:collection="=units" camunda:elementVariable="unit"/>
    </userTask>
    <boundaryEvent id="Timer_deadline" name="Quá hạn" attachedToRef="Task_report"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="Flow_2" sourceRef="Task_report" targetRef="End"/>
    <sequenceFlow id="Flow_3" sourceRef="Timer_deadline" targetRef="Task_remind"/>
    <userTask id="Task_remind" name="Đôn đốc"/>
    <sequenceFlow id="Flow_4" sourceRef="Task_remind" targetRef="End_late"/>
    <endEvent id="End" name="Đúng hạn"/>
    <endEvent id="End_late" name="Trễ hạn"/>
  `));
  const started = await startProcess('Process_deadline', { variables: { units: ['01', '79'] } });
  const open = await openTasks(started.id);
  t.deepEqual(open.map((x) => x.candidateGroups), [',officer@01,', ',officer@79,']);
  await signalTask(open[0], {}, 'officer01', null);
  // When the deadline passes with one unit still missing (an admin moves it to now; the job then fires it)
  const [job] = await EngineJob.findAll({ where: { instanceId: started.id } });
  await moveTimer(started.id, job.executionId!, new Date(Date.now() - 1));
  await drainJobs();
  // Then the missing unit's task is cancelled and the reminder task is open
  const after = await openTasks(started.id);
  t.deepEqual(after.map((x) => x.elementId), ['Task_remind']);
  const { EngineTask } = await import('../../src/engine/models.ts');
  t.is((await EngineTask.findByPk(open[1].id))!.status, 'cancelled');
  t.is((await EngineTask.findByPk(open[0].id))!.status, 'completed');
});

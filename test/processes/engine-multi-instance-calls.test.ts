// Scenarios: multi-instance call activities and embedded sub-processes, Camunda 7 and Camunda 8 style:
// one child instance per unit with the results collected in list order, a sub-process per reviewer one
// after another whose tasks see their reviewer, and a FEEL completion condition that ends a parallel
// fan-out early (the rest of the tasks are cancelled).
import test from 'ava';
import { bpmn, engineDb, instance, openTasks, restart, drainJobs } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess, signalTask } from '../../src/engine/runtime.ts';
import { EngineInstance, EngineTask } from '../../src/engine/models.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

test.serial('a parallel multi-instance call activity (Camunda 8) starts one child per unit and collects their figures in list order', async (t) => {
  await deployDefinition(bpmn('Process_unitFigure', `
    <startEvent id="Start" name="Nhận yêu cầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_fill"/>
    <userTask id="Task_fill" name="Nhập số liệu">
      <extensionElements><zeebe:assignmentDefinition candidateGroups="=&quot;officer@&quot; + unit"/></extensionElements>
    </userTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="End"/>
    <endEvent id="End" name="Đã nộp"/>
  `, { dialect: 'zeebe' }));
  await deployDefinition(bpmn('Process_fanOut', `
    <startEvent id="Start" name="Mở kỳ"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Call_units"/>
    <callActivity id="Call_units" name="Từng đơn vị báo cáo">
      <extensionElements>
        <zeebe:calledElement processId="Process_unitFigure" propagateAllChildVariables="false"/>
      </extensionElements>
      <multiInstanceLoopCharacteristics>
        <extensionElements><zeebe:loopCharacteristics inputCollection="=units" inputElement="unit" outputCollection="figures" outputElement="={unit: unit, figure: figure}"/></extensionElements>
      </multiInstanceLoopCharacteristics>
    </callActivity>
    <sequenceFlow id="Flow_2" sourceRef="Call_units" targetRef="Task_sum"/>
    <userTask id="Task_sum" name="Tổng hợp"/>
    <sequenceFlow id="Flow_3" sourceRef="Task_sum" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
  const parent = await startProcess('Process_fanOut', { businessKey: 'KY-2026-11', variables: { units: ['01', '79', '48'] } });
  await drainJobs();
  const children = await EngineInstance.findAll({ where: { parentInstanceId: parent.id }, order: [['startedAt', 'ASC']] });
  t.is(children.length, 3);
  t.deepEqual(children.map((c) => JSON.parse(c.variables).unit).sort(), ['01', '48', '79']);
  t.true(children.every((c) => c.businessKey === 'KY-2026-11'));
  // Each unit's officers get their own task; they finish out of order, with a restart in between
  const taskOf = async (unit: string) => (await EngineTask.findAll({ where: { status: 'open', candidateGroups: `,officer@${unit},` } }))[0];
  await signalTask(await taskOf('79'), { figure: 7 }, 'officer79', null);
  await drainJobs();
  await restart(db);
  await signalTask(await taskOf('48'), { figure: 48 }, 'officer48', null);
  await signalTask(await taskOf('01'), { figure: 1 }, 'officer01', null);
  await drainJobs();
  const [sum] = await openTasks(parent.id);
  t.is(sum?.elementId, 'Task_sum');
  const vars = JSON.parse((await instance(parent.id)).variables);
  t.deepEqual(vars.figures, [{ unit: '01', figure: 1 }, { unit: '79', figure: 7 }, { unit: '48', figure: 48 }]);
  t.false('figure' in vars);
});

test.serial('a sequential multi-instance sub-process (Camunda 7) gives each reviewer the sub-process in turn, and its task sees the reviewer', async (t) => {
  await deployDefinition(bpmn('Process_reviewRounds', `
    <startEvent id="Start" name="Trình"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Sub_review"/>
    <subProcess id="Sub_review" name="Vòng góp ý">
      <multiInstanceLoopCharacteristics isSequential="true" camunda:collection="=reviewers" camunda:elementVariable="reviewer"/>
      <startEvent id="Sub_start" name="Vào vòng"/>
      <sequenceFlow id="Flow_s1" sourceRef="Sub_start" targetRef="Task_comment"/>
      <userTask id="Task_comment" name="Góp ý" camunda:assignee="=reviewer"/>
      <sequenceFlow id="Flow_s2" sourceRef="Task_comment" targetRef="Sub_end"/>
      <endEvent id="Sub_end" name="Hết vòng"/>
    </subProcess>
    <sequenceFlow id="Flow_2" sourceRef="Sub_review" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
  const inst = await startProcess('Process_reviewRounds', { variables: { reviewers: ['lan', 'minh', 'hoa'] } });
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (i === 1) await restart(db);
    const tasks = await openTasks(inst.id);
    t.is(tasks.length, 1);
    seen.push(tasks[0].assignee!);
    t.like(JSON.parse(tasks[0].input!), { reviewer: tasks[0].assignee, loopCounter: i + 1 });
    await signalTask(tasks[0], {}, tasks[0].assignee, null);
  }
  t.deepEqual(seen, ['lan', 'minh', 'hoa']);
  t.is((await instance(inst.id)).status, 'completed');
});

test.serial('a parallel multi-instance sub-process with a FEEL completion condition ends when two of three approved and cancels the third task', async (t) => {
  await deployDefinition(bpmn('Process_quorum', `
    <startEvent id="Start" name="Trình"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Sub_vote"/>
    <subProcess id="Sub_vote" name="Biểu quyết">
      <multiInstanceLoopCharacteristics>
        <extensionElements><zeebe:loopCharacteristics inputCollection="=members" inputElement="member" outputCollection="votes" outputElement="={member: member, ok: ok}"/></extensionElements>
        <completionCondition>=numberOfCompletedInstances &gt;= 2</completionCondition>
      </multiInstanceLoopCharacteristics>
      <startEvent id="Sub_start" name="Vào"/>
      <sequenceFlow id="Flow_s1" sourceRef="Sub_start" targetRef="Task_vote"/>
      <userTask id="Task_vote" name="Biểu quyết">
        <extensionElements><zeebe:assignmentDefinition assignee="=member"/></extensionElements>
      </userTask>
      <sequenceFlow id="Flow_s2" sourceRef="Task_vote" targetRef="Sub_end"/>
      <endEvent id="Sub_end" name="Ra"/>
    </subProcess>
    <sequenceFlow id="Flow_2" sourceRef="Sub_vote" targetRef="Task_announce"/>
    <userTask id="Task_announce" name="Công bố"/>
    <sequenceFlow id="Flow_3" sourceRef="Task_announce" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
  const inst = await startProcess('Process_quorum', { variables: { members: ['an', 'binh', 'chi'] } });
  const tasks = await openTasks(inst.id);
  t.deepEqual(tasks.map((x) => x.assignee), ['an', 'binh', 'chi']);
  const by = (who: string) => tasks.find((x) => x.assignee === who)!;
  await signalTask(by('chi'), { ok: true }, 'chi', null);
  await restart(db);
  t.is((await openTasks(inst.id)).length, 2);
  await signalTask(by('an'), { ok: false }, 'an', null);
  const open = await openTasks(inst.id);
  t.deepEqual(open.map((x) => x.elementId), ['Task_announce']);
  t.is((await EngineTask.findByPk(by('binh').id))!.status, 'cancelled');
  const votes = JSON.parse((await instance(inst.id)).variables).votes as unknown[];
  t.deepEqual(votes[0], { member: 'an', ok: false });
  t.deepEqual(votes[2], { member: 'chi', ok: true });
});

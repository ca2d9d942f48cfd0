// Task rules: who sees a task, claim/unclaim/delegate, completion once, and races between two completions.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { bpmn, engineDb, instance, openTasks } from '../../processes/support.ts';
import { deployDefinition } from '../../../src/engine/definitions.ts';
import { startProcess } from '../../../src/engine/runtime.ts';
import { getTimeline } from '../../../src/engine/service.ts';
import { listTasks, claimTask, unclaimTask, delegateTask, completeTask, getTask, commentTask } from '../../../src/workflow/service.ts';
import { createUser, loadViewer } from '../../../src/auth/service.ts';
import { importOrgs } from '../../../src/orgs/import.ts';
import type { Viewer } from '../../../src/access/index.ts';
import type { Role } from '../../../src/auth/models.ts';
import type { TestDb } from '../../helpers/db.ts';
import { repoRoot } from '../../helpers/server.ts';

async function viewer(username: string, role: Role, orgCode: string | null): Promise<Viewer> {
  const user = await createUser({ username, fullName: username, email: `${username}@test.govflow.local`, password: 'TestPassword123', orgCode, roles: [{ role, orgCode }] }, null);
  return loadViewer(user);
}

let officer01: Viewer;
let officer02: Viewer;
let otherOfficer01: Viewer;
let leader01: Viewer;

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await importOrgs(fs.readFileSync(path.join(repoRoot, 'seed/admin-units-2025.csv')));
  officer01 = await viewer('officer01', 'officer', '01');
  officer02 = await viewer('officer04', 'officer', '04');
  otherOfficer01 = await viewer('officer01b', 'officer', '01');
  leader01 = await viewer('leader01', 'leader', '01');
  await deployDefinition(bpmn('Process_tasks', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_fill"/>
    <userTask id="Task_fill" name="Nhập" camunda:candidateGroups="officer@{orgCode}" camunda:priority="=prio"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="Task_approve"/>
    <userTask id="Task_approve" name="Duyệt" camunda:candidateGroups="leader@{orgCode}"/>
    <sequenceFlow id="Flow_3" sourceRef="Task_approve" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});
test.after.always(async () => db?.cleanup());

test.serial('only the candidate group of the right unit sees the task', async (t) => {
  const i = await startProcess('Process_tasks', { businessKey: 'T-1', variables: { orgCode: '01', prio: 80 } });
  const [task] = await openTasks(i.id);
  t.is(task.priority, 80);
  t.true((await listTasks(officer01)).some((x) => x.id === task.id));
  t.false((await listTasks(officer02)).some((x) => x.id === task.id));
  t.false((await listTasks(leader01)).some((x) => x.id === task.id));
  const err = await t.throwsAsync(getTask(officer02, task.id));
  t.is((err as unknown as { status: number }).status, 404);
  const err2 = await t.throwsAsync(completeTask(officer02, task.id, {}));
  t.is((err2 as unknown as { status: number }).status, 404);
});

test.serial('a task claimed by one officer is a 409 for another, and free again after unclaim', async (t) => {
  const i = await startProcess('Process_tasks', { businessKey: 'T-2', variables: { orgCode: '01' } });
  const [task] = await openTasks(i.id);
  await claimTask(officer01, task.id);
  t.true((await listTasks(officer01, { scope: 'mine' })).some((x) => x.id === task.id));
  t.false((await listTasks(otherOfficer01, { scope: 'unassigned' })).some((x) => x.id === task.id));
  const e1 = await t.throwsAsync(claimTask(otherOfficer01, task.id));
  t.is((e1 as unknown as { status: number }).status, 409);
  const e2 = await t.throwsAsync(completeTask(otherOfficer01, task.id, {}));
  t.is((e2 as unknown as { status: number }).status, 409);
  await unclaimTask(officer01, task.id);
  await claimTask(otherOfficer01, task.id);
  await commentTask(otherOfficer01, task.id, 'Đã kiểm tra số liệu');
  await completeTask(otherOfficer01, task.id, { total: 3 }, 'xong');
  const [approve] = await openTasks(i.id);
  t.is(approve.elementId, 'Task_approve');
  const timeline = await getTimeline(i.id);
  t.true(timeline.some((h) => h.event === 'comment' && h.comment === 'Đã kiểm tra số liệu'));
  t.true(timeline.some((h) => h.event === 'complete' && h.actor === 'officer01b' && h.comment === 'xong'));
});

test.serial('completing a task twice is a 409 and changes nothing', async (t) => {
  const i = await startProcess('Process_tasks', { businessKey: 'T-3', variables: { orgCode: '01' } });
  const [task] = await openTasks(i.id);
  await completeTask(officer01, task.id, { a: 1 });
  const before = await instance(i.id);
  const err = await t.throwsAsync(completeTask(officer01, task.id, { a: 2 }));
  t.is((err as unknown as { status: number; code: string }).status, 409);
  t.is((err as unknown as { code: string }).code, 'engine.taskAlreadyCompleted');
  const after = await instance(i.id);
  t.is(after.version, before.version);
  t.is(JSON.parse(after.variables).a, 1);
});

test.serial('two completions of one task at once: one wins, the other gets 409, one next task exists', async (t) => {
  const i = await startProcess('Process_tasks', { businessKey: 'T-4', variables: { orgCode: '01' } });
  const [task] = await openTasks(i.id);
  const results = await Promise.allSettled([completeTask(officer01, task.id, { by: 'a' }), completeTask(otherOfficer01, task.id, { by: 'b' })]);
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  t.is(lost.reason.status, 409);
  const next = await openTasks(i.id);
  t.is(next.length, 1);
  t.is(next[0].elementId, 'Task_approve');
});

test.serial('a delegated task belongs to the delegate', async (t) => {
  const i = await startProcess('Process_tasks', { businessKey: 'T-5', variables: { orgCode: '01' } });
  const [task] = await openTasks(i.id);
  const delegated = await delegateTask(officer01, task.id, 'officer01b');
  t.is(delegated.assignee, 'officer01b');
  t.true((await listTasks(otherOfficer01, { scope: 'mine' })).some((x) => x.id === task.id));
});

// Tasks and processes stay inside the org units of the people who act on them: starts only for units in
// the caller's scope, candidate groups from validated parts (else an incident), delegation only to an
// active user who could handle the task, citizens never on official tasks, and province-scoped admins
// limited to their province in the cockpit.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../helpers/server.ts';
import { bpmn } from '../processes/support.ts';
import { User } from '../../src/auth/models.ts';
import { EngineHistory, EngineIncident, EngineJob, EngineTask } from '../../src/engine/models.ts';
import { AuditEntry } from '../../src/audit/models.ts';

let app: TestApp;
const s: Record<string, Session> = {};
const names: Record<string, string> = {};

const review = bpmn('Process_scope', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
  <userTask id="Task_review" name="Xem xét" camunda:candidateGroups="officer@{orgCode}"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);
const byUnit = bpmn('Process_unitVar', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
  <userTask id="Task_review" name="Xem xét" camunda:candidateGroups="officer@{unit}"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);
const byFeel = bpmn('Process_feelGroup', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
  <userTask id="Task_review" name="Xem xét">
    <extensionElements><zeebe:assignmentDefinition candidateGroups="=&quot;officer@&quot; + unit"/></extensionElements>
  </userTask>
  <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`, { dialect: 'zeebe' });
const open = bpmn('Process_noAssignment', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_any"/>
  <userTask id="Task_any" name="Việc chung"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_any" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);

const citizenGroup = bpmn('Process_citizenGroup', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_official"/>
  <userTask id="Task_official" name="Việc của cơ quan" camunda:candidateGroups="citizen"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_official" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);
const addressed = bpmn('Process_addressed', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_supplement"/>
  <userTask id="Task_supplement" name="Bổ sung hồ sơ" camunda:assignee="{applicant}"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_supplement" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);
const waits = bpmn('Process_waits', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Gateway_split"/>
  <parallelGateway id="Gateway_split"/>
  <sequenceFlow id="Flow_2" sourceRef="Gateway_split" targetRef="Timer_wait"/>
  <sequenceFlow id="Flow_3" sourceRef="Gateway_split" targetRef="Catch_reply"/>
  <intermediateCatchEvent id="Timer_wait" name="Chờ"><timerEventDefinition><timeDuration>P1D</timeDuration></timerEventDefinition></intermediateCatchEvent>
  <intermediateCatchEvent id="Catch_reply" name="Chờ trả lời"><messageEventDefinition messageRef="Message_reply"/></intermediateCatchEvent>
  <sequenceFlow id="Flow_4" sourceRef="Timer_wait" targetRef="Gateway_join"/>
  <sequenceFlow id="Flow_5" sourceRef="Catch_reply" targetRef="Gateway_join"/>
  <parallelGateway id="Gateway_join"/>
  <sequenceFlow id="Flow_6" sourceRef="Gateway_join" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`, { head: '<message id="Message_reply" name="scopeReply"/>' });

test.before(async () => {
  app = await startApp();
  const users: Array<[string, Parameters<typeof makeUser>[0], string | null]> = [
    ['officer79', 'officer', '79'], ['officer79b', 'officer', '79'], ['officer79c', 'officer', '79'], ['leader79', 'leader', '79'],
    ['officer01', 'officer', '01'], ['leader01', 'leader', '01'], ['admin79', 'admin', '79'], ['admin', 'admin', null],
    ['designer', 'designer', null], ['designer79', 'designer', '79'], ['officerAll', 'officer', null], ['citizen', 'citizen', null],
  ];
  for (const [key, role, org] of users) {
    const u = await makeUser(role, org);
    names[key] = u.username;
    s[key] = await login(app.server, u.username);
  }
  for (const xml of [review, byUnit, byFeel, open, citizenGroup, addressed, waits]) {
    const res = await call(app.server, s.designer, 'POST', '/api/engine/definitions', { xml });
    if (res.statusCode !== 201) throw new Error(`deploy failed: ${res.payload}`);
  }
});
test.after.always(async () => app?.close());

async function start(who: string, key: string, payload: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return call(app.server, s[who], 'POST', `/api/engine/processes/${key}/start`, payload, headers);
}

async function startedTask(who: string, key: string, payload: Record<string, unknown> = {}) {
  const res = await start(who, key, payload);
  if (res.statusCode !== 201) throw new Error(`start failed: ${res.statusCode} ${res.payload}`);
  const id = JSON.parse(res.payload).id as string;
  const task = await EngineTask.findOne({ where: { instanceId: id, status: 'open' } });
  return { instanceId: id, task: task! };
}

test.serial('an officer of Hồ Chí Minh City cannot start a process for Hà Nội (403)', async (t) => {
  t.is((await start('officer79', 'Process_scope', { orgCode: '01' })).statusCode, 403);
  t.is((await start('officer79', 'Process_scope', { variables: { orgCode: '01' } })).statusCode, 403);
  t.is(await EngineTask.count({ where: { orgCode: '01' } }), 0);
});

test.serial('an injected or unknown orgCode is refused with 400 and starts nothing', async (t) => {
  t.is((await start('officer79', 'Process_scope', { orgCode: '79,officer' })).statusCode, 400);
  t.is((await start('officer79', 'Process_scope', { variables: { orgCode: '79,officer' } })).statusCode, 400);
  t.is((await start('officer79', 'Process_scope', { variables: { orgCode: ['79'] } })).statusCode, 400);
  t.is((await start('officer79', 'Process_scope', { orgCode: 'ZZ9' })).statusCode, 400);
  t.is(await EngineTask.count(), 0);
});

test.serial('a start without orgCode belongs to the caller\'s unit and its task stays out of other provinces\' sight', async (t) => {
  const { task } = await startedTask('officer79', 'Process_scope');
  t.is(task.candidateGroups, ',officer@79,');
  const theirs = JSON.parse((await call(app.server, s.officer01, 'GET', '/api/engine/tasks')).payload) as Array<{ id: number }>;
  t.false(theirs.some((x) => x.id === task.id));
  t.is((await call(app.server, s.officer01, 'GET', `/api/engine/tasks/${task.id}`)).statusCode, 404);
  const mine = JSON.parse((await call(app.server, s.officer79, 'GET', '/api/engine/tasks')).payload) as Array<{ id: number }>;
  t.true(mine.some((x) => x.id === task.id));
});

test.serial('a candidate group built from a variable that smuggles a separator or names no unit is an incident, not a task for all', async (t) => {
  for (const [key, unit] of [['Process_unitVar', '79,officer'], ['Process_feelGroup', '79,officer'], ['Process_unitVar', '99999']] as const) {
    const res = await start('officer79', key, { variables: { unit } });
    t.is(res.statusCode, 201, `${key} ${unit}`);
    const id = JSON.parse(res.payload).id as string;
    t.is(await EngineTask.count({ where: { instanceId: id } }), 0, `${key} ${unit}`);
    const incident = await EngineIncident.findOne({ where: { instanceId: id, status: 'open' } });
    t.is(incident?.elementId, 'Task_review');
    t.is(incident?.handler, 'assignment');
  }
  const all = JSON.parse((await call(app.server, s.officerAll, 'GET', '/api/engine/tasks')).payload) as Array<{ processKey: string }>;
  t.false(all.some((x) => x.processKey === 'Process_unitVar' || x.processKey === 'Process_feelGroup'));
});

test.serial('a task with no assignment is for the officers of its unit only, and without a unit for system admins only', async (t) => {
  const { task } = await startedTask('officer79', 'Process_noAssignment');
  t.is((await call(app.server, s.officer79b, 'GET', `/api/engine/tasks/${task.id}`)).statusCode, 200);
  t.is((await call(app.server, s.officer01, 'GET', `/api/engine/tasks/${task.id}`)).statusCode, 404);
  t.is((await call(app.server, s.officer01, 'POST', `/api/engine/tasks/${task.id}/claim`)).statusCode, 404);
  const global = await startedTask('officerAll', 'Process_noAssignment');
  t.is(global.task.orgCode, null);
  t.is((await call(app.server, s.officer79, 'GET', `/api/engine/tasks/${global.task.id}`)).statusCode, 404);
  t.is((await call(app.server, s.officerAll, 'GET', `/api/engine/tasks/${global.task.id}`)).statusCode, 404);
  t.is((await call(app.server, s.admin, 'GET', `/api/engine/tasks/${global.task.id}`)).statusCode, 200);
});

test.serial('a task is delegated only to an active user who could handle it: other province, citizen, unknown or disabled user is 422', async (t) => {
  const { task } = await startedTask('officer79', 'Process_scope');
  await User.update({ status: 'disabled' }, { where: { username: names.officer79c } });
  try {
    for (const to of [names.officer01, names.citizen, 'khong.ton.tai', names.officer79c, names.leader79]) {
      const res = await call(app.server, s.officer79, 'POST', `/api/engine/tasks/${task.id}/delegate`, { username: to });
      t.is(res.statusCode, 422, to);
      t.is(JSON.parse(res.payload).code, 'engine.delegateNotCandidate');
    }
    t.is((await EngineTask.findByPk(task.id))!.assignee, null);
    const ok = await call(app.server, s.officer79, 'POST', `/api/engine/tasks/${task.id}/delegate`, { username: names.officer79b });
    t.is(ok.statusCode, 200);
    t.is(JSON.parse(ok.payload).assignee, names.officer79b);
    t.truthy(await AuditEntry.findOne({ where: { action: 'engine.task.delegate', targetId: String(task.id) } }));
  } finally {
    await User.update({ status: 'active' }, { where: { username: names.officer79c } });
  }
});

test.serial('a task stuck on a disabled user is freed by a leader of its unit, not by an officer or another unit\'s leader', async (t) => {
  const { task } = await startedTask('officer79', 'Process_scope');
  t.is((await call(app.server, s.officer79, 'POST', `/api/engine/tasks/${task.id}/delegate`, { username: names.officer79c })).statusCode, 200);
  t.is((await call(app.server, s.leader79, 'POST', `/api/engine/tasks/${task.id}/unassign`)).statusCode, 409);
  await User.update({ status: 'disabled' }, { where: { username: names.officer79c } });
  try {
    t.is((await call(app.server, s.officer79, 'POST', `/api/engine/tasks/${task.id}/unassign`)).statusCode, 403);
    t.is((await call(app.server, s.leader01, 'POST', `/api/engine/tasks/${task.id}/unassign`)).statusCode, 404);
    const page = await call(app.server, s.leader79, 'GET', `/tasks/${task.id}`);
    t.true(page.payload.includes('data-testid="unassign"'));
    const freed = await call(app.server, s.leader79, 'POST', `/api/engine/tasks/${task.id}/unassign`);
    t.is(freed.statusCode, 200);
    t.is(JSON.parse(freed.payload).assignee, null);
    t.truthy(await AuditEntry.findOne({ where: { action: 'engine.task.unassign', targetId: String(task.id) } }));
    t.is((await call(app.server, s.officer79, 'POST', `/api/engine/tasks/${task.id}/claim`)).statusCode, 200);
  } finally {
    await User.update({ status: 'active' }, { where: { username: names.officer79c } });
  }
});

test.serial('a citizen can neither claim nor complete nor see an official task', async (t) => {
  const { task } = await startedTask('officer79', 'Process_scope');
  t.is((await call(app.server, s.citizen, 'GET', `/api/engine/tasks/${task.id}`)).statusCode, 404);
  t.is((await call(app.server, s.citizen, 'POST', `/api/engine/tasks/${task.id}/claim`)).statusCode, 404);
  t.is((await call(app.server, s.citizen, 'POST', `/api/engine/tasks/${task.id}/complete`, { variables: {} })).statusCode, 404);
  const { task: open } = await startedTask('officer79', 'Process_noAssignment');
  t.is((await call(app.server, s.citizen, 'POST', `/api/engine/tasks/${open.id}/complete`, { variables: {} })).statusCode, 404);
  t.is((await EngineTask.findByPk(open.id))!.status, 'open');
  // A group naming the citizen role is refused like any invalid group: an incident, no task.
  const grouped = JSON.parse((await start('officer79', 'Process_citizenGroup')).payload).id as string;
  t.is(await EngineTask.count({ where: { instanceId: grouped } }), 0);
  t.truthy(await EngineIncident.findOne({ where: { instanceId: grouped, handler: 'assignment' } }));
  // What a dossier process addresses to the citizen by username, the citizen completes.
  const { task: mine } = await startedTask('officer79', 'Process_addressed', { variables: { applicant: names.citizen } });
  t.is(mine.assignee, names.citizen);
  t.is((await call(app.server, s.citizen, 'POST', `/api/engine/tasks/${mine.id}/complete`, { variables: { ok: true } })).statusCode, 200);
});

test.serial('admin@79 cannot read or cancel a Hà Nội instance or task, but can its own', async (t) => {
  const hanoi = await startedTask('officer01', 'Process_scope');
  const hcm = await startedTask('officer79', 'Process_scope');
  t.is((await call(app.server, s.admin79, 'GET', `/api/engine/instances/${hanoi.instanceId}`)).statusCode, 404);
  t.is((await call(app.server, s.admin79, 'GET', `/engine/instances/${hanoi.instanceId}`)).statusCode, 404);
  t.is((await call(app.server, s.admin79, 'GET', `/api/engine/tasks/${hanoi.task.id}`)).statusCode, 404);
  t.is((await call(app.server, s.admin79, 'POST', `/api/engine/instances/${hanoi.instanceId}/cancel`, { reason: 'x' })).statusCode, 404);
  t.is((await call(app.server, s.designer79, 'GET', `/api/engine/instances/${hanoi.instanceId}`)).statusCode, 404);
  const list = JSON.parse((await call(app.server, s.admin79, 'GET', '/api/engine/instances?limit=500')).payload) as { rows: Array<{ id: string }> };
  t.false(list.rows.some((r) => r.id === hanoi.instanceId));
  t.true(list.rows.some((r) => r.id === hcm.instanceId));
  t.is((await call(app.server, s.admin79, 'GET', `/api/engine/instances/${hcm.instanceId}`)).statusCode, 200);
  t.is((await call(app.server, s.admin79, 'GET', `/api/engine/tasks/${hcm.task.id}`)).statusCode, 200);
  t.is((await call(app.server, s.admin79, 'POST', `/api/engine/instances/${hcm.instanceId}/cancel`, { reason: 'thử' })).statusCode, 200);
  t.is((await call(app.server, s.admin, 'GET', `/api/engine/instances/${hanoi.instanceId}`)).statusCode, 200);
});

test.serial('admin@79 sees and retries only the incidents of its province', async (t) => {
  const res = await start('officer01', 'Process_unitVar', { variables: { unit: '99999' } });
  const id = JSON.parse(res.payload).id as string;
  const incident = (await EngineIncident.findOne({ where: { instanceId: id } }))!;
  const seen = JSON.parse((await call(app.server, s.admin79, 'GET', '/api/engine/incidents')).payload) as Array<{ id: number }>;
  t.false(seen.some((i) => i.id === incident.id));
  t.is((await call(app.server, s.admin79, 'POST', `/api/engine/incidents/${incident.id}/retry`)).statusCode, 404);
  const all = JSON.parse((await call(app.server, s.admin, 'GET', '/api/engine/incidents')).payload) as Array<{ id: number }>;
  t.true(all.some((i) => i.id === incident.id));
  // Retried while the unit still does not exist, the task is held again by a fresh incident.
  t.is((await call(app.server, s.admin, 'POST', `/api/engine/incidents/${incident.id}/retry`)).statusCode, 200);
  t.is((await EngineIncident.findByPk(incident.id))!.status, 'resolved');
  t.is(await EngineIncident.count({ where: { instanceId: id, status: 'open' } }), 1);
  t.is(await EngineTask.count({ where: { instanceId: id } }), 0);
});

test.serial('deploying and broadcasting signals need a system-wide role', async (t) => {
  const xml = review.replace('name="Process_scope"', 'name="Process_scope v2"');
  t.is((await call(app.server, s.admin79, 'POST', '/api/engine/definitions', { xml })).statusCode, 403);
  t.is((await call(app.server, s.designer79, 'POST', '/api/engine/definitions', { xml })).statusCode, 403);
  t.is((await call(app.server, s.admin79, 'POST', '/api/engine/signals', { name: 'Signal_any' })).statusCode, 403);
  t.is((await call(app.server, s.admin, 'POST', '/api/engine/signals', { name: 'Signal_any' })).statusCode, 200);
  t.is((await call(app.server, s.designer, 'POST', '/api/engine/definitions', { xml })).statusCode, 201);
});

test.serial('admin@79 can neither move the timer of a Hà Nội instance nor correlate a message to it', async (t) => {
  const res = await start('officer01', 'Process_waits', { businessKey: 'HN-WAIT-1' });
  const id = JSON.parse(res.payload).id as string;
  const job = (await EngineJob.findOne({ where: { instanceId: id } }))!;
  const dueAt = new Date(Date.now() + 3600_000).toISOString();
  t.is((await call(app.server, s.admin79, 'POST', `/api/engine/jobs/${job.id}/due`, { dueAt })).statusCode, 404);
  t.is((await call(app.server, s.admin79, 'POST', '/api/engine/messages', { name: 'scopeReply', businessKey: 'HN-WAIT-1' })).statusCode, 404);
  t.is(await EngineHistory.count({ where: { instanceId: id, event: 'message' } }), 0);
  t.is((await call(app.server, s.admin79, 'POST', '/api/engine/messages', { name: 'noSuchStart' })).statusCode, 403);
  t.is((await call(app.server, s.admin, 'POST', `/api/engine/jobs/${job.id}/due`, { dueAt })).statusCode, 200);
  t.is((await call(app.server, s.admin, 'POST', '/api/engine/messages', { name: 'scopeReply', businessKey: 'HN-WAIT-1' })).statusCode, 200);
});

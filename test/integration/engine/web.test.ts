// The engine through the real server: deploy with localized problems, start, the inbox and task
// pages, completion by form with Post/Redirect/Get, the cockpit, and admin actions that are audited.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { bpmn } from '../../processes/support.ts';
import { AuditEntry } from '../../../src/audit/models.ts';

let app: TestApp;
let designer: Session;
let officer: Session;
let admin: Session;
let citizen: Session;

const xml = bpmn('Process_web', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_check"/>
  <userTask id="Task_check" name="Kiểm tra hồ sơ" camunda:candidateGroups="officer"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_check" targetRef="Timer_wait"/>
  <intermediateCatchEvent id="Timer_wait" name="Chờ một ngày"><timerEventDefinition><timeDuration>P1D</timeDuration></timerEventDefinition></intermediateCatchEvent>
  <sequenceFlow id="Flow_3" sourceRef="Timer_wait" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);

test.before(async () => {
  app = await startApp({ orgs: false });
  const d = await makeUser('designer');
  const o = await makeUser('officer');
  const a = await makeUser('admin');
  const c = await makeUser('citizen');
  designer = await login(app.server, d.username);
  officer = await login(app.server, o.username);
  admin = await login(app.server, a.username);
  citizen = await login(app.server, c.username);
});
test.after.always(async () => app?.close());

test.serial('a designer deploys a process and a rejected file answers 422 with every problem in Vietnamese', async (t) => {
  const ok = await call(app.server, designer, 'POST', '/api/engine/definitions', { xml });
  t.is(ok.statusCode, 201);
  t.like(JSON.parse(ok.payload), { key: 'Process_web', version: 1, isNew: true });
  const bad = await call(app.server, designer, 'POST', '/api/engine/definitions', { xml: xml.replace('<userTask id="Task_check" name="Kiểm tra hồ sơ" camunda:candidateGroups="officer"/>', '<scriptTask id="Task_check" name="x"><script>1</script></scriptTask>') });
  t.is(bad.statusCode, 422);
  const body = JSON.parse(bad.payload);
  t.is(body.code, 'engine.deployRejected');
  t.true(body.details.some((p: { code: string; message: string }) => p.code === 'engine.problem.scriptTask' && p.message.includes('Task_check')));
});

test.serial('a citizen may not deploy or read the cockpit', async (t) => {
  t.is((await call(app.server, citizen, 'POST', '/api/engine/definitions', { xml })).statusCode, 403);
  t.is((await call(app.server, citizen, 'GET', '/api/engine/instances')).statusCode, 403);
});

test.serial('an officer completes a task from the inbox and the admin moves the timer that follows', async (t) => {
  const started = await call(app.server, officer, 'POST', '/api/engine/processes/Process_web/start', { businessKey: 'HS-001', variables: { applicant: 'Nguyễn Văn A' } });
  t.is(started.statusCode, 201);
  const instanceId = JSON.parse(started.payload).id as string;
  const inbox = await call(app.server, officer, 'GET', '/tasks');
  t.is(inbox.statusCode, 200);
  t.true(inbox.payload.includes('Kiểm tra hồ sơ'));
  const tasks = JSON.parse((await call(app.server, officer, 'GET', '/api/engine/tasks?scope=unassigned')).payload);
  const task = tasks.find((x: { businessKey: string }) => x.businessKey === 'HS-001');
  t.truthy(task);
  const page = await call(app.server, officer, 'GET', `/tasks/${task.id}`);
  t.is(page.statusCode, 200);
  const done = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { comment: 'Hồ sơ đủ' });
  t.is(done.statusCode, 303);
  const again = await call(app.server, officer, 'POST', `/api/engine/tasks/${task.id}/complete`, { variables: {} });
  t.is(again.statusCode, 409);
  t.is(JSON.parse(again.payload).code, 'engine.taskAlreadyCompleted');

  const detail = JSON.parse((await call(app.server, admin, 'GET', `/api/engine/instances/${instanceId}`)).payload);
  t.deepEqual(detail.activeElements.map((a: { id: string }) => a.id), ['Timer_wait']);
  t.true(detail.completedElements.includes('Task_check'));
  t.true(detail.history.some((h: { event: string; comment: string }) => h.event === 'complete' && h.comment === 'Hồ sơ đủ'));
  const [job] = detail.jobs;
  const moved = await call(app.server, admin, 'POST', `/api/engine/jobs/${job.id}/due`, { dueAt: new Date(Date.now() + 3600000).toISOString() });
  t.is(moved.statusCode, 200);
  const after = JSON.parse((await call(app.server, admin, 'GET', `/api/engine/instances/${instanceId}`)).payload);
  const hours = (new Date(after.jobs[0].runAt).getTime() - Date.now()) / 3600000;
  t.true(hours > 0.9 && hours < 1.1);
  t.truthy(await AuditEntry.findOne({ where: { action: 'engine.timer.move' } }));

  const cockpit = await call(app.server, admin, 'GET', `/engine/instances/${instanceId}`);
  t.is(cockpit.statusCode, 200);
  t.true(cockpit.payload.includes('data-highlight'));
  const cancel = await call(app.server, admin, 'POST', `/engine/instances/${instanceId}/cancel`, { reason: 'Thử nghiệm' });
  t.is(cancel.statusCode, 303);
  t.is(JSON.parse((await call(app.server, admin, 'GET', `/api/engine/instances/${instanceId}`)).payload).status, 'cancelled');
});

test.serial('the cockpit pages render for a designer', async (t) => {
  for (const url of ['/engine', '/engine/instances', '/engine/modeler', '/engine/definitions/1']) {
    const res = await call(app.server, designer, 'GET', url);
    t.is(res.statusCode, 200, url);
  }
});

test.serial('a designer uploads a BPMN file from the cockpit and a broken one lists its problems', async (t) => {
  const boundary = '----govflowtest';
  const form = (content: string) => [
    `--${boundary}`, 'Content-Disposition: form-data; name="crumb"', '', designer.crumb,
    `--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="p.bpmn"', 'Content-Type: application/xml', '', content,
    `--${boundary}--`, '',
  ].join('\r\n');
  const headers = { cookie: designer.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` };
  const ok = await app.server.inject({ method: 'POST', url: '/engine/deploy', headers, payload: form(xml.replace(/Process_web/g, 'Process_upload')) });
  t.is(ok.statusCode, 303);
  t.regex(ok.headers.location as string, /^\/engine\/definitions\/\d+$/);
  const bad = await app.server.inject({ method: 'POST', url: '/engine/deploy', headers, payload: form('<definitions>') });
  t.is(bad.statusCode, 422);
  t.true(bad.payload.includes('error-list'));
});

test.serial('an admin sees a failed background job in the cockpit and puts it back in the queue', async (t) => {
  const { enqueueJob } = await import('../../../src/engine/service.ts');
  const { EngineJob } = await import('../../../src/engine/models.ts');
  const id = await enqueueJob('outbox.mail', { to: 'x' });
  await EngineJob.update({ status: 'failed', attempts: 5, lastError: 'SMTP 550' }, { where: { id } });
  const page = await call(app.server, admin, 'GET', '/engine');
  t.true(page.payload.includes('SMTP 550'));
  const retried = await call(app.server, admin, 'POST', `/engine/jobs/${id}/retry`, {});
  t.is(retried.statusCode, 303);
  t.is((await EngineJob.findByPk(id))!.status, 'pending');
  t.truthy(await AuditEntry.findOne({ where: { action: 'engine.job.retry' } }));
});

test.serial('a task with Camunda 8 input mappings shows its inputs on the task page and in the API', async (t) => {
  const zeebe = bpmn('Process_web_inputs', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_sign"/>
    <userTask id="Task_sign" name="Ký số báo cáo">
      <extensionElements>
        <zeebe:assignmentDefinition candidateGroups="officer"/>
        <zeebe:ioMapping><zeebe:input source="=period + &quot; / &quot; + unit" target="reportTitle"/></zeebe:ioMapping>
      </extensionElements>
    </userTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_sign" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' });
  t.is((await call(app.server, designer, 'POST', '/api/engine/definitions', { xml: zeebe })).statusCode, 201);
  const started = await call(app.server, officer, 'POST', '/api/engine/processes/Process_web_inputs/start', { businessKey: 'BC-2025-10', variables: { period: 'Tháng 10/2025', unit: 'Hà Nội' } });
  t.is(started.statusCode, 201);
  const tasks = JSON.parse((await call(app.server, officer, 'GET', '/api/engine/tasks?scope=unassigned')).payload);
  const task = tasks.find((x: { businessKey: string }) => x.businessKey === 'BC-2025-10');
  t.deepEqual(task.input, { reportTitle: 'Tháng 10/2025 / Hà Nội' });
  const page = await call(app.server, officer, 'GET', `/tasks/${task.id}`);
  t.is(page.statusCode, 200);
  // Without a form the inputs are fields of the completion form, never raw JSON.
  t.regex(page.payload, /<input id="in-reportTitle" name="in.reportTitle" value="Tháng 10\/2025 \/ Hà Nội"/);
  t.true(page.payload.includes('Thông tin của công việc'));
});

test.serial('the instance pages link a caller and the process its call activity started', async (t) => {
  const child = bpmn('Process_web_child', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_fill"/>
    <userTask id="Task_fill" name="Lập báo cáo" camunda:candidateGroups="officer"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_fill" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `);
  const parent = bpmn('Process_web_parent', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Call_child"/>
    <callActivity id="Call_child" name="Gọi báo cáo" calledElement="Process_web_child"/>
    <sequenceFlow id="Flow_2" sourceRef="Call_child" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `);
  for (const xml of [child, parent]) t.is((await call(app.server, designer, 'POST', '/api/engine/definitions', { xml })).statusCode, 201);
  const started = await call(app.server, officer, 'POST', '/api/engine/processes/Process_web_parent/start', { businessKey: 'CALL-1' });
  const parentId = JSON.parse(started.payload).id as string;
  const { runDueJobs } = await import('../../../src/engine/jobs.ts');
  await runDueJobs();
  const detail = JSON.parse((await call(app.server, admin, 'GET', `/api/engine/instances/${parentId}`)).payload);
  t.is(detail.children.length, 1);
  t.is(detail.children[0].definitionKey, 'Process_web_child');
  const parentPage = await call(app.server, admin, 'GET', `/engine/instances/${parentId}`);
  t.regex(parentPage.payload, new RegExp(`data-testid="child-instances"><a href="/engine/instances/${detail.children[0].id}">Process_web_child`));
  const childPage = await call(app.server, admin, 'GET', `/engine/instances/${detail.children[0].id}`);
  t.true(childPage.payload.includes(`href="/engine/instances/${parentId}" data-testid="parent-instance"`));
  t.true(childPage.payload.includes('Quy trình gọi'));
});

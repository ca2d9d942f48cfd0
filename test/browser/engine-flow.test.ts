// In Chromium: a designer draws and deploys a process in the modeler, an officer completes a task
// from the inbox, and an admin sees the instance diagram with the active step highlighted, and fixes the
// variables of an instance stuck at a gateway from its page and retries it.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { bpmn } from '../processes/support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { EngineDefinition, EngineTask } from '../../src/engine/models.ts';
import { importOrgs } from '../../src/orgs/import.ts';

let b: BrowserApp;

test.before(async () => {
  execFileSync(process.execPath, ['scripts/build-client.js'], { stdio: 'ignore' });
  b = await startBrowserApp({ orgs: false });
  // Candidate groups name existing units only: the modeler's process is started for unit 79.
  await importOrgs('code,name,level,parent_code\n79,Thành phố Hồ Chí Minh,province,\n');
  await makeUser('designer', null, { username: 'thietke.quytrinh' });
  await makeUser('officer', null, { username: 'canbo.xuly' });
  await makeUser('admin', null, { username: 'quantri.quytrinh' });
  await deployDefinition(bpmn('Process_browser', `
    <startEvent id="Start" name="Tiếp nhận"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_check"/>
    <userTask id="Task_check" name="Thẩm định hồ sơ" camunda:candidateGroups="officer"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_check" targetRef="Task_sign"/>
    <userTask id="Task_sign" name="Ký duyệt" camunda:candidateGroups="leader"/>
    <sequenceFlow id="Flow_3" sourceRef="Task_sign" targetRef="End"/>
    <endEvent id="End" name="Trả kết quả"/>
  `));
});
test.after.always(async () => {
  await b?.close();
});

test.serial('a designer draws a small process in the modeler and deploys it', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'thietke.quytrinh');
  await page.goto('/engine/modeler');
  await page.waitForSelector('#modeler[data-ready="true"]');
  // Drawing through the modeler's own commands, as the palette and context pad do.
  await page.evaluate(() => {
    const modeler = (window as unknown as { govflowModeler: { get(n: string): any } }).govflowModeler;
    const registry = modeler.get('elementRegistry');
    const modeling = modeler.get('modeling');
    const start = registry.get('StartEvent_1');
    const task = modeling.appendShape(start, { type: 'bpmn:UserTask' }, { x: 330, y: 178 });
    modeling.updateLabel(task, 'Nhập số liệu');
    const end = modeling.appendShape(task, { type: 'bpmn:EndEvent' }, { x: 500, y: 178 });
    modeling.updateLabel(end, 'Kết thúc');
    modeler.get('selection').select(task);
  });
  // The assignment is typed into the properties panel, as in Camunda Modeler 8.
  await page.click('[data-group-id="group-assignmentDefinition"] .bio-properties-panel-group-header');
  await page.fill('#bio-properties-panel-assignmentDefinitionCandidateGroups', 'officer@{orgCode}');
  await page.press('#bio-properties-panel-assignmentDefinitionCandidateGroups', 'Tab');
  await page.click('[data-testid="deploy"]');
  await page.waitForSelector('[data-testid="deploy-result"][data-status]');
  t.is(await page.getAttribute('[data-testid="deploy-result"]', 'data-status'), 'ok', await page.textContent('[data-testid="deploy-result"]') ?? '');
  t.regex(await page.textContent('[data-testid="deploy-result"]') ?? '', /Process_new/);
  const deployed = await EngineDefinition.findOne({ where: { key: 'Process_new' } });
  t.truthy(deployed);
  t.regex(deployed!.xml, /zeebe:assignmentDefinition candidateGroups="officer@\{orgCode\}"/);
  const started = await startProcess('Process_new', { variables: { orgCode: '79' } });
  const [task] = await EngineTask.findAll({ where: { instanceId: started.id } });
  t.is(task.candidateGroups, ',officer@79,');
  await page.screenshot({ path: 'test-results/engine-modeler.png' });
});

test.serial('an officer completes a task from the inbox and sees it done and gone from the list', async (t) => {
  const instance = await startProcess('Process_browser', { businessKey: 'HS-2026-001' });
  const page = await b.newPage();
  await loginAs(page, 'canbo.xuly');
  await page.goto('/tasks');
  const row = page.locator('[data-testid="task-rows"] tr', { hasText: 'HS-2026-001' });
  t.is(await row.locator('[data-testid="task-process"]').textContent(), 'Process_browser');
  t.is(await row.locator('[data-testid="task-groups"]').textContent(), 'Cán bộ nghiệp vụ');
  await row.getByRole('link', { name: 'Thẩm định hồ sơ' }).click();
  await page.waitForSelector('[data-testid="complete-form"]');
  t.is(await page.locator('textarea#variables').count(), 0, 'no JSON box on the task page');
  await page.fill('#comment', 'Hồ sơ hợp lệ');
  await Promise.all([page.waitForURL('**/tasks?done=*'), page.click('[data-testid="complete"]')]);
  t.is(await page.textContent('[data-testid="done-message"]'), 'Đã hoàn thành công việc «Thẩm định hồ sơ».');
  t.is(await page.locator('[data-testid="task-rows"] tr', { hasText: 'HS-2026-001' }).count(), 0);
  const done = await EngineTask.findOne({ where: { instanceId: instance.id, elementId: 'Task_check' } });
  t.is(done!.status, 'completed');
  t.is(done!.completedBy, 'canbo.xuly');
  t.truthy(await EngineTask.findOne({ where: { instanceId: instance.id, elementId: 'Task_sign', status: 'open' } }));
});

test.serial('an admin sees the instance diagram with the active step highlighted', async (t) => {
  const instance = await startProcess('Process_browser', { businessKey: 'HS-2026-002' });
  const [task] = await EngineTask.findAll({ where: { instanceId: instance.id } });
  const { signalTask } = await import('../../src/engine/runtime.ts');
  await signalTask(task, {}, 'canbo.xuly', null);
  const page = await b.newPage();
  await loginAs(page, 'quantri.quytrinh');
  await page.goto(`/engine/instances/${instance.id}`);
  await page.waitForSelector('#diagram[data-ready="true"]');
  t.is(await page.locator('.djs-element.gf-active[data-element-id="Task_sign"]').count(), 1);
  t.is(await page.locator('.djs-element.gf-done[data-element-id="Task_check"]').count(), 1);
  t.is(await page.locator('[data-token="Task_sign"]').textContent(), '1');
  t.regex(await page.textContent('[data-testid="active-steps"]') ?? '', /Task_sign/);
  await page.screenshot({ path: 'test-results/engine-instance.png', fullPage: true });
});

test.serial('an admin fixes the variables of an instance stuck at a gateway on its page, retries it, and sees it move on', async (t) => {
  await deployDefinition(bpmn('Process_stuck', `
    <startEvent id="Start"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Gateway_amount"/>
    <exclusiveGateway id="Gateway_amount"/>
    <sequenceFlow id="Flow_big" sourceRef="Gateway_amount" targetRef="Task_sign"><conditionExpression>=amount &gt; 1000</conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_small" sourceRef="Gateway_amount" targetRef="End"><conditionExpression>=amount &lt;= 1000</conditionExpression></sequenceFlow>
    <userTask id="Task_sign" name="Ký duyệt" camunda:candidateGroups="leader"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_sign" targetRef="End"/>
    <endEvent id="End"/>
  `));
  const instance = await startProcess('Process_stuck', { businessKey: 'HS-2026-003' });
  const page = await b.newPage();
  await loginAs(page, 'quantri.quytrinh');
  await page.goto(`/engine/instances/${instance.id}`);
  // The incident says what is wrong, in Vietnamese
  t.regex(await page.textContent('main') ?? '', /Gateway_amount/);
  await page.fill('#variables-change', '{"amount": 1200}');
  await page.click('[data-testid="save-variables"]');
  await page.waitForURL(`**/engine/instances/${instance.id}`);
  t.regex(await page.textContent('[data-testid="instance-variables"]') ?? '', /"amount": 1200/);
  await page.getByRole('button', { name: 'Thử lại' }).first().click();
  await page.waitForURL(`**/engine/instances/${instance.id}`);
  t.is(await page.locator('[data-token="Task_sign"]').textContent(), '1');
});

// In Chromium: a leader starts a process from the start page through its Camunda start form; an
// officer filters the inbox, opens the task, fills the rendered form, is told a return needs a
// comment, approves, and sees the success message with the task gone from the list.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
import { makeUser } from '../helpers/server.ts';
import { bpmn } from '../processes/support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { EngineInstance, EngineTask } from '../../src/engine/models.ts';
import { importOrgs } from '../../src/orgs/import.ts';

let b: BrowserApp;

test.before(async () => {
  execFileSync(process.execPath, ['scripts/build-client.js'], { stdio: 'ignore' });
  b = await startBrowserApp({ orgs: false });
  await importOrgs('code,name,level,parent_code\n79,Thành phố Hồ Chí Minh,province,\n');
  await makeUser('leader', '79', { username: 'lanhdao.tphcm' });
  await makeUser('officer', '79', { username: 'chuyenvien.tphcm' });
  // Another task of the officer's unit, without a due date, for the filters to tell apart.
  await deployDefinition(bpmn('Process_feedback', `
    <startEvent id="Start" name="Có phản ánh"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_answer"/>
    <userTask id="Task_answer" name="Trả lời phản ánh" camunda:candidateGroups="officer@79"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_answer" targetRef="End"/>
    <endEvent id="End" name="Đã trả lời"/>
  `, { name: 'Xử lý phản ánh, kiến nghị' }));
  await startProcess('Process_feedback', { businessKey: 'PA-2026-007', variables: { orgCode: '79' } });
});
test.after.always(async () => {
  await b?.close();
});

test.serial('a leader starts a document approval from the start page with its rendered start form', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'lanhdao.tphcm');
  await page.goto('/start');
  await page.getByRole('link', { name: 'Trình duyệt văn bản đi' }).click();
  await page.waitForSelector('#task-form[data-ready="true"]');
  t.is(await page.textContent('[data-testid="process-name"]'), 'Trình duyệt văn bản đi');
  await page.getByLabel('Trích yếu nội dung').fill('Công văn đôn đốc báo cáo tình hình kinh tế - xã hội tháng 11/2026');
  await page.getByLabel('Số trang').fill('4');
  // form-js draws its select as a list box over a hidden input that carries the label.
  await page.locator('.fjs-form-field-select', { hasText: 'Loại văn bản' }).locator('.fjs-input-group').click();
  await page.locator('.fjs-dropdownlist-item', { hasText: 'Công văn' }).click();
  await page.fill('#businessKey', 'VB-2026-015');
  t.is(await page.inputValue('#orgCode'), '79');
  await Promise.all([page.waitForURL('**/start?started=*'), page.click('[data-testid="start"]')]);
  t.is(await page.textContent('[data-testid="started-message"]'), 'Đã khởi tạo quy trình «Trình duyệt văn bản đi».');
  const [instance] = await EngineInstance.findAll({ where: { businessKey: 'VB-2026-015' } });
  t.like(JSON.parse(instance.variables), { documentKind: 'cong-van', pages: 4, orgCode: '79' });
  await page.screenshot({ path: 'test-results/tasklist-started.png', fullPage: true });
});

test.serial('an officer filters the inbox, fills the review form, is told a return needs a comment, approves and sees the task gone', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'chuyenvien.tphcm');
  await page.goto('/tasks');
  t.is(await page.textContent('[data-testid="count-all"]'), '2');
  t.is(await page.textContent('[data-testid="count-dueSoon"]'), '1');
  await page.click('[data-filter="dueSoon"]');
  const rows = page.locator('[data-testid="task-rows"] tbody tr');
  t.is(await rows.count(), 1);
  t.is(await rows.first().locator('[data-testid="task-process"]').textContent(), 'Trình duyệt văn bản đi');
  t.is(await rows.first().locator('[data-testid="task-groups"]').textContent(), 'Cán bộ nghiệp vụ · Thành phố Hồ Chí Minh');
  await page.click('[data-filter="all"]');
  await page.selectOption('#process', { label: 'Xử lý phản ánh, kiến nghị' });
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  t.deepEqual(await rows.locator('td:first-child').allTextContents(), ['Trả lời phản ánh']);
  await page.selectOption('#process', { label: 'Tất cả quy trình' });
  await page.getByRole('button', { name: 'Áp dụng' }).click();
  await page.getByRole('link', { name: 'Thẩm định văn bản' }).click();
  await page.waitForSelector('#task-form[data-ready="true"]');
  await page.screenshot({ path: 'test-results/tasklist-task.png', fullPage: true });
  await page.getByLabel('Ý kiến thẩm định').fill('Văn bản đúng thể thức, đủ thẩm quyền ban hành.');
  await page.getByLabel('Thường').check();
  await page.getByLabel('Số bản phát hành').fill('25');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Trả lại để soạn lại' }).click()]);
  t.regex(await page.textContent('[data-testid="problems"]') ?? '', /Cần nhập ý kiến khi chọn «Trả lại để soạn lại»/);
  await page.waitForSelector('#task-form[data-ready="true"]');
  t.is(await page.getByLabel('Số bản phát hành').inputValue(), '25', 'the values typed survive the refusal');
  await page.fill('#comment', 'Đề nghị lãnh đạo ký ban hành');
  await Promise.all([page.waitForURL('**/tasks?done=*'), page.getByRole('button', { name: 'Đồng ý trình ký' }).click()]);
  t.is(await page.textContent('[data-testid="done-message"]'), 'Đã hoàn thành công việc «Thẩm định văn bản».');
  t.is(await page.textContent('[data-testid="count-all"]'), '1');
  t.is(await page.getByRole('link', { name: 'Thẩm định văn bản' }).count(), 0);
  const [instance] = await EngineInstance.findAll({ where: { businessKey: 'VB-2026-015' } });
  t.like(JSON.parse(instance.variables), { reviewOpinion: 'Văn bản đúng thể thức, đủ thẩm quyền ban hành.', secrecy: 'thuong', copies: 25, decision: 'approve' });
  t.truthy(await EngineTask.findOne({ where: { instanceId: instance.id, elementId: 'Task_sign', status: 'open' } }));
});

test.serial('the inbox, task and start pages fit a 360 px phone and pass the shared accessibility checks', async (t) => {
  const page = await b.newPage({ phone: true });
  await loginAs(page, 'lanhdao.tphcm');
  const sign = await EngineTask.findOne({ where: { elementId: 'Task_sign', status: 'open' } });
  for (const url of ['/tasks', `/tasks/${sign!.id}`, '/start', '/start/Process_documentApproval']) {
    await checkPageA11y(t, page, url);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    t.true(width <= 360, `${url}: ${width} px wide`);
  }
  await page.goto('/start/Process_documentApproval');
  await page.waitForSelector('#task-form[data-ready="true"]');
  t.true(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'the rendered start form fits too');
  await page.screenshot({ path: 'test-results/tasklist-start-phone.png', fullPage: true });
});

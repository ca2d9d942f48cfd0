// The task list through the real server: shipped forms deployed with their process, the start page
// with its start form checked on the server, the inbox's names, filters and counts, and completing a
// task with a rendered form and a decision button — bad values are a 400 naming every field, and
// nothing is completed.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { bpmn } from '../../processes/support.ts';
import { EngineInstance, EngineTask } from '../../../src/engine/models.ts';
import { WorkflowForm } from '../../../src/workflow/models.ts';
import { AuditEntry } from '../../../src/audit/models.ts';

let app: TestApp;
let leader: Session;
let officer: Session;
let officerHn: Session;
let designer: Session;

const KEY = 'Process_documentApproval';
const goodStart = { subject: 'Công văn về việc báo cáo tình hình kinh tế - xã hội tháng 11', documentKind: 'cong-van', pages: 3 };
const goodReview = { reviewOpinion: 'Văn bản đúng thể thức, đủ thẩm quyền.', secrecy: 'thuong', copies: 20, documentCode: '123/VPCP-KGVX' };

test.before(async () => {
  app = await startApp();
  await app.server.initialize().catch(() => undefined);
  leader = await login(app.server, (await makeUser('leader', '79', { username: 'lanhdao.hcm' })).username);
  officer = await login(app.server, (await makeUser('officer', '79', { username: 'canbo.hcm' })).username);
  officerHn = await login(app.server, (await makeUser('officer', '01', { username: 'canbo.hn' })).username);
  designer = await login(app.server, (await makeUser('designer', null, { username: 'thietke.tl' })).username);
});
test.after.always(async () => app?.close());

async function startDocument(values: unknown, businessKey: string) {
  return call(app.server, leader, 'POST', `/start/${KEY}`, { values: JSON.stringify(values), businessKey, orgCode: '79' });
}

async function openTask(businessKey: string, elementId: string) {
  const [instance] = await EngineInstance.findAll({ where: { businessKey } });
  return EngineTask.findOne({ where: { instanceId: instance.id, elementId, status: 'open' } });
}

test.serial('the shipped .form files are stored by form id and version next to their process', async (t) => {
  const forms = await WorkflowForm.findAll({ order: [['formId', 'ASC']] });
  t.deepEqual(forms.map((f) => [f.formId, f.version, f.sourceName]), [['Form_documentRequest', 1, 'document-request.form'], ['Form_documentReview', 1, 'document-review.form']]);
});

test.serial('the start page lists the process by name and its start form; bad start values are a 400 naming each field and start nothing', async (t) => {
  const list = await call(app.server, leader, 'GET', '/start');
  t.is(list.statusCode, 200);
  t.true(list.payload.includes('Trình duyệt văn bản đi'));
  const page = await call(app.server, leader, 'GET', `/start/${KEY}`);
  t.is(page.statusCode, 200);
  t.regex(page.payload, /data-schema="[^"]*Form_documentRequest/);
  const before = await EngineInstance.count();
  const bad = await startDocument({ subject: 'ngắn', documentKind: 'thu-tay', pages: 0 }, 'VB-BAD');
  t.is(bad.statusCode, 400);
  t.true(bad.payload.includes('«Trích yếu nội dung»: cần ít nhất 10 ký tự.'));
  t.true(bad.payload.includes('«Loại văn bản»: hãy chọn một giá trị trong danh sách.'));
  t.true(bad.payload.includes('«Số trang»: không được nhỏ hơn 1.'));
  t.is(await EngineInstance.count(), before);
  const ok = await startDocument(goodStart, 'VB-001');
  t.is(ok.statusCode, 303);
  t.regex(String(ok.headers.location), /^\/start\?started=/);
  const [instance] = await EngineInstance.findAll({ where: { businessKey: 'VB-001' } });
  t.like(JSON.parse(instance.variables), { ...goodStart, orgCode: '79' });
});

test.serial('a designer, who is no starter of the process, neither sees it on the start page nor starts it through the API', async (t) => {
  const list = await call(app.server, designer, 'GET', '/start');
  t.false(list.payload.includes('Trình duyệt văn bản đi'));
  t.is((await call(app.server, designer, 'GET', `/start/${KEY}`)).statusCode, 404);
  const api = await call(app.server, designer, 'POST', `/api/engine/processes/${KEY}/start`, { orgCode: '79', variables: goodStart });
  t.is(api.statusCode, 403);
  t.is(JSON.parse(api.payload).code, 'tasklist.notStarter');
});

test.serial('the inbox names the process and the group by role and unit, with a count per filter', async (t) => {
  const inbox = await call(app.server, officer, 'GET', '/tasks');
  t.is(inbox.statusCode, 200);
  t.true(inbox.payload.includes('Trình duyệt văn bản đi'));
  t.false(inbox.payload.includes('>Process_documentApproval<'));
  t.true(inbox.payload.includes('Cán bộ nghiệp vụ · Thành phố Hồ Chí Minh'));
  t.regex(inbox.payload, /data-testid="count-all">1</);
  t.regex(inbox.payload, /data-testid="count-unassigned">1</);
  t.regex(inbox.payload, /data-testid="count-mine">0</);
  t.regex(inbox.payload, /data-testid="count-dueSoon">1</);
  t.regex(inbox.payload, /data-testid="count-overdue">0</);
  const mine = await call(app.server, officer, 'GET', '/tasks?filter=mine');
  t.true(mine.payload.includes('data-testid="tasks-empty"'));
  // An officer of another province sees nothing of unit 79.
  t.regex((await call(app.server, officerHn, 'GET', '/tasks')).payload, /data-testid="count-all">0</);
});

test.serial('completing the review with bad form values is a 400 naming every field, and the task stays open', async (t) => {
  const task = (await openTask('VB-001', 'Task_review'))!;
  const page = await call(app.server, officer, 'GET', `/tasks/${task.id}`);
  t.is(page.statusCode, 200);
  t.regex(page.payload, /data-schema="[^"]*Form_documentReview/);
  t.true(page.payload.includes('data-testid="decision-Flow_approve"'));
  t.true(page.payload.includes('Đồng ý trình ký'));
  t.true(page.payload.includes('Trả lại để soạn lại'));
  t.false(page.payload.includes('JSON'));
  const bad = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, {
    values: JSON.stringify({ reviewOpinion: '', secrecy: 'bi-mat', copies: 5000, documentCode: 'abc', orgCode: '01' }), decision: 'Flow_approve',
  });
  t.is(bad.statusCode, 400);
  for (const text of ['«Ý kiến thẩm định»: bắt buộc nhập.', '«Độ mật»: hãy chọn một giá trị trong danh sách.', '«Số bản phát hành»: không được lớn hơn 1000.', 'không đúng định dạng yêu cầu', '«orgCode»: biểu mẫu không có trường này.']) {
    t.true(bad.payload.includes(text), text);
  }
  const noComment = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { values: JSON.stringify(goodReview), decision: 'Flow_return' });
  t.is(noComment.statusCode, 400);
  t.true(noComment.payload.includes('Cần nhập ý kiến khi chọn «Trả lại để soạn lại».'));
  const noDecision = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { values: JSON.stringify(goodReview) });
  t.is(noDecision.statusCode, 400);
  const unreadable = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { values: '{oops', decision: 'Flow_approve' });
  t.is(unreadable.statusCode, 400);
  t.is((await EngineTask.findByPk(task.id))!.status, 'open');
});

test.serial('a good review with the approve button completes the task, sets the decision, and the inbox says so', async (t) => {
  const task = (await openTask('VB-001', 'Task_review'))!;
  const ok = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { values: JSON.stringify(goodReview), decision: 'Flow_approve', comment: 'Đề nghị trình ký' });
  t.is(ok.statusCode, 303);
  t.is(ok.headers.location, `/tasks?done=${task.id}`);
  const done = await call(app.server, officer, 'GET', String(ok.headers.location));
  t.is(done.statusCode, 200);
  t.true(done.payload.includes('Đã hoàn thành công việc «Thẩm định văn bản».'));
  t.regex(done.payload, /data-testid="count-all">0</);
  const [instance] = await EngineInstance.findAll({ where: { businessKey: 'VB-001' } });
  t.like(JSON.parse(instance.variables), { ...goodReview, decision: 'approve' });
  const sign = (await openTask('VB-001', 'Task_sign'))!;
  t.truthy(sign.followUpAt);
  const leaderInbox = await call(app.server, leader, 'GET', '/tasks?sort=priority');
  t.true(leaderInbox.payload.includes('Lãnh đạo ký duyệt'));
  t.true(leaderInbox.payload.includes('Lãnh đạo · Thành phố Hồ Chí Minh'));
});

test.serial('a return needs a comment and sends the document back for revision', async (t) => {
  t.is((await startDocument(goodStart, 'VB-002')).statusCode, 303);
  const task = (await openTask('VB-002', 'Task_review'))!;
  const back = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { values: JSON.stringify(goodReview), decision: 'Flow_return', comment: 'Sai thể thức, đề nghị soạn lại' });
  t.is(back.statusCode, 303);
  t.truthy(await openTask('VB-002', 'Task_revise'));
});

test.serial('a task without a form shows its inputs as fields and a comment box, and completes with them typed back', async (t) => {
  const xml = bpmn('Process_tl_plain', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_check"/>
    <userTask id="Task_check" name="Kiểm tra số liệu">
      <extensionElements>
        <zeebe:assignmentDefinition candidateGroups="officer@79"/>
        <zeebe:ioMapping><zeebe:input source="=cases" target="cases"/><zeebe:input source="=checked" target="checked"/></zeebe:ioMapping>
      </extensionElements>
    </userTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_check" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe', name: 'Kiểm tra số liệu tháng' });
  t.is((await call(app.server, designer, 'POST', '/api/engine/definitions', { xml })).statusCode, 201);
  t.is((await call(app.server, officer, 'POST', '/api/engine/processes/Process_tl_plain/start', { businessKey: 'SL-1', orgCode: '79', variables: { cases: 12, checked: false } })).statusCode, 201);
  const task = (await openTask('SL-1', 'Task_check'))!;
  const page = await call(app.server, officer, 'GET', `/tasks/${task.id}`);
  t.regex(page.payload, /<input id="in-cases" name="in.cases" value="12"/);
  t.true(page.payload.includes('data-testid="complete"'));
  const bad = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { 'in.cases': 'mười', 'in.checked': 'true' });
  t.is(bad.statusCode, 400);
  t.true(bad.payload.includes('«cases»: phải là một số.'));
  const ok = await call(app.server, officer, 'POST', `/tasks/${task.id}/complete`, { 'in.cases': '14', 'in.checked': 'true', comment: 'Đã đối chiếu' });
  t.is(ok.statusCode, 303);
  t.is((await EngineTask.findByPk(task.id))!.status, 'completed');
});

test.serial('a designer uploads a BPMN file with its form from the cockpit in one go, audited; a broken form is a 422 naming the problem', async (t) => {
  const boundary = '----govflowtasklist';
  const part = (name: string, filename: string, content: string, type: string) => [`--${boundary}`, `Content-Disposition: form-data; name="${name}"; filename="${filename}"`, `Content-Type: ${type}`, '', content];
  const form = JSON.stringify({ id: 'Form_upload', type: 'default', components: [{ id: 'F', key: 'note', type: 'textfield', label: 'Ghi chú', validate: { required: true } }] });
  const xml = bpmn('Process_tl_upload', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_note"/>
    <userTask id="Task_note" name="Ghi chú" camunda:candidateGroups="officer@79" camunda:formKey="camunda-forms:deployment:upload.form"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_note" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `);
  const body = (parts: string[][]) => [`--${boundary}`, 'Content-Disposition: form-data; name="crumb"', '', designer.crumb, ...parts.flat(), `--${boundary}--`, ''].join('\r\n');
  const headers = { cookie: designer.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` };
  const ok = await app.server.inject({ method: 'POST', url: '/engine/deploy', headers, payload: body([part('file', 'p.bpmn', xml, 'application/xml'), part('file', 'upload.form', form, 'application/json')]) });
  t.is(ok.statusCode, 303, ok.payload);
  t.truthy(await WorkflowForm.findOne({ where: { formId: 'Form_upload', sourceName: 'upload.form' } }));
  t.truthy(await AuditEntry.findOne({ where: { action: 'workflow.form.deploy' } }));
  t.is((await call(app.server, officer, 'POST', '/api/engine/processes/Process_tl_upload/start', { businessKey: 'UP-1', orgCode: '79' })).statusCode, 201);
  const task = (await openTask('UP-1', 'Task_note'))!;
  t.regex((await call(app.server, officer, 'GET', `/tasks/${task.id}`)).payload, /data-schema="[^"]*Form_upload/);
  const broken = await app.server.inject({ method: 'POST', url: '/engine/deploy', headers, payload: body([part('file', 'bad.form', '{"id":"Form_bad","components":[{"id":"x","type":"filepicker","key":"f"}]}', 'application/json')]) });
  t.is(broken.statusCode, 422);
  t.true(broken.payload.includes('filepicker'));
});

// `/engine-rest` through server.inject(): API client scope (topics, processes), revocation, Camunda's
// answer and error shapes, locks (extend, unlock), long polling, message correlation, the CLI and the
// admin page that issues and revokes clients.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { bpmn } from '../../processes/support.ts';
import { deployDefinition } from '../../../src/engine/definitions.ts';
import { EngineInstance } from '../../../src/engine/models.ts';
import { addApiClient, revokeApiClient } from '../../../src/engine-rest/service.ts';
import { ApiClient } from '../../../src/engine-rest/models.ts';
import { AuditEntry } from '../../../src/audit/models.ts';

let app: TestApp;
let admin: Session;
let officer: Session;
let scoreAuth = '';
let otherAuth = '';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

test.before(async () => {
  app = await startApp({ orgs: false });
  admin = await login(app.server, (await makeUser('admin')).username);
  officer = await login(app.server, (await makeUser('officer')).username);
  await deployDefinition(bpmn('Process_score', `
    <startEvent id="StartEvent_1" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_score"/>
    <serviceTask id="Task_score" name="Chấm điểm" camunda:type="external" camunda:topic="score"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_score" targetRef="Catch_paid"/>
    <intermediateCatchEvent id="Catch_paid" name="Đã nộp phí"><messageEventDefinition messageRef="Message_paid"/></intermediateCatchEvent>
    <sequenceFlow id="Flow_3" sourceRef="Catch_paid" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { head: '<message id="Message_paid" name="fee-paid"/>' }));
  await deployDefinition(bpmn('Process_audit', `
    <startEvent id="StartEvent_1" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_audit"/>
    <serviceTask id="Task_audit" name="Kiểm toán" camunda:type="external" camunda:topic="audit-check"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_audit" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
  const score = await addApiClient({ name: 'Chấm điểm', topics: 'score', processes: 'Process_score' }, null);
  scoreAuth = basic(score.client.id, score.secret);
  const other = await addApiClient({ name: 'Kiểm toán', topics: 'audit-check', processes: 'Process_audit' }, null);
  otherAuth = basic(other.client.id, other.secret);
});
test.after.always(async () => app?.close());

function rest(auth: string, url: string, payload: unknown = {}) {
  return app.server.inject({ method: 'POST', url: `/engine-rest${url}`, payload: payload as object, headers: { authorization: auth } });
}

const fetchScore = (auth: string, workerId = 'w1', extra: Record<string, unknown> = {}) =>
  rest(auth, '/external-task/fetchAndLock', { workerId, maxTasks: 5, topics: [{ topicName: 'score', lockDuration: 60000 }], ...extra });

test.serial('a client starts its process and locks its task; Camunda shapes and plain JSON come back', async (t) => {
  const started = await rest(scoreAuth, '/process-definition/key/Process_score/start', { businessKey: 'HS-9', variables: { amount: { value: '12.5', type: 'Double' }, tags: { value: '["a","b"]', type: 'Json' } } });
  t.is(started.statusCode, 200);
  t.is(started.headers['content-type'], 'application/json');
  const body = JSON.parse(started.payload);
  t.like(body, { businessKey: 'HS-9', ended: false, suspended: false, caseInstanceId: null });
  const res = await fetchScore(scoreAuth);
  t.is(res.statusCode, 200);
  const [task] = JSON.parse(res.payload);
  t.like(task, { topicName: 'score', workerId: 'w1', activityId: 'Task_score', processInstanceId: body.id, processDefinitionKey: 'Process_score', businessKey: 'HS-9', retries: null });
  t.deepEqual(task.variables.amount, { value: 12.5, type: 'Double', valueInfo: {} });
  t.deepEqual(task.variables.tags, { value: '["a","b"]', type: 'Json', valueInfo: {} });
  t.regex(task.lockExpirationTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
  // The lock is held: the same worker and others find nothing more.
  t.deepEqual(JSON.parse((await fetchScore(scoreAuth, 'w2')).payload), []);
  // extendLock by the holder moves the expiry; by anyone else it is refused in Camunda's error shape.
  t.is((await rest(scoreAuth, `/external-task/${task.id}/extendLock`, { workerId: 'w1', newDuration: 120000 })).statusCode, 204);
  const wrong = await rest(scoreAuth, `/external-task/${task.id}/extendLock`, { workerId: 'w2', newDuration: 1000 });
  t.is(wrong.statusCode, 400);
  t.like(JSON.parse(wrong.payload), { type: 'InvalidRequestException', govflowCode: 'externaltasks.notLockedBy' });
  // unlock frees it for the next fetch.
  t.is((await rest(scoreAuth, `/external-task/${task.id}/unlock`)).statusCode, 204);
  const again = JSON.parse((await fetchScore(scoreAuth, 'w2')).payload);
  t.is(again[0].id, task.id);
  t.is(again[0].workerId, 'w2');
  // A bad typed variable is a 400 that names it; the task stays open.
  const bad = await rest(scoreAuth, `/external-task/${task.id}/complete`, { workerId: 'w2', variables: { score: { value: 'nine', type: 'Integer' } } });
  t.is(bad.statusCode, 400);
  t.regex(JSON.parse(bad.payload).message, /score/);
  t.is((await rest(scoreAuth, `/external-task/${task.id}/complete`, { workerId: 'w2', variables: { score: { value: 9, type: 'Integer' } } })).statusCode, 204);
  const row = await EngineInstance.findByPk(body.id);
  t.like(JSON.parse(row!.variables), { amount: 12.5, tags: ['a', 'b'], score: 9 });
});

test.serial('a message correlates by business key and moves the instance to its end', async (t) => {
  const id = (await EngineInstance.findOne({ where: { businessKey: 'HS-9' } }))!.id;
  const res = await rest(scoreAuth, '/message', { messageName: 'fee-paid', businessKey: 'HS-9', processVariables: { fee: { value: 50000, type: 'Long' } }, resultEnabled: true });
  t.is(res.statusCode, 200);
  const [result] = JSON.parse(res.payload);
  t.is(result.resultType, 'Execution');
  t.is(result.execution.processInstanceId, id);
  const row = await EngineInstance.findByPk(id);
  t.is(row!.status, 'completed');
  t.is(JSON.parse(row!.variables).fee, 50000);
  const none = await rest(scoreAuth, '/message', { messageName: 'fee-paid', businessKey: 'HS-unknown' });
  t.is(none.statusCode, 400);
  t.is(JSON.parse(none.payload).govflowCode, 'apiclients.messageNotCorrelated');
});

test.serial('a client sees only its own topics and processes', async (t) => {
  const started = await rest(otherAuth, '/process-definition/key/Process_audit/start', {});
  t.is(started.statusCode, 200);
  // The score client may not fetch the audit topic, nor start the audit process.
  const fetchOther = await rest(scoreAuth, '/external-task/fetchAndLock', { workerId: 'w1', maxTasks: 1, topics: [{ topicName: 'audit-check', lockDuration: 1000 }] });
  t.is(fetchOther.statusCode, 403);
  t.like(JSON.parse(fetchOther.payload), { type: 'AuthorizationException', govflowCode: 'apiclients.topicForbidden' });
  t.is((await rest(scoreAuth, '/process-definition/key/Process_audit/start', {})).statusCode, 403);
  // Its tasks do not exist for the score client, even by id.
  const [task] = JSON.parse((await rest(otherAuth, '/external-task/fetchAndLock', { workerId: 'a1', maxTasks: 1, topics: [{ topicName: 'audit-check', lockDuration: 60000 }] })).payload);
  t.truthy(task);
  t.is((await rest(scoreAuth, `/external-task/${task.id}/complete`, { workerId: 'a1' })).statusCode, 404);
  t.is((await rest(scoreAuth, `/external-task/${task.id}/unlock`)).statusCode, 404);
  t.is((await rest(otherAuth, `/external-task/${task.id}/complete`, { workerId: 'a1' })).statusCode, 204);
});

test.serial('a long poll waits without answering until a task appears, and returns it at once', async (t) => {
  const t0 = Date.now();
  const empty = await fetchScore(scoreAuth, 'w1', { asyncResponseTimeout: 300 });
  const waited = Date.now() - t0;
  t.deepEqual(JSON.parse(empty.payload), []);
  t.true(waited >= 290, `waited ${waited} ms`);
  const polling = fetchScore(scoreAuth, 'w1', { asyncResponseTimeout: 20000 });
  const t1 = Date.now();
  await rest(scoreAuth, '/process-definition/key/Process_score/start', { businessKey: 'HS-10' });
  const res = await polling;
  t.log(`empty poll answered after ${waited} ms; a waiting poll got the new task ${Date.now() - t1} ms after the start`);
  const tasks = JSON.parse(res.payload);
  t.is(tasks.length, 1);
  t.is(tasks[0].businessKey, 'HS-10');
});

test.serial('wrong, missing and revoked credentials are a 401 with the Basic challenge', async (t) => {
  const { client, secret } = await addApiClient({ name: 'Tạm thời', topics: 'score' }, null);
  const auth = basic(client.id, secret);
  t.is((await fetchScore(auth)).statusCode, 200);
  for (const a of [basic(client.id, `${secret}x`), basic('gfc_0000000000000000', secret), 'Bearer abc', '']) {
    const res = await fetchScore(a);
    t.is(res.statusCode, 401, a);
    t.regex(String(res.headers['www-authenticate']), /^Basic realm=/);
  }
  await revokeApiClient(client.id, { username: 'admin' });
  t.is((await fetchScore(auth)).statusCode, 401);
  // Only the hash of the secret is stored.
  const row = await ApiClient.findByPk(client.id);
  t.false(row!.secretHash.includes(secret));
  t.regex(row!.secretHash, /^sha256:[0-9a-f]{64}$/);
});

test.serial('the CLI adds, lists and revokes clients and prints the secret once', async (t) => {
  const added = await govflowCli(app.db, ['api-client', 'add', 'Hệ thống thuế', '--topics', 'tax-check, tax-refund']);
  t.is(added.code, 0, added.stderr);
  const id = /^id: (gfc_[0-9a-f]{16})$/m.exec(added.stdout)![1];
  const secret = /^secret: (\S+)$/m.exec(added.stdout)![1];
  t.regex(added.stdout, /^topics: tax-check,tax-refund$/m);
  const listed = await govflowCli(app.db, ['api-client', 'list']);
  t.is(listed.code, 0);
  const line = listed.stdout.split('\n').find((l) => l.startsWith(id))!;
  t.regex(line, /\tactive\tHệ thống thuế\ttopics=tax-check,tax-refund/);
  t.false(listed.stdout.includes(secret));
  const revoked = await govflowCli(app.db, ['api-client', 'revoke', id]);
  t.is(revoked.code, 0);
  t.regex(revoked.stdout, new RegExp(`^revoked ${id} \\(Hệ thống thuế\\)$`, 'm'));
  t.truthy((await ApiClient.findByPk(id))!.revokedAt);
  t.is((await govflowCli(app.db, ['api-client', 'add', 'Không phạm vi'])).code, 2);
});

test.serial('the admin page issues a client showing its secret once, lists it and revokes it; audited; others are refused', async (t) => {
  const page = await call(app.server, admin, 'GET', '/admin/api-clients');
  t.is(page.statusCode, 200);
  t.regex(page.payload, /Khóa API cho hệ thống ngoài/);
  const added = await call(app.server, admin, 'POST', '/admin/api-clients', { name: 'Cổng dịch vụ công', topics: 'dossier-sync', processes: '' });
  t.is(added.statusCode, 201);
  t.is(added.headers['cache-control'], 'no-store');
  const id = /data-testid="issued-id">(gfc_[0-9a-f]{16})</.exec(added.payload)![1];
  const secret = /data-testid="issued-secret">([^<]+)</.exec(added.payload)![1];
  t.is((await rest(basic(id, secret), '/external-task/fetchAndLock', { workerId: 'p', maxTasks: 1, topics: [{ topicName: 'dossier-sync', lockDuration: 1000 }] })).statusCode, 200);
  const list = await call(app.server, admin, 'GET', '/admin/api-clients');
  t.true(list.payload.includes(id));
  t.false(list.payload.includes(secret));
  const badScope = await call(app.server, admin, 'POST', '/admin/api-clients', { name: 'Sai', topics: 'a b', processes: '' });
  t.is(badScope.statusCode, 400);
  t.regex(badScope.payload, /không phải tên hợp lệ/);
  const revoked = await call(app.server, admin, 'POST', `/admin/api-clients/${id}/revoke`, {});
  t.is(revoked.statusCode, 302);
  t.is(revoked.headers.location, `/admin/api-clients?revoked=${id}`);
  t.regex((await call(app.server, admin, 'GET', String(revoked.headers.location))).payload, /Đã thu hồi khóa/);
  t.is((await rest(basic(id, secret), '/external-task/fetchAndLock', { workerId: 'p', maxTasks: 1, topics: [] })).statusCode, 401);
  const actions = (await AuditEntry.findAll({ where: { targetId: id } })).map((e) => e.action).sort();
  t.deepEqual(actions, ['apiclient.add', 'apiclient.revoke']);
  t.is((await call(app.server, officer, 'GET', '/admin/api-clients')).statusCode, 403);
  t.is((await call(app.server, officer, 'POST', '/admin/api-clients', { name: 'x', topics: 'y' })).statusCode, 403);
});

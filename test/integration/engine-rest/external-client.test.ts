// Camunda's own external-task client (camunda-external-task-client-js) against a listening govflow:
// workers written as Camunda's docs show them complete tasks, report failures until an incident, throw
// BPMN errors an error boundary event catches, and two workers never get the same task.
import test from 'ava';
import { Client, BasicAuthInterceptor, Variables } from 'camunda-external-task-client-js';
import { startApp, type TestApp } from '../../helpers/server.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { bpmn, sleep } from '../../processes/support.ts';
import { deployDefinition } from '../../../src/engine/definitions.ts';
import { EngineHistory, EngineIncident, EngineInstance } from '../../../src/engine/models.ts';
import { listExternalTasks } from '../../../src/engine/external.ts';

let app: TestApp;
let baseUrl = '';
let credentials = { username: '', password: '' };
const clients: Client[] = [];

const letterProcess = bpmn('Process_letter', `
  <startEvent id="StartEvent_1" name="Nhận đơn"/>
  <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_score"/>
  <serviceTask id="Task_score" name="Chấm điểm" camunda:type="external" camunda:topic="score"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_score" targetRef="Task_checkDocs"/>
  <serviceTask id="Task_checkDocs" name="Kiểm tra giấy tờ" camunda:type="external" camunda:topic="check-docs"/>
  <boundaryEvent id="Boundary_docsMissing" name="Thiếu giấy tờ" attachedToRef="Task_checkDocs"><errorEventDefinition errorRef="Error_docsMissing"/></boundaryEvent>
  <sequenceFlow id="Flow_3" sourceRef="Task_checkDocs" targetRef="End_accepted"/>
  <sequenceFlow id="Flow_4" sourceRef="Boundary_docsMissing" targetRef="End_returned"/>
  <endEvent id="End_accepted" name="Chấp nhận"/>
  <endEvent id="End_returned" name="Trả lại"/>
`, { head: '<error id="Error_docsMissing" name="Thiếu giấy tờ" errorCode="DOCS_MISSING"/>' });

const mailProcess = bpmn('Process_mail', `
  <startEvent id="StartEvent_1" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_send"/>
  <serviceTask id="Task_send" name="Gửi thư">
    <extensionElements><zeebe:taskDefinition type="send-letter"/></extensionElements>
  </serviceTask>
  <sequenceFlow id="Flow_2" sourceRef="Task_send" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`, { dialect: 'zeebe' });

/** A topic no client subscribes to, for the racing fetches (a stopped client's last long poll cannot take its tasks). */
const raceProcess = mailProcess.replace(/Process_mail/g, 'Process_race').replace('type="send-letter"', 'type="race"');

test.before(async () => {
  app = await startApp({ orgs: false, listen: true });
  await deployDefinition(raceProcess);
  baseUrl = `http://127.0.0.1:${app.server.info.port}/engine-rest`;
  await deployDefinition(letterProcess);
  await deployDefinition(mailProcess);
  // The admin issues the credentials from the command line, as an operator would.
  const cli = await govflowCli(app.db, ['api-client', 'add', 'Máy chấm điểm', '--topics', 'score,check-docs,send-letter,race', '--processes', 'Process_letter,Process_mail,Process_race']);
  if (cli.code !== 0) throw new Error(`api-client add failed: ${cli.stderr}`);
  credentials = { username: /^id: (\S+)$/m.exec(cli.stdout)![1], password: /^secret: (\S+)$/m.exec(cli.stdout)![1] };
});
test.after.always(async () => {
  for (const c of clients) c.stop();
  await app?.close();
});

/** A worker configured as in Camunda's documentation (without its console logger). */
function worker(workerId: string, maxTasks = 10): Client {
  const basicAuthentication = new BasicAuthInterceptor({ username: credentials.username, password: credentials.password });
  const config = { baseUrl, workerId, maxTasks, interceptors: basicAuthentication, asyncResponseTimeout: 1000, interval: 50 };
  const client = new Client(config);
  clients.push(client);
  return client;
}

/** Starts a process through `/engine-rest` with Camunda's typed variables. */
async function startOverRest(key: string, variables: Record<string, { value: unknown; type: string }>, businessKey?: string) {
  const res = await fetch(`${baseUrl}/process-definition/key/${key}/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` },
    body: JSON.stringify({ variables, businessKey, withVariablesInReturn: true }),
  });
  if (res.status !== 200) throw new Error(`start answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; businessKey: string | null; ended: boolean; variables: Record<string, { value: unknown; type: string }>; links: Array<{ rel: string; href: string }> };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 20000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const statusOf = async (id: string) => (await EngineInstance.findByPk(id))!.status;

test.serial('a worker completes govflow tasks with typed variables, and a BPMN error is caught by the error boundary event', async (t) => {
  const accepted = await startOverRest('Process_letter', { amount: { value: 1500, type: 'Integer' }, applicant: { value: 'Nguyễn Văn An', type: 'String' } }, 'HS-2026-001');
  t.is(accepted.businessKey, 'HS-2026-001');
  t.false(accepted.ended);
  t.deepEqual(accepted.variables.amount, { value: 1500, type: 'Integer', valueInfo: {} });
  t.regex(accepted.links[0].href, new RegExp(`/engine-rest/process-instance/${accepted.id}$`));
  const returned = await startOverRest('Process_letter', { amount: { value: 10, type: 'Integer' }, applicant: { value: 'Trần Thị Bình', type: 'String' } }, 'HS-2026-002');

  const seen: Array<{ topic: string | undefined; applicant: unknown; businessKey: string | undefined }> = [];
  const client = worker('worker-docs');
  client.subscribe('score', async function ({ task, taskService }) {
    seen.push({ topic: task.topicName, applicant: task.variables.get('applicant'), businessKey: task.businessKey });
    const processVariables = new Variables();
    processVariables.set('score', task.variables.get('amount') > 1000 ? 9 : 2);
    processVariables.set('checkedAt', new Date('2026-12-01T08:00:00Z'));
    processVariables.set('notes', { by: 'worker-docs', items: ['cmnd', 'đơn'] });
    await taskService.complete(task, processVariables);
  });
  client.subscribe('check-docs', async function ({ task, taskService }) {
    seen.push({ topic: task.topicName, applicant: task.variables.get('applicant'), businessKey: task.businessKey });
    if (task.variables.get('score') < 5) {
      const variables = new Variables();
      variables.set('missing', 'giấy khai sinh');
      await taskService.handleBpmnError(task, 'DOCS_MISSING', 'Thiếu giấy tờ', variables);
      return;
    }
    await taskService.complete(task);
  });

  await waitFor('both instances to end', async () => (await statusOf(accepted.id)) === 'completed' && (await statusOf(returned.id)) === 'completed');
  client.stop();
  const vars = (id: string) => EngineInstance.findByPk(id).then((r) => JSON.parse(r!.variables) as Record<string, unknown>);
  t.like(await vars(accepted.id), { score: 9, checkedAt: '2026-12-01T08:00:00.000Z', notes: { by: 'worker-docs', items: ['cmnd', 'đơn'] } });
  t.like(await vars(returned.id), { score: 2, missing: 'giấy khai sinh' });
  const endOf = async (id: string) => (await EngineHistory.findAll({ where: { instanceId: id, event: 'end' } })).map((h) => h.elementId);
  t.true((await endOf(accepted.id)).includes('End_accepted'));
  t.true((await endOf(returned.id)).includes('End_returned'));
  t.false((await endOf(returned.id)).includes('End_accepted'));
  t.is(seen.filter((s) => s.topic === 'score').length, 2);
  t.is(seen.filter((s) => s.topic === 'check-docs').length, 2);
  t.true(seen.some((s) => s.applicant === 'Nguyễn Văn An' && s.businessKey === 'HS-2026-001'));
  t.deepEqual(await listExternalTasks({ topics: ['score', 'check-docs'] }), []);
});

test.serial('a worker reports failures with retries, then at zero retries the instance waits in an incident', async (t) => {
  const started = await startOverRest('Process_mail', { to: { value: 'ubnd@hanoi.gov.vn', type: 'String' } });
  const tries: Array<number | null | undefined> = [];
  const client = worker('worker-mail');
  client.subscribe('send-letter', async function ({ task, taskService }) {
    tries.push(task.retries);
    await taskService.handleFailure(task, {
      errorMessage: 'Máy chủ thư không trả lời',
      errorDetails: 'ECONNREFUSED 10.0.0.5:25',
      retries: task.retries === null || task.retries === undefined ? 2 : task.retries - 1,
      retryTimeout: 100,
    });
  });
  const incident = await waitFor('an incident', () => EngineIncident.findOne({ where: { instanceId: started.id, status: 'open' } }));
  client.stop();
  t.deepEqual(tries, [null, 2, 1]);
  t.is(incident.error, 'Máy chủ thư không trả lời');
  t.is(incident.elementId, 'Task_send');
  t.is(await statusOf(started.id), 'active');
  const [row] = await listExternalTasks({ instanceId: started.id });
  t.is(row.status, 'incident');
  t.is(row.retries, 0);
  t.is(row.errorDetails, 'ECONNREFUSED 10.0.0.5:25');
});

test.serial('two workers polling one topic never lock the same task, and every task is done once', async (t) => {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await startOverRest('Process_mail', { n: { value: i, type: 'Integer' } })).id);
  const handled: Array<{ workerId: string; taskId: string; n: unknown }> = [];
  for (const workerId of ['worker-a', 'worker-b']) {
    const client = worker(workerId, 2);
    client.subscribe('send-letter', async function ({ task, taskService }) {
      handled.push({ workerId, taskId: task.id!, n: task.variables.get('n') });
      await sleep(30);
      await taskService.complete(task);
    });
  }
  await waitFor('all six to end', async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'completed'));
  for (const c of clients) c.stop();
  // A stopped client's last long poll is still open: let it end before racing fetches of our own.
  await sleep(1500);
  t.is(handled.length, 6);
  t.is(new Set(handled.map((h) => h.taskId)).size, 6);
  t.deepEqual(handled.map((h) => h.n).sort(), [0, 1, 2, 3, 4, 5]);
  t.log(`worker-a did ${handled.filter((h) => h.workerId === 'worker-a').length}, worker-b ${handled.filter((h) => h.workerId === 'worker-b').length}`);

  // Racing fetches through the REST API split the open tasks between them, never sharing one.
  const more: string[] = [];
  for (let i = 0; i < 8; i++) more.push((await startOverRest('Process_race', { n: { value: i, type: 'Integer' } })).id);
  const auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const fetchAs = (workerId: string) => globalThis.fetch(`${baseUrl}/external-task/fetchAndLock`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify({ workerId, maxTasks: 5, topics: [{ topicName: 'race', lockDuration: 60000 }] }),
  }).then((r) => r.json() as Promise<Array<{ id: string; workerId: string; processInstanceId: string }>>);
  // Rounds of two racing fetches until all eight are locked: no round hands one task to both, and no task is handed out twice.
  const lockedBy = new Map<string, string>();
  for (let round = 0; round < 20 && lockedBy.size < 8; round++) {
    const [a, b] = await Promise.all([fetchAs('racer-a'), fetchAs('racer-b')]);
    t.deepEqual(a.filter((x) => b.some((y) => y.id === x.id)), []);
    t.true(a.every((x) => x.workerId === 'racer-a') && b.every((x) => x.workerId === 'racer-b'));
    for (const x of [...a, ...b]) {
      t.false(lockedBy.has(x.id), `task ${x.id} was handed out twice`);
      lockedBy.set(x.id, x.workerId);
    }
  }
  t.is(lockedBy.size, 8);
});

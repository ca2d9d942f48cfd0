// Incidents through the real server: a start whose gateway matches no flow answers 201 with the instance
// waiting there; the instance page shows the incident in Vietnamese or English; an admin fixes the
// variables (API or the page's form, audited, size-limited) and retries; a runaway model stops at its
// transition limit while the node keeps answering /healthz.
import test from 'ava';
import { startApp, makeUser, login, call, healthzDuring, type TestApp, type Session } from '../../helpers/server.ts';
import { bpmn } from '../../processes/support.ts';
import { AuditEntry } from '../../../src/audit/models.ts';
import { registerServiceHandler } from '../../../src/engine/service.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

const decision = bpmn('Process_decision', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Gateway_amount"/>
  <exclusiveGateway id="Gateway_amount" name="Số tiền?"/>
  <sequenceFlow id="Flow_big" name="Lớn" sourceRef="Gateway_amount" targetRef="Task_big"><conditionExpression>=amount &gt; 100</conditionExpression></sequenceFlow>
  <sequenceFlow id="Flow_small" name="Nhỏ" sourceRef="Gateway_amount" targetRef="End"><conditionExpression>=amount &lt; 10</conditionExpression></sequenceFlow>
  <userTask id="Task_big" name="Duyệt khoản lớn" camunda:candidateGroups="officer"/>
  <sequenceFlow id="Flow_2" name="2" sourceRef="Task_big" targetRef="End"/>
  <endEvent id="End" name="Kết thúc"/>
`);

const runaway = bpmn('Process_runawayWeb', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" name="1" sourceRef="Start" targetRef="Task_tick"/>
  <serviceTask id="Task_tick" name="Đếm" camunda:type="external" camunda:topic="tickWeb"/>
  <sequenceFlow id="Flow_2" name="2" sourceRef="Task_tick" targetRef="Fork"/>
  <parallelGateway id="Fork" name="Tách"/>
  <sequenceFlow id="Flow_again" name="lại" sourceRef="Fork" targetRef="Task_tick"/>
  <sequenceFlow id="Flow_out" name="ra" sourceRef="Fork" targetRef="End"/>
  <endEvent id="End" name="Kết thúc"/>
`);

let app: TestApp;
let admin: Session;
let designer: Session;

test.before(async () => {
  app = await startApp({ orgs: false, listen: true, env: { ENGINE_MAX_TRANSITIONS: '1500' } });
  registerServiceHandler('tickWeb', ({ variables }) => ({ n: Number(variables.n ?? 0) + 1 }));
  await makeUser('admin', null, { username: 'quantri.incident' });
  await makeUser('designer', null, { username: 'thietke.incident' });
  admin = await login(app.server, 'quantri.incident');
  designer = await login(app.server, 'thietke.incident');
  for (const xml of [decision, runaway]) t201(await call(app.server, designer, 'POST', '/api/engine/definitions', { xml }));
});
test.after.always(async () => app?.close());

function t201(res: { statusCode: number; payload: string }): void {
  if (res.statusCode !== 201) throw new Error(`deploy answered ${res.statusCode}: ${res.payload}`);
}

test.serial('a start whose gateway matches no flow waits there with an incident an admin fixes through the API and retries', async (t) => {
  const started = await call(app.server, admin, 'POST', '/api/engine/processes/Process_decision/start', { businessKey: 'INC-1', variables: { amount: 50 } });
  t.is(started.statusCode, 201);
  const { id } = json(started);
  t.is(json(started).status, 'active');
  const inst = json(await call(app.server, admin, 'GET', `/api/engine/instances/${id}`));
  const [incident] = inst.incidents;
  t.like(incident, { elementId: 'Gateway_amount', code: 'incidents.noFlow', status: 'open' });
  // The page says it in the reader's language, with the form to fix variables
  const vi = await call(app.server, admin, 'GET', `/engine/instances/${id}`);
  t.true(vi.payload.includes('Không có luồng đi ra nào của Gateway_amount thỏa điều kiện'));
  t.true(vi.payload.includes('data-testid="variables-form"'));
  const en = await call(app.server, admin, 'GET', `/engine/instances/${id}`, undefined, { cookie: `${admin.cookie}; lang=en` });
  t.true(en.payload.includes('No outgoing flow of Gateway_amount matches'));
  // A designer may read but not change variables
  t.is((await call(app.server, designer, 'PUT', `/api/engine/instances/${id}/variables`, { amount: 500 })).statusCode, 403);
  // The admin merges a fix (null removes a name) and retries
  const put = await call(app.server, admin, 'PUT', `/api/engine/instances/${id}/variables`, { amount: 500, note: 'sửa', orgCode: null });
  t.is(put.statusCode, 200);
  t.deepEqual(json(put).variables, { amount: 500, note: 'sửa' });
  const removed = await call(app.server, admin, 'PUT', `/api/engine/instances/${id}/variables`, { note: null });
  t.deepEqual(json(removed).variables, { amount: 500 });
  const audit = await AuditEntry.findAll({ where: { action: 'engine.instance.variables', targetId: id } });
  t.is(audit.length, 2);
  const retried = await call(app.server, admin, 'POST', `/api/engine/incidents/${incident.id}/retry`);
  t.is(retried.statusCode, 200);
  const after = json(await call(app.server, admin, 'GET', `/api/engine/instances/${id}`));
  t.deepEqual(after.tasks.filter((x: { status: string }) => x.status === 'open').map((x: { elementId: string }) => x.elementId), ['Task_big']);
  t.is(after.incidents.filter((i: { status: string }) => i.status === 'open').length, 0);
});

test.serial('the instance page form changes variables, and a change past the size limit or that is not an object is a 400', async (t) => {
  const { id } = json(await call(app.server, admin, 'POST', '/api/engine/processes/Process_decision/start', { variables: { amount: 50 } }));
  const posted = await call(app.server, admin, 'POST', `/engine/instances/${id}/variables`, { variables: '{"amount": 5}' });
  t.is(posted.statusCode, 303);
  t.is(posted.headers.location, `/engine/instances/${id}`);
  t.deepEqual(json(await call(app.server, admin, 'GET', `/api/engine/instances/${id}`)).variables, { amount: 5 });
  t.is((await call(app.server, admin, 'POST', `/engine/instances/${id}/variables`, { variables: '[1, 2]' })).statusCode, 400);
  const big = await call(app.server, admin, 'PUT', `/api/engine/instances/${id}/variables`, { text: 'x'.repeat(300 * 1024) });
  t.is(big.statusCode, 400);
  t.deepEqual(json(await call(app.server, admin, 'GET', `/api/engine/instances/${id}`)).variables, { amount: 5 });
});

test.serial('a service task looping back through a parallel gateway stops at ENGINE_MAX_TRANSITIONS with an incident while /healthz keeps answering', async (t) => {
  let res: Awaited<ReturnType<typeof call>> | undefined;
  const latencies = await healthzDuring(app.server, async () => {
    res = await call(app.server, admin, 'POST', '/api/engine/processes/Process_runawayWeb/start', { variables: { n: 0 } });
  });
  t.is(res!.statusCode, 201);
  const { id, status } = json(res!);
  t.is(status, 'active');
  t.true(latencies.length > 0);
  const sorted = [...latencies].sort((a, b) => a - b);
  t.log(`healthz answered ${latencies.length} times while the loop ran: median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, slowest ${sorted[sorted.length - 1].toFixed(1)} ms`);
  const inst = json(await call(app.server, admin, 'GET', `/api/engine/instances/${id}`));
  const open = inst.incidents.filter((i: { status: string }) => i.status === 'open');
  t.is(open.length, 1);
  t.is(open[0].code, 'incidents.runaway');
  t.true(inst.variables.n > 10);
});

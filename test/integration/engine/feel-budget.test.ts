// The engine through a listening server: deploying and running expressions that would exhaust the heap
// or stall the event loop. The node keeps answering /healthz quickly throughout; a deploy with a huge
// literal range is a 422 naming the element and the expression; a heavy gateway is an incident.
import test from 'ava';
import { startApp, makeUser, login, call, healthzDuring, type TestApp, type Session } from '../../helpers/server.ts';
import { bpmn } from '../../processes/support.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

const HEAVY = 'count(for i in 1..60000000 return i) &gt; 0';

const definition = (id: string, condition: string) => bpmn(id, `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Gateway_count"/>
  <exclusiveGateway id="Gateway_count" name="Đếm?" default="Flow_no"/>
  <sequenceFlow id="Flow_yes" name="Có" sourceRef="Gateway_count" targetRef="Task_yes"><conditionExpression>=${condition}</conditionExpression></sequenceFlow>
  <sequenceFlow id="Flow_no" name="Không" sourceRef="Gateway_count" targetRef="End"/>
  <userTask id="Task_yes" name="Xử lý" camunda:candidateGroups="officer"/>
  <sequenceFlow id="Flow_2" name="Xong" sourceRef="Task_yes" targetRef="End"/>
  <endEvent id="End" name="Kết thúc"/>
`);

let app: TestApp;
let designer: Session;
let admin: Session;

test.before(async () => {
  // A budget with room for the small counts, even when other work shares the machine's two cores.
  app = await startApp({ orgs: false, listen: true, env: { FEEL_TIMEOUT_MS: '200' } });
  await makeUser('designer', null, { username: 'thietke.budget' });
  await makeUser('admin', null, { username: 'quantri.budget' });
  designer = await login(app.server, 'thietke.budget');
  admin = await login(app.server, 'quantri.budget');
});
test.after.always(async () => app?.close());

test.serial('deploying a gateway that iterates over 1..60000000 is a 422 naming the element and the expression, and /healthz keeps answering', async (t) => {
  let res: Awaited<ReturnType<typeof call>> | undefined;
  const latencies = await healthzDuring(app.server, async () => {
    res = await call(app.server, designer, 'POST', '/api/engine/definitions', { xml: definition('Process_wide', HEAVY) });
  });
  t.is(res!.statusCode, 422);
  const body = json(res!);
  t.is(body.details.length, 1);
  t.like(body.details[0], { code: 'engine.problem.feelRange', elementId: 'Flow_yes' });
  t.true(body.details[0].message.includes('Flow_yes'));
  t.true(body.details[0].message.includes('=count(for i in 1..60000000 return i) > 0'));
  t.log(`healthz answered ${latencies.length} times, slowest ${Math.max(...latencies).toFixed(0)} ms`);
  t.log(`slowest healthz ${Math.max(...latencies).toFixed(0)} ms`);
});

test.serial('starting a process whose gateway runs past the budget answers at once with an incident at the gateway, and /healthz keeps answering', async (t) => {
  const deployed = await call(app.server, designer, 'POST', '/api/engine/definitions', { xml: definition('Process_heavy', 'count(for i in 1..n return i) &gt; 0') });
  t.is(deployed.statusCode, 201);
  let res: Awaited<ReturnType<typeof call>> | undefined;
  const latencies = await healthzDuring(app.server, async () => {
    res = await call(app.server, designer, 'POST', '/api/engine/processes/Process_heavy/start', { businessKey: 'HS-1', variables: { n: 60000000 } });
  });
  t.is(res!.statusCode, 201);
  const started = json(res!);
  t.is(started.status, 'active');
  t.true(latencies.length >= 5);
  t.log(`healthz answered ${latencies.length} times, slowest ${Math.max(...latencies).toFixed(0)} ms`);
  t.log(`slowest healthz ${Math.max(...latencies).toFixed(0)} ms`);
  const incidents = json(await call(app.server, admin, 'GET', '/api/engine/incidents'));
  const incident = incidents.find((i: { instanceId: string }) => i.instanceId === started.id);
  t.truthy(incident);
  t.is(incident.elementId, 'Gateway_count');
  t.true(incident.error.includes('count(for i in 1..n return i) > 0'));
  // The same process with a small count goes on to its task.
  const ok = await call(app.server, designer, 'POST', '/api/engine/processes/Process_heavy/start', { variables: { n: 3 } });
  t.is(json(ok).status, 'active');
});

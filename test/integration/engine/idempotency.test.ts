// Creating calls with an Idempotency-Key: a client that lost the answer retries and gets the first
// result (the same instance), never a second one, also when the retries run at the same time.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { bpmn } from '../../processes/support.ts';
import { EngineHistory, EngineInstance } from '../../../src/engine/models.ts';

let app: TestApp;
let officer: Session;
let otherOfficer: Session;
let admin: Session;

const xml = bpmn('Process_idem', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_review"/>
  <userTask id="Task_review" name="Xem xét" camunda:candidateGroups="officer@{orgCode}"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_review" targetRef="Catch_reply"/>
  <intermediateCatchEvent id="Catch_reply" name="Chờ trả lời"><messageEventDefinition messageRef="Message_reply"/></intermediateCatchEvent>
  <sequenceFlow id="Flow_3" sourceRef="Catch_reply" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`, { head: '<message id="Message_reply" name="reply"/>' });

const waiting = bpmn('Process_idemWait', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Catch_reply"/>
  <intermediateCatchEvent id="Catch_reply" name="Chờ trả lời"><messageEventDefinition messageRef="Message_answer"/></intermediateCatchEvent>
  <sequenceFlow id="Flow_2" sourceRef="Catch_reply" targetRef="Task_after"/>
  <userTask id="Task_after" name="Sau trả lời" camunda:candidateGroups="officer@{orgCode}"/>
  <sequenceFlow id="Flow_3" sourceRef="Task_after" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`, { head: '<message id="Message_answer" name="answer"/>' });

test.before(async () => {
  app = await startApp();
  const d = await makeUser('designer');
  const o = await makeUser('officer', '79');
  const o2 = await makeUser('officer', '79');
  const a = await makeUser('admin');
  officer = await login(app.server, o.username);
  otherOfficer = await login(app.server, o2.username);
  admin = await login(app.server, a.username);
  const designer = await login(app.server, d.username);
  for (const x of [xml, waiting]) {
    const res = await call(app.server, designer, 'POST', '/api/engine/definitions', { xml: x });
    if (res.statusCode !== 201) throw new Error(res.payload);
  }
});
test.after.always(async () => app?.close());

const start = (who: Session, body: unknown, key?: string) =>
  call(app.server, who, 'POST', '/api/engine/processes/Process_idem/start', body, key ? { 'idempotency-key': key } : {});

test.serial('a start retried with the same Idempotency-Key and body returns the first instance', async (t) => {
  const body = { businessKey: 'IDEM-1', variables: { amount: 5 } };
  const first = await start(officer, body, 'key-1');
  t.is(first.statusCode, 201);
  const again = await start(officer, body, 'key-1');
  t.is(again.statusCode, 201);
  t.is(JSON.parse(again.payload).id, JSON.parse(first.payload).id);
  t.is(await EngineInstance.count({ where: { businessKey: 'IDEM-1' } }), 1);
});

test.serial('the same Idempotency-Key with another body is a 422, and another user\'s key is their own', async (t) => {
  const first = await start(officer, { businessKey: 'IDEM-2' }, 'key-2');
  t.is(first.statusCode, 201);
  const other = await start(officer, { businessKey: 'IDEM-2b' }, 'key-2');
  t.is(other.statusCode, 422);
  t.is(JSON.parse(other.payload).code, 'engine.idempotencyMismatch');
  const theirs = await start(otherOfficer, { businessKey: 'IDEM-2' }, 'key-2');
  t.is(theirs.statusCode, 201);
  t.not(JSON.parse(theirs.payload).id, JSON.parse(first.payload).id);
  t.is(await EngineInstance.count({ where: { businessKey: 'IDEM-2b' } }), 0);
});

test.serial('eight concurrent retries of one start create one instance and all answer with it', async (t) => {
  const body = { businessKey: 'IDEM-3', variables: {} };
  const results = await Promise.all(Array.from({ length: 8 }, () => start(officer, body, 'key-3')));
  t.deepEqual(results.map((r) => r.statusCode), Array(8).fill(201));
  const ids = new Set(results.map((r) => JSON.parse(r.payload).id));
  t.is(ids.size, 1);
  t.is(await EngineInstance.count({ where: { businessKey: 'IDEM-3' } }), 1);
});

test.serial('concurrent retries of one message correlation deliver it once', async (t) => {
  const started = await call(app.server, officer, 'POST', '/api/engine/processes/Process_idemWait/start', { businessKey: 'IDEM-4' });
  const id = JSON.parse(started.payload).id as string;
  const body = { name: 'answer', businessKey: 'IDEM-4', variables: { answer: 'yes' } };
  const results = await Promise.all(Array.from({ length: 6 }, () => call(app.server, admin, 'POST', '/api/engine/messages', body, { 'idempotency-key': 'msg-1' })));
  const codes = results.map((r) => r.statusCode);
  // A retry that arrives while the first is still acting is told to come back (409); none acts twice.
  t.true(codes.every((c) => c === 200 || c === 409), codes.join(','));
  t.true(codes.includes(200));
  for (const r of results.filter((x) => x.statusCode === 200)) t.like(JSON.parse(r.payload), { instanceId: id, started: false });
  const later = await call(app.server, admin, 'POST', '/api/engine/messages', body, { 'idempotency-key': 'msg-1' });
  t.is(later.statusCode, 200);
  t.is(await EngineHistory.count({ where: { instanceId: id, event: 'message' } }), 1);
});

test.serial('answers older than the retention are forgotten, and the key then starts anew', async (t) => {
  const { purgeIdempotent } = await import('../../../src/engine/idempotency.ts');
  const body = { businessKey: 'IDEM-5' };
  const first = JSON.parse((await start(officer, body, 'key-5')).payload).id as string;
  t.is(await purgeIdempotent(new Date(Date.now() - 60_000)), 0);
  t.is(JSON.parse((await start(officer, body, 'key-5')).payload).id, first);
  t.true((await purgeIdempotent(new Date(Date.now() + 60_000))) >= 1);
  t.not(JSON.parse((await start(officer, body, 'key-5')).payload).id, first);
});

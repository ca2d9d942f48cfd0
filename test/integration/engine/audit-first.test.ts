// Admin actions whose writes go through the engine's own connection (cancel, incident retry, timer move,
// job retry, signals) write their audit row first: when it cannot be written, the action does not run.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { bpmn } from '../../processes/support.ts';
import { AuditEntry, AuditHead } from '../../../src/audit/models.ts';

let app: TestApp;
let admin: Session;

const xml = bpmn('Process_auditFirst', `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_check"/>
  <userTask id="Task_check" name="Kiểm tra" camunda:candidateGroups="officer@01"/>
  <sequenceFlow id="Flow_2" sourceRef="Task_check" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);

test.before(async () => {
  app = await startApp();
  admin = await login(app.server, (await makeUser('admin')).username);
  const deployed = await call(app.server, admin, 'POST', '/api/engine/definitions', { xml });
  if (deployed.statusCode !== 201) throw new Error(`deploy failed: ${deployed.payload}`);
});
test.after.always(async () => app?.close());

test.serial('a cancel whose audit row cannot be written does not cancel, and one that can is audited', async (t) => {
  const started = await call(app.server, admin, 'POST', '/api/engine/processes/Process_auditFirst/start', { orgCode: '01' });
  t.is(started.statusCode, 201);
  const id = JSON.parse(started.payload).id as string;
  const head = (await AuditHead.findByPk(1))!.get({ plain: true }) as Record<string, unknown>;
  await AuditHead.destroy({ where: { id: 1 } });
  try {
    const refused = await call(app.server, admin, 'POST', `/api/engine/instances/${id}/cancel`, { reason: 'Thử nghiệm' });
    t.is(refused.statusCode, 500);
  } finally {
    await AuditHead.create(head);
  }
  t.is(JSON.parse((await call(app.server, admin, 'GET', `/api/engine/instances/${id}`)).payload).status, 'active');
  t.is(await AuditEntry.count({ where: { action: 'engine.instance.cancel', targetId: id } }), 0);

  const cancelled = await call(app.server, admin, 'POST', `/api/engine/instances/${id}/cancel`, { reason: 'Thử nghiệm' });
  t.is(cancelled.statusCode, 200);
  t.is(JSON.parse((await call(app.server, admin, 'GET', `/api/engine/instances/${id}`)).payload).status, 'cancelled');
  t.is(await AuditEntry.count({ where: { action: 'engine.instance.cancel', targetId: id } }), 1);
});

test.serial('an engine action that fails after its audit row adds a failed row', async (t) => {
  const res = await call(app.server, admin, 'POST', '/api/engine/jobs/999999/due', { dueAt: new Date(Date.now() + 60000).toISOString() });
  t.is(res.statusCode, 404);
  const started = await call(app.server, admin, 'POST', '/api/engine/processes/Process_auditFirst/start', { orgCode: '01' });
  const id = JSON.parse(started.payload).id as string;
  t.is((await call(app.server, admin, 'POST', `/api/engine/instances/${id}/cancel`, {})).statusCode, 200);
  const again = await call(app.server, admin, 'POST', `/api/engine/instances/${id}/cancel`, {});
  t.true(again.statusCode >= 400 && again.statusCode < 500, String(again.statusCode));
  t.is(await AuditEntry.count({ where: { action: 'engine.instance.cancel.failed', targetId: id } }), 1);
});

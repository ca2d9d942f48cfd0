// Scenario: a BPMN service task of type `sign` signs the instance's values as the named leader; the
// signature is recorded, audited and verifies against the trusted root.
import test from 'ava';
import { bpmn, engineDb, instance } from './support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { createUser } from '../../src/auth/service.ts';
import { AuditEntry } from '../../src/audit/models.ts';
import { issueUserCertificate, verifySignatureId } from '../../src/signing/service.ts';
import { setupCa } from '../helpers/signing.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
  await setupCa();
  await createUser({ username: 'lanhdao.bpmn', fullName: 'Võ Văn Thưởng', password: 'TestPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
  await issueUserCertificate('lanhdao.bpmn', null);
  await deployDefinition(bpmn('Process_signReport', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_sign"/>
    <serviceTask id="Task_sign" name="Ký số báo cáo">
      <extensionElements><zeebe:taskDefinition type="sign" retries="1"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="Flow_2" sourceRef="Task_sign" targetRef="Task_read"/>
    <userTask id="Task_read" name="Xem"/>
    <sequenceFlow id="Flow_3" sourceRef="Task_read" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `, { dialect: 'zeebe' }));
});
test.after.always(async () => db?.cleanup());

test('a sign service task signs the values as the named leader and the signature verifies', async (t) => {
  // Given a report's values and its approving leader
  const started = await startProcess('Process_signReport', { variables: { signer: 'lanhdao.bpmn', values: { tongThu: 1200, donVi: 'Sở Tài chính' } } });
  // Then the instance holds the signature's id and hash
  const vars = JSON.parse((await instance(started.id)).variables) as { signatureId?: string; signatureHash?: string };
  t.regex(vars.signatureId ?? '', /^[0-9a-f-]{36}$/);
  t.is(vars.signatureHash?.length, 64);
  // And it verifies, names the leader and is audited
  const r = await verifySignatureId(vars.signatureId!);
  t.true(r.isValid);
  t.is(r.signatures[0].signer!.name, 'Võ Văn Thưởng');
  t.is(r.signatures[0].record!.targetId, started.id);
  t.truthy(await AuditEntry.findOne({ where: { action: 'signing.signData', targetId: vars.signatureId } }));
});

// A log written before the chain was keyed: migration 0020 keeps its plain SHA-256 rows verifiable as the unkeyed
// part of the chain, the first keyed row links to the last of them, and rewriting that part is still caught.
import test from 'ava';
import { DataTypes } from 'sequelize';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { db } from '../../../src/store/index.ts';
import { appendAudit, verifyAudit } from '../../../src/audit/service.ts';
import { AuditEntry, AuditHead } from '../../../src/audit/models.ts';
import { GENESIS, legacyRowHash } from '../../../src/audit/chain.ts';
import { up, down } from '../../../src/store/migrations/0020-audit-keys.ts';
import { chainRows } from './support.ts';

let store: TestDb;
const context = () => ({ qi: db().getQueryInterface(), sequelize: db(), DataTypes, longText: DataTypes.TEXT });
const legacyColumns = ['seq', 'at', 'actorId', 'actorName', 'orgCode', 'action', 'targetType', 'targetId', 'ip', 'detail', 'prevHash', 'hash'];

test.before(async () => {
  store = await freshDb();
  // Back to the schema before the keyed chain, and four rows written the way govflow wrote them then.
  await down({ context: context() });
  let prev = GENESIS;
  for (let seq = 1; seq <= 4; seq++) {
    const fields = { seq, at: new Date(Date.UTC(2026, 10, seq, 3, 0, 0, 123)), actorId: seq, actorName: `user${seq}`, orgCode: '01', action: 'user.grant', targetType: 'user', targetId: String(seq), ip: '10.0.0.1', detail: JSON.stringify({ role: 'officer', note: 'Hà Nội' }) };
    const hash = legacyRowHash(prev, fields);
    await AuditEntry.create({ ...fields, prevHash: prev, hash }, { fields: legacyColumns });
    prev = hash;
  }
  await db().query('UPDATE audit_head SET seq = 4, hash = ? WHERE id = 1', { replacements: [prev] });
  await up({ context: context() });
});
test.after.always(async () => {
  await store?.cleanup();
});

test.serial('rows from before the keyed chain verify as its unkeyed part after the migration', async (t) => {
  t.like(await verifyAudit(), { ok: true, rows: 4 });
  const head = (await AuditHead.findByPk(1))!;
  t.is(Number(head.legacySeq), 4);
  t.is(head.keyId, store.config.auditKeys[0].id);
  t.deepEqual((await chainRows()).map((r) => r.keyId), [null, null, null, null]);
});

test.serial('the first keyed row links to the last unkeyed one and the whole chain verifies, in process and from the CLI', async (t) => {
  await appendAudit({ username: 'admin' }, { action: 'test.keyed', targetId: 1 });
  await appendAudit({ username: 'admin' }, { action: 'test.keyed', targetId: 2 });
  const all = await chainRows();
  t.deepEqual(all.map((r) => r.keyId), [null, null, null, null, store.config.auditKeys[0].id, store.config.auditKeys[0].id]);
  t.is(all[4].prevHash, all[3].hash);
  t.like(await verifyAudit(), { ok: true, rows: 6 });
  const r = await govflowCli(store, ['audit', 'verify']);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /intact: 6 rows/);
});

test.serial('rewriting an unkeyed row and recomputing the unkeyed part is caught where the first keyed row links to it', async (t) => {
  const all = await chainRows();
  await AuditEntry.update({ detail: '{"role":"admin"}' }, { where: { seq: 2 } });
  let prev = all[0].hash;
  for (const r of (await chainRows()).slice(1, 4)) {
    const hash = legacyRowHash(prev, r);
    await AuditEntry.update({ prevHash: prev, hash }, { where: { id: r.id } });
    prev = hash;
  }
  t.like((await verifyAudit()).problem, { seq: 4, kind: 'altered' });
});

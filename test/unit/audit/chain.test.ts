// The audit log's keyed hash chain: appends link each row to the one before under an HMAC key, verification finds
// the first row that was edited, deleted or forged, with its sequence number, and a key rotation keeps old rows
// verifiable.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { db } from '../../../src/store/index.ts';
import { appendAudit, verifyAudit, rowHash, planAuditAppend } from '../../../src/audit/service.ts';
import { AuditEntry } from '../../../src/audit/models.ts';
import { legacyRowHash } from '../../../src/audit/chain.ts';
import { getConfig, setConfig } from '../../../src/config.ts';
import { resetChain } from '../../integration/audit/support.ts';

let store: TestDb;
test.before(async () => {
  store = await freshDb();
});
test.after.always(async () => {
  await store?.cleanup();
});

/** Starts every test from an empty log holding five appended rows. */
test.beforeEach(async () => {
  setConfig(store.config);
  await resetChain();
  for (let i = 1; i <= 5; i++) {
    await appendAudit({ id: i, username: `user${i}`, orgCode: '01', ip: '127.0.0.1' }, { action: 'test.step', targetType: 'thing', targetId: i, detail: { step: i, note: 'Hà Nội' } });
  }
});

const rows = () => AuditEntry.findAll({ order: [['seq', 'ASC']] });

/** Inserts a row the way someone with database access would, with a hash computed by the real algorithm. */
async function forge(seq: number, prevHash: string, action = 'user.grant') {
  const fields = { seq, at: new Date(), actorId: 1, actorName: 'intruder', orgCode: null, action, targetType: 'user', targetId: '1', ip: null, detail: '{"role":"admin"}' };
  await AuditEntry.create({ ...fields, prevHash, hash: rowHash(prevHash, fields) });
}

test.serial('appends rows with consecutive sequence numbers, each carrying the previous row\'s hash', async (t) => {
  const all = await rows();
  t.deepEqual(all.map((r) => Number(r.seq)), [1, 2, 3, 4, 5]);
  t.is(all[0].prevHash, '0'.repeat(64));
  for (let i = 1; i < all.length; i++) t.is(all[i].prevHash, all[i - 1].hash);
  t.is(new Set(all.map((r) => r.hash)).size, 5);
});

test.serial('an intact log verifies', async (t) => {
  t.like(await verifyAudit(), { ok: true, rows: 5, problem: null, last: { seq: 5 } });
});

test.serial('editing one row\'s detail is reported as altered at that row', async (t) => {
  await db().query(`UPDATE audit_log SET detail = '{"step":3,"note":"sửa"}' WHERE seq = 3`);
  const r = await verifyAudit();
  t.false(r.ok);
  t.like(r.problem, { seq: 3, kind: 'altered' });
});

test.serial('editing one row\'s time or actor is reported as altered at that row', async (t) => {
  await AuditEntry.update({ actorName: 'someone.else' }, { where: { seq: 2 } });
  t.like((await verifyAudit()).problem, { seq: 2, kind: 'altered' });
});

test.serial('deleting a middle row is reported as deleted at its sequence number', async (t) => {
  await db().query('DELETE FROM audit_log WHERE seq = 3');
  const r = await verifyAudit();
  t.false(r.ok);
  t.like(r.problem, { seq: 3, kind: 'deleted' });
});

test.serial('deleting the last row is reported as deleted, found through the chain head', async (t) => {
  await db().query('DELETE FROM audit_log WHERE seq = 5');
  t.like((await verifyAudit()).problem, { seq: 5, kind: 'deleted' });
});

test.serial('a forged row appended after the last one is reported as inserted, even with a valid hash', async (t) => {
  const last = (await rows()).at(-1)!;
  await forge(6, last.hash);
  t.like((await verifyAudit()).problem, { seq: 6, kind: 'inserted' });
});

test.serial('a forged row put in place of a deleted one breaks the link of the row after it', async (t) => {
  const all = await rows();
  await db().query('DELETE FROM audit_log WHERE seq = 3');
  await forge(3, all[1].hash);
  t.like((await verifyAudit()).problem, { seq: 3, kind: 'altered' });
});

test.serial('a forged row numbered before the first one is reported as inserted', async (t) => {
  await forge(0, '0'.repeat(64));
  t.like((await verifyAudit()).problem, { seq: 0, kind: 'inserted' });
});

test.serial('appends from many concurrent callers still form one unbroken chain', async (t) => {
  await Promise.all(Array.from({ length: 20 }, (_, i) => appendAudit(null, { action: 'test.concurrent', detail: { i } })));
  const r = await verifyAudit();
  t.true(r.ok, JSON.stringify(r.problem));
  t.is(r.rows, 25);
});

test.serial('new rows carry the id of the first configured key and an HMAC, not a plain SHA-256', async (t) => {
  const key = getConfig().auditKeys[0];
  for (const r of await rows()) {
    t.is(r.keyId, key.id);
    t.not(r.hash, legacyRowHash(r.prevHash, r));
  }
});

test.serial('after a key rotation rows signed by the old key still verify, and the new key signs from then on', async (t) => {
  const old = store.config.auditKeys[0];
  const fresh = { id: 'k-rotated', secret: 'rotated-audit-key-'.padEnd(48, 'r') };
  setConfig({ ...store.config, auditKeys: [fresh, old] });
  await appendAudit(null, { action: 'test.after-rotation' });
  const all = await rows();
  t.deepEqual(all.map((r) => r.keyId), [old.id, old.id, old.id, old.id, old.id, fresh.id]);
  t.like(await verifyAudit(), { ok: true, rows: 6 });
});

test.serial('rows signed by a key that is no longer configured are reported as unverifiable, not as intact', async (t) => {
  const fresh = { id: 'k-only-new', secret: 'only-the-new-audit-key-'.padEnd(48, 'n') };
  setConfig({ ...store.config, auditKeys: [fresh] });
  t.like((await verifyAudit()).problem, { seq: 1, kind: 'unverifiable' });
});

/** An instant as the dialect stores it, to the millisecond (a bare Date replacement loses the milliseconds on MySQL). */
const millis = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', db().getDialect() === 'mysql' ? '' : ' +00:00');

test.serial('an append planned with planAuditAppend and written with plain SQL on its own connection verifies like appendAudit\'s', async (t) => {
  await db().transaction(async (tx) => {
    const [[head]] = (await db().query(`SELECT seq, hash, legacy_seq AS legacySeq, key_id AS keyId, mac FROM audit_head WHERE id = 1${db().getDialect() === 'mysql' ? ' FOR UPDATE' : ''}`, { transaction: tx })) as unknown as [[{ seq: number; hash: string; legacySeq: number; keyId: string; mac: string }]];
    const { row, head: next } = planAuditAppend(head, { username: 'engine' }, { action: 'engine.task.complete', targetType: 'task', targetId: 7 });
    await db().query('INSERT INTO audit_log (seq, at, actor_id, actor_name, org_code, action, target_type, target_id, ip, detail, prev_hash, hash, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', {
      transaction: tx, replacements: [row.seq, millis(row.at), row.actorId, row.actorName, row.orgCode, row.action, row.targetType, row.targetId, row.ip, row.detail, row.prevHash, row.hash, row.keyId],
    });
    await db().query('UPDATE audit_head SET seq = ?, hash = ?, key_id = ?, mac = ? WHERE id = 1', { transaction: tx, replacements: [next.seq, next.hash, next.keyId, next.mac] });
  });
  const v = await verifyAudit();
  t.like(v, { ok: true, rows: 6 }, JSON.stringify(v.problem));
  await appendAudit(null, { action: 'test.after-plain-sql' });
  t.like(await verifyAudit(), { ok: true, rows: 7 });
});

test.serial('planAuditAppend refuses a head whose MAC does not match', (t) => {
  const head = { seq: 5, hash: 'f'.repeat(64), legacySeq: 0, keyId: store.config.auditKeys[0].id, mac: '0'.repeat(64) };
  t.throws(() => planAuditAppend(head, null, { action: 'x' }), { message: 'audit.headRejected' });
  t.throws(() => planAuditAppend(null, null, { action: 'x' }), { message: 'audit.headRejected' });
});

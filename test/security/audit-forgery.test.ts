// Someone with write access to the database rewrites audit rows and recomputes the hashes: with plain SHA-256 (what
// the unkeyed chain allowed), with the cookie secret as HMAC key, or by declaring the whole chain unkeyed. The keyed
// chain names the rewritten row, or the head, and refuses to extend a head it cannot verify.
import test from 'ava';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { govflowCli } from '../helpers/cli.ts';
import { setConfig } from '../../src/config.ts';
import { appendAudit, verifyAudit } from '../../src/audit/service.ts';
import { AuditEntry, AuditHead } from '../../src/audit/models.ts';
import { recomputeChain, resetChain } from '../integration/audit/support.ts';

let store: TestDb;
test.before(async () => {
  store = await freshDb();
});
test.after.always(async () => {
  await store?.cleanup();
});

test.beforeEach(async () => {
  setConfig(store.config);
  await resetChain();
  for (let i = 1; i <= 20; i++) await appendAudit({ id: 1, username: 'canbo.hanoi', orgCode: '01' }, { action: 'user.grant', targetType: 'user', targetId: i, detail: { role: 'officer', org: '01' } });
});

/** Gives row `seq` a new detail, as an intruder covering a grant would. */
const rewrite = (seq: number) => AuditEntry.update({ detail: '{"role":"citizen","org":null}' }, { where: { seq } });

test.serial('an intact keyed chain verifies with govflow audit verify', async (t) => {
  const r = await govflowCli(store, ['audit', 'verify']);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /audit log intact: 20 rows/);
});

test.serial('a row rewritten with every later hash recomputed as plain SHA-256 is reported as altered at that row', async (t) => {
  await rewrite(7);
  await recomputeChain(7, null);
  const r = await govflowCli(store, ['audit', 'verify']);
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /BROKEN at row 7 \(altered\)/);
});

test.serial('a chain rewritten from its first row as unkeyed, with the head declaring it all unkeyed, is reported at the head', async (t) => {
  await rewrite(3);
  await recomputeChain(1, null, { legacySeq: 20 });
  t.like((await verifyAudit()).problem, { seq: 20, kind: 'altered' });
  const r = await govflowCli(store, ['audit', 'verify']);
  t.is(r.code, 1);
  t.regex(r.stdout, /BROKEN at row 20 \(altered\).*head/);
});

test.serial('a rewritten head is never extended, so the next entry cannot launder the forgery', async (t) => {
  await rewrite(3);
  await recomputeChain(1, null, { legacySeq: 20 });
  const before = (await AuditHead.findByPk(1))!.toJSON();
  await t.throwsAsync(appendAudit(null, { action: 'test.after-forgery' }), { message: 'audit.headRejected' });
  t.deepEqual((await AuditHead.findByPk(1))!.toJSON(), before);
  t.is(await AuditEntry.count(), 20);
});

test.serial('rows rehashed with the cookie secret as HMAC key are reported as altered at the first of them', async (t) => {
  await rewrite(12);
  await recomputeChain(12, { id: store.config.auditKeys[0].id, secret: store.config.secret });
  t.like((await verifyAudit()).problem, { seq: 12, kind: 'altered' });
});

test.serial('a row moved to a key id nobody configured is reported at that row, never as intact', async (t) => {
  await AuditEntry.update({ keyId: 'other' }, { where: { seq: 5 } });
  const r = await verifyAudit();
  t.false(r.ok);
  t.like(r.problem, { seq: 5, kind: 'unverifiable' });
});

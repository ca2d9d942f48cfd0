// `govflow audit checkpoint` as an auditor uses it: a signed JSON file kept outside the database, checked with the
// real openssl binary and the exported public key, and `govflow audit verify --checkpoint` telling whether the chain
// still holds it, even after someone holding the audit key truncated or rebuilt history.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Op } from 'sequelize';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { setConfig } from '../../../src/config.ts';
import { appendAudit, verifyAudit } from '../../../src/audit/service.ts';
import { AuditEntry } from '../../../src/audit/models.ts';
import { recomputeChain, resetChain } from './support.ts';

const run = promisify(execFile);

let store: TestDb;
let outDir: string;
test.before(async () => {
  store = await freshDb();
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-checkpoint-'));
});
test.after.always(async () => {
  await store?.cleanup();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});
test.beforeEach(async () => {
  setConfig(store.config);
  await resetChain();
  for (let i = 1; i <= 10; i++) await appendAudit({ username: 'lanhdao.hanoi', orgCode: '01' }, { action: 'report.approve', targetType: 'report', targetId: i });
});

const govflow = (...args: string[]) => govflowCli(store, args);

/** Runs `openssl pkeyutl -verify` on a file and its signature; true when openssl says the signature is good. */
async function opensslVerifies(publicKeyFile: string, file: string): Promise<boolean> {
  try {
    const r = await run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', publicKeyFile, '-rawin', '-in', file, '-sigfile', `${file}.sig`]);
    return /Signature Verified Successfully/.test(r.stdout);
  } catch {
    return false;
  }
}

/** Takes a checkpoint into a new file and returns its path. */
async function checkpoint(t: { is(a: unknown, b: unknown, m?: string): void }, name: string): Promise<string> {
  const file = path.join(outDir, `${name}.json`);
  const r = await govflow('audit', 'checkpoint', '--out', file);
  t.is(r.code, 0, r.stdout + r.stderr);
  return file;
}

test.serial('audit checkpoint writes the last row, its hash, the count, the Vietnam time and the key id, signed so openssl verifies it', async (t) => {
  const file = await checkpoint(t, 'plain');
  const cp = JSON.parse(fs.readFileSync(file, 'utf8'));
  const last = (await AuditEntry.findOne({ order: [['seq', 'DESC']] }))!;
  t.like(cp, { type: 'govflow-audit-checkpoint', version: 1, lastSeq: 10, lastId: Number(last.id), lastHash: last.hash, count: 10, keyId: store.config.auditKeys[0].id });
  t.regex(cp.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
  t.is(fs.statSync(`${file}.sig`).size, 64);
  const pub = await govflow('audit', 'checkpoint', '--public-key');
  t.is(pub.code, 0, pub.stderr);
  t.regex(pub.stdout, /^-----BEGIN PUBLIC KEY-----\n/);
  const pubFile = path.join(outDir, 'checkpoint.pub.pem');
  fs.writeFileSync(pubFile, pub.stdout);
  const der = crypto.createPublicKey(pub.stdout).export({ type: 'spki', format: 'der' });
  t.is(cp.signer, crypto.createHash('sha256').update(der).digest('hex'));
  t.true(await opensslVerifies(pubFile, file));
  // One changed byte and openssl refuses it, as does govflow.
  const forged = path.join(outDir, 'forged.json');
  fs.writeFileSync(forged, fs.readFileSync(file, 'utf8').replace('"count": 10', '"count": 11'));
  fs.copyFileSync(`${file}.sig`, `${forged}.sig`);
  t.false(await opensslVerifies(pubFile, forged));
  const r = await govflow('audit', 'verify', '--checkpoint', forged);
  t.is(r.code, 1);
  t.regex(r.stdout, /checkpoint FAILED: the signature does not match/);
});

test.serial('audit verify --checkpoint exits 0 while the chain still holds the checkpoint, also after later appends', async (t) => {
  const file = await checkpoint(t, 'holds');
  for (let i = 0; i < 3; i++) await appendAudit(null, { action: 'report.submit' });
  const r = await govflow('audit', 'verify', '--checkpoint', file);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /checkpoint holds: row 10 .* audit log intact: 13 rows/);
});

test.serial('a chain truncated before the checkpoint and re-signed with the audit key verifies alone but fails against the checkpoint', async (t) => {
  const file = await checkpoint(t, 'truncated');
  // An insider holding AUDIT_KEYS drops rows 7–10 and moves the head back with a valid MAC.
  await AuditEntry.destroy({ where: { seq: { [Op.gte]: 7 } } });
  await recomputeChain(7, store.config.auditKeys[0]);
  t.true((await verifyAudit()).ok, 'the shortened chain is consistent in itself');
  const r = await govflow('audit', 'verify', '--checkpoint', file);
  t.is(r.code, 1);
  t.regex(r.stdout, /checkpoint FAILED: row 10 of the checkpoint is no longer in the chain .*truncated/);
});

test.serial('history rewritten before the checkpoint and re-signed with the audit key fails against the checkpoint', async (t) => {
  const file = await checkpoint(t, 'rewritten');
  await AuditEntry.update({ targetId: '999' }, { where: { seq: 4 } });
  await recomputeChain(4, store.config.auditKeys[0]);
  t.true((await verifyAudit()).ok);
  const r = await govflow('audit', 'verify', '--checkpoint', file);
  t.is(r.code, 1);
  t.regex(r.stdout, /checkpoint FAILED: row 10 no longer has the checkpoint's id and hash: history up to it was rewritten/);
});

test.serial('a checkpoint checked against another public key fails', async (t) => {
  const file = await checkpoint(t, 'otherkey');
  const other = path.join(outDir, 'other.pub.pem');
  fs.writeFileSync(other, crypto.generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  const r = await govflow('audit', 'verify', '--checkpoint', file, '--public-key', other);
  t.is(r.code, 1);
  t.regex(r.stdout, /signature does not match/);
});

test.serial('no checkpoint is written of a chain that is already broken', async (t) => {
  await AuditEntry.update({ targetId: '999' }, { where: { seq: 4 } });
  const file = path.join(outDir, 'broken.json');
  const r = await govflow('audit', 'checkpoint', '--out', file);
  t.is(r.code, 1);
  t.regex(r.stdout, /no checkpoint written: the audit chain is broken at row 4/);
  t.false(fs.existsSync(file));
});

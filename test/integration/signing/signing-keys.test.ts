// Keys and certificates: the development CA with Vietnamese names, issued certificates, uploaded PKCS#12
// files sealed in the database and opened only with their PIN, expired and revoked certificates.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { createUser } from '../../../src/auth/service.ts';
import { AuditEntry } from '../../../src/audit/models.ts';
import { SigningCertificate, Signature } from '../../../src/signing/models.ts';
import { issueUserCertificate, revokeUserCertificate, signData, uploadPkcs12, verifyData } from '../../../src/signing/service.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { User } from '../../../src/auth/models.ts';
import { setupCa, pkcs12For, sh, tempDir, CA_NAME } from '../../helpers/signing.ts';
import { AppError } from '../../../src/errors.ts';

let db: TestDb;
let rootPem: string;

test.before(async () => {
  db = await freshDb();
  rootPem = await setupCa();
  for (const u of ['lanh', 'hoa', 'cu', 'thu']) await createUser({ username: u, fullName: `Lãnh đạo ${u}`, password: 'TestPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
});
test.after.always(async () => {
  await db?.cleanup();
});

const code = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e: unknown) => e);
  return err instanceof AppError ? err.code : err;
};

test('the development CA keeps its Vietnamese names as UTF-8 and its root is trusted', async (t) => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'root.pem'), rootPem);
  const r = await sh('openssl', ['x509', '-in', path.join(dir, 'root.pem'), '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus']);
  t.true(r.stdout.includes(`CN=${CA_NAME}`), r.stdout);
  t.true(fs.readFileSync(path.join(db.config.signingTrustDir, 'govflow-dev-root.pem'), 'utf8').includes('BEGIN CERTIFICATE'));
  // The CA's private keys are stored sealed, never as PEM.
  for (const f of fs.readdirSync(path.join(db.dataDir, 'signing', 'ca'))) t.false(fs.readFileSync(path.join(db.dataDir, 'signing', 'ca', f), 'utf8').includes('PRIVATE KEY'), f);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an issued certificate signs without a PIN and the signature is recorded and audited', async (t) => {
  await issueUserCertificate('lanh', null);
  const r = await signData({ username: 'lanh' }, { b: 2, a: 'Hà Nội' }, { label: 'test' });
  t.is(r.canonical, '{"a":"Hà Nội","b":2}');
  t.regex(r.signature.signedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
  const row = await Signature.findOne({ where: { publicId: r.signature.id } });
  t.is(row!.contentHash, r.signature.contentHash);
  t.is(row!.certFingerprint.length, 64);
  const audit = await AuditEntry.findOne({ where: { action: 'signing.signData', targetId: r.signature.id } });
  t.truthy(audit);
  t.true((await verifyData(Buffer.from(r.canonical), r.cms)).isValid);
});

test('an uploaded PKCS#12 is stored sealed and signs only with its PIN', async (t) => {
  const user = await User.findOne({ where: { username: 'hoa' } });
  const viewer = await loadViewer(user!);
  const { p12, identity } = pkcs12For('Trần Thị Hoa', '246810');
  t.is(await code(uploadPkcs12(viewer, p12, '000000')), 'signing.wrongPin');
  const c = await uploadPkcs12(viewer, p12, '246810');
  t.true(c.needsPin);
  const row = await SigningCertificate.findByPk(c.id);
  const keyB64 = identity.keyPem.replace(/-----[^-]+-----|\s/g, '').slice(0, 40);
  t.false(row!.sealed.includes(p12.toString('base64').slice(0, 40)), 'not the raw file');
  t.false(row!.sealed.includes(keyB64), 'not the raw key');
  t.is(await code(signData({ username: 'hoa' }, { x: 1 })), 'signing.pinRequired');
  t.is(await code(signData({ username: 'hoa', pin: '135790' }, { x: 1 })), 'signing.wrongPin');
  const ok = await signData({ username: 'hoa', pin: '246810' }, { x: 1 });
  t.is(ok.signature.signerName, 'Trần Thị Hoa');
});

test('an expired certificate cannot sign, nor be uploaded', async (t) => {
  await issueUserCertificate('cu', null, { notBefore: new Date(Date.now() - 400 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
  t.is(await code(signData({ username: 'cu' }, { x: 1 })), 'signing.certificateExpired');
  const viewer = await loadViewer((await User.findOne({ where: { username: 'cu' } }))!);
  const old = pkcs12For('Người Cũ', '1111', { notBefore: new Date(Date.now() - 400 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
  t.is(await code(uploadPkcs12(viewer, old.p12, '1111')), 'signing.certificateExpired');
});

test('a certificate revoked by a CRL in the trust folder cannot sign and its earlier signatures are no longer trusted', async (t) => {
  await issueUserCertificate('thu', null);
  const before = await signData({ username: 'thu' }, { v: 1 });
  await revokeUserCertificate('thu', null);
  t.true(fs.readdirSync(db.config.signingTrustDir).some((f) => f.endsWith('.crl')));
  t.is(await code(signData({ username: 'thu' }, { v: 2 })), 'signing.certificateRevoked');
  const check = await verifyData(Buffer.from(before.canonical), before.cms);
  t.false(check.isValid);
  t.true(check.signatures[0].isRevoked);
  t.true(check.signatures[0].isIntact);
});

// Data signatures from the CLI: a detached CMS over the RFC 8785 canonical JSON that openssl accepts
// against the root, and that neither openssl nor `govflow verify` accept after one value changes.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { createUser } from '../../../src/auth/service.ts';
import { issueUserCertificate } from '../../../src/signing/service.ts';
import { setupCa, sh, tempDir } from '../../helpers/signing.ts';

let db: TestDb;
let dir: string;
let rootFile: string;

test.before(async () => {
  db = await freshDb();
  dir = tempDir();
  await setupCa();
  await createUser({ username: 'lanh', fullName: 'Nguyễn Văn Lãnh', password: 'TestPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
  await issueUserCertificate('lanh', null);
  const root = await govflowCli(db, ['ca', 'root']);
  rootFile = path.join(dir, 'root.pem');
  fs.writeFileSync(rootFile, root.stdout);
});
test.after.always(async () => {
  await db?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

const opensslVerify = (sig: string, data: string) => sh('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-CAfile', rootFile, '-out', '/dev/null']);

test('sign data writes a detached DER signature over the canonical JSON that openssl verifies', async (t) => {
  const input = path.join(dir, 'values.json');
  fs.writeFileSync(input, JSON.stringify({ tong: 1250.5, donVi: 'Sở Tài chính Hà Nội', chiTieu: [{ ma: 'CT01', giaTri: 1e21 }] }, null, 2));
  const r = await govflowCli(db, ['sign', 'data', input, path.join(dir, 'values.p7s'), '--user', 'lanh']);
  t.is(r.code, 0, r.stderr);
  t.is(fs.readFileSync(path.join(dir, 'values.p7s.json'), 'utf8'), '{"chiTieu":[{"giaTri":1e+21,"ma":"CT01"}],"donVi":"Sở Tài chính Hà Nội","tong":1250.5}');
  const o = await opensslVerify(path.join(dir, 'values.p7s'), path.join(dir, 'values.p7s.json'));
  t.is(o.code, 0, o.stderr);
  t.regex(o.stderr, /Verification successful/);
  const v = await govflowCli(db, ['verify', path.join(dir, 'values.p7s')]);
  t.is(v.code, 0, v.stdout + v.stderr);
  t.regex(v.stdout, /VALID[\s\S]*Nguyễn Văn Lãnh/);
  // The original, non-canonical file holds the same values and verifies too.
  t.is((await govflowCli(db, ['verify', path.join(dir, 'values.p7s'), '--data', input])).code, 0);
});

test('one changed value breaks the signature for openssl and for govflow verify', async (t) => {
  const input = path.join(dir, 'one.json');
  fs.writeFileSync(input, JSON.stringify({ soLieu: 100, ghiChu: 'Đúng' }));
  t.is((await govflowCli(db, ['sign', 'data', input, path.join(dir, 'one.p7s'), '--user', 'lanh'])).code, 0);
  const changed = path.join(dir, 'one-changed.json');
  fs.writeFileSync(changed, fs.readFileSync(path.join(dir, 'one.p7s.json'), 'utf8').replace('100', '101'));
  const o = await opensslVerify(path.join(dir, 'one.p7s'), changed);
  t.not(o.code, 0);
  const v = await govflowCli(db, ['verify', path.join(dir, 'one.p7s'), '--data', changed]);
  t.is(v.code, 1);
  t.regex(v.stdout, /INVALID \(broken\)/);
});

test('a signature from a CA that is not in the trust folder is reported untrusted and exits 1', async (t) => {
  const input = path.join(dir, 'trust.json');
  fs.writeFileSync(input, '{"a":1}');
  t.is((await govflowCli(db, ['sign', 'data', input, path.join(dir, 'trust.p7s'), '--user', 'lanh'])).code, 0);
  const other = tempDir('govflow-trust-');
  const v = await govflowCli(db, ['verify', path.join(dir, 'trust.p7s')], { SIGNING_TRUST_DIR: other });
  t.is(v.code, 1);
  t.regex(v.stdout, /trusted: NO/);
  t.regex(v.stdout, /intact:  yes/);
  fs.rmSync(other, { recursive: true, force: true });
});

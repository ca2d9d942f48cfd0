// A deployment that trusts another CA through SIGNING_TRUST_DIR (here a stand-in for the Government's
// specialised CA, with an intermediate that publishes the CRL): its certificates sign and verify as
// trusted, the demo CA's do not, and its intermediate's CRL revokes.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { createUser, loadViewer } from '../../../src/auth/service.ts';
import { User } from '../../../src/auth/models.ts';
import { signData, uploadPkcs12, verifyData } from '../../../src/signing/service.ts';
import { issueCertificate, makeCrl, makePkcs12, certFacts } from '../../../src/signing/pki.ts';
import { AppError } from '../../../src/errors.ts';
import { tempDir, setupCa, pkcs12For } from '../../helpers/signing.ts';

let db: TestDb;
let trustDir: string;
const year = 365 * 86400_000;
const govRoot = issueCertificate({ subject: { commonName: 'Cơ quan chứng thực gốc Chính phủ (thử nghiệm)', organization: 'Ban Cơ yếu Chính phủ' }, issuer: null, isCa: true, notAfter: new Date(Date.now() + 10 * year) });
const govSub = issueCertificate({ subject: { commonName: 'CA phục vụ các cơ quan Đảng, Nhà nước (thử nghiệm)', organization: 'Ban Cơ yếu Chính phủ' }, issuer: govRoot, isCa: true, pathLen: 0, notAfter: new Date(Date.now() + 5 * year) });
const person = (name: string) => {
  const c = issueCertificate({ subject: { commonName: name, title: 'Thứ trưởng' }, issuer: govSub, isCa: false, notAfter: new Date(Date.now() + year) });
  return { ...c, chainPems: [govSub.certPem] };
};

test.before(async () => {
  trustDir = tempDir('govflow-gov-trust-');
  fs.writeFileSync(path.join(trustDir, 'gov-root.crt'), govRoot.certPem);
  db = await freshDb({ SIGNING_TRUST_DIR: trustDir });
  for (const u of ['gov.a', 'gov.b', 'demo.c']) await createUser({ username: u, fullName: `Người ký ${u}`, password: 'TestPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
});
test.after.always(async () => {
  await db?.cleanup();
  fs.rmSync(trustDir, { recursive: true, force: true });
});

const viewerOf = async (username: string) => loadViewer((await User.findOne({ where: { username } }))!);

test.serial('a certificate of the trusted CA is accepted, signs and verifies as trusted', async (t) => {
  const id = person('Nguyễn Chí Dũng');
  await uploadPkcs12(await viewerOf('gov.a'), makePkcs12(id, '4321'), '4321');
  const r = await signData({ username: 'gov.a', pin: '4321' }, { vanBan: 'Quyết định 12' });
  const v = await verifyData(Buffer.from(r.canonical), r.cms);
  t.true(v.isValid);
  t.is(v.signatures[0].chain.at(-1)!.subject, certFacts(govRoot.certPem).subject);
});

test.serial('the demo CA is not trusted when the trust folder holds only the other CA', async (t) => {
  // The demo CA exists (ca init also drops its root into the folder), so take that root out again.
  await setupCa();
  fs.rmSync(path.join(trustDir, 'govflow-dev-root.pem'));
  const err = await uploadPkcs12(await viewerOf('demo.c'), pkcs12For('Demo', '1').p12, '1').catch((e: unknown) => e);
  t.is((err as AppError).code, 'signing.untrustedCertificate');
});

test.serial('a CRL published by the intermediate in the trust folder revokes its certificate', async (t) => {
  const id = person('Lê Văn Thu Hồi');
  await uploadPkcs12(await viewerOf('gov.b'), makePkcs12(id, '8765'), '8765');
  const before = await signData({ username: 'gov.b', pin: '8765' }, { a: 1 });
  fs.writeFileSync(path.join(trustDir, 'gov-sub.crl'), await makeCrl(govSub, [certFacts(id.certPem).serial]));
  const err = await signData({ username: 'gov.b', pin: '8765' }, { a: 2 }).catch((e: unknown) => e);
  t.is((err as AppError).code, 'signing.certificateRevoked');
  const v = await verifyData(Buffer.from(before.canonical), before.cms);
  t.true(v.signatures[0].isRevoked);
  t.false(v.isValid);
  // A CRL that the intermediate did not sign revokes nothing.
  const forger = issueCertificate({ subject: { commonName: 'CA phục vụ các cơ quan Đảng, Nhà nước (thử nghiệm)', organization: 'Ban Cơ yếu Chính phủ' }, issuer: null, isCa: true, notAfter: new Date(Date.now() + year) });
  const other = person('Trần Văn Khác');
  fs.writeFileSync(path.join(trustDir, 'forged.crl'), await makeCrl(forger, [certFacts(other.certPem).serial]));
  await uploadPkcs12(await viewerOf('gov.a'), makePkcs12(other, '1357'), '1357');
  t.is((await signData({ username: 'gov.a', pin: '1357' }, { b: 1 })).signature.signerName, 'Trần Văn Khác');
});

// PDF signatures: pdfsig (poppler, with a temporary NSS database trusting the root) reports the signature
// valid and the document whole; one changed byte breaks it for pdfsig and for govflow.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { createUser } from '../../../src/auth/service.ts';
import { issueUserCertificate, prepareStamp, signPdf, verifyPdf } from '../../../src/signing/service.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { setupCa, nssDbTrusting, pdfsig, samplePdf, sh, tamper, tempDir } from '../../helpers/signing.ts';

let db: TestDb;
let dir: string;
let nss: string;
let signed: Buffer;
let stampUrl: string;

test.before(async () => {
  db = await freshDb();
  dir = tempDir();
  const rootPem = await setupCa();
  nss = await nssDbTrusting(rootPem);
  await createUser({ username: 'lanh', fullName: 'Nguyễn Văn Lãnh', password: 'TestPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
  await issueUserCertificate('lanh', null);
  const stamp = await prepareStamp({ username: 'lanh' });
  stampUrl = stamp.verifyUrl;
  const r = await signPdf({ username: 'lanh' }, await samplePdf(undefined, stamp), { stamp, label: 'bao-cao.pdf' });
  t0(r.signature.id === stamp.publicId);
  signed = r.pdf;
  fs.writeFileSync(path.join(dir, 'signed.pdf'), signed);
});
test.after.always(async () => {
  await db?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(nss, { recursive: true, force: true });
});

function t0(ok: boolean): void {
  if (!ok) throw new Error('the signature does not take the stamp id');
}

test('pdfsig reports the signature valid, the certificate trusted and the whole document signed', async (t) => {
  const out = await pdfsig(nss, path.join(dir, 'signed.pdf'));
  t.regex(out, /Signer Certificate Common Name: Nguyễn Văn Lãnh/);
  t.regex(out, /Signature Validation: Signature is Valid/);
  t.regex(out, /Certificate Validation: Certificate is Trusted/);
  t.regex(out, /Total document signed/);
});

test('the signature block shows the signer, the title, the Vietnam time and the verify link', async (t) => {
  const text = (await sh('pdftotext', [path.join(dir, 'signed.pdf'), '-'])).stdout.normalize('NFC');
  t.true(text.includes('ĐÃ KÝ SỐ BỞI'), text);
  t.true(text.includes('Nguyễn Văn Lãnh'));
  t.true(text.includes('Lãnh đạo'));
  t.regex(text, /Thời gian: \d{2}\/\d{2}\/\d{4} \d{2}:\d{2} \(giờ\s+Việt\s+Nam\)/);
  // pdftotext drops the hyphen where the link wraps.
  t.true(text.replace(/[\s-]+/g, '').includes(stampUrl.replace(/-/g, '')));
  // The QR code is the one image on the page.
  const images = (await sh('pdfimages', ['-list', path.join(dir, 'signed.pdf')])).stdout.trim().split('\n').slice(2).filter((l) => l.trim().split(/\s+/)[2] === 'image');
  t.is(images.length, 1);
});

test('govflow verifies the signed PDF and links it to its record', async (t) => {
  const r = await verifyPdf(signed);
  t.true(r.isValid);
  t.is(r.signatures[0].signer!.name, 'Nguyễn Văn Lãnh');
  t.is(r.signatures[0].chain.length, 3);
  t.is(r.signatures[0].record!.verifyUrl, stampUrl);
});

test('one changed byte breaks the signature for pdfsig and for govflow', async (t) => {
  const bad = tamper(signed);
  fs.writeFileSync(path.join(dir, 'bad.pdf'), bad);
  const out = await pdfsig(nss, path.join(dir, 'bad.pdf'));
  t.notRegex(out, /Signature is Valid/);
  const r = await verifyPdf(bad);
  t.false(r.isValid);
  t.false(r.signatures[0].isIntact);
  t.is(r.signatures[0].problem, 'broken');
});

test('content appended after the signature is reported', async (t) => {
  const r = await verifyPdf(Buffer.concat([signed, Buffer.from('\n% appended\n')]));
  t.false(r.isValid);
  t.is(r.signatures[0].problem, 'modifiedAfter');
});

test('a PDF without a signature is not valid', async (t) => {
  const r = await verifyPdf(await samplePdf('Không ký'));
  t.false(r.isValid);
  t.is(r.signatures.length, 0);
});

test('govflow sign pdf signs a file as a user, and govflow verify exits 0 on it and 1 on a changed copy', async (t) => {
  fs.writeFileSync(path.join(dir, 'in.pdf'), await samplePdf('Công văn số 12/VPCP'));
  const s = await govflowCli(db, ['sign', 'pdf', path.join(dir, 'in.pdf'), path.join(dir, 'out.pdf'), '--user', 'lanh']);
  t.is(s.code, 0, s.stderr);
  t.regex(await pdfsig(nss, path.join(dir, 'out.pdf')), /Signature is Valid/);
  const ok = await govflowCli(db, ['verify', path.join(dir, 'out.pdf')]);
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  fs.writeFileSync(path.join(dir, 'out-bad.pdf'), tamper(fs.readFileSync(path.join(dir, 'out.pdf'))));
  const bad = await govflowCli(db, ['verify', path.join(dir, 'out-bad.pdf')]);
  t.is(bad.code, 1);
  t.regex(bad.stdout, /INVALID \(broken\)/);
});

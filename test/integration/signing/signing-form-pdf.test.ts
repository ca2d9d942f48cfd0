// A report form's own PDF, rendered on the render worker with the signature about to be applied, carries
// the signature block in the signer's place; pdfsig accepts the signature over it.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { createUser } from '../../../src/auth/service.ts';
import { issueUserCertificate, prepareStamp, signPdf } from '../../../src/signing/service.ts';
import { loadShippedForms } from '../../../src/forms/shipped.ts';
import { formPdf, stopRenderWorker } from '../../../src/forms/render-pool.ts';
import { setupCa, nssDbTrusting, pdfsig, sh, tempDir } from '../../helpers/signing.ts';

let db: TestDb;
let dir: string;
let nss: string;

test.before(async () => {
  db = await freshDb();
  dir = tempDir();
  nss = await nssDbTrusting(await setupCa());
  await createUser({ username: 'lanhdao.tinh', fullName: 'Trần Thị Lãnh Đạo', password: 'TestPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
  await issueUserCertificate('lanhdao.tinh', null);
});
test.after.always(async () => {
  await stopRenderWorker();
  await db?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(nss, { recursive: true, force: true });
});

test('the monthly report PDF shows the digital signature in its signer block and pdfsig finds it valid', async (t) => {
  const def = loadShippedForms().find((d) => d.key === 'kt-xh-thang')!;
  const stamp = await prepareStamp({ username: 'lanhdao.tinh' });
  const pdf = await formPdf(def, { signature: stamp, signerName: 'Trần Thị Lãnh Đạo', place: 'Hà Nội', date: stamp.signingTime });
  const { pdf: signed, signature } = await signPdf({ username: 'lanhdao.tinh' }, pdf, { stamp, label: 'kt-xh-thang.pdf' });
  t.is(signature.id, stamp.publicId);
  const file = path.join(dir, 'signed.pdf');
  fs.writeFileSync(file, signed);
  const out = await pdfsig(nss, file);
  t.regex(out, /Signer Certificate Common Name: Trần Thị Lãnh Đạo/);
  t.regex(out, /Signature Validation: Signature is Valid/);
  t.regex(out, /Total document signed/);
  const text = (await sh('pdftotext', [file, '-'])).stdout.normalize('NFC');
  t.true(text.includes('ĐÃ KÝ SỐ BỞI'), text);
  t.true(text.includes('Trần Thị Lãnh Đạo'));
  t.true(text.replace(/[\s-]+/g, '').includes(stamp.verifyUrl.replace(/-/g, '')));
  // Without a signature the block keeps its hint for a seal and no QR code is drawn.
  const plain = await formPdf(def, { signerName: 'Trần Thị Lãnh Đạo' });
  fs.writeFileSync(path.join(dir, 'plain.pdf'), plain);
  t.false((await sh('pdftotext', [path.join(dir, 'plain.pdf'), '-'])).stdout.normalize('NFC').includes('ĐÃ KÝ SỐ BỞI'));
});

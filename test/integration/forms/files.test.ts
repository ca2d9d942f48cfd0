import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

let app: TestApp;
let designer: Session;
let officerHn: Session;
let officerHcm: Session;
let citizen: Session;

interface Part { name: string; filename: string; type: string; data: Buffer }

function multipart(fields: Record<string, string>, files: Part[]) {
  const boundary = '----govflowtest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`), f.data, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const pdf = Buffer.from('%PDF-1.4\n% giấy tờ thử\n%%EOF\n');
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const uploads = () => path.join(app.db.dataDir, 'uploads');
const stored = () => (fs.existsSync(uploads()) ? fs.readdirSync(uploads()).sort() : []);

function dossierForm(): FormDefinition {
  return {
    key: 'ho-so-thu', code: 'Mẫu HS', name: 'Hồ sơ đề nghị', periodKind: 'adhoc',
    sections: [{ id: 's1', title: 'Thành phần hồ sơ', fields: [
      { id: 'nguoiNop', label: 'Người nộp', type: 'text' },
      { id: 'giayTo', label: 'Giấy tờ kèm theo', type: 'file', required: true },
      { id: 'anh', label: 'Ảnh chân dung', type: 'file', accept: ['png'], maxBytes: 1000 },
    ] }],
  };
}

test.before(async () => {
  app = await startApp();
  await makeUser('designer', null, { username: 'thietke.tep' });
  await makeUser('officer', '01', { username: 'canbo.tep.hn' });
  await makeUser('officer', '79', { username: 'canbo.tep.hcm' });
  await makeUser('citizen', null, { username: 'congdan.tep' });
  designer = await login(app.server, 'thietke.tep');
  officerHn = await login(app.server, 'canbo.tep.hn');
  officerHcm = await login(app.server, 'canbo.tep.hcm');
  citizen = await login(app.server, 'congdan.tep');
  if ((await call(app.server, designer, 'POST', '/api/forms', dossierForm())).statusCode !== 201) throw new Error('create failed');
  if ((await call(app.server, designer, 'POST', '/api/forms/ho-so-thu/publish')).statusCode !== 200) throw new Error('publish failed');
});
test.after.always(async () => {
  await app?.close();
});

test.serial('a file uploaded on the data-entry page is stored by its sha256 and saved as {sha256, name, size, type}', async (t) => {
  const page = await call(app.server, officerHn, 'GET', '/forms/ho-so-thu/fill?period=hs-001');
  t.true(page.payload.includes('enctype="multipart/form-data"'));
  t.true(page.payload.includes('type="file" accept=".pdf,.docx,.xlsx,.png,.jpg,.jpeg"'));
  const body = multipart({ crumb: officerHn.crumb, period: 'hs-001', action: 'draft', nguoiNop: 'Trần Thị Bình' }, [
    { name: 'giayTo', filename: 'Đơn đề nghị.pdf', type: 'application/pdf', data: pdf },
    { name: 'anh', filename: '', type: 'application/octet-stream', data: Buffer.alloc(0) },
  ]);
  const res = await call(app.server, officerHn, 'POST', '/forms/ho-so-thu/fill', body.payload, body.headers);
  t.is(res.statusCode, 302);
  t.deepEqual(stored(), [sha(pdf)]);
  t.deepEqual(fs.readFileSync(path.join(uploads(), sha(pdf))), pdf);
  const api = json(await call(app.server, officerHn, 'GET', '/api/forms/ho-so-thu/submissions/hs-001'));
  t.deepEqual(api.values.giayTo, { sha256: sha(pdf), name: 'Đơn đề nghị.pdf', size: pdf.length, type: 'application/pdf' });
  t.is(api.values.nguoiNop, 'Trần Thị Bình');
  // Saving again without choosing a file keeps the saved one.
  const again = multipart({ crumb: officerHn.crumb, period: 'hs-001', action: 'draft', nguoiNop: 'Trần Thị Bình' }, [{ name: 'giayTo', filename: '', type: 'application/octet-stream', data: Buffer.alloc(0) }]);
  t.is((await call(app.server, officerHn, 'POST', '/forms/ho-so-thu/fill', again.payload, again.headers)).statusCode, 302);
  const after = await call(app.server, officerHn, 'GET', '/forms/ho-so-thu/fill?period=hs-001');
  t.true(after.payload.includes('href="/forms/ho-so-thu/fill/files/giayTo?period=hs-001"'));
});

test.serial('the file downloads for the unit that saved it and not for another unit or a citizen', async (t) => {
  const ok = await call(app.server, officerHn, 'GET', '/forms/ho-so-thu/fill/files/giayTo?period=hs-001');
  t.is(ok.statusCode, 200);
  t.deepEqual(ok.rawPayload, pdf);
  t.is(ok.headers['content-type'], 'application/pdf');
  t.regex(String(ok.headers['content-disposition']), /filename\*=UTF-8''%C4%90%C6%A1n/);
  const api = await call(app.server, officerHn, 'GET', '/api/forms/ho-so-thu/submissions/hs-001/files/giayTo');
  t.deepEqual(api.rawPayload, pdf);
  t.is((await call(app.server, officerHcm, 'GET', '/forms/ho-so-thu/fill/files/giayTo?period=hs-001')).statusCode, 404);
  t.is((await call(app.server, officerHcm, 'GET', '/api/forms/ho-so-thu/submissions/hs-001/files/giayTo')).statusCode, 404);
  t.is((await call(app.server, citizen, 'GET', '/forms/ho-so-thu/fill/files/giayTo?period=hs-001')).statusCode, 403);
  t.is((await call(app.server, citizen, 'GET', '/api/forms/ho-so-thu/submissions/hs-001/files/giayTo')).statusCode, 403);
});

test.serial('the API takes an upload into a file field', async (t) => {
  const body = multipart({}, [{ name: 'file', filename: 'anh.png', type: 'image/png', data: png }]);
  const res = await call(app.server, officerHn, 'POST', '/api/forms/ho-so-thu/submissions/hs-001/files/anh', body.payload, body.headers);
  t.is(res.statusCode, 200);
  t.deepEqual(json(res).file, { sha256: sha(png), name: 'anh.png', size: png.length, type: 'image/png' });
  t.is(json(res).values.giayTo.sha256, sha(pdf));
  t.deepEqual(stored(), [sha(pdf), sha(png)].sort());
});

test.serial('a file of a wrong type is refused with a 400 and a file too large with a 413, in Vietnamese, and nothing is saved', async (t) => {
  const before = json(await call(app.server, officerHn, 'GET', '/api/forms/ho-so-thu/submissions/hs-001')).values;
  const files = stored();
  const exe = multipart({}, [{ name: 'file', filename: 'virus.exe', type: 'application/octet-stream', data: Buffer.from('MZ') }]);
  const badType = await call(app.server, officerHn, 'POST', '/api/forms/ho-so-thu/submissions/hs-001/files/giayTo', exe.payload, exe.headers);
  t.is(badType.statusCode, 400);
  t.is(json(badType).message, 'Giấy tờ kèm theo: tệp "virus.exe" không đúng loại cho phép (pdf, docx, xlsx, png, jpg, jpeg)');
  const pdfAsPhoto = multipart({}, [{ name: 'file', filename: 'anh.pdf', type: 'application/pdf', data: pdf }]);
  t.is((await call(app.server, officerHn, 'POST', '/api/forms/ho-so-thu/submissions/hs-001/files/anh', pdfAsPhoto.payload, pdfAsPhoto.headers)).statusCode, 400);
  const big = multipart({}, [{ name: 'file', filename: 'anh-lon.png', type: 'image/png', data: Buffer.concat([png, Buffer.alloc(2000, 7)]) }]);
  const tooBig = await call(app.server, officerHn, 'POST', '/api/forms/ho-so-thu/submissions/hs-001/files/anh', big.payload, big.headers);
  t.is(tooBig.statusCode, 413);
  t.is(json(tooBig).message, 'Ảnh chân dung: tệp "anh-lon.png" vượt quá dung lượng cho phép 1 KB');
  // On the page: the good file of the same post is not stored either.
  const mixed = multipart({ crumb: officerHn.crumb, period: 'hs-001', action: 'draft', nguoiNop: 'Người khác' }, [
    { name: 'giayTo', filename: 'mot-giay-to-khac.pdf', type: 'application/pdf', data: Buffer.from('%PDF-1.4 khác') },
    { name: 'anh', filename: 'anh.gif', type: 'image/gif', data: Buffer.from('GIF89a') },
  ]);
  const page = await call(app.server, officerHn, 'POST', '/forms/ho-so-thu/fill', mixed.payload, mixed.headers);
  t.is(page.statusCode, 400);
  t.true(page.payload.includes('Ảnh chân dung: tệp &quot;anh.gif&quot; không đúng loại cho phép (png)'));
  t.deepEqual(json(await call(app.server, officerHn, 'GET', '/api/forms/ho-so-thu/submissions/hs-001')).values, before);
  t.deepEqual(stored(), files);
});

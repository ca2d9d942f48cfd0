// A file value can only name an upload the same unit (or user) made through the upload routes; what is
// served comes from a whitelist and is downloaded unless it is safe to show.
import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../helpers/server.ts';
import { FormUpload } from '../../src/forms/models.ts';
import type { FormDefinition } from '../../src/forms/definition.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

let app: TestApp;
let designer: Session;
let officerHn: Session;
let officerHcm: Session;

interface Part { name: string; filename: string; type: string; data: Buffer }

function multipart(fields: Record<string, string>, files: Part[]) {
  const boundary = '----govflowfiles' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`), f.data, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const pdf = Buffer.from('%PDF-1.4\n% bí mật của Hà Nội\n%%EOF\n');
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(50, 2)]);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const stored = () => {
  const dir = path.join(app.db.dataDir, 'uploads');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};

function dossierForm(): FormDefinition {
  return {
    key: 'ho-so-tep', code: 'HS-T', name: 'Hồ sơ tệp', periodKind: 'adhoc',
    sections: [{ id: 's1', title: 'Hồ sơ', fields: [
      { id: 'nguoiNop', label: 'Người nộp', type: 'text' },
      { id: 'giayTo', label: 'Giấy tờ', type: 'file' },
      { id: 'anh', label: 'Ảnh', type: 'file', accept: ['png'] },
    ] }],
  };
}

async function upload(session: Session, period: string, field: string, part: Omit<Part, 'name'>) {
  const body = multipart({}, [{ name: 'file', ...part }]);
  return call(app.server, session, 'POST', `/api/forms/ho-so-tep/submissions/${period}/files/${field}`, body.payload, body.headers);
}

test.before(async () => {
  app = await startApp();
  await makeUser('designer', null, { username: 'thietke.ft' });
  await makeUser('officer', '01', { username: 'canbo.ft.01' });
  await makeUser('officer', '79', { username: 'canbo.ft.79' });
  designer = await login(app.server, 'thietke.ft');
  officerHn = await login(app.server, 'canbo.ft.01');
  officerHcm = await login(app.server, 'canbo.ft.79');
  if ((await call(app.server, designer, 'POST', '/api/forms', dossierForm())).statusCode !== 201) throw new Error('create failed');
  if ((await call(app.server, designer, 'POST', '/api/forms/ho-so-tep/publish')).statusCode !== 200) throw new Error('publish failed');
});
test.after.always(async () => {
  await app?.close();
});

test.serial('an upload is recorded with its unit, user, size, type and name', async (t) => {
  const res = await upload(officerHn, 'hs-1', 'giayTo', { filename: 'Đơn.pdf', type: 'application/pdf', data: pdf });
  t.is(res.statusCode, 200);
  const rows = await FormUpload.findAll({ where: { sha256: sha(pdf) } });
  t.is(rows.length, 1);
  t.like(rows[0].get({ plain: true }), { formKey: 'ho-so-tep', field: 'giayTo', name: 'Đơn.pdf', size: pdf.length, type: 'application/pdf' });
  t.true(rows[0].orgUnitId > 0);
  t.truthy(rows[0].userId);
});

test.serial("another unit cannot point a file field at a unit's sha256 and so cannot download its bytes", async (t) => {
  const forged = { sha256: sha(pdf), name: 'x.pdf', size: pdf.length, type: 'application/pdf' };
  const res = await call(app.server, officerHcm, 'PUT', '/api/forms/ho-so-tep/submissions/hs-1', { values: { giayTo: forged } });
  t.is(res.statusCode, 422);
  t.is(json(res).code, 'forms.file.unknown');
  const dl = await call(app.server, officerHcm, 'GET', '/api/forms/ho-so-tep/submissions/hs-1/files/giayTo');
  t.is(dl.statusCode, 404);
  t.false(dl.payload.includes('bí mật'));
});

test.serial('a forged content type (with CRLF) is replaced by the whitelisted type of the upload, and the download still works', async (t) => {
  const own = json(await call(app.server, officerHn, 'GET', '/api/forms/ho-so-tep/submissions/hs-1')).values.giayTo;
  const forged = { ...own, type: 'text/html\r\nX-Injected: 1', name: 'trang.html' };
  const res = await call(app.server, officerHn, 'PUT', '/api/forms/ho-so-tep/submissions/hs-1', { values: { giayTo: forged } });
  t.is(res.statusCode, 200);
  t.deepEqual(json(res).values.giayTo, { sha256: sha(pdf), name: 'Đơn.pdf', size: pdf.length, type: 'application/pdf' });
  const dl = await call(app.server, officerHn, 'GET', '/api/forms/ho-so-tep/submissions/hs-1/files/giayTo');
  t.is(dl.statusCode, 200);
  t.is(dl.headers['content-type'], 'application/pdf');
  t.is(dl.headers['x-injected'], undefined);
  t.is(dl.headers['content-disposition'], `attachment; filename="Don.pdf"; filename*=UTF-8''%C4%90%C6%A1n.pdf`);
  t.is(dl.headers['x-content-type-options'], 'nosniff');
});

test.serial('an image is shown inline; other types are downloaded as attachments', async (t) => {
  t.is((await upload(officerHn, 'hs-2', 'anh', { filename: 'anh.png', type: 'image/png', data: png })).statusCode, 200);
  const dl = await call(app.server, officerHn, 'GET', '/forms/ho-so-tep/fill/files/anh?period=hs-2');
  t.is(dl.statusCode, 200);
  t.is(dl.headers['content-type'], 'image/png');
  t.true(String(dl.headers['content-disposition']).startsWith('inline; '));
});

test.serial('bytes that do not match their extension are refused and nothing is stored', async (t) => {
  const before = stored().length;
  const res = await upload(officerHn, 'hs-3', 'giayTo', { filename: 'trang.pdf', type: 'application/pdf', data: Buffer.from('<html><script>alert(1)</script>') });
  t.is(res.statusCode, 400);
  t.is(json(res).code, 'forms.file.badContent');
  t.is(stored().length, before);
});

test.serial('a 0-byte upload is refused on the API and on the page, and nothing is stored', async (t) => {
  const before = stored().length;
  const res = await upload(officerHn, 'hs-4', 'giayTo', { filename: 'rong.pdf', type: 'application/pdf', data: Buffer.alloc(0) });
  t.is(res.statusCode, 400);
  t.is(json(res).code, 'forms.file.empty');
  const page = multipart({ crumb: officerHn.crumb, period: 'hs-4', action: 'draft' }, [{ name: 'giayTo', filename: 'rong.pdf', type: 'application/pdf', data: Buffer.alloc(0) }]);
  t.is((await call(app.server, officerHn, 'POST', '/forms/ho-so-tep/fill', page.payload, page.headers)).statusCode, 400);
  const asJson = await upload(officerHn, 'hs-4', 'giayTo', { filename: 'a.pdf', type: 'application/json', data: Buffer.from('{"a":1}') });
  t.is(asJson.statusCode, 400);
  t.is(stored().length, before);
  t.is(json(await call(app.server, officerHn, 'GET', '/api/forms/ho-so-tep/submissions/hs-4')).status, 'new');
});

test.serial('a definition file sent as application/json is imported', async (t) => {
  const def = { ...dossierForm(), key: 'ho-so-nhap', code: 'HS-N' };
  const body = multipart({ crumb: designer.crumb }, [{ name: 'file', filename: 'ho-so-nhap.json', type: 'application/json', data: Buffer.from(JSON.stringify(def)) }]);
  const res = await call(app.server, designer, 'POST', '/forms/import', body.payload, body.headers);
  t.is(res.statusCode, 302);
  t.is(res.headers.location, '/forms/ho-so-nhap/edit?done=imported');
  t.is(json(await call(app.server, designer, 'GET', '/api/forms/ho-so-nhap')).key, 'ho-so-nhap');
});

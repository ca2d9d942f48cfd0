import test from 'ava';
import ExcelJS from 'exceljs';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { addressesOf } from '../../../src/forms/xlsx.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

let app: TestApp;
let designer: Session;
let officer: Session;
let citizen: Session;

function multipart(fields: Record<string, string>, file: { name: string; filename: string; type: string; data: Buffer }) {
  const boundary = '----govflowtest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

test.before(async () => {
  app = await startApp({ orgs: false });
  await makeUser('designer', null, { username: 'thietke' });
  await makeUser('officer', null, { username: 'canbo' });
  await makeUser('citizen', null, { username: 'congdan' });
  designer = await login(app.server, 'thietke');
  officer = await login(app.server, 'canbo');
  citizen = await login(app.server, 'congdan');
});
test.after.always(async () => {
  await app?.close();
});

test.serial('the form list shows the shipped forms to designers and is refused to citizens', async (t) => {
  const res = await call(app.server, designer, 'GET', '/forms');
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('Biểu số 06a/VPCP/KSTT'));
  t.true(res.payload.includes('Báo cáo tình hình kinh tế - xã hội tháng'));
  t.is((await call(app.server, citizen, 'GET', '/forms')).statusCode, 403);
});

test.serial('the API refuses to publish a definition with a bad reference and lists it', async (t) => {
  const def = smallForm();
  def.sections[1].tables![0].columns[2].formula = 'th / khongCo * 100';
  t.is((await call(app.server, designer, 'POST', '/api/forms', def)).statusCode, 201);
  const res = await call(app.server, designer, 'POST', '/api/forms/bieu-thu/publish');
  t.is(res.statusCode, 422);
  const body = json(res);
  t.is(body.code, 'forms.definition.hasErrors');
  t.true(body.details.some((d: { message: string }) => d.message.includes('"khongCo"') && d.message.includes('th / khongCo * 100')));
  t.is((await call(app.server, officer, 'POST', '/api/forms/bieu-thu/publish')).statusCode, 403);
});

test.serial('a designer saves a fixed draft through the JSON editor and publishes it', async (t) => {
  const save = await call(app.server, designer, 'POST', '/forms/bieu-thu/definition', { json: JSON.stringify(smallForm()) });
  t.is(save.statusCode, 302);
  const pub = await call(app.server, designer, 'POST', '/forms/bieu-thu/publish', {});
  t.is(pub.statusCode, 302);
  const page = await call(app.server, designer, 'GET', pub.headers.location as string);
  t.true(page.payload.includes('Đã ban hành phiên bản 1'));
});

test.serial('an officer fills the form through the page: totals are computed and errors block submission', async (t) => {
  const draft = await call(app.server, officer, 'POST', '/forms/bieu-thu/fill', { period: '2025-02', action: 'draft', nguoiLap: '', 'r02.th': '1.234,5', 'r02.kh': '100', 'r03.th': '20', 'r03.kh': '50' });
  t.is(draft.statusCode, 302);
  const page = await call(app.server, officer, 'GET', '/forms/bieu-thu/fill?period=2025-02');
  t.true(page.payload.includes('1.254,5'));
  const blocked = await call(app.server, officer, 'POST', '/forms/bieu-thu/fill', { period: '2025-02', action: 'submit', nguoiLap: '', 'r02.th': '1.005,5' });
  t.is(blocked.statusCode, 422);
  t.true(blocked.payload.includes('Người lập biểu: bắt buộc nhập'));
  // The numbers typed the Vietnamese way come back as typed, not as errors.
  t.true(blocked.payload.includes('id="in-r02.th" value="1.005,5"'));
  t.true(blocked.payload.includes('id="msg-r02.th" data-msg="r02.th"></span>'));
  const api = await call(app.server, officer, 'GET', '/api/forms/bieu-thu/submissions/2025-02');
  t.is(json(api).status, 'draft');
  t.is(json(api).values.r01.th, 1254.5);
});

test.serial('an uploaded Excel file with a bad cell is refused with the cell named and nothing saved', async (t) => {
  const tpl = await call(app.server, officer, 'GET', '/forms/bieu-thu/template.xlsx');
  t.is(tpl.statusCode, 200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(tpl.rawPayload as unknown as ArrayBuffer);
  const addr = addressesOf(wb);
  const ws = wb.getWorksheet('Biểu')!;
  ws.getCell(addr.get('nguoiLap')!).value = 'Lê Văn Tám';
  ws.getCell(addr.get('r03.th')!).value = '12,5a';
  const bad = multipart({ crumb: officer.crumb, period: '2025-03' }, { name: 'file', filename: 'x.xlsx', type: 'application/octet-stream', data: Buffer.from(await wb.xlsx.writeBuffer()) });
  const res = await call(app.server, officer, 'POST', '/forms/bieu-thu/fill/upload', bad.payload, bad.headers);
  t.is(res.statusCode, 422);
  t.true(res.payload.includes(`Ô ${addr.get('r03.th')} — Chỉ tiêu 03 Giá trị sản xuất: &quot;12,5a&quot; không phải là số`));
  t.is(json(await call(app.server, officer, 'GET', '/api/forms/bieu-thu/submissions/2025-03')).status, 'new');
  ws.getCell(addr.get('r03.th')!).value = '12,5';
  const good = multipart({ crumb: officer.crumb, period: '2025-03' }, { name: 'file', filename: 'x.xlsx', type: 'application/octet-stream', data: Buffer.from(await wb.xlsx.writeBuffer()) });
  t.is((await call(app.server, officer, 'POST', '/forms/bieu-thu/fill/upload', good.payload, good.headers)).statusCode, 302);
  t.is(json(await call(app.server, officer, 'GET', '/api/forms/bieu-thu/submissions/2025-03')).values.r03.th, 12.5);
});

test.serial('the PDF, the definition export and the JSON Schema download', async (t) => {
  const pdf = await call(app.server, officer, 'GET', '/forms/bieu-thu/fill.pdf?period=2025-02');
  t.is(pdf.statusCode, 200);
  t.is(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
  const exported = await call(app.server, designer, 'GET', '/forms/bieu-thu/definition.json?version=1');
  t.is(JSON.parse(exported.payload).key, 'bieu-thu');
  const schema = await call(app.server, officer, 'GET', '/api/forms/bieu-thu/schema');
  t.is(json(schema).$id, 'urn:govflow:form:bieu-thu:1');
});

test.serial('the builder, history and preview pages render for a designer', async (t) => {
  for (const url of ['/forms/kt-xh-thang/edit', '/forms/kt-xh-thang/history', '/forms/kt-xh-thang/preview']) {
    const res = await call(app.server, designer, 'GET', url);
    t.is(res.statusCode, 200, url);
  }
  const preview = await call(app.server, designer, 'GET', '/forms/kt-xh-thang/preview');
  t.true(preview.payload.includes('Vốn đầu tư thực hiện từ nguồn ngân sách Nhà nước'));
});

test.serial('the submission API recomputes on the server, lists blocking errors, and needs the CSRF header', async (t) => {
  const bad = await call(app.server, officer, 'PUT', '/api/forms/bieu-thu/submissions/2025-04', { values: { r02: { th: 'mười', kh: 5 } }, submit: true });
  t.is(bad.statusCode, 422);
  t.deepEqual(json(bad).details.map((d: { message: string }) => d.message).sort(), ['02 Nông nghiệp / Thực hiện kỳ báo cáo: "mười" không phải là số', 'Người lập biểu: bắt buộc nhập']);
  const ok = await call(app.server, officer, 'PUT', '/api/forms/bieu-thu/submissions/2025-04', { values: { nguoiLap: 'Hà', r02: { th: 2, kh: 5 }, r01: { th: 999 } }, submit: true });
  t.is(ok.statusCode, 200);
  t.is(json(ok).status, 'submitted');
  t.deepEqual(json(ok).values.r01, { th: 2, kh: 5, ss: 40 });
  const noCsrf = await app.server.inject({ method: 'PUT', url: '/api/forms/bieu-thu/submissions/2025-05', headers: { cookie: officer.cookie }, payload: { values: {} } });
  t.is(noCsrf.statusCode, 403);
});

test.serial('a new version shows a readable diff in the history', async (t) => {
  t.is((await call(app.server, designer, 'POST', '/forms/bieu-thu/versions', {})).statusCode, 302);
  const def = smallForm();
  def.sections[1].tables![0].rows.push({ id: 'r04', code: '04', name: 'Dịch vụ', parent: 'r01' });
  t.is((await call(app.server, designer, 'PUT', '/api/forms/bieu-thu', def)).statusCode, 200);
  const page = await call(app.server, designer, 'GET', '/forms/bieu-thu/history');
  t.is(page.statusCode, 200);
  t.true(page.payload.includes('Thêm chỉ tiêu &quot;04 Dịch vụ&quot;'));
});

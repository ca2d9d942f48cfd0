import test from 'ava';
import ExcelJS from 'exceljs';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { addressesOf, LISTS_SHEET } from '../../../src/forms/xlsx.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

let app: TestApp;
let designer: Session;
let officer: Session;

function placeForm(catalog = 'communes'): FormDefinition {
  return {
    key: 'noi-cu-tru', code: 'Biểu NCT', name: 'Tờ khai nơi cư trú', periodKind: 'adhoc',
    sections: [{ id: 's1', title: 'Nơi cư trú', fields: [
      { id: 'tinh', label: 'Tỉnh/thành phố', type: 'choice', catalog: 'provinces' },
      { id: 'xa', label: 'Xã/phường', type: 'choice', catalog, required: true },
    ] }],
  };
}

test.before(async () => {
  app = await startApp();
  await makeUser('designer', null, { username: 'thietke.dm' });
  await makeUser('officer', '01', { username: 'canbo.hn' });
  designer = await login(app.server, 'thietke.dm');
  officer = await login(app.server, 'canbo.hn');
});
test.after.always(async () => {
  await app?.close();
});

test.serial('choice fields from the provinces and communes catalogs: publish check, entry page, schema, Excel and validation', async (t) => {
  // An unknown catalog is reported and blocks publishing.
  t.is((await call(app.server, designer, 'POST', '/api/forms', placeForm('khong-co'))).statusCode, 201);
  const refused = await call(app.server, designer, 'POST', '/api/forms/noi-cu-tru/publish');
  t.is(refused.statusCode, 422);
  t.true(json(refused).details.some((d: { message: string }) => d.message === 'Xã/phường: không có danh mục "khong-co"'));
  t.is((await call(app.server, designer, 'PUT', '/api/forms/noi-cu-tru', placeForm())).statusCode, 200);
  t.is((await call(app.server, designer, 'POST', '/api/forms/noi-cu-tru/publish')).statusCode, 200);

  // The entry page of a Hà Nội officer lists the provinces and only Hà Nội's communes.
  const page = await call(app.server, officer, 'GET', '/forms/noi-cu-tru/fill?period=2025-07');
  t.is(page.statusCode, 200);
  t.true(page.payload.includes('<option value="79">'));
  t.true(page.payload.includes('<option value="00004">Phường Ba Đình</option>'));
  t.false(page.payload.includes('value="25747"'));

  const schema = json(await call(app.server, officer, 'GET', '/api/forms/noi-cu-tru/schema'));
  t.is(schema.properties.tinh.enum.length, 35);
  t.true(schema.properties.xa.enum.includes('00004'));
  t.false(schema.properties.xa.enum.includes('25747'));

  const xlsx = await call(app.server, officer, 'GET', '/forms/noi-cu-tru/template.xlsx');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Biểu')!;
  t.regex(String(ws.getCell(addressesOf(wb).get('xa')!).dataValidation.formulae[0]), new RegExp(`^'${LISTS_SHEET}'!\\$[A-Z]\\$1:\\$[A-Z]\\$\\d+$`));

  // A commune of another province is refused with the field named; one of Hà Nội is saved.
  const bad = await call(app.server, officer, 'PUT', '/api/forms/noi-cu-tru/submissions/2025-07', { values: { tinh: '01', xa: '25747' }, submit: true });
  t.is(bad.statusCode, 422);
  t.deepEqual(json(bad).details.map((d: { message: string }) => d.message), ['Xã/phường: "25747" không có trong danh sách']);
  const ok = await call(app.server, officer, 'PUT', '/api/forms/noi-cu-tru/submissions/2025-07', { values: { tinh: '01', xa: '00004' }, submit: true });
  t.is(ok.statusCode, 200);
  t.deepEqual(json(ok).values, { tinh: '01', xa: '00004' });
});

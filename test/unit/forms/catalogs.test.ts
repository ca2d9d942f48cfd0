import test from 'ava';
import ExcelJS from 'exceljs';
import { registerCatalog, resolveCatalogs, catalogProblems, catalogNames, loadCatalog } from '../../../src/forms/catalogs.ts';
import { compile, checkInputs } from '../../../src/forms/engine.ts';
import { jsonSchemaOf } from '../../../src/forms/json-schema.ts';
import { renderXlsx, readXlsx, addressesOf, LISTS_SHEET } from '../../../src/forms/xlsx.ts';
import { issueText } from '../../../src/forms/messages.ts';
import { t as tr } from '../../../src/i18n/index.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';

const many = Array.from({ length: 120 }, (_, i) => ({ value: `X${String(i).padStart(3, '0')}`, label: `Xã số ${i}, huyện Thử` }));
registerCatalog('test-colors', async (ctx) => [{ value: 'do', label: 'Đỏ' }, { value: 'xanh', label: ctx.orgCode === '01' ? 'Xanh (01)' : 'Xanh' }]);
registerCatalog('test-many', async () => many);

function form(catalog = 'test-colors'): FormDefinition {
  return {
    key: 'bieu-danh-muc', code: 'Biểu DM', name: 'Biểu có danh mục', periodKind: 'adhoc',
    sections: [{ id: 's1', title: 'Chung', fields: [
      { id: 'mau', label: 'Màu', type: 'choice', catalog },
      { id: 'xa', label: 'Xã', type: 'choice', catalog: 'test-many' },
    ] }],
  };
}

test('the built-in catalogs are registered and an unknown one is a publish problem naming the field', async (t) => {
  t.true(['communes', 'provinces'].every((n) => catalogNames().includes(n)));
  const problems = catalogProblems(form('khong-co'));
  t.is(problems.length, 1);
  t.is(issueText(problems[0], (k) => tr('vi', k)), 'Màu: không có danh mục "khong-co"');
  t.deepEqual(catalogProblems(form()), []);
  const err = await loadCatalog('khong-co').catch((e) => e);
  t.is(err.status, 422);
});

test('a resolved definition carries the catalog options for the context and the original is untouched', async (t) => {
  const def = form();
  const r = await resolveCatalogs(def, { orgCode: '01' });
  t.deepEqual(r.sections[0].fields![0].options, [{ value: 'do', label: 'Đỏ' }, { value: 'xanh', label: 'Xanh (01)' }]);
  t.is(def.sections[0].fields![0].options, undefined);
});

test('server validation and the JSON Schema use the catalog values', async (t) => {
  const r = await resolveCatalogs(form());
  const plan = compile(r);
  t.deepEqual(checkInputs(plan, { mau: 'do', xa: 'X005' }), []);
  const issues = checkInputs(plan, { mau: 'tim', xa: 'X005' });
  t.deepEqual(issues.map((i) => issueText(i, (k) => tr('vi', k))), ['Màu: "tim" không có trong danh sách']);
  const schema = jsonSchemaOf(r, 1, plan) as { properties: Record<string, { enum?: unknown[] }> };
  t.deepEqual(schema.properties.mau.enum, ['do', 'xanh', null]);
  t.is(schema.properties.xa.enum!.length, 121);
});

test('a catalog with no options refuses every value', async (t) => {
  registerCatalog('test-empty', async () => []);
  const r = await resolveCatalogs(form('test-empty'));
  t.is(checkInputs(compile(r), { mau: 'do' }).length, 1);
});

test('the Excel template lists a short catalog inline and a long one on a hidden sheet, and reads labels back to values', async (t) => {
  const r = await resolveCatalogs(form());
  const buf = await renderXlsx(r, { version: 1 });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  const addr = addressesOf(wb);
  const ws = wb.getWorksheet('Biểu')!;
  t.deepEqual(ws.getCell(addr.get('mau')!).dataValidation.formulae, ['"Đỏ,Xanh"']);
  t.deepEqual(ws.getCell(addr.get('xa')!).dataValidation.formulae, [`'${LISTS_SHEET}'!$A$1:$A$120`]);
  const lists = wb.getWorksheet(LISTS_SHEET)!;
  t.is(lists.state, 'hidden');
  t.is(lists.getCell('A120').value, 'Xã số 119, huyện Thử');
  ws.getCell(addr.get('mau')!).value = 'Xanh';
  ws.getCell(addr.get('xa')!).value = 'Xã số 7, huyện Thử';
  const values = await readXlsx(r, 1, Buffer.from(await wb.xlsx.writeBuffer()));
  t.deepEqual(values, { mau: 'xanh', xa: 'X007' });
  ws.getCell(addr.get('xa')!).value = 'Xã lạ';
  const err = await readXlsx(r, 1, Buffer.from(await wb.xlsx.writeBuffer())).catch((e) => e);
  t.true((err.details as Array<{ message: string }>).some((d) => d.message.includes('Xã: "Xã lạ" không có trong danh sách')));
});

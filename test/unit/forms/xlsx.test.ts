import test from 'ava';
import ExcelJS from 'exceljs';
import { renderXlsx, readXlsx, addressesOf, META_SHEET } from '../../../src/forms/xlsx.ts';
import { AppError } from '../../../src/errors.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

async function template(version = 1) {
  const buf = await renderXlsx(smallForm(), { version, period: 'Tháng 02/2025' });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

async function fill(wb: ExcelJS.Workbook, values: Record<string, ExcelJS.CellValue>): Promise<Buffer> {
  const addr = addressesOf(wb);
  const ws = wb.getWorksheet('Biểu')!;
  for (const [k, v] of Object.entries(values)) ws.getCell(addr.get(k)!).value = v;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function problemsOf(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(() => null, (e) => e);
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${err}`);
  return ((err.details ?? []) as Array<{ message: string }>).map((d) => d.message);
}

test('a template filled with exceljs reads back exactly', async (t) => {
  const wb = await template();
  const buf = await fill(wb, { nguoiLap: 'Nguyễn Văn An', soDonVi: 12, 'r02.th': 10.5, 'r02.kh': 40, 'r03.th': 1234.5, 'r03.kh': 0.25 });
  const values = await readXlsx(smallForm(), 1, buf);
  t.deepEqual(values, { nguoiLap: 'Nguyễn Văn An', soDonVi: 12, r02: { th: 10.5, kh: 40 }, r03: { th: 1234.5, kh: 0.25 } });
});

test('the template locks computed cells, unlocks inputs, and carries Excel formulas and a hidden identity sheet', async (t) => {
  const wb = await template();
  const addr = addressesOf(wb);
  const ws = wb.getWorksheet('Biểu')!;
  t.is(wb.getWorksheet(META_SHEET)!.state, 'veryHidden');
  t.false(ws.getCell(addr.get('r02.th')!).protection?.locked ?? true);
  t.not(ws.getCell(addr.get('r01.th')!).protection?.locked, false);
  const total = ws.getCell(addr.get('r01.th')!).value as ExcelJS.CellFormulaValue;
  t.regex(total.formula, /SUM\(E\d+,E\d+\)/);
  const ss = ws.getCell(addr.get('r02.ss')!).value as ExcelJS.CellFormulaValue;
  t.regex(ss.formula, /^IFERROR\(IF\(OR\(F\d+="",F\d+=0\),"",E\d+\/F\d+\*100\),""\)$/);
  t.is(ws.getCell(addr.get('r02.th')!).dataValidation?.type, 'decimal');
  t.is(ws.getCell('A1').value, 'Biểu số 99');
});

test('numbers typed as Vietnamese text are understood', async (t) => {
  const wb = await template();
  const buf = await fill(wb, { nguoiLap: 'An', 'r02.th': '1.234,5', 'r02.kh': '12,75', 'r03.th': '2.000.000' });
  const values = await readXlsx(smallForm(), 1, buf);
  t.deepEqual(values.r02, { th: 1234.5, kh: 12.75 });
  t.deepEqual(values.r03, { th: 2000000 });
});

test('every bad cell is reported with its address and indicator name, and nothing is returned', async (t) => {
  const wb = await template();
  const addr = addressesOf(wb);
  const buf = await fill(wb, { soDonVi: 2.5, 'r02.th': -3, 'r03.th': '12,5a' });
  const problems = await problemsOf(readXlsx(smallForm(), 1, buf));
  t.deepEqual(problems.sort(), [
    `Ô ${addr.get('nguoiLap')} — Người lập biểu: bắt buộc nhập`,
    `Ô ${addr.get('r02.th')} — Chỉ tiêu 02 Nông nghiệp: -3 nhỏ hơn giá trị nhỏ nhất 0`,
    `Ô ${addr.get('r03.th')} — Chỉ tiêu 03 Giá trị sản xuất: "12,5a" không phải là số`,
    `Ô ${addr.get('soDonVi')} — Số đơn vị báo cáo: "2.5" phải là số nguyên`,
  ].sort());
});

test('a file of another form or version is refused by name', async (t) => {
  const wb = await template(1);
  const buf = await fill(wb, { nguoiLap: 'An' });
  const err = await readXlsx(smallForm(), 2, buf).catch((e) => e);
  t.is(err.code, 'forms.xlsx.wrongForm');
  t.deepEqual(err.params, { got: 'Biểu số 99', gotVersion: 1, expected: 'Biểu số 99', expectedVersion: 2 });
  const other = { ...smallForm(), key: 'khac', code: 'Biểu số 02' };
  const err2 = await readXlsx(other, 1, buf).catch((e) => e);
  t.is(err2.code, 'forms.xlsx.wrongForm');
  t.is(err2.status, 422);
});

test('a workbook that is not a template and a file that is not a workbook are refused', async (t) => {
  const plain = new ExcelJS.Workbook();
  plain.addWorksheet('Sheet1').getCell('A1').value = 1;
  const err = await readXlsx(smallForm(), 1, Buffer.from(await plain.xlsx.writeBuffer())).catch((e) => e);
  t.is(err.code, 'forms.xlsx.notTemplate');
  const err2 = await readXlsx(smallForm(), 1, Buffer.from('not a zip file')).catch((e) => e);
  t.is(err2.code, 'forms.xlsx.unreadable');
  t.is(err2.status, 400);
});

test('an Excel error value in an input cell is reported', async (t) => {
  const wb = await template();
  const buf = await fill(wb, { nguoiLap: 'An', 'r02.th': { error: '#DIV/0!' } as ExcelJS.CellErrorValue });
  const problems = await problemsOf(readXlsx(smallForm(), 1, buf));
  t.is(problems.length, 1);
  t.regex(problems[0], /#DIV\/0!/);
});

test('bad dates, choices and yes/no answers are reported, and good ones are read as values', async (t) => {
  const { loadShippedForms } = await import('../../../src/forms/shipped.ts');
  const pakn = loadShippedForms().find((f) => f.key === 'pakn-xu-ly')!;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await renderXlsx(pakn, { version: 1 }) as unknown as ArrayBuffer);
  const addr = addressesOf(wb);
  const ws = wb.getWorksheet('Biểu')!;
  ws.getCell(addr.get('nguoiLap')!).value = 'An';
  ws.getCell(addr.get('kenhChinh')!).value = 'Qua mạng xã hội';
  ws.getCell(addr.get('coDoiThoai')!).value = 'Chắc chắn';
  ws.getCell(addr.get('ngayTongHop')!).value = '31/02/2025';
  const problems = await problemsOf(readXlsx(pakn, 1, Buffer.from(await wb.xlsx.writeBuffer())));
  t.deepEqual(problems.sort(), [
    `Ô ${addr.get('coDoiThoai')} — Có tổ chức đối thoại với cá nhân, tổ chức: "Chắc chắn" phải là Có hoặc Không`,
    `Ô ${addr.get('kenhChinh')} — Kênh tiếp nhận chủ yếu: "Qua mạng xã hội" không có trong danh sách`,
    `Ô ${addr.get('ngayTongHop')} — Ngày tổng hợp số liệu: "31/02/2025" không phải là ngày`,
  ].sort());
  ws.getCell(addr.get('kenhChinh')!).value = 'Cổng Dịch vụ công quốc gia';
  ws.getCell(addr.get('coDoiThoai')!).value = 'Có';
  ws.getCell(addr.get('ngayTongHop')!).value = '05/03/2025';
  const values = await readXlsx(pakn, 1, Buffer.from(await wb.xlsx.writeBuffer()));
  t.deepEqual(values, { nguoiLap: 'An', kenhChinh: 'dvcqg', coDoiThoai: true, ngayTongHop: '2025-03-05' });
});

test('a row formula becomes an Excel formula over the same column', async (t) => {
  const { loadShippedForms } = await import('../../../src/forms/shipped.ts');
  const tthc = loadShippedForms().find((f) => f.key === 'tthc-giai-quyet')!;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await renderXlsx(tthc, { version: 1 }) as unknown as ArrayBuffer);
  const addr = addressesOf(wb);
  const ws = wb.getWorksheet('Biểu')!;
  const f = (ws.getCell(addr.get('TL_DUNGHAN.tinh')!).value as ExcelJS.CellFormulaValue).formula;
  const [dagq, truoc, dung] = ['HS_DAGQ.tinh', 'HS_DAGQ_TRUOCHAN.tinh', 'HS_DAGQ_DUNGHAN.tinh'].map((k) => addr.get(k));
  t.is(f, `IFERROR(IF(OR(${dagq}="",${dagq}=0),"",(${truoc}+${dung})/${dagq}*100),"")`);
});

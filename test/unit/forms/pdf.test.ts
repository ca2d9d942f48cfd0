import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { renderPdf } from '../../../src/forms/pdf.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

function pdfText(buf: Buffer, layout = true): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forms-pdf-'));
  const file = path.join(dir, 'x.pdf');
  fs.writeFileSync(file, buf);
  try {
    return execFileSync('pdftotext', [...(layout ? ['-layout'] : []), file, '-'], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the PDF carries the national motto, the form code, Vietnamese labels and the computed totals', async (t) => {
  const buf = await renderPdf(smallForm(), { values: { nguoiLap: 'Nguyễn Thị Hằng', r02: { th: 1234.5, kh: 40 }, r03: { th: 20, kh: 60 } }, period: 'Tháng 02 năm 2025', orgName: 'Ủy ban nhân dân tỉnh Thử' });
  t.is(buf.subarray(0, 5).toString(), '%PDF-');
  const text = pdfText(buf).normalize('NFC');
  t.true(text.includes('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM'));
  t.true(text.includes('Độc lập - Tự do - Hạnh phúc'));
  t.true(text.includes('Biểu số 99'));
  t.true(text.includes('ỦY BAN NHÂN DÂN TỈNH THỬ'));
  t.true(text.includes('BÁO CÁO THỬ NGHIỆM SẢN XUẤT'));
  t.true(text.includes('Kỳ báo cáo: Tháng 02 năm 2025'));
  t.true(text.includes('Nguyễn Thị Hằng'));
  t.true(text.includes('Giá trị sản xuất'));
  t.true(text.includes('Kế hoạch năm'));
  // The parent total 1.234,5 + 20 = 1.254,5 and the plan total 100 are printed the Vietnamese way.
  t.regex(text, /Tổng giá trị.*1\.254,5\s+100,0/);
  t.true(text.includes('THỦ TRƯỞNG ĐƠN VỊ'));
  t.true(text.includes('NGƯỜI LẬP BIỂU'));
});

test('a long table continues across pages with its header repeated', async (t) => {
  const def: FormDefinition = {
    ...smallForm(),
    sections: [{ id: 's', title: 'S', tables: [{ id: 'b', columns: [{ id: 'th', label: 'Số liệu', type: 'number' }], rows: Array.from({ length: 120 }, (_x, i) => ({ id: `r${i}`, code: String(i + 1).padStart(3, '0'), name: `Chỉ tiêu số ${i + 1}` })) }] }],
    rules: [],
  };
  const text = pdfText(await renderPdf(def, {}));
  const pages = text.split('\f').filter((p) => p.trim());
  t.true(pages.length >= 3);
  for (const p of pages.slice(0, -1)) t.true(p.includes('Số liệu'));
  t.true(text.includes('Chỉ tiêu số 120'));
  t.true(text.includes('Trang 3'));
});

test('the date line of the signature block is the Vietnam date', async (t) => {
  const text = pdfText(await renderPdf(smallForm(), { place: 'Hà Nội', date: new Date('2025-03-04T18:30:00Z') })).normalize('NFC');
  t.true(text.includes('Hà Nội, ngày 05 tháng 03 năm 2025'));
});

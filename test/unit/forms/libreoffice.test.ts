import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import ExcelJS from 'exceljs';
import { renderXlsx, readXlsx, addressesOf } from '../../../src/forms/xlsx.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

// scripts/ensure-system-deps.sh installs LibreOffice Calc before the suites run.
const soffice = ['/usr/bin/libreoffice', '/usr/bin/soffice'].find((p) => fs.existsSync(p)) ?? 'soffice';

test('a template filled and saved again by LibreOffice reads back', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forms-lo-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await renderXlsx(smallForm(), { version: 1 }) as unknown as ArrayBuffer);
  const addr = addressesOf(wb);
  const ws = wb.getWorksheet('Biểu')!;
  ws.getCell(addr.get('nguoiLap')!).value = 'Trần Thị Bích';
  ws.getCell(addr.get('r02.th')!).value = 10.5;
  ws.getCell(addr.get('r02.kh')!).value = '1.234,5';
  ws.getCell(addr.get('r03.th')!).value = 7;
  const input = path.join(dir, 'in', 'bieu.xlsx');
  fs.mkdirSync(path.dirname(input));
  fs.writeFileSync(input, Buffer.from(await wb.xlsx.writeBuffer()));
  execFileSync(soffice!, [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', 'xlsx', '--outdir', path.join(dir, 'out'), input], { stdio: 'ignore', timeout: 120000 });
  const saved = fs.readFileSync(path.join(dir, 'out', 'bieu.xlsx'));
  const values = await readXlsx(smallForm(), 1, saved);
  t.deepEqual(values, { nguoiLap: 'Trần Thị Bích', r02: { th: 10.5, kh: 1234.5 }, r03: { th: 7 } });
});

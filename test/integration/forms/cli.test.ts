import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import ExcelJS from 'exceljs';
import { addressesOf } from '../../../src/forms/xlsx.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forms-cli-'));
const env = { ...process.env, DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'cli.sqlite')}`, NODE_ENV: 'test', LOG_LEVEL: 'silent', SECRET: 'x'.repeat(40) };
const govflow = (...args: string[]) => spawnSync(process.execPath, ['bin/govflow.js', ...args], { env, encoding: 'utf8', timeout: 120000 });
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

test.serial('form xlsx writes the template of a shipped form found by its printed code', (t) => {
  const r = govflow('form', 'xlsx', 'Biểu số 06a/VPCP/KSTT', path.join(dir, 'tthc.xlsx'));
  t.is(r.status, 0, r.stderr);
  t.true(fs.statSync(path.join(dir, 'tthc.xlsx')).size > 1000);
});

test.serial('form read prints the values as JSON, or every problem and a non-zero exit', async (t) => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path.join(dir, 'tthc.xlsx'));
  const addr = addressesOf(wb);
  const ws = wb.worksheets.find((w) => w.state !== 'veryHidden')!;
  ws.getCell(addr.get('nguoiLap')!).value = 'Phạm Thu';
  ws.getCell(addr.get('HS_NHAN_TRUCTUYEN.tinh')!).value = '1.200';
  await wb.xlsx.writeFile(path.join(dir, 'ok.xlsx'));
  const ok = govflow('form', 'read', 'tthc-giai-quyet', path.join(dir, 'ok.xlsx'));
  t.is(ok.status, 0, ok.stderr);
  t.deepEqual(JSON.parse(ok.stdout).values, { nguoiLap: 'Phạm Thu', HS_NHAN_TRUCTUYEN: { tinh: 1200 } });
  ws.getCell(addr.get('HS_NHAN_TRUCTUYEN.tinh')!).value = 'mười';
  await wb.xlsx.writeFile(path.join(dir, 'bad.xlsx'));
  const bad = govflow('form', 'read', 'tthc-giai-quyet', path.join(dir, 'bad.xlsx'));
  t.is(bad.status, 1);
  t.regex(JSON.parse(bad.stdout).errors[0].message, /^Ô E\d+ — Chỉ tiêu 1\.2 Số hồ sơ mới tiếp nhận trực tuyến: "mười" không phải là số$/);
});

test.serial('form pdf renders a values file', (t) => {
  fs.writeFileSync(path.join(dir, 'v.json'), JSON.stringify({ period: 'Quý I năm 2025', values: { nguoiLap: 'Phạm Thu', HS_NHAN_TRUCTUYEN: { tinh: 1200 } } }));
  const r = govflow('form', 'pdf', 'tthc-giai-quyet', path.join(dir, 'v.json'), path.join(dir, 'out.pdf'));
  t.is(r.status, 0, r.stderr);
  t.is(fs.readFileSync(path.join(dir, 'out.pdf')).subarray(0, 5).toString(), '%PDF-');
});

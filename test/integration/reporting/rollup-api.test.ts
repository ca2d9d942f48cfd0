// Roll-up over the three-level 2020 tree (commune → district → province), the JSON API with the same
// checks as the web, DHIS2 dataValueSets in and out, the CLI, and the pages' text.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import ExcelJS from 'exceljs';
import { addressesOf } from '../../../src/forms/xlsx.ts';
import { startApp, makeUser, login, call, sharedData, type TestApp, type Session } from '../../helpers/server.ts';
import { setupCa } from '../../helpers/signing.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { importOrgs } from '../../../src/orgs/import.ts';
import { issueUserCertificate } from '../../../src/signing/service.ts';
import { deployShippedProcesses } from '../../../src/engine/service.ts';
import { approveReport, getReport, importRegime, openCycle, rollupCycle, saveReport, signReport } from '../../../src/reporting/service.ts';
import { db } from '../../../src/store/index.ts';
import { periodContaining } from '../../../src/reporting/periods.ts';
import type { Viewer } from '../../../src/access/index.ts';

let app: TestApp;
let officer: Viewer;
let leader: Viewer;
let apiSession: Session;
let siblingSession: Session;
const period = periodContaining('month', new Date()).period;
let district = '';
let communes: string[] = [];
const cycles = new Map<string, number>();

test.before(async () => {
  app = await startApp();
  await deployShippedProcesses();
  await setupCa();
  // Hà Nội as it was in 2021: the province, its districts and their communes.
  const lines = fs.readFileSync(path.join(sharedData, 'admin-units-2020.csv'), 'utf8').trim().split('\n');
  const header = lines[0];
  const rows = lines.slice(1).map((l) => l.split(','));
  const districts = new Set(rows.filter((r) => r[3] === '01').map((r) => r[0]));
  const keep = rows.filter((r) => r[0] === '01' || districts.has(r[0]) || districts.has(r[3]));
  await importOrgs(Buffer.from([header, ...keep.map((r) => r.join(','))].join('\n') + '\n'), { tree: '2020' });
  district = [...districts].sort()[0];
  communes = keep.filter((r) => r[3] === district).map((r) => r[0]).sort();
  officer = await loadViewer(await makeUser('officer', null, { username: 'canbo.toanquoc' }));
  leader = await loadViewer(await makeUser('leader', null, { username: 'lanhdao.toanquoc' }));
  await issueUserCertificate('lanhdao.toanquoc', null);
  await importRegime(null, { code: 'KTXH-2020', name: 'Báo cáo KT-XH tháng (ba cấp)', formKey: 'kt-xh-thang', frequency: 'month', reporters: { tree: '2020', levels: ['province', 'district', 'commune'], within: '01' }, deadlines: { commune: 15, district: 18, province: 20 } });
  cycles.set('KTXH-2020', (await openCycle('KTXH-2020', period)).cycleId);
  await importRegime(null, { code: 'KTXH-HN', name: 'Báo cáo KT-XH tháng (Hà Nội)', formKey: 'kt-xh-thang', frequency: 'month', reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 } });
  cycles.set('KTXH-HN', (await openCycle('KTXH-HN', period)).cycleId);
  await makeUser('officer', '00004', { username: 'canbo.api' });
  await makeUser('officer', '00070', { username: 'canbo.sibling' });
  apiSession = await login(app.server, 'canbo.api');
  siblingSession = await login(app.server, 'canbo.sibling');
});

test.after.always(async () => {
  await app?.close();
});

async function sendUp(unit: string, values: Record<string, unknown>, regime = 'KTXH-2020') {
  await saveReport(officer, regime, period, unit, values, { submit: true });
  await approveReport(leader, regime, period, unit);
  await signReport(leader, regime, period, unit);
}

/** What a parent shows of its roll-up. */
async function rolledUp(regime: string, unit: string) {
  const r = await getReport(null, regime, period, unit);
  return { values: r.values, completeness: r.completeness, isPartial: r.isPartial, status: r.status };
}

test.serial('communes roll up into their district, and the district into the province (three levels)', async (t) => {
  await sendUp(communes[0], { nguoiLap: 'A', TMBL_BANLE: { th: 10 }, VDT_NSNN_XA: { th: 1.5 } });
  await sendUp(communes[1], { nguoiLap: 'B', TMBL_BANLE: { th: 32 }, VDT_NSNN_XA: { th: 2 } });
  const d = await getReport(null, 'KTXH-2020', period, district);
  t.is((d.values as any).TMBL_BANLE.th, 42);
  t.is((d.values as any).VDT_NSNN_XA.th, 3.5);
  t.deepEqual({ expected: d.completeness!.expected, submitted: d.completeness!.submitted }, { expected: communes.length, submitted: 2 });
  t.is(d.completeness!.missingUnits.length, communes.length - 2);
  // The district adds its own figure for one cell and sends the partial roll-up on.
  await saveReport(officer, 'KTXH-2020', period, district, { nguoiLap: 'Huyện', VDT_NSNN_TINH: { th: 7 } }, { submit: true });
  const own = await getReport(null, 'KTXH-2020', period, district);
  t.is((own.values as any).TMBL_BANLE.th, 42, 'the roll-up stays');
  t.is((own.values as any).VDT_NSNN_TINH.th, 7, 'the own figure is added');
  t.true(own.isPartial);
  await approveReport(leader, 'KTXH-2020', period, district);
  await signReport(leader, 'KTXH-2020', period, district);
  const p = await getReport(null, 'KTXH-2020', period, '01');
  t.is((p.values as any).TMBL_BANLE.th, 42);
  t.is(p.completeness!.submitted, 1);
});

test.serial('a whole cycle rolled up at once shows what the parents rolled up one by one showed, on three and on two levels', async (t) => {
  // Three levels: the district (signed, locked) and the province as the previous test left them.
  const three = [district, '01'];
  const before = await Promise.all(three.map((u) => rolledUp('KTXH-2020', u)));
  await db().query("UPDATE reporting_reports SET completeness = NULL WHERE cycle_id = ? AND org_code IN ('01')", { replacements: [cycles.get('KTXH-2020')] });
  await db().query("UPDATE reporting_reports SET data_values = NULL WHERE cycle_id = ? AND org_code = '01'", { replacements: [cycles.get('KTXH-2020')] });
  t.true(await rollupCycle(cycles.get('KTXH-2020')!) >= 2);
  t.deepEqual(await Promise.all(three.map((u) => rolledUp('KTXH-2020', u))), before);
  t.is((before[1].values as any).TMBL_BANLE.th, 42);
  // Two levels (the 2025 tree): two Hà Nội communes signed; the province's values are lost and rebuilt.
  await sendUp('00008', { nguoiLap: 'C', TMBL_BANLE: { th: 20.25 }, VDT_NSNN_XA: { th: 4 } }, 'KTXH-HN');
  await sendUp('00025', { nguoiLap: 'D', TMBL_BANLE: { th: 0.5 }, VDT_NSNN_XA: { th: 1 } }, 'KTXH-HN');
  const province = await rolledUp('KTXH-HN', '01');
  t.is((province.values as any).TMBL_BANLE.th, 20.75);
  t.is(province.completeness!.submitted, 2);
  await db().query("UPDATE reporting_reports SET data_values = NULL, completeness = NULL WHERE cycle_id = ? AND org_code = '01'", { replacements: [cycles.get('KTXH-HN')] });
  t.is(await rollupCycle(cycles.get('KTXH-HN')!), 1);
  t.deepEqual(await rolledUp('KTXH-HN', '01'), province);
});

test.serial('PUT /api/reports takes JSON values through the same checks', async (t) => {
  const url = `/api/reports/KTXH-HN/${period}/00004`;
  const empty = await call(app.server, apiSession, 'PUT', url, { values: {}, submit: true });
  t.is(empty.statusCode, 422);
  t.is(JSON.parse(empty.payload).code, 'reporting.report.empty');
  const wrong = await call(app.server, apiSession, 'PUT', `/api/reports/KTXH-HN/2026Q3/00004`, { values: { nguoiLap: 'x' } });
  t.is(wrong.statusCode, 400);
  const free = await call(app.server, apiSession, 'PUT', `/api/reports/KTXH-HN/abcd/00004`, { values: { nguoiLap: 'x' } });
  t.is(free.statusCode, 400);
  const unknown = await call(app.server, apiSession, 'PUT', url, { values: { NOPE: { th: 1 } } });
  t.is(unknown.statusCode, 400);
  const ok = await call(app.server, apiSession, 'PUT', url, { values: { nguoiLap: 'Hệ thống Bộ', TMBL_BANLE: { th: 12 } } });
  t.is(ok.statusCode, 200, ok.payload);
  t.is(JSON.parse(ok.payload).status, 'draft');
  const sibling = await call(app.server, siblingSession, 'GET', url);
  t.is(sibling.statusCode, 404);
  const sent = await call(app.server, apiSession, 'PUT', url, { values: { nguoiLap: 'Hệ thống Bộ', TMBL_BANLE: { th: 12 } }, submit: true });
  t.is(JSON.parse(sent.payload).status, 'review');
});

test.serial('DHIS2 dataValueSets are imported into drafts and exported back', async (t) => {
  const body = { dataValues: [
    { dataElement: 'TMBL_BANLE', period: period.replace('-', ''), orgUnit: '00070', categoryOptionCombo: 'th', value: '55.5' },
    { dataElement: 'TMBL_BANLE', period: period.replace('-', ''), orgUnit: '00070', categoryOptionCombo: 'lk', value: 300 },
    { dataElement: 'NOPE', period: period.replace('-', ''), orgUnit: '00070', value: '1' },
    { dataElement: 'TMBL_BANLE', period: period.replace('-', ''), orgUnit: '00004', categoryOptionCombo: 'th', value: '1' },
  ] };
  const res = await call(app.server, siblingSession, 'POST', '/api/dataValueSets?dataSet=KTXH-HN', body);
  t.is(res.statusCode, 200, res.payload);
  const s = JSON.parse(res.payload);
  t.is(s.importCount.imported, 2);
  t.is(s.status, 'WARNING');
  t.is(s.conflicts.length, 2, 'the unknown element and the sibling\'s unit');
  const out = await call(app.server, siblingSession, 'GET', `/api/dataValueSets?dataSet=KTXH-HN&period=${period.replace('-', '')}&orgUnit=00070`);
  t.is(out.statusCode, 200);
  const values = JSON.parse(out.payload).dataValues as Array<{ dataElement: string; categoryOptionCombo: string; value: string }>;
  t.truthy(values.find((v) => v.dataElement === 'TMBL_BANLE' && v.categoryOptionCombo === 'th' && v.value === '55.5'));
});

test.serial('the report page and the cycle overview show the report as the officer sees it', async (t) => {
  const page = await call(app.server, siblingSession, 'GET', `/reporting/KTXH-HN/${period}/00070`);
  t.is(page.statusCode, 200);
  t.regex(page.payload, /data-testid="report-status">Đang lập</);
  t.regex(page.payload, /value="55,50?"/);
  const save = await call(app.server, siblingSession, 'POST', `/reporting/KTXH-HN/${period}/00070`, { action: 'submit', 'v:nguoiLap': 'Cán bộ', 'v:TMBL_BANLE.th': '60' });
  t.is(save.statusCode, 302, save.payload);
  const after = await call(app.server, siblingSession, 'GET', save.headers.location as string);
  t.regex(after.payload, /Chờ lãnh đạo duyệt/);
  t.regex(after.payload, /Đã trình lãnh đạo/);
  const list = await call(app.server, siblingSession, 'GET', `/reporting/KTXH-HN/${period}`);
  t.is(list.statusCode, 200);
  t.regex(list.payload, /data-unit="00070"/);
  t.notRegex(list.payload, /data-unit="00004"/, 'a commune lists only its own report');
  const status = await call(app.server, siblingSession, 'GET', `/api/reporting/KTXH-HN/${period}/status`);
  t.deepEqual(JSON.parse(status.payload), { period, expected: 1, submitted: 0, onTime: 0, late: 0, missing: 1, approved: 0, returned: 0 });
});

function multipart(fields: Record<string, string>, file: { name: string; filename: string; data: Buffer }) {
  const boundary = '----govflowtest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

test.serial('an officer uploads the filled Excel template: a bad cell is refused with the cell named, a good file is saved as a draft', async (t) => {
  await makeUser('officer', '00103', { username: 'canbo.excel' });
  const s = await login(app.server, 'canbo.excel');
  const tpl = await call(app.server, s, 'GET', '/forms/kt-xh-thang/template.xlsx');
  t.is(tpl.statusCode, 200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(tpl.rawPayload as unknown as ArrayBuffer);
  const addr = addressesOf(wb);
  const ws = wb.worksheets.find((w) => !w.name.startsWith('_'))!;
  ws.getCell(addr.get('nguoiLap')!).value = 'Lê Văn Tám';
  ws.getCell(addr.get('TMBL_BANLE.th')!).value = '12,5a';
  const url = `/reporting/KTXH-HN/${period}/00103/upload`;
  const bad = multipart({ crumb: s.crumb }, { name: 'file', filename: 'bao-cao.xlsx', data: Buffer.from(await wb.xlsx.writeBuffer()) });
  const refused = await call(app.server, s, 'POST', url, bad.payload, bad.headers);
  t.is(refused.statusCode, 422);
  t.true(refused.payload.includes(addr.get('TMBL_BANLE.th')!), 'the cell is named');
  t.is((await getReport(null, 'KTXH-HN', period, '00103')).status, 'open');
  ws.getCell(addr.get('TMBL_BANLE.th')!).value = '12,5';
  const good = multipart({ crumb: s.crumb }, { name: 'file', filename: 'bao-cao.xlsx', data: Buffer.from(await wb.xlsx.writeBuffer()) });
  const saved = await call(app.server, s, 'POST', url, good.payload, good.headers);
  t.is(saved.statusCode, 302, saved.payload.slice(0, 500));
  const r = await getReport(null, 'KTXH-HN', period, '00103');
  t.is(r.status, 'draft');
  t.is((r.values as any).TMBL_BANLE.th, 12.5);
  const page = await call(app.server, s, 'GET', saved.headers.location as string);
  t.regex(page.payload, /Đã đọc tệp Excel và lưu nháp/);
});

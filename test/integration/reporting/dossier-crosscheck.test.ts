// The report on receiving and resolving procedures (`tthc-giai-quyet`) against the dossiers govflow holds: the
// report page starts from a recount of the unit's dossiers in the period's cut-off window (15 June – 14 September
// for 2026Q3), a figure the unit enters that differs is a warning, and the list behind a figure holds exactly the
// dossiers counted in it; units outside the viewer's scope are refused.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { deployShippedProcesses } from '../../../src/engine/service.ts';
import { getReport, importRegime, openCycle, saveReport } from '../../../src/reporting/service.ts';
import { Dossier } from '../../../src/dossiers/models.ts';
import { getOrgByCode, listSubtree } from '../../../src/orgs/service.ts';
import type { Viewer } from '../../../src/access/index.ts';

const REGIME = 'TTHC-T';
const PERIOD = '2026Q3';
const COMMUNE = '00004';
const SIBLING = '00070';

/** A Vietnam wall-clock time as an instant. */
const vn = (s: string) => new Date(`${s.replace(' ', 'T')}:00+07:00`);

type Recv = 'carried' | 'online' | 'direct';
type Outcome = 'early' | 'onTime' | 'late' | 'pendingWithin' | 'pendingOverdue';

/** A dossier of the test and, when it counts in 2026Q3, the two classes a hand count gives it. */
interface Case {
  code: string;
  unit: string;
  channel: 'online' | 'direct' | 'post';
  status: string;
  receivedAt: string | null;
  dueAt?: string;
  decidedAt?: string;
  finishedAt?: string;
  expect: [Recv, Outcome] | null;
}

const CASES: Case[] = [
  { code: 'XC-01', unit: COMMUNE, channel: 'online', status: 'done', receivedAt: '2026-06-01 08:00', dueAt: '2026-07-10 17:00', finishedAt: '2026-07-10 10:00', expect: ['carried', 'onTime'] },
  { code: 'XC-02', unit: COMMUNE, channel: 'direct', status: 'processing', receivedAt: '2026-05-20 08:00', dueAt: '2026-06-20 17:00', expect: ['carried', 'pendingOverdue'] },
  { code: 'XC-03', unit: COMMUNE, channel: 'online', status: 'done', receivedAt: '2026-05-01 08:00', dueAt: '2026-05-10 17:00', finishedAt: '2026-06-10 09:00', expect: null },
  { code: 'XC-04', unit: COMMUNE, channel: 'online', status: 'done', receivedAt: '2026-07-01 08:00', dueAt: '2026-07-08 17:00', finishedAt: '2026-07-05 15:00', expect: ['online', 'early'] },
  { code: 'XC-05', unit: COMMUNE, channel: 'online', status: 'done', receivedAt: '2026-07-01 09:00', dueAt: '2026-07-03 17:00', finishedAt: '2026-07-06 10:00', expect: ['online', 'late'] },
  { code: 'XC-06', unit: COMMUNE, channel: 'direct', status: 'refused', receivedAt: '2026-08-01 08:00', dueAt: '2026-08-05 17:00', decidedAt: '2026-08-05 09:00', expect: ['direct', 'onTime'] },
  { code: 'XC-07', unit: COMMUNE, channel: 'post', status: 'processing', receivedAt: '2026-09-10 08:00', dueAt: '2026-09-20 17:00', expect: ['direct', 'pendingWithin'] },
  { code: 'XC-08', unit: COMMUNE, channel: 'online', status: 'processing', receivedAt: '2026-09-15 10:00', dueAt: '2026-09-25 17:00', expect: null },
  { code: 'XC-09', unit: COMMUNE, channel: 'online', status: 'withdrawn', receivedAt: '2026-07-02 08:00', dueAt: '2026-07-09 17:00', finishedAt: '2026-07-04 08:00', expect: null },
  { code: 'XC-10', unit: COMMUNE, channel: 'online', status: 'withdrawn', receivedAt: '2026-08-20 08:00', dueAt: '2026-09-01 17:00', finishedAt: '2026-10-01 08:00', expect: ['online', 'pendingOverdue'] },
  { code: 'XC-11', unit: COMMUNE, channel: 'online', status: 'draft', receivedAt: null, expect: null },
  { code: 'XC-12', unit: COMMUNE, channel: 'online', status: 'done', receivedAt: '2026-09-01 08:00', dueAt: '2026-09-12 17:00', finishedAt: '2026-09-20 08:00', expect: ['online', 'pendingOverdue'] },
  { code: 'XC-13', unit: COMMUNE, channel: 'online', status: 'supplement', receivedAt: '2026-08-10 08:00', expect: ['online', 'pendingWithin'] },
  { code: 'XC-14', unit: COMMUNE, channel: 'online', status: 'approved', receivedAt: '2026-06-15 00:00', dueAt: '2026-06-25 17:00', expect: ['online', 'pendingOverdue'] },
  { code: 'XC-15', unit: COMMUNE, channel: 'direct', status: 'processing', receivedAt: '2026-06-14 23:59', dueAt: '2026-12-01 17:00', expect: ['carried', 'pendingWithin'] },
  { code: 'XC-16', unit: SIBLING, channel: 'online', status: 'done', receivedAt: '2026-07-01 08:00', dueAt: '2026-07-08 17:00', finishedAt: '2026-07-02 08:00', expect: ['online', 'early'] },
  { code: 'XC-17', unit: SIBLING, channel: 'online', status: 'done', receivedAt: '2026-07-03 08:00', dueAt: '2026-07-08 17:00', finishedAt: '2026-07-06 08:00', expect: ['online', 'early'] },
  { code: 'XC-18', unit: '01', channel: 'direct', status: 'done', receivedAt: '2026-07-01 08:00', dueAt: '2026-07-08 17:00', finishedAt: '2026-07-09 08:00', expect: ['direct', 'late'] },
  { code: 'XC-19', unit: '01', channel: 'online', status: 'submitted', receivedAt: '2026-09-13 08:00', dueAt: '2026-09-30 17:00', expect: ['online', 'pendingWithin'] },
  { code: 'XC-20', unit: 'HCM', channel: 'online', status: 'done', receivedAt: '2026-07-01 08:00', dueAt: '2026-07-08 17:00', finishedAt: '2026-07-02 08:00', expect: ['online', 'early'] },
];

/** The form's rows for each class, as the form names them. */
const ROW_OF: Record<Recv | Outcome, string> = {
  carried: 'HS_NHAN_KYTRUOC', online: 'HS_NHAN_TRUCTUYEN', direct: 'HS_NHAN_TRUCTIEP', early: 'HS_DAGQ_TRUOCHAN', onTime: 'HS_DAGQ_DUNGHAN', late: 'HS_DAGQ_QUAHAN',
  pendingWithin: 'HS_DANGGQ_TRONGHAN', pendingOverdue: 'HS_DANGGQ_QUAHAN',
};
const LEAF_ROWS = Object.values(ROW_OF);

/** The hand count: for units (codes of a subtree) the cell `ROW.COL` → number, and `ROW.COL` → dossier codes. */
function handCount(units: Map<string, 'tinh' | 'xa'>): { values: Map<string, number>; codes: Map<string, string[]> } {
  const values = new Map<string, number>();
  const codes = new Map<string, string[]>();
  for (const row of LEAF_ROWS) for (const col of ['tinh', 'xa']) { values.set(`${row}.${col}`, 0); codes.set(`${row}.${col}`, []); }
  for (const c of CASES) {
    const col = units.get(c.unit);
    if (!col || !c.expect) continue;
    for (const cls of c.expect) {
      const key = `${ROW_OF[cls]}.${col}`;
      values.set(key, values.get(key)! + 1);
      codes.get(key)!.push(c.code);
    }
  }
  return { values, codes };
}

let app: TestApp;
let officer: Viewer;
let officerSession: Session;
let leaderSession: Session;
let siblingSession: Session;
let hcmSession: Session;
let provinceSession: Session;
let hcmCommune: string;

test.before(async () => {
  app = await startApp();
  await deployShippedProcesses();
  officer = await loadViewer(await makeUser('officer', COMMUNE));
  officerSession = await login(app.server, officer.username);
  leaderSession = await login(app.server, (await makeUser('leader', COMMUNE)).username);
  siblingSession = await login(app.server, (await makeUser('officer', SIBLING)).username);
  hcmSession = await login(app.server, (await makeUser('officer', '79')).username);
  provinceSession = await login(app.server, (await makeUser('officer', '01')).username);
  hcmCommune = (await listSubtree(await getOrgByCode('79'), 'commune'))[0].code;
  for (const c of CASES) {
    const org = await getOrgByCode(c.unit === 'HCM' ? hcmCommune : c.unit);
    const at = (s?: string) => (s ? vn(s) : null);
    await Dossier.create({
      code: c.code, procedureCode: '1.000894', procedureName: 'Đăng ký kết hôn', formKey: 'dang-ky-ket-hon', formVersion: 1, ownerUserId: null, applicantName: 'Nguyễn Văn An',
      orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: c.channel, status: c.status, valuesJson: '{}',
      submittedAt: at(c.receivedAt ?? undefined), receivedAt: at(c.receivedAt ?? undefined), dueAt: at(c.dueAt), decidedAt: at(c.decidedAt), finishedAt: at(c.finishedAt),
    });
  }
  await importRegime(null, {
    code: REGIME, name: 'Báo cáo giải quyết TTHC quý (Hà Nội)', formKey: 'tthc-giai-quyet', frequency: 'quarter',
    reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 }, isLateAllowed: true, lateUntilDays: null,
  });
  await openCycle(REGIME, PERIOD);
});

test.after.always(async () => {
  await app?.close();
});

const reportUrl = (unit: string) => `/reporting/${REGIME}/${PERIOD}/${unit}`;

/** The numbers the report page's inputs hold, by cell key. */
function inputsOf(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/name="v:([A-Za-z0-9_.]+)" value="([^"]*)"/g)) out.set(m[1], m[2]);
  return out;
}

/** The dossier codes a list page shows. */
function codesOf(html: string): string[] {
  return [...html.matchAll(/<li data-code="([^"]*)"/g)].map((m) => m[1]).sort();
}

test.serial('an untouched commune report is pre-filled with a recount of its own dossiers in the cut-off window', async (t) => {
  const res = await call(app.server, officerSession, 'GET', reportUrl(COMMUNE));
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('Các chỉ tiêu đã được điền sẵn từ hồ sơ'));
  t.true(res.payload.includes('15/06/2026 00:00'), 'the window starts on the 15th of the month before the quarter');
  t.true(res.payload.includes('14/09/2026 23:59'), 'and ends on the 14th of its last month');
  const inputs = inputsOf(res.payload);
  const expected = handCount(new Map([[COMMUNE, 'xa']])).values;
  for (const [key, n] of expected) t.is(inputs.get(key), String(n), key);
  // The hand count in words: 3 carried over, 6 online, 2 direct; 1 early, 2 on time, 1 late; 3 within time, 4 overdue.
  t.is(inputs.get('HS_NHAN_KYTRUOC.xa'), '3');
  t.is(inputs.get('HS_NHAN_TRUCTUYEN.xa'), '6');
  t.is(inputs.get('HS_DANGGQ_QUAHAN.xa'), '4');
});

test.serial('the province\'s report counts its own dossiers under the province column and its communes\' under the commune column', async (t) => {
  const res = await call(app.server, provinceSession, 'GET', reportUrl('01'));
  t.is(res.statusCode, 200);
  const inputs = inputsOf(res.payload);
  const units = new Map<string, 'tinh' | 'xa'>([[COMMUNE, 'xa'], [SIBLING, 'xa'], ['01', 'tinh']]);
  for (const [key, n] of handCount(units).values) t.is(inputs.get(key), String(n), key);
  t.is(inputs.get('HS_DAGQ_TRUOCHAN.xa'), '3', 'the HCM commune\'s dossier is not Hà Nội\'s');
  t.is(inputs.get('HS_DAGQ_QUAHAN.tinh'), '1');
});

test.serial('the pre-filled figures balance (received = resolved + pending) and are sent without any dossier warning', async (t) => {
  const page = inputsOf((await call(app.server, officerSession, 'GET', reportUrl(COMMUNE))).payload);
  const values: Record<string, Record<string, number> | string> = { nguoiLap: 'Trần Thị Bình' };
  for (const [key, v] of page) {
    const [row, col] = key.split('.');
    if (col === undefined || v === '') continue;
    values[row] = { ...((values[row] as Record<string, number>) ?? {}), [col]: Number(v) };
  }
  // The form's own rule on a late share above 10 % asks for a reason; nothing from the dossier check does.
  const saved = await saveReport(officer, REGIME, PERIOD, COMMUNE, values, { submit: true, explanations: { quaHanCaoTinh: 'Một hồ sơ chờ xác minh liên tỉnh.' } });
  t.is(saved.status, 'review');
  t.deepEqual(saved.issues.filter((i) => i.rule?.startsWith('xc.')), []);
  t.is((saved.values.HS_NHAN as Record<string, number>).tong, 11);
  t.is((saved.values.HS_DAGQ as Record<string, number>).tong, 4);
  t.is((saved.values.HS_DANGGQ as Record<string, number>).tong, 7);
});

test.serial('a figure that differs from the dossiers is a warning, and its list holds exactly the dossiers behind the figure', async (t) => {
  const res = await call(app.server, siblingSession, 'PUT', `/api/reports/${REGIME}/${PERIOD}/${SIBLING}`, {
    values: { nguoiLap: 'Lê Văn Cường', HS_NHAN_TRUCTUYEN: { xa: 2 }, HS_DAGQ_TRUOCHAN: { xa: 1 }, HS_DAGQ_DUNGHAN: { xa: 1 } },
  });
  t.is(res.statusCode, 200, res.payload);
  const body = JSON.parse(res.payload) as { issues: Array<{ rule?: string; params: Record<string, unknown>; severity: string }> };
  const dossierWarnings = body.issues.filter((i) => i.rule?.startsWith('xc.dossiers.'));
  t.deepEqual(dossierWarnings.map((i) => i.rule).sort(), ['xc.dossiers.HS_DAGQ_DUNGHAN.xa', 'xc.dossiers.HS_DAGQ_TRUOCHAN.xa']);
  const early = dossierWarnings.find((i) => i.rule === 'xc.dossiers.HS_DAGQ_TRUOCHAN.xa')!;
  t.is(early.severity, 'warning');
  t.like(early.params, { value: 1, expected: 2 });
  // Sending needs an explanation of each, as the other cross-checks do.
  const send = await call(app.server, siblingSession, 'PUT', `/api/reports/${REGIME}/${PERIOD}/${SIBLING}`, { values: { nguoiLap: 'Lê Văn Cường', HS_NHAN_TRUCTUYEN: { xa: 2 }, HS_DAGQ_TRUOCHAN: { xa: 1 }, HS_DAGQ_DUNGHAN: { xa: 1 } }, submit: true });
  t.is(send.statusCode, 422);
  t.is((JSON.parse(send.payload) as { code: string }).code, 'reporting.report.needExplanation');

  const list = await call(app.server, siblingSession, 'GET', `${reportUrl(SIBLING)}/crosscheck/HS_DAGQ_TRUOCHAN.xa`);
  t.is(list.statusCode, 200);
  t.deepEqual(codesOf(list.payload), handCount(new Map([[SIBLING, 'xa']])).codes.get('HS_DAGQ_TRUOCHAN.xa')!.sort());
  t.deepEqual(codesOf(list.payload), ['XC-16', 'XC-17']);
  t.true(list.payload.includes('Đơn vị báo cáo: 1'));
  t.true(list.payload.includes('khác số liệu hồ sơ'));
  // The report page shows the warning with the unit's figure and the dossiers' one.
  const page = await call(app.server, siblingSession, 'GET', reportUrl(SIBLING));
  t.true(page.payload.includes('2.1 Giải quyết trước hạn / Cấp xã: đơn vị báo cáo 1, theo hồ sơ trên hệ thống là 2.'), page.payload.match(/rp-problem">[^<]*/g)?.join('\n'));
});

test.serial('the reviewer opens the list behind a warning; a whole row lists the dossiers of every column', async (t) => {
  // The commune's leader reviews the report sent above; the province's staff see the lists of its communes too.
  const page = await call(app.server, leaderSession, 'GET', reportUrl(COMMUNE));
  t.is(page.statusCode, 200);
  t.true(page.payload.includes(`href="${reportUrl(COMMUNE)}/crosscheck/HS_DANGGQ_QUAHAN.xa"`));
  const overdue = await call(app.server, leaderSession, 'GET', `${reportUrl(COMMUNE)}/crosscheck/HS_DANGGQ_QUAHAN.xa`);
  t.deepEqual(codesOf(overdue.payload), ['XC-02', 'XC-10', 'XC-12', 'XC-14']);
  const received = await call(app.server, provinceSession, 'GET', `${reportUrl('01')}/crosscheck/HS_NHAN`);
  const all = handCount(new Map([[COMMUNE, 'xa'], [SIBLING, 'xa'], ['01', 'tinh']])).codes;
  const expected = [...new Set(['HS_NHAN_KYTRUOC', 'HS_NHAN_TRUCTUYEN', 'HS_NHAN_TRUCTIEP'].flatMap((r) => [...all.get(`${r}.tinh`)!, ...all.get(`${r}.xa`)!]))].sort();
  t.deepEqual(codesOf(received.payload), expected);
  t.is(expected.length, 15);
});

test.serial('a unit outside the viewer\'s scope is refused, and an indicator the form does not count is a 400', async (t) => {
  t.is((await call(app.server, hcmSession, 'GET', `${reportUrl(COMMUNE)}/crosscheck/HS_DAGQ_QUAHAN.xa`)).statusCode, 404);
  t.is((await call(app.server, siblingSession, 'GET', `${reportUrl(COMMUNE)}/crosscheck/HS_DAGQ_QUAHAN.xa`)).statusCode, 404);
  t.is((await call(app.server, officerSession, 'GET', `${reportUrl(SIBLING)}/crosscheck/HS_DAGQ_QUAHAN`)).statusCode, 404);
  const anon = await app.server.inject(`${reportUrl(COMMUNE)}/crosscheck/HS_DAGQ_QUAHAN`);
  t.true(anon.statusCode === 302 || anon.statusCode === 401, String(anon.statusCode));
  const bad = await call(app.server, officerSession, 'GET', `${reportUrl(COMMUNE)}/crosscheck/TL_DUNGHAN`);
  t.is(bad.statusCode, 400);
  t.true(bad.payload.includes('không đối chiếu được với hồ sơ'));
  t.is((await call(app.server, officerSession, 'GET', `${reportUrl(COMMUNE)}/crosscheck/HS_NHAN.huyen`)).statusCode, 400);
  // Nothing leaks the other province's dossier into Hà Nội's lists.
  const list = await call(app.server, provinceSession, 'GET', `${reportUrl('01')}/crosscheck/HS_DAGQ_TRUOCHAN`);
  t.false(codesOf(list.payload).includes('XC-20'));
  t.truthy(await getReport(null, REGIME, PERIOD, COMMUNE));
});

// Opening a cycle is idempotent when two openers race and after a crash half-way; the overdue
// escalation job tells the unit's leader and the parent's officers once the deadline has passed.
import test from 'ava';
import { QueryTypes } from 'sequelize';
import { startApp, makeUser, type TestApp } from '../../helpers/server.ts';
import { deployShippedProcesses, runDueJobs, startProcesses } from '../../../src/engine/service.ts';
import { Report } from '../../../src/reporting/models.ts';
import { cycleStatus, importRegime, openCycle, saveReport } from '../../../src/reporting/service.ts';
import { loadViewer } from '../../../src/auth/service.ts';
import { AppError } from '../../../src/errors.ts';
import { periodContaining, previousPeriod } from '../../../src/reporting/periods.ts';
import { db } from '../../../src/store/index.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';

let app: TestApp;
const units = ['00004', '00070', '00103', '00118'];
const current = periodContaining('month', new Date()).period;

test.before(async () => {
  app = await startApp();
  await deployShippedProcesses();
  await importRegime(null, { code: 'SMALL', name: 'Báo cáo thử bốn phường', formKey: 'kt-xh-thang', frequency: 'month', reporters: { levels: ['province'], within: '01', units }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 } });
});
test.after.always(async () => {
  await app?.close();
});

test.serial('two openers at once make each report once, and a re-run after a crash adds only what is missing', async (t) => {
  const [a, b] = await Promise.all([openCycle('SMALL', current), openCycle('SMALL', current)]);
  t.is(a.created + b.created, units.length + 1);
  const [{ n }] = await db().query('SELECT COUNT(*) AS n FROM reporting_reports', { type: QueryTypes.SELECT }) as Array<{ n: number }>;
  t.is(Number(n), units.length + 1);
  // A crash after some rows: remove two reports (as if their chunk never committed) and open again.
  await db().query("DELETE FROM reporting_reports WHERE org_code IN ('00103', '00118')");
  const again = await openCycle('SMALL', current);
  t.is(again.created, 2);
  await runDueJobs();
  const [{ m }] = await db().query("SELECT COUNT(*) AS m FROM engine_instances WHERE definition_key = 'report-cycle'", { type: QueryTypes.SELECT }) as Array<{ m: number }>;
  t.is(Number(m), units.length + 1, 'one instance per report, none twice');
  t.is((await cycleStatus('SMALL', current)).expected, units.length + 1);
});

test.serial('two nodes running the start jobs at once, after a crash mid-batch, leave exactly one instance per report', async (t) => {
  const period = previousPeriod(previousPeriod(previousPeriod(current)));
  const opened = await openCycle('SMALL', period);
  const reports = await Report.findAll({ where: { cycleId: opened.cycleId }, order: [['id', 'ASC']] });
  // A crashed node had claimed two reports and its engine batch had committed the first one's instance, unrecorded.
  const [first, second] = reports;
  const [orphan] = await startProcesses('report-cycle', [{ businessKey: `report:${first.id}:${first.round}`, variables: { orgCode: first.orgCode, reportId: first.id, regime: 'SMALL', period }, org: { code: first.orgCode, path: first.orgPath } }]);
  const stale = `starting:${Date.now() - 11 * 60_000}:dead`;
  await Report.update({ instanceId: stale }, { where: { id: [first.id, second.id] } });
  await Promise.all([runDueJobs('node-a'), runDueJobs('node-b')]);
  const after = await Report.findAll({ where: { cycleId: opened.cycleId }, order: [['id', 'ASC']] });
  t.true(after.every((r) => r.instanceId && !r.instanceId.startsWith('starting:')), 'every report has its instance');
  t.is(after[0].instanceId, orphan.id, 'the crashed batch\'s instance is recorded, not started again');
  const keys = after.map((r) => `report:${r.id}:${r.round}`);
  const [{ n }] = await db().query(`SELECT COUNT(*) AS n FROM engine_instances WHERE business_key IN (${keys.map(() => '?').join(', ')})`, { replacements: keys, type: QueryTypes.SELECT }) as Array<{ n: number }>;
  t.is(Number(n), reports.length, 'one instance per report, none twice');
  t.is((await cycleStatus('SMALL', period)).status, 'open');
});

test.serial('after the deadline the overdue job tells the unit\'s leader and the parent\'s officer', async (t) => {
  await makeUser('leader', '00004', { username: 'lanhdao.tre' });
  await makeUser('officer', '01', { username: 'canbo.tinh.tre' });
  const past = previousPeriod(previousPeriod(current));
  await openCycle('SMALL', past);
  await runDueJobs();
  const overdue = await NotifyMessage.findAll({ where: { event: 'overdue' } });
  const to = new Set(overdue.map((m) => m.recipient));
  t.true(to.has('lanhdao.tre@test.govflow.local'), [...to].join(', '));
  t.true(to.has('canbo.tinh.tre@test.govflow.local'));
  t.regex(overdue[0].subject, /.+/);
});

test.serial('a jump against the previous period is a warning that needs an explanation before the report can be sent', async (t) => {
  const officer = await loadViewer(await makeUser('officer', '00004', { username: 'canbo.giaitrinh' }));
  const before = previousPeriod(current);
  await openCycle('SMALL', before);
  await saveReport(officer, 'SMALL', before, '00004', { nguoiLap: 'A', TMBL_BANLE: { th: 10 } });
  const values = { nguoiLap: 'A', TMBL_BANLE: { th: 100 } };
  const err = await t.throwsAsync(saveReport(officer, 'SMALL', current, '00004', values, { submit: true }));
  t.is((err as AppError).code, 'reporting.report.needExplanation');
  t.regex(JSON.stringify((err as AppError).details), /thay đổi 900% so với kỳ trước/);
  const sent = await saveReport(officer, 'SMALL', current, '00004', values, { submit: true, explanations: { 'xc.change.TMBL_BANLE.th': 'Khai trương trung tâm thương mại mới' } });
  t.is(sent.status, 'review');
  t.is(sent.explanations['xc.change.TMBL_BANLE.th'], 'Khai trương trung tâm thương mại mới');
});

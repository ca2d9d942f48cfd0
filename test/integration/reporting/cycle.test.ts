// Opening a cycle is idempotent when two openers race and after a crash half-way; the overdue
// escalation job tells the unit's leader and the parent's officers once the deadline has passed.
import test from 'ava';
import { QueryTypes } from 'sequelize';
import { startApp, makeUser, type TestApp } from '../../helpers/server.ts';
import { deployShippedProcesses, runDueJobs } from '../../../src/engine/service.ts';
import { cycleStatus, importRegime, openCycle } from '../../../src/reporting/service.ts';
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

// The calendar through the CLI and the admin page, on a real database: entries change due dates, and are audited.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp } from '../../helpers/server.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { AuditEntry } from '../../../src/audit/models.ts';
import { CalendarDay } from '../../../src/calendar/models.ts';
import { dueDate } from '../../../src/calendar/service.ts';
import { toVnIso } from '../../../src/time.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false });
});

test.after.always(async () => {
  await app?.close();
});

test.serial('calendar due prints the due date as JSON in Vietnam time, skipping Tết 2026', async (t) => {
  const r = await govflowCli(app.db, ['calendar', 'due', '2026-02-13T10:00:00+07:00', '3']);
  t.is(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.like(got, { receivedAt: '2026-02-13T10:00:00+07:00', countedFrom: '2026-02-23T08:00:00+07:00', due: '2026-02-25T17:00:00+07:00' });
});

test.serial('calendar add-workday makes a Saturday count and add-holiday a range of days off, both audited', async (t) => {
  let r = await govflowCli(app.db, ['calendar', 'add-workday', '2026-12-05', '--name', 'Làm bù cho ngày 31/12']);
  t.is(r.code, 0, r.stderr);
  r = await govflowCli(app.db, ['calendar', 'due', '2026-12-04 09:00', '1']);
  t.is(JSON.parse(r.stdout).due, '2026-12-05T17:00:00+07:00');
  r = await govflowCli(app.db, ['calendar', 'add-holiday', '2026-12-07', '2026-12-08', '--name', 'Nghỉ thêm']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /2026-12-07, 2026-12-08/);
  t.is(toVnIso((await dueDate(new Date('2026-12-05T09:00:00+07:00'), 1)).due), '2026-12-09T17:00:00+07:00');
  const actions = (await AuditEntry.findAll({ where: { targetType: 'calendar_day' } })).map((e) => e.action);
  t.deepEqual(actions, ['calendar.addWorkday', 'calendar.addHoliday']);
});

test.serial('calendar add-holiday refuses a bad date with a message and writes nothing', async (t) => {
  const before = await CalendarDay.count();
  const r = await govflowCli(app.db, ['calendar', 'add-holiday', '2026-02-30', '--name', 'Sai']);
  t.is(r.code, 1);
  t.regex(r.stderr, /2026-02-30/);
  t.is(await CalendarDay.count(), before);
});

test.serial('the admin lists a year, adds a day off and removes it again on the calendar page', async (t) => {
  const admin = await makeUser('admin');
  const s = await login(app.server, admin.username);
  let res = await call(app.server, s, 'GET', '/admin/calendar?year=2026');
  t.is(res.statusCode, 200);
  t.regex(res.payload, /Giỗ Tổ Hùng Vương/);
  t.regex(res.payload, /2026-02-16/);
  res = await call(app.server, s, 'POST', '/admin/calendar', { from: '2026-12-31', to: '', kind: 'holiday', name: 'Nghỉ cuối năm' });
  t.is(res.statusCode, 302);
  t.is(res.headers.location, '/admin/calendar?year=2026&saved=1');
  const row = await CalendarDay.findOne({ where: { date: '2026-12-31' } });
  t.is(row?.createdBy, admin.username);
  res = await call(app.server, s, 'GET', '/admin/calendar?year=2026');
  t.regex(res.payload, /Nghỉ cuối năm/);
  res = await call(app.server, s, 'POST', '/admin/calendar', { from: '2026-12-31', to: '2026-12-01', kind: 'holiday', name: 'Ngược' });
  t.is(res.statusCode, 400);
  t.regex(res.payload, /không sớm hơn ngày bắt đầu/);
  res = await call(app.server, s, 'POST', `/admin/calendar/${row!.id}/delete`, {});
  t.is(res.statusCode, 302);
  t.is(await CalendarDay.findOne({ where: { date: '2026-12-31' } }), null);
  const last = await AuditEntry.findOne({ where: { action: 'calendar.removeDay' } });
  t.is(last?.targetId, '2026-12-31');
});

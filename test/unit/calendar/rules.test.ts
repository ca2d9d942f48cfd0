// The working-day rule on its own: Art. 112 holidays per year, weekends, entries, office hours and due dates.
import test from 'ava';
import { computeDueDate, legalHolidays, parseOfficeHours, WorkCalendar, type Override } from '../../../src/calendar/rules.ts';
import { toVnIso } from '../../../src/time.ts';

const hours = parseOfficeHours('08:00-17:00')!;
const plain = new WorkCalendar(new Map());

function due(at: string, days: number, cal = plain) {
  const r = computeDueDate(new Date(at), days, hours, cal);
  return { deemed: toVnIso(r.deemedReceivedAt), countedFrom: toVnIso(r.countedFrom), due: toVnIso(r.due) };
}

test('Tết 2026 is the last day of the lunar year and the first four days of the new one (16–20 February)', (t) => {
  const tet = legalHolidays(2026).filter((d) => d.name.startsWith('Tết Nguyên đán')).map((d) => d.date);
  t.deepEqual(tet, ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']);
});

test('Tết 2027 on a weekend adds compensating days off on the next working days', (t) => {
  const days = legalHolidays(2027);
  t.deepEqual(days.filter((d) => d.name.includes('Tết Nguyên đán')).map((d) => `${d.date}:${d.kind}`), [
    '2027-02-05:legal', '2027-02-06:legal', '2027-02-07:legal', '2027-02-08:legal', '2027-02-09:legal', '2027-02-10:compensating', '2027-02-11:compensating',
  ]);
});

test('the Hùng Kings day comes from the lunar calendar and 2 September brings the day before it', (t) => {
  const d2026 = legalHolidays(2026).map((d) => d.date);
  t.true(d2026.includes('2026-04-26'));
  t.true(d2026.includes('2026-04-27'), 'Sunday 26 April 2026 gives Monday off');
  t.true(d2026.includes('2026-09-01') && d2026.includes('2026-09-02'));
  t.true(legalHolidays(2027).map((d) => d.date).includes('2027-04-16'));
});

test('a dossier received on a Friday morning with 3 days is due on Wednesday at office close', (t) => {
  t.deepEqual(due('2026-12-04T09:00:00+07:00', 3), { deemed: '2026-12-04T09:00:00+07:00', countedFrom: '2026-12-07T08:00:00+07:00', due: '2026-12-09T17:00:00+07:00' });
});

test('a dossier received on a Saturday counts from Monday, which itself is not counted', (t) => {
  t.deepEqual(due('2026-12-05T10:00:00+07:00', 1), { deemed: '2026-12-07T08:00:00+07:00', countedFrom: '2026-12-08T08:00:00+07:00', due: '2026-12-08T17:00:00+07:00' });
});

test('after office close counts as received at the next opening; before opening on a working day, at that day’s opening', (t) => {
  t.is(due('2026-12-01T17:00:00+07:00', 1).deemed, '2026-12-02T08:00:00+07:00');
  t.is(due('2026-12-01T17:00:00+07:00', 1).due, '2026-12-03T17:00:00+07:00');
  t.is(due('2026-12-01T16:59:59+07:00', 1).due, '2026-12-02T17:00:00+07:00');
  t.is(due('2026-12-01T07:59:00+07:00', 1).deemed, '2026-12-01T08:00:00+07:00');
  t.is(due('2026-12-01T07:59:00+07:00', 1).due, '2026-12-02T17:00:00+07:00');
});

test('midnight Vietnam time is the day boundary, not midnight UTC', (t) => {
  // 23:59 on Thursday and 00:00 on Friday in Vietnam are 16:59 and 17:00 UTC on Thursday.
  t.is(due('2026-12-03T16:59:00Z', 1).deemed, '2026-12-04T08:00:00+07:00');
  t.is(due('2026-12-03T17:00:00Z', 1).deemed, '2026-12-04T08:00:00+07:00');
  t.is(due('2026-12-03T16:59:00Z', 1).due, '2026-12-07T17:00:00+07:00');
  t.is(due('2026-12-04T00:59:00Z', 1).due, '2026-12-07T17:00:00+07:00', '07:59 Friday counts from Friday 08:00');
});

test('Tết 2026 is skipped: received on Friday 13 February with 3 days, due on Wednesday 25 February', (t) => {
  t.deepEqual(due('2026-02-13T10:00:00+07:00', 3), { deemed: '2026-02-13T10:00:00+07:00', countedFrom: '2026-02-23T08:00:00+07:00', due: '2026-02-25T17:00:00+07:00' });
});

test('Tết 2027 and its compensating days are skipped', (t) => {
  t.is(due('2027-02-04T10:00:00+07:00', 1).due, '2027-02-12T17:00:00+07:00');
});

test('a compensating working Saturday entered by the admin counts as a working day', (t) => {
  const cal = new WorkCalendar(new Map<string, Override>([['2026-12-05', 'workday']]));
  t.is(due('2026-12-04T09:00:00+07:00', 1, cal).due, '2026-12-05T17:00:00+07:00');
  t.is(due('2026-12-04T09:00:00+07:00', 1).due, '2026-12-07T17:00:00+07:00');
});

test('an extra day off entered by the admin is skipped, and a computed holiday made a working day counts', (t) => {
  const cal = new WorkCalendar(new Map<string, Override>([['2026-12-07', 'holiday'], ['2026-09-01', 'workday']]));
  t.is(due('2026-12-04T09:00:00+07:00', 1, cal).due, '2026-12-08T17:00:00+07:00');
  t.is(due('2026-08-31T09:00:00+07:00', 1, cal).due, '2026-09-01T17:00:00+07:00');
  t.is(due('2026-08-31T09:00:00+07:00', 1).due, '2026-09-03T17:00:00+07:00');
});

test('half days end in the middle of the office day; zero days at the close of the day of receipt', (t) => {
  t.is(due('2026-12-01T09:00:00+07:00', 0.5).due, '2026-12-02T12:30:00+07:00');
  t.is(due('2026-12-01T09:00:00+07:00', 1.5).due, '2026-12-03T12:30:00+07:00');
  t.is(due('2026-12-01T09:00:00+07:00', 0).due, '2026-12-01T17:00:00+07:00');
});

test('office hours must be HH:MM-HH:MM with the opening first', (t) => {
  t.deepEqual(parseOfficeHours('07:30-16:30'), { open: 450, close: 990 });
  t.is(parseOfficeHours('17:00-08:00'), null);
  t.is(parseOfficeHours('8-17'), null);
  t.throws(() => computeDueDate(new Date(), 0.3, hours, plain), { instanceOf: RangeError });
});

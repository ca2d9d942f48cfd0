// Reporting periods against Decree 09/2019/NĐ-CP, Article 12 (Thời gian chốt số liệu báo cáo):
//
//   1. Báo cáo định kỳ hằng tháng: Tính từ ngày 15 tháng trước đến ngày 14 của tháng thuộc kỳ báo cáo.
//   2. Báo cáo định kỳ hằng quý: Tính từ ngày 15 của tháng trước kỳ báo cáo đến ngày 14 của tháng cuối quý
//      thuộc kỳ báo cáo.
//   3. Báo cáo định kỳ 6 tháng: Thời gian chốt số liệu 6 tháng đầu năm được tính từ ngày 15 của tháng 12 năm
//      trước kỳ báo cáo đến ngày 14 tháng 6 của kỳ báo cáo. Thời gian chốt số liệu 6 tháng cuối năm được tính
//      từ ngày 15 tháng 6 đến ngày 14 tháng 12 của kỳ báo cáo.
//   4. Báo cáo định kỳ hằng năm: Tính từ ngày 15 tháng 12 năm trước kỳ báo cáo đến ngày 14 tháng 12 của kỳ
//      báo cáo.
//
// and the latest deadline of issue 11: reports go commune → province → centre "in the window from the 15th to
// the 25th of the period's last month", so the deadline is the end of the 25th of that month.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { AppError } from '../../../src/errors.ts';
import { t as msg } from '../../../src/i18n/index.ts';
import {
  assertPeriodOf,
  periodContaining,
  periodInfo,
  periodLabel,
  parsePeriod,
  periodsBetween,
  previousPeriod,
  type Frequency,
} from '../../../src/reporting/periods.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// [clause, frequency, date, period, cut-off start day, cut-off end day, deadline day]
const decreeTable: Array<[string, Frequency, string, string, string, string, string]> = [
  // Clause 1: month M = 15th of M-1 .. 14th of M.
  ['1', 'month', '2026-10-01', '2026-10', '2026-09-15', '2026-10-14', '2026-10-25'],
  ['1', 'month', '2026-09-15', '2026-10', '2026-09-15', '2026-10-14', '2026-10-25'],
  ['1', 'month', '2026-10-14', '2026-10', '2026-09-15', '2026-10-14', '2026-10-25'],
  ['1', 'month', '2026-10-15', '2026-11', '2026-10-15', '2026-11-14', '2026-11-25'],
  ['1', 'month', '2026-12-20', '2027-01', '2026-12-15', '2027-01-14', '2027-01-25'],
  ['1', 'month', '2028-02-29', '2028-03', '2028-02-15', '2028-03-14', '2028-03-25'],
  // Clause 2: the quarter's window opens on the 15th of the month before it and closes on the 14th of its last month.
  ['2', 'quarter', '2026-06-15', '2026Q3', '2026-06-15', '2026-09-14', '2026-09-25'],
  ['2', 'quarter', '2026-09-14', '2026Q3', '2026-06-15', '2026-09-14', '2026-09-25'],
  ['2', 'quarter', '2026-09-15', '2026Q4', '2026-09-15', '2026-12-14', '2026-12-25'],
  ['2', 'quarter', '2026-12-15', '2027Q1', '2026-12-15', '2027-03-14', '2027-03-25'],
  ['2', 'quarter', '2027-01-10', '2027Q1', '2026-12-15', '2027-03-14', '2027-03-25'],
  // Clause 3: first half 15 Dec of the year before .. 14 Jun; second half 15 Jun .. 14 Dec.
  ['3', 'half-year', '2025-12-15', '2026S1', '2025-12-15', '2026-06-14', '2026-06-25'],
  ['3', 'half-year', '2026-06-14', '2026S1', '2025-12-15', '2026-06-14', '2026-06-25'],
  ['3', 'half-year', '2026-06-15', '2026S2', '2026-06-15', '2026-12-14', '2026-12-25'],
  ['3', 'half-year', '2026-12-14', '2026S2', '2026-06-15', '2026-12-14', '2026-12-25'],
  ['3', 'half-year', '2026-12-15', '2027S1', '2026-12-15', '2027-06-14', '2027-06-25'],
  // Clause 4: the year runs from 15 Dec of the year before to 14 Dec.
  ['4', 'year', '2025-12-15', '2026', '2025-12-15', '2026-12-14', '2026-12-25'],
  ['4', 'year', '2026-07-01', '2026', '2025-12-15', '2026-12-14', '2026-12-25'],
  ['4', 'year', '2026-12-14', '2026', '2025-12-15', '2026-12-14', '2026-12-25'],
  ['4', 'year', '2026-12-15', '2027', '2026-12-15', '2027-12-14', '2027-12-25'],
];

for (const [clause, frequency, date, period, start, end, deadline] of decreeTable) {
  test(`Art. 12 cl. ${clause}: ${frequency} on ${date} is ${period}`, (t) => {
    t.deepEqual(periodContaining(frequency, date), {
      period,
      frequency,
      cutoffStart: `${start}T00:00:00.000+07:00`,
      cutoffEnd: `${end}T23:59:59.999+07:00`,
      deadline: `${deadline}T23:59:59.999+07:00`,
    });
    t.deepEqual(periodInfo(period), periodContaining(frequency, date));
  });
}

test('instants are read in Vietnam time, whatever their offset', (t) => {
  // 14 Oct 16:59:59Z is 23:59:59 on the 14th in Vietnam; one second later it is the 15th.
  t.is(periodContaining('month', '2026-10-14T16:59:59Z').period, '2026-10');
  t.is(periodContaining('month', '2026-10-14T17:00:00Z').period, '2026-11');
  t.is(periodContaining('month', '2026-10-15T00:00:00+07:00').period, '2026-11');
  t.is(periodContaining('month', new Date('2026-10-14T17:00:00.000Z')).period, '2026-11');
  t.is(periodContaining('year', '2026-12-14T17:00:00Z').period, '2027');
});

test('every instant of a window maps back to its period, and windows of one kind tile the calendar', (t) => {
  for (const frequency of ['month', 'quarter', 'half-year', 'year'] as const) {
    let p = periodContaining(frequency, '2025-01-01');
    for (let i = 0; i < 30; i++) {
      t.is(periodContaining(frequency, p.cutoffStart).period, p.period);
      t.is(periodContaining(frequency, p.cutoffEnd).period, p.period);
      const next = periodContaining(frequency, new Date(new Date(p.cutoffEnd).getTime() + 1));
      t.is(new Date(next.cutoffStart).getTime(), new Date(p.cutoffEnd).getTime() + 1, `${p.period} → ${next.period}`);
      t.is(previousPeriod(next.period), p.period);
      p = next;
    }
  }
});

test('period ids: both DHIS2 and dashed month shapes are accepted, canonical ids come back', (t) => {
  t.deepEqual(parsePeriod('2026-10'), { period: '2026-10', frequency: 'month' });
  t.deepEqual(parsePeriod('202610'), { period: '2026-10', frequency: 'month' });
  t.deepEqual(parsePeriod('2026q3'), { period: '2026Q3', frequency: 'quarter' });
  t.deepEqual(parsePeriod('2026S1'), { period: '2026S1', frequency: 'half-year' });
  t.deepEqual(parsePeriod('2026'), { period: '2026', frequency: 'year' });
  for (const bad of ['abcd', '', '2026-13', '2026-00', '2026Q5', '2026S3', '26-10', '2026-1', '2026-10-01', '2026W40', '2026 10']) {
    t.is(parsePeriod(bad), null, bad);
  }
  t.is(parsePeriod(undefined as unknown as string), null);
});

test('a bad period id is a 400 with a message a person can act on', (t) => {
  const err = t.throws(() => periodInfo('abcd'), { instanceOf: AppError })!;
  t.is(err.code, 'reporting.period.invalid');
  t.is(err.status, 400);
  t.regex(msg('vi', err.code, err.params), /Kỳ báo cáo "abcd" không hợp lệ/);
  t.regex(msg('en', err.code, err.params), /2026Q3/);
});

test('a period of the wrong kind is a 400 naming the right shape', (t) => {
  t.is(assertPeriodOf('month', '202610'), '2026-10');
  t.is(assertPeriodOf('quarter', '2026q3'), '2026Q3');
  const err = t.throws(() => assertPeriodOf('quarter', '2026-10'), { instanceOf: AppError })!;
  t.is(err.code, 'reporting.period.wrongKind');
  t.is(err.status, 400);
  t.is(err.params.example, '2026Q1');
  t.is(t.throws(() => assertPeriodOf('month', 'abcd'), { instanceOf: AppError })!.code, 'reporting.period.invalid');
});

test('bad dates and frequencies are 400s, not crashes', (t) => {
  for (const bad of ['abcd', '2026-02-30', '2026-10-14T10:00:00', '']) {
    const err = t.throws(() => periodContaining('month', bad), { instanceOf: AppError }, bad)!;
    t.is(err.code, 'reporting.period.date');
    t.is(err.status, 400);
  }
  t.is(t.throws(() => periodContaining('month', new Date(Number.NaN)), { instanceOf: AppError })!.code, 'reporting.period.date');
  t.is(t.throws(() => periodContaining('week' as Frequency, '2026-10-01'), { instanceOf: AppError })!.code, 'reporting.period.frequency');
});

test('previous periods cross year boundaries', (t) => {
  t.is(previousPeriod('2026-01'), '2025-12');
  t.is(previousPeriod('202603'), '2026-02');
  t.is(previousPeriod('2026Q1'), '2025Q4');
  t.is(previousPeriod('2026S1'), '2025S2');
  t.is(previousPeriod('2026S2'), '2026S1');
  t.is(previousPeriod('2026'), '2025');
});

test('periods between two of the same kind, inclusive', (t) => {
  t.deepEqual(periodsBetween('2025-11', '202602'), ['2025-11', '2025-12', '2026-01', '2026-02']);
  t.deepEqual(periodsBetween('2025Q4', '2026Q2'), ['2025Q4', '2026Q1', '2026Q2']);
  t.deepEqual(periodsBetween('2025S2', '2026S2'), ['2025S2', '2026S1', '2026S2']);
  t.deepEqual(periodsBetween('2024', '2026'), ['2024', '2025', '2026']);
  t.deepEqual(periodsBetween('2026-03', '2026-03'), ['2026-03']);
  t.deepEqual(periodsBetween('2026-03', '2026-01'), []);
  t.is(t.throws(() => periodsBetween('2026-01', '2026Q1'), { instanceOf: AppError })!.code, 'reporting.period.wrongKind');
});

test('labels as people write them, in Vietnamese and English', (t) => {
  t.is(periodLabel('2026-10', 'vi'), 'Tháng 10/2026');
  t.is(periodLabel('2026Q3', 'vi'), 'Quý III/2026');
  t.is(periodLabel('2026S1', 'vi'), '6 tháng đầu năm 2026');
  t.is(periodLabel('2026S2', 'vi'), '6 tháng cuối năm 2026');
  t.is(periodLabel('2026', 'vi'), 'Năm 2026');
  t.is(periodLabel('202610', 'en'), 'October 2026');
  t.is(periodLabel('2026Q3', 'en'), 'Q3 2026');
  t.is(periodLabel('2026S1', 'en'), 'First half of 2026');
  t.is(periodLabel('2026', 'en'), 'Year 2026');
});

test('govflow period FREQUENCY DATE prints the period as JSON', (t) => {
  const run = (...args: string[]) => execFileSync(process.execPath, ['bin/govflow.js', 'period', ...args], { cwd: root, encoding: 'utf8' });
  t.deepEqual(JSON.parse(run('quarter', '2026-06-15T00:30:00+07:00')), {
    period: '2026Q3',
    cutoffStart: '2026-06-15T00:00:00.000+07:00',
    cutoffEnd: '2026-09-14T23:59:59.999+07:00',
    deadline: '2026-09-25T23:59:59.999+07:00',
  });
  const err = t.throws(() => execFileSync(process.execPath, ['bin/govflow.js', 'period', 'month', 'abcd'], { cwd: root, encoding: 'utf8', stdio: 'pipe' })) as Error & { status: number; stderr: string };
  t.is(err.status, 1);
  t.regex(err.stderr, /"abcd" is neither a date/);
});

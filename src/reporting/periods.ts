// Reporting periods under Decree 09/2019/NĐ-CP Art. 12: for a frequency and a date, the period whose data
// cut-off window holds the date, the window itself and the latest deadline, all in Vietnam time (UTC+07:00,
// no daylight saving). Pure: no database, no clock.
//
// Every window runs from the 15th of the month before the period's first month to the 14th of its last
// month, so a date is first mapped to its "effective month" (the 15th and later belong to the next month)
// and every kind of period follows from that month.
import { BadRequest } from '../errors.ts';
import { t } from '../i18n/index.ts';

/** How often a regime reports. */
export type Frequency = 'month' | 'quarter' | 'half-year' | 'year';

/** A period with its cut-off window and latest deadline as ISO instants with +07:00. */
export interface PeriodInfo {
  period: string;
  frequency: Frequency;
  /** Start of the 15th of the month before the period's first month. */
  cutoffStart: string;
  /** End (23:59:59.999) of the 14th of the period's last month. */
  cutoffEnd: string;
  /** End of the 25th of the period's last month. */
  deadline: string;
}

/** Every frequency, in order of length. */
export const FREQUENCIES: readonly Frequency[] = ['month', 'quarter', 'half-year', 'year'];

const VN_OFFSET_MS = 7 * 3600 * 1000;
const MIN_YEAR = 1900;
const MAX_YEAR = 9999;

interface Span {
  frequency: Frequency;
  year: number;
  /** 1-based first and last month of the period. */
  first: number;
  last: number;
  /** Month, quarter or half (1-based); 1 for a year. */
  index: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Whether a value names a frequency. */
export function isFrequency(value: unknown): value is Frequency {
  return (FREQUENCIES as readonly unknown[]).includes(value);
}

function spanOf(frequency: Frequency, year: number, index: number): Span {
  switch (frequency) {
    case 'month':
      return { frequency, year, first: index, last: index, index };
    case 'quarter':
      return { frequency, year, first: index * 3 - 2, last: index * 3, index };
    case 'half-year':
      return { frequency, year, first: index * 6 - 5, last: index * 6, index };
    case 'year':
      return { frequency, year, first: 1, last: 12, index: 1 };
  }
}

function idOf(s: Span): string {
  switch (s.frequency) {
    case 'month':
      return `${s.year}-${pad(s.index)}`;
    case 'quarter':
      return `${s.year}Q${s.index}`;
    case 'half-year':
      return `${s.year}S${s.index}`;
    case 'year':
      return String(s.year);
  }
}

function parseSpan(id: string): Span | null {
  if (typeof id !== 'string') return null;
  const s = id.trim().toUpperCase();
  let m: RegExpMatchArray | null;
  let span: Span | null = null;
  if ((m = /^(\d{4})-?(\d{2})$/.exec(s))) {
    const month = Number(m[2]);
    if (month >= 1 && month <= 12) span = spanOf('month', Number(m[1]), month);
  } else if ((m = /^(\d{4})Q([1-4])$/.exec(s))) span = spanOf('quarter', Number(m[1]), Number(m[2]));
  else if ((m = /^(\d{4})S([12])$/.exec(s))) span = spanOf('half-year', Number(m[1]), Number(m[2]));
  else if ((m = /^(\d{4})$/.exec(s))) span = spanOf('year', Number(m[1]), 1);
  if (!span || span.year < MIN_YEAR || span.year > MAX_YEAR) return null;
  return span;
}

/** A calendar day in Vietnam time as an ISO instant with +07:00, at its start or its last millisecond. */
function vnInstant(year: number, month: number, day: number, endOfDay: boolean): string {
  // Date.UTC normalises month 0 to December of the year before.
  const d = new Date(Date.UTC(year, month - 1, day));
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${date}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}+07:00`;
}

function infoOf(s: Span): PeriodInfo {
  return {
    period: idOf(s),
    frequency: s.frequency,
    cutoffStart: vnInstant(s.year, s.first - 1, 15, false),
    cutoffEnd: vnInstant(s.year, s.last, 14, true),
    deadline: vnInstant(s.year, s.last, 25, true),
  };
}

/** The Vietnam calendar day of a date ('YYYY-MM-DD') or an instant, or null when it is not one. */
function vnDay(at: Date | string): { year: number; month: number; day: number } | null {
  if (typeof at === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(at.trim());
    if (m) {
      const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const d = new Date(Date.UTC(year, month - 1, day));
      // Reject 2026-02-30 rather than rolling it into March.
      if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
      return { year, month, day };
    }
    // An instant must carry its time zone: a bare local time would be read in the server's zone.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(at.trim())) return null;
  }
  const ms = new Date(at).getTime();
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms + VN_OFFSET_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The period of a frequency whose cut-off window contains `at` (a date 'YYYY-MM-DD' or an ISO instant, read in Vietnam time). */
export function periodContaining(frequency: Frequency, at: Date | string): PeriodInfo {
  if (!isFrequency(frequency)) throw BadRequest('reporting.period.frequency', { frequency: String(frequency), allowed: FREQUENCIES.join(', ') });
  const day = vnDay(at);
  if (!day) throw BadRequest('reporting.period.date', { date: at instanceof Date ? 'Invalid Date' : String(at) });
  // From the 15th on, a day belongs to the next month's window.
  let year = day.year;
  let month = day.month;
  if (day.day >= 15) {
    month += 1;
    if (month === 13) {
      month = 1;
      year += 1;
    }
  }
  const index = frequency === 'month' ? month : frequency === 'quarter' ? Math.ceil(month / 3) : frequency === 'half-year' ? Math.ceil(month / 6) : 1;
  return infoOf(spanOf(frequency, year, index));
}

/** A period id in canonical form with its kind, or null: accepts '2026-10' and '202610', '2026Q3', '2026S1', '2026'. */
export function parsePeriod(id: string): { period: string; frequency: Frequency } | null {
  const s = parseSpan(id);
  return s ? { period: idOf(s), frequency: s.frequency } : null;
}

function mustSpan(id: string): Span {
  const s = parseSpan(id);
  if (!s) throw BadRequest('reporting.period.invalid', { period: String(id) });
  return s;
}

/** The cut-off window and deadline of a period; AppError 400 `reporting.period.invalid` on a bad id. */
export function periodInfo(period: string): PeriodInfo {
  return infoOf(mustSpan(period));
}

/** The canonical id when `id` is a period of this frequency; AppError 400 `reporting.period.wrongKind` otherwise. */
export function assertPeriodOf(frequency: Frequency, id: string): string {
  const s = mustSpan(id);
  if (s.frequency !== frequency) throw BadRequest('reporting.period.wrongKind', { period: idOf(s), frequency, example: idOf(spanOf(frequency, s.year, 1)) });
  return idOf(s);
}

/** The position of a period among those of its kind, so that neighbours differ by one. */
function ordinal(s: Span): number {
  const perYear = s.frequency === 'month' ? 12 : s.frequency === 'quarter' ? 4 : s.frequency === 'half-year' ? 2 : 1;
  return s.year * perYear + (s.index - 1);
}

function fromOrdinal(frequency: Frequency, n: number): Span {
  const perYear = frequency === 'month' ? 12 : frequency === 'quarter' ? 4 : frequency === 'half-year' ? 2 : 1;
  return spanOf(frequency, Math.floor(n / perYear), (n % perYear) + 1);
}

/** The period of the same kind just before this one. */
export function previousPeriod(period: string): string {
  const s = mustSpan(period);
  return idOf(fromOrdinal(s.frequency, ordinal(s) - 1));
}

/** Periods from `from` to `to` inclusive, both of the same kind (empty when `to` is before `from`). */
export function periodsBetween(from: string, to: string): string[] {
  const a = mustSpan(from);
  const b = mustSpan(to);
  if (a.frequency !== b.frequency) throw BadRequest('reporting.period.wrongKind', { period: idOf(b), frequency: a.frequency, example: idOf(spanOf(a.frequency, b.year, 1)) });
  const out: string[] = [];
  for (let n = ordinal(a); n <= ordinal(b); n++) out.push(idOf(fromOrdinal(a.frequency, n)));
  return out;
}

const ROMAN = ['I', 'II', 'III', 'IV'];

/** A period as people write it: 'Tháng 10/2026', 'Quý III/2026', '6 tháng đầu năm 2026', 'Năm 2026' (or in English). */
export function periodLabel(period: string, locale: 'vi' | 'en'): string {
  const s = mustSpan(period);
  const en = locale === 'en';
  switch (s.frequency) {
    case 'month':
      // Vietnamese numbers its months; English names them.
      return t(locale, 'reporting.period.label.month', { month: en ? new Date(Date.UTC(2000, s.index - 1, 1)).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' }) : s.index, year: s.year });
    case 'quarter':
      return t(locale, 'reporting.period.label.quarter', { quarter: en ? s.index : ROMAN[s.index - 1], year: s.year });
    case 'half-year':
      return t(locale, s.index === 1 ? 'reporting.period.label.firstHalf' : 'reporting.period.label.secondHalf', { year: s.year });
    case 'year':
      return t(locale, 'reporting.period.label.year', { year: s.year });
  }
}

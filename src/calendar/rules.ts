// Working days in Vietnam, without a database: the public holidays of Labour Code 2019 Art. 112 built per year,
// and the due-date rule for dossiers (docs/calendar.md). Dates are `YYYY-MM-DD` strings of the Vietnam calendar.
import Holidays from 'date-holidays';
import { t, type Locale } from '../i18n/index.ts';

const DAY_MS = 86400000;
const VN_OFFSET_MS = 7 * 3600 * 1000;

/** A day off the law gives, or the working day that makes up for one falling on a weekend. */
export interface LegalDay {
  date: string;
  /** Name of the holiday, from the `calendar.holidays` catalog. */
  name: string;
  /** `legal`: the holiday itself; `compensating`: the next working day given for a holiday on a Saturday or Sunday (Art. 112(3)). */
  kind: 'legal' | 'compensating';
}

/** Office hours as minutes after midnight, Vietnam time. */
export interface OfficeHours {
  open: number;
  close: number;
}

/** Parses `HH:MM-HH:MM` (opening before closing); null when it is not that. */
export function parseOfficeHours(text: string): OfficeHours | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(text.trim());
  if (!m) return null;
  const open = Number(m[1]) * 60 + Number(m[2]);
  const close = Number(m[3]) * 60 + Number(m[4]);
  return open < close && close <= 24 * 60 ? { open, close } : null;
}

/** Whether a string is a real calendar date `YYYY-MM-DD`. */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The date `n` days after `date`. */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** 0 (Sunday) … 6 (Saturday). */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Whether a date is a Saturday or a Sunday. */
export function isWeekend(date: string): boolean {
  const d = weekday(date);
  return d === 0 || d === 6;
}

/** The Vietnam date of an instant. */
export function vnDateOf(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes after Vietnam midnight of an instant (with fractions for seconds). */
export function vnMinutesOf(at: Date): number {
  const ms = (at.getTime() + VN_OFFSET_MS) % DAY_MS;
  return (ms < 0 ? ms + DAY_MS : ms) / 60000;
}

/** The instant of a Vietnam date at `minutes` after midnight. */
export function vnInstant(date: string, minutes: number): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - VN_OFFSET_MS + Math.round(minutes * 60000));
}

const lunar = new Holidays('VN');
const lunarCache = new Map<number, { tet: string; hungKings: string }>();

/** Lunar New Year's day (1/1) and the Hùng Kings' day (10/3) of a Gregorian year, from date-holidays' lunar rules. */
export function lunarDays(year: number): { tet: string; hungKings: string } {
  const hit = lunarCache.get(year);
  if (hit) return hit;
  const all = lunar.getHolidays(year);
  const find = (rule: string) => all.find((h) => (h as { rule?: string }).rule === rule)?.date.slice(0, 10);
  const tet = find('vietnamese 1-0-1');
  const hungKings = find('vietnamese 3-0-10');
  if (!tet || !hungKings) throw new Error(`date-holidays has no lunar dates for ${year}`);
  const out = { tet, hungKings };
  lunarCache.set(year, out);
  return out;
}

/**
 * The days off of Art. 112 in a year, by the rule documented in docs/calendar.md: 1 January; Tết as the last day of
 * the lunar year and the first four days of the new one; 10/3 lunar; 30 April; 1 May; 2 September and the day before
 * it. Each of these that falls on a Saturday or Sunday adds a compensating day off on the next working day.
 */
export function legalHolidays(year: number, locale: Locale = 'vi'): LegalDay[] {
  const { tet, hungKings } = lunarDays(year);
  const day = (date: string, key: string, params: Record<string, unknown> = {}): LegalDay => ({ date, name: t(locale, `calendar.holidays.${key}`, params), kind: 'legal' });
  const days: LegalDay[] = [day(`${year}-01-01`, 'newYear'), day(addDays(tet, -1), 'tetEve')];
  for (let i = 0; i < 4; i++) days.push(day(addDays(tet, i), 'tetDay', { n: i + 1 }));
  days.push(day(hungKings, 'hungKings'), day(`${year}-04-30`, 'reunification'), day(`${year}-05-01`, 'labour'));
  days.push(day(`${year}-09-01`, 'nationalEve'), day(`${year}-09-02`, 'national'));
  days.sort((a, b) => a.date.localeCompare(b.date));
  const taken = new Set(days.map((d) => d.date));
  const out = [...days];
  for (const d of days) {
    if (!isWeekend(d.date)) continue;
    let c = addDays(d.date, 1);
    while (isWeekend(c) || taken.has(c)) c = addDays(c, 1);
    taken.add(c);
    out.push({ date: c, name: t(locale, 'calendar.holidays.compensating', { name: d.name }), kind: 'compensating' });
  }
  return out.sort((a, b) => a.date.localeCompare(b.date));
}

/** What the administrator entered for a date: `holiday` (a day off) or `workday` (a working day). */
export type Override = 'holiday' | 'workday';

/** Decides whether a date is a working day: the administrator's entry first, then the legal holidays, then the weekend. */
export class WorkCalendar {
  private legal = new Map<number, Set<string>>();

  constructor(private readonly overrides: ReadonlyMap<string, Override>) {}

  private legalOf(year: number): Set<string> {
    let set = this.legal.get(year);
    if (!set) {
      set = new Set(legalHolidays(year).map((d) => d.date));
      this.legal.set(year, set);
    }
    return set;
  }

  /** Whether a date is a working day. */
  isWorkingDay(date: string): boolean {
    const o = this.overrides.get(date);
    if (o) return o === 'workday';
    if (this.legalOf(Number(date.slice(0, 4))).has(date)) return false;
    return !isWeekend(date);
  }

  /** The first working day after a date. */
  nextWorkingDay(date: string): string {
    let d = addDays(date, 1);
    // Ten years without a working day means the entries are broken, not that the loop should go on.
    for (let i = 0; i < 3660 && !this.isWorkingDay(d); i++) d = addDays(d, 1);
    return d;
  }
}

/** A due date and what it was counted from. */
export interface DueDate {
  /** When the dossier arrived. */
  receivedAt: Date;
  /** When it counts as received: the arrival itself in office hours of a working day, else the next opening. */
  deemedReceivedAt: Date;
  /** The opening of the first working day counted (the day of receipt is not counted). */
  countedFrom: Date;
  /** The office close of the Nth working day after the day of receipt (the middle of the day for a half day). */
  due: Date;
}

/**
 * Applies the rule: a dossier received outside office hours or on a non-working day counts as received at the next
 * opening; the day of receipt is not counted; the due date is the office close of the Nth working day after it.
 * `days` is a multiple of 0.5; a half day ends in the middle of the office day. 0 days: the close of the day of receipt.
 */
export function computeDueDate(receivedAt: Date, days: number, hours: OfficeHours, cal: WorkCalendar): DueDate {
  if (!Number.isFinite(days) || days < 0 || Math.round(days * 2) !== days * 2) throw new RangeError('days must be a non-negative multiple of 0.5');
  const date = vnDateOf(receivedAt);
  const minutes = vnMinutesOf(receivedAt);
  let receiptDay: string;
  let deemedReceivedAt: Date;
  if (cal.isWorkingDay(date) && minutes < hours.close) {
    receiptDay = date;
    deemedReceivedAt = minutes >= hours.open ? receivedAt : vnInstant(date, hours.open);
  } else {
    receiptDay = cal.nextWorkingDay(date);
    deemedReceivedAt = vnInstant(receiptDay, hours.open);
  }
  const first = cal.nextWorkingDay(receiptDay);
  const whole = Math.floor(days);
  let day = receiptDay;
  for (let i = 0; i < whole; i++) day = cal.nextWorkingDay(day);
  let due: Date;
  if (days === whole) due = vnInstant(day, hours.close);
  else {
    day = cal.nextWorkingDay(day);
    due = vnInstant(day, hours.open + (hours.close - hours.open) / 2);
  }
  return { receivedAt, deemedReceivedAt, countedFrom: vnInstant(first, hours.open), due };
}

/** Working days after `from` up to and including `to` (0 when `to` is not after `from`). */
export function countWorkingDays(from: string, to: string, cal: WorkCalendar): number {
  let n = 0;
  for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (cal.isWorkingDay(d)) n++;
  return n;
}

// The working-day calendar: the computed legal holidays plus the administrator's entries, and due dates of dossiers.
import { Op, type Transaction } from 'sequelize';
import { CalendarDay, type DayKind } from './models.ts';
import { addDays, computeDueDate, countWorkingDays, isIsoDate, legalHolidays, parseOfficeHours, WorkCalendar, type DueDate, type OfficeHours, type Override } from './rules.ts';
import { getConfig } from '../config.ts';
import { inTransaction } from '../store/index.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import type { Viewer } from '../access/index.ts';
import { BadRequest, NotFound } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';

/** Longest range one add-holiday call may cover, so a typo in a year does not write thousands of rows. */
const MAX_RANGE_DAYS = 60;

/** The configured office hours. */
export function officeHours(): OfficeHours {
  return parseOfficeHours(getConfig().officeHours)!;
}

async function overridesBetween(from: string, to: string, transaction?: Transaction | null): Promise<Map<string, Override>> {
  const rows = await CalendarDay.findAll({ where: { date: { [Op.between]: [from, to] } }, attributes: ['date', 'kind'], transaction: transaction ?? undefined });
  return new Map(rows.map((r) => [r.date, r.kind]));
}

/** A calendar with the administrator's entries from `from` on, wide enough for `days` working days. */
async function calendarFrom(from: string, days: number, transaction?: Transaction | null): Promise<{ cal: WorkCalendar; until: string }> {
  // Two calendar weeks per working week leaves room for Tết and long runs of entries.
  const until = addDays(from, Math.ceil(days * 2.8) + 45);
  return { cal: new WorkCalendar(await overridesBetween(addDays(from, -1), until, transaction)), until };
}

/**
 * The due date of a dossier received at `receivedAt` with a limit of `days` working days (docs/calendar.md).
 * Inside a transaction pass it, so the read takes no second connection from the pool.
 */
export async function dueDate(receivedAt: Date, days: number, transaction?: Transaction | null): Promise<DueDate> {
  if (Number.isNaN(receivedAt.getTime())) throw BadRequest('calendar.badInstant');
  if (!Number.isFinite(days) || days < 0 || days > 1000 || Math.round(days * 2) !== days * 2) throw BadRequest('calendar.badDays');
  const start = new Date(receivedAt.getTime() + 7 * 3600000).toISOString().slice(0, 10);
  const { cal, until } = await calendarFrom(start, days, transaction);
  const r = computeDueDate(receivedAt, days, officeHours(), cal);
  if (r.due.toISOString().slice(0, 10) < until) return r;
  // Entries beyond the loaded window could change the answer: load up to the found date and count again.
  const wide = new WorkCalendar(await overridesBetween(addDays(start, -1), addDays(r.due.toISOString().slice(0, 10), 30), transaction));
  return computeDueDate(receivedAt, days, officeHours(), wide);
}

/** Whether a Vietnam date is a working day. */
export async function isWorkingDay(date: string): Promise<boolean> {
  if (!isIsoDate(date)) throw BadRequest('calendar.badDate', { date });
  return new WorkCalendar(await overridesBetween(date, date)).isWorkingDay(date);
}

/** Working days after the Vietnam date `from` up to and including `to`, with the administrator's entries (for time used against a limit). */
export async function workingDaysBetween(from: string, to: string): Promise<number> {
  if (!isIsoDate(from)) throw BadRequest('calendar.badDate', { date: from });
  if (!isIsoDate(to)) throw BadRequest('calendar.badDate', { date: to });
  if (to <= from) return 0;
  return countWorkingDays(from, to, new WorkCalendar(await overridesBetween(from, to)));
}

/** One day of a year's list as the admin page shows it. */
export interface YearDay {
  date: string;
  name: string;
  /** `legal` / `compensating`: computed; `holiday` / `workday`: entered. */
  source: 'legal' | 'compensating' | 'holiday' | 'workday';
  /** Whether the day is off in the end (an entry overrides the computed day). */
  isOff: boolean;
  /** The entry's id, when the administrator entered it. */
  entryId: number | null;
  createdBy: string | null;
}

/** The computed holidays (named in `locale`) and the entries of a year, by date. */
export async function listYear(year: number, locale: Locale = 'vi'): Promise<YearDay[]> {
  if (!Number.isInteger(year) || year < 1900 || year > 2199) throw BadRequest('calendar.badYear');
  const entries = await CalendarDay.findAll({ where: { date: { [Op.between]: [`${year}-01-01`, `${year}-12-31`] } }, order: [['date', 'ASC']] });
  const byDate = new Map(entries.map((e) => [e.date, e]));
  const out: YearDay[] = [];
  for (const d of legalHolidays(year, locale)) {
    const e = byDate.get(d.date);
    out.push({ date: d.date, name: d.name, source: d.kind, isOff: e ? e.kind === 'holiday' : true, entryId: null, createdBy: null });
  }
  for (const e of entries) out.push({ date: e.date, name: e.name, source: e.kind, isOff: e.kind === 'holiday', entryId: e.id, createdBy: e.createdBy });
  return out.sort((a, b) => a.date.localeCompare(b.date) || (a.entryId === null ? -1 : 1));
}

/** Input of an entry: a date or range, what it becomes, and why. */
export interface DayInput {
  from: string;
  to?: string | null;
  kind: DayKind;
  name: string;
}

/** Records days off or working days (one row per date; a date entered again takes the new kind and name), audited. */
export async function setDays(input: DayInput, by: Viewer | null): Promise<CalendarDay[]> {
  const to = input.to || input.from;
  if (!isIsoDate(input.from)) throw BadRequest('calendar.badDate', { date: input.from });
  if (!isIsoDate(to)) throw BadRequest('calendar.badDate', { date: to });
  if (to < input.from) throw BadRequest('calendar.rangeReversed');
  const name = input.name.trim();
  if (!name || name.length > 255) throw BadRequest('calendar.nameRequired');
  const dates: string[] = [];
  for (let d = input.from; d <= to; d = addDays(d, 1)) {
    dates.push(d);
    if (dates.length > MAX_RANGE_DAYS) throw BadRequest('calendar.rangeTooLong', { max: MAX_RANGE_DAYS });
  }
  const username = by?.username ?? 'cli';
  return inTransaction(async (t) => {
    const rows: CalendarDay[] = [];
    for (const date of dates) {
      const existing = await CalendarDay.findOne({ where: { date }, transaction: t, lock: t.LOCK.UPDATE });
      if (existing) rows.push(await existing.update({ kind: input.kind, name, createdBy: username }, { transaction: t }));
      else rows.push(await CalendarDay.create({ date, kind: input.kind, name, createdBy: username }, { transaction: t }));
    }
    await appendAudit(actorOf(by), { action: input.kind === 'holiday' ? 'calendar.addHoliday' : 'calendar.addWorkday', targetType: 'calendar_day', targetId: dates.length > 1 ? `${input.from}..${to}` : input.from, detail: { name, dates: dates.length } }, t);
    return rows;
  });
}

/** Removes an entry (the computed day, if any, applies again), audited. */
export async function removeDay(id: number, by: Viewer | null): Promise<CalendarDay> {
  return inTransaction(async (t) => {
    const row = await CalendarDay.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!row) throw NotFound('calendar.entryNotFound', { id });
    await row.destroy({ transaction: t });
    await appendAudit(actorOf(by), { action: 'calendar.removeDay', targetType: 'calendar_day', targetId: row.date, detail: { kind: row.kind, name: row.name } }, t);
    return row;
  });
}

// Public statistics of dossiers (docs/insight.md): received (online, direct, carried over), resolved early /
// on time / late, pending within time / overdue, average handling time, payments, satisfaction and feedback answered
// on time, by agency, field and month — read from the rollup rows only (whole months from the monthly rows, the days
// at the edges from the daily rows), never by scanning dossiers; and the rebuild that recounts them from the raw rows.
import { literal, Op, QueryTypes, type FindAttributeOptions, type Model, type ModelStatic, type WhereOptions } from 'sequelize';
import { InsightAreaDaily, InsightAreaMonthly, InsightAreaOpen, InsightDaily, InsightMonthly, InsightOpen } from './models.ts';
import {
  addContribution, addParts, areaMonthlyOf, areasOf, DOSSIER_FLAGS, emptyDelta, factsOf, feedbackRowParts, fieldOf, monthlyOf, paymentRowParts, placesOf, ratingRowParts, type Delta,
} from './track.ts';
import { ANSWERED_CASE_STATUSES, DAILY_COLUMNS, vnDate, zeroCounts, type DailyCounts } from './contrib.ts';
import { Dossier } from '../dossiers/models.ts';
import { Payment } from '../payments/models.ts';
import { DossierRating, FeedbackCase } from '../feedback/models.ts';
import { getOrgByCode, getOrgsByIds } from '../orgs/service.ts';
import { db, inTransaction } from '../store/index.ts';
import { BadRequest } from '../errors.ts';

/** How rows are grouped. */
export const GROUPS = ['unit', 'field', 'month'] as const;
export type GroupBy = (typeof GROUPS)[number];

/** What a statistics query asks. */
export interface StatsQuery {
  /** First and last Vietnam day, inclusive (`YYYY-MM-DD`). */
  from: string;
  to: string;
  /** A unit: its whole subtree is counted; groups by `unit` are its children. Empty: the whole country. */
  orgCode?: string | null;
  field?: string | null;
  groupBy?: GroupBy;
}

/** One line of the statistics. */
export interface StatsRow extends DailyCounts {
  key: string;
  label: string;
  carriedOver: number;
  received: number;
  resolved: number;
  /** Share of resolved on time or early, 0–100 (null with nothing resolved). */
  onTimeRate: number | null;
  averageHours: number | null;
  pendingWithinTime: number;
  pendingOverdue: number;
  /** Share of ratings very satisfied or satisfied, 0–100 (null with no rating). */
  satisfactionRate: number | null;
  /** Feedback cases answered, and the share answered on time, 0–100 (null with none answered). */
  feedbackAnswered: number;
  feedbackOnTimeRate: number | null;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function sumRow(key: string, label: string): StatsRow {
  return { key, label, ...zeroCounts(), carriedOver: 0, received: 0, resolved: 0, onTimeRate: null, averageHours: null, pendingWithinTime: 0, pendingOverdue: 0,
    satisfactionRate: null, feedbackAnswered: 0, feedbackOnTimeRate: null };
}

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 10 : null);

function finish(r: StatsRow): StatsRow {
  r.received = r.receivedOnline + r.receivedDirect;
  r.resolved = r.resolvedEarly + r.resolvedOnTime + r.resolvedLate;
  r.onTimeRate = rate(r.resolvedEarly + r.resolvedOnTime, r.resolved);
  r.satisfactionRate = rate(r.verySatisfied + r.satisfied, r.rated);
  r.feedbackAnswered = r.feedbackOnTime + r.feedbackLate;
  r.feedbackOnTimeRate = rate(r.feedbackOnTime, r.feedbackAnswered);
  r.averageHours = r.resolved ? Math.round((r.handlingHours / r.resolved) * 10) / 10 : null;
  r.handlingHours = Math.round(r.handlingHours * 10) / 10;
  return r;
}

const lastDayOf = (month: string) => `${month}-${String(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate()).padStart(2, '0')}`;
const shiftMonth = (month: string, by: number) => {
  const d = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + by, 1));
  return d.toISOString().slice(0, 7);
};

/**
 * How a period is read: the whole months inside it (first and last, or null) from the monthly rows, the days
 * before the first whole month and after the last one from the daily rows.
 */
export function spanOf(from: string, to: string): { months: [string, string] | null; days: Array<[string, string]> } {
  const first = from.endsWith('-01') ? from.slice(0, 7) : shiftMonth(from.slice(0, 7), 1);
  const last = to === lastDayOf(to.slice(0, 7)) ? to.slice(0, 7) : shiftMonth(to.slice(0, 7), -1);
  if (first > last) return { months: null, days: [[from, to]] };
  const days: Array<[string, string]> = [];
  if (from < `${first}-01`) days.push([from, lastDayOf(shiftMonth(first, -1))]);
  if (to > lastDayOf(last)) days.push([`${shiftMonth(last, 1)}-01`, to]);
  return { months: [first, last], days };
}

type Raw = Record<string, unknown>;

/** The upper bound of the paths in a subtree: the path with its closing '/' raised to '0' (paths are digits and '/'). */
/** The first path after a subtree's paths (its path ends in '/', which sorts just before '0'). */
export const pathEnd = (p: string) => `${p.slice(0, -1)}0`;

/** Whole months from `a` to `b` (YYYY-MM), negative when `b` is before `a`. */
const monthsBetween = (a: string, b: string) => (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));

const gone = (r: Raw) => Number(r.resolvedEarly ?? 0) + Number(r.resolvedOnTime ?? 0) + Number(r.resolvedLate ?? 0) + Number(r.withdrawn ?? 0);
const receivedOf = (r: Raw) => Number(r.receivedOnline ?? 0) + Number(r.receivedDirect ?? 0);

/**
 * The statistics: one row per group plus the total. Reads rollup rows only: the area rows (an area and a field per
 * row) when they answer the query — the whole country, or one area not grouped by unit — else the unit rows of the
 * scope's subtree (a path range, which the index serves on SQLite too, unlike LIKE).
 */
export async function statistics(q: StatsQuery, now = new Date()): Promise<{ rows: StatsRow[]; total: StatsRow; scope: { code: string | null; name: string | null } }> {
  if (!DAY_RE.test(q.from) || !DAY_RE.test(q.to) || q.from > q.to) throw BadRequest('insight.badRange');
  const groupBy = q.groupBy ?? 'unit';
  const root = q.orgCode ? await getOrgByCode(q.orgCode) : null;
  const rootSegs = root ? root.path.split('/').filter(Boolean).length : 0;
  // The country groups by the units below the national root; a unit by its children.
  const childDepth = Math.max(rootSegs, 1);
  const useAreas = rootSegs <= 1 || (rootSegs === 2 && groupBy !== 'unit');
  const pathAttr = useAreas ? 'areaPath' : 'orgPath';
  const tables = useAreas ? { daily: InsightAreaDaily, monthly: InsightAreaMonthly, open: InsightAreaOpen } : { daily: InsightDaily, monthly: InsightMonthly, open: InsightOpen };
  const scope: WhereOptions = {};
  if (root && rootSegs === 2 && useAreas) Object.assign(scope, { areaPath: root.path });
  else if (root) Object.assign(scope, { [pathAttr]: { [Op.gte]: root.path, [Op.lt]: pathEnd(root.path) } });
  if (q.field) Object.assign(scope, { field: q.field });
  const keyCols = groupBy === 'unit' ? [pathAttr] : groupBy === 'field' ? ['field'] : [];
  const sumCols = DAILY_COLUMNS.map(([name, c]) => [db().fn('SUM', db().col(c)), name] as [ReturnType<ReturnType<typeof db>['fn']>, string]);
  const sums = (time: 'day' | 'month', range: Record<symbol, unknown>, withTime = groupBy === 'month') => {
    const table = (time === 'day' ? tables.daily : tables.monthly) as ModelStatic<Model>;
    const cols = withTime ? [...keyCols, time] : keyCols;
    return table.findAll({ where: { ...scope, [time]: range }, attributes: [...cols, ...sumCols], group: cols, raw: true }) as unknown as Promise<Raw[]>;
  };
  const none = Promise.resolve([] as Raw[]);
  const span = spanOf(q.from, q.to);
  const today = vnDate(now);
  const fromMonth = q.from.slice(0, 7);
  const toMonth = q.to.slice(0, 7);
  const monthStart = `${fromMonth}-01`;
  // Carried over = received before the period − resolved or withdrawn before it. Every received dossier is open now or
  // gone (resolved or withdrawn), so it is also open now + gone since the period's start − received since then: the
  // rows after the period are read instead of those before it when there are fewer months of them.
  let carryFromAfter = false;
  if (groupBy !== 'month') {
    const [ends] = await (tables.monthly as ModelStatic<Model>).findAll({ attributes: [[db().fn('MIN', db().col('month')), 'first'], [db().fn('MAX', db().col('month')), 'last']], raw: true }) as unknown as Array<{ first: string | null; last: string | null }>;
    if (ends?.first && ends.last) carryFromAfter = monthsBetween(toMonth, ends.last) < monthsBetween(ends.first, fromMonth);
  }
  const lastOfTo = lastDayOf(toMonth);
  const overdue = db().literal(`SUM(CASE WHEN due_day <> '' AND due_day < ${db().escape(today)} THEN open ELSE 0 END)`);
  const within = db().literal(`SUM(CASE WHEN due_day <> '' AND due_day < ${db().escape(today)} THEN 0 ELSE open END)`);
  const [monthRows, edgeRows, carryMonths, carryDays, open] = await Promise.all([
    span.months ? sums('month', { [Op.between]: span.months }) : none,
    Promise.all(span.days.map((d) => sums('day', { [Op.between]: d }))),
    groupBy === 'month' ? none : carryFromAfter ? sums('month', { [Op.gt]: toMonth }, false) : sums('month', { [Op.lt]: fromMonth }, false),
    groupBy === 'month' ? none : carryFromAfter ? (q.to === lastOfTo ? none : sums('day', { [Op.gt]: q.to, [Op.lte]: lastOfTo }, false))
      : monthStart === q.from ? none : sums('day', { [Op.gte]: monthStart, [Op.lt]: q.from }, false),
    groupBy === 'month' ? none : (tables.open as ModelStatic<Model>).findAll({ where: scope, attributes: [...keyCols, [overdue, 'overdue'], [within, 'within']], group: keyCols, raw: true }) as unknown as Promise<Raw[]>,
  ]);
  const inRange = [...monthRows, ...edgeRows.flat()];
  // Units group to the children of the scope: the path segment just below the root's.
  const groupKey = (r: Raw): string => {
    if (groupBy === 'field') return String(r.field || '');
    if (groupBy === 'month') return String(r.day ?? r.month).slice(0, 7);
    if (keyCols.length === 0) return '';
    const segs = String(r[pathAttr]).split('/').filter(Boolean);
    return segs[childDepth] ?? segs[childDepth - 1] ?? '';
  };
  const groups = new Map<string, StatsRow>();
  const rowOf = (k: string) => {
    let row = groups.get(k);
    if (!row) groups.set(k, (row = sumRow(k, k)));
    return row;
  };
  for (const r of inRange) {
    const row = rowOf(groupKey(r));
    for (const [name] of DAILY_COLUMNS) row[name] += Number(r[name] ?? 0);
    if (carryFromAfter) row.carriedOver += gone(r) - receivedOf(r);
  }
  for (const r of [...carryMonths, ...carryDays]) {
    const n = carryFromAfter ? gone(r) - receivedOf(r) : receivedOf(r) - gone(r);
    if (n) rowOf(groupKey(r)).carriedOver += n;
  }
  for (const r of open) {
    const late = Number(r.overdue ?? 0);
    const inTime = Number(r.within ?? 0);
    if (!late && !inTime) continue;
    const row = rowOf(groupKey(r));
    row.pendingOverdue += late;
    row.pendingWithinTime += inTime;
    if (carryFromAfter) row.carriedOver += late + inTime;
  }
  // A group whose only figure was a carried-over zero reached through the sums is left out, as before.
  for (const [k, row] of groups) if (DAILY_COLUMNS.every(([name]) => !row[name]) && !row.carriedOver && !row.pendingOverdue && !row.pendingWithinTime) groups.delete(k);
  if (groupBy === 'unit') {
    const units = await getOrgsByIds([...groups.keys()].map(Number).filter(Number.isFinite));
    for (const row of groups.values()) {
      const u = units.get(Number(row.key));
      if (u) Object.assign(row, { key: u.code, label: u.name });
    }
  }
  const rows = [...groups.values()].map(finish).sort((a, b) => (groupBy === 'month' ? a.key.localeCompare(b.key) : b.received - a.received || a.label.localeCompare(b.label, 'vi')));
  const total = sumRow('', '');
  for (const r of rows) {
    for (const [name] of DAILY_COLUMNS) total[name] += r[name];
    total.carriedOver += r.carriedOver;
    total.pendingWithinTime += r.pendingWithinTime;
    total.pendingOverdue += r.pendingOverdue;
  }
  total.amountPaid = Math.round(total.amountPaid);
  return { rows, total: finish(total), scope: { code: root?.code ?? null, name: root?.name ?? null } };
}

/** One difference the rebuild found between the kept rollups and a recount. */
export interface RebuildDifference {
  /** `dossiers`: a flag kept from the dossier's files and payments (key: the dossier's id). */
  table: 'dossiers' | 'insight_daily' | 'insight_monthly' | 'insight_open' | 'insight_area_daily' | 'insight_area_monthly' | 'insight_area_open';
  key: string;
  column: string;
  kept: number;
  recounted: number;
}

const REBUILD_PAGE = 5000;

/** Reads a table in pages by id and hands each page on. */
async function eachPage(model: ModelStatic<Model>, where: WhereOptions, attributes: Exclude<FindAttributeOptions, { include?: unknown }>, fn: (rows: Array<Record<string, unknown>>) => Promise<void> | void): Promise<number> {
  let n = 0;
  for (let lastId = 0; ;) {
    const page = await model.findAll({ where: { ...where, id: { [Op.gt]: lastId } }, order: [['id', 'ASC']], limit: REBUILD_PAGE, attributes, raw: true }) as unknown as Array<Record<string, unknown>>;
    if (!page.length) return n;
    await fn(page);
    n += page.length;
    lastId = Number(page[page.length - 1].id);
  }
}

/**
 * Every contribution recounted from the raw rows: dossiers (with the flags their files and payments decide, not the
 * kept ones), paid payments, ratings and answered feedback cases; and the dossiers whose kept flags differ.
 */
async function recountAll(): Promise<{ delta: Delta; dossiers: number; flags: RebuildDifference[] }> {
  const delta = emptyDelta();
  const flags: RebuildDifference[] = [];
  const alias = db().getQueryInterface().quoteIdentifier('Dossier');
  const truths = DOSSIER_FLAGS.map(([a, , truth]) => [literal(truth(alias)), `${a}Now`] as [ReturnType<typeof literal>, string]);
  const columns = ['id', 'status', 'orgCode', 'orgPath', 'procedureCode', 'channel', 'receivedAt', 'dueAt', 'decidedAt', 'finishedAt', 'updatedAt', ...DOSSIER_FLAGS.map(([a]) => a)];
  const dossiers = await eachPage(Dossier, {}, [...columns, ...truths], (page) => {
    for (const d of page) {
      const kept = factsOf(d);
      const now = factsOf({ ...d, ...Object.fromEntries(DOSSIER_FLAGS.map(([a]) => [a, d[`${a}Now`]])) });
      for (const [a, column] of DOSSIER_FLAGS) {
        if (kept[a] !== now[a]) flags.push({ table: 'dossiers', key: String(d.id), column, kept: Number(kept[a]), recounted: Number(now[a]) });
      }
      addContribution(delta, now, 1);
    }
  });
  // Payments and ratings count for dossiers that exist (a deleted dossier takes them out of the statistics).
  await eachPage(Payment, { status: 'paid' }, ['id', 'dossierId', 'status', 'amount', 'paidAt'], async (page) => {
    const places = await placesOf(page.map((p) => Number(p.dossierId)));
    for (const p of page) addParts(delta, paymentRowParts(p, places), 1);
  });
  await eachPage(DossierRating, {}, ['id', 'dossierId', 'day', 'orgCode', 'orgPath', 'procedureCode', 'overall'], async (page) => {
    const places = await placesOf(page.map((r) => Number(r.dossierId)));
    for (const r of page) if (places.has(Number(r.dossierId))) addParts(delta, ratingRowParts(r), 1);
  });
  await eachPage(FeedbackCase, { status: [...ANSWERED_CASE_STATUSES] }, ['id', 'status', 'answeredAt', 'dueAt', 'orgCode', 'orgPath'], (page) => {
    for (const c of page) addParts(delta, feedbackRowParts(c), 1);
  });
  return { delta, dossiers, flags };
}

type CounterTable = 'insight_daily' | 'insight_monthly' | 'insight_area_daily' | 'insight_area_monthly';

/** The differences between kept counter rows and recounted ones (missing rows count as zeros), by key. */
function compareCounters(table: CounterTable, kept: Array<Record<string, unknown>>, keyOf: (k: Record<string, unknown>) => string, recounted: ReadonlyMap<string, { counts: DailyCounts }>): RebuildDifference[] {
  const out: RebuildDifference[] = [];
  const seen = new Set<string>();
  for (const k of kept) {
    const key = keyOf(k);
    seen.add(key);
    const re = recounted.get(key)?.counts ?? zeroCounts();
    for (const [name, column] of DAILY_COLUMNS) if (Math.abs(Number(k[name]) - re[name]) > 1e-6) out.push({ table, key, column, kept: Number(k[name]), recounted: re[name] });
  }
  for (const [key, row] of recounted) {
    if (seen.has(key)) continue;
    for (const [name, column] of DAILY_COLUMNS) if (Math.abs(row.counts[name]) > 1e-6) out.push({ table, key, column, kept: 0, recounted: row.counts[name] });
  }
  return out;
}

/** The differences between kept open rows and recounted ones. */
function compareOpen(table: 'insight_open' | 'insight_area_open', kept: Array<Record<string, unknown>>, keyOf: (k: Record<string, unknown>) => string, recounted: ReadonlyMap<string, { n: number }>): RebuildDifference[] {
  const out: RebuildDifference[] = [];
  const seen = new Set<string>();
  for (const k of kept) {
    const key = keyOf(k);
    seen.add(key);
    const n = recounted.get(key)?.n ?? 0;
    if (Number(k.open) !== n) out.push({ table, key, column: 'open', kept: Number(k.open), recounted: n });
  }
  for (const [key, row] of recounted) if (!seen.has(key) && row.n) out.push({ table, key, column: 'open', kept: 0, recounted: row.n });
  return out;
}

const ALL_ROWS = async (model: ModelStatic<Model>) => await model.findAll({ raw: true }) as unknown as Array<Record<string, unknown>>;

/**
 * Recounts the rollups of both levels (unit and area; daily, monthly, open) from the raw rows, reports every
 * difference from the kept rows and, unless `dryRun`, replaces them (one transaction).
 */
export async function rebuildStatistics(opts: { dryRun?: boolean } = {}): Promise<{ dossiers: number; differences: RebuildDifference[] }> {
  const { delta, dossiers, flags } = await recountAll();
  const months = monthlyOf(delta);
  const areas = await areasOf(delta);
  const areaMonths = areaMonthlyOf(areas.daily);
  const unitKey = (time: string) => (k: Record<string, unknown>) => `${k[time]}|${k.orgCode}|${k.procedureCode}`;
  const areaKey = (time: string) => (k: Record<string, unknown>) => `${k[time]}|${k.areaPath}|${k.field}`;
  const differences: RebuildDifference[] = [
    ...flags,
    ...compareCounters('insight_daily', await ALL_ROWS(InsightDaily), unitKey('day'), delta.daily),
    ...compareCounters('insight_monthly', await ALL_ROWS(InsightMonthly), unitKey('month'), months),
    ...compareOpen('insight_open', await ALL_ROWS(InsightOpen), (k) => `${k.orgCode}|${k.procedureCode}|${k.dueDay}`, delta.open),
    ...compareCounters('insight_area_daily', await ALL_ROWS(InsightAreaDaily), areaKey('day'), areas.daily),
    ...compareCounters('insight_area_monthly', await ALL_ROWS(InsightAreaMonthly), areaKey('month'), areaMonths),
    ...compareOpen('insight_area_open', await ALL_ROWS(InsightAreaOpen), (k) => `${k.areaPath}|${k.field}|${k.dueDay}`, areas.open),
  ];
  if (!opts.dryRun && differences.length) {
    await inTransaction(async (t) => {
      // Kept flags set to what the files and payments say (raw statements: the rollups are being replaced anyway).
      const wrong = [...new Set(flags.map((f) => Number(f.key)))];
      for (let i = 0; i < wrong.length; i += 1000) {
        await db().query(`UPDATE dossiers SET ${DOSSIER_FLAGS.map(([, c, truth]) => `${c} = ${truth('dossiers')}`).join(', ')} WHERE id IN (?)`,
          { replacements: [wrong.slice(i, i + 1000)], type: QueryTypes.UPDATE, transaction: t });
      }
      for (const table of ['insight_daily', 'insight_monthly', 'insight_open', 'insight_area_daily', 'insight_area_monthly', 'insight_area_open']) {
        await db().query(`DELETE FROM ${table}`, { type: QueryTypes.DELETE, transaction: t });
      }
      const bulk = async (model: ModelStatic<Model>, rows: Array<Record<string, unknown>>) => {
        for (let i = 0; i < rows.length; i += 1000) await model.bulkCreate(rows.slice(i, i + 1000), { transaction: t });
      };
      const unitRows = async (time: 'day' | 'month', rows: Delta['daily']) => {
        const out = [];
        for (const r of rows.values()) out.push({ [time]: r.day, orgCode: r.orgCode, procedureCode: r.procedureCode, orgPath: r.orgPath, field: await fieldOf(r.procedureCode, t), ...r.counts });
        return out;
      };
      await bulk(InsightDaily, await unitRows('day', delta.daily));
      await bulk(InsightMonthly, await unitRows('month', months));
      const open = [];
      for (const r of delta.open.values()) if (r.n) open.push({ orgCode: r.orgCode, procedureCode: r.procedureCode, dueDay: r.dueDay, orgPath: r.orgPath, field: await fieldOf(r.procedureCode, t), open: r.n });
      await bulk(InsightOpen, open);
      await bulk(InsightAreaDaily, [...areas.daily.values()].map((r) => ({ day: r.day, areaPath: r.areaPath, field: r.field, ...r.counts })));
      await bulk(InsightAreaMonthly, [...areaMonths.values()].map((r) => ({ month: r.day, areaPath: r.areaPath, field: r.field, ...r.counts })));
      await bulk(InsightAreaOpen, [...areas.open.values()].filter((r) => r.n).map((r) => ({ areaPath: r.areaPath, field: r.field, dueDay: r.dueDay, open: r.n })));
    });
  }
  return { dossiers, differences };
}

/** The fields (lĩnh vực) that have statistics, for the filter. */
export async function listFields(): Promise<string[]> {
  // The area month rows hold every field that any unit row has, in far fewer rows.
  const rows = await InsightAreaMonthly.findAll({ attributes: [[db().fn('DISTINCT', db().col('field')), 'field']], raw: true }) as unknown as Array<{ field: string }>;
  return rows.map((r) => r.field).filter(Boolean).sort((a, b) => a.localeCompare(b, 'vi'));
}

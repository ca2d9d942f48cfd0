// Public statistics of dossiers (docs/insight.md): received (online, direct, carried over), resolved early /
// on time / late, pending within time / overdue, average handling time, by agency, field and month — read
// from the rollup rows only, never by scanning dossiers; and the rebuild that recounts them from the dossiers.
import { Op, QueryTypes, type WhereOptions } from 'sequelize';
import { InsightDaily, InsightOpen } from './models.ts';
import { addContribution, factsOf, fieldOf, type Delta } from './track.ts';
import { DAILY_COLUMNS, vnDate, zeroCounts, type DailyCounts } from './contrib.ts';
import { Dossier } from '../dossiers/models.ts';
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
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function sumRow(key: string, label: string): StatsRow {
  return { key, label, ...zeroCounts(), carriedOver: 0, received: 0, resolved: 0, onTimeRate: null, averageHours: null, pendingWithinTime: 0, pendingOverdue: 0 };
}

function finish(r: StatsRow): StatsRow {
  r.received = r.receivedOnline + r.receivedDirect;
  r.resolved = r.resolvedEarly + r.resolvedOnTime + r.resolvedLate;
  r.onTimeRate = r.resolved ? Math.round(((r.resolvedEarly + r.resolvedOnTime) / r.resolved) * 1000) / 10 : null;
  r.averageHours = r.resolved ? Math.round((r.handlingHours / r.resolved) * 10) / 10 : null;
  r.handlingHours = Math.round(r.handlingHours * 10) / 10;
  return r;
}

/** The statistics: one row per group plus the total. Reads rollup rows only. */
export async function statistics(q: StatsQuery, now = new Date()): Promise<{ rows: StatsRow[]; total: StatsRow; scope: { code: string | null; name: string | null } }> {
  if (!DAY_RE.test(q.from) || !DAY_RE.test(q.to) || q.from > q.to) throw BadRequest('insight.badRange');
  const groupBy = q.groupBy ?? 'unit';
  const root = q.orgCode ? await getOrgByCode(q.orgCode) : null;
  const rootDepth = root ? root.path.split('/').filter(Boolean).length : 0;
  const scope: WhereOptions = {};
  if (root) Object.assign(scope, { orgPath: { [Op.like]: `${root.path}%` } });
  if (q.field) Object.assign(scope, { field: q.field });
  const cols = DAILY_COLUMNS.map(([name, c]) => [db().fn('SUM', db().col(c)), name] as [ReturnType<ReturnType<typeof db>['fn']>, string]);
  const keyCols = groupBy === 'unit' ? ['orgPath'] : groupBy === 'field' ? ['field'] : ['day'];
  const [inRange, before, open] = await Promise.all([
    InsightDaily.findAll({ where: { ...scope, day: { [Op.between]: [q.from, q.to] } }, attributes: [...keyCols, ...cols], group: keyCols, raw: true }) as unknown as Promise<Array<Record<string, unknown>>>,
    // Carried over: received before the period and not resolved or withdrawn before it.
    groupBy === 'month' ? Promise.resolve([]) : InsightDaily.findAll({ where: { ...scope, day: { [Op.lt]: q.from } }, attributes: [...keyCols, ...cols], group: keyCols, raw: true }) as unknown as Promise<Array<Record<string, unknown>>>,
    groupBy === 'month' ? Promise.resolve([]) : InsightOpen.findAll({ where: scope, attributes: [...keyCols.filter((k) => k !== 'day'), 'dueDay', [db().fn('SUM', db().col('open')), 'open']], group: [...keyCols.filter((k) => k !== 'day'), 'dueDay'], raw: true }) as unknown as Promise<Array<Record<string, unknown>>>,
  ]);
  // Units group to the children of the scope: the path segment just below the root's.
  const groupKey = (r: Record<string, unknown>): string => {
    if (groupBy === 'field') return String(r.field || '');
    if (groupBy === 'month') return String(r.day).slice(0, 7);
    const segs = String(r.orgPath).split('/').filter(Boolean);
    return segs[rootDepth] ?? segs[rootDepth - 1] ?? '';
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
  }
  for (const r of before) {
    const n = Number(r.receivedOnline ?? 0) + Number(r.receivedDirect ?? 0) - Number(r.resolvedEarly ?? 0) - Number(r.resolvedOnTime ?? 0) - Number(r.resolvedLate ?? 0) - Number(r.withdrawn ?? 0);
    if (n) rowOf(groupKey(r)).carriedOver += n;
  }
  const today = vnDate(now);
  for (const r of open) {
    const n = Number(r.open ?? 0);
    if (!n) continue;
    const row = rowOf(groupKey(r));
    if (r.dueDay && String(r.dueDay) < today) row.pendingOverdue += n;
    else row.pendingWithinTime += n;
  }
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
  return { rows, total: finish(total), scope: { code: root?.code ?? null, name: root?.name ?? null } };
}

/** One difference the rebuild found between the kept rollups and a recount. */
export interface RebuildDifference {
  table: 'insight_daily' | 'insight_open';
  key: string;
  column: string;
  kept: number;
  recounted: number;
}

const REBUILD_PAGE = 5000;

/**
 * Recounts the rollups from the dossiers, reports every difference from the kept rows and, unless `dryRun`,
 * replaces them (one transaction).
 */
export async function rebuildStatistics(opts: { dryRun?: boolean } = {}): Promise<{ dossiers: number; differences: RebuildDifference[] }> {
  const delta: Delta = { daily: new Map(), open: new Map() };
  let dossiers = 0;
  for (let lastId = 0; ;) {
    const page = await Dossier.findAll({ where: { id: { [Op.gt]: lastId } }, order: [['id', 'ASC']], limit: REBUILD_PAGE, attributes: ['id', 'status', 'orgCode', 'orgPath', 'procedureCode', 'channel', 'receivedAt', 'dueAt', 'decidedAt', 'finishedAt', 'updatedAt'], raw: true });
    if (!page.length) break;
    for (const d of page) addContribution(delta, factsOf(d as unknown as Record<string, unknown>), 1);
    dossiers += page.length;
    lastId = (page[page.length - 1] as unknown as { id: number }).id;
  }
  const differences: RebuildDifference[] = [];
  const kept = await InsightDaily.findAll({ raw: true }) as unknown as Array<Record<string, unknown>>;
  const seen = new Set<string>();
  for (const k of kept) {
    const key = `${k.day}|${k.orgCode}|${k.procedureCode}`;
    seen.add(key);
    const re = delta.daily.get(key)?.counts ?? zeroCounts();
    for (const [name, column] of DAILY_COLUMNS) if (Math.abs(Number(k[name]) - re[name]) > 1e-6) differences.push({ table: 'insight_daily', key, column, kept: Number(k[name]), recounted: re[name] });
  }
  for (const [key, row] of delta.daily) {
    if (seen.has(key)) continue;
    for (const [name, column] of DAILY_COLUMNS) if (Math.abs(row.counts[name]) > 1e-6) differences.push({ table: 'insight_daily', key, column, kept: 0, recounted: row.counts[name] });
  }
  const keptOpen = await InsightOpen.findAll({ raw: true }) as unknown as Array<Record<string, unknown>>;
  const seenOpen = new Set<string>();
  for (const k of keptOpen) {
    const key = `${k.orgCode}|${k.procedureCode}|${k.dueDay}`;
    seenOpen.add(key);
    const n = delta.open.get(key)?.n ?? 0;
    if (Number(k.open) !== n) differences.push({ table: 'insight_open', key, column: 'open', kept: Number(k.open), recounted: n });
  }
  for (const [key, row] of delta.open) if (!seenOpen.has(key) && row.n) differences.push({ table: 'insight_open', key, column: 'open', kept: 0, recounted: row.n });
  if (!opts.dryRun && differences.length) {
    await inTransaction(async (t) => {
      await db().query('DELETE FROM insight_daily', { type: QueryTypes.DELETE, transaction: t });
      await db().query('DELETE FROM insight_open', { type: QueryTypes.DELETE, transaction: t });
      const daily = [];
      for (const r of delta.daily.values()) daily.push({ day: r.day, orgCode: r.orgCode, procedureCode: r.procedureCode, orgPath: r.orgPath, field: await fieldOf(r.procedureCode, t), ...r.counts });
      for (let i = 0; i < daily.length; i += 1000) await InsightDaily.bulkCreate(daily.slice(i, i + 1000), { transaction: t });
      const open = [];
      for (const r of delta.open.values()) if (r.n) open.push({ orgCode: r.orgCode, procedureCode: r.procedureCode, dueDay: r.dueDay, orgPath: r.orgPath, field: await fieldOf(r.procedureCode, t), open: r.n });
      for (let i = 0; i < open.length; i += 1000) await InsightOpen.bulkCreate(open.slice(i, i + 1000), { transaction: t });
    });
  }
  return { dossiers, differences };
}

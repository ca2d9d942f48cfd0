// Keeps the statistics rollups current as dossiers, payments, ratings and feedback cases move: every create, update
// or delete of such a row adds the difference of its contribution (src/insight/contrib.ts) to the daily and monthly
// rollup rows of its unit and of its area (the province or central agency it belongs to), in the same transaction.
import { Op, QueryTypes, type Model, type ModelStatic, type Transaction, type WhereOptions } from 'sequelize';
import { Dossier, DossierFile } from '../dossiers/models.ts';
import { Payment } from '../payments/models.ts';
import { DossierRating, FeedbackCase } from '../feedback/models.ts';
import { Procedure } from '../catalog/models.ts';
import {
  contributionOf, DAILY_COLUMNS, feedbackParts, paymentParts, ratingParts, zeroCounts, type DailyCounts, type DossierFacts, type DossierPlace, type RollupPart,
} from './contrib.ts';
import { db, isMysql, txStatement } from '../store/index.ts';

/** The field (lĩnh vực) of each procedure; a cache that is safe to lose. */
const fields = new Map<string, string>();

/** The field of a procedure as the catalog has it ('' when unknown). */
export async function fieldOf(procedureCode: string, t?: Transaction | null): Promise<string> {
  const known = fields.get(procedureCode);
  if (known !== undefined) return known;
  const p = await Procedure.findOne({ where: { code: procedureCode }, attributes: ['field'], transaction: t ?? undefined });
  const f = p?.field ?? '';
  if (fields.size > 20_000) fields.clear();
  fields.set(procedureCode, f);
  return f;
}

/** The statistics' columns of a dossier row's values. */
export function factsOf(v: Record<string, unknown>): DossierFacts {
  const date = (x: unknown) => (x === null || x === undefined ? null : x instanceof Date ? x : new Date(String(x)));
  return {
    status: String(v.status), orgCode: String(v.orgCode), orgPath: String(v.orgPath), procedureCode: String(v.procedureCode), channel: String(v.channel),
    receivedAt: date(v.receivedAt), dueAt: date(v.dueAt), decidedAt: date(v.decidedAt), finishedAt: date(v.finishedAt), updatedAt: date(v.updatedAt),
    hasAttachment: flag(v.hasAttachment), hasResult: flag(v.hasResult), paid: flag(v.paid),
  };
}

/** A boolean column's value as the drivers return it (true/false, 1/0, '1'/'0'). */
const flag = (x: unknown) => x === true || Number(x) === 1;

/** The dossier flags its files and payments decide, by attribute: the column and its truth (1 or 0) over the alias `d`. */
export const DOSSIER_FLAGS: ReadonlyArray<[attribute: 'hasAttachment' | 'hasResult' | 'paid', column: string, truth: (d: string) => string]> = [
  ['hasAttachment', 'has_attachment', (d) => `CASE WHEN EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = ${d}.id AND f.kind = 'attachment') THEN 1 ELSE 0 END`],
  ['hasResult', 'has_result', (d) => `CASE WHEN EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = ${d}.id AND f.kind = 'result') THEN 1 ELSE 0 END`],
  ['paid', 'paid', (d) => `CASE WHEN EXISTS (SELECT 1 FROM payments p WHERE p.dossier_id = ${d}.id AND p.status = 'paid') THEN 1 ELSE 0 END`],
];

const FLAGS_SQL = `SELECT ${DOSSIER_FLAGS.map(([a, c]) => `${c} AS ${a}`).join(', ')} FROM dossiers WHERE id = ?`;

/** The flags of a dossier as they are kept now, read in the transaction (a plain statement: the receipt's hot path). */
export async function flagsOf(id: number, t: Transaction): Promise<Pick<DossierFacts, 'hasAttachment' | 'hasResult' | 'paid'>> {
  const { rows: [r] } = await txStatement<Row>(t, 'rows', FLAGS_SQL, [id]);
  return { hasAttachment: flag(r?.hasAttachment), hasResult: flag(r?.hasResult), paid: flag(r?.paid) };
}

/**
 * Brings the flags of these dossiers in line with their files and payments. A change goes through Dossier.update (not
 * touching updatedAt), so the dossier's own hooks move its contribution to the rollups in the same transaction.
 */
export async function syncDossierFlags(ids: readonly number[], t: Transaction | null): Promise<void> {
  const wanted = [...new Set(ids)].filter((id) => Number.isSafeInteger(id));
  if (!wanted.length) return;
  const rows = await db().query(
    `SELECT d.id, ${DOSSIER_FLAGS.map(([a, c, truth]) => `d.${c} AS ${a}, ${truth('d')} AS ${a}Now`).join(', ')} FROM dossiers d WHERE d.id IN (?) ORDER BY d.id`,
    { replacements: [wanted], transaction: t ?? undefined, type: QueryTypes.SELECT },
  ) as Row[];
  for (const r of rows) {
    const now = Object.fromEntries(DOSSIER_FLAGS.map(([a]) => [a, flag(r[`${a}Now`])]));
    if (DOSSIER_FLAGS.every(([a]) => flag(r[a]) === now[a])) continue;
    await Dossier.update(now, { where: { id: Number(r.id) }, transaction: t ?? undefined, silent: true });
  }
}

/** Changes to the rollup rows, by key. */
export interface Delta {
  daily: Map<string, { day: string; orgCode: string; procedureCode: string; orgPath: string; counts: DailyCounts }>;
  open: Map<string, { orgCode: string; procedureCode: string; dueDay: string; orgPath: string; n: number }>;
}

/** An empty delta. */
export function emptyDelta(): Delta {
  return { daily: new Map(), open: new Map() };
}

/** Adds `sign` × some rollup parts to a delta. */
export function addParts(delta: Delta, parts: readonly RollupPart[], sign: 1 | -1): void {
  for (const p of parts) {
    const k = `${p.day}|${p.orgCode}|${p.procedureCode}`;
    let row = delta.daily.get(k);
    if (!row) delta.daily.set(k, (row = { day: p.day, orgCode: p.orgCode, procedureCode: p.procedureCode, orgPath: p.orgPath, counts: zeroCounts() }));
    for (const [name] of DAILY_COLUMNS) row.counts[name] += sign * (p.counts[name] ?? 0);
  }
}

/** Adds `sign` × a dossier's contribution to a delta. */
export function addContribution(delta: Delta, facts: DossierFacts | null, sign: 1 | -1): void {
  if (!facts) return;
  const c = contributionOf(facts);
  addParts(delta, c.daily.map((d) => ({ day: d.day, orgCode: facts.orgCode, orgPath: facts.orgPath, procedureCode: facts.procedureCode, counts: d.counts })), sign);
  if (c.openDueDay !== null) {
    const k = `${facts.orgCode}|${facts.procedureCode}|${c.openDueDay}`;
    let row = delta.open.get(k);
    if (!row) delta.open.set(k, (row = { orgCode: facts.orgCode, procedureCode: facts.procedureCode, dueDay: c.openDueDay, orgPath: facts.orgPath, n: 0 }));
    row.n += sign;
  }
}

/** The monthly rows a delta of daily rows changes (month = the first seven characters of the day). */
export function monthlyOf(delta: Delta): Delta['daily'] {
  const months: Delta['daily'] = new Map();
  for (const r of delta.daily.values()) {
    const month = r.day.slice(0, 7);
    const k = `${month}|${r.orgCode}|${r.procedureCode}`;
    let row = months.get(k);
    if (!row) months.set(k, (row = { day: month, orgCode: r.orgCode, procedureCode: r.procedureCode, orgPath: r.orgPath, counts: zeroCounts() }));
    for (const [name] of DAILY_COLUMNS) row.counts[name] += r.counts[name];
  }
  return months;
}

/**
 * The area of a unit: the first two segments of its path, the national root and the unit just below it (a province
 * or a central agency); a unit at the root is its own area.
 */
export function areaPathOf(orgPath: string): string {
  const segs = orgPath.split('/').filter(Boolean);
  return `/${segs.slice(0, 2).join('/')}/`;
}

/** Rollup changes summed by area and field (the key of the area rows). */
export interface AreaDelta {
  /** By `day|areaPath|field` (for the month rows, `month|areaPath|field`). */
  daily: Map<string, { day: string; areaPath: string; field: string; counts: DailyCounts }>;
  /** By `areaPath|field|dueDay`. */
  open: Map<string, { areaPath: string; field: string; dueDay: string; n: number }>;
}

/** Sums a delta's unit rows by area and field. */
export async function areasOf(delta: Delta, t?: Transaction | null): Promise<AreaDelta> {
  const out: AreaDelta = { daily: new Map(), open: new Map() };
  for (const r of delta.daily.values()) {
    const areaPath = areaPathOf(r.orgPath);
    const field = await fieldOf(r.procedureCode, t);
    const k = `${r.day}|${areaPath}|${field}`;
    let row = out.daily.get(k);
    if (!row) out.daily.set(k, (row = { day: r.day, areaPath, field, counts: zeroCounts() }));
    for (const [name] of DAILY_COLUMNS) row.counts[name] += r.counts[name];
  }
  for (const r of delta.open.values()) {
    const areaPath = areaPathOf(r.orgPath);
    const field = await fieldOf(r.procedureCode, t);
    const k = `${areaPath}|${field}|${r.dueDay}`;
    let row = out.open.get(k);
    if (!row) out.open.set(k, (row = { areaPath, field, dueDay: r.dueDay, n: 0 }));
    row.n += r.n;
  }
  return out;
}

/** The month rows of an area delta's day rows. */
export function areaMonthlyOf(daily: AreaDelta['daily']): AreaDelta['daily'] {
  const months: AreaDelta['daily'] = new Map();
  for (const r of daily.values()) {
    const month = r.day.slice(0, 7);
    const k = `${month}|${r.areaPath}|${r.field}`;
    let row = months.get(k);
    if (!row) months.set(k, (row = { day: month, areaPath: r.areaPath, field: r.field, counts: zeroCounts() }));
    for (const [name] of DAILY_COLUMNS) row.counts[name] += r.counts[name];
  }
  return months;
}

/** A map's values in the order of their keys: concurrent changes lock shared rows in one order, which avoids deadlocks. */
const sorted = <V>(m: Map<string, V>): V[] => [...m.keys()].sort().map((k) => m.get(k)!);

const isZero = (c: DailyCounts) => DAILY_COLUMNS.every(([name]) => Math.abs(c[name]) < 1e-9);

/**
 * Writes a delta into the daily, monthly and open rollup rows of the units and of their areas (upserts that add), in
 * the given transaction.
 */
export async function applyDelta(delta: Delta, t?: Transaction | null): Promise<void> {
  const s = db();
  const opts = { transaction: t ?? undefined, type: QueryTypes.INSERT };
  const ref = (c: string) => (isMysql() ? `VALUES(${c})` : `excluded.${c}`);
  const cols = DAILY_COLUMNS.map(([, c]) => c);
  const upsert = async (table: string, keyCol: string, rows: Delta['daily']) => {
    const conflict = isMysql() ? 'ON DUPLICATE KEY UPDATE' : `ON CONFLICT (${keyCol}, org_code, procedure_code) DO UPDATE SET`;
    for (const row of sorted(rows)) {
      if (isZero(row.counts)) continue;
      const field = await fieldOf(row.procedureCode, t);
      await s.query(
        `INSERT INTO ${table} (${keyCol}, org_code, procedure_code, org_path, field, ${cols.join(', ')}) VALUES (?, ?, ?, ?, ?, ${cols.map(() => '?').join(', ')}) ${conflict} ${cols.map((c) => `${c} = ${c} + ${ref(c)}`).join(', ')}`,
        { ...opts, replacements: [row.day, row.orgCode, row.procedureCode, row.orgPath, field, ...DAILY_COLUMNS.map(([name]) => row.counts[name])] },
      );
    }
  };
  await upsert('insight_daily', 'day', delta.daily);
  await upsert('insight_monthly', 'month', monthlyOf(delta));
  const openConflict = isMysql() ? 'ON DUPLICATE KEY UPDATE' : 'ON CONFLICT (org_code, procedure_code, due_day) DO UPDATE SET';
  for (const row of sorted(delta.open)) {
    if (row.n === 0) continue;
    const field = await fieldOf(row.procedureCode, t);
    await s.query(
      `INSERT INTO insight_open (org_code, procedure_code, due_day, org_path, field, open) VALUES (?, ?, ?, ?, ?, ?) ${openConflict} open = open + ${ref('open')}`,
      { ...opts, replacements: [row.orgCode, row.procedureCode, row.dueDay, row.orgPath, field, row.n] },
    );
  }
  const areas = await areasOf(delta, t);
  const upsertArea = async (table: string, keyCol: string, rows: AreaDelta['daily']) => {
    const conflict = isMysql() ? 'ON DUPLICATE KEY UPDATE' : `ON CONFLICT (${keyCol}, area_path, field) DO UPDATE SET`;
    for (const row of sorted(rows)) {
      if (isZero(row.counts)) continue;
      await s.query(
        `INSERT INTO ${table} (${keyCol}, area_path, field, ${cols.join(', ')}) VALUES (?, ?, ?, ${cols.map(() => '?').join(', ')}) ${conflict} ${cols.map((c) => `${c} = ${c} + ${ref(c)}`).join(', ')}`,
        { ...opts, replacements: [row.day, row.areaPath, row.field, ...DAILY_COLUMNS.map(([name]) => row.counts[name])] },
      );
    }
  };
  await upsertArea('insight_area_daily', 'day', areas.daily);
  await upsertArea('insight_area_monthly', 'month', areaMonthlyOf(areas.daily));
  const areaOpenConflict = isMysql() ? 'ON DUPLICATE KEY UPDATE' : 'ON CONFLICT (area_path, field, due_day) DO UPDATE SET';
  for (const row of sorted(areas.open)) {
    if (row.n === 0) continue;
    await s.query(
      `INSERT INTO insight_area_open (area_path, field, due_day, open) VALUES (?, ?, ?, ?) ${areaOpenConflict} open = open + ${ref('open')}`,
      { ...opts, replacements: [row.areaPath, row.field, row.dueDay, row.n] },
    );
  }
}

/** Applies one dossier's change (before → after; null for none) to the rollups. */
export async function trackChange(before: DossierFacts | null, after: DossierFacts | null, t?: Transaction | null): Promise<void> {
  const delta = emptyDelta();
  addContribution(delta, after, 1);
  addContribution(delta, before, -1);
  await applyDelta(delta, t);
}

type Row = Record<string, unknown>;
type Opts = { transaction?: Transaction | null; where?: WhereOptions };

const date = (x: unknown) => (x === null || x === undefined ? null : x instanceof Date ? x : new Date(String(x)));

/** The place (unit, procedure) of a dossier row. */
function placeOf(d: Row): DossierPlace {
  return { orgCode: String(d.orgCode), orgPath: String(d.orgPath), procedureCode: String(d.procedureCode) };
}

/** What a payment row adds, given the places of dossiers by id. */
export function paymentRowParts(p: Row, places: ReadonlyMap<number, DossierPlace>): RollupPart[] {
  return paymentParts({ status: String(p.status), amount: Number(p.amount), paidAt: date(p.paidAt) }, places.get(Number(p.dossierId)) ?? null);
}

/** What a rating row adds. */
export function ratingRowParts(r: Row): RollupPart[] {
  return ratingParts({ day: String(r.day), orgCode: String(r.orgCode), orgPath: String(r.orgPath), procedureCode: String(r.procedureCode), overall: String(r.overall) });
}

/** What a feedback case row adds. */
export function feedbackRowParts(c: Row): RollupPart[] {
  return feedbackParts({ status: String(c.status), answeredAt: date(c.answeredAt), dueAt: date(c.dueAt), orgCode: String(c.orgCode), orgPath: String(c.orgPath) });
}

/** The places of the dossiers with these ids. */
export async function placesOf(ids: readonly number[], t?: Transaction | null): Promise<Map<number, DossierPlace>> {
  const out = new Map<number, DossierPlace>();
  if (!ids.length) return out;
  const rows = await Dossier.findAll({ where: { id: [...new Set(ids)] }, attributes: ['id', 'orgCode', 'orgPath', 'procedureCode'], raw: true, transaction: t ?? undefined }) as unknown as Row[];
  for (const d of rows) out.set(Number(d.id), placeOf(d));
  return out;
}

/** How one tracked model's rows become rollup changes. */
interface Tracker {
  model: ModelStatic<Model>;
  /**
   * Adds `sign` × what these rows (all before, or all after, one change) add to the rollups; `other` gives
   * an updated row's other side (after for a row before, before for a row after).
   */
  add(delta: Delta, rows: Row[], sign: 1 | -1, t: Transaction | null, change: 'create' | 'update' | 'destroy', other: (r: Row) => Row | undefined): Promise<void>;
}

const samePlace = (a: Row, b: Row) => a.orgCode === b.orgCode && a.orgPath === b.orgPath && a.procedureCode === b.procedureCode;

const trackers: Tracker[] = [
  {
    model: Dossier,
    async add(delta, rows, sign, t, change, other) {
      for (const r of rows) addContribution(delta, factsOf(r), sign);
      // A dossier's payments count for its unit and procedure: they move with it, and leave with it when it is deleted
      // (its ratings are deleted with it by the database).
      if (change === 'create') return;
      const ids = rows.map((r) => Number(r.id));
      if (!ids.length) return;
      const moved = new Set(change === 'destroy' ? ids : rows.filter((r) => !samePlace(r, other(r) ?? r)).map((r) => Number(r.id)));
      if (!moved.size) return;
      const places = new Map(rows.filter((r) => moved.has(Number(r.id))).map((r) => [Number(r.id), placeOf(r)]));
      const payments = await Payment.findAll({ where: { dossierId: [...moved], status: 'paid' }, raw: true, transaction: t ?? undefined }) as unknown as Row[];
      for (const p of payments) addParts(delta, paymentRowParts(p, places), sign);
      if (change === 'destroy') {
        const ratings = await DossierRating.findAll({ where: { dossierId: [...moved] }, raw: true, transaction: t ?? undefined }) as unknown as Row[];
        for (const r of ratings) addParts(delta, ratingRowParts(r), sign);
      }
    },
  },
  {
    model: Payment,
    async add(delta, rows, sign, t) {
      const paid = rows.filter((p) => p.status === 'paid');
      const places = await placesOf(paid.map((p) => Number(p.dossierId)), t);
      for (const p of paid) addParts(delta, paymentRowParts(p, places), sign);
    },
  },
  {
    model: DossierRating,
    async add(delta, rows, sign) {
      for (const r of rows) addParts(delta, ratingRowParts(r), sign);
    },
  },
  {
    model: FeedbackCase,
    async add(delta, rows, sign) {
      for (const c of rows) addParts(delta, feedbackRowParts(c), sign);
    },
  },
];

/** The rows a change is about to touch, read (and locked, on MySQL) in its transaction, so the "before" is the current one. */
async function lockedRows(model: ModelStatic<Model>, where: WhereOptions | undefined, t: Transaction | null): Promise<Row[]> {
  if (!where) return [];
  return model.findAll({ where, raw: true, transaction: t ?? undefined, ...(t ? { lock: t.LOCK.UPDATE } : {}) }) as unknown as Promise<Row[]>;
}

async function rowsById(model: ModelStatic<Model>, ids: unknown[], t: Transaction | null): Promise<Row[]> {
  if (!ids.length) return [];
  return model.findAll({ where: { id: { [Op.in]: ids } }, raw: true, transaction: t ?? undefined }) as unknown as Promise<Row[]>;
}

const HOOKS = ['afterCreate', 'afterBulkCreate', 'beforeUpdate', 'afterUpdate', 'beforeBulkUpdate', 'afterBulkUpdate', 'beforeDestroy', 'afterDestroy', 'beforeBulkDestroy', 'afterBulkDestroy'] as const;

/** The rows read before a change, by the change's options object (or instance) until its after-hook runs. */
const pending = new WeakMap<object, Row[]>();
/** What a delete takes away, computed before it, by the change's options object (or instance). */
const pendingDelete = new WeakMap<object, Delta>();

function install(tr: Tracker): void {
  const { model } = tr;
  for (const h of HOOKS) model.removeHook(h, 'insight');
  const apply = async (before: Row[], after: Row[], t: Transaction | null, change: 'create' | 'update' | 'destroy') => {
    const delta = emptyDelta();
    // For an update, each row's other side, so a dossier that changes unit moves its payments.
    const beforeById = new Map(before.map((r) => [String(r.id), r]));
    const afterById = new Map(after.map((r) => [String(r.id), r]));
    await tr.add(delta, after, 1, t, change, (r) => beforeById.get(String(r.id)));
    await tr.add(delta, before, -1, t, change, (r) => afterById.get(String(r.id)));
    await applyDelta(delta, t);
  };
  model.addHook('afterCreate', 'insight', async (m: Model, o: Opts) => {
    await apply([], [m.get({ plain: true }) as Row], o.transaction ?? null, 'create');
  });
  model.addHook('afterBulkCreate', 'insight', async (ms: Model[], o: Opts) => {
    await apply([], ms.map((m) => m.get({ plain: true }) as Row), o.transaction ?? null, 'create');
  });
  // An instance's own values may be stale: the rows before and after are read from the database in the transaction.
  model.addHook('beforeUpdate', 'insight', async (m: Model, o: Opts & { individualHooks?: boolean }) => {
    if (pending.has(o)) return; // a bulk update's row hooks: the bulk hooks track it
    pending.set(m, await lockedRows(model, { id: m.get('id') } as WhereOptions, o.transaction ?? null));
  });
  model.addHook('afterUpdate', 'insight', async (m: Model, o: Opts) => {
    const before = pending.get(m);
    if (!before) return;
    pending.delete(m);
    await apply(before, await rowsById(model, [m.get('id')], o.transaction ?? null), o.transaction ?? null, 'update');
  });
  model.addHook('beforeBulkUpdate', 'insight', async (o: Opts) => {
    pending.set(o, await lockedRows(model, o.where, o.transaction ?? null));
  });
  model.addHook('afterBulkUpdate', 'insight', async (o: Opts) => {
    const before = pending.get(o) ?? [];
    pending.delete(o);
    await apply(before, await rowsById(model, before.map((r) => r.id), o.transaction ?? null), o.transaction ?? null, 'update');
  });
  // What a delete takes away is counted before it, while the rows the database deletes with it (ratings) are still there.
  const destroyDelta = async (before: Row[], t: Transaction | null) => {
    const delta = emptyDelta();
    await tr.add(delta, before, -1, t, 'destroy', () => undefined);
    return delta;
  };
  model.addHook('beforeDestroy', 'insight', async (m: Model, o: Opts) => {
    if (pendingDelete.has(o)) return;
    const t = o.transaction ?? null;
    pendingDelete.set(m, await destroyDelta(await lockedRows(model, { id: m.get('id') } as WhereOptions, t), t));
  });
  model.addHook('afterDestroy', 'insight', async (m: Model, o: Opts) => {
    const delta = pendingDelete.get(m);
    if (!delta) return;
    pendingDelete.delete(m);
    await applyDelta(delta, o.transaction ?? null);
  });
  model.addHook('beforeBulkDestroy', 'insight', async (o: Opts) => {
    const t = o.transaction ?? null;
    pendingDelete.set(o, await destroyDelta(await lockedRows(model, o.where, t), t));
  });
  model.addHook('afterBulkDestroy', 'insight', async (o: Opts) => {
    const delta = pendingDelete.get(o);
    pendingDelete.delete(o);
    if (delta) await applyDelta(delta, o.transaction ?? null);
  });
}

/** The dossiers a file or payment change is about, read before it, by the change's options object. */
const pendingFlags = new WeakMap<object, number[]>();

/** Keeps the dossier flags of a model whose rows belong to a dossier (files, payments) in line after each change. */
function installFlagSync(model: ModelStatic<Model>): void {
  const NAME = 'insight-flags';
  for (const h of HOOKS) model.removeHook(h, NAME);
  const ids = (rows: Model[]) => rows.flatMap((m) => [Number(m.get('dossierId')), Number(m.previous('dossierId') ?? m.get('dossierId'))]);
  const before = async (o: Opts) => {
    if (!o.where) return;
    const rows = await model.findAll({ where: o.where, attributes: ['dossierId'], raw: true, transaction: o.transaction ?? undefined }) as unknown as Row[];
    pendingFlags.set(o, rows.map((r) => Number(r.dossierId)));
  };
  const after = async (o: Opts & { attributes?: Record<string, unknown> }) => {
    const known = pendingFlags.get(o) ?? [];
    pendingFlags.delete(o);
    const moved = o.attributes?.dossierId;
    await syncDossierFlags(moved === undefined ? known : [...known, Number(moved)], o.transaction ?? null);
  };
  model.addHook('afterCreate', NAME, async (m: Model, o: Opts) => syncDossierFlags(ids([m]), o.transaction ?? null));
  model.addHook('afterBulkCreate', NAME, async (ms: Model[], o: Opts) => syncDossierFlags(ids(ms), o.transaction ?? null));
  model.addHook('afterUpdate', NAME, async (m: Model, o: Opts) => syncDossierFlags(ids([m]), o.transaction ?? null));
  model.addHook('afterDestroy', NAME, async (m: Model, o: Opts) => syncDossierFlags(ids([m]), o.transaction ?? null));
  model.addHook('beforeBulkUpdate', NAME, before);
  model.addHook('afterBulkUpdate', NAME, after);
  model.addHook('beforeBulkDestroy', NAME, before);
  model.addHook('afterBulkDestroy', NAME, after);
}

/**
 * Installs the statistics hooks on dossiers, payments, ratings and feedback cases, and the flag hooks on dossier files
 * and payments, after the models are defined on a connection (defining them again drops hooks).
 */
export function installInsightHooks(): void {
  for (const tr of trackers) install(tr);
  installFlagSync(DossierFile);
  installFlagSync(Payment);
}

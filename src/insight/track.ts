// Keeps the statistics rollups current as dossiers move: every create, update or delete of a dossier row adds
// the difference of its contribution (src/insight/contrib.ts) to the rollup rows, in the same transaction.
import { QueryTypes, type Transaction } from 'sequelize';
import { Dossier } from '../dossiers/models.ts';
import { Procedure } from '../catalog/models.ts';
import { contributionOf, DAILY_COLUMNS, zeroCounts, type DailyCounts, type DossierFacts } from './contrib.ts';
import { db, isMysql } from '../store/index.ts';

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
  };
}

/** Changes to the rollup rows, by key. */
export interface Delta {
  daily: Map<string, { day: string; orgCode: string; procedureCode: string; orgPath: string; counts: DailyCounts }>;
  open: Map<string, { orgCode: string; procedureCode: string; dueDay: string; orgPath: string; n: number }>;
}

function emptyDelta(): Delta {
  return { daily: new Map(), open: new Map() };
}

/** Adds `sign` × a dossier's contribution to a delta. */
export function addContribution(delta: Delta, facts: DossierFacts | null, sign: 1 | -1): void {
  if (!facts) return;
  const c = contributionOf(facts);
  for (const d of c.daily) {
    const k = `${d.day}|${facts.orgCode}|${facts.procedureCode}`;
    let row = delta.daily.get(k);
    if (!row) delta.daily.set(k, (row = { day: d.day, orgCode: facts.orgCode, procedureCode: facts.procedureCode, orgPath: facts.orgPath, counts: zeroCounts() }));
    for (const [name] of DAILY_COLUMNS) row.counts[name] += sign * (d.counts[name] ?? 0);
  }
  if (c.openDueDay !== null) {
    const k = `${facts.orgCode}|${facts.procedureCode}|${c.openDueDay}`;
    let row = delta.open.get(k);
    if (!row) delta.open.set(k, (row = { orgCode: facts.orgCode, procedureCode: facts.procedureCode, dueDay: c.openDueDay, orgPath: facts.orgPath, n: 0 }));
    row.n += sign;
  }
}

/** Writes a delta into the rollup rows (upserts that add), in the given transaction. */
export async function applyDelta(delta: Delta, t?: Transaction | null): Promise<void> {
  const s = db();
  const opts = { transaction: t ?? undefined, type: QueryTypes.INSERT };
  const conflict = isMysql() ? 'ON DUPLICATE KEY UPDATE' : 'ON CONFLICT (day, org_code, procedure_code) DO UPDATE SET';
  const ref = (c: string) => (isMysql() ? `VALUES(${c})` : `excluded.${c}`);
  for (const row of delta.daily.values()) {
    if (DAILY_COLUMNS.every(([name]) => Math.abs(row.counts[name]) < 1e-9)) continue;
    const cols = DAILY_COLUMNS.map(([, c]) => c);
    const field = await fieldOf(row.procedureCode, t);
    await s.query(
      `INSERT INTO insight_daily (day, org_code, procedure_code, org_path, field, ${cols.join(', ')}) VALUES (?, ?, ?, ?, ?, ${cols.map(() => '?').join(', ')}) ${conflict} ${cols.map((c) => `${c} = ${c} + ${ref(c)}`).join(', ')}`,
      { ...opts, replacements: [row.day, row.orgCode, row.procedureCode, row.orgPath, field, ...DAILY_COLUMNS.map(([name]) => row.counts[name])] },
    );
  }
  const openConflict = isMysql() ? 'ON DUPLICATE KEY UPDATE' : 'ON CONFLICT (org_code, procedure_code, due_day) DO UPDATE SET';
  for (const row of delta.open.values()) {
    if (row.n === 0) continue;
    const field = await fieldOf(row.procedureCode, t);
    await s.query(
      `INSERT INTO insight_open (org_code, procedure_code, due_day, org_path, field, open) VALUES (?, ?, ?, ?, ?, ?) ${openConflict} open = open + ${ref('open')}`,
      { ...opts, replacements: [row.orgCode, row.procedureCode, row.dueDay, row.orgPath, field, row.n] },
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

const HOOKS = ['afterCreate', 'afterUpdate', 'beforeBulkUpdate', 'beforeBulkDestroy', 'afterDestroy'] as const;

/** Installs the dossier hooks, after the models are defined on a connection (defining them again drops hooks). */
export function installDossierHooks(): void {
  for (const h of HOOKS) Dossier.removeHook(h, 'insight');
  Dossier.addHook('afterCreate', 'insight', async (d: Dossier, options: { transaction?: Transaction | null }) => {
    await trackChange(null, factsOf(d.get()), options.transaction);
  });
  Dossier.addHook('afterUpdate', 'insight', async (d: Dossier, options: { transaction?: Transaction | null }) => {
    const prev = (d as unknown as { _previousDataValues: Record<string, unknown> })._previousDataValues;
    await trackChange(factsOf(prev), factsOf(d.get()), options.transaction);
  });
  // A bulk update or destroy runs the row hooks too, so every way of changing a dossier keeps the rollups right.
  Dossier.addHook('beforeBulkUpdate', 'insight', (options: { individualHooks?: boolean }) => {
    options.individualHooks = true;
  });
  Dossier.addHook('beforeBulkDestroy', 'insight', (options: { individualHooks?: boolean }) => {
    options.individualHooks = true;
  });
  Dossier.addHook('afterDestroy', 'insight', async (d: Dossier, options: { transaction?: Transaction | null }) => {
    await trackChange(factsOf(d.get()), null, options.transaction);
  });
}

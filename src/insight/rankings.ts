// Decision 766/QĐ-TTg rankings (docs/rankings.md): a score per province and per ministry or agency for a period, in
// groups of sub-indicators whose weights and formulas come from configuration (RANKING_CONFIG). Each sub-indicator
// is a share good / total over govflow's own rows; the totals come from the statistics rollups, and every point lost
// can be followed to the rows behind it (the drill-down), listed with the same predicate that counted them.
import fs from 'node:fs';
import Joi from 'joi';
import { QueryTypes } from 'sequelize';
import { pathEnd, spanOf } from './service.ts';
import { ANSWERED_CASE_STATUSES, OPEN_STATUSES, timeliness, vnDate } from './contrib.ts';
import { getOrgByCode, listOrgsOfLevels } from '../orgs/service.ts';
import type { OrgUnit } from '../orgs/models.ts';
import { db } from '../store/index.ts';
import { getConfig } from '../config.ts';
import { AppError, BadRequest, NotFound } from '../errors.ts';

/** The formulas a sub-indicator may name; each is described in docs/rankings.md. */
export const METRICS = [
  'procedurePublicity', 'feedbackPublished', 'resolvedOnTime', 'pendingWithinTime', 'digitisedDossiers', 'digitisedResults',
  'receivedOnline', 'paidOnline', 'satisfied', 'feedbackOnTime',
] as const;
export type MetricName = (typeof METRICS)[number];

/** One sub-indicator of the configuration. */
export interface IndicatorConfig {
  key: string;
  weight: number;
  metric: MetricName;
  /** The share (0–1] that earns the full weight; below it the points fall in proportion. Default 1. */
  target?: number;
}

/** One group of the configuration. */
export interface GroupConfig {
  key: string;
  weight: number;
  indicators: IndicatorConfig[];
}

/** The whole ranking configuration (config/ranking-766.json). */
export interface RankingConfig {
  decision: string;
  groups: GroupConfig[];
}

const KEY = Joi.string().pattern(/^[a-zA-Z][a-zA-Z0-9]{0,40}$/).required();
const configSchema = Joi.object({
  decision: Joi.string().required(),
  groups: Joi.array().min(1).items(Joi.object({
    key: KEY,
    weight: Joi.number().positive().required(),
    indicators: Joi.array().min(1).items(Joi.object({
      key: KEY, weight: Joi.number().positive().required(), metric: Joi.string().valid(...METRICS).required(), target: Joi.number().greater(0).max(1),
    })).required(),
  })).required(),
});

/** Checks a ranking configuration: the schema, unique keys, and sub-indicator weights that add up to their group's. */
export function parseRankingConfig(value: unknown, source = 'ranking configuration'): RankingConfig {
  const { value: v, error } = configSchema.validate(value, { abortEarly: false });
  if (error) throw new Error(`${source}: ${error.details.map((d) => d.message).join('; ')}`);
  const cfg = v as RankingConfig;
  // Group keys and sub-indicator keys are each unique (a sub-indicator's key names it in the drill-down's URL).
  const groupKeys = new Set<string>();
  const indicatorKeys = new Set<string>();
  const problems: string[] = [];
  for (const g of cfg.groups) {
    const sum = g.indicators.reduce((s, i) => s + i.weight, 0);
    if (Math.abs(sum - g.weight) > 1e-9) problems.push(`group "${g.key}" weighs ${g.weight} but its sub-indicators add up to ${sum}`);
    if (groupKeys.has(g.key)) problems.push(`group key "${g.key}" is used twice`);
    groupKeys.add(g.key);
    for (const { key } of g.indicators) {
      if (indicatorKeys.has(key)) problems.push(`sub-indicator key "${key}" is used twice`);
      indicatorKeys.add(key);
    }
  }
  if (problems.length) throw new Error(`${source}: ${problems.join('; ')}`);
  return cfg;
}

let loaded: { file: string; mtimeMs: number; cfg: RankingConfig } | null = null;

/** The configuration in RANKING_CONFIG, read again when the file changes. */
export function rankingConfig(): RankingConfig {
  const file = getConfig().rankingConfig;
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    throw new Error(`RANKING_CONFIG: cannot read ${file}`);
  }
  if (!loaded || loaded.file !== file || loaded.mtimeMs !== mtimeMs) {
    loaded = { file, mtimeMs, cfg: parseRankingConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file) };
  }
  return loaded.cfg;
}

/** A ranking period: a year `2026`, a quarter `2026-Q3` or a month `2026-11`. */
export interface Period {
  key: string;
  kind: 'year' | 'quarter' | 'month';
  from: string;
  to: string;
}

const lastDay = (y: number, m: number) => String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0');
const pad = (n: number) => String(n).padStart(2, '0');

/** Reads a period key; an empty one is the current year (Vietnam time). */
export function parsePeriod(key: string | null | undefined, now = new Date()): Period {
  const k = (key ?? '').trim() || vnDate(now).slice(0, 4);
  let m = /^(\d{4})$/.exec(k);
  if (m) return { key: k, kind: 'year', from: `${m[1]}-01-01`, to: `${m[1]}-12-31` };
  m = /^(\d{4})-Q([1-4])$/i.exec(k);
  if (m) {
    const y = Number(m[1]);
    const q = Number(m[2]);
    return { key: `${y}-Q${q}`, kind: 'quarter', from: `${y}-${pad(q * 3 - 2)}-01`, to: `${y}-${pad(q * 3)}-${lastDay(y, q * 3)}` };
  }
  m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(k);
  if (m) return { key: k, kind: 'month', from: `${k}-01`, to: `${k}-${lastDay(Number(m[1]), Number(m[2]))}` };
  throw BadRequest('rankings.badPeriod', { period: k });
}

/** Counts behind the sub-indicators of one unit (its whole subtree). */
export interface Figures {
  received: number;
  receivedOnline: number;
  resolved: number;
  resolvedLate: number;
  done: number;
  pendingWithinTime: number;
  pendingOverdue: number;
  rated: number;
  unsatisfied: number;
  feedbackAnswered: number;
  feedbackLate: number;
  /** Codes of the procedures the unit received dossiers for in the period. */
  procedures: Set<string>;
  /** Done dossiers of procedures with a fee. */
  doneWithFee: number;
  withAttachment: number;
  withResult: number;
  paidWithFee: number;
  feedbackPublished: number;
}

const emptyFigures = (): Figures => ({
  received: 0, receivedOnline: 0, resolved: 0, resolvedLate: 0, done: 0, pendingWithinTime: 0, pendingOverdue: 0, rated: 0, unsatisfied: 0,
  feedbackAnswered: 0, feedbackLate: 0, procedures: new Set(), doneWithFee: 0, withAttachment: 0, withResult: 0, paidWithFee: 0, feedbackPublished: 0,
});

/** The catalog facts the publicity formula reads: which procedures are fully published and which charge a fee. */
interface CatalogFacts {
  incomplete: Map<string, string[]>;
  complete: Set<string>;
  withFee: Set<string>;
}

/** What a procedure must publish to count as fully published (column → name of the missing item). */
const PUBLISHED_COLUMNS: ReadonlyArray<[string, string]> = [
  ['processing_text', 'processingTime'], ['fee_text', 'fee'], ['documents', 'documents'], ['result', 'result'], ['legal_basis', 'legalBasis'], ['channels', 'channels'],
];

async function catalogFacts(): Promise<CatalogFacts> {
  const rows = await db().query(`SELECT code, fee_min, ${PUBLISHED_COLUMNS.map(([c]) => c).join(', ')} FROM procedures`, { type: QueryTypes.SELECT }) as Array<Record<string, unknown>>;
  const out: CatalogFacts = { incomplete: new Map(), complete: new Set(), withFee: new Set() };
  for (const r of rows) {
    const code = String(r.code);
    const missing = PUBLISHED_COLUMNS.filter(([c]) => !String(r[c] ?? '').trim()).map(([, name]) => name);
    if (missing.length) out.incomplete.set(code, missing);
    else out.complete.add(code);
    if (Number(r.fee_min ?? 0) > 0) out.withFee.add(code);
  }
  return out;
}

/** The instants of a period's first Vietnam day and of the day after its last one. */
function instants(p: { from: string; to: string }): [Date, Date] {
  const lo = new Date(`${p.from}T00:00:00+07:00`);
  const hi = new Date(Date.parse(`${p.to}T00:00:00+07:00`) + 24 * 3600_000);
  return [lo, hi];
}

// The instant a dossier was resolved, as the rollups date it (src/insight/contrib.ts).
const RESOLVED_AT = 'COALESCE(d.finished_at, d.decided_at, d.received_at)';

/** Rollup counters of one org path over a period. */
interface RollupSums {
  orgPath: string;
  received: number;
  receivedOnline: number;
  resolved: number;
  resolvedLate: number;
  done: number;
  rated: number;
  unsatisfied: number;
  feedbackOnTime: number;
  feedbackLate: number;
  withAttachment: number;
  withResult: number;
  /** Done dossiers of procedures with a fee, and those of them paid online. */
  doneWithFee: number;
  paidWithFee: number;
}

const DONE = 'resolved_early + resolved_on_time + resolved_late - refused';
const SUMS: ReadonlyArray<[keyof RollupSums, string]> = [
  ['received', 'received_online + received_direct'], ['receivedOnline', 'received_online'], ['resolved', 'resolved_early + resolved_on_time + resolved_late'],
  ['resolvedLate', 'resolved_late'], ['done', DONE], ['rated', 'rated'], ['unsatisfied', 'unsatisfied'],
  ['feedbackOnTime', 'feedback_on_time'], ['feedbackLate', 'feedback_late'], ['withAttachment', 'with_attachment'], ['withResult', 'with_result'],
  ['doneWithFee', `CASE WHEN procedure_code IN (:fee) THEN ${DONE} ELSE 0 END`], ['paidWithFee', 'CASE WHEN procedure_code IN (:fee) THEN done_paid ELSE 0 END'],
];

/** What the rollups say of a period per org path: the counters, and the procedures each path received dossiers for. */
interface PeriodSums {
  sums: RollupSums[];
  procedures: Array<{ orgPath: string; procedureCode: string }>;
}

/** Runs a select of named-parameter SQL. */
const select = (sql: string, replacements: Record<string, unknown>) => db().query(sql, { replacements, type: QueryTypes.SELECT }) as Promise<Array<Record<string, unknown>>>;

/**
 * Sums of a rollup table's rows per org path, grouped by unit code: MariaDB groups a narrow key in memory, while
 * grouping by the 255-character path (and the procedure) gave a temporary row per group that spilled to disk (1.0 s
 * against 0.16 s at 100,000 dossiers). A unit whose rows carry two paths (it moved in the tree) is summed per path in
 * a second statement. Also gives each unit code's path, for its other rows.
 */
async function sumsByPath(table: string, where: string, selectSums: string, args: Record<string, unknown>): Promise<{ rows: Array<Record<string, unknown> & { orgPath: string }>; pathOf: Map<string, string>; moved: string[] }> {
  const rows: Array<Record<string, unknown> & { orgPath: string }> = [];
  const pathOf = new Map<string, string>();
  const moved: string[] = [];
  for (const r of await select(`SELECT org_code, MIN(org_path) AS lo_path, MAX(org_path) AS hi_path, ${selectSums} FROM ${table} WHERE ${where} GROUP BY org_code`, args)) {
    if (r.lo_path !== r.hi_path) moved.push(String(r.org_code));
    else {
      pathOf.set(String(r.org_code), String(r.lo_path));
      rows.push({ ...r, orgPath: String(r.lo_path) });
    }
  }
  if (moved.length) {
    for (const r of await select(`SELECT org_path, ${selectSums} FROM ${table} WHERE ${where} AND org_code IN (:moved) GROUP BY org_path`, { ...args, moved })) rows.push({ ...r, orgPath: String(r.org_path) });
  }
  return { rows, pathOf, moved };
}

/**
 * Sums the rollup rows of a subtree over a period, the way the statistics read a period: whole months from the monthly
 * rows, the days at the edges from the daily ones (feedback cases are the rows of procedure '').
 */
async function periodSums(p: Period, prefix: string, withFee: ReadonlySet<string>): Promise<PeriodSums> {
  const span = spanOf(p.from, p.to);
  const parts: Array<[string, string, string, string]> = [];
  if (span.months) parts.push(['insight_monthly', 'month', ...span.months]);
  for (const [a, b] of span.days) parts.push(['insight_daily', 'day', a, b]);
  const out: PeriodSums = { sums: [], procedures: [] };
  const sumsOf = (r: Record<string, unknown>, orgPath: string) => {
    const sums = { orgPath } as RollupSums;
    for (const [k] of SUMS) (sums as unknown as Record<string, number>)[k] = Number(r[k] ?? 0);
    return sums;
  };
  // An empty IN list is not SQL: a code no procedure has stands for "no fee procedure".
  const fee = withFee.size ? [...withFee] : [''];
  const selectSums = SUMS.map(([k, expr]) => `SUM(${expr}) AS ${k}`).join(', ');
  for (const [table, col, a, b] of parts) {
    const where = `${col} BETWEEN :a AND :b AND org_path >= :lo AND org_path < :hi`;
    const args = { a, b, lo: prefix, hi: pathEnd(prefix), fee };
    const { rows, pathOf, moved } = await sumsByPath(table, where, selectSums, args);
    for (const r of rows) out.sums.push(sumsOf(r, r.orgPath));
    const received = `${where} AND received_online + received_direct > 0 AND procedure_code <> ''`;
    for (const r of await select(`SELECT DISTINCT org_code, procedure_code FROM ${table} WHERE ${received}`, args)) {
      const orgPath = pathOf.get(String(r.org_code));
      if (orgPath) out.procedures.push({ orgPath, procedureCode: String(r.procedure_code) });
    }
    if (!moved.length) continue;
    for (const r of await select(`SELECT DISTINCT org_path, procedure_code FROM ${table} WHERE ${received} AND org_code IN (:moved)`, { ...args, moved })) {
      out.procedures.push({ orgPath: String(r.org_path), procedureCode: String(r.procedure_code) });
    }
  }
  return out;
}

/** Open dossiers now, within their limit and overdue (due before today, Vietnam time), per org path. */
async function openNow(prefix: string, now: Date): Promise<Array<{ orgPath: string; within: number; overdue: number }>> {
  const { rows } = await sumsByPath('insight_open', 'org_path >= :lo AND org_path < :hi',
    "SUM(CASE WHEN due_day <> '' AND due_day < :today THEN open ELSE 0 END) AS overdue, SUM(CASE WHEN due_day <> '' AND due_day < :today THEN 0 ELSE open END) AS within",
    { lo: prefix, hi: pathEnd(prefix), today: vnDate(now) });
  return rows.map((r) => ({ orgPath: r.orgPath, within: Number(r.within ?? 0), overdue: Number(r.overdue ?? 0) }));
}

/** Feedback cases published per org path over a period, counted from their rows (the one formula the rollups do not carry). */
async function publishedCases(p: Period, prefix: string): Promise<Array<{ orgPath: string; n: number }>> {
  const [from, to] = instants(p);
  const rows = await select(
    `SELECT c.org_path, COUNT(*) AS n FROM feedback_cases c WHERE c.status IN ('published', 'closed') AND c.answered_at >= :from AND c.answered_at < :to
     AND c.org_path >= :lo AND c.org_path < :hi GROUP BY c.org_path`, { from, to, lo: prefix, hi: pathEnd(prefix) },
  );
  return rows.map((r) => ({ orgPath: String(r.org_path), n: Number(r.n) }));
}

/** The figures of units for a period, keyed by unit code: `bucket` says which unit an org path belongs to (null: none). */
async function figuresOf(p: Period, scope: OrgUnit, bucket: (orgPath: string) => string | null, now: Date, catalog: CatalogFacts): Promise<Map<string, Figures>> {
  const out = new Map<string, Figures>();
  const of = (orgPath: string) => {
    const code = bucket(orgPath);
    if (!code) return null;
    let f = out.get(code);
    if (!f) out.set(code, (f = emptyFigures()));
    return f;
  };
  const [{ sums, procedures }, open, published] = await Promise.all([periodSums(p, scope.path, catalog.withFee), openNow(scope.path, now), publishedCases(p, scope.path)]);
  for (const r of sums) {
    const f = of(r.orgPath);
    if (!f) continue;
    f.received += r.received;
    f.receivedOnline += r.receivedOnline;
    f.resolved += r.resolved;
    f.resolvedLate += r.resolvedLate;
    f.done += r.done;
    f.rated += r.rated;
    f.unsatisfied += r.unsatisfied;
    f.feedbackAnswered += r.feedbackOnTime + r.feedbackLate;
    f.feedbackLate += r.feedbackLate;
    f.withAttachment += r.withAttachment;
    f.withResult += r.withResult;
    f.doneWithFee += r.doneWithFee;
    f.paidWithFee += r.paidWithFee;
  }
  for (const r of procedures) of(r.orgPath)?.procedures.add(r.procedureCode);
  for (const r of open) {
    const f = of(r.orgPath);
    if (!f) continue;
    f.pendingWithinTime += r.within;
    f.pendingOverdue += r.overdue;
  }
  for (const r of published) {
    const f = of(r.orgPath);
    if (f) f.feedbackPublished += r.n;
  }
  return out;
}

/** The good and total counts of a formula. */
function countsOf(metric: MetricName, f: Figures, catalog: CatalogFacts): { good: number; total: number } {
  switch (metric) {
    case 'procedurePublicity': return { good: [...f.procedures].filter((c) => catalog.complete.has(c)).length, total: f.procedures.size };
    case 'feedbackPublished': return { good: f.feedbackPublished, total: f.feedbackAnswered };
    case 'resolvedOnTime': return { good: f.resolved - f.resolvedLate, total: f.resolved };
    case 'pendingWithinTime': return { good: f.pendingWithinTime, total: f.pendingWithinTime + f.pendingOverdue };
    case 'digitisedDossiers': return { good: f.withAttachment, total: f.received };
    case 'digitisedResults': return { good: f.withResult, total: f.done };
    case 'receivedOnline': return { good: f.receivedOnline, total: f.received };
    case 'paidOnline': return { good: f.paidWithFee, total: f.doneWithFee };
    case 'satisfied': return { good: f.rated - f.unsatisfied, total: f.rated };
    case 'feedbackOnTime': return { good: f.feedbackAnswered - f.feedbackLate, total: f.feedbackAnswered };
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** One sub-indicator's score. */
export interface IndicatorScore {
  key: string;
  metric: MetricName;
  weight: number;
  target: number;
  good: number;
  total: number;
  /** The rows behind the lost points (total − good). */
  missed: number;
  /** good / total, 0–100 (null when there is nothing to count: the full weight is given). */
  rate: number | null;
  score: number;
  lost: number;
}

/** One group's score. */
export interface GroupScore {
  key: string;
  weight: number;
  score: number;
  indicators: IndicatorScore[];
}

/** One unit's score card. */
export interface UnitScore {
  code: string;
  name: string;
  level: string;
  /** Whether the unit had any dossier, rating or feedback case to count in the period (units without are not ranked). */
  hasData: boolean;
  score: number;
  max: number;
  rank: number | null;
  groups: GroupScore[];
}

/** Scores figures with a configuration. */
export function scoreOf(f: Figures, cfg: RankingConfig, catalog: CatalogFacts): { score: number; max: number; groups: GroupScore[] } {
  const groups = cfg.groups.map((g) => {
    const indicators = g.indicators.map((ind): IndicatorScore => {
      const { good, total } = countsOf(ind.metric, f, catalog);
      const target = ind.target ?? 1;
      const share = total ? good / total : null;
      const score = share === null ? ind.weight : ind.weight * Math.min(1, share / target);
      return {
        key: ind.key, metric: ind.metric, weight: ind.weight, target, good, total, missed: total - good,
        rate: share === null ? null : Math.round(share * 1000) / 10, score: round2(score), lost: round2(ind.weight - score),
      };
    });
    return { key: g.key, weight: g.weight, score: round2(indicators.reduce((s, i) => s + i.score, 0)), indicators };
  });
  return { score: round2(groups.reduce((s, g) => s + g.score, 0)), max: cfg.groups.reduce((s, g) => s + g.weight, 0), groups };
}

const hasData = (f: Figures) => f.received + f.resolved + f.rated + f.feedbackAnswered + f.pendingOverdue + f.pendingWithinTime > 0;

/** The levels ranked, in the order the page shows them. */
export const RANKED_LEVELS = ['province', 'ministry'] as const;

/** Ranks units by score (ties share a rank; units without data are listed last, unranked). */
function rank(units: UnitScore[]): UnitScore[] {
  const sorted = [...units].sort((a, b) => Number(b.hasData) - Number(a.hasData) || b.score - a.score || a.name.localeCompare(b.name, 'vi'));
  let prev: UnitScore | null = null;
  sorted.forEach((u, i) => {
    if (!u.hasData) u.rank = null;
    else u.rank = prev && prev.score === u.score ? prev.rank : i + 1;
    prev = u;
  });
  return sorted;
}

/** The ranking of the provinces and of the ministries and agencies for a period. */
export async function rankings(period: Period, now = new Date(), cfg = rankingConfig()): Promise<{ period: Period; decision: string; provinces: UnitScore[]; ministries: UnitScore[] }> {
  const root = await getOrgByCode('VN');
  const units = (await listOrgsOfLevels([...RANKED_LEVELS])).filter((u) => u.parentId === root.id && (!u.validTo || u.validTo > period.from));
  const byId = new Map(units.map((u) => [String(u.id), u.code]));
  const catalog = await catalogFacts();
  const rootDepth = root.path.split('/').filter(Boolean).length;
  const bucket = (orgPath: string) => byId.get(orgPath.split('/').filter(Boolean)[rootDepth] ?? '') ?? null;
  const figures = await figuresOf(period, root, bucket, now, catalog);
  const scored = units.map((u): UnitScore => {
    const f = figures.get(u.code) ?? emptyFigures();
    return { code: u.code, name: u.name, level: u.level, hasData: hasData(f), rank: null, ...scoreOf(f, cfg, catalog) };
  });
  return {
    period, decision: cfg.decision,
    provinces: rank(scored.filter((u) => u.level === 'province')),
    ministries: rank(scored.filter((u) => u.level === 'ministry')),
  };
}

/** One unit's score card for a period, with its rank among the units of its level when it is ranked. */
export async function scoreCard(orgCode: string, period: Period, now = new Date(), cfg = rankingConfig()): Promise<UnitScore> {
  const org = await unitOf(orgCode);
  if ((RANKED_LEVELS as readonly string[]).includes(org.level)) {
    const all = await rankings(period, now, cfg);
    const found = [...all.provinces, ...all.ministries].find((u) => u.code === org.code);
    if (found) return found;
  }
  const catalog = await catalogFacts();
  const figures = await figuresOf(period, org, () => org.code, now, catalog);
  const f = figures.get(org.code) ?? emptyFigures();
  return { code: org.code, name: org.name, level: org.level, hasData: hasData(f), rank: null, ...scoreOf(f, cfg, catalog) };
}

async function unitOf(code: string): Promise<OrgUnit> {
  try {
    return await getOrgByCode(code);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) throw NotFound('rankings.unknownUnit', { code });
    throw err;
  }
}

/** One row behind lost points: a dossier, a feedback case or a procedure. */
export interface MissedItem {
  kind: 'dossier' | 'feedback' | 'procedure';
  id: number | string;
  code: string;
  /** The procedure (dossiers) or the missing published items (procedures). */
  detail: string;
  orgCode: string;
  /** The instants that decided it (ISO), when there are. */
  receivedAt: string | null;
  dueAt: string | null;
  at: string | null;
}

const iso = (x: unknown) => (x === null || x === undefined ? null : new Date(x instanceof Date ? x : String(x)).toISOString());
const toDate = (x: unknown) => (x === null || x === undefined ? null : x instanceof Date ? x : new Date(String(x)));

/**
 * The rows behind the points a unit lost on one sub-indicator in a period: exactly the `missed` of its score, found
 * in the raw rows with the predicate the count used.
 */
export async function missedItems(orgCode: string, indicatorKey: string, period: Period, now = new Date(), cfg = rankingConfig()): Promise<{ indicator: IndicatorConfig; group: string; items: MissedItem[] }> {
  const org = await unitOf(orgCode);
  let found: { indicator: IndicatorConfig; group: string } | null = null;
  for (const g of cfg.groups) for (const i of g.indicators) if (i.key === indicatorKey) found = { indicator: i, group: g.key };
  if (!found) throw NotFound('rankings.unknownIndicator', { indicator: indicatorKey });
  const [lo, hi] = instants(period);
  const prefix = `${org.path}%`;
  const q = (sql: string, replacements: unknown[]) => db().query(sql, { replacements, type: QueryTypes.SELECT }) as Promise<Array<Record<string, unknown>>>;
  const dossierCols = `d.id, d.code, d.procedure_code, d.procedure_name, d.org_code, d.received_at, d.due_at, d.decided_at, d.finished_at, d.status`;
  const asDossier = (r: Record<string, unknown>, at: unknown): MissedItem => ({
    kind: 'dossier', id: Number(r.id), code: r.code ? String(r.code) : `#${r.id}`, detail: r.procedure_name && r.procedure_name !== r.procedure_code ? `${r.procedure_code} ${r.procedure_name}` : String(r.procedure_code),
    orgCode: String(r.org_code), receivedAt: iso(r.received_at), dueAt: iso(r.due_at), at: iso(at),
  });
  const resolvedAt = (r: Record<string, unknown>) => toDate(r.finished_at) ?? toDate(r.decided_at) ?? toDate(r.received_at)!;
  let items: MissedItem[];
  switch (found.indicator.metric) {
    case 'resolvedOnTime': {
      const rows = await q(`SELECT ${dossierCols} FROM dossiers d WHERE d.status IN ('done', 'refused') AND ${RESOLVED_AT} >= ? AND ${RESOLVED_AT} < ? AND d.org_path LIKE ?
        AND d.due_at IS NOT NULL AND ${RESOLVED_AT} > d.due_at ORDER BY d.id`, [lo, hi, prefix]);
      // The same rule as the rollups, applied again to the rows the query found.
      items = rows.filter((r) => timeliness(resolvedAt(r), toDate(r.due_at)) === 'late').map((r) => asDossier(r, resolvedAt(r)));
      break;
    }
    case 'pendingWithinTime': {
      const today = vnDate(now);
      const rows = await q(`SELECT ${dossierCols} FROM dossiers d WHERE d.status IN (?) AND d.received_at IS NOT NULL AND d.due_at IS NOT NULL AND d.due_at < ? AND d.org_path LIKE ? ORDER BY d.id`,
        [[...OPEN_STATUSES], new Date(`${today}T00:00:00+07:00`), prefix]);
      items = rows.filter((r) => vnDate(toDate(r.due_at)!) < today).map((r) => asDossier(r, null));
      break;
    }
    case 'digitisedDossiers':
    case 'receivedOnline': {
      const cond = found.indicator.metric === 'receivedOnline' ? `d.channel <> 'online'` : `NOT EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = d.id AND f.kind = 'attachment')`;
      const rows = await q(`SELECT ${dossierCols} FROM dossiers d WHERE d.status <> 'draft' AND d.received_at >= ? AND d.received_at < ? AND d.org_path LIKE ? AND ${cond} ORDER BY d.id`, [lo, hi, prefix]);
      items = rows.map((r) => asDossier(r, r.received_at));
      break;
    }
    case 'digitisedResults':
    case 'paidOnline': {
      let cond = `NOT EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = d.id AND f.kind = 'result')`;
      const extra: unknown[] = [];
      if (found.indicator.metric === 'paidOnline') {
        const fee = [...(await catalogFacts()).withFee];
        if (!fee.length) { items = []; break; }
        cond = `d.procedure_code IN (?) AND NOT EXISTS (SELECT 1 FROM payments y WHERE y.dossier_id = d.id AND y.status = 'paid')`;
        extra.push(fee);
      }
      const rows = await q(`SELECT ${dossierCols} FROM dossiers d WHERE d.status = 'done' AND ${RESOLVED_AT} >= ? AND ${RESOLVED_AT} < ? AND d.org_path LIKE ? AND ${cond} ORDER BY d.id`, [lo, hi, prefix, ...extra]);
      items = rows.map((r) => asDossier(r, resolvedAt(r)));
      break;
    }
    case 'satisfied': {
      const rows = await q(`SELECT ${dossierCols}, r.rated_at FROM dossier_ratings r JOIN dossiers d ON d.id = r.dossier_id
        WHERE r.org_path LIKE ? AND r.day BETWEEN ? AND ? AND r.overall = 'unsatisfied' ORDER BY r.id`, [prefix, period.from, period.to]);
      items = rows.map((r) => asDossier(r, r.rated_at));
      break;
    }
    case 'feedbackOnTime':
    case 'feedbackPublished': {
      const cond = found.indicator.metric === 'feedbackOnTime' ? `c.status IN (?) AND c.due_at IS NOT NULL AND c.answered_at > c.due_at` : `c.status NOT IN ('published', 'closed') AND c.status IN (?)`;
      const rows = await q(`SELECT c.id, c.code, c.org_code, c.received_at, c.due_at, c.answered_at FROM feedback_cases c
        WHERE c.answered_at >= ? AND c.answered_at < ? AND c.org_path LIKE ? AND ${cond} ORDER BY c.id`, [lo, hi, prefix, [...ANSWERED_CASE_STATUSES]]);
      items = rows.map((r) => ({ kind: 'feedback', id: Number(r.id), code: String(r.code), detail: '', orgCode: String(r.org_code), receivedAt: iso(r.received_at), dueAt: iso(r.due_at), at: iso(r.answered_at) }));
      break;
    }
    case 'procedurePublicity': {
      const catalog = await catalogFacts();
      const codes = new Set((await periodSums(period, org.path, catalog.withFee)).procedures.map((r) => r.procedureCode));
      items = [...codes].filter((c) => !catalog.complete.has(c)).sort().map((c) => ({
        kind: 'procedure', id: c, code: c, detail: (catalog.incomplete.get(c) ?? ['catalog']).join(','), orgCode: org.code, receivedAt: null, dueAt: null, at: null,
      }));
      break;
    }
  }
  return { ...found, items };
}

// Cross-check of reported figures against the dossiers govflow holds (docs/reporting.md, "Cross-check against
// dossiers"): for a form on receiving and resolving procedures (`tthc-giai-quyet`), each indicator cell is recounted
// from the unit's own dossiers in the period's cut-off window (Decree 09 Art. 12: the 15th of the month before the
// period to the 14th of its last month). The recount pre-fills the report, a figure the unit enters that differs
// from it is a warning (`xc.dossiers.ROW.COL`), and the reviewer opens the list of dossiers behind any figure.
//
// The classification follows the public statistics (src/insight/contrib.ts): a dossier is resolved when done or
// refused, at its finish (or decision) instant, early / on time / late against its due instant; it is pending
// while submitted, waiting for documents, being handled or approved. Dossiers withdrawn by the end of the window
// count nowhere, so that received = resolved + pending, the form's own balance rule.
import { Op } from 'sequelize';
import { Dossier } from '../dossiers/models.ts';
import { RESOLVED_STATUSES, timeliness } from '../insight/contrib.ts';
import { getOrgByCode, getOrgsByIds } from '../orgs/service.ts';
import { periodInfo } from './periods.ts';
import { evaluateForm, getValue, type Issue, type Plan } from '../forms/engine.ts';
import { prepareInput } from '../forms/service.ts';
import type { FormValues } from '../forms/definition.ts';
import { canAccessOrg, type Viewer } from '../access/index.ts';
import { BadRequest, NotFound } from '../errors.ts';
import { formatNumber, t, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';

/** Where a dossier stands for one indicator group. */
export type DossierClass = 'carried' | 'online' | 'direct' | 'early' | 'onTime' | 'late' | 'pendingWithin' | 'pendingOverdue';

/** Form key → indicator row id → the classes of dossiers it counts; totals count the union of their parts. */
const FORM_INDICATORS: ReadonlyMap<string, ReadonlyMap<string, readonly DossierClass[]>> = new Map([
  ['tthc-giai-quyet', new Map<string, readonly DossierClass[]>([
    ['HS_NHAN', ['carried', 'online', 'direct']],
    ['HS_NHAN_KYTRUOC', ['carried']],
    ['HS_NHAN_TRUCTUYEN', ['online']],
    ['HS_NHAN_TRUCTIEP', ['direct']],
    ['HS_DAGQ', ['early', 'onTime', 'late']],
    ['HS_DAGQ_TRUOCHAN', ['early']],
    ['HS_DAGQ_DUNGHAN', ['onTime']],
    ['HS_DAGQ_QUAHAN', ['late']],
    ['HS_DANGGQ', ['pendingWithin', 'pendingOverdue']],
    ['HS_DANGGQ_TRONGHAN', ['pendingWithin']],
    ['HS_DANGGQ_QUAHAN', ['pendingOverdue']],
  ])],
]);

/** The level columns of the form: dossiers received by a commune count under `xa`, all others under `tinh`. */
const LEVEL_COLUMNS = ['tinh', 'xa'] as const;
type LevelColumn = (typeof LEVEL_COLUMNS)[number];

/** Whether a form's figures are cross-checked against dossiers. */
export function isCrosscheckedForm(formKey: string): boolean {
  return FORM_INDICATORS.has(formKey);
}

/** One dossier behind a figure. */
export interface CrosscheckDossier {
  id: number;
  code: string | null;
  procedureCode: string;
  procedureName: string;
  orgCode: string;
  channel: string;
  status: string;
  receivedAt: Date;
  dueAt: Date | null;
  resolvedAt: Date | null;
  /** The receiving (carried, online, direct) and the outcome (resolved …, pending …) class. */
  received: DossierClass;
  outcome: DossierClass;
  column: LevelColumn;
}

/** The recount of a unit and period. */
export interface DossierFigures {
  period: string;
  unit: string;
  /** The cut-off window read, as instants. */
  from: Date;
  to: Date;
  /** The instant pending dossiers are judged overdue at: the end of the window, or now while it runs. */
  asOf: Date;
  dossiers: CrosscheckDossier[];
}

const date = (x: unknown): Date | null => (x === null || x === undefined ? null : x instanceof Date ? x : new Date(String(x)));

/** Classifies a dossier row for a window; null when it counts nowhere in it. */
export function classify(d: { status: string; channel: string; receivedAt: Date | null; dueAt: Date | null; decidedAt: Date | null; finishedAt: Date | null; updatedAt?: Date | null }, from: Date, to: Date, asOf: Date): { received: DossierClass; outcome: DossierClass; resolvedAt: Date | null } | null {
  if (!d.receivedAt || d.status === 'draft' || d.receivedAt.getTime() > to.getTime()) return null;
  if (d.status === 'withdrawn') {
    const at = d.finishedAt ?? d.decidedAt ?? d.updatedAt ?? d.receivedAt;
    // Withdrawn by the end of the window: counts nowhere; withdrawn later: it was still pending then.
    if (at.getTime() <= to.getTime()) return null;
  }
  const resolvedAt = RESOLVED_STATUSES.has(d.status) ? d.finishedAt ?? d.decidedAt ?? d.receivedAt : null;
  if (resolvedAt && resolvedAt.getTime() < from.getTime()) return null;
  const received: DossierClass = d.receivedAt.getTime() < from.getTime() ? 'carried' : d.channel === 'online' ? 'online' : 'direct';
  let outcome: DossierClass;
  if (resolvedAt && resolvedAt.getTime() <= to.getTime()) {
    const k = timeliness(resolvedAt, d.dueAt);
    outcome = k === 'early' ? 'early' : k === 'onTime' ? 'onTime' : 'late';
  } else outcome = d.dueAt && d.dueAt.getTime() < asOf.getTime() ? 'pendingOverdue' : 'pendingWithin';
  return { received, outcome, resolvedAt: outcome === 'pendingWithin' || outcome === 'pendingOverdue' ? null : resolvedAt };
}

/**
 * Recounts a unit's dossiers (its whole subtree) for a period: every dossier received by the end of the cut-off
 * window and neither resolved before it nor withdrawn by its end, with its classes. Reads the unit's dossier rows.
 */
export async function dossierFigures(unitCode: string, period: string, now = new Date()): Promise<DossierFigures> {
  const info = periodInfo(period);
  const from = new Date(info.cutoffStart);
  const to = new Date(info.cutoffEnd);
  const asOf = now.getTime() < to.getTime() ? now : to;
  const unit = await getOrgByCode(unitCode);
  const rows = await Dossier.findAll({
    where: { orgPath: { [Op.like]: `${unit.path}%` }, status: { [Op.ne]: 'draft' }, receivedAt: { [Op.ne]: null, [Op.lte]: to } },
    attributes: ['id', 'code', 'procedureCode', 'procedureName', 'orgUnitId', 'orgCode', 'channel', 'status', 'receivedAt', 'dueAt', 'decidedAt', 'finishedAt', 'updatedAt'],
    order: [['receivedAt', 'ASC'], ['id', 'ASC']],
    raw: true,
  }) as unknown as Array<Record<string, unknown>>;
  const orgs = await getOrgsByIds([...new Set(rows.map((r) => Number(r.orgUnitId)))]);
  const dossiers: CrosscheckDossier[] = [];
  for (const r of rows) {
    const facts = { status: String(r.status), channel: String(r.channel), receivedAt: date(r.receivedAt), dueAt: date(r.dueAt), decidedAt: date(r.decidedAt), finishedAt: date(r.finishedAt), updatedAt: date(r.updatedAt) };
    const c = classify(facts, from, to, asOf);
    if (!c) continue;
    const level = orgs.get(Number(r.orgUnitId))?.level;
    dossiers.push({
      id: Number(r.id), code: (r.code as string | null) ?? null, procedureCode: String(r.procedureCode), procedureName: String(r.procedureName), orgCode: String(r.orgCode),
      channel: facts.channel, status: facts.status, receivedAt: facts.receivedAt!, dueAt: facts.dueAt, resolvedAt: c.resolvedAt, received: c.received, outcome: c.outcome,
      column: level === 'commune' ? 'xa' : 'tinh',
    });
  }
  return { period: info.period, unit: unit.code, from, to, asOf, dossiers };
}

/** A parsed indicator reference: a row of the form and optionally one level column (`HS_DAGQ_QUAHAN.xa`). */
export interface IndicatorRef {
  row: string;
  column: LevelColumn | null;
  classes: readonly DossierClass[];
}

/** Reads `ROW` or `ROW.COL` against a form's indicators; AppError 400 `reporting.crosscheck.indicator` otherwise. */
export function indicatorOf(formKey: string, indicator: string): IndicatorRef {
  const rows = FORM_INDICATORS.get(formKey);
  const [row, column, extra] = String(indicator).split('.');
  const classes = rows?.get(row);
  const col = column === undefined ? null : (LEVEL_COLUMNS as readonly string[]).includes(column) ? (column as LevelColumn) : undefined;
  if (!rows || !classes || col === undefined || extra !== undefined) {
    throw BadRequest('reporting.crosscheck.indicator', { indicator: String(indicator).slice(0, 80), allowed: rows ? [...rows.keys()].join(', ') : '—' });
  }
  return { row, column: col, classes };
}

/** The dossiers behind one indicator (and column) of a recount. */
export function dossiersBehind(figures: DossierFigures, ref: IndicatorRef): CrosscheckDossier[] {
  return figures.dossiers.filter((d) => (ref.classes.includes(d.received) || ref.classes.includes(d.outcome)) && (ref.column === null || d.column === ref.column));
}

/** The recounted value of every input cell of the form's indicators (`ROW.COL` → number); totals are left to the form. */
export function recountedValues(formKey: string, plan: Plan, figures: DossierFigures): Map<string, number> {
  const out = new Map<string, number>();
  const rows = FORM_INDICATORS.get(formKey);
  if (!rows) return out;
  for (const c of plan.inputs) {
    if (c.kind !== 'cell' || !c.numeric) continue;
    const [row, column] = c.key.split('.');
    const classes = rows.get(row);
    if (!classes || !(LEVEL_COLUMNS as readonly string[]).includes(column)) continue;
    out.set(c.key, dossiersBehind(figures, { row, column: column as LevelColumn, classes }).length);
  }
  return out;
}

/** Values that pre-fill an untouched report: the recount of every indicator cell. */
export function prefillValues(formKey: string, plan: Plan, figures: DossierFigures): FormValues {
  const out = Object.create(null) as Record<string, Record<string, number>>;
  for (const [key, n] of recountedValues(formKey, plan, figures)) {
    const [row, column] = key.split('.');
    out[row] = out[row] ?? (Object.create(null) as Record<string, number>);
    out[row][column] = n;
  }
  return out as FormValues;
}

/** A warning for each entered figure that differs from the recount; rule ids `xc.dossiers.ROW.COL`. */
export function dossierIssues(formKey: string, plan: Plan, values: FormValues, figures: DossierFigures): Issue[] {
  const out: Issue[] = [];
  const recount = recountedValues(formKey, plan, figures);
  for (const c of plan.inputs) {
    const expected = recount.get(c.key);
    if (expected === undefined) continue;
    const v = getValue(values, c.key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v === expected) continue;
    out.push({ code: 'reporting.check.dossiers', severity: 'warning', target: c.key, where: c.where, rule: `xc.dossiers.${c.key}`, params: { where: c.where, value: v, expected } });
  }
  return out;
}

/** The cross-check warnings of a report's values, or none when its form is not cross-checked against dossiers. */
export async function crosscheckDossiers(formKey: string, plan: Plan, unitCode: string, period: string, values: FormValues): Promise<Issue[]> {
  if (!isCrosscheckedForm(formKey)) return [];
  return dossierIssues(formKey, plan, values, await dossierFigures(unitCode, period));
}

/** The list behind one figure for a viewer in the unit's scope (404 outside it, like the report). */
export async function crosscheckList(viewer: Viewer, formKey: string, unitCode: string, period: string, indicator: string): Promise<{ ref: IndicatorRef; figures: DossierFigures; dossiers: CrosscheckDossier[] }> {
  const unit = await getOrgByCode(unitCode);
  if (!canAccessOrg(viewer, unit.path)) throw NotFound('reporting.report.notFound', { unit: unitCode, period, regime: '' });
  const ref = indicatorOf(formKey, indicator);
  const figures = await dossierFigures(unitCode, period);
  return { ref, figures, dossiers: dossiersBehind(figures, ref) };
}

/** The link to the list of dossiers behind a figure. */
export function crosscheckHref(regime: string, period: string, unit: string, indicator: string): string {
  return `/reporting/${encodeURIComponent(regime)}/${encodeURIComponent(period)}/${encodeURIComponent(unit)}/crosscheck/${encodeURIComponent(indicator)}`;
}

/** What a report page shows of the recount: each cell's figure with its list, and the values of an untouched report. */
export interface CrosscheckView {
  /** By cell key (`ROW.COL`). */
  cells: Record<string, { count: number; href: string; differs: boolean }>;
  /** The recount with the form's totals and formulas, for a report nobody has saved yet (null otherwise). */
  prefill: FormValues | null;
  /** The cut-off window read. */
  from: Date;
  to: Date;
}

/** The recount on a report page, or null when its form is not cross-checked against dossiers. */
export async function crosscheckView(formKey: string, plan: Plan, r: { regime: string; period: string; unit: string; status: string; values: FormValues }): Promise<CrosscheckView | null> {
  if (!isCrosscheckedForm(formKey)) return null;
  const figures = await dossierFigures(r.unit, r.period);
  const recount = recountedValues(formKey, plan, figures);
  const isUntouched = r.status === 'open' && Object.keys(r.values ?? {}).length === 0;
  const cells = Object.create(null) as CrosscheckView['cells'];
  for (const [key, count] of recount) {
    const v = getValue(r.values, key);
    cells[key] = { count, href: crosscheckHref(r.regime, r.period, r.unit, key), differs: !isUntouched && typeof v === 'number' && v !== count };
  }
  return { cells, from: figures.from, to: figures.to, prefill: isUntouched ? evaluateForm(plan, prepareInput(plan, prefillValues(formKey, plan, figures))).values : null };
}

/** The view model of the list behind a figure: the indicator's name, the entered and the recounted figure, the dossiers. */
export function presentCrosscheck(locale: Locale, form: { sections: Array<{ tables?: Array<{ rows: Array<{ id: string; code?: string; name: string }>; columns: Array<{ id: string; label: string }> }> }> }, values: FormValues, list: Awaited<ReturnType<typeof crosscheckList>>) {
  const rows = form.sections.flatMap((s) => s.tables ?? []);
  const table = rows.find((tb) => tb.rows.some((r) => r.id === list.ref.row));
  const row = table?.rows.find((r) => r.id === list.ref.row);
  const column = list.ref.column ? table?.columns.find((c) => c.id === list.ref.column) : null;
  const name = `${row?.code ? `${row.code}. ` : ''}${row?.name ?? list.ref.row}${column ? ` — ${column.label}` : ''}`;
  const entered = getValue(values, list.ref.column ? `${list.ref.row}.${list.ref.column}` : `${list.ref.row}.tong`);
  return {
    name,
    indicator: list.ref.column ? `${list.ref.row}.${list.ref.column}` : list.ref.row,
    count: list.dossiers.length,
    entered: typeof entered === 'number' ? formatNumber(entered, locale) : '',
    differs: typeof entered === 'number' && entered !== list.dossiers.length,
    fromText: formatVn(list.figures.from),
    toText: formatVn(list.figures.to),
    asOfText: formatVn(list.figures.asOf),
    dossiers: list.dossiers.map((d) => ({
      ...d, href: `/officer/dossiers/${d.id}`, receivedText: formatVn(d.receivedAt), dueText: d.dueAt ? formatVn(d.dueAt) : '—', resolvedText: d.resolvedAt ? formatVn(d.resolvedAt) : '—',
      receivedClass: t(locale, `reporting.crosscheck.class.${d.received}`), outcomeClass: t(locale, `reporting.crosscheck.class.${d.outcome}`),
    })),
  };
}

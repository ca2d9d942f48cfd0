// What the reviewer of a report sees besides its values: each figure against the previous period (value
// and % change), the completeness of the units below (each with its status and a link), and the
// warnings of the report and of its children with a link straight to the report and the cell.
import { Op } from 'sequelize';
import { Report } from './models.ts';
import { getRegime, getReport } from './service.ts';
import { previousPeriod } from './periods.ts';
import { describeIssues } from '../forms/service.ts';
import { getValue, type Issue, type Plan } from '../forms/engine.ts';
import type { FormValues } from '../forms/definition.ts';
import type { Viewer } from '../access/index.ts';
import { formatNumber, t, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';
import { crosscheckHref } from './dossier-crosscheck.ts';

/** One figure against the previous period. */
export interface PreviousCell { previous: string; change: string; isUp: boolean | null }

/** The reviewer's view of a report. */
export interface ReviewView {
  previousPeriod: string;
  /** By cell key (`row.col`), only cells with a previous value. */
  previous: Record<string, PreviousCell>;
  children: Array<{ unit: string; status: string; statusText: string; isLate: boolean; submittedText: string; href: string; warnings: number }>;
  warnings: Array<{ unit: string; message: string; explanation: string; href: string; isOwn: boolean }>;
}

const href = (regime: string, period: string, unit: string, cell?: string) =>
  `/reporting/${encodeURIComponent(regime)}/${encodeURIComponent(period)}/${encodeURIComponent(unit)}${cell ? `#c-${encodeURIComponent(cell)}` : ''}`;

/** Where a warning leads: the list of dossiers behind a figure that differs from them, else the report's cell. */
const warningHref = (regime: string, period: string, unit: string, w: { rule?: string; target?: string }) =>
  w.rule?.startsWith('xc.dossiers.') && w.target ? crosscheckHref(regime, period, unit, w.target) : href(regime, period, unit, w.target);

/** The relative change from `prev` to `value` as a signed percentage text, or '' when it has no meaning. */
export function changeText(value: number, prev: number, locale: Locale): string {
  if (prev === 0) return '';
  const pct = ((value - prev) / Math.abs(prev)) * 100;
  return `${pct > 0 ? '+' : ''}${formatNumber(Math.round(pct * 10) / 10, locale)} %`;
}

/** The review context of a report the viewer may read (404 outside their scope, like the report itself). */
export async function reviewOf(viewer: Viewer, plan: Plan, regimeCode: string, periodId: string, unitCode: string, locale: Locale): Promise<ReviewView> {
  const report = await getReport(viewer, regimeCode, periodId, unitCode);
  const regime = await getRegime(regimeCode);
  const prevId = previousPeriod(report.period);
  const prevRow = await Report.findOne({ where: { regimeId: regime.id, period: prevId, orgCode: report.unit }, attributes: ['valuesJson'] });
  const prevValues: FormValues = prevRow?.valuesJson ? JSON.parse(prevRow.valuesJson) : {};
  const previous = Object.create(null) as Record<string, PreviousCell>;
  for (const c of plan.cells.values()) {
    if (c.kind !== 'cell' || !c.numeric) continue;
    const p = getValue(prevValues, c.key);
    if (typeof p !== 'number') continue;
    const v = getValue(report.values, c.key);
    previous[c.key] = { previous: formatNumber(p, locale), change: typeof v === 'number' ? changeText(v, p, locale) : '', isUp: typeof v === 'number' && v !== p ? v > p : null };
  }
  const warnings: ReviewView['warnings'] = [];
  for (const w of describeIssues(locale, report.issues.filter((i) => i.severity === 'warning'))) {
    warnings.push({ unit: report.unit, message: w.message, explanation: (w.rule && report.explanations[w.rule]) || '', href: warningHref(regime.code, report.period, report.unit, w), isOwn: true });
  }
  const kids = await Report.findAll({ where: { regimeId: regime.id, period: report.period, parentCode: report.unit, id: { [Op.ne]: report.id } }, attributes: ['orgCode', 'status', 'isLate', 'submittedAt', 'issues', 'explanations'], order: [['orgCode', 'ASC']] });
  const children: ReviewView['children'] = [];
  for (const k of kids) {
    const issues: Issue[] = k.issues ? JSON.parse(k.issues) : [];
    const explanations: Record<string, string> = k.explanations ? JSON.parse(k.explanations) : {};
    const childWarnings = describeIssues(locale, issues.filter((i) => i.severity === 'warning'));
    children.push({ unit: k.orgCode, status: k.status, statusText: t(locale, `reporting.status.${k.status}`), isLate: k.isLate, submittedText: k.submittedAt ? formatVn(k.submittedAt) : '', href: href(regime.code, report.period, k.orgCode), warnings: childWarnings.length });
    for (const w of childWarnings) {
      const explanation = w.rule && Object.hasOwn(explanations, w.rule) ? explanations[w.rule] : '';
      warnings.push({ unit: k.orgCode, message: w.message, explanation, href: warningHref(regime.code, report.period, k.orgCode, w), isOwn: false });
    }
  }
  return { previousPeriod: prevId, previous, children, warnings };
}

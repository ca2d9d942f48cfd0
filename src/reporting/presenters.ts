// What leaves the reporting domain for pages: a report as entry cards (one indicator per card, so a
// 360 px phone never scrolls sideways), its checks, history and completeness; a status row of a cycle.
import { t, formatNumber, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';
import { describeIssues, type FormVersionView } from '../forms/service.ts';
import { getValue, type Plan } from '../forms/engine.ts';
import type { ReportEvent } from './models.ts';
import type { ReportView } from './service.ts';
import type { SignedPdfEntry } from './signed-pdf.ts';

/** Status label and display texts of one report in a list. */
export function presentStatus(locale: Locale, r: ReportView) {
  return {
    ...r,
    statusText: t(locale, `reporting.status.${r.status}`),
    submittedText: r.submittedAt ? formatVn(r.submittedAt) : '',
    deadlineText: formatVn(r.deadline),
    href: `/reporting/${encodeURIComponent(r.regime)}/${encodeURIComponent(r.period)}/${encodeURIComponent(r.unit)}`,
  };
}

function text(v: unknown, locale: Locale, decimals?: number): string {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'number') return formatNumber(v, locale, decimals);
  return String(v);
}

/** The view model of a report page: fields, indicator cards, checks, history, what the viewer may do. */
export function presentReportPage(locale: Locale, form: FormVersionView, plan: Plan, r: ReportView, history: ReportEvent[], may: { canFill: boolean; canLead: boolean }, signedPdfs: SignedPdfEntry[] = []) {
  const editable = may.canFill && ['open', 'draft', 'returned'].includes(r.status) && r.isEntryOpen;
  const issues = describeIssues(locale, r.issues);
  const byTarget = new Map<string, string[]>();
  for (const i of issues) if (i.target) byTarget.set(i.target, [...(byTarget.get(i.target) ?? []), i.message]);
  const sections = form.definition.sections.map((s) => ({
    id: s.id,
    title: s.title,
    fields: (s.fields ?? []).filter((f) => f.type !== 'file').map((f) => ({
      id: f.id, label: f.label, required: !!f.required, isLong: f.type === 'longtext', isNumber: ['number', 'integer', 'percent'].includes(f.type),
      value: text(getValue(r.values, f.id), locale, f.decimals), isInput: plan.cells.get(f.id)?.mode === 'input', problems: byTarget.get(f.id) ?? [],
    })),
    tables: (s.tables ?? []).map((tb) => ({
      id: tb.id,
      title: tb.title,
      rows: tb.rows.map((row) => ({
        id: row.id, code: row.code ?? '', name: row.name, unit: row.unit ?? '', isTotal: !!row.total,
        cells: tb.columns.filter((c) => !(row.blank ?? []).includes(c.id)).map((c) => {
          const key = `${row.id}.${c.id}`;
          const cell = plan.cells.get(key);
          return { key, label: c.label, value: text(getValue(r.values, key), locale, c.decimals), isInput: cell?.mode === 'input', problems: byTarget.get(key) ?? [] };
        }).filter((c) => c.isInput || c.value !== ''),
      })),
    })),
  }));
  const warnings = issues.filter((i) => i.severity === 'warning' && i.rule).map((i) => ({ rule: i.rule!, message: i.message, explanation: r.explanations[i.rule!] ?? '' }));
  return {
    ...r,
    unitLabel: r.unit,
    statusText: t(locale, `reporting.status.${r.status}`),
    deadlineText: formatVn(r.deadline),
    submittedText: r.submittedAt ? formatVn(r.submittedAt) : '',
    sections,
    errors: issues.filter((i) => i.severity === 'error').map((i) => i.message),
    warnings,
    history: history.map((e) => ({ round: e.round, action: t(locale, `reporting.action.${e.action.split(':')[0]}`), via: e.action.split(':')[1] ?? '', actor: e.actorName ?? t(locale, 'reporting.system'), comment: e.comment, at: formatVn(e.at) })),
    returns: history.filter((e) => e.action === 'return' || e.action === 'reopen').map((e) => ({ round: e.round, comment: e.comment, actor: e.actorName ?? '', at: formatVn(e.at) })),
    isEditable: editable,
    canReview: may.canLead && r.status === 'review',
    canSign: may.canLead && r.status === 'approved',
    canReopen: may.canLead && (r.status === 'approved' || r.status === 'submitted'),
    canUpload: editable,
    completenessText: r.completeness ? t(locale, 'reporting.report.completeness', { ...r.completeness }) : '',
    ...presentSignedPdfs(locale, r, signedPdfs),
  };
}

/** The current signed PDF's links (only while the report stands submitted) and every signed PDF for the history. */
function presentSignedPdfs(locale: Locale, r: ReportView, rows: SignedPdfEntry[]) {
  const base = `/reporting/${encodeURIComponent(r.regime)}/${encodeURIComponent(r.period)}/${encodeURIComponent(r.unit)}`;
  const current = r.status === 'submitted' ? rows.filter((x) => x.status === 'current').at(-1) : undefined;
  return {
    signedPdf: current ? { href: `${base}/signed.pdf`, verifyHref: `/verify/${encodeURIComponent(current.pdfSignatureId)}` } : null,
    signedPdfs: rows.map((x) => ({
      round: t(locale, 'reporting.signedPdf.round', { n: x.round }),
      isCurrent: x.status === 'current' && !!current,
      statusText: t(locale, x.status === 'current' && current ? 'reporting.signedPdf.current' : 'reporting.signedPdf.withdrawn'),
      signedText: t(locale, 'reporting.signedPdf.signedAt', { at: formatVn(x.signedAt) }),
      withdrawnText: x.withdrawnAt ? t(locale, 'reporting.signedPdf.withdrawnAt', { at: formatVn(x.withdrawnAt), reason: x.withdrawReason ?? '' }) : '',
      verifyHref: `/verify/${encodeURIComponent(x.pdfSignatureId)}`,
    })),
  };
}

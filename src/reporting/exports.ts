// A unit's aggregated results (its report's values, the roll-up of the units below for a parent) as a
// table for the page, an Excel workbook and an A4 PDF in the form's administrative layout.
import ExcelJS from 'exceljs';
import { getRegime, getReport, regimeForm, type Completeness, type ReportView } from './service.ts';
import { periodLabel } from './periods.ts';
import { planOf } from '../forms/service.ts';
import { getValue } from '../forms/engine.ts';
import { tablesOf } from '../forms/definition.ts';
import { renderPdf } from '../forms/pdf.ts';
import { getOrgByCode } from '../orgs/service.ts';
import type { Viewer } from '../access/index.ts';
import { formatNumber, t, type Locale } from '../i18n/index.ts';

/** One indicator table of the results. */
export interface ResultTable {
  id: string;
  title: string;
  columns: string[];
  rows: Array<{ code: string; name: string; unit: string; isTotal: boolean; values: Array<number | string | null>; texts: string[] }>;
}

/** A unit's results: its report, the unit's name, the period's label, the tables, the completeness text. */
export interface Results {
  report: ReportView;
  regimeName: string;
  unitName: string;
  periodText: string;
  tables: ResultTable[];
  completenessText: string;
  completeness: Completeness | null;
}

/** The results of a unit's report the viewer may read (404 outside their scope). */
export async function resultsOf(viewer: Viewer, regimeCode: string, periodId: string, unitCode: string, locale: Locale): Promise<Results> {
  const report = await getReport(viewer, regimeCode, periodId, unitCode);
  const regime = await getRegime(regimeCode);
  const form = await regimeForm(regime);
  const plan = planOf(form);
  const unit = await getOrgByCode(report.unit).catch(() => null);
  const tables: ResultTable[] = tablesOf(form.definition).map((tb) => ({
    id: tb.id,
    title: tb.title ?? '',
    columns: tb.columns.map((c) => c.label),
    rows: tb.rows.map((row) => {
      const values = tb.columns.map((c) => {
        if ((row.blank ?? []).includes(c.id) || !plan.cells.has(`${row.id}.${c.id}`)) return null;
        const v = getValue(report.values, `${row.id}.${c.id}`);
        return typeof v === 'number' || typeof v === 'string' ? v : null;
      });
      const texts = values.map((v, i) => (typeof v === 'number' ? formatNumber(v, locale, tb.columns[i].decimals) : v ?? ''));
      return { code: row.code ?? '', name: row.name, unit: row.unit ?? '', isTotal: !!row.total, values, texts };
    }),
  }));
  return {
    report, regimeName: regime.name, unitName: unit?.name ?? report.unit, periodText: periodLabel(report.period, locale), tables,
    completenessText: report.completeness ? t(locale, 'reporting.report.completeness', { ...report.completeness }) : '', completeness: report.completeness,
  };
}

/** The results as an Excel workbook: one sheet per indicator table, numbers as numbers. */
export async function resultsXlsx(r: Results, locale: Locale): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'govflow';
  r.tables.forEach((tb, i) => {
    const ws = wb.addWorksheet((tb.title || `${t(locale, 'reporting.screens.results.sheet')} ${i + 1}`).replace(/[\\/?*[\]:]/g, ' ').slice(0, 31));
    ws.addRow([`${r.regimeName} — ${r.unitName} (${r.report.unit}) — ${r.periodText}`]).font = { bold: true };
    if (r.completenessText) ws.addRow([r.completenessText]);
    const head = ws.addRow([t(locale, 'reporting.screens.results.code'), t(locale, 'reporting.screens.results.indicator'), t(locale, 'reporting.screens.results.unit'), ...tb.columns]);
    head.font = { bold: true };
    for (const row of tb.rows) {
      const line = ws.addRow([row.code, row.name, row.unit, ...row.values.map((v) => v ?? '')]);
      if (row.isTotal) line.font = { bold: true };
    }
    ws.getColumn(1).width = 8;
    ws.getColumn(2).width = 48;
    ws.getColumn(3).width = 12;
    for (let c = 4; c < 4 + tb.columns.length; c++) ws.getColumn(c).width = 16;
  });
  if (!r.tables.length) wb.addWorksheet(t(locale, 'reporting.screens.results.sheet'));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The results as the form's A4 document (Vietnamese font, headers repeated on every page). */
export async function resultsPdf(regimeCode: string, r: Results, locale: Locale): Promise<Buffer> {
  const form = await regimeForm(await getRegime(regimeCode));
  return renderPdf(form.definition, { locale, values: r.report.values, orgName: r.unitName, period: r.periodText, date: r.report.submittedAt ?? new Date() }, planOf(form));
}

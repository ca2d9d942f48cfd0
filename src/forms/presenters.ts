// View models of the forms pages and the JSON the API returns.
import { fieldsOf, tablesOf, depthOf, rowLabel, type FormDefinition, type FormValues } from './definition.ts';
import { getValue, type Issue, type Plan } from './engine.ts';
import { formatVnNumber } from './numbers.ts';
import { describeIssues, type FormVersionView } from './service.ts';
import { loadCatalogs, t, type Locale } from '../i18n/index.ts';
import type { Change } from './diff.ts';
import { acceptOf, maxBytesOf, sizeText } from './files.ts';
import { isFileValue } from './definition.ts';

/** The `forms.*` messages of a language, for the browser islands. */
export function formsCatalog(locale: Locale): Record<string, string> {
  const all = loadCatalogs()[locale];
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('forms.')));
}

/** A form version as JSON. */
export function presentVersion(v: FormVersionView, problems?: Issue[], locale: Locale = 'vi') {
  return { key: v.key, version: v.version, status: v.status, publishedAt: v.publishedAt, definition: v.definition, ...(problems ? { problems: describeIssues(locale, problems) } : {}) };
}

function display(value: unknown, decimals?: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatVnNumber(value, decimals);
  return String(value);
}

/** The data-entry page's table and fields, with values and issues placed on their cells. */
export function presentEntry(def: FormDefinition, plan: Plan, values: FormValues, issues: Issue[], locale: Locale) {
  const described = describeIssues(locale, issues);
  const byTarget = new Map<string, string[]>();
  for (const i of described) if (i.target) (byTarget.get(i.target) ?? byTarget.set(i.target, []).get(i.target)!).push(i.message);
  const sections = def.sections.map((s) => ({
    id: s.id,
    title: s.title,
    fields: (s.fields ?? []).map((f) => {
      const cell = plan.cells.get(f.id)!;
      const v = getValue(values, f.id);
      return {
        id: f.id, label: f.label, type: f.type, unit: f.unit ?? '', required: !!f.required, isComputed: cell.mode !== 'input',
        value: f.type === 'boolean' ? (v === true ? 'true' : v === false ? 'false' : '') : f.type === 'file' ? '' : display(v, cell.mode === 'input' ? undefined : f.decimals),
        file: f.type === 'file' && isFileValue(v) ? { name: v.name, size: sizeText(v.size) } : null,
        accept: f.type === 'file' ? acceptOf(f).map((a) => `.${a}`).join(',') : '',
        fileHint: f.type === 'file' ? t(locale, 'forms.file.hint', { accept: acceptOf(f).join(', '), max: sizeText(maxBytesOf(f)) }) : '',
        options: f.options ?? [], errors: byTarget.get(f.id) ?? [],
      };
    }),
    tables: (s.tables ?? []).map((tb) => {
      const depth = depthOf(tb);
      return {
        id: tb.id, title: tb.title ?? '', columns: tb.columns,
        rows: tb.rows.map((r) => ({
          id: r.id, code: r.code ?? '', name: r.name, unit: r.unit ?? '', depth: depth.get(r.id) ?? 0, isParent: !r.parent, label: rowLabel(r),
          cells: tb.columns.map((c) => {
            const key = `${r.id}.${c.id}`;
            const cell = plan.cells.get(key);
            return {
              key, column: c.label, isBlank: !cell, isComputed: !!cell && cell.mode !== 'input',
              // Inputs show what was entered; only computed cells are rounded to the column's decimals.
              value: cell ? display(getValue(values, key), cell.mode === 'input' ? undefined : c.decimals) : '', errors: byTarget.get(key) ?? [],
            };
          }),
        })),
      };
    }),
  }));
  return { sections, hasFiles: fieldsOf(def).some((f) => f.type === 'file'), summary: described, warnings: described.filter((i) => i.severity === 'warning' && i.rule) };
}

/** The history page: versions newest first with readable changes. */
export function presentHistory(versions: Array<FormVersionView & { changes: Change[] }>, locale: Locale) {
  return versions.map((v) => ({
    version: v.version,
    status: v.status,
    statusLabel: t(locale, `forms.status.${v.status}`),
    publishedAt: v.publishedAt,
    changes: v.changes.map((c) => {
      const what = t(locale, `forms.history.${c.what}`, { name: c.name });
      return t(locale, `forms.history.${c.kind}`, { what, prop: c.prop ?? '', from: c.from ?? '', to: c.to ?? '' });
    }),
  }));
}

/** Whether a definition has any field or table (for empty-state hints). */
export function isEmptyDefinition(def: FormDefinition): boolean {
  return fieldsOf(def).length === 0 && tablesOf(def).length === 0;
}

/** A period key as people write it: `2025-02` → `Tháng 02 năm 2025`, `2025-Q1` → `Quý 1 năm 2025`. */
export function periodText(period: string, locale: Locale): string {
  let m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) return t(locale, 'forms.periodText.month', { month: m[2], year: m[1] });
  m = /^(\d{4})-Q([1-4])$/.exec(period);
  if (m) return t(locale, 'forms.periodText.quarter', { n: m[2], year: m[1] });
  m = /^(\d{4})-H([12])$/.exec(period);
  if (m) return t(locale, `forms.periodText.half${m[2]}`, { year: m[1] });
  m = /^(\d{4})$/.exec(period);
  if (m) return t(locale, 'forms.periodText.year', { year: m[1] });
  return period;
}

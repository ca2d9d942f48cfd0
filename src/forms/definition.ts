// The form definition: the one JSON document every renderer, the engine and the checks read.
// This module is pure (no Node APIs) so the browser islands share it with the server.

/** Kinds of a section field. */
export const FIELD_TYPES = ['text', 'longtext', 'number', 'integer', 'percent', 'date', 'choice', 'boolean', 'file'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Kinds of an indicator-table column (a measure). */
export const COLUMN_TYPES = ['number', 'integer', 'percent'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** How an indicator rolls up the org tree. */
export const ROLLUPS = ['sum', 'average', 'min', 'max', 'weighted', 'none', 'formula'] as const;
export type RollupKind = (typeof ROLLUPS)[number];

/** Missing-value strategies of a rule, as in DHIS2. */
export const MISSING = ['skipIfAnyMissing', 'skipIfAllMissing', 'zero'] as const;
export type MissingStrategy = (typeof MISSING)[number];

/** Report period kinds (Decree 09/2019). */
export const PERIOD_KINDS = ['month', 'quarter', 'half', 'year', 'adhoc'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

/** One choice of a choice field. */
export interface ChoiceOption {
  value: string;
  label: string;
}

/** A field of a section. */
export interface FieldDef {
  id: string;
  label: string;
  type: FieldType;
  required?: boolean;
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  /** Inline options of a choice field. */
  options?: ChoiceOption[];
  /** Name of a catalog the options come from (resolved by the host). */
  catalog?: string;
  /** Accepted extensions of a file field (`pdf`, `docx`, …); pdf, docx, xlsx, png, jpg by default. */
  accept?: string[];
  /** Size limit of a file field in bytes (10 MB by default). */
  maxBytes?: number;
  /** FEEL expression: the field is computed, not entered. */
  formula?: string;
  help?: string;
}

/** A measure of an indicator table. */
export interface ColumnDef {
  id: string;
  label: string;
  type: ColumnType;
  decimals?: number;
  min?: number;
  max?: number;
  /** FEEL formula for every row; other column ids of the table name the same row's values. */
  formula?: string;
}

/** How an indicator rolls up. */
export interface RollupDef {
  kind: RollupKind;
  /** Weighting indicator (row id) for `weighted`. */
  by?: string;
  /** FEEL formula over the rolled-up rows for `formula`. */
  formula?: string;
}

/** An indicator (a row of an indicator table). */
export interface RowDef {
  id: string;
  /** Indicator code as printed, e.g. `01` or `1.1`. */
  code?: string;
  name: string;
  unit?: string;
  /** Row id of the parent indicator. */
  parent?: string;
  /** The row's input cells are the sum of its children. */
  total?: boolean;
  /** FEEL formula for every input column; other row ids name the same column's values. */
  formula?: string;
  /** FEEL formulas of single cells by column id (full scope: `row.col`). */
  cells?: Record<string, string>;
  rollup?: RollupDef;
  /** Columns left empty for this row (not entered, not computed). */
  blank?: string[];
}

/** An indicator table. */
export interface TableDef {
  id: string;
  title?: string;
  columns: ColumnDef[];
  rows: RowDef[];
}

/** A section of the form. */
export interface SectionDef {
  id: string;
  title: string;
  fields?: FieldDef[];
  tables?: TableDef[];
}

/** A cross-check. */
export interface RuleDef {
  id: string;
  /** FEEL boolean expression; true means the data pass. */
  expression: string;
  message: string;
  severity: 'error' | 'warning';
  missing?: MissingStrategy;
  /** Evaluate once per row of this table, with column ids naming that row's values. */
  forEachRow?: string;
  /** Cell (`row.col`) or field id where the message is shown. */
  target?: string;
}

/** A whole form definition (one version). */
export interface FormDefinition {
  /** Stable kebab-case id of the form across versions. */
  key: string;
  /** Printed form code, e.g. `Biểu số 01`. */
  code: string;
  name: string;
  legalBasis?: string;
  /** Label of the reporting unit, e.g. `Đơn vị báo cáo: UBND tỉnh …`. */
  unitLabel?: string;
  /** Label of the receiving unit. */
  receiverLabel?: string;
  periodKind: PeriodKind;
  sections: SectionDef[];
  rules?: RuleDef[];
  /** Signature block: title of the signer (e.g. `CHỦ TỊCH`). */
  signerTitle?: string;
  /** Preparer caption (e.g. `Người lập biểu`). */
  preparerTitle?: string;
}

/**
 * What one form may hold: far above a real report (the shipped forms have under 100 cells, the bench
 * form 1,000) and low enough that the template, the PDF and a full validation stay within seconds.
 */
export const FORM_LIMITS = {
  /** Indicators (rows) of one table. */
  rowsPerTable: 500,
  /** Measures (columns) of one table. */
  columnsPerTable: 20,
  /** Tables of the whole form. */
  tablesPerForm: 20,
  /** Fields of the whole form. */
  fieldsPerForm: 300,
  /** Fields plus every table's rows × columns. */
  cellsPerForm: 3000,
} as const;

/** Values of one submission: field ids to values, row ids to `{ columnId: number|null }`. */
export type FormValues = Record<string, unknown>;

/** Every table of a definition with its section. */
export function tablesOf(def: FormDefinition): TableDef[] {
  return def.sections.flatMap((s) => s.tables ?? []);
}

/** Every field of a definition. */
export function fieldsOf(def: FormDefinition): FieldDef[] {
  return def.sections.flatMap((s) => s.fields ?? []);
}

/** Label of an indicator as users read it: `Chỉ tiêu 03 Giá trị sản xuất`. */
export function rowLabel(row: RowDef): string {
  return row.code ? `${row.code} ${row.name}` : row.name;
}

/** Whether a value counts as missing. */
export function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));
}

/** Children of each row id within a table. */
export function childrenOf(table: TableDef): Map<string, RowDef[]> {
  const m = new Map<string, RowDef[]>();
  for (const r of table.rows) {
    if (!r.parent) continue;
    const list = m.get(r.parent) ?? [];
    list.push(r);
    m.set(r.parent, list);
  }
  return m;
}

/** Depth of each row in its table (0 for top-level indicators). */
export function depthOf(table: TableDef): Map<string, number> {
  const byId = new Map(table.rows.map((r) => [r.id, r]));
  const depth = new Map<string, number>();
  for (const r of table.rows) {
    let d = 0;
    let p = r.parent;
    const seen = new Set<string>();
    while (p && byId.has(p) && !seen.has(p)) {
      seen.add(p);
      d++;
      p = byId.get(p)!.parent;
    }
    depth.set(r.id, d);
  }
  return depth;
}

/** Whether a value is a stored file: `{ sha256, name, size, type }`. */
export function isFileValue(v: unknown): v is { sha256: string; name: string; size: number; type: string } {
  const f = v as Record<string, unknown> | null;
  return !!f && typeof f === 'object' && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256) && typeof f.name === 'string' && typeof f.size === 'number' && typeof f.type === 'string';
}

/** Whether a `YYYY-MM-DD` string is a real calendar day (31/02 is not). */
export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

// Excel renderer and reader: a formatted, protected template with a hidden sheet that identifies the
// form, its version and the cell map; and the reader that maps a filled copy back to values.
import ExcelJS from 'exceljs';
import { compile, checkInputs, getValue, setValue, type Plan, type PlanCell } from './engine.ts';
import { fieldsOf, isIsoDate, isMissing, rowLabel, tablesOf, depthOf, type FormDefinition, type FormValues } from './definition.ts';
import { feelToExcel } from './excel-formula.ts';
import { assertWorkbookWithinLimits } from './zip-limits.ts';
import { parseVnNumber } from './numbers.ts';
import { BadRequest, Invalid } from '../errors.ts';
import { t, type Locale } from '../i18n/index.ts';

/** Name of the hidden sheet that identifies a template. */
export const META_SHEET = '_govflow';
/** Hidden sheet holding long choice lists (one column per field) that data validation refers to. */
export const LISTS_SHEET = '_lists';
const MAGIC = 'govflow-form';
const FIRST_MEASURE_COL = 5;

/** What the template is for. */
export interface TemplateOptions {
  version: number;
  locale?: Locale;
  /** Reporting unit printed in the header. */
  orgName?: string;
  /** Period printed in the header, e.g. `Tháng 02/2025`. */
  period?: string;
  /** Values to prefill (inputs only). */
  values?: FormValues;
}

function colLetter(n: number): string {
  let s = '';
  while (n > 0) {
    const m = (n - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

const thin = { style: 'thin' as const, color: { argb: 'FF000000' } };
const box = { top: thin, left: thin, bottom: thin, right: thin };
const inputFill = { type: 'pattern' as const, pattern: 'solid' as const, fgColor: { argb: 'FFFFFDE7' } };
const computedFill = { type: 'pattern' as const, pattern: 'solid' as const, fgColor: { argb: 'FFEEEEEE' } };

function numFmt(decimals: number | undefined): string {
  if (decimals === 0) return '#,##0';
  return `#,##0.${'0'.repeat(decimals ?? 2)}`;
}

/** Builds the template workbook of a definition. */
export async function buildTemplate(def: FormDefinition, opts: TemplateOptions, plan: Plan = compile(def)): Promise<ExcelJS.Workbook> {
  const L = opts.locale ?? 'vi';
  const wb = new ExcelJS.Workbook();
  wb.creator = 'govflow';
  const sheetName = t(L, 'forms.doc.sheetName');
  const ws = wb.addWorksheet(sheetName, { pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 } });
  const meta = wb.addWorksheet(META_SHEET);
  meta.state = 'veryHidden';
  const maxCols = Math.max(FIRST_MEASURE_COL, ...tablesOf(def).map((tb) => FIRST_MEASURE_COL - 1 + tb.columns.length));
  const last = colLetter(maxCols);
  ws.getColumn(1).width = 6;
  ws.getColumn(2).width = 48;
  ws.getColumn(3).width = 9;
  ws.getColumn(4).width = 11;
  for (let c = FIRST_MEASURE_COL; c <= maxCols; c++) ws.getColumn(c).width = 16;
  const map: Array<[string, string, string, string]> = [];
  const addresses = new Map<string, string>();

  // Header: form code and unit on the left, the national motto on the right.
  const half = Math.max(3, Math.floor(maxCols / 2));
  ws.mergeCells(`A1:${colLetter(half - 1)}1`);
  ws.getCell('A1').value = def.code;
  ws.getCell('A1').font = { bold: true };
  ws.mergeCells(`A2:${colLetter(half - 1)}2`);
  ws.getCell('A2').value = opts.orgName ?? def.unitLabel ?? '';
  ws.mergeCells(`${colLetter(half)}1:${last}1`);
  ws.getCell(`${colLetter(half)}1`).value = t(L, 'forms.doc.motto1');
  ws.getCell(`${colLetter(half)}1`).font = { bold: true };
  ws.mergeCells(`${colLetter(half)}2:${last}2`);
  ws.getCell(`${colLetter(half)}2`).value = t(L, 'forms.doc.motto2');
  ws.getCell(`${colLetter(half)}2`).font = { bold: true, underline: true };
  for (const a of ['A1', 'A2', `${colLetter(half)}1`, `${colLetter(half)}2`]) ws.getCell(a).alignment = { horizontal: 'center' };
  let r = 4;
  const line = (text: string, font: Partial<ExcelJS.Font> = {}) => {
    ws.mergeCells(`A${r}:${last}${r}`);
    const c = ws.getCell(`A${r}`);
    c.value = text;
    c.font = font;
    c.alignment = { horizontal: 'center', wrapText: true };
    r++;
  };
  line(def.name.toUpperCase(), { bold: true, size: 13 });
  line(t(L, 'forms.doc.period', { period: opts.period ?? '……' }), { italic: true });
  if (def.legalBasis) line(t(L, 'forms.doc.legalBasis', { text: def.legalBasis }), { italic: true, size: 9 });
  r++;

  // Lists: inline when short (Excel allows 255 characters, no commas in an item), else a column of a hidden sheet.
  let lists: ExcelJS.Worksheet | undefined;
  let listCol = 0;
  const listFormula = (labels: string[]): string => {
    const inline = labels.map((l) => l.replace(/"/g, '')).join(',');
    if (inline.length <= 250 && !labels.some((l) => l.includes(','))) return `"${inline}"`;
    if (!lists) {
      lists = wb.addWorksheet(LISTS_SHEET);
      lists.state = 'hidden';
    }
    listCol++;
    const col = colLetter(listCol);
    labels.forEach((l, i) => { lists!.getCell(`${col}${i + 1}`).value = l; });
    return `'${LISTS_SHEET}'!$${col}$1:$${col}$${labels.length}`;
  };

  const unlock = (cell: ExcelJS.Cell) => {
    cell.protection = { locked: false };
    cell.fill = inputFill;
  };

  // Fields: label in B:D, value in E.
  const fields = fieldsOf(def).filter((f) => f.type !== 'file');
  if (fields.length) {
    ws.getCell(`A${r}`).value = t(L, 'forms.doc.fields');
    ws.getCell(`A${r}`).font = { bold: true };
    r++;
    for (const f of fields) {
      const cell = plan.cells.get(f.id)!;
      ws.mergeCells(`B${r}:D${r}`);
      ws.getCell(`B${r}`).value = f.label + (f.unit ? ` (${f.unit})` : '');
      const ref = `E${r}`;
      if (fields.length && maxCols > FIRST_MEASURE_COL) ws.mergeCells(`E${r}:${last}${r}`);
      const c = ws.getCell(ref);
      c.border = box;
      addresses.set(f.id, ref);
      if (cell.mode === 'input') {
        unlock(c);
        const v = opts.values ? getValue(opts.values, f.id) : null;
        if (!isMissing(v)) c.value = f.type === 'choice' ? (f.options?.find((o) => o.value === v)?.label ?? String(v)) : f.type === 'boolean' ? t(L, v ? 'forms.doc.yes' : 'forms.doc.no') : (v as ExcelJS.CellValue);
        if (f.type === 'number' || f.type === 'percent' || f.type === 'integer') {
          c.numFmt = numFmt(f.type === 'integer' ? 0 : f.decimals);
          c.dataValidation = numberValidation(f.type === 'integer', f.min, f.max);
        } else if (f.type === 'choice' && f.options?.length) {
          c.dataValidation = { type: 'list', allowBlank: true, formulae: [listFormula(f.options.map((o) => o.label))], showErrorMessage: true };
        } else if (f.type === 'boolean') {
          c.dataValidation = { type: 'list', allowBlank: true, formulae: [`"${t(L, 'forms.doc.yes')},${t(L, 'forms.doc.no')}"`], showErrorMessage: true };
        } else if (f.type === 'date') {
          c.numFmt = 'dd/mm/yyyy';
        }
      } else c.fill = computedFill;
      map.push([ref, f.id, cell.mode, f.type]);
      r++;
    }
    r++;
  }

  // Indicator tables.
  const formulaCells: Array<{ cell: PlanCell; ref: string }> = [];
  for (const table of tablesOf(def)) {
    if (table.title) {
      ws.getCell(`A${r}`).value = table.title;
      ws.getCell(`A${r}`).font = { bold: true };
      r++;
    }
    const heads = [t(L, 'forms.doc.colNo'), t(L, 'forms.doc.colName'), t(L, 'forms.doc.colCode'), t(L, 'forms.doc.colUnit'), ...table.columns.map((c) => c.label)];
    const hr = ws.getRow(r);
    heads.forEach((h, i) => {
      const c = hr.getCell(i + 1);
      c.value = h;
      c.font = { bold: true };
      c.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
      c.border = box;
    });
    hr.height = 32;
    r++;
    const nr = ws.getRow(r);
    ['A', 'B', 'C', 'D', ...table.columns.map((_c, i) => String(i + 1))].forEach((h, i) => {
      const c = nr.getCell(i + 1);
      c.value = h;
      c.font = { italic: true, size: 9 };
      c.alignment = { horizontal: 'center' };
      c.border = box;
    });
    r++;
    const depth = depthOf(table);
    table.rows.forEach((row, idx) => {
      const xr = ws.getRow(r);
      xr.getCell(1).value = idx + 1;
      xr.getCell(2).value = row.name;
      xr.getCell(2).alignment = { indent: depth.get(row.id) ?? 0, wrapText: true };
      if (row.total || !row.parent) xr.getCell(2).font = { bold: !row.parent };
      xr.getCell(3).value = row.code ?? '';
      xr.getCell(4).value = row.unit ?? '';
      for (let i = 1; i <= 4; i++) xr.getCell(i).border = box;
      table.columns.forEach((col, i) => {
        const c = xr.getCell(FIRST_MEASURE_COL + i);
        c.border = box;
        const key = `${row.id}.${col.id}`;
        const pc = plan.cells.get(key);
        if (!pc) {
          c.fill = computedFill;
          return;
        }
        const ref = `${colLetter(FIRST_MEASURE_COL + i)}${r}`;
        addresses.set(key, ref);
        c.numFmt = numFmt(col.type === 'integer' ? 0 : col.decimals);
        if (pc.mode === 'input') {
          unlock(c);
          c.dataValidation = numberValidation(col.type === 'integer', col.min, col.max);
          const v = opts.values ? getValue(opts.values, key) : null;
          if (typeof v === 'number') c.value = v;
        } else {
          c.fill = computedFill;
          formulaCells.push({ cell: pc, ref });
        }
        map.push([ref, key, pc.mode, col.type]);
      });
      r++;
    });
    r++;
  }

  // Computed cells get an equivalent Excel formula where one exists; otherwise they stay empty and locked.
  for (const { cell, ref } of formulaCells) {
    let formula: string | null = null;
    if (cell.mode === 'total') {
      const parts = cell.deps.map((d) => addresses.get(d)).filter(Boolean);
      formula = parts.length ? `IF(COUNT(${parts.join(',')})=0,"",SUM(${parts.join(',')}))` : null;
    } else if (cell.expression) {
      formula = feelToExcel(cell.expression, (path) => excelRef(plan, cell, path, addresses));
    }
    if (formula) ws.getCell(ref).value = { formula, date1904: false } as ExcelJS.CellFormulaValue;
  }

  // Signature block.
  r++;
  // Right of the preparer's A:D (forms without a wide table put it in E alone).
  const signCol = colLetter(Math.max(half, maxCols - 2, FIRST_MEASURE_COL));
  const mergeSign = (row: number) => {
    if (signCol !== last) ws.mergeCells(`${signCol}${row}:${last}${row}`);
  };
  mergeSign(r);
  ws.getCell(`${signCol}${r}`).value = t(L, 'forms.doc.place', { place: '……', day: '…', month: '…', year: '……' });
  ws.getCell(`${signCol}${r}`).font = { italic: true };
  ws.getCell(`${signCol}${r}`).alignment = { horizontal: 'center' };
  r++;
  ws.mergeCells(`A${r}:D${r}`);
  ws.getCell(`A${r}`).value = (def.preparerTitle ?? t(L, 'forms.doc.preparer')).toUpperCase();
  ws.getCell(`A${r}`).font = { bold: true };
  ws.getCell(`A${r}`).alignment = { horizontal: 'center' };
  mergeSign(r);
  ws.getCell(`${signCol}${r}`).value = (def.signerTitle ?? t(L, 'forms.doc.signer')).toUpperCase();
  ws.getCell(`${signCol}${r}`).font = { bold: true };
  ws.getCell(`${signCol}${r}`).alignment = { horizontal: 'center' };
  r++;
  ws.mergeCells(`A${r}:D${r}`);
  ws.getCell(`A${r}`).value = t(L, 'forms.doc.signHint');
  ws.getCell(`A${r}`).alignment = { horizontal: 'center' };
  mergeSign(r);
  ws.getCell(`${signCol}${r}`).value = t(L, 'forms.doc.signHintSeal');
  ws.getCell(`${signCol}${r}`).alignment = { horizontal: 'center' };

  await ws.protect('', { selectLockedCells: true, selectUnlockedCells: true, formatColumns: true, formatRows: true, spinCount: 1 });

  meta.addRow([MAGIC, def.key, def.code, opts.version, sheetName]);
  for (const m of map) meta.addRow(m);
  return wb;
}

function numberValidation(integer: boolean, min?: number, max?: number): ExcelJS.DataValidation {
  const lo = min ?? -1e15;
  const hi = max ?? 1e15;
  return { type: integer ? 'whole' : 'decimal', operator: 'between', allowBlank: true, formulae: [lo, hi], showErrorMessage: true, errorStyle: 'stop' };
}

function excelRef(plan: Plan, cell: PlanCell, path: string[], addresses: Map<string, string>): string | null {
  const scope = cell.scope;
  if (path[0] === 'prev') return null;
  if (path.length === 1) {
    if (scope?.kind === 'row' && scope.table.columns.some((c) => c.id === path[0])) return addresses.get(`${scope.row}.${path[0]}`) ?? null;
    if (scope?.kind === 'column' && plan.rowTable.get(path[0]) === scope.table) return addresses.get(`${path[0]}.${scope.column}`) ?? null;
    return addresses.get(path[0]) ?? null;
  }
  if (path.length === 2) return addresses.get(`${path[0]}.${path[1]}`) ?? null;
  return null;
}

/** Generates the template as an .xlsx buffer. */
export async function renderXlsx(def: FormDefinition, opts: TemplateOptions, plan?: Plan): Promise<Buffer> {
  const wb = await buildTemplate(def, opts, plan);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** One problem of an uploaded file. */
export interface UploadProblem {
  sheet: string;
  cell: string;
  target: string;
  code: string;
  message: string;
}

/** What a template file says about itself. */
export interface TemplateIdentity {
  key: string;
  code: string;
  version: number;
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && 'richText' in v) return v.richText.map((p) => p.text).join('');
  if (typeof v === 'object' && 'text' in v) return String((v as { text: unknown }).text);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v);
}

function unwrap(v: ExcelJS.CellValue): ExcelJS.CellValue {
  if (v && typeof v === 'object' && !(v instanceof Date) && ('formula' in v || 'sharedFormula' in v)) return ((v as ExcelJS.CellFormulaValue).result ?? null) as ExcelJS.CellValue;
  return v;
}

/** Reads the identity of a template workbook; null when it is not one. */
export function identityOf(wb: ExcelJS.Workbook): TemplateIdentity | null {
  const meta = wb.getWorksheet(META_SHEET);
  if (!meta) return null;
  const head = meta.getRow(1);
  if (cellText(head.getCell(1).value) !== MAGIC) return null;
  return { key: cellText(head.getCell(2).value), code: cellText(head.getCell(3).value), version: Number(cellText(head.getCell(4).value)) };
}

/** Loads an .xlsx buffer; a file that is not a workbook is a 400, one beyond UPLOAD_LIMITS a 413/422 before it is inflated. */
export async function loadWorkbook(buffer: Buffer | ArrayBuffer): Promise<ExcelJS.Workbook> {
  await assertWorkbookWithinLimits(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer));
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buffer as ArrayBuffer);
  } catch {
    throw BadRequest('forms.xlsx.unreadable');
  }
  return wb;
}

/** Reads a filled template: returns the input values, or throws 422 listing every problem (nothing is taken then). */
export async function readXlsx(def: FormDefinition, version: number, buffer: Buffer | ArrayBuffer, locale: Locale = 'vi', plan: Plan = compile(def)): Promise<FormValues> {
  const wb = await loadWorkbook(buffer);
  return readWorkbook(def, version, wb, locale, plan);
}

/** Maps a loaded workbook back to values; see readXlsx. */
export function readWorkbook(def: FormDefinition, version: number, wb: ExcelJS.Workbook, locale: Locale = 'vi', plan: Plan = compile(def)): FormValues {
  const id = identityOf(wb);
  if (!id) throw BadRequest('forms.xlsx.notTemplate');
  if (id.key !== def.key || id.version !== version) {
    throw Invalid('forms.xlsx.wrongForm', { got: id.code || id.key, gotVersion: id.version, expected: def.code, expectedVersion: version });
  }
  const meta = wb.getWorksheet(META_SHEET)!;
  const sheetName = cellText(meta.getRow(1).getCell(5).value);
  const ws = wb.getWorksheet(sheetName);
  if (!ws) throw Invalid('forms.xlsx.invalid', { count: 1 }, [{ sheet: sheetName, cell: '', target: '', code: 'forms.xlsx.missingSheet', message: t(locale, 'forms.xlsx.missingSheet', { sheet: sheetName }) }]);
  const values: FormValues = {};
  const problems: UploadProblem[] = [];
  const refOf = new Map<string, string>();
  const whereOf = (target: string) => {
    const pc = plan.cells.get(target);
    if (!pc) return target;
    if (pc.kind === 'cell') return t(locale, 'forms.xlsx.rowLabel', { label: rowLabel(pc.row!) });
    return pc.where;
  };
  const problem = (ref: string, target: string, code: string, params: Record<string, unknown>) => {
    const where = whereOf(target);
    problems.push({ sheet: sheetName, cell: ref, target, code, message: t(locale, 'forms.xlsx.cell', { ref, where, problem: t(locale, code, params) }) });
  };
  // Plain value arrays (1-based rows and columns) are several times faster than cell objects.
  const metaRows = meta.getSheetValues() as unknown as Array<ExcelJS.CellValue[] | undefined>;
  const sheetRows = ws.getSheetValues() as unknown as Array<ExcelJS.CellValue[] | undefined>;
  for (let i = 2; i < metaRows.length; i++) {
    const mr = metaRows[i];
    if (!mr || mr[3] !== 'input') continue;
    const ref = String(mr[1] ?? '');
    const key = String(mr[2] ?? '');
    const pc = plan.cells.get(key);
    if (!pc || pc.mode !== 'input') continue;
    refOf.set(key, ref);
    const at = decodeRef(ref);
    const raw = unwrap(at ? (sheetRows[at.row]?.[at.col] ?? null) : ws.getCell(ref).value);
    if (raw && typeof raw === 'object' && 'error' in (raw as object)) {
      problem(ref, key, 'forms.xlsx.formulaError', { value: String((raw as { error: unknown }).error) });
      continue;
    }
    const text = cellText(raw).trim();
    if (raw === null || raw === undefined || text === '') continue;
    const type = pc.field?.type ?? pc.column!.type;
    if (type === 'number' || type === 'integer' || type === 'percent') {
      const n = typeof raw === 'number' ? raw : parseVnNumber(text);
      if (n === null || raw instanceof Date || typeof raw === 'boolean') problem(ref, key, 'forms.xlsx.notNumber', { value: text });
      else setValue(values, key, n);
    } else if (type === 'date') {
      const d = raw instanceof Date ? raw.toISOString().slice(0, 10) : parseDateText(text);
      if (!d) problem(ref, key, 'forms.xlsx.notDate', { value: text });
      else setValue(values, key, d);
    } else if (type === 'boolean') {
      const yes = [t(locale, 'forms.doc.yes'), t('vi', 'forms.doc.yes'), 'true', 'x', '1', 'TRUE'].map((s) => s.toLowerCase());
      const no = [t(locale, 'forms.doc.no'), t('vi', 'forms.doc.no'), 'false', '0', 'FALSE'].map((s) => s.toLowerCase());
      const s = typeof raw === 'boolean' ? String(raw) : text.toLowerCase().normalize('NFC');
      if (yes.includes(s)) setValue(values, key, true);
      else if (no.includes(s)) setValue(values, key, false);
      else problem(ref, key, 'forms.xlsx.notBoolean', { value: text });
    } else if (type === 'choice') {
      const opt = pc.field?.options?.find((o) => o.label.normalize('NFC') === text.normalize('NFC') || o.value === text);
      if (pc.field?.options && (pc.field.options.length || pc.field.catalog) && !opt) problem(ref, key, 'forms.xlsx.notChoice', { value: text });
      else setValue(values, key, opt?.value ?? text);
    } else setValue(values, key, text.normalize('NFC'));
  }
  // Bounds, integers and required marks, reported on the same cells.
  const seen = new Set(problems.map((p) => p.target));
  for (const issue of checkInputs(plan, values)) {
    if (!issue.target || seen.has(issue.target)) continue;
    const ref = refOf.get(issue.target) ?? '';
    const code = issue.code.replace('forms.value.', 'forms.xlsx.');
    problem(ref, issue.target, code, issue.params);
  }
  if (problems.length) throw Invalid('forms.xlsx.invalid', { count: problems.length }, problems);
  return values;
}

/** `E12` → row 12, column 5. */
function decodeRef(ref: string): { row: number; col: number } | null {
  const m = /^([A-Z]{1,3})(\d+)$/.exec(ref);
  if (!m) return null;
  let col = 0;
  for (const ch of m[1]) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { row: Number(m[2]), col };
}

function parseDateText(s: string): string | null {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (m) {
    const iso = `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
    return isIsoDate(iso) ? iso : null;
  }
  return isIsoDate(s) ? s : null;
}

/** The cell address of each input and computed cell in a template (for tests and the upload page). */
export function addressesOf(wb: ExcelJS.Workbook): Map<string, string> {
  const meta = wb.getWorksheet(META_SHEET);
  const out = new Map<string, string>();
  if (!meta) return out;
  for (let i = 2; i <= meta.rowCount; i++) {
    const mr = meta.getRow(i);
    out.set(cellText(mr.getCell(2).value), cellText(mr.getCell(1).value));
  }
  return out;
}


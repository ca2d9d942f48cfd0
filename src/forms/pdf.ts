// PDF renderer: an A4 Vietnamese administrative document (agency, national motto, form code, title,
// period, fields, indicator tables with headers repeated on every page, signature block).
import path from 'node:path';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { compile, computeValues, getValue, type Plan } from './engine.ts';
import { fieldsOf, isFileValue, isMissing, tablesOf, depthOf, type FormDefinition, type FormValues, type TableDef } from './definition.ts';
import { formatVnNumber } from './numbers.ts';
import { t, type Locale } from '../i18n/index.ts';
import { drawSignatureBlock, type SignatureStamp } from '../signing/pdf.ts';

const require = createRequire(import.meta.url);
const fontDir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
/** Full TrueType fonts with every Vietnamese glyph, shipped through npm so no system package is needed. */
export const FONTS = {
  regular: path.join(fontDir, 'DejaVuSans.ttf'),
  bold: path.join(fontDir, 'DejaVuSans-Bold.ttf'),
  italic: path.join(fontDir, 'DejaVuSans-Oblique.ttf'),
  boldItalic: path.join(fontDir, 'DejaVuSans-BoldOblique.ttf'),
};

/** What to print. */
/**
 * A pdfkit document with the Vietnamese-capable fonts registered as `R`, `B`, `I`, `BI`, and the promise of
 * its bytes once `doc.end()` is called.
 */
export function newPdfDocument(options: PDFKit.PDFDocumentOptions): { doc: PDFKit.PDFDocument; done: Promise<Buffer> } {
  const doc = new PDFDocument(options);
  doc.registerFont('R', FONTS.regular);
  doc.registerFont('B', FONTS.bold);
  doc.registerFont('I', FONTS.italic);
  doc.registerFont('BI', FONTS.boldItalic);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}

export interface PdfOptions {
  locale?: Locale;
  /** Values (inputs; formulas are recomputed). */
  values?: FormValues;
  /** Agency printed top left; defaults to the definition's unit label. */
  orgName?: string;
  /** Period text, e.g. `Tháng 02 năm 2025`. */
  period?: string;
  /** Place and date line of the signature block. */
  place?: string;
  date?: Date;
  signerName?: string;
  /** The digital signature about to be applied (see `prepareStamp` of the signing service): drawn in the signer's place of the block. */
  signature?: SignatureStamp;
  preparerName?: string;
}

const N = (s: string | undefined | null) => (s ?? '').normalize('NFC');

/** Renders the document and resolves with the PDF bytes. */
export async function renderPdf(def: FormDefinition, opts: PdfOptions = {}, plan: Plan = compile(def)): Promise<Buffer> {
  const L = opts.locale ?? 'vi';
  const values = computeValues(plan, opts.values ?? {});
  const maxMeasures = Math.max(0, ...tablesOf(def).map((tb) => tb.columns.length));
  const { doc, done } = newPdfDocument({ size: 'A4', layout: maxMeasures > 4 ? 'landscape' : 'portrait', margins: { top: 40, bottom: 40, left: 45, right: 40 }, bufferPages: true, info: { Title: N(def.name), Subject: N(def.code), Creator: 'govflow' } });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  // Header: agency and form code on the left, the national motto on the right.
  const top = doc.y;
  const lw = width * 0.42;
  const rw = width * 0.56;
  const rx = left + width - rw;
  doc.font('B').fontSize(10).text(N(opts.orgName ?? def.unitLabel ?? '').toUpperCase(), left, top, { width: lw, align: 'center' });
  const ly = doc.y;
  doc.moveTo(left + lw * 0.3, ly + 2).lineTo(left + lw * 0.7, ly + 2).lineWidth(0.5).stroke();
  doc.font('R').fontSize(10).text(N(def.code), left, ly + 6, { width: lw, align: 'center' });
  const leftBottom = doc.y;
  doc.font('B').fontSize(10).text(N(t(L, 'forms.doc.motto1')), rx, top, { width: rw, align: 'center' });
  doc.font('B').fontSize(11).text(N(t(L, 'forms.doc.motto2')), rx, doc.y + 1, { width: rw, align: 'center' });
  const my = doc.y;
  const mottoW = doc.widthOfString(N(t(L, 'forms.doc.motto2')));
  doc.moveTo(rx + (rw - mottoW) / 2, my + 1).lineTo(rx + (rw + mottoW) / 2, my + 1).lineWidth(0.5).stroke();
  doc.y = Math.max(leftBottom, my) + 16;

  doc.font('B').fontSize(13).text(N(def.name).toUpperCase(), left, doc.y, { width, align: 'center' });
  doc.font('I').fontSize(10).text(N(t(L, 'forms.doc.period', { period: opts.period ?? '……' })), left, doc.y + 2, { width, align: 'center' });
  if (def.legalBasis) doc.font('I').fontSize(9).text(N(t(L, 'forms.doc.legalBasis', { text: def.legalBasis })), left, doc.y + 2, { width, align: 'center' });
  if (def.receiverLabel) doc.font('R').fontSize(10).text(N(t(L, 'forms.doc.receiver', { receiver: def.receiverLabel })), left, doc.y + 2, { width, align: 'center' });
  doc.moveDown(1);

  // Fields.
  for (const f of fieldsOf(def)) {
    const v = getValue(values, f.id);
    let text = '';
    if (!isMissing(v)) {
      if (typeof v === 'number') text = formatVnNumber(v, f.type === 'integer' ? 0 : f.decimals);
      else if (typeof v === 'boolean') text = t(L, v ? 'forms.doc.yes' : 'forms.doc.no');
      else if (f.type === 'choice') text = f.options?.find((o) => o.value === v)?.label ?? String(v);
      else if (f.type === 'date' && typeof v === 'string') text = v.split('-').reverse().join('/');
      else if (f.type === 'file') text = isFileValue(v) ? v.name : '';
      else text = String(v);
    }
    ensureSpace(doc, 16);
    doc.font('B').fontSize(10).text(`${N(f.label)}${f.unit ? ` (${N(f.unit)})` : ''}: `, left, doc.y, { continued: true, width });
    doc.font('R').text(N(text) || '……');
  }
  if (fieldsOf(def).length) doc.moveDown(0.6);

  for (const table of tablesOf(def)) drawTable(doc, table, plan, values, L, left, width);

  // Signature block.
  ensureSpace(doc, 110);
  doc.moveDown(1);
  // The date line is in Vietnam time whatever the server's zone.
  const [yy, mm, dd] = opts.date ? new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(opts.date).split('-') : [];
  const sy = doc.y;
  const half = width / 2;
  doc.font('I').fontSize(10).text(N(t(L, 'forms.doc.place', { place: opts.place ?? '……', day: dd ?? '…', month: mm ?? '…', year: yy ?? '……' })), left + half, sy, { width: half, align: 'center' });
  const ty = doc.y + 2;
  doc.font('B').fontSize(10).text(N(def.preparerTitle ?? t(L, 'forms.doc.preparer')).toUpperCase(), left, ty, { width: half, align: 'center' });
  doc.font('I').fontSize(9).text(N(t(L, 'forms.doc.signHint')), left, doc.y, { width: half, align: 'center' });
  doc.font('B').fontSize(10).text(N(def.signerTitle ?? t(L, 'forms.doc.signer')).toUpperCase(), left + half, ty, { width: half, align: 'center' });
  // A digital signature takes the place of the seal: its block (70 pt high) stands where the hint was.
  const boxY = doc.y + 4;
  if (opts.signature) drawSignatureBlock(doc, opts.signature, { x: left + half + 8, y: boxY, width: half - 16, locale: L });
  else doc.font('I').fontSize(9).text(N(t(L, 'forms.doc.signHintSeal')), left + half, doc.y, { width: half, align: 'center' });
  const ny = opts.signature ? boxY + 76 : doc.y + 50;
  if (opts.preparerName) doc.font('B').fontSize(10).text(N(opts.preparerName), left, ny, { width: half, align: 'center' });
  if (opts.signerName) doc.font('B').fontSize(10).text(N(opts.signerName), left + half, ny, { width: half, align: 'center' });

  // Page numbers.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('R').fontSize(8).text(N(t(L, 'forms.doc.page', { n: i + 1 })), left, doc.page.height - 28, { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}

function ensureSpace(doc: PDFKit.PDFDocument, h: number): boolean {
  if (doc.y + h > doc.page.height - doc.page.margins.bottom) {
    doc.addPage();
    return true;
  }
  return false;
}

function drawTable(doc: PDFKit.PDFDocument, table: TableDef, plan: Plan, values: FormValues, L: Locale, left: number, width: number): void {
  const fixed = [24, 0, 34, 48];
  const measureW = Math.min(80, Math.max(50, (width * 0.55) / Math.max(1, table.columns.length)));
  const nameW = width - fixed[0] - fixed[2] - fixed[3] - measureW * table.columns.length;
  const widths = [fixed[0], nameW, fixed[2], fixed[3], ...table.columns.map(() => measureW)];
  const heads = [t(L, 'forms.doc.colNo'), t(L, 'forms.doc.colName'), t(L, 'forms.doc.colCode'), t(L, 'forms.doc.colUnit'), ...table.columns.map((c) => c.label)].map(N);
  const pad = 3;
  const size = 8;
  if (table.title) {
    ensureSpace(doc, 60);
    doc.font('B').fontSize(10).text(N(table.title), left, doc.y, { width });
    doc.moveDown(0.3);
  }
  const lineH = doc.font('R').fontSize(size).currentLineHeight(true);
  const drawRow = (cells: string[], fonts: string[], aligns: Array<'left' | 'center' | 'right'>, indent = 0, fill?: string, wrapAll = false) => {
    // Only the indicator name (and header labels) wrap; measuring every number would double the layout work.
    const heights = cells.map((c, i) => (wrapAll || i === 1 || (c.length > 8 && doc.font(fonts[i]).fontSize(size).widthOfString(c) > widths[i] - 2 * pad)
      ? doc.font(fonts[i]).fontSize(size).heightOfString(c || ' ', { width: widths[i] - 2 * pad - (i === 1 ? indent : 0) })
      : lineH));
    const h = Math.max(...heights) + 2 * pad;
    const y = doc.y;
    let x = left;
    cells.forEach((c, i) => {
      if (fill) doc.save().rect(x, y, widths[i], h).fill(fill).restore();
      doc.lineWidth(0.5).rect(x, y, widths[i], h).stroke();
      doc.font(fonts[i]).fontSize(size).fillColor('black').text(c, x + pad + (i === 1 ? indent : 0), y + pad, { width: widths[i] - 2 * pad - (i === 1 ? indent : 0), align: aligns[i] });
      x += widths[i];
    });
    doc.x = left;
    doc.y = y + h;
    return h;
  };
  const header = () => {
    drawRow(heads, heads.map(() => 'B'), heads.map(() => 'center'), 0, '#eeeeee', true);
    const nums = ['A', 'B', 'C', 'D', ...table.columns.map((_c, i) => String(i + 1))];
    drawRow(nums, nums.map(() => 'I'), nums.map(() => 'center'));
  };
  ensureSpace(doc, 80);
  header();
  const depth = depthOf(table);
  table.rows.forEach((row, idx) => {
    const cells = [String(idx + 1), N(row.name), N(row.code ?? ''), N(row.unit ?? ''), ...table.columns.map((c) => {
      const v = getValue(values, `${row.id}.${c.id}`);
      return typeof v === 'number' ? formatVnNumber(v, c.type === 'integer' ? 0 : c.decimals) : '';
    })];
    const bold = !row.parent || !!row.total;
    const fonts = cells.map((_c, i) => (bold && (i === 1 || i >= 4) ? 'B' : 'R'));
    const aligns = cells.map((_c, i) => (i === 1 ? 'left' : i >= 4 ? 'right' : 'center')) as Array<'left' | 'center' | 'right'>;
    const h = doc.font('R').fontSize(size).heightOfString(cells[1], { width: widths[1] - 2 * pad }) + 2 * pad;
    if (ensureSpace(doc, h)) header();
    drawRow(cells, fonts, aligns, (depth.get(row.id) ?? 0) * 8);
  });
  doc.moveDown(0.8);
}

// The receipt (biên lai thu phí, lệ phí) of a paid dossier as an A5 PDF with a Vietnamese-capable font; the amount
// is also written in words, as receipts carry it. docs/payments.md.
import { newPdfDocument } from '../forms/pdf.ts';
import { formatNumber, t, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';

const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'];

/** Three digits read in Vietnamese; `full` reads a leading zero hundred (`không trăm`) as inner groups do. */
function readGroup(n: number, full: boolean): string[] {
  const h = Math.floor(n / 100);
  const tens = Math.floor((n % 100) / 10);
  const u = n % 10;
  const out: string[] = [];
  if (h > 0 || full) out.push(DIGITS[h], 'trăm');
  if (tens === 0) {
    if (u > 0 && out.length) out.push('linh');
  } else if (tens === 1) out.push('mười');
  else out.push(DIGITS[tens], 'mươi');
  if (u === 0) return out;
  if (u === 5 && tens > 0) out.push('lăm');
  else if (u === 1 && tens > 1) out.push('mốt');
  else out.push(DIGITS[u]);
  return out;
}

/** A whole amount of đồng in Vietnamese words, e.g. 10000 → `Mười nghìn đồng`. */
export function vndInWords(amount: number): string {
  const n = Math.floor(Math.abs(amount));
  if (n === 0) return 'Không đồng';
  const read = (x: number): string[] => {
    if (x >= 1e9) {
      const rest = x % 1e9;
      return [...read(Math.floor(x / 1e9)), 'tỷ', ...(rest ? readBelowBillion(rest, true) : [])];
    }
    return readBelowBillion(x, false);
  };
  const words = read(n).join(' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} đồng`;
}

function readBelowBillion(x: number, isInner: boolean): string[] {
  const groups = [Math.floor(x / 1e6), Math.floor((x % 1e6) / 1000), x % 1000];
  const units = ['triệu', 'nghìn', ''];
  const out: string[] = [];
  groups.forEach((g, i) => {
    if (g === 0) return;
    out.push(...readGroup(g, isInner || out.length > 0));
    if (units[i]) out.push(units[i]);
  });
  return out;
}

/** What the receipt prints. */
export interface ReceiptData {
  receiptNo: string;
  orgName: string;
  payerName: string | null;
  dossierCode: string | null;
  procedureName: string;
  amount: number;
  gateway: string;
  gatewayTxnNo: string | null;
  txnRef: string;
  paidAt: Date;
}

const N = (s: string | null | undefined) => (s ?? '').normalize('NFC');

/** Renders the receipt and resolves with the PDF bytes. */
export async function renderReceiptPdf(r: ReceiptData, locale: Locale = 'vi'): Promise<Buffer> {
  const L = (key: string, params?: Record<string, unknown>) => N(t(locale, `payments.receipt.${key}`, params));
  const { doc, done } = newPdfDocument({ size: 'A5', margins: { top: 36, bottom: 36, left: 36, right: 36 }, info: { Title: L('title'), Subject: N(r.receiptNo), Creator: 'govflow' } });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  // The agency on the left, the national name and motto on the right, as Decree 30/2020 lays out the header.
  const leftW = width * 0.38;
  const rightX = left + leftW + 8;
  const rightW = width - leftW - 8;
  const top = doc.y;
  doc.font('B').fontSize(8).text(N(r.orgName).toUpperCase(), left, top, { width: leftW, align: 'center' });
  doc.font('B').fontSize(8).text(L('nation'), rightX, top, { width: rightW, align: 'center' });
  doc.font('B').fontSize(8).text(L('motto'), rightX, doc.y, { width: rightW, align: 'center', underline: true });
  doc.moveDown(2);
  doc.font('B').fontSize(13).text(L('title'), left, doc.y, { width, align: 'center' });
  doc.font('I').fontSize(8).text(L('subtitle'), { width, align: 'center' });
  doc.font('R').fontSize(9).text(L('number', { no: r.receiptNo }), { width, align: 'center' });
  doc.moveDown(1.2);
  const line = (label: string, value: string) => {
    doc.font('B').fontSize(9).text(`${L(label)}: `, left, doc.y, { continued: true, width });
    doc.font('R').text(N(value) || '—', { width });
    doc.moveDown(0.3);
  };
  line('payer', r.payerName ?? '');
  line('dossier', r.dossierCode ?? '');
  line('procedure', r.procedureName);
  line('receiver', r.orgName);
  line('amount', `${formatNumber(r.amount, locale)} ${L('currency')}`);
  if (locale === 'vi') line('inWords', vndInWords(r.amount));
  line('method', L('methodOnline', { gateway: r.gateway.toUpperCase() }));
  line('gatewayTxn', r.gatewayTxnNo ?? '');
  line('txnRef', r.txnRef);
  line('paidAt', formatVn(r.paidAt));
  doc.moveDown(1);
  doc.font('I').fontSize(8).text(L('footer'), left, doc.y, { width, align: 'left' });
  doc.end();
  return done;
}

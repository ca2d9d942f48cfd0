// The receipt of a received dossier (giấy tiếp nhận hồ sơ và hẹn trả kết quả, Circular 01/2018/TT-VPCP form 01):
// code, procedure, applicant, receiving unit, times, documents received, and a QR code of the tracking link.
import QRCode from 'qrcode';
import { Dossier, DossierFile } from './models.ts';
import { assertCanSee } from './access.ts';
import { documentSlots } from './service.ts';
import { getProcedure } from '../catalog/service.ts';
import { getOrgByCode } from '../orgs/service.ts';
import { newPdfDocument } from '../forms/pdf.ts';
import { getConfig } from '../config.ts';
import { formatVn } from '../time.ts';
import { t, type Locale } from '../i18n/index.ts';
import { Conflict } from '../errors.ts';
import type { Viewer } from '../access/index.ts';

const N = (s: string | null | undefined) => (s ?? '').normalize('NFC');

/**
 * The tracking link a receipt's QR code holds: the public lookup with the code filled in, so whoever scans it
 * (the citizen, or a relative collecting the result) needs only the second factor, not an account.
 */
export function trackingLink(code: string): string {
  return `${getConfig().baseUrl}/tra-cuu-ho-so?code=${encodeURIComponent(code)}`;
}

/** The receipt PDF of a dossier its viewer may see (404 otherwise; 409 while it is a draft). */
export async function receiptPdf(viewer: Viewer, id: number, locale: Locale = 'vi'): Promise<{ code: string; pdf: Buffer }> {
  const d = Number.isSafeInteger(id) ? await Dossier.findByPk(id) : null;
  assertCanSee(viewer, d);
  if (!d.code || !d.receivedAt) throw Conflict('dossiers.citizen.notSubmitted');
  const { procedure } = await getProcedure(d.procedureCode);
  const org = await getOrgByCode(d.orgCode).catch(() => null);
  const files = await DossierFile.findAll({ where: { dossierId: d.id, kind: 'attachment' }, order: [['id', 'ASC']] });
  const slots = documentSlots(procedure.documents);
  const link = trackingLink(d.code);
  const qr = await QRCode.toBuffer(link, { type: 'png', errorCorrectionLevel: 'M', margin: 1, width: 240 });
  const L = locale;

  const { doc, done } = newPdfDocument({ size: 'A4', margins: { top: 45, bottom: 45, left: 55, right: 50 }, info: { Title: N(t(L, 'dossiers.citizen.receipt.title')), Subject: d.code, Creator: 'govflow' } });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const top = doc.y;
  const lw = width * 0.42;
  const rw = width * 0.56;
  const rx = left + width - rw;
  doc.font('B').fontSize(10).text(N(org?.name ?? d.orgCode).toUpperCase(), left, top, { width: lw, align: 'center' });
  doc.font('R').fontSize(9).text(N(t(L, 'dossiers.citizen.receipt.desk')), left, doc.y + 1, { width: lw, align: 'center' });
  const leftBottom = doc.y;
  doc.font('B').fontSize(10).text(N(t(L, 'forms.doc.motto1')), rx, top, { width: rw, align: 'center' });
  doc.font('B').fontSize(11).text(N(t(L, 'forms.doc.motto2')), rx, doc.y + 1, { width: rw, align: 'center' });
  doc.y = Math.max(leftBottom, doc.y) + 18;

  doc.font('B').fontSize(13).text(N(t(L, 'dossiers.citizen.receipt.title')).toUpperCase(), left, doc.y, { width, align: 'center' });
  doc.font('B').fontSize(11).text(N(t(L, 'dossiers.citizen.receipt.codeLine', { code: d.code })), left, doc.y + 4, { width, align: 'center' });
  doc.moveDown(1);

  const line = (label: string, value: string) => {
    doc.font('B').fontSize(10.5).text(`${N(label)}: `, left, doc.y, { continued: true, width: width - 130 });
    doc.font('R').text(N(value) || '……');
  };
  const textTop = doc.y;
  doc.image(qr, left + width - 110, textTop, { width: 110 });
  line(t(L, 'dossiers.citizen.receipt.unit'), org?.name ?? d.orgCode);
  line(t(L, 'dossiers.citizen.receipt.applicant'), d.applicantName ?? '');
  if (d.applicantPhone) line(t(L, 'dossiers.citizen.receipt.phone'), d.applicantPhone);
  if (d.applicantEmail) line(t(L, 'dossiers.citizen.receipt.email'), d.applicantEmail);
  line(t(L, 'dossiers.citizen.receipt.procedure'), `${d.procedureName} (${d.procedureCode})`);
  line(t(L, 'dossiers.citizen.receipt.channel'), t(L, `dossiers.citizen.channel.${d.channel}`));
  line(t(L, 'dossiers.citizen.receipt.receivedAt'), formatVn(d.receivedAt));
  line(t(L, 'dossiers.citizen.receipt.dueAt'), d.dueAt ? formatVn(d.dueAt) : t(L, 'dossiers.citizen.noDue'));
  doc.y = Math.max(doc.y, textTop + 120) + 6;

  doc.font('B').fontSize(11).text(N(t(L, 'dossiers.citizen.receipt.documents')), left, doc.y, { width });
  doc.moveDown(0.3);
  let n = 0;
  for (const s of slots) {
    const got = files.filter((f) => f.docType === s.id);
    const what = s.isForm ? t(L, 'dossiers.citizen.receipt.online') : got.length ? got.map((f) => f.name).join(', ') : s.isPresented ? t(L, 'dossiers.citizen.receipt.presented') : t(L, 'dossiers.citizen.receipt.none');
    n++;
    doc.font('R').fontSize(10).text(`${n}. ${N(s.name)}: `, left + 10, doc.y, { continued: true, width: width - 10 });
    doc.font('I').text(N(what));
  }
  doc.moveDown(1);
  doc.font('R').fontSize(10).text(N(t(L, 'dossiers.citizen.receipt.track', { link })), left, doc.y, { width });
  doc.font('I').fontSize(9).text(N(t(L, 'dossiers.citizen.receipt.note')), left, doc.y + 4, { width });
  doc.end();
  return { code: d.code, pdf: await done };
}

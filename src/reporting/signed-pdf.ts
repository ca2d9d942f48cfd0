// The signed PDF of a report: drawn from the report's values in the form's A4 layout with the leader's
// signature block, stored as signed, served while current, marked withdrawn when the report is reopened.
import type { Transaction } from 'sequelize';
import { ReportSignedPdf, type Report } from './models.ts';
import { periodLabel } from './periods.ts';
import { planOf, type FormVersionView } from '../forms/service.ts';
import { renderPdf } from '../forms/pdf.ts';
import type { FormValues } from '../forms/definition.ts';
import { sha256Hex, type SignatureStamp } from '../signing/pdf.ts';

/** The document a leader signs: the form's A4 layout in Vietnamese with the values and the signature block. */
export function renderReportPdf(form: FormVersionView, values: FormValues, o: { unitName: string; period: string; stamp: SignatureStamp }): Promise<Buffer> {
  return renderPdf(form.definition, { locale: 'vi', values, orgName: o.unitName, period: periodLabel(o.period, 'vi'), date: o.stamp.signingTime, signature: o.stamp }, planOf(form));
}

/** Stores a report's newly signed PDF in the signing step's transaction. */
export async function storeSignedPdf(report: Report, f: { pdf: Buffer; pdfSignatureId: string; dataSignatureId: string; signedAt: Date; signedBy: number }, t: Transaction): Promise<ReportSignedPdf> {
  return ReportSignedPdf.create({
    reportId: report.id, round: report.round, status: 'current', pdfSignatureId: f.pdfSignatureId, dataSignatureId: f.dataSignatureId,
    pdf: f.pdf, sha256: sha256Hex(f.pdf), sizeBytes: f.pdf.length, signedBy: f.signedBy, signedAt: f.signedAt,
  }, { transaction: t });
}

/** Marks a report's current signed PDF withdrawn (reopen), in the reopen's transaction; returns how many. */
export async function withdrawSignedPdfs(reportId: number, by: number, reason: string, t: Transaction): Promise<number> {
  const [n] = await ReportSignedPdf.update({ status: 'withdrawn', withdrawnAt: new Date(), withdrawnBy: by, withdrawReason: reason }, { where: { reportId, status: 'current' }, transaction: t });
  return n;
}

/** A report's current signed PDF (with its bytes), or null. */
export function currentSignedPdf(reportId: number): Promise<ReportSignedPdf | null> {
  return ReportSignedPdf.findOne({ where: { reportId, status: 'current' }, order: [['id', 'DESC']] });
}

/** What the history shows of one signed PDF (no bytes). */
export interface SignedPdfEntry {
  round: number;
  status: 'current' | 'withdrawn';
  pdfSignatureId: string;
  dataSignatureId: string;
  signedAt: Date;
  withdrawnAt: Date | null;
  withdrawReason: string | null;
  sizeBytes: number;
}

/** Every signed PDF of a report, oldest first, without the bytes. */
export async function signedPdfsOf(reportId: number): Promise<SignedPdfEntry[]> {
  const rows = await ReportSignedPdf.findAll({ where: { reportId }, attributes: { exclude: ['pdf'] }, order: [['id', 'ASC']] });
  return rows.map((r) => ({ round: r.round, status: r.status, pdfSignatureId: r.pdfSignatureId, dataSignatureId: r.dataSignatureId, signedAt: r.signedAt, withdrawnAt: r.withdrawnAt, withdrawReason: r.withdrawReason, sizeBytes: r.sizeBytes }));
}

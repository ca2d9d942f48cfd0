// PDF signatures: a /ByteRange placeholder added to a finished PDF (@signpdf/placeholder-plain), filled
// by @signpdf/signpdf with a detached CMS made by our pkijs signer; and the visible signature block
// (signer, title, time, QR code to the verify page) a document producer draws with pdfkit.
import crypto from 'node:crypto';
import QRCode from 'qrcode';
import { SignPdf } from '@signpdf/signpdf';
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';
import { Signer, SUBFILTER_ADOBE_PKCS7_DETACHED } from '@signpdf/utils';
import { signDetached, type SigningIdentity } from './pki.ts';
import { t, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';

// Room for the CMS: the signer's certificate and two CA certificates take about 4 KB.
const SIGNATURE_LENGTH = 12000;

/** A @signpdf signer that builds the CMS with pkijs (node-forge garbles non-ASCII CA names). */
export class CmsSigner extends Signer {
  constructor(private readonly identity: SigningIdentity) {
    super();
  }

  async sign(pdfBuffer: Buffer, signingTime?: Date): Promise<Buffer> {
    return signDetached(this.identity, pdfBuffer, signingTime ?? new Date());
  }
}

/** What the signature dictionary says besides the CMS. */
export interface PdfSignOptions {
  signerName: string;
  reason: string;
  location: string;
  contactInfo?: string;
  signingTime: Date;
}

/** Thrown when a PDF cannot take a placeholder (e.g. it uses cross-reference streams). */
export class PdfFormatError extends Error {}

/** Signs a finished PDF; resolves with the signed bytes (an incremental update with the signature). */
export async function signPdfBytes(pdf: Buffer, identity: SigningIdentity, o: PdfSignOptions): Promise<Buffer> {
  let prepared: Buffer;
  try {
    prepared = plainAddPlaceholder({
      pdfBuffer: pdf,
      reason: o.reason,
      contactInfo: o.contactInfo ?? '',
      name: o.signerName,
      location: o.location,
      signingTime: o.signingTime,
      signatureLength: SIGNATURE_LENGTH,
      subFilter: SUBFILTER_ADOBE_PKCS7_DETACHED,
      appName: 'govflow',
    });
  } catch (err) {
    throw new PdfFormatError((err as Error).message);
  }
  return new SignPdf().sign(prepared, new CmsSigner(identity), o.signingTime);
}

/** One embedded signature as found in a PDF. */
export interface PdfSignature {
  byteRange: [number, number, number, number];
  /** The CMS SignedData (DER), trimmed of the placeholder's zero padding. */
  cms: Buffer;
  /** The bytes the signature covers. */
  signedBytes: Buffer;
  /** Whether the byte ranges reach the end of the file (nothing was appended after signing). */
  coversWholeFile: boolean;
}

function derLength(b: Buffer): number | null {
  if (b[0] !== 0x30) return null;
  const first = b[1];
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n < 1 || n > 4) return null;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i];
  return 2 + n + len;
}

/** Every signature of a PDF, in file order. */
export function readPdfSignatures(pdf: Buffer): PdfSignature[] {
  const out: PdfSignature[] = [];
  const re = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
  const text = pdf.toString('latin1');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const br = m.slice(1, 5).map(Number) as [number, number, number, number];
    if (br[0] + br[1] > pdf.length || br[2] + br[3] > pdf.length || br[2] < br[0] + br[1]) continue;
    const hex = pdf.subarray(br[0] + br[1], br[2]).toString('latin1').replace(/[<>\s]/g, '');
    if (!/^[0-9a-fA-F]*$/.test(hex)) continue;
    const raw = Buffer.from(hex, 'hex');
    // The DER header says where the CMS ends; stripping trailing zeros would also eat a signature byte that is 0.
    const len = derLength(raw);
    if (len === null || len > raw.length) continue;
    out.push({
      byteRange: br,
      cms: raw.subarray(0, len),
      signedBytes: Buffer.concat([pdf.subarray(br[0], br[0] + br[1]), pdf.subarray(br[2], br[2] + br[3])]),
      coversWholeFile: br[0] === 0 && br[2] + br[3] === pdf.length,
    });
  }
  return out;
}

/** SHA-256 hex of bytes. */
export function sha256Hex(b: Buffer | string): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** What the visible signature block shows, fixed before the document is rendered. */
export interface SignatureStamp {
  /** Public id of the signature row (also in the QR code's link). */
  publicId: string;
  signerName: string;
  signerTitle: string | null;
  signingTime: Date;
  verifyUrl: string;
  /** The QR code as PNG. */
  qrPng: Buffer;
}

/** Builds a stamp: a new public id, the verify link and its QR code. */
export async function makeStamp(o: { signerName: string; signerTitle: string | null; signingTime: Date; baseUrl: string; publicId?: string }): Promise<SignatureStamp> {
  const publicId = o.publicId ?? crypto.randomUUID();
  const verifyUrl = `${o.baseUrl}/verify/${publicId}`;
  const qrPng = await QRCode.toBuffer(verifyUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 1, scale: 3 });
  return { publicId, signerName: o.signerName, signerTitle: o.signerTitle, signingTime: o.signingTime, verifyUrl, qrPng };
}

/**
 * Draws the signature block (a framed box: "digitally signed by", name, title, Vietnam time, link) with the
 * QR code beside it, at x/y in a pdfkit document whose fonts `R` and `B` hold Vietnamese glyphs.
 */
export function drawSignatureBlock(doc: PDFKit.PDFDocument, stamp: SignatureStamp, at: { x: number; y: number; width: number; locale?: Locale }): void {
  const L = at.locale ?? 'vi';
  const qr = 62;
  const h = 70;
  const N = (s: string) => s.normalize('NFC');
  doc.save();
  doc.roundedRect(at.x, at.y, at.width, h, 4).lineWidth(0.8).strokeColor('#b00020').stroke();
  // A stamp that crossed a worker thread arrives with its PNG as a plain Uint8Array.
  doc.image(Buffer.from(stamp.qrPng), at.x + 4, at.y + 4, { width: qr, height: qr });
  const tx = at.x + qr + 10;
  const tw = at.width - qr - 14;
  doc.fillColor('#b00020').font('B').fontSize(8).text(N(t(L, 'signing.stamp.signedBy')), tx, at.y + 5, { width: tw });
  doc.fillColor('#000000').font('B').fontSize(9).text(N(stamp.signerName), tx, doc.y + 1, { width: tw });
  if (stamp.signerTitle) doc.font('R').fontSize(8).text(N(stamp.signerTitle), tx, doc.y, { width: tw });
  doc.font('R').fontSize(8).text(N(t(L, 'signing.stamp.time', { time: formatVn(stamp.signingTime) })), tx, doc.y, { width: tw });
  doc.font('R').fontSize(6).fillColor('#444444').text(stamp.verifyUrl, tx, doc.y + 1, { width: tw });
  doc.restore();
  doc.fillColor('#000000');
}

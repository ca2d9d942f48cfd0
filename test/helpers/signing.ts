// Signing fixtures: a development CA whose names carry diacritics, leaders with certificates, PKCS#12
// files, and the outside verifiers (openssl, pdfsig with a temporary NSS database).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import PDFDocument from 'pdfkit';
import { initCa } from '../../src/signing/service.ts';
import { readCa } from '../../src/signing/keys.ts';
import { issueCertificate, makePkcs12, type SigningIdentity } from '../../src/signing/pki.ts';
import { FONTS } from '../../src/forms/pdf.ts';
import { drawSignatureBlock, type SignatureStamp } from '../../src/signing/pdf.ts';

const run = promisify(execFile);

/** The root name the tests give the CA: Vietnamese, like the Government's specialised CA. */
export const CA_NAME = 'Ban Cơ yếu Chính phủ (thử nghiệm)';

/** Makes the development CA (in the test's DATA_DIR) and returns its root PEM. */
export async function setupCa(): Promise<string> {
  return (await initCa({ rootName: CA_NAME })).rootPem;
}

/** A PKCS#12 file from the development CA for a person, protected by a PIN. */
export function pkcs12For(name: string, pin: string, o: { notAfter?: Date; notBefore?: Date } = {}): { p12: Buffer; identity: SigningIdentity } {
  const ca = readCa()!;
  const c = issueCertificate({ subject: { commonName: name, title: 'Phó Chánh Văn phòng', organization: 'Văn phòng Chính phủ' }, issuer: ca.issuing, isCa: false, notAfter: o.notAfter ?? new Date(Date.now() + 365 * 86400_000), notBefore: o.notBefore });
  const identity = { ...c, chainPems: [ca.issuing.certPem] };
  return { p12: makePkcs12(identity, pin), identity };
}

/** Runs a program; never throws on a non-zero exit. */
export async function sh(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(cmd, args, { maxBuffer: 20 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A temporary folder, removed by the caller. */
export function tempDir(prefix = 'govflow-signing-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A temporary NSS database trusting one root, for `pdfsig -nssdir`. */
export async function nssDbTrusting(rootPem: string): Promise<string> {
  const dir = tempDir('govflow-nss-');
  fs.writeFileSync(path.join(dir, 'root.pem'), rootPem);
  await run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  await run('certutil', ['-A', '-d', `sql:${dir}`, '-n', 'ca', '-t', 'CT,C,C', '-i', path.join(dir, 'root.pem')]);
  return dir;
}

/** What pdfsig says of a file, checked against the NSS database. */
export async function pdfsig(nssDir: string, file: string): Promise<string> {
  const r = await sh('pdfsig', ['-nssdir', `sql:${nssDir}`, file]);
  return r.stdout + r.stderr;
}

/** A small Vietnamese document with a text to tamper with, and optionally a drawn signature block. */
export async function samplePdf(text = 'Báo cáo tình hình kinh tế - xã hội tháng 11', stamp?: SignatureStamp): Promise<Buffer> {
  // Uncompressed, so a test can find and change one character of the text.
  const doc = new PDFDocument({ size: 'A4', compress: false });
  doc.registerFont('R', FONTS.regular);
  doc.registerFont('B', FONTS.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font('R').fontSize(12).text(text.normalize('NFC'), 50, 60);
  if (stamp) drawSignatureBlock(doc, stamp, { x: 300, y: 650, width: 250 });
  doc.end();
  return done;
}

/** Flips one byte in the middle of the signed range before the signature. */
export function tamper(pdf: Buffer): Buffer {
  const b = Buffer.from(pdf);
  const i = Math.floor(b.indexOf('/ByteRange') / 2);
  b[i] = b[i] === 0x41 ? 0x42 : 0x41;
  return b;
}

/** A multipart/form-data body for server.inject(): text fields and files. */
export function multipartBody(fields: Record<string, string | { filename: string; content: Buffer; type?: string }>): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----govflow${Date.now().toString(16)}`;
  const parts: Buffer[] = [];
  for (const [name, v] of Object.entries(fields)) {
    if (typeof v === 'string') parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`));
    else {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${v.filename}"\r\nContent-Type: ${v.type ?? 'application/octet-stream'}\r\n\r\n`));
      parts.push(v.content, Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

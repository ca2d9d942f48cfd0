// Benchmark of PDF signing: N signatures of a 200-indicator report through govflow's signPdf (sealed
// PKCS#12 opened with its PIN, pkijs CMS, signature row and audit entry on SQLite) against bare
// @signpdf (placeholder-plain + signer-p12, node-forge) on the same PDF and certificate in the same run.
// Usage: tsx bench/sign.ts [N=1000]. Last line: JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignPdf } from '@signpdf/signpdf';
import { plainAddPlaceholder } from '@signpdf/placeholder-plain';
import { P12Signer } from '@signpdf/signer-p12';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { createUser, loadViewer } from '../src/auth/service.ts';
import { User } from '../src/auth/models.ts';
import { renderPdf } from '../src/forms/pdf.ts';
import { bigForm } from './big-form.ts';
import { initCa, signPdf, uploadPkcs12, verifyPdf } from '../src/signing/service.ts';
import { readCa } from '../src/signing/keys.ts';
import { issueCertificate, makePkcs12 } from '../src/signing/pki.ts';


const n = Number(process.argv[2] ?? 1000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-bench-sign-'));
setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, SECRET: 'bench-secret-'.padEnd(40, 'x'), LOG_LEVEL: 'error' }));
await initStore(`sqlite:${path.join(dataDir, 'bench.sqlite')}`);
await migrate();
await initCa({ rootName: 'Ban Cơ yếu Chính phủ (thử nghiệm)' });
await createUser({ username: 'lanhdao.bench', fullName: 'Nguyễn Văn Đo', password: 'BenchPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
const ca = readCa()!;
const cert = issueCertificate({ subject: { commonName: 'Nguyễn Văn Đo', title: 'Lãnh đạo' }, issuer: ca.issuing, isCa: false, notAfter: new Date(Date.now() + 365 * 86400_000) });
const PIN = '246810';
const p12 = makePkcs12({ ...cert, chainPems: [ca.issuing.certPem] }, PIN);
await uploadPkcs12(await loadViewer((await User.findOne({ where: { username: 'lanhdao.bench' } }))!), p12, PIN);

const pdf = await renderPdf(bigForm(), { period: 'Tháng 11 năm 2026', signerName: 'Nguyễn Văn Đo' });
console.log(`report PDF: ${(pdf.length / 1024).toFixed(0)} KB, ${n} signatures each`);

async function bare(): Promise<Buffer> {
  const prepared = plainAddPlaceholder({ pdfBuffer: pdf, reason: 'Ký số', contactInfo: '', name: 'Nguyễn Văn Đo', location: 'Việt Nam', signatureLength: 12000 });
  // A new P12Signer per signature: a reused one fails.
  return new SignPdf().sign(prepared, new P12Signer(p12, { passphrase: PIN }));
}
async function ours(): Promise<Buffer> {
  return (await signPdf({ username: 'lanhdao.bench', pin: PIN }, pdf, { label: 'bench' })).pdf;
}

// Warm up both paths (module loading and JIT are not what is measured), and check ours verifies.
await bare();
const sample = await ours();
if (!(await verifyPdf(sample)).isValid) throw new Error('govflow signature does not verify');

async function rate(fn: () => Promise<Buffer>, count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await fn();
  return count / ((performance.now() - t0) / 1000);
}
// Interleaved halves so that machine noise hits both sides alike.
const half = Math.max(1, Math.floor(n / 2));
const b1 = await rate(bare, half);
const o1 = await rate(ours, half);
const b2 = await rate(bare, n - half);
const o2 = await rate(ours, n - half);
const bareRate = (b1 * half + b2 * (n - half)) / n;
const oursRate = (o1 * half + o2 * (n - half)) / n;
console.log(`bare @signpdf + node-forge: ${bareRate.toFixed(1)} signatures/s`);
console.log(`govflow signPdf (PIN, pkijs, row + audit): ${oursRate.toFixed(1)} signatures/s`);
await closeStore();
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'sign', signatures: n, pdfBytes: pdf.length, bareSignaturesPerSecond: Math.round(bareRate * 10) / 10, govflowSignaturesPerSecond: Math.round(oursRate * 10) / 10, ratio: Math.round((oursRate / bareRate) * 100) / 100 }));

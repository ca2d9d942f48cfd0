// Signing for every domain: the development CA, users' certificates (issued, or uploaded as PKCS#12 and
// opened with the PIN for each signature), signing PDFs and canonical JSON data, and verification.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import { Op, literal, type Transaction } from 'sequelize';
import { getConfig } from '../config.ts';
import { inTransaction } from '../store/index.ts';
import { appendAudit, type Actor } from '../audit/service.ts';
import type { User } from '../auth/models.ts';
import { findUser as findUserRecord, loadViewer } from '../auth/service.ts';
import type { Viewer } from '../access/index.ts';
import { BadRequest, Invalid, NotFound, TooMany } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { toVnIso } from '../time.ts';
import { registerServiceHandler, type ServiceCall } from '../engine/service.ts';
import { SigningCertificate, Signature } from './models.ts';
import { caDir, readCa, seal, trustStore, unseal, writeCa } from './keys.ts';
import {
  certFacts, crlSerials, identityChain, isRevoked, issueCertificate, makeCrl, parseCrl, Pkcs12Error, readPkcs12, signDetached, splitPem, verifyDetached,
  type CertFacts, type CmsCheck, type SigningIdentity,
} from './pki.ts';
import { makeStamp, PdfFormatError, readPdfSignatures, sha256Hex, signPdfBytes, type SignatureStamp } from './pdf.ts';

/** Default names of the development CA; every one has diacritics, so each tool's handling of them is exercised. */
export const DEV_CA = {
  root: 'CA gốc thử nghiệm govflow — Văn phòng Chính phủ',
  issuing: 'CA cấp dưới thử nghiệm govflow — Văn phòng Chính phủ',
  organization: 'Văn phòng Chính phủ (thử nghiệm)',
};

const TRUST_FILE = 'govflow-dev-root.pem';

/** Makes the development CA (root + issuing certificate) in DATA_DIR and trusts its root; keeps an existing one unless `force`. */
export async function initCa(o: { rootName?: string; issuingName?: string; force?: boolean } = {}): Promise<{ isCreated: boolean; rootPem: string; dir: string; trustFile: string }> {
  const trustFile = path.join(getConfig().signingTrustDir, TRUST_FILE);
  const existing = readCa();
  if (existing && !o.force) return { isCreated: false, rootPem: existing.root.certPem, dir: caDir(), trustFile };
  const now = Date.now();
  const root = issueCertificate({ subject: { commonName: o.rootName ?? DEV_CA.root, organization: DEV_CA.organization }, issuer: null, isCa: true, notAfter: new Date(now + 20 * 365 * 86400_000) });
  const issuing = issueCertificate({ subject: { commonName: o.issuingName ?? DEV_CA.issuing, organization: DEV_CA.organization }, issuer: root, isCa: true, pathLen: 0, notAfter: new Date(now + 10 * 365 * 86400_000) });
  writeCa({ root, issuing });
  fs.mkdirSync(getConfig().signingTrustDir, { recursive: true });
  fs.writeFileSync(trustFile, root.certPem);
  return { isCreated: true, rootPem: root.certPem, dir: caDir(), trustFile };
}

/** The development CA's root certificate (PEM). */
export function caRootPem(): string {
  const ca = readCa();
  if (!ca) throw NotFound('signing.noCa');
  return ca.root.certPem;
}

async function findUser(by: { userId?: number; username?: string }): Promise<User> {
  const user = await findUserRecord(by);
  if (!user) throw NotFound('signing.unknownUser', { username: by.username ?? String(by.userId) });
  return user;
}

function actorOfUser(u: User, ip?: string | null): Actor {
  return { id: u.id, username: u.username, ip: ip ?? null };
}

/** A certificate as pages and the API show it. */
export interface CertificateView {
  id: number;
  source: 'issued' | 'uploaded';
  status: string;
  commonName: string;
  title: string | null;
  subject: string;
  issuer: string;
  serial: string;
  fingerprint: string;
  notBefore: string | null;
  notAfter: string | null;
  needsPin: boolean;
  isExpired: boolean;
}

function presentCertificate(c: SigningCertificate): CertificateView {
  return {
    id: c.id, source: c.source, status: c.status, commonName: c.commonName, title: c.title, subject: c.subject, issuer: c.issuer,
    serial: c.serial, fingerprint: c.fingerprint, notBefore: toVnIso(c.notBefore), notAfter: toVnIso(c.notAfter),
    needsPin: c.source === 'uploaded', isExpired: new Date(c.notAfter).getTime() < Date.now(),
  };
}

async function storeCertificate(user: User, source: 'issued' | 'uploaded', id: SigningIdentity, secret: Buffer, actor: Actor | null): Promise<SigningCertificate> {
  const f = certFacts(id.certPem);
  return inTransaction(async (tx) => {
    // The audit head is locked first: concurrent writers on MariaDB queue there instead of deadlocking on index gaps.
    await appendAudit(actor, { action: source === 'issued' ? 'signing.certificateIssued' : 'signing.certificateUploaded', targetType: 'user', targetId: user.id, detail: { fingerprint: f.fingerprint, subject: f.subject, notAfter: toVnIso(f.notAfter) } }, tx);
    await SigningCertificate.update({ status: 'replaced' }, { where: { userId: user.id, status: 'active' }, transaction: tx });
    return SigningCertificate.create({
      userId: user.id, source, status: 'active', commonName: f.commonName, title: f.title, subject: f.subject, issuer: f.issuer,
      serial: f.serial, fingerprint: f.fingerprint, notBefore: f.notBefore, notAfter: f.notAfter, certPem: id.certPem,
      chainPem: id.chainPems.join(''), sealed: seal(secret, `cert:${f.fingerprint}`),
    }, { transaction: tx });
  });
}

/** Gives a user a signing certificate from the development CA (the server keeps its key, sealed). */
export async function issueUserCertificate(username: string, actor: Actor | null, o: { notBefore?: Date; notAfter?: Date } = {}): Promise<CertificateView> {
  const ca = readCa();
  if (!ca) throw NotFound('signing.noCa');
  const user = await findUser({ username });
  const viewer = await loadViewer(user);
  const role = viewer.roles.find((r) => r.role === 'leader') ?? viewer.roles[0];
  const issued = issueCertificate({
    subject: { commonName: user.fullName, title: role ? t('vi', `roles.${role.role}`) : null, organization: role?.orgName ?? viewer.orgName, email: user.email },
    issuer: ca.issuing, isCa: false, notBefore: o.notBefore, notAfter: o.notAfter ?? new Date(Date.now() + 2 * 365 * 86400_000),
  });
  const id: SigningIdentity = { ...issued, chainPems: [ca.issuing.certPem] };
  return presentCertificate(await storeCertificate(user, 'issued', id, Buffer.from(issued.keyPem), actor));
}

/** Revokes a user's active certificate from the development CA by writing its CRL into the trust folder. */
export async function revokeUserCertificate(username: string, actor: Actor | null): Promise<CertificateView> {
  const ca = readCa();
  if (!ca) throw NotFound('signing.noCa');
  const user = await findUser({ username });
  const cert = await SigningCertificate.findOne({ where: { userId: user.id, status: 'active' }, order: [['id', 'DESC']] });
  if (!cert) throw NotFound('signing.noCertificate');
  const dir = getConfig().signingTrustDir;
  const file = path.join(dir, 'govflow-dev-issuing.crl');
  const serials = new Set([...(fs.existsSync(file) ? crlSerials(parseCrl(fs.readFileSync(file))) : []), cert.serial]);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, await makeCrl(ca.issuing, [...serials]));
  await appendAudit(actor, { action: 'signing.certificateRevoked', targetType: 'user', targetId: user.id, detail: { fingerprint: cert.fingerprint } });
  return presentCertificate(cert);
}

/** Stores a leader's own PKCS#12 (sealed, as uploaded) after checking the PIN opens it and its certificate may sign. */
export async function uploadPkcs12(viewer: Viewer, file: Buffer, pin: string): Promise<CertificateView> {
  let id: SigningIdentity;
  try {
    id = readPkcs12(file, pin);
  } catch (err) {
    if (err instanceof Pkcs12Error && err.reason === 'noKey') throw Invalid('signing.p12NoKey');
    throw Invalid('signing.wrongPin');
  }
  await assertMaySign(id);
  const check = await checkChain(id);
  if (!check.isTrusted) throw Invalid('signing.untrustedCertificate');
  const user = await findUser({ userId: viewer.userId });
  return presentCertificate(await storeCertificate(user, 'uploaded', id, file, { id: viewer.userId, username: viewer.username, orgCode: viewer.orgCode, ip: viewer.ip ?? null }));
}

/** The certificates of a user, newest first. */
export async function listCertificates(userId: number): Promise<CertificateView[]> {
  const rows = await SigningCertificate.findAll({ where: { userId }, order: [['id', 'DESC']], limit: 20 });
  return rows.map(presentCertificate);
}

/** Whether a user has an active certificate, and whether signing with it needs a PIN. */
export async function signingStatus(userId: number): Promise<{ hasCertificate: boolean; needsPin: boolean; certificate: CertificateView | null }> {
  const c = await SigningCertificate.findOne({ where: { userId, status: 'active' }, order: [['id', 'DESC']] });
  return { hasCertificate: !!c, needsPin: c?.source === 'uploaded', certificate: c ? presentCertificate(c) : null };
}

async function assertMaySign(id: SigningIdentity, now = new Date()): Promise<CertFacts> {
  const f = certFacts(id.certPem);
  if (f.notAfter.getTime() < now.getTime() || f.notBefore.getTime() > now.getTime()) throw Invalid('signing.certificateExpired', { notAfter: toVnIso(f.notAfter) });
  const store = await trustStore();
  if (await isRevoked(identityChain(id, store), store)) throw Invalid('signing.certificateRevoked');
  return f;
}

async function checkChain(id: SigningIdentity): Promise<CmsCheck> {
  const probe = Buffer.from('govflow');
  return verifyDetached(await signDetached(id, probe, new Date()), probe, await trustStore());
}

/**
 * Opens an uploaded PKCS#12 with a PIN under a limit of wrong PINs in a row (LOGIN_MAX_FAILURES, then a
 * lock of LOGIN_LOCK_MINUTES). Each try is claimed with one atomic update before the PIN is checked, so
 * concurrent guesses never test more PINs than the limit, on any node.
 */
async function openWithPin(cert: SigningCertificate, secret: Buffer, pin: string): Promise<SigningIdentity> {
  const cfg = getConfig();
  const max = cfg.loginMaxFailures;
  let [claimed] = await SigningCertificate.update({ pinFailures: literal('pin_failures + 1') }, { where: { id: cert.id, pinFailures: { [Op.lt]: max } } });
  if (!claimed) {
    const row = await SigningCertificate.findByPk(cert.id);
    const until = row?.pinLockedUntil ? new Date(row.pinLockedUntil) : null;
    // An expired lock is lifted by exactly one request, which then takes the first new try.
    if (row && until && until.getTime() <= Date.now()) {
      [claimed] = await SigningCertificate.update({ pinFailures: 1, pinLockedUntil: null }, { where: { id: cert.id, pinLockedUntil: until } });
    }
    if (!claimed) throw TooMany('signing.pinLocked', { minutes: cfg.loginLockMinutes });
  }
  try {
    const id = readPkcs12(secret, pin);
    await SigningCertificate.update({ pinFailures: 0, pinLockedUntil: null }, { where: { id: cert.id } });
    return id;
  } catch {
    await SigningCertificate.update({ pinLockedUntil: new Date(Date.now() + cfg.loginLockMinutes * 60_000) }, { where: { id: cert.id, pinFailures: { [Op.gte]: max } } });
    throw Invalid('signing.wrongPin');
  }
}

async function identityOf(userId: number, pin: string | undefined): Promise<{ cert: SigningCertificate; id: SigningIdentity }> {
  const cert = await SigningCertificate.findOne({ where: { userId, status: 'active' }, order: [['id', 'DESC']] });
  if (!cert) throw Invalid('signing.noCertificate');
  const secret = unseal(cert.sealed, `cert:${cert.fingerprint}`);
  let id: SigningIdentity;
  if (cert.source === 'uploaded') {
    if (!pin) throw Invalid('signing.pinRequired');
    id = await openWithPin(cert, secret, pin);
  } else {
    id = { keyPem: secret.toString(), certPem: cert.certPem, chainPems: splitPem(cert.chainPem) };
  }
  await assertMaySign(id);
  return { cert, id };
}

/** Who signs: a user (by id or username), with the PIN of an uploaded PKCS#12 and the caller's IP for the audit log. */
export interface SignerRef {
  userId?: number;
  username?: string;
  pin?: string;
  ip?: string | null;
}

/** What the signature belongs to, for the record. */
export interface SignContext {
  label?: string | null;
  targetType?: string | null;
  targetId?: string | number | null;
}

/** A signature as the API and pages show it. */
export interface SignatureView {
  id: string;
  kind: 'pdf' | 'data';
  signerName: string;
  signerTitle: string | null;
  certFingerprint: string;
  signedAt: string;
  contentHash: string;
  label: string | null;
  targetType: string | null;
  targetId: string | null;
  verifyUrl: string;
}

function presentSignature(s: Signature): SignatureView {
  return {
    id: s.publicId, kind: s.kind, signerName: s.signerName, signerTitle: s.signerTitle, certFingerprint: s.certFingerprint, signedAt: s.signedAtVn,
    contentHash: s.contentHash, label: s.label, targetType: s.targetType, targetId: s.targetId, verifyUrl: `${getConfig().baseUrl}/verify/${s.publicId}`,
  };
}

async function record(user: User, cert: SigningCertificate, f: { publicId: string; kind: 'pdf' | 'data'; signedAt: Date; contentHash: string; cms: Buffer; data: string | null }, ctx: SignContext, ip: string | null | undefined, outer?: Transaction): Promise<Signature> {
  return inTransaction(async (tx) => {
    // Audit first, as in storeCertificate: the head row lock orders concurrent signers.
    await appendAudit(actorOfUser(user, ip), { action: f.kind === 'pdf' ? 'signing.signPdf' : 'signing.signData', targetType: 'signature', targetId: f.publicId, detail: { hash: f.contentHash, fingerprint: cert.fingerprint, label: ctx.label ?? null, target: ctx.targetType ? `${ctx.targetType}:${ctx.targetId}` : null } }, tx);
    return Signature.create({
      publicId: f.publicId, kind: f.kind, userId: user.id, certificateId: cert.id, signerName: cert.commonName, signerTitle: cert.title,
      certFingerprint: cert.fingerprint, signedAt: f.signedAt, signedAtVn: toVnIso(f.signedAt)!, contentHash: f.contentHash,
      label: ctx.label ?? null, targetType: ctx.targetType ?? null, targetId: ctx.targetId === undefined || ctx.targetId === null ? null : String(ctx.targetId),
      cms: f.cms.toString('base64'), data: f.data,
    }, { transaction: tx });
  }, outer);
}

/** The canonical form (RFC 8785, JSON Canonicalization Scheme) of a JSON value. */
export function canonicalJson(value: unknown): string {
  try {
    const s = canonicalize(value);
    if (s === undefined) throw new Error('not JSON');
    return s;
  } catch {
    throw BadRequest('signing.notJson');
  }
}

/** Signs the canonical JSON of a value with a detached CMS; the signature row keeps the canonical text. */
export async function signData(signer: SignerRef, value: unknown, ctx: SignContext = {}): Promise<{ signature: SignatureView; cms: Buffer; canonical: string }> {
  const canonical = canonicalJson(value);
  const user = await findUser(signer);
  const { cert, id } = await identityOf(user.id, signer.pin);
  // CMS signing time has whole seconds; the record keeps the same instant.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const bytes = Buffer.from(canonical, 'utf8');
  const cms = await signDetached(id, bytes, signedAt);
  const row = await record(user, cert, { publicId: crypto.randomUUID(), kind: 'data', signedAt, contentHash: sha256Hex(bytes), cms, data: canonical }, ctx, signer.ip);
  return { signature: presentSignature(row), cms, canonical };
}

/** A stamp for the visible signature block of a document the signer will sign: their name, title, the time and the QR link. */
export async function prepareStamp(signer: SignerRef): Promise<SignatureStamp> {
  const user = await findUser(signer);
  const cert = await SigningCertificate.findOne({ where: { userId: user.id, status: 'active' }, order: [['id', 'DESC']] });
  if (!cert) throw Invalid('signing.noCertificate');
  return makeStamp({ signerName: cert.commonName, signerTitle: cert.title, signingTime: new Date(Math.floor(Date.now() / 1000) * 1000), baseUrl: getConfig().baseUrl });
}

/** Signs a finished PDF (pass the stamp its signature block was drawn with, so the QR link and time match). */
export async function signPdf(signer: SignerRef, pdf: Buffer, ctx: SignContext & { stamp?: SignatureStamp; reason?: string; location?: string } = {}): Promise<{ pdf: Buffer; signature: SignatureView }> {
  const user = await findUser(signer);
  const { cert, id } = await identityOf(user.id, signer.pin);
  const signedAt = ctx.stamp?.signingTime ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const publicId = ctx.stamp?.publicId ?? crypto.randomUUID();
  let signed: Buffer;
  try {
    signed = await signPdfBytes(pdf, id, { signerName: cert.commonName, reason: ctx.reason ?? t('vi', 'signing.pdfReason'), location: ctx.location ?? 'Việt Nam', contactInfo: `${getConfig().baseUrl}/verify/${publicId}`, signingTime: signedAt });
  } catch (err) {
    if (err instanceof PdfFormatError) throw BadRequest('signing.pdfUnsupported');
    throw err;
  }
  const sig = readPdfSignatures(signed).at(-1)!;
  const row = await record(user, cert, { publicId, kind: 'pdf', signedAt, contentHash: sha256Hex(sig.signedBytes), cms: sig.cms, data: null }, ctx, signer.ip);
  return { pdf: signed, signature: presentSignature(row) };
}

/** A data signature and a PDF signature made with one opening of the signer's key, not recorded yet. */
export interface PreparedSignatures {
  /** The canonical JSON that was signed and its detached CMS. */
  canonical: string;
  cms: Buffer;
  /** The signed PDF (its visible block and QR code name the PDF signature's public id). */
  pdf: Buffer;
  dataSignatureId: string;
  pdfSignatureId: string;
  signedAt: Date;
  /** Writes both signature records (and their audit rows) in the caller's transaction. */
  record(t: Transaction): Promise<{ data: SignatureView; pdf: SignatureView }>;
}

/**
 * Signs a value's canonical JSON and a document with ONE opening of the signer's key, so a person with
 * an uploaded PKCS#12 enters the PIN once for both (a wrong PIN fails before anything is signed, and
 * counts as one try). `render` draws the PDF with the stamp of its visible signature block (name, title,
 * time, QR to /verify). Nothing is written until `record(t)` runs in the caller's transaction, so the
 * caller's own change and both signature records commit together or not at all.
 */
export async function signDataAndPdf(signer: SignerRef, value: unknown, render: (stamp: SignatureStamp) => Promise<Buffer>, ctx: SignContext & { reason?: string; location?: string } = {}): Promise<PreparedSignatures> {
  const canonical = canonicalJson(value);
  const user = await findUser(signer);
  const { cert, id } = await identityOf(user.id, signer.pin);
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const stamp = await makeStamp({ signerName: cert.commonName, signerTitle: cert.title, signingTime: signedAt, baseUrl: getConfig().baseUrl });
  const bytes = Buffer.from(canonical, 'utf8');
  const cms = await signDetached(id, bytes, signedAt);
  let pdf: Buffer;
  try {
    pdf = await signPdfBytes(await render(stamp), id, { signerName: cert.commonName, reason: ctx.reason ?? t('vi', 'signing.pdfReason'), location: ctx.location ?? 'Việt Nam', contactInfo: stamp.verifyUrl, signingTime: signedAt });
  } catch (err) {
    if (err instanceof PdfFormatError) throw BadRequest('signing.pdfUnsupported');
    throw err;
  }
  const sig = readPdfSignatures(pdf).at(-1)!;
  const dataSignatureId = crypto.randomUUID();
  return {
    canonical, cms, pdf, dataSignatureId, pdfSignatureId: stamp.publicId, signedAt,
    async record(tx) {
      const data = await record(user, cert, { publicId: dataSignatureId, kind: 'data', signedAt, contentHash: sha256Hex(bytes), cms, data: canonical }, ctx, signer.ip, tx);
      const onPdf = await record(user, cert, { publicId: stamp.publicId, kind: 'pdf', signedAt, contentHash: sha256Hex(sig.signedBytes), cms: sig.cms, data: null }, ctx, signer.ip, tx);
      return { data: presentSignature(data), pdf: presentSignature(onPdf) };
    },
  };
}

/** One checked signature, as the verify page and API show it. */
export interface VerifyItem {
  isValid: boolean;
  isIntact: boolean | null;
  isTrusted: boolean;
  isRevoked: boolean;
  coversWholeFile: boolean | null;
  problem: string | null;
  signer: { name: string; title: string | null; subject: string; issuer: string; serial: string; fingerprint: string; notBefore: string | null; notAfter: string | null } | null;
  chain: Array<{ subject: string; issuer: string; fingerprint: string; notAfter: string | null }>;
  signingTime: string | null;
  contentHash: string | null;
  record: SignatureView | null;
}

/** The outcome of a verification: valid only when there is at least one signature and every one is intact and trusted. */
export interface VerifyReport {
  kind: 'pdf' | 'data' | 'record';
  isValid: boolean;
  signatures: VerifyItem[];
}

async function item(check: CmsCheck, extra: { coversWholeFile?: boolean | null; isIntact?: boolean | null } = {}): Promise<VerifyItem> {
  const isIntact = extra.isIntact !== undefined ? extra.isIntact : check.isIntact && extra.coversWholeFile !== false;
  const row = check.contentHash && check.signer ? await Signature.findOne({ where: { contentHash: check.contentHash, certFingerprint: check.signer.fingerprint } }) : null;
  const problem = isIntact === false ? (extra.coversWholeFile === false && check.isIntact ? 'modifiedAfter' : 'broken') : check.problem === 'broken' ? null : check.problem;
  return {
    isValid: isIntact === true && check.isTrusted,
    isIntact,
    isTrusted: check.isTrusted,
    isRevoked: check.isRevoked,
    coversWholeFile: extra.coversWholeFile ?? null,
    problem,
    signer: check.signer ? { name: check.signer.commonName, title: check.signer.title, subject: check.signer.subject, issuer: check.signer.issuer, serial: check.signer.serial, fingerprint: check.signer.fingerprint, notBefore: toVnIso(check.signer.notBefore), notAfter: toVnIso(check.signer.notAfter) } : null,
    chain: check.chain.map((c) => ({ subject: c.subject, issuer: c.issuer, fingerprint: c.fingerprint, notAfter: toVnIso(c.notAfter) })),
    signingTime: toVnIso(check.signingTime),
    contentHash: check.contentHash,
    record: row ? presentSignature(row) : null,
  };
}

/** Checks every signature embedded in a PDF: intact (and nothing appended after it), trusted, not revoked. */
export async function verifyPdf(pdf: Buffer): Promise<VerifyReport> {
  const store = await trustStore();
  const sigs = readPdfSignatures(pdf);
  const items: VerifyItem[] = [];
  for (const s of sigs) items.push(await item(await verifyDetached(s.cms, s.signedBytes, store), { coversWholeFile: s.coversWholeFile }));
  // An earlier signature legitimately covers less than the file when a later one was added after it.
  for (let i = 0; i < items.length - 1; i++) {
    if (items[i].problem === 'modifiedAfter') {
      items[i].problem = null;
      items[i].isIntact = true;
      items[i].isValid = items[i].isTrusted;
    }
  }
  return { kind: 'pdf', isValid: items.length > 0 && items.every((x) => x.isValid), signatures: items };
}

/** Checks a detached CMS over data: the bytes as given, or else the canonical form of the JSON they hold. */
export async function verifyData(data: Buffer, cms: Buffer): Promise<VerifyReport> {
  const store = await trustStore();
  let check = await verifyDetached(cms, data, store);
  if (!check.isIntact) {
    let canonical: string | null = null;
    try {
      canonical = canonicalJson(JSON.parse(data.toString('utf8')));
    } catch {
      canonical = null;
    }
    if (canonical !== null && canonical !== data.toString('utf8')) {
      const again = await verifyDetached(cms, Buffer.from(canonical, 'utf8'), store);
      if (again.isIntact) check = again;
    }
  }
  const it = await item(check);
  return { kind: 'data', isValid: it.isValid, signatures: [it] };
}

/** Checks a recorded signature by its public id: data signatures against the stored canonical text; for a PDF, the chain and the record (the file itself must be uploaded to check its content). */
export async function verifySignatureId(publicId: string): Promise<VerifyReport> {
  const row = await Signature.findOne({ where: { publicId } });
  if (!row) throw NotFound('signing.unknownSignature');
  const store = await trustStore();
  const cms = Buffer.from(row.cms, 'base64');
  if (row.kind === 'data' && row.data !== null) {
    const it = await item(await verifyDetached(cms, Buffer.from(row.data, 'utf8'), store));
    return { kind: 'record', isValid: it.isValid, signatures: [{ ...it, record: presentSignature(row) }] };
  }
  const check = await verifyDetached(cms, null, store);
  const it = await item({ ...check, contentHash: row.contentHash }, { isIntact: null });
  return { kind: 'record', isValid: false, signatures: [{ ...it, isValid: false, record: presentSignature(row) }] };
}

/** The signatures made by a user, newest first. */
export async function listSignatures(userId: number, limit = 20): Promise<SignatureView[]> {
  const rows = await Signature.findAll({ where: { userId, kind: { [Op.in]: ['pdf', 'data'] } }, order: [['id', 'DESC']], limit });
  return rows.map(presentSignature);
}

/**
 * Engine service handler `sign`: signs the canonical JSON of the variable named by `signField` (default
 * `values`) as the user in `signer` (a username; the certificate must be server-held, since a service task
 * has no PIN) and returns `signatureId` and `signatureHash`.
 */
export async function signServiceTask(call: ServiceCall): Promise<Record<string, unknown>> {
  const field = typeof call.variables.signField === 'string' ? call.variables.signField : 'values';
  const username = call.variables.signer;
  if (typeof username !== 'string' || !username) throw Invalid('signing.noSigner');
  const r = await signData({ username }, call.variables[field] ?? null, { label: call.definitionKey, targetType: 'instance', targetId: call.instanceId });
  return { signatureId: r.signature.id, signatureHash: r.signature.contentHash };
}

registerServiceHandler('sign', signServiceTask);

/** Demo seed: makes the development CA when missing and gives each named user without a certificate one. */
export async function seedSigning(usernames: string[], print: (line: string) => void = () => {}): Promise<void> {
  const ca = await initCa();
  if (ca.isCreated) print(`development CA created in ${ca.dir}`);
  for (const username of usernames) {
    const user = await findUserRecord({ username });
    if (!user || (await SigningCertificate.count({ where: { userId: user.id, status: 'active' } }))) continue;
    const c = await issueUserCertificate(username, null);
    print(`signing certificate for ${username} (${c.commonName}), valid until ${c.notAfter}`);
  }
}

// Where keys live: the development CA in DATA_DIR/signing/ca, the trusted roots and CRLs in
// SIGNING_TRUST_DIR, and the sealing (AES-256-GCM with SIGNING_KEY) of every stored key.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { getConfig } from '../config.ts';
import { parseCert, parseCrl, splitPem, type KeyAndCert, type TrustStore } from './pki.ts';

/** Folder of the development CA. */
export function caDir(): string {
  return path.join(getConfig().dataDir, 'signing', 'ca');
}

function key(): Buffer {
  return Buffer.from(getConfig().signingKey, 'base64');
}

/** Encrypts bytes with the signing key; `purpose` is bound in as associated data so a sealed value cannot be moved to another row. */
export function seal(plain: Buffer, purpose: string): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key(), iv);
  c.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return `v1:${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`;
}

/** Decrypts what seal() made with the same purpose; throws when the key, purpose or bytes differ. */
export function unseal(sealed: string, purpose: string): Buffer {
  if (!sealed.startsWith('v1:')) throw new Error('unknown sealed format');
  const raw = Buffer.from(sealed.slice(3), 'base64');
  const d = crypto.createDecipheriv('aes-256-gcm', key(), raw.subarray(0, 12));
  d.setAAD(Buffer.from(purpose));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
}

/** The development CA's root and issuing certificate with their keys, or null before `govflow ca init`. */
export interface CaFiles {
  root: KeyAndCert;
  issuing: KeyAndCert;
}

/** Writes the CA: certificates as PEM, keys sealed. */
export function writeCa(ca: CaFiles): void {
  const dir = caDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'root.pem'), ca.root.certPem);
  fs.writeFileSync(path.join(dir, 'issuing.pem'), ca.issuing.certPem);
  fs.writeFileSync(path.join(dir, 'root.key.sealed'), seal(Buffer.from(ca.root.keyPem), 'ca:root'), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'issuing.key.sealed'), seal(Buffer.from(ca.issuing.keyPem), 'ca:issuing'), { mode: 0o600 });
}

/** Reads the CA, or null when none was made. */
export function readCa(): CaFiles | null {
  const dir = caDir();
  const f = (n: string) => path.join(dir, n);
  if (!fs.existsSync(f('issuing.key.sealed'))) return null;
  return {
    root: { certPem: fs.readFileSync(f('root.pem'), 'utf8'), keyPem: unseal(fs.readFileSync(f('root.key.sealed'), 'utf8'), 'ca:root').toString() },
    issuing: { certPem: fs.readFileSync(f('issuing.pem'), 'utf8'), keyPem: unseal(fs.readFileSync(f('issuing.key.sealed'), 'utf8'), 'ca:issuing').toString() },
  };
}

let cached: { stamp: string; store: TrustStore } | undefined;

/**
 * The trusted roots and revocation lists of the trust folder. Re-read whenever a file there changes,
 * so a new CRL takes effect without a restart.
 */
export async function trustStore(): Promise<TrustStore> {
  const dir = getConfig().signingTrustDir;
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /\.(pem|crt|cer|crl)$/i.test(n)).sort() : [];
  const stamp = dir + '|' + files.map((n) => `${n}:${fs.statSync(path.join(dir, n)).mtimeMs}`).join('|');
  if (cached?.stamp === stamp) return cached.store;
  const roots = [];
  for (const n of files.filter((x) => !/\.crl$/i.test(x))) {
    const bytes = fs.readFileSync(path.join(dir, n));
    const text = bytes.toString('latin1');
    if (text.includes('-----BEGIN CERTIFICATE-----')) for (const p of splitPem(text)) roots.push(parseCert(p));
    else roots.push(parseCert(bytes));
  }
  const crls = [];
  for (const n of files.filter((x) => /\.crl$/i.test(x))) {
    try {
      crls.push(parseCrl(fs.readFileSync(path.join(dir, n))));
    } catch {
      // An unreadable CRL revokes nothing; it is not a reason to stop verifying.
    }
  }
  cached = { stamp, store: { roots, crls } };
  return cached.store;
}

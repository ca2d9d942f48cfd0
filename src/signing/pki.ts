// Keys, certificates, PKCS#12 and detached CMS (PKCS#7) signatures. Certificates and PKCS#12 files are
// made and read with node-forge; CMS is built and checked with pkijs, because node-forge re-encodes the
// issuer name of the signing certificate and garbles any non-ASCII (Vietnamese) CA name on the way.
import crypto, { webcrypto } from 'node:crypto';
import forge from 'node-forge';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });
pkijs.setEngine('node', engine);

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  commonName: '2.5.4.3',
  title: '2.5.4.12',
};

/** Who a certificate is issued to; every text may hold Vietnamese. */
export interface SubjectInfo {
  commonName: string;
  title?: string | null;
  organization?: string | null;
  email?: string | null;
}

/** A certificate with its private key, both PEM. */
export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

/** What a signer holds: the key, its certificate and the intermediate certificates up to a root. */
export interface SigningIdentity extends KeyAndCert {
  chainPems: string[];
}

// Names are written as UTF8String, so diacritics survive in every tool.
function nameAttrs(s: SubjectInfo): forge.pki.CertificateField[] {
  // node-forge encodes UTF8String values itself; it wants the JavaScript string.
  const u = (v: string) => v.normalize('NFC');
  const attrs: forge.pki.CertificateField[] = [{ shortName: 'C', value: 'VN' }];
  if (s.organization) attrs.push({ shortName: 'O', value: u(s.organization), valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class });
  if (s.title) attrs.push({ name: 'title', value: u(s.title), valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class });
  attrs.push({ shortName: 'CN', value: u(s.commonName), valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class });
  if (s.email) attrs.push({ name: 'emailAddress', value: s.email });
  return attrs;
}

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  // Node's generator is native and about a hundred times faster than node-forge's.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const fk = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: fk, publicKey: forge.pki.setRsaPublicKey(fk.n, fk.e), keyPem };
}

function serial(): string {
  // Positive, 16 bytes: the high bit is cleared so DER does not read it as negative.
  const b = crypto.randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b.toString('hex');
}

/** Options for one certificate. */
export interface IssueOptions {
  subject: SubjectInfo;
  /** Null: self-signed. */
  issuer: KeyAndCert | null;
  isCa: boolean;
  notBefore?: Date;
  notAfter: Date;
  pathLen?: number;
}

/** Makes a new key and a certificate for it. */
export function issueCertificate(o: IssueOptions): KeyAndCert {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - 60_000);
  cert.validity.notAfter = o.notAfter;
  cert.setSubject(nameAttrs(o.subject));
  const issuerCert = o.issuer ? forge.pki.certificateFromPem(o.issuer.certPem) : null;
  // A parsed name holds UTF8String values as raw bytes, which node-forge would encode a second time.
  if (issuerCert) cert.setIssuer(issuerCert.subject.attributes.map((a) => ({ type: a.type, value: a.valueTagClass === (forge.asn1.Type.UTF8 as unknown) ? forge.util.decodeUtf8(a.value as string) : a.value, valueTagClass: a.valueTagClass })));
  else cert.setIssuer(nameAttrs(o.subject));
  const ext: unknown[] = [
    o.isCa ? { name: 'basicConstraints', cA: true, critical: true, ...(o.pathLen !== undefined ? { pathLenConstraint: o.pathLen } : {}) } : { name: 'basicConstraints', cA: false },
    o.isCa ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true } : { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (issuerCert) ext.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() });
  if (o.subject.email && !o.isCa) ext.push({ name: 'subjectAltName', altNames: [{ type: 1, value: o.subject.email }] });
  cert.setExtensions(ext as never[]);
  const signKey = o.issuer ? forge.pki.privateKeyFromPem(o.issuer.keyPem) : keys.privateKey;
  cert.sign(signKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { keyPem: keys.keyPem, certPem: forge.pki.certificateToPem(cert) };
}

/** A PKCS#12 file (DER) holding a key, its certificate and chain, protected by a PIN. */
export function makePkcs12(id: SigningIdentity, pin: string, friendlyName = 'govflow'): Buffer {
  const key = forge.pki.privateKeyFromPem(id.keyPem);
  const certs = [id.certPem, ...id.chainPems].map((p) => forge.pki.certificateFromPem(p));
  const asn = forge.pkcs12.toPkcs12Asn1(key, certs, pin, { algorithm: '3des', friendlyName });
  return Buffer.from(forge.asn1.toDer(asn).getBytes(), 'binary');
}

/** Thrown by readPkcs12 when the PIN is wrong or the file is not a PKCS#12 with one key. */
export class Pkcs12Error extends Error {
  constructor(public readonly reason: 'badPin' | 'noKey') {
    super(reason);
  }
}

/** Opens a PKCS#12 file with its PIN: the key, the certificate that matches it and the others as chain. */
export function readPkcs12(der: Buffer, pin: string): SigningIdentity {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der.toString('binary')), pin);
  } catch {
    throw new Pkcs12Error('badPin');
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const key = keyBags.find((b) => b.key)?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key) throw new Pkcs12Error('noKey');
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? []).map((b) => b.cert).filter((c): c is forge.pki.Certificate => !!c);
  const own = certs.find((c) => (c.publicKey as forge.pki.rsa.PublicKey).n?.equals(key.n));
  if (!own) throw new Pkcs12Error('noKey');
  const keyPem = forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)));
  return { keyPem, certPem: forge.pki.certificateToPem(own), chainPems: certs.filter((c) => c !== own).map((c) => forge.pki.certificateToPem(c)) };
}

/** DER bytes of a PEM certificate. */
export function pemToDer(pem: string): Buffer {
  const b64 = pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

/** Every PEM block of a file (a bundle may hold several certificates). */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((p) => p + '\n') ?? [];
}

/** A parsed certificate as pkijs sees it. */
export function parseCert(pemOrDer: string | Buffer): pkijs.Certificate {
  const der = typeof pemOrDer === 'string' ? pemToDer(pemOrDer) : pemOrDer;
  return pkijs.Certificate.fromBER(new Uint8Array(der));
}

/** SHA-256 of the certificate's DER, lowercase hex (what outside tools show as its fingerprint). */
export function fingerprint(pemOrDer: string | Buffer): string {
  const der = typeof pemOrDer === 'string' ? pemToDer(pemOrDer) : pemOrDer;
  return crypto.createHash('sha256').update(der).digest('hex');
}

function rdnValue(name: pkijs.RelativeDistinguishedNames, oid: string): string | null {
  const tv = name.typesAndValues.find((x) => x.type === oid);
  return tv ? String((tv.value as { valueBlock: { value: string } }).valueBlock.value).normalize('NFC') : null;
}

/** The readable facts of a certificate. */
export interface CertFacts {
  subject: string;
  commonName: string;
  title: string | null;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  isCa: boolean;
}

function nameText(n: pkijs.RelativeDistinguishedNames): string {
  const short: Record<string, string> = { '2.5.4.6': 'C', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN', '2.5.4.12': 'T', '2.5.4.7': 'L', '2.5.4.8': 'ST', '1.2.840.113549.1.9.1': 'E' };
  return n.typesAndValues.map((tv) => `${short[tv.type] ?? tv.type}=${String((tv.value as { valueBlock: { value: string } }).valueBlock.value).normalize('NFC')}`).join(', ');
}

/** Subject, issuer, validity and fingerprint of a certificate. */
export function certFacts(pemOrDer: string | Buffer | pkijs.Certificate): CertFacts {
  const c = pemOrDer instanceof pkijs.Certificate ? pemOrDer : parseCert(pemOrDer);
  const der = Buffer.from(c.toSchema().toBER(false));
  const bc = c.extensions?.find((e) => e.extnID === '2.5.29.19')?.parsedValue as pkijs.BasicConstraints | undefined;
  return {
    subject: nameText(c.subject),
    commonName: rdnValue(c.subject, OID.commonName) ?? '',
    title: rdnValue(c.subject, OID.title),
    issuer: nameText(c.issuer),
    serial: Buffer.from(c.serialNumber.valueBlock.valueHexView).toString('hex'),
    notBefore: c.notBefore.value,
    notAfter: c.notAfter.value,
    fingerprint: fingerprint(der),
    isCa: !!bc?.cA,
  };
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  const der = crypto.createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']) as Promise<CryptoKey>;
}

/**
 * A detached CMS SignedData (DER) over content whose SHA-256 is `digest`: signed attributes carry the
 * content type, the digest and the signing time; the signer's certificate and chain are included.
 */
export async function signDigest(id: SigningIdentity, digest: Buffer, signingTime: Date): Promise<Buffer> {
  const cert = parseCert(id.certPem);
  const chain = id.chainPems.map((p) => parseCert(p));
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        // pkijs keeps the issuer's original DER here, so a Vietnamese CA name reaches the verifier unchanged.
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
            new pkijs.Attribute({ type: OID.signingTime, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
            new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: new Uint8Array(digest) })] }),
          ],
        }),
      }),
    ],
    certificates: [cert, ...chain],
  });
  await signedData.sign(await importKey(id.keyPem), 0, 'SHA-256');
  const ci = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(ci.toSchema().toBER(false));
}

/** A detached CMS SignedData (DER) over content. */
export async function signDetached(id: SigningIdentity, content: Buffer, signingTime: Date): Promise<Buffer> {
  return signDigest(id, crypto.createHash('sha256').update(content).digest(), signingTime);
}

/** What a CMS signature says and whether it holds. */
export interface CmsCheck {
  /** The signature matches the content (or digest) it was made over. */
  isIntact: boolean;
  /** The signer's certificate chains to a trusted root, was valid at signing time and is not revoked. */
  isTrusted: boolean;
  isRevoked: boolean;
  signer: CertFacts | null;
  /** Signer first, root last (as far as it could be built). */
  chain: CertFacts[];
  signingTime: Date | null;
  /** SHA-256 of the signed content as the signature states it (hex). */
  contentHash: string | null;
  problem: string | null;
}

/** The roots to trust and the revocation lists at hand (each checked against its issuer when used). */
export interface TrustStore {
  roots: pkijs.Certificate[];
  crls: pkijs.CertificateRevocationList[];
}

function attr(si: pkijs.SignerInfo, oid: string): asn1js.AsnType | undefined {
  return si.signedAttrs?.attributes.find((a) => a.type === oid)?.values[0];
}

/** Builds the chain from a certificate through the given pool up to a self-signed one. */
function buildChain(leaf: pkijs.Certificate, pool: pkijs.Certificate[]): pkijs.Certificate[] {
  const chain = [leaf];
  let cur = leaf;
  for (let i = 0; i < 8; i++) {
    const issuerDer = Buffer.from(cur.issuer.toSchema().toBER(false));
    if (Buffer.from(cur.subject.toSchema().toBER(false)).equals(issuerDer)) break;
    const next = pool.find((c) => Buffer.from(c.subject.toSchema().toBER(false)).equals(issuerDer) && !chain.includes(c));
    if (!next) break;
    chain.push(next);
    cur = next;
  }
  return chain;
}

/**
 * Checks a detached CMS signature over content (or, for PDFs, over content given as bytes): the
 * signature itself, the message digest, the chain to a trusted root at the signing time and the CRLs.
 */
export async function verifyDetached(cmsDer: Buffer, content: Buffer | null, trust: TrustStore): Promise<CmsCheck> {
  const result: CmsCheck = { isIntact: false, isTrusted: false, isRevoked: false, signer: null, chain: [], signingTime: null, contentHash: null, problem: null };
  let sd: pkijs.SignedData;
  try {
    const ci = pkijs.ContentInfo.fromBER(new Uint8Array(cmsDer));
    if (ci.contentType !== OID.signedData) throw new Error('not SignedData');
    sd = new pkijs.SignedData({ schema: ci.content });
  } catch {
    result.problem = 'malformed';
    return result;
  }
  const si = sd.signerInfos[0];
  if (!si) {
    result.problem = 'malformed';
    return result;
  }
  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const sid = si.sid as pkijs.IssuerAndSerialNumber;
  const signerCert = certs.find((c) => c.serialNumber.isEqual(sid.serialNumber) && c.issuer.isEqual(sid.issuer)) ?? null;
  const time = attr(si, OID.signingTime) as asn1js.UTCTime | undefined;
  result.signingTime = time?.toDate() ?? null;
  const md = attr(si, OID.messageDigest) as asn1js.OctetString | undefined;
  result.contentHash = md ? Buffer.from(md.valueBlock.valueHexView).toString('hex') : null;
  if (signerCert) {
    const chain = buildChain(signerCert, [...certs, ...trust.roots]);
    result.signer = certFacts(signerCert);
    result.chain = chain.map((c) => certFacts(c));
  }
  try {
    const ok = await sd.verify({ signer: 0, data: content ? new Uint8Array(content).buffer : undefined, checkChain: false });
    result.isIntact = ok === true;
  } catch {
    result.isIntact = false;
  }
  if (!result.isIntact) result.problem = 'broken';
  if (!signerCert) {
    result.problem ??= 'noSigner';
    return result;
  }
  const checkDate = result.signingTime ?? new Date();
  try {
    const engineV = new pkijs.CertificateChainValidationEngine({ trustedCerts: trust.roots, certs: [...certs.filter((c) => c !== signerCert), signerCert], checkDate });
    const v = await engineV.verify();
    result.isTrusted = v.result === true;
    if (!result.isTrusted) result.problem ??= 'untrusted';
  } catch {
    result.problem ??= 'untrusted';
  }
  result.isRevoked = await isRevoked(buildChain(signerCert, [...certs, ...trust.roots]), trust);
  if (result.isRevoked) {
    result.isTrusted = false;
    result.problem ??= 'revoked';
  }
  return result;
}

/** Parses a CRL file, PEM or DER. */
export function parseCrl(bytes: Buffer): pkijs.CertificateRevocationList {
  const text = bytes.toString('latin1');
  const der = text.includes('-----BEGIN X509 CRL-----') ? Buffer.from(text.replace(/-----(BEGIN|END) X509 CRL-----/g, '').replace(/\s+/g, ''), 'base64') : bytes;
  return pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));
}

/** Revoked serial numbers (hex) of a CRL. */
export function crlSerials(crl: pkijs.CertificateRevocationList): string[] {
  return (crl.revokedCertificates ?? []).map((r) => Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex'));
}

/**
 * Whether a certificate of a chain (leaf first) is revoked by a CRL of its issuer. A CRL counts only when
 * its signature checks with that issuer's certificate from the chain, so intermediates' CRLs work too.
 */
export async function isRevoked(chain: pkijs.Certificate[], trust: TrustStore): Promise<boolean> {
  for (let i = 0; i < chain.length - 1; i++) {
    const cert = chain[i];
    const issuer = chain[i + 1];
    for (const crl of trust.crls) {
      if (!crl.issuer.isEqual(cert.issuer)) continue;
      if (!(crl.revokedCertificates ?? []).some((r) => r.userCertificate.isEqual(cert.serialNumber))) continue;
      if (await crl.verify({ issuerCertificate: issuer }).catch(() => false)) return true;
    }
  }
  return false;
}

/** The chain of an identity (leaf first) up to a trusted root when one matches. */
export function identityChain(id: SigningIdentity, trust: TrustStore): pkijs.Certificate[] {
  return buildChain(parseCert(id.certPem), [...id.chainPems.map((p) => parseCert(p)), ...trust.roots]);
}

/** A CRL (DER) signed by a CA, listing revoked serial numbers (hex). */
export async function makeCrl(ca: KeyAndCert, serials: string[], now = new Date()): Promise<Buffer> {
  const caCert = parseCert(ca.certPem);
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    issuer: caCert.subject,
    thisUpdate: new pkijs.Time({ type: 0, value: now }),
    nextUpdate: new pkijs.Time({ type: 0, value: new Date(now.getTime() + 30 * 86400_000) }),
  });
  if (serials.length) {
    crl.revokedCertificates = serials.map((s) => new pkijs.RevokedCertificate({
      userCertificate: new asn1js.Integer({ valueHex: new Uint8Array(Buffer.from(s, 'hex')) }),
      revocationDate: new pkijs.Time({ type: 0, value: now }),
    }));
  }
  await crl.sign(await importKey(ca.keyPem), 'SHA-256');
  return Buffer.from(crl.toSchema(true).toBER(false));
}

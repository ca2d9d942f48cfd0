// Signed checkpoints of the audit chain: a small JSON file naming the chain's last row, signed with Ed25519, that an
// auditor keeps outside the database and checks later, with govflow or with openssl alone (docs/audit.md).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Op } from 'sequelize';
import { getConfig, readOrCreateKeyFile } from '../config.ts';
import { toVnIso } from '../time.ts';
import { AuditEntry } from './models.ts';
import { verifyAudit, type AuditVerification } from './service.ts';

/** What a checkpoint file says. */
export interface Checkpoint {
  type: 'govflow-audit-checkpoint';
  version: 1;
  /** Sequence number of the chain's last row (0 for an empty chain). */
  lastSeq: number;
  /** Database id of that row. */
  lastId: number | null;
  /** Its hash: every row before it is bound into it. */
  lastHash: string;
  /** Rows in the chain up to and including it. */
  count: number;
  /** Audit key that signed that row (null for an unkeyed row). */
  keyId: string | null;
  /** When the checkpoint was taken, in Vietnam time. */
  at: string;
  /** SHA-256 fingerprint of the Ed25519 public key that signs the file. */
  signer: string;
}

/** The Ed25519 private key file in DATA_DIR, generated on first use. */
export function checkpointKeyFile(): string {
  return path.join(getConfig().dataDir, 'audit-checkpoint.key');
}

function privateKey(): crypto.KeyObject {
  const pem = readOrCreateKeyFile(checkpointKeyFile(), () => crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return crypto.createPrivateKey(pem);
}

/** The public half of the checkpoint key in PEM (SPKI), for auditors. */
export function checkpointPublicKey(): string {
  return crypto.createPublicKey(privateKey()).export({ type: 'spki', format: 'pem' }).toString();
}

function fingerprint(publicKey: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Thrown when no checkpoint can be taken because the chain is already broken. */
export class BrokenChainError extends Error {
  constructor(public readonly verification: AuditVerification) {
    super(`the audit chain is broken at row ${verification.problem?.seq}: ${verification.problem?.message}`);
    this.name = 'BrokenChainError';
  }
}

/**
 * Verifies the chain, then signs its end. The signed bytes are the JSON file exactly as written; the signature is
 * the raw 64-byte Ed25519 signature, kept beside it as `FILE.sig`.
 */
export async function createCheckpoint(now = new Date()): Promise<{ checkpoint: Checkpoint; json: Buffer; signature: Buffer }> {
  const v = await verifyAudit();
  if (!v.ok || !v.last) throw new BrokenChainError(v);
  const key = privateKey();
  const checkpoint: Checkpoint = {
    type: 'govflow-audit-checkpoint',
    version: 1,
    lastSeq: v.last.seq,
    lastId: v.last.id,
    lastHash: v.last.hash,
    count: v.rows,
    keyId: v.last.keyId,
    at: toVnIso(now)!,
    signer: fingerprint(crypto.createPublicKey(key)),
  };
  const json = Buffer.from(JSON.stringify(checkpoint, null, 2) + '\n');
  return { checkpoint, json, signature: crypto.sign(null, json, key) };
}

/** Writes a checkpoint to FILE and its signature to FILE.sig. */
export async function writeCheckpoint(file: string): Promise<Checkpoint> {
  const { checkpoint, json, signature } = await createCheckpoint();
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, json);
  fs.writeFileSync(`${file}.sig`, signature);
  return checkpoint;
}

/** The outcome of checking a checkpoint against the database. */
export interface CheckpointVerification {
  ok: boolean;
  checkpoint: Checkpoint | null;
  chain: AuditVerification | null;
  problem: string | null;
}

/**
 * Checks a checkpoint file: its signature (with the given public key, or this installation's), the chain as it is
 * now, and that the chain still holds the checkpoint's row with the same id and hash and the same number of rows up
 * to it. A truncated chain, or one rebuilt before that row, fails here even when it verifies on its own.
 */
export async function verifyCheckpoint(file: string, opts: { publicKeyPem?: string } = {}): Promise<CheckpointVerification> {
  const json = fs.readFileSync(file);
  const sigFile = `${file}.sig`;
  if (!fs.existsSync(sigFile)) return { ok: false, checkpoint: null, chain: null, problem: `signature file ${sigFile} is missing` };
  const publicKey = crypto.createPublicKey(opts.publicKeyPem ?? checkpointPublicKey());
  if (!crypto.verify(null, json, publicKey, fs.readFileSync(sigFile))) {
    return { ok: false, checkpoint: null, chain: null, problem: 'the signature does not match the checkpoint file (or was made with another key)' };
  }
  const cp = JSON.parse(json.toString('utf8')) as Checkpoint;
  if (cp.type !== 'govflow-audit-checkpoint' || cp.version !== 1) return { ok: false, checkpoint: cp, chain: null, problem: 'not a govflow audit checkpoint (version 1)' };
  const chain = await verifyAudit();
  if (!chain.ok) return { ok: false, checkpoint: cp, chain, problem: `the chain is broken at row ${chain.problem!.seq} (${chain.problem!.kind}): ${chain.problem!.message}` };
  if (cp.lastSeq > 0) {
    const row = await AuditEntry.findOne({ where: { seq: cp.lastSeq } });
    if (!row) return { ok: false, checkpoint: cp, chain, problem: `row ${cp.lastSeq} of the checkpoint is no longer in the chain (it ends at row ${chain.last?.seq ?? 0}): history was truncated` };
    if (row.hash !== cp.lastHash || Number(row.id) !== cp.lastId) {
      return { ok: false, checkpoint: cp, chain, problem: `row ${cp.lastSeq} no longer has the checkpoint's id and hash: history up to it was rewritten` };
    }
  }
  const count = await AuditEntry.count({ where: { seq: { [Op.lte]: cp.lastSeq } } });
  if (count !== cp.count) return { ok: false, checkpoint: cp, chain, problem: `the chain holds ${count} rows up to row ${cp.lastSeq}, the checkpoint ${cp.count}` };
  return { ok: true, checkpoint: cp, chain, problem: null };
}

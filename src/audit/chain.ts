// The hash functions of the audit chain, kept free of the database so the migration and the tests use the very same ones.
import crypto from 'node:crypto';
import type { AuditKey } from '../config.ts';

/** The hash a chain starts from. */
export const GENESIS = '0'.repeat(64);

/** The content of one row that its hash covers. */
export interface ChainRow {
  seq: number;
  at: Date;
  actorId: number | null;
  actorName: string | null;
  orgCode: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  detail: string | null;
}

/** What the head MAC covers: the last row and where the unkeyed part of the chain ends. */
export interface ChainHead {
  seq: number;
  hash: string;
  legacySeq: number;
}

function canonical(r: ChainRow): unknown[] {
  return [
    Number(r.seq), new Date(r.at).toISOString(), r.actorId ?? null, r.actorName ?? null, r.orgCode ?? null,
    r.action, r.targetType ?? null, r.targetId ?? null, r.ip ?? null, r.detail ?? null,
  ];
}

/** The plain SHA-256 of a row written before the chain was keyed (key id null). */
export function legacyRowHash(prevHash: string, r: ChainRow): string {
  return crypto.createHash('sha256').update(prevHash).update(JSON.stringify(canonical(r))).digest('hex');
}

/** The HMAC-SHA256 of a keyed row; the key id is part of the content so a row cannot be moved to another key. */
export function keyedRowHash(key: AuditKey, prevHash: string, r: ChainRow): string {
  return crypto.createHmac('sha256', key.secret).update(prevHash).update(JSON.stringify([...canonical(r), key.id])).digest('hex');
}

/** The HMAC of the head row: without the key nobody can move the end of the chain or the end of its unkeyed part. */
export function headMac(key: AuditKey, head: ChainHead): string {
  return crypto.createHmac('sha256', key.secret).update(JSON.stringify(['audit_head', Number(head.seq), head.hash, Number(head.legacySeq), key.id])).digest('hex');
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

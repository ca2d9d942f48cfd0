// Appends to and verifies the hash-chained audit log.
import crypto from 'node:crypto';
import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { AuditEntry, AuditHead } from './models.ts';
import { inTransaction, isMysql } from '../store/index.ts';

/** Who did something, as the web layer or the CLI knows them. */
export interface Actor {
  id?: number | null;
  username?: string | null;
  orgCode?: string | null;
  ip?: string | null;
}

/** One action to record. */
export interface AuditInput {
  action: string;
  targetType?: string;
  targetId?: string | number;
  detail?: unknown;
}

const GENESIS = '0'.repeat(64);

/** The hash of a row chained to its predecessor's hash (exported so tests can forge rows the way an attacker would). */
export function rowHash(prevHash: string, r: { seq: number; at: Date; actorId: number | null; actorName: string | null; orgCode: string | null; action: string; targetType: string | null; targetId: string | null; ip: string | null; detail: string | null }): string {
  const canonical = JSON.stringify([
    Number(r.seq), new Date(r.at).toISOString(), r.actorId ?? null, r.actorName ?? null, r.orgCode ?? null,
    r.action, r.targetType ?? null, r.targetId ?? null, r.ip ?? null, r.detail ?? null,
  ]);
  return crypto.createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

/** Appends one entry to the chain, inside the caller's transaction when given. */
export async function appendAudit(actor: Actor | null, input: AuditInput, transaction?: Transaction | null): Promise<AuditEntry> {
  return inTransaction(async (t) => {
    // The head row is the chain's lock: concurrent writers on any node queue here.
    const head = await AuditHead.findByPk(1, { transaction: t, lock: isMysql() ? t.LOCK.UPDATE : undefined });
    if (!head) throw new Error('audit_head row missing: run migrations');
    const at = new Date();
    const fields = {
      seq: Number(head.seq) + 1,
      at,
      actorId: actor?.id ?? null,
      actorName: actor?.username ?? null,
      orgCode: actor?.orgCode ?? null,
      action: input.action,
      targetType: input.targetType ?? null,
      targetId: input.targetId === undefined ? null : String(input.targetId),
      ip: actor?.ip ?? null,
      detail: input.detail === undefined ? null : JSON.stringify(input.detail),
    };
    const hash = rowHash(head.hash, fields);
    const entry = await AuditEntry.create({ ...fields, prevHash: head.hash, hash }, { transaction: t });
    await AuditHead.update({ seq: fields.seq, hash }, { where: { id: 1 }, transaction: t });
    return entry;
  }, transaction);
}

/** The first problem found in the chain, or null when it is intact. */
export interface AuditBreak {
  seq: number;
  kind: 'altered' | 'inserted' | 'deleted';
  message: string;
}

/** Walks the whole chain in order and reports the first altered, inserted or deleted row. */
export async function verifyAudit(): Promise<{ ok: boolean; rows: number; problem: AuditBreak | null }> {
  const head = await AuditHead.findByPk(1);
  const headSeq = head ? Number(head.seq) : null;
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let rows = 0;
  const pageSize = 5000;
  // Walk by sequence number, not by id: a row slipped in later gets a high id but may claim an old seq.
  let lastSeq = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const page = await AuditEntry.findAll({ where: { seq: { [Op.gt]: lastSeq } }, order: [['seq', 'ASC']], limit: pageSize });
    for (const r of page) {
      rows++;
      const seq = Number(r.seq);
      if (headSeq !== null && seq > headSeq) {
        // The head row is written with every append, so a row beyond it was not appended by govflow.
        return { ok: false, rows, problem: { seq, kind: 'inserted', message: `row ${seq} (id ${r.id}) lies beyond the chain head (${headSeq})` } };
      }
      if (seq < expectedSeq) {
        return { ok: false, rows, problem: { seq, kind: 'inserted', message: `row ${seq} (id ${r.id}) comes before the first row of the chain` } };
      }
      if (seq > expectedSeq) {
        return { ok: false, rows, problem: { seq: expectedSeq, kind: 'deleted', message: `row ${expectedSeq} is missing (next row present is ${seq})` } };
      }
      if (rowHash(r.prevHash, r) !== r.hash) {
        return { ok: false, rows, problem: { seq, kind: 'altered', message: `row ${seq} (id ${r.id}) was changed after it was written` } };
      }
      if (r.prevHash !== prevHash) {
        // Each row is whole in itself, so the link to its predecessor broke: that row was rewritten with a fresh hash,
        // or replaced by a forged one.
        if (seq === 1) return { ok: false, rows, problem: { seq, kind: 'inserted', message: `row 1 (id ${r.id}) does not start from the genesis hash` } };
        return { ok: false, rows, problem: { seq: seq - 1, kind: 'altered', message: `row ${seq - 1} was rewritten or replaced: row ${seq} (id ${r.id}) recorded a different hash for it` } };
      }
      prevHash = r.hash;
      expectedSeq++;
      lastSeq = seq;
    }
    if (page.length < pageSize) break;
  }
  if (headSeq !== null && headSeq > expectedSeq - 1) {
    return { ok: false, rows, problem: { seq: expectedSeq, kind: 'deleted', message: `rows ${expectedSeq}–${headSeq} at the end are missing` } };
  }
  if (head && head.hash !== prevHash) {
    return { ok: false, rows, problem: { seq: expectedSeq - 1, kind: 'altered', message: `last row ${expectedSeq - 1} does not match the chain head` } };
  }
  return { ok: true, rows, problem: null };
}

/** Filters of the audit search screen. */
export interface AuditQuery {
  actor?: string;
  org?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  page?: number;
  pageSize?: number;
}

/** Searches the log, newest first, one page at a time. */
export async function searchAudit(q: AuditQuery): Promise<{ rows: AuditEntry[]; total: number; page: number; pageSize: number }> {
  const where: WhereOptions = {};
  const w = where as Record<string | symbol, unknown>;
  if (q.actor) w.actorName = q.actor;
  if (q.org) w.orgCode = q.org;
  if (q.action) w.action = { [Op.like]: `${q.action}%` };
  if (q.target) {
    const [type, id] = q.target.split(':');
    w.targetType = type;
    if (id) w.targetId = id;
  }
  if (q.from || q.to) w.at = { ...(q.from ? { [Op.gte]: q.from } : {}), ...(q.to ? { [Op.lte]: q.to } : {}) };
  const pageSize = q.pageSize ?? 50;
  const page = Math.max(1, q.page ?? 1);
  const { rows, count } = await AuditEntry.findAndCountAll({ where, order: [['seq', 'DESC']], limit: pageSize, offset: (page - 1) * pageSize });
  return { rows, total: count, page, pageSize };
}

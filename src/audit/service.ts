// Appends to and verifies the keyed hash chain of the audit log (docs/audit.md).
import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { AuditEntry, AuditHead } from './models.ts';
import { GENESIS, headMac, keyedRowHash, legacyRowHash, sameDigest, type ChainRow } from './chain.ts';
import { inTransaction, isMysql } from '../store/index.ts';
import { getConfig, type AuditKey } from '../config.ts';
import { AppError } from '../errors.ts';

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

/** The plain SHA-256 of an unkeyed row (kept under its old name: tests forge rows with it the way an attacker would). */
export const rowHash = legacyRowHash;

/** Thrown when the chain head does not carry a valid MAC: appending would sign whatever someone wrote there. */
function headRejected(reason: string): AppError {
  return new AppError('audit.headRejected', 500, { reason });
}

/** The chain head as read (and locked) by a writer. */
export interface HeadState {
  seq: number | string;
  hash: string;
  legacySeq: number | string;
  keyId: string | null;
  mac: string | null;
}

/** The row to insert into `audit_log` and the values to set on `audit_head` (id 1) for one append. */
export interface AuditAppend {
  row: ChainRow & { prevHash: string; hash: string; keyId: string };
  head: { seq: number; hash: string; keyId: string; mac: string };
}

/**
 * Computes one append from the locked head: checks the head's MAC, then signs the new row and the new head with the
 * first configured key. appendAudit() uses it; code that writes through its own connection (inside its own
 * transaction, after locking the head row) can use it to write the very same rows; `at` must be stored to the
 * millisecond, as the hash covers it so.
 */
export function planAuditAppend(head: HeadState | null, actor: Actor | null, input: AuditInput, at = new Date()): AuditAppend {
  if (!head) throw headRejected('audit_head row missing');
  const keys = getConfig().auditKeys;
  const headKey = keys.find((k) => k.id === head.keyId);
  if (!headKey) throw headRejected(head.keyId ? `key "${head.keyId}" is not in AUDIT_KEYS` : 'no key id');
  const legacySeq = Number(head.legacySeq);
  if (!sameDigest(head.mac, headMac(headKey, { seq: Number(head.seq), hash: head.hash, legacySeq }))) throw headRejected('MAC mismatch');
  const key = keys[0];
  const fields: ChainRow = {
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
  const hash = keyedRowHash(key, head.hash, fields);
  return {
    row: { ...fields, prevHash: head.hash, hash, keyId: key.id },
    head: { seq: fields.seq, hash, keyId: key.id, mac: headMac(key, { seq: fields.seq, hash, legacySeq }) },
  };
}

/**
 * Appends one entry to the chain. Pass the transaction of the action the entry records, so that both commit or
 * neither does; without one the entry is written alone, which is right only when the entry is the whole event
 * (a failed login). `audited()` runs an action and its entry together.
 */
export async function appendAudit(actor: Actor | null, input: AuditInput, transaction?: Transaction | null): Promise<AuditEntry> {
  return inTransaction(async (t) => {
    // The head row is the chain's lock: concurrent writers on any node queue here.
    const head = await AuditHead.findByPk(1, { transaction: t, lock: isMysql() ? t.LOCK.UPDATE : undefined });
    const plan = planAuditAppend(head, actor, input);
    const entry = await AuditEntry.create({ ...plan.row }, { transaction: t });
    await AuditHead.update(plan.head, { where: { id: 1 }, transaction: t });
    return entry;
  }, transaction);
}

/**
 * Runs an action and appends its audit entry in one transaction (the caller's, when given): when the entry cannot be
 * written the action is rolled back. The entry may be computed from the action's result.
 */
export async function audited<T>(actor: Actor | null, input: AuditInput | ((result: T) => AuditInput), action: (t: Transaction) => Promise<T>, transaction?: Transaction | null): Promise<T> {
  return inTransaction(async (t) => {
    const result = await action(t);
    await appendAudit(actor, typeof input === 'function' ? input(result) : input, t);
    return result;
  }, transaction);
}

/** The first problem found in the chain, or null when it is intact. */
export interface AuditBreak {
  seq: number;
  kind: 'altered' | 'inserted' | 'deleted' | 'unverifiable';
  message: string;
}

/** The last row a verification covered. */
export interface AuditTip {
  seq: number;
  id: number | null;
  hash: string;
  keyId: string | null;
}

/** The outcome of a chain verification. */
export interface AuditVerification {
  ok: boolean;
  rows: number;
  problem: AuditBreak | null;
  /** The chain's end as verified (only when ok). */
  last?: AuditTip;
}

/**
 * Walks the whole chain in order with the configured keys (or the given ones) and reports the first altered,
 * inserted or deleted row, or a row signed by a key it does not hold. Rows appended while it runs are left to the
 * next run.
 */
export async function verifyAudit(opts: { keys?: ReadonlyArray<AuditKey> } = {}): Promise<AuditVerification> {
  const keys = new Map((opts.keys ?? getConfig().auditKeys).map((k) => [k.id, k]));
  const head = await AuditHead.findByPk(1);
  if (!head) return { ok: false, rows: 0, problem: { seq: 0, kind: 'deleted', message: 'the chain head row (audit_head) is missing' } };
  const headSeq = Number(head.seq);
  const legacySeq = Number(head.legacySeq);
  let prevHash = GENESIS;
  let lastRow: AuditEntry | null = null;
  let expectedSeq = 1;
  let rows = 0;
  let keyedFrom: number | null = null;
  const fail = (problem: AuditBreak): AuditVerification => ({ ok: false, rows, problem });
  const pageSize = 5000;
  // Walk by sequence number, not by id: a row slipped in later gets a high id but may claim an old seq.
  let lastSeq = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const page = await AuditEntry.findAll({ where: { seq: { [Op.gt]: lastSeq, [Op.lte]: headSeq } }, order: [['seq', 'ASC']], limit: pageSize });
    for (const r of page) {
      rows++;
      const seq = Number(r.seq);
      if (seq < expectedSeq) return fail({ seq, kind: 'inserted', message: `row ${seq} (id ${r.id}) comes before the first row of the chain` });
      if (seq > expectedSeq) return fail({ seq: expectedSeq, kind: 'deleted', message: `row ${expectedSeq} is missing (next row present is ${seq})` });
      if (r.keyId === null) {
        // Plain hashes can be recomputed by anyone, so they are accepted only where the chain was never keyed.
        if (seq > legacySeq || keyedFrom !== null) {
          return fail({ seq, kind: 'altered', message: `row ${seq} (id ${r.id}) carries a plain hash where the chain is keyed (from row ${keyedFrom ?? legacySeq + 1}): it was rewritten` });
        }
        if (!sameDigest(r.hash, legacyRowHash(r.prevHash, r))) return fail({ seq, kind: 'altered', message: `row ${seq} (id ${r.id}) was changed after it was written` });
      } else {
        if (seq <= legacySeq) return fail({ seq, kind: 'altered', message: `row ${seq} (id ${r.id}) claims key "${r.keyId}" inside the unkeyed part of the chain (rows 1–${legacySeq})` });
        const key = keys.get(r.keyId);
        if (!key) return fail({ seq, kind: 'unverifiable', message: `row ${seq} (id ${r.id}) is signed with key "${r.keyId}", which AUDIT_KEYS does not hold` });
        if (!sameDigest(r.hash, keyedRowHash(key, r.prevHash, r))) return fail({ seq, kind: 'altered', message: `row ${seq} (id ${r.id}) was changed after it was written` });
        keyedFrom ??= seq;
      }
      if (r.prevHash !== prevHash) {
        // Each row is whole in itself, so the link to its predecessor broke: that row was rewritten with a fresh hash,
        // or replaced by a forged one.
        if (seq === 1) return fail({ seq, kind: 'inserted', message: `row 1 (id ${r.id}) does not start from the genesis hash` });
        return fail({ seq: seq - 1, kind: 'altered', message: `row ${seq - 1} was rewritten or replaced: row ${seq} (id ${r.id}) recorded a different hash for it` });
      }
      prevHash = r.hash;
      lastRow = r;
      expectedSeq++;
      lastSeq = seq;
    }
    if (page.length < pageSize) break;
  }
  if (headSeq > expectedSeq - 1) return fail({ seq: expectedSeq, kind: 'deleted', message: `rows ${expectedSeq}–${headSeq} at the end are missing` });
  if (head.hash !== prevHash) return fail({ seq: expectedSeq - 1, kind: 'altered', message: `last row ${expectedSeq - 1} does not match the chain head` });
  const headKey = head.keyId === null ? undefined : keys.get(head.keyId);
  if (!headKey) return fail({ seq: headSeq, kind: 'unverifiable', message: `the chain head is signed with key "${head.keyId ?? '(none)'}", which AUDIT_KEYS does not hold` });
  if (!sameDigest(head.mac, headMac(headKey, { seq: headSeq, hash: head.hash, legacySeq }))) {
    return fail({ seq: headSeq, kind: 'altered', message: `the chain head (row ${headSeq}, unkeyed part up to row ${legacySeq}) was rewritten: its MAC does not match` });
  }
  // A row beyond the head was not appended by govflow, which moves the head with every row. The highest row is read
  // before the head, so a row appended meanwhile is always covered by the head read after it.
  const beyond = Number(await AuditEntry.max('seq')) || 0;
  const headNow = await AuditHead.findByPk(1);
  if (headNow && beyond > Number(headNow.seq)) {
    const r = await AuditEntry.findOne({ where: { seq: beyond } });
    return fail({ seq: beyond, kind: 'inserted', message: `row ${beyond} (id ${r?.id}) lies beyond the chain head (${Number(headNow.seq)})` });
  }
  return { ok: true, rows, problem: null, last: { seq: headSeq, id: lastRow ? Number(lastRow.id) : null, hash: head.hash, keyId: lastRow?.keyId ?? null } };
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

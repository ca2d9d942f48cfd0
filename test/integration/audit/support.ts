// What someone with write access to the database does to the audit log, and a clean start for chain tests.
import { db } from '../../../src/store/index.ts';
import { getConfig, type AuditKey } from '../../../src/config.ts';
import { AuditEntry, AuditHead } from '../../../src/audit/models.ts';
import { GENESIS, headMac, keyedRowHash, legacyRowHash } from '../../../src/audit/chain.ts';

/** Empties the log and gives it a valid head, as a fresh migration does. */
export async function resetChain(): Promise<void> {
  await db().query('DELETE FROM audit_log');
  const key = getConfig().auditKeys[0];
  await AuditHead.update({ seq: 0, hash: GENESIS, legacySeq: 0, keyId: key.id, mac: headMac(key, { seq: 0, hash: GENESIS, legacySeq: 0 }) }, { where: { id: 1 } });
}

/** The rows in chain order. */
export const chainRows = () => AuditEntry.findAll({ order: [['seq', 'ASC']] });

/**
 * Rehashes every row from `fromSeq` on so that each links to the one before: with plain SHA-256 (no key, as the
 * chain was before it was keyed) or with the given key; then moves the head onto the new last hash. The head's MAC
 * is recomputed only when the key is given: without it nobody can.
 */
export async function recomputeChain(fromSeq: number, key: AuditKey | null, headPatch: { legacySeq?: number } = {}): Promise<void> {
  const all = await chainRows();
  let prev = all.find((r) => Number(r.seq) === fromSeq - 1)?.hash ?? GENESIS;
  for (const r of all) {
    if (Number(r.seq) < fromSeq) continue;
    const hash = key ? keyedRowHash(key, prev, r) : legacyRowHash(prev, r);
    await AuditEntry.update({ prevHash: prev, hash, keyId: key?.id ?? null }, { where: { id: r.id } });
    prev = hash;
  }
  const last = all.at(-1)!;
  const head = (await AuditHead.findByPk(1))!;
  const legacySeq = headPatch.legacySeq ?? Number(head.legacySeq);
  const patch: Record<string, unknown> = { seq: Number(last.seq), hash: prev, legacySeq };
  if (key) Object.assign(patch, { keyId: key.id, mac: headMac(key, { seq: Number(last.seq), hash: prev, legacySeq }) });
  await AuditHead.update(patch, { where: { id: 1 } });
}

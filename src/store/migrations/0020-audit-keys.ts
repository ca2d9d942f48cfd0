import type { Migration } from '../migrate.ts';
import { getConfig } from '../../config.ts';
import { GENESIS, headMac } from '../../audit/chain.ts';

// The audit chain becomes keyed (HMAC-SHA256, docs/audit.md): each row names the key that signed it (null for the
// plain SHA-256 rows written before), and the head row records where that unkeyed part ends, under a MAC, so nobody
// without the key can turn keyed rows back into recomputable plain ones.
export const up: Migration = async ({ context: { qi, sequelize, DataTypes } }) => {
  await qi.addColumn('audit_log', 'key_id', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addColumn('audit_head', 'legacy_seq', { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 });
  await qi.addColumn('audit_head', 'key_id', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addColumn('audit_head', 'mac', { type: DataTypes.STRING(64), allowNull: true });
  const [rows] = (await sequelize.query('SELECT seq, hash FROM audit_head WHERE id = 1')) as [Array<{ seq: number | string; hash: string }>, unknown];
  const head = rows[0] ?? { seq: 0, hash: GENESIS };
  const key = getConfig().auditKeys[0];
  const seq = Number(head.seq);
  const mac = headMac(key, { seq, hash: head.hash, legacySeq: seq });
  await sequelize.query('UPDATE audit_head SET legacy_seq = ?, key_id = ?, mac = ? WHERE id = 1', { replacements: [seq, key.id, mac] });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeColumn('audit_head', 'mac');
  await qi.removeColumn('audit_head', 'key_id');
  await qi.removeColumn('audit_head', 'legacy_seq');
  await qi.removeColumn('audit_log', 'key_id');
};

import type { Migration } from '../migrate.ts';

export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('audit_log', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    seq: { type: DataTypes.BIGINT, allowNull: false, unique: true },
    at: { type: DataTypes.DATE(3), allowNull: false },
    actor_id: { type: DataTypes.INTEGER, allowNull: true },
    actor_name: { type: DataTypes.STRING(64), allowNull: true },
    org_code: { type: DataTypes.STRING(40), allowNull: true },
    action: { type: DataTypes.STRING(64), allowNull: false },
    target_type: { type: DataTypes.STRING(40), allowNull: true },
    target_id: { type: DataTypes.STRING(64), allowNull: true },
    ip: { type: DataTypes.STRING(64), allowNull: true },
    detail: { type: DataTypes.TEXT, allowNull: true },
    prev_hash: { type: DataTypes.STRING(64), allowNull: false },
    hash: { type: DataTypes.STRING(64), allowNull: false },
  });
  await qi.addIndex('audit_log', ['at'], { name: 'audit_log_at' });
  await qi.addIndex('audit_log', ['actor_name'], { name: 'audit_log_actor' });
  await qi.addIndex('audit_log', ['action'], { name: 'audit_log_action' });
  await qi.addIndex('audit_log', ['target_type', 'target_id'], { name: 'audit_log_target' });
  // One row that writers lock, so appends from several nodes form one chain.
  await qi.createTable('audit_head', {
    id: { type: DataTypes.INTEGER, primaryKey: true },
    seq: { type: DataTypes.BIGINT, allowNull: false },
    hash: { type: DataTypes.STRING(64), allowNull: false },
  });
  await qi.bulkInsert('audit_head', [{ id: 1, seq: 0, hash: '0'.repeat(64) }]);
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('audit_head');
  await qi.dropTable('audit_log');
};

import type { Migration } from '../migrate.ts';

// Creating calls of the engine API remember their answer per (user, Idempotency-Key): a retry with the
// same key and body gets the first answer; the unique index makes two concurrent retries act once.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('engine_idempotency', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false },
    idem_key: { type: DataTypes.STRING(190), allowNull: false },
    fingerprint: { type: DataTypes.STRING(64), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    response_status: { type: DataTypes.INTEGER, allowNull: true },
    response_body: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('engine_idempotency', ['user_id', 'idem_key'], { unique: true, name: 'engine_idempotency_user_key' });
  await qi.addIndex('engine_idempotency', ['created_at'], { name: 'engine_idempotency_created' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('engine_idempotency');
};

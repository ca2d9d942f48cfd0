import type { Migration } from '../migrate.ts';

// Counters that hold across nodes: fixed-window rate limits of the login and registration forms and
// the failed-login lock, keyed by what the caller submitted (so unknown usernames lock like real ones).
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('auth_throttles', {
    bucket: { type: DataTypes.STRING(80), primaryKey: true },
    window_start: { type: DataTypes.DATE(3), allowNull: false },
    hits: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    failures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    lock_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    locked_until: { type: DataTypes.DATE(3), allowNull: true },
    expires_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('auth_throttles', ['expires_at'], { name: 'auth_throttles_expires' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('auth_throttles');
};

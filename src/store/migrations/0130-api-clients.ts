import type { Migration } from '../migrate.ts';

// Machine callers of the Camunda-style REST API (`/engine-rest`): each has a random id, a scrypt hash of
// its secret (the secret itself is shown once and never stored) the topics it may serve and the process keys it may start or send messages to.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('api_clients', {
    id: { type: DataTypes.STRING(40), primaryKey: true },
    name: { type: DataTypes.STRING(190), allowNull: false },
    secret_hash: { type: DataTypes.STRING(255), allowNull: false },
    topics: { type: DataTypes.TEXT, allowNull: false },
    processes: { type: DataTypes.TEXT, allowNull: false },
    created_by: { type: DataTypes.STRING(64), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    last_used_at: { type: DataTypes.DATE, allowNull: true },
    revoked_at: { type: DataTypes.DATE, allowNull: true },
    revoked_by: { type: DataTypes.STRING(64), allowNull: true },
  });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('api_clients');
};

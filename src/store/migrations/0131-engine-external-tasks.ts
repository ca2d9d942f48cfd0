import type { Migration } from '../migrate.ts';

// External tasks: a service task no in-process handler serves waits as one row per execution, which
// workers fetch and lock through `/engine-rest`. The lock is the row (worker id + expiry), so workers
// talking to any node see one queue; the instance's own transaction writes and removes the row.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('engine_external_tasks', {
    id: { type: DataTypes.STRING(36), primaryKey: true },
    instance_id: { type: DataTypes.STRING(36), allowNull: false },
    definition_id: { type: DataTypes.INTEGER, allowNull: false },
    definition_key: { type: DataTypes.STRING(190), allowNull: false },
    business_key: { type: DataTypes.STRING(190), allowNull: true },
    element_id: { type: DataTypes.STRING(190), allowNull: false },
    execution_id: { type: DataTypes.STRING(190), allowNull: false },
    topic: { type: DataTypes.STRING(190), allowNull: false },
    priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    status: { type: DataTypes.STRING(16), allowNull: false },
    worker_id: { type: DataTypes.STRING(190), allowNull: true },
    lock_expires_at: { type: DataTypes.DATE(3), allowNull: true },
    retries: { type: DataTypes.INTEGER, allowNull: true },
    error_message: { type: DataTypes.STRING(1000), allowNull: true },
    error_details: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('engine_external_tasks', ['execution_id'], { unique: true, name: 'engine_external_tasks_execution' });
  await qi.addIndex('engine_external_tasks', ['topic', 'status', 'lock_expires_at'], { name: 'engine_external_tasks_fetch' });
  await qi.addIndex('engine_external_tasks', ['instance_id'], { name: 'engine_external_tasks_instance' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('engine_external_tasks');
};

import type { Migration } from '../migrate.ts';

// Call activities: an instance started by another one remembers the caller and the waiting
// execution, at most one child per execution (a start job that runs twice starts one child).
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.addColumn('engine_instances', 'parent_instance_id', { type: DataTypes.STRING(36), allowNull: true });
  await qi.addColumn('engine_instances', 'parent_execution_id', { type: DataTypes.STRING(190), allowNull: true });
  await qi.addIndex('engine_instances', ['parent_execution_id'], { unique: true, name: 'engine_instances_parent_execution' });
  await qi.addIndex('engine_instances', ['parent_instance_id'], { name: 'engine_instances_parent' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeIndex('engine_instances', 'engine_instances_parent');
  await qi.removeIndex('engine_instances', 'engine_instances_parent_execution');
  await qi.removeColumn('engine_instances', 'parent_execution_id');
  await qi.removeColumn('engine_instances', 'parent_instance_id');
};

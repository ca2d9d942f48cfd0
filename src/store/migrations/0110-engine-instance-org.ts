import type { Migration } from '../migrate.ts';

// Every instance belongs to an org unit (code and materialized path, fixed at start) so that access to
// it follows the same org-scope rule as orgs and users. Older instances take the unit of their tasks.
export const up: Migration = async ({ context: { qi, sequelize, DataTypes } }) => {
  await qi.addColumn('engine_instances', 'org_code', { type: DataTypes.STRING(40), allowNull: true });
  await qi.addColumn('engine_instances', 'org_path', { type: DataTypes.STRING(255), allowNull: true });
  await qi.addIndex('engine_instances', ['org_path'], { name: 'engine_instances_org_path' });
  await sequelize.query(
    'UPDATE engine_instances SET org_code = (SELECT MIN(t.org_code) FROM engine_tasks t WHERE t.instance_id = engine_instances.id AND t.org_code IS NOT NULL) WHERE org_code IS NULL');
  await sequelize.query(
    "UPDATE engine_instances SET org_path = (SELECT o.path FROM org_units o WHERE o.code = engine_instances.org_code AND o.tree = 'current') WHERE org_code IS NOT NULL");
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeIndex('engine_instances', 'engine_instances_org_path');
  await qi.removeColumn('engine_instances', 'org_path');
  await qi.removeColumn('engine_instances', 'org_code');
};

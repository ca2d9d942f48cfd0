import type { Migration } from '../migrate.ts';

export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('org_units', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    tree: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'current' },
    code: { type: DataTypes.STRING(40), allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: false },
    level: { type: DataTypes.STRING(20), allowNull: false },
    kind: { type: DataTypes.STRING(40), allowNull: false },
    parent_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'org_units', key: 'id' } },
    path: { type: DataTypes.STRING(255), allowNull: false, defaultValue: '/' },
    depth: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    valid_from: { type: DataTypes.DATEONLY, allowNull: true },
    valid_to: { type: DataTypes.DATEONLY, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('org_units', ['tree', 'code'], { unique: true, name: 'org_units_tree_code' });
  await qi.addIndex('org_units', ['path'], { name: 'org_units_path' });
  await qi.addIndex('org_units', ['parent_id'], { name: 'org_units_parent' });
  await qi.addIndex('org_units', ['name'], { name: 'org_units_name' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('org_units');
};

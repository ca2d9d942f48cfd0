import type { Migration } from '../migrate.ts';

// Report forms: versioned definitions (draft → published) and the submissions filled against them.
export const up: Migration = async ({ context: { qi, DataTypes, longText: long } }) => {
  await qi.createTable('form_definitions', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    key: { type: DataTypes.STRING(60), allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    status: { type: DataTypes.STRING(12), allowNull: false },
    code: { type: DataTypes.STRING(60), allowNull: false },
    name: { type: DataTypes.STRING(500), allowNull: false },
    period_kind: { type: DataTypes.STRING(12), allowNull: false },
    definition: { type: long, allowNull: false },
    created_by: { type: DataTypes.INTEGER, allowNull: true },
    published_by: { type: DataTypes.INTEGER, allowNull: true },
    published_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('form_definitions', ['key', 'version'], { unique: true, name: 'form_definitions_key_version' });
  await qi.addIndex('form_definitions', ['status'], { name: 'form_definitions_status' });

  await qi.createTable('form_submissions', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    form_definition_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'form_definitions', key: 'id' } },
    form_key: { type: DataTypes.STRING(60), allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    // 0 when the submission belongs to no unit (a designer's sample); no foreign key for that reason.
    org_unit_id: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    period: { type: DataTypes.STRING(20), allowNull: false },
    status: { type: DataTypes.STRING(12), allowNull: false },
    values: { type: long, allowNull: false },
    explanations: { type: long, allowNull: false },
    issues: { type: long, allowNull: false },
    updated_by: { type: DataTypes.INTEGER, allowNull: true },
    submitted_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('form_submissions', ['form_definition_id', 'org_unit_id', 'period'], { unique: true, name: 'form_submissions_form_org_period' });
  await qi.addIndex('form_submissions', ['form_key', 'org_unit_id', 'period'], { name: 'form_submissions_key_org_period' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('form_submissions');
  await qi.dropTable('form_definitions');
};

import type { Migration } from '../migrate.ts';

// Camunda Forms (form-js JSON) deployed next to BPMN files: one row per form id and version; a new
// version is stored only when the file's SHA-256 changed. User tasks and start events link to them
// by form id (C7 `formRef`, C8 `formId`) or by file name (C7 `camunda-forms:deployment:NAME.form`).
export const up: Migration = async ({ context: { qi, DataTypes, longText } }) => {
  await qi.createTable('workflow_forms', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    form_id: { type: DataTypes.STRING(190), allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: true },
    source_name: { type: DataTypes.STRING(255), allowNull: true },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    schema: { type: longText, allowNull: false },
    deployed_by: { type: DataTypes.STRING(64), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('workflow_forms', ['form_id', 'version'], { unique: true, name: 'workflow_forms_id_version' });
  await qi.addIndex('workflow_forms', ['source_name'], { name: 'workflow_forms_source' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('workflow_forms');
};

import type { Migration } from '../migrate.ts';

// The procedure catalog, its FAQ, and the version counter every node checks before it answers a search.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  const text = () => ({ type: DataTypes.TEXT, allowNull: true });
  await qi.createTable('procedures', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
    name: { type: DataTypes.STRING(1000), allowNull: false },
    ministry_code: { type: DataTypes.STRING(40), allowNull: true },
    ministry_name: { type: DataTypes.STRING(255), allowNull: true },
    agency: { type: DataTypes.STRING(500), allowNull: false },
    competent_authority: { type: DataTypes.STRING(500), allowNull: true },
    field: { type: DataTypes.STRING(255), allowNull: false },
    level: { type: DataTypes.STRING(255), allowNull: false },
    procedure_type: { type: DataTypes.STRING(255), allowNull: true },
    announcing_decision: { type: DataTypes.STRING(500), allowNull: true },
    channels: { type: DataTypes.STRING(255), allowNull: true },
    online_level: { type: DataTypes.STRING(16), allowNull: true },
    processing_text: text(),
    processing_amount: { type: DataTypes.DOUBLE, allowNull: true },
    processing_unit: { type: DataTypes.STRING(16), allowNull: true },
    processing_variants: text(),
    fee_text: text(),
    fee_min: { type: DataTypes.BIGINT, allowNull: true },
    fee_max: { type: DataTypes.BIGINT, allowNull: true },
    target_subjects: text(),
    documents: text(),
    result: text(),
    legal_basis: text(),
    form_key: { type: DataTypes.STRING(60), allowNull: true },
    process_key: { type: DataTypes.STRING(120), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.createTable('procedure_faqs', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    procedure_code: { type: DataTypes.STRING(32), allowNull: false, references: { model: 'procedures', key: 'code' }, onDelete: 'CASCADE' },
    question: { type: DataTypes.STRING(500), allowNull: false },
    answer: { type: DataTypes.TEXT, allowNull: false },
    updated_by: { type: DataTypes.STRING(64), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('procedure_faqs', ['procedure_code'], { name: 'procedure_faqs_code' });
  await qi.createTable('catalog_state', {
    id: { type: DataTypes.INTEGER, primaryKey: true },
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.bulkInsert('catalog_state', [{ id: 1, version: 0, updated_at: new Date() }]);
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('catalog_state');
  await qi.dropTable('procedure_faqs');
  await qi.dropTable('procedures');
};

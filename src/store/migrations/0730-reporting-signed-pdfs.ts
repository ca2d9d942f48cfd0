import type { Migration } from '../migrate.ts';

// The signed PDF of a report: one row per signing (a report signed, reopened and signed again has one
// row per round), the document's bytes as signed, and the two signature records the one PIN entry made
// (`pdf_signature_id` over the PDF, `data_signature_id` over the report's canonical JSON; public ids of
// `signatures`). A reopen marks the row withdrawn: kept for the record, never served as current.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('reporting_signed_pdfs', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    report_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'reporting_reports', key: 'id' }, onDelete: 'CASCADE' },
    round: { type: DataTypes.INTEGER, allowNull: false },
    status: { type: DataTypes.STRING(12), allowNull: false },
    pdf_signature_id: { type: DataTypes.STRING(36), allowNull: false, unique: true },
    data_signature_id: { type: DataTypes.STRING(36), allowNull: false },
    pdf: { type: DataTypes.BLOB('long'), allowNull: false },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    size_bytes: { type: DataTypes.INTEGER, allowNull: false },
    signed_by: { type: DataTypes.INTEGER, allowNull: true },
    signed_at: { type: DataTypes.DATE(3), allowNull: false },
    withdrawn_at: { type: DataTypes.DATE(3), allowNull: true },
    withdrawn_by: { type: DataTypes.INTEGER, allowNull: true },
    withdraw_reason: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('reporting_signed_pdfs', ['report_id', 'status'], { name: 'reporting_signed_pdfs_report' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('reporting_signed_pdfs');
};

import type { Migration } from '../migrate.ts';

// One-time codes of the public dossier lookup (tra cứu hồ sơ): e-mailed to the submitter as a second
// factor. Only a keyed hash of the dossier code and the one-time code is kept, so a copy of the table
// cannot be replayed, and a lookup finds a row by that hash alone (the same query for unknown codes).
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('dossier_tracking_codes', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    dossier_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'dossiers', key: 'id' }, onDelete: 'CASCADE' },
    lookup: { type: DataTypes.STRING(64), allowNull: false },
    expires_at: { type: DataTypes.DATE, allowNull: false },
    used_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('dossier_tracking_codes', ['lookup'], { name: 'dossier_tracking_codes_lookup' });
  await qi.addIndex('dossier_tracking_codes', ['expires_at'], { name: 'dossier_tracking_codes_expiry' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('dossier_tracking_codes');
};

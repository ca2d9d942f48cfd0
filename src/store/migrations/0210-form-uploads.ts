import type { Migration } from '../migrate.ts';

const TYPE = /^[a-z0-9][a-z0-9.+-]*\/[a-z0-9][a-z0-9.+-]*$/;
const SHA = /^[0-9a-f]{64}$/;

// Uploads of file fields: who uploaded which bytes for which unit, so a file value can only name an
// upload of the same unit or user. Existing file values are recorded for their submission's unit.
export const up: Migration = async ({ context: { qi, DataTypes, sequelize } }) => {
  await qi.createTable('form_uploads', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    // 0 when the upload belongs to no unit, as for submissions.
    org_unit_id: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    user_id: { type: DataTypes.INTEGER, allowNull: true },
    form_key: { type: DataTypes.STRING(60), allowNull: false },
    field: { type: DataTypes.STRING(60), allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: false },
    size: { type: DataTypes.INTEGER, allowNull: false },
    type: { type: DataTypes.STRING(100), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('form_uploads', ['sha256', 'org_unit_id'], { name: 'form_uploads_sha_org' });
  await qi.addIndex('form_uploads', ['sha256', 'user_id'], { name: 'form_uploads_sha_user' });

  const [subs] = (await sequelize.query('SELECT form_key, `values` AS field_values, org_unit_id, updated_by FROM form_submissions')) as [Array<{ form_key: string; field_values: string; org_unit_id: number; updated_by: number | null }>, unknown];
  const rows: Array<Record<string, unknown>> = [];
  for (const s of subs) {
    let values: Record<string, unknown>;
    try {
      values = JSON.parse(s.field_values);
    } catch {
      continue;
    }
    for (const [field, v] of Object.entries(values ?? {})) {
      const f = v as Record<string, unknown> | null;
      if (!f || typeof f !== 'object' || typeof f.sha256 !== 'string' || !SHA.test(f.sha256) || typeof f.name !== 'string' || typeof f.size !== 'number') continue;
      const type = typeof f.type === 'string' && TYPE.test(f.type) ? f.type : 'application/octet-stream';
      rows.push({ sha256: f.sha256, org_unit_id: s.org_unit_id, user_id: s.updated_by, form_key: s.form_key, field: field.slice(0, 60), name: f.name.slice(0, 255), size: f.size, type, created_at: new Date() });
    }
  }
  if (rows.length) await qi.bulkInsert('form_uploads', rows);
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('form_uploads');
};

import type { Migration } from '../migrate.ts';

// Signing: users' certificates (key or PKCS#12 stored encrypted) and every signature made.
export const up: Migration = async ({ context: { qi, DataTypes, longText: long } }) => {
  await qi.createTable('signing_certificates', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'users', key: 'id' } },
    // `issued` by the configured CA (key kept by the server) or `uploaded` as PKCS#12 (opened with the PIN).
    source: { type: DataTypes.STRING(12), allowNull: false },
    status: { type: DataTypes.STRING(12), allowNull: false },
    common_name: { type: DataTypes.STRING(255), allowNull: false },
    title: { type: DataTypes.STRING(255), allowNull: true },
    subject: { type: DataTypes.STRING(1000), allowNull: false },
    issuer: { type: DataTypes.STRING(1000), allowNull: false },
    serial: { type: DataTypes.STRING(80), allowNull: false },
    fingerprint: { type: DataTypes.STRING(64), allowNull: false },
    not_before: { type: DataTypes.DATE, allowNull: false },
    not_after: { type: DataTypes.DATE, allowNull: false },
    cert_pem: { type: DataTypes.TEXT, allowNull: false },
    chain_pem: { type: long, allowNull: false },
    // AES-256-GCM: iv, tag and ciphertext, base64; never the raw key or file.
    sealed: { type: long, allowNull: false },
    // Wrong PINs in a row and the lock they cause (uploaded certificates only).
    pin_failures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    pin_locked_until: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('signing_certificates', ['user_id', 'status'], { name: 'signing_certificates_user' });
  await qi.addIndex('signing_certificates', ['fingerprint'], { name: 'signing_certificates_fingerprint' });

  await qi.createTable('signatures', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    public_id: { type: DataTypes.STRING(36), allowNull: false, unique: true },
    kind: { type: DataTypes.STRING(8), allowNull: false },
    user_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'users', key: 'id' } },
    certificate_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'signing_certificates', key: 'id' } },
    signer_name: { type: DataTypes.STRING(255), allowNull: false },
    signer_title: { type: DataTypes.STRING(255), allowNull: true },
    cert_fingerprint: { type: DataTypes.STRING(64), allowNull: false },
    signed_at: { type: DataTypes.DATE, allowNull: false },
    // As shown and as the signature states it: ISO 8601 in Vietnam time.
    signed_at_vn: { type: DataTypes.STRING(32), allowNull: false },
    // SHA-256 (hex) of what was signed: the canonical JSON, or the PDF's signed byte ranges.
    content_hash: { type: DataTypes.STRING(64), allowNull: false },
    label: { type: DataTypes.STRING(255), allowNull: true },
    target_type: { type: DataTypes.STRING(40), allowNull: true },
    target_id: { type: DataTypes.STRING(64), allowNull: true },
    cms: { type: long, allowNull: false },
    data: { type: long, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('signatures', ['user_id'], { name: 'signatures_user' });
  await qi.addIndex('signatures', ['target_type', 'target_id'], { name: 'signatures_target' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('signatures');
  await qi.dropTable('signing_certificates');
};

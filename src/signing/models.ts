// Users' signing certificates and the signatures made with them.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** A certificate a user signs with; its key (or PKCS#12 file) is stored sealed with the signing key. */
export class SigningCertificate extends Model {
  declare id: number;
  declare userId: number;
  declare source: 'issued' | 'uploaded';
  declare status: 'active' | 'replaced';
  declare commonName: string;
  declare title: string | null;
  declare subject: string;
  declare issuer: string;
  declare serial: string;
  declare fingerprint: string;
  declare notBefore: Date;
  declare notAfter: Date;
  declare certPem: string;
  declare chainPem: string;
  declare sealed: string;
  declare pinFailures: number;
  declare pinLockedUntil: Date | null;
  declare createdAt: Date;
}

/** One signature over a PDF or over a canonical JSON value. */
export class Signature extends Model {
  declare id: number;
  declare publicId: string;
  declare kind: 'pdf' | 'data';
  declare userId: number;
  declare certificateId: number;
  declare signerName: string;
  declare signerTitle: string | null;
  declare certFingerprint: string;
  declare signedAt: Date;
  declare signedAtVn: string;
  declare contentHash: string;
  declare label: string | null;
  declare targetType: string | null;
  declare targetId: string | null;
  /** The CMS SignedData, DER in base64. */
  declare cms: string;
  /** The canonical JSON that was signed (data signatures). */
  declare data: string | null;
  declare createdAt: Date;
}

/** Defines the signing models on a connection. */
export function initSigningModels(sequelize: Sequelize): void {
  SigningCertificate.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      userId: { type: DataTypes.INTEGER, allowNull: false },
      source: { type: DataTypes.STRING(12), allowNull: false },
      status: { type: DataTypes.STRING(12), allowNull: false },
      commonName: { type: DataTypes.STRING(255), allowNull: false },
      title: { type: DataTypes.STRING(255), allowNull: true },
      subject: { type: DataTypes.STRING(1000), allowNull: false },
      issuer: { type: DataTypes.STRING(1000), allowNull: false },
      serial: { type: DataTypes.STRING(80), allowNull: false },
      fingerprint: { type: DataTypes.STRING(64), allowNull: false },
      notBefore: { type: DataTypes.DATE, allowNull: false },
      notAfter: { type: DataTypes.DATE, allowNull: false },
      certPem: { type: DataTypes.TEXT, allowNull: false },
      chainPem: { type: DataTypes.TEXT, allowNull: false },
      sealed: { type: DataTypes.TEXT, allowNull: false },
      pinFailures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      pinLockedUntil: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'signing_certificates', underscored: true, timestamps: true },
  );
  Signature.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      publicId: { type: DataTypes.STRING(36), allowNull: false, unique: true },
      kind: { type: DataTypes.STRING(8), allowNull: false },
      userId: { type: DataTypes.INTEGER, allowNull: false },
      certificateId: { type: DataTypes.INTEGER, allowNull: false },
      signerName: { type: DataTypes.STRING(255), allowNull: false },
      signerTitle: { type: DataTypes.STRING(255), allowNull: true },
      certFingerprint: { type: DataTypes.STRING(64), allowNull: false },
      signedAt: { type: DataTypes.DATE, allowNull: false },
      signedAtVn: { type: DataTypes.STRING(32), allowNull: false },
      contentHash: { type: DataTypes.STRING(64), allowNull: false },
      label: { type: DataTypes.STRING(255), allowNull: true },
      targetType: { type: DataTypes.STRING(40), allowNull: true },
      targetId: { type: DataTypes.STRING(64), allowNull: true },
      cms: { type: DataTypes.TEXT, allowNull: false },
      data: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'signatures', underscored: true, timestamps: true, updatedAt: false },
  );
}

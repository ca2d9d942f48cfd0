// The append-only audit log: each row carries the hash of the previous one.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** One audited action. */
export class AuditEntry extends Model {
  declare id: number;
  declare seq: number;
  declare at: Date;
  declare actorId: number | null;
  declare actorName: string | null;
  declare orgCode: string | null;
  declare action: string;
  declare targetType: string | null;
  declare targetId: string | null;
  declare ip: string | null;
  declare detail: string | null;
  declare prevHash: string;
  declare hash: string;
  /** Id of the audit key whose HMAC `hash` is; null for the plain SHA-256 rows from before the chain was keyed. */
  declare keyId: string | null;
}

/** The single locked row holding the chain's last sequence number and hash. */
export class AuditHead extends Model {
  declare id: number;
  declare seq: number;
  declare hash: string;
  /** The last sequence number of the unkeyed part of the chain. */
  declare legacySeq: number;
  declare keyId: string | null;
  /** HMAC over seq, hash and legacySeq with key `keyId`. */
  declare mac: string | null;
}

/** Defines the audit models on a connection. */
export function initAuditModels(sequelize: Sequelize): void {
  AuditEntry.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      seq: { type: DataTypes.BIGINT, allowNull: false },
      at: { type: DataTypes.DATE(3), allowNull: false },
      actorId: { type: DataTypes.INTEGER, allowNull: true },
      actorName: { type: DataTypes.STRING(64), allowNull: true },
      orgCode: { type: DataTypes.STRING(40), allowNull: true },
      action: { type: DataTypes.STRING(64), allowNull: false },
      targetType: { type: DataTypes.STRING(40), allowNull: true },
      targetId: { type: DataTypes.STRING(64), allowNull: true },
      ip: { type: DataTypes.STRING(64), allowNull: true },
      detail: { type: DataTypes.TEXT, allowNull: true },
      prevHash: { type: DataTypes.STRING(64), allowNull: false },
      hash: { type: DataTypes.STRING(64), allowNull: false },
      keyId: { type: DataTypes.STRING(32), allowNull: true },
    },
    { sequelize, tableName: 'audit_log', underscored: true, timestamps: false },
  );
  AuditHead.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      seq: { type: DataTypes.BIGINT, allowNull: false },
      hash: { type: DataTypes.STRING(64), allowNull: false },
      legacySeq: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
      keyId: { type: DataTypes.STRING(32), allowNull: true },
      mac: { type: DataTypes.STRING(64), allowNull: true },
    },
    { sequelize, tableName: 'audit_head', underscored: true, timestamps: false },
  );
}

// Sequelize models of notifications: the outbox, its delivery attempts and users' channel choices.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Channels a message can travel by. */
export const CHANNELS = ['email', 'sms', 'inapp'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Statuses, as GOV.UK Notify names them (`created`: queued, not tried yet; `cancelled`: withdrawn before it was sent). */
export const STATUSES = ['created', 'sending', 'delivered', 'temporary-failure', 'permanent-failure', 'technical-failure', 'cancelled'] as const;
export type Status = (typeof STATUSES)[number];

/** One message of the outbox. */
export class NotifyMessage extends Model {
  declare id: number;
  declare channel: Channel;
  declare event: string;
  declare locale: 'vi' | 'en';
  declare recipient: string;
  declare recipientUserId: number | null;
  declare recipientOrgCode: string | null;
  declare senderOrgCode: string | null;
  declare reference: string | null;
  declare subject: string;
  declare body: string;
  declare status: Status;
  /** Tries in the current round (a resend by hand starts a new round). */
  declare attempts: number;
  /** Tries over all rounds; the sequence number of the latest attempt row. */
  declare tries: number;
  /** When the next try is due; null when no more tries are planned. */
  declare nextAttemptAt: Date | null;
  /** Until when the node that marked it `sending` holds it. */
  declare sendingUntil: Date | null;
  /** The claim token of the try in flight (unique per claim), so a node updates only the tries it holds. */
  declare sendingOwner: string | null;
  declare lastError: string | null;
  declare readAt: Date | null;
  declare deliveredAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One delivery attempt of a message and what the other side answered. */
export class NotifyAttempt extends Model {
  declare id: number;
  declare messageId: number;
  declare seq: number;
  declare node: string | null;
  declare outcome: Status;
  declare response: string | null;
  declare ms: number | null;
  declare at: Date;
}

/** The channels a user chose to be notified by. */
export class NotifyPreference extends Model {
  declare userId: number;
  declare channels: string;
  declare updatedAt: Date;
}

/** Defines the notification models on a connection. */
export function initNotifyModels(sequelize: Sequelize): void {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  NotifyMessage.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      channel: str(16, false),
      event: str(64, false),
      locale: str(8, false),
      recipient: str(255, false),
      recipientUserId: { type: DataTypes.INTEGER, allowNull: true },
      recipientOrgCode: str(40),
      senderOrgCode: str(40),
      reference: str(190),
      subject: str(500, false),
      body: { type: DataTypes.TEXT, allowNull: false },
      status: str(24, false),
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      tries: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      nextAttemptAt: { type: DataTypes.DATE(3), allowNull: true },
      sendingUntil: { type: DataTypes.DATE(3), allowNull: true },
      sendingOwner: str(190),
      lastError: { type: DataTypes.TEXT, allowNull: true },
      readAt: { type: DataTypes.DATE(3), allowNull: true },
      deliveredAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: { type: DataTypes.DATE(3), allowNull: false },
      updatedAt: { type: DataTypes.DATE(3), allowNull: false },
    },
    { sequelize, tableName: 'notify_messages', underscored: true, timestamps: true },
  );
  NotifyAttempt.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      messageId: { type: DataTypes.INTEGER, allowNull: false },
      seq: { type: DataTypes.INTEGER, allowNull: false },
      node: str(190),
      outcome: str(24, false),
      response: { type: DataTypes.TEXT, allowNull: true },
      ms: { type: DataTypes.INTEGER, allowNull: true },
      at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { sequelize, tableName: 'notify_attempts', underscored: true, timestamps: false },
  );
  NotifyPreference.init(
    {
      userId: { type: DataTypes.INTEGER, primaryKey: true },
      channels: str(64, false),
    },
    { sequelize, tableName: 'notify_preferences', underscored: true, timestamps: true, createdAt: false },
  );
  NotifyMessage.hasMany(NotifyAttempt, { foreignKey: 'messageId', as: 'attemptRows' });
}

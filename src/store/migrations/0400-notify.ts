import type { Migration } from '../migrate.ts';

// The notification outbox: one row per message (written in the transaction of the action that causes
// it), one row per delivery attempt, and each user's chosen channels.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('notify_messages', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    channel: { type: DataTypes.STRING(16), allowNull: false },
    event: { type: DataTypes.STRING(64), allowNull: false },
    locale: { type: DataTypes.STRING(8), allowNull: false },
    recipient: { type: DataTypes.STRING(255), allowNull: false },
    recipient_user_id: { type: DataTypes.INTEGER, allowNull: true },
    recipient_org_code: { type: DataTypes.STRING(40), allowNull: true },
    sender_org_code: { type: DataTypes.STRING(40), allowNull: true },
    reference: { type: DataTypes.STRING(190), allowNull: true },
    subject: { type: DataTypes.STRING(500), allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: false },
    status: { type: DataTypes.STRING(24), allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    tries: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: { type: DataTypes.DATE(3), allowNull: true },
    sending_until: { type: DataTypes.DATE(3), allowNull: true },
    sending_owner: { type: DataTypes.STRING(190), allowNull: true },
    last_error: { type: DataTypes.TEXT, allowNull: true },
    read_at: { type: DataTypes.DATE(3), allowNull: true },
    delivered_at: { type: DataTypes.DATE(3), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('notify_messages', ['status', 'created_at'], { name: 'notify_messages_status' });
  await qi.addIndex('notify_messages', ['recipient_user_id', 'channel', 'read_at'], { name: 'notify_messages_inbox' });
  await qi.addIndex('notify_messages', ['created_at'], { name: 'notify_messages_created' });
  await qi.addIndex('notify_messages', ['sending_owner'], { name: 'notify_messages_owner' });
  await qi.addIndex('notify_messages', ['event', 'created_at'], { name: 'notify_messages_event' });

  await qi.createTable('notify_attempts', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    message_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'notify_messages', key: 'id' }, onDelete: 'CASCADE' },
    seq: { type: DataTypes.INTEGER, allowNull: false },
    node: { type: DataTypes.STRING(190), allowNull: true },
    outcome: { type: DataTypes.STRING(24), allowNull: false },
    response: { type: DataTypes.TEXT, allowNull: true },
    ms: { type: DataTypes.INTEGER, allowNull: true },
    at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('notify_attempts', ['message_id', 'seq'], { unique: true, name: 'notify_attempts_message_seq' });

  await qi.createTable('notify_preferences', {
    user_id: { type: DataTypes.INTEGER, primaryKey: true },
    channels: { type: DataTypes.STRING(64), allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
};

export const down: Migration = async ({ context: { qi } }) => {
  for (const table of ['notify_preferences', 'notify_attempts', 'notify_messages']) await qi.dropTable(table);
};

import type { Migration } from '../migrate.ts';

// Online payment of a dossier's fee through a gateway (docs/payments.md): one row per payment attempt, keyed
// by the merchant's transaction reference, and a log of every notification the gateway sent with our answer.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  const date = (allowNull = true) => ({ type: DataTypes.DATE, allowNull });
  await qi.createTable('payments', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    txn_ref: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    dossier_id: { type: DataTypes.INTEGER, allowNull: false },
    gateway: str(32, false),
    amount: { type: DataTypes.BIGINT, allowNull: false },
    status: str(16, false),
    order_info: str(255, false),
    payer_user_id: { type: DataTypes.INTEGER, allowNull: true },
    gateway_txn_no: str(64),
    bank_code: str(32),
    response_code: str(8),
    paid_at: date(),
    receipt_no: { type: DataTypes.STRING(40), allowNull: true, unique: true },
    created_at: date(false),
    updated_at: date(false),
  });
  await qi.addIndex('payments', ['dossier_id', 'status'], { name: 'payments_dossier' });

  await qi.createTable('payment_notifications', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    gateway: str(32, false),
    txn_ref: str(64),
    payment_id: { type: DataTypes.INTEGER, allowNull: true },
    outcome: str(24, false),
    params_json: { type: DataTypes.TEXT, allowNull: false },
    received_at: date(false),
  });
  await qi.addIndex('payment_notifications', ['txn_ref'], { name: 'payment_notifications_txn' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('payment_notifications');
  await qi.dropTable('payments');
};

// Sequelize models of online payments: one payment attempt per row and the gateway's notifications (migration 0800; docs/payments.md).
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** `pending`: the payer was sent to the gateway. `paid` / `failed`: the gateway's notification said so (final). */
export const PAYMENT_STATUSES = ['pending', 'paid', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** One payment attempt of a dossier's fee. */
export class Payment extends Model {
  declare id: number;
  /** The merchant's order reference sent to the gateway (vnp_TxnRef), unique. */
  declare txnRef: string;
  declare dossierId: number;
  /** The adapter's name, e.g. `vnpay`. */
  declare gateway: string;
  /** In VND, from the procedure's fee on the server. */
  declare amount: number;
  declare status: PaymentStatus;
  declare orderInfo: string;
  declare payerUserId: number | null;
  /** The gateway's own transaction number (vnp_TransactionNo). */
  declare gatewayTxnNo: string | null;
  declare bankCode: string | null;
  /** The gateway's response code of the final notification (vnp_ResponseCode). */
  declare responseCode: string | null;
  declare paidAt: Date | null;
  /** The receipt's number (biên lai), given when paid. */
  declare receiptNo: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** A notification the gateway sent and how it was answered. */
export class PaymentNotification extends Model {
  declare id: number;
  declare gateway: string;
  declare txnRef: string | null;
  declare paymentId: number | null;
  /** `confirmed`, `notFound`, `alreadyConfirmed`, `wrongAmount`, `badSignature` or `error`. */
  declare outcome: string;
  declare paramsJson: string;
  declare receivedAt: Date;
}

/** Defines the payment models on a connection. */
export function initPaymentModels(sequelize: Sequelize): void {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  PaymentNotification.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      gateway: str(32, false),
      txnRef: str(64),
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      outcome: str(24, false),
      paramsJson: { type: DataTypes.TEXT, allowNull: false },
      receivedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, tableName: 'payment_notifications', underscored: true, timestamps: false },
  );
  Payment.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      txnRef: str(64, false),
      dossierId: { type: DataTypes.INTEGER, allowNull: false },
      gateway: str(32, false),
      // BIGINT comes back as a string on MySQL; amounts in VND fit in a double exactly.
      amount: { type: DataTypes.BIGINT, allowNull: false, get(this: Model) { return Number(this.getDataValue('amount')); } },
      status: str(16, false),
      orderInfo: str(255, false),
      payerUserId: { type: DataTypes.INTEGER, allowNull: true },
      gatewayTxnNo: str(64),
      bankCode: str(32),
      responseCode: str(8),
      paidAt: { type: DataTypes.DATE, allowNull: true },
      receiptNo: str(40),
    },
    { sequelize, tableName: 'payments', underscored: true },
  );
}

// What leaves the payments domain: a payment as JSON and the view models of the pay, return and sandbox pages.
import type { Payment } from './models.ts';
import type { PaymentOverview } from './service.ts';
import { formatNumber, t, type Locale } from '../i18n/index.ts';
import { toVnIso } from '../time.ts';

/** A payment as the JSON API shows it (amount in VND). */
export function presentPayment(p: Payment) {
  return {
    txnRef: p.txnRef, dossierId: p.dossierId, gateway: p.gateway, amount: p.amount, status: p.status,
    paidAt: toVnIso(p.paidAt), receiptNo: p.receiptNo, gatewayTxnNo: p.gatewayTxnNo, createdAt: toVnIso(p.createdAt),
  };
}

/** An amount in đồng as a person reads it. */
export function vnd(amount: number, locale: Locale): string {
  return t(locale, 'payments.vnd', { amount: formatNumber(amount, locale) });
}

/** The pay page's view model. */
export function presentOverview(o: PaymentOverview, locale: Locale) {
  const d = o.dossier;
  return {
    dossierId: d.id, code: d.code, procedureName: d.procedureName, status: d.status,
    feeText: o.fee.text, amountText: o.fee.amount !== null && o.fee.amount > 0 ? vnd(o.fee.amount, locale) : null,
    paid: o.paid ? { amountText: vnd(o.paid.amount, locale), paidAt: o.paid.paidAt, receiptNo: o.paid.receiptNo, txnRef: o.paid.txnRef } : null,
    lastFailed: !o.paid && o.latest?.status === 'failed',
    lastPending: !o.paid && o.latest?.status === 'pending',
    canPay: o.canPay, reason: o.reason, isOwner: o.isOwner,
  };
}

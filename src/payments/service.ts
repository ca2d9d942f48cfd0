// Online payment of a dossier's fee (docs/payments.md): the amount due from the procedure's fee in the catalog,
// starting a payment at a gateway, taking the gateway's notification once (idempotent), the history entry and
// the `dossier.paid` message to the handling process, and the receipt. Gateways plug in through gateway.ts.
import crypto from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import { Payment, PaymentNotification } from './models.ts';
import { gatewayNamed, type NoticeOutcome, type PaymentGateway } from './gateway.ts';
import './vnpay.ts';
import { Dossier } from '../dossiers/models.ts';
import { addEvent, businessKeyOf, registerPaymentSeam } from '../dossiers/core.ts';
import { getProcedure } from '../catalog/service.ts';
import { canAccessOrg, type Viewer } from '../access/index.ts';
import { correlateMessage, enqueueJob, registerJobKind } from '../engine/service.ts';
import { inTransaction } from '../store/index.ts';
import { AppError, Conflict, Forbidden, NotFound } from '../errors.ts';
import { getConfig } from '../config.ts';
import { log } from '../log.ts';
import { findUser } from '../auth/service.ts';
import { getChannels, queueMessage, type QueueInput } from '../notify/service.ts';
import type { Channel } from '../notify/models.ts';
import type { Locale } from '../i18n/index.ts';

/** The gateway used when none is named. */
export const DEFAULT_GATEWAY = 'vnpay';
/** The message the handling process waits for where the procedure has a fee. */
export const MESSAGE_PAID = 'dossier.paid';
/** The citizen's message when a payment is confirmed (templates/notify/payment-confirmed.*.njk). */
export const EVENT_PAYMENT_CONFIRMED = 'payment-confirmed';
/** The job that tells the handling process a dossier was paid (queued in the confirming transaction). */
export const JOB_CORRELATE_PAID = 'payments.correlatePaid';
/** Minutes a payment request stays valid at the gateway (vnp_ExpireDate). */
export const PAYMENT_EXPIRY_MINUTES = 15;

// A dossier is paid for while it is being handled: not as a draft, not once closed.
const PAYABLE_STATUSES = new Set(['submitted', 'supplement', 'processing', 'approved']);

/** What a dossier's procedure costs: `amount` null when the catalog names no amount in đồng. */
export interface Fee {
  amount: number | null;
  /** The catalog's text, e.g. `Lệ phí : 10.000 Đồng (Nộp hồ sơ trực tuyến)`. */
  text: string | null;
}

/**
 * The fee of a dossier from its procedure in the catalog, never from the browser. A range (`feeMin`–`feeMax`) is
 * the catalog's lower figure for a dossier submitted online and the upper one for the counter or the post: the
 * published texts give the online rate as the lower one (1.004222 Đăng ký thường trú: 10.000 đ online, 20.000 đ
 * direct) and an online payment must never charge more than the least published figure.
 */
export async function feeOf(dossier: Pick<Dossier, 'procedureCode' | 'channel'>): Promise<Fee> {
  let procedure;
  try {
    procedure = (await getProcedure(dossier.procedureCode)).procedure;
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return { amount: null, text: null };
    throw err;
  }
  const { feeMin: min, feeMax: max, feeText } = procedure;
  if (min === null || max === null) return { amount: null, text: feeText };
  return { amount: dossier.channel === 'online' ? min : max, text: feeText };
}

/** Whether the viewer may see a dossier: its owner, or staff over its receiving unit (others get 404). */
function canSee(viewer: Viewer, dossier: Dossier): boolean {
  return (dossier.ownerUserId !== null && dossier.ownerUserId === viewer.userId) || canAccessOrg(viewer, dossier.orgPath);
}

async function visibleDossier(viewer: Viewer, dossierId: number): Promise<Dossier> {
  const dossier = await Dossier.findByPk(dossierId);
  if (!dossier || (dossier.status === 'draft' && dossier.ownerUserId !== viewer.userId) || !canSee(viewer, dossier)) throw NotFound('payments.dossierNotFound');
  return dossier;
}

/** The paid payment of a dossier, if any. */
export async function paidPaymentOf(dossierId: number, t?: Transaction): Promise<Payment | null> {
  return Payment.findOne({ where: { dossierId, status: 'paid' }, order: [['paidAt', 'ASC'], ['id', 'ASC']], transaction: t });
}

/** Whether a dossier's fee was paid online (the handling process asks before it waits for `dossier.paid`). */
export async function isDossierPaid(dossierId: number): Promise<boolean> {
  return (await paidPaymentOf(dossierId)) !== null;
}

/** What is still to pay for a dossier in VND: 0 when paid or free, null when the catalog names no amount. */
export async function amountDueOf(dossierId: number): Promise<number | null> {
  const dossier = await Dossier.findByPk(dossierId);
  if (!dossier) throw NotFound('payments.dossierNotFound');
  if (await isDossierPaid(dossierId)) return 0;
  return (await feeOf(dossier)).amount;
}

/** Where the payer's browser comes back to (absolute, on this site). */
export function returnUrlOf(gateway: string): string {
  return `${getConfig().baseUrl}/payments/${gateway}/return`;
}

function gatewayOf(name: string): PaymentGateway {
  const gateway = gatewayNamed(name);
  if (!gateway || !gateway.isConfigured()) throw new AppError('payments.unavailable', 503);
  return gateway;
}

/** A reference unique to one attempt: the dossier id, a Vietnam-time stamp and random letters (VNPay takes letters and digits). */
function newTxnRef(dossierId: number, at: Date): string {
  const stamp = new Date(at.getTime() + 7 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return `${dossierId}D${stamp}${crypto.randomBytes(3).toString('hex').toUpperCase()}`;
}

/** ASCII text without diacritics, as VNPay wants for vnp_OrderInfo. */
function asciiOrderInfo(code: string | null, procedure: string): string {
  const plain = `Nop phi ho so ${code ?? ''} ${procedure}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
  return plain.replace(/[^A-Za-z0-9 .,:\-/()]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 255);
}

/** What starting a payment answers. */
export interface StartedPayment {
  txnRef: string;
  /** In VND. */
  amount: number;
  redirectUrl: string;
}

/**
 * Starts paying a dossier's fee: only its owner, only while it is being handled, only when the catalog names an
 * amount above zero and nothing was paid yet. The amount comes from the catalog; the redirect carries it signed.
 */
export async function startPayment(viewer: Viewer, dossierId: number, opts: { ipAddr?: string | null; gateway?: string } = {}): Promise<StartedPayment> {
  const dossier = await visibleDossier(viewer, dossierId);
  if (dossier.ownerUserId !== viewer.userId) throw Forbidden('payments.ownerOnly');
  if (!PAYABLE_STATUSES.has(dossier.status)) throw Conflict('payments.notPayable', { status: dossier.status });
  const fee = await feeOf(dossier);
  if (fee.amount === null) throw Conflict('payments.feeUnknown');
  if (fee.amount <= 0) throw Conflict('payments.nothingDue');
  const gateway = gatewayOf(opts.gateway ?? DEFAULT_GATEWAY);
  const at = new Date();
  const payment = await inTransaction(async (t) => {
    if (await paidPaymentOf(dossier.id, t)) throw Conflict('payments.alreadyPaid');
    return Payment.create({
      txnRef: newTxnRef(dossier.id, at), dossierId: dossier.id, gateway: gateway.name, amount: fee.amount!, status: 'pending',
      orderInfo: asciiOrderInfo(dossier.code, dossier.procedureCode), payerUserId: viewer.userId,
    }, { transaction: t });
  });
  const redirectUrl = gateway.redirectUrl({
    txnRef: payment.txnRef, amount: payment.amount, orderInfo: payment.orderInfo, createdAt: at,
    expiresAt: new Date(at.getTime() + PAYMENT_EXPIRY_MINUTES * 60_000), ipAddr: opts.ipAddr || '127.0.0.1', locale: viewer.locale, returnUrl: returnUrlOf(gateway.name),
  });
  return { txnRef: payment.txnRef, amount: payment.amount, redirectUrl };
}

/** A receipt number: `BL-` and the payment's reference (unique with it). */
function receiptNoOf(payment: Payment): string {
  return `BL-${payment.txnRef}`.slice(0, 40);
}

/** Keeps only the gateway's own parameters of a query, so nothing from it indexes a plain object. */
export function gatewayParams(query: unknown, prefix = 'vnp_'): Map<string, string> {
  const params = new Map<string, string>();
  if (!query || typeof query !== 'object') return params;
  for (const key of Object.keys(query)) {
    const value = (query as Record<string, unknown>)[key];
    if (key.startsWith(prefix) && key.length <= 64 && typeof value === 'string' && value.length <= 1000) params.set(key, value);
  }
  return params;
}

async function logNotice(gateway: string, txnRef: string | null, paymentId: number | null, outcome: NoticeOutcome, params: ReadonlyMap<string, string>, t?: Transaction): Promise<void> {
  await PaymentNotification.create({ gateway, txnRef: txnRef?.slice(0, 64) ?? null, paymentId, outcome, paramsJson: JSON.stringify(Object.fromEntries(params)), receivedAt: new Date() }, { transaction: t });
}

/** Who hears of a confirmed payment: the dossier's owner on the channels they chose, else the applicant's e-mail and phone. */
interface PayerAudience { locale: Locale; name: string; to: Array<{ channel: Channel; to: string; userId: number | null }> }

/** Reads the audience before the confirming transaction opens (on SQLite the one writer would wait on itself). */
async function payerAudience(dossierId: number): Promise<{ dossier: Dossier; audience: PayerAudience } | null> {
  const dossier = await Dossier.findByPk(dossierId);
  if (!dossier) return null;
  const user = dossier.ownerUserId ? await findUser({ userId: dossier.ownerUserId }) : null;
  if (user) {
    const to: PayerAudience['to'] = [];
    for (const channel of await getChannels(user.id)) {
      const address = channel === 'email' ? user.email : channel === 'sms' ? user.phone : String(user.id);
      if (address) to.push({ channel, to: address, userId: user.id });
    }
    return { dossier, audience: { locale: user.locale === 'en' ? 'en' : 'vi', name: user.fullName, to } };
  }
  const to: PayerAudience['to'] = [];
  if (dossier.applicantEmail) to.push({ channel: 'email', to: dossier.applicantEmail, userId: null });
  if (dossier.applicantPhone) to.push({ channel: 'sms', to: dossier.applicantPhone, userId: null });
  return { dossier, audience: { locale: 'vi', name: dossier.applicantName ?? '', to } };
}

/** The `payment-confirmed` messages of a paid payment, one per channel of the audience. */
function confirmedMessages(payer: { dossier: Dossier; audience: PayerAudience }, payment: Payment, receiptNo: string | null, at: Date): QueueInput[] {
  const { dossier, audience } = payer;
  const data = {
    recipientName: audience.name, dossierCode: dossier.code, procedureName: dossier.procedureName, amount: payment.amount, receiptNo, paidAt: at,
    link: `${getConfig().baseUrl}/dossiers/${dossier.id}/payment`,
  };
  return audience.to.map((r) => ({ channel: r.channel, event: EVENT_PAYMENT_CONFIRMED, locale: audience.locale, to: r.to, recipientUserId: r.userId, senderOrgCode: dossier.orgCode, reference: `payment:${payment.txnRef}`, data }));
}

/**
 * Takes a gateway's server-to-server notification. In this order, as VNPay's merchant guide checks: the signature,
 * the order, the amount against the stored one, then whether it was already settled; a repeated or late notification
 * changes nothing. A success marks the payment paid, writes the dossier's history, queues the `dossier.paid` message and
 * the citizen's `payment-confirmed` notification, all in one transaction.
 */
export async function handleNotification(gatewayName: string, params: ReadonlyMap<string, string>): Promise<NoticeOutcome> {
  const gateway = gatewayNamed(gatewayName);
  if (!gateway) return 'error';
  try {
    const notice = gateway.readNotice(params);
    const early = async (outcome: NoticeOutcome, paymentId: number | null = null) => {
      await logNotice(gateway.name, notice.txnRef, paymentId, outcome, params);
      return outcome;
    };
    if (!notice.isSigned) return await early('badSignature');
    const found = notice.txnRef ? await Payment.findOne({ where: { txnRef: notice.txnRef, gateway: gateway.name } }) : null;
    if (!found) return await early('notFound');
    if (notice.amount === null || notice.amount !== found.amount) return await early('wrongAmount', found.id);
    if (found.status !== 'pending') return await early('alreadyConfirmed', found.id);
    const payer = notice.isSuccess ? await payerAudience(found.dossierId) : null;
    return await inTransaction(async (t) => {
      const at = new Date();
      const status = notice.isSuccess ? 'paid' : 'failed';
      const receiptNo = notice.isSuccess ? receiptNoOf(found) : null;
      // Only one of two notifications racing for the same order moves it out of pending.
      const [moved] = await Payment.update(
        { status, paidAt: notice.isSuccess ? at : null, receiptNo, gatewayTxnNo: notice.gatewayTxnNo?.slice(0, 64) ?? null, bankCode: notice.bankCode?.slice(0, 32) ?? null, responseCode: notice.responseCode?.slice(0, 8) ?? null },
        { where: { id: found.id, status: 'pending' }, transaction: t },
      );
      if (!moved) {
        await logNotice(gateway.name, notice.txnRef, found.id, 'alreadyConfirmed', params, t);
        return 'alreadyConfirmed' as const;
      }
      // Two attempts paid for one dossier (the payer opened the gateway twice): the money was taken, so the second
      // is recorded too, marked as a duplicate for the unit to refund; the process hears of the first only.
      const earlier = notice.isSuccess ? await Payment.findOne({ where: { dossierId: found.dossierId, status: 'paid', id: { [Op.ne]: found.id } }, transaction: t }) : null;
      if (earlier) log.warn('dossier paid twice', { dossierId: found.dossierId, first: earlier.txnRef, second: found.txnRef });
      await addEvent(found.dossierId, 'payment', {
        at, actor: gateway.name, step: 'payment',
        data: { status, gateway: gateway.name, txnRef: found.txnRef, amount: found.amount, receiptNo, gatewayTxnNo: notice.gatewayTxnNo, responseCode: notice.responseCode, duplicateOf: earlier?.txnRef ?? null },
      }, t);
      if (notice.isSuccess && !earlier) await enqueueJob(JOB_CORRELATE_PAID, { dossierId: found.dossierId, txnRef: found.txnRef }, at, { transaction: t });
      // The citizen hears of the first confirmed payment only; a repeated notification never reaches this point.
      if (notice.isSuccess && !earlier && payer) {
        for (const m of confirmedMessages(payer, found, receiptNo, at)) await queueMessage(m, { transaction: t });
      }
      await logNotice(gateway.name, notice.txnRef, found.id, 'confirmed', params, t);
      return 'confirmed' as const;
    });
  } catch (err) {
    log.error('payment notification failed', { gateway: gatewayName, error: String((err as Error)?.stack ?? err) });
    return 'error';
  }
}

/** Minutes between two tries to tell a process that is not yet waiting for the payment (see correlatePaid). */
export const PAID_RETRY_MINUTES = 10;

/** Tells the dossier's handling instance it was paid; false when no instance waits for `dossier.paid`. */
async function sendPaid(dossierId: number, payment: Payment): Promise<boolean> {
  try {
    await correlateMessage(MESSAGE_PAID, businessKeyOf(dossierId), { paid: true, paidAmount: payment.amount, paymentTxnRef: payment.txnRef });
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'engine.messageNotCorrelated') return false;
    throw err;
  }
}

/**
 * Sends `dossier.paid` for a dossier that was paid, when its process waits for it. The handling side calls this
 * right after it moves a dossier to its payment wait (the citizen may have paid before), and the job below calls it
 * after a confirmation. Returns whether a waiting instance took the message.
 */
export async function correlateIfPaid(dossierId: number): Promise<boolean> {
  const payment = await paidPaymentOf(dossierId);
  return payment ? sendPaid(dossierId, payment) : false;
}

/**
 * The `payments.correlatePaid` job: tells the process, or, while the dossier has not reached its payment wait yet
 * (still at the one-stop desk or waiting for a supplement), tries again every PAID_RETRY_MINUTES with a new job, so
 * a payment made early is not lost. A dossier past that point (or closed) needs no message.
 */
export async function correlatePaid(dossierId: number, txnRef: string): Promise<boolean> {
  const payment = await Payment.findOne({ where: { txnRef, dossierId, status: 'paid' } });
  if (!payment) return false;
  if (await sendPaid(dossierId, payment)) return true;
  const dossier = await Dossier.findByPk(dossierId);
  const isBefore = !!dossier && (dossier.status === 'submitted' || dossier.status === 'supplement' || dossier.stage === 'payment');
  if (isBefore) await enqueueJob(JOB_CORRELATE_PAID, { dossierId, txnRef }, new Date(Date.now() + PAID_RETRY_MINUTES * 60_000));
  return false;
}

registerJobKind(JOB_CORRELATE_PAID, async (job) => {
  const p = job.payload as { dossierId: number; txnRef: string };
  await correlatePaid(p.dossierId, p.txnRef);
});

/** What the pay page shows. */
export interface PaymentOverview {
  dossier: Dossier;
  fee: Fee;
  paid: Payment | null;
  /** The newest attempt (any status). */
  latest: Payment | null;
  isOwner: boolean;
  /** Whether the pay button is offered. */
  canPay: boolean;
  /** Why not, as a message key (null when it can). */
  reason: string | null;
}

/** The payment state of a dossier for its owner or staff in scope. */
export async function paymentOverview(viewer: Viewer, dossierId: number): Promise<PaymentOverview> {
  const dossier = await visibleDossier(viewer, dossierId);
  const fee = await feeOf(dossier);
  const paid = await paidPaymentOf(dossier.id);
  const latest = await Payment.findOne({ where: { dossierId: dossier.id }, order: [['id', 'DESC']] });
  const isOwner = dossier.ownerUserId === viewer.userId;
  const reason = paid ? 'payments.alreadyPaid'
    : !PAYABLE_STATUSES.has(dossier.status) ? 'payments.notPayable'
      : fee.amount === null ? 'payments.feeUnknown'
        : fee.amount <= 0 ? 'payments.nothingDue'
          : !gatewayNamed(DEFAULT_GATEWAY)?.isConfigured() ? 'payments.unavailable'
            : !isOwner ? 'payments.ownerOnly' : null;
  return { dossier, fee, paid, latest, isOwner, canPay: reason === null, reason };
}

/** A payment the payer comes back to from the gateway, after the return's signature was checked. */
export async function paymentReturn(gatewayName: string, params: ReadonlyMap<string, string>): Promise<{ payment: Payment; dossier: Dossier; isSuccessClaimed: boolean }> {
  const gateway = gatewayNamed(gatewayName);
  if (!gateway) throw NotFound();
  const notice = gateway.readNotice(params);
  if (!notice.isSigned) throw new AppError('payments.badReturn', 400);
  const payment = notice.txnRef ? await Payment.findOne({ where: { txnRef: notice.txnRef, gateway: gateway.name } }) : null;
  const dossier = payment ? await Dossier.findByPk(payment.dossierId) : null;
  if (!payment || !dossier) throw NotFound('payments.orderNotFound');
  // The return only shows: the notification alone settles a payment.
  return { payment, dossier, isSuccessClaimed: notice.isSuccess };
}

/** The paid payment of a dossier the viewer may see, for its receipt (404 when none was paid). */
export async function receiptOf(viewer: Viewer, dossierId: number): Promise<{ dossier: Dossier; payment: Payment }> {
  const dossier = await visibleDossier(viewer, dossierId);
  const payment = await paidPaymentOf(dossier.id);
  if (!payment) throw NotFound('payments.noReceipt');
  return { dossier, payment };
}

/** Payments of dossiers, newest first (for lists and statistics). */
export async function paymentsOf(dossierIds: number[]): Promise<Payment[]> {
  if (!dossierIds.length) return [];
  return Payment.findAll({ where: { dossierId: { [Op.in]: dossierIds } }, order: [['id', 'DESC']] });
}


registerPaymentSeam({ amountDue: amountDueOf, correlateIfPaid });

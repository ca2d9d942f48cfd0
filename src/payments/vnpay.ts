// The VNPay 2.1.0 protocol (docs/payments.md): a redirect carrying `vnp_` parameters sorted by key, empty values
// left out, each value form-encoded (spaces as `+`) the way VNPay's own PHP and Java demos do, signed with
// HMAC-SHA512 of that string under the merchant secret (`vnp_SecureHash`); `vnp_Amount` is VND × 100. The IPN
// is answered `{RspCode, Message}`. Both the adapter and the local sandbox gateway build on these functions.
import crypto from 'node:crypto';
import { getConfig } from '../config.ts';
import { registerGateway, type GatewayNotice, type GatewayOrder, type NoticeOutcome, type PaymentGateway } from './gateway.ts';

/** The protocol version this adapter speaks. */
export const VNPAY_VERSION = '2.1.0';

/**
 * One value as VNPay encodes it: like PHP `urlencode` (UTF-8 percent-encoding of everything but letters, digits
 * and `-_.`, with spaces as `+`).
 */
export function vnpEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/** The signed string: `vnp_` keys sorted, empty values and the hash fields left out, `key=encoded value` joined by `&`. */
export function canonicalString(params: ReadonlyMap<string, string>): string {
  return [...params.keys()]
    .filter((k) => k.startsWith('vnp_') && k !== 'vnp_SecureHash' && k !== 'vnp_SecureHashType' && params.get(k) !== '')
    .sort()
    .map((k) => `${vnpEncode(k)}=${vnpEncode(params.get(k)!)}`)
    .join('&');
}

/** HMAC-SHA512 of the canonical string, lowercase hex. */
export function signParams(params: ReadonlyMap<string, string>, secret: string): string {
  return crypto.createHmac('sha512', secret).update(Buffer.from(canonicalString(params), 'utf8')).digest('hex');
}

/** Whether `vnp_SecureHash` is the merchant's signature of the other parameters (compared in constant time). */
export function isSignatureValid(params: ReadonlyMap<string, string>, secret: string): boolean {
  const given = params.get('vnp_SecureHash') ?? '';
  if (!/^[0-9a-fA-F]{128}$/.test(given) || !secret) return false;
  return crypto.timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), Buffer.from(signParams(params, secret), 'hex'));
}

/** `?canonical&vnp_SecureHash=…`: the query of a signed redirect. */
export function signedQuery(params: ReadonlyMap<string, string>, secret: string): string {
  return `${canonicalString(params)}&vnp_SecureHash=${signParams(params, secret)}`;
}

/** `yyyyMMddHHmmss` in Vietnam time (GMT+7), as VNPay dates are written. */
export function vnpDate(at: Date): string {
  return new Date(at.getTime() + 7 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The `vnp_` parameters of a payment request (unsigned). */
export function requestParams(order: GatewayOrder, tmnCode: string): Map<string, string> {
  return new Map([
    ['vnp_Version', VNPAY_VERSION],
    ['vnp_Command', 'pay'],
    ['vnp_TmnCode', tmnCode],
    ['vnp_Amount', String(Math.round(order.amount * 100))],
    ['vnp_CurrCode', 'VND'],
    ['vnp_TxnRef', order.txnRef],
    ['vnp_OrderInfo', order.orderInfo],
    ['vnp_OrderType', 'other'],
    ['vnp_Locale', order.locale === 'en' ? 'en' : 'vn'],
    ['vnp_ReturnUrl', order.returnUrl],
    ['vnp_IpAddr', order.ipAddr],
    ['vnp_CreateDate', vnpDate(order.createdAt)],
    ['vnp_ExpireDate', vnpDate(order.expiresAt)],
  ]);
}

/** What VNPay's IPN answer says for each outcome. */
export const IPN_ANSWERS: Readonly<Record<NoticeOutcome, { RspCode: string; Message: string }>> = Object.freeze({
  confirmed: { RspCode: '00', Message: 'Confirm Success' },
  notFound: { RspCode: '01', Message: 'Order not found' },
  alreadyConfirmed: { RspCode: '02', Message: 'Order already confirmed' },
  wrongAmount: { RspCode: '04', Message: 'Invalid amount' },
  badSignature: { RspCode: '97', Message: 'Invalid signature' },
  error: { RspCode: '99', Message: 'Unknown error' },
});

/** The VNPay 2.1.0 adapter, configured by PAYMENT_VNPAY_TMNCODE, PAYMENT_VNPAY_SECRET and PAYMENT_VNPAY_URL. */
export const vnpayGateway: PaymentGateway = {
  name: 'vnpay',
  isConfigured() {
    const c = getConfig();
    return !!(c.paymentVnpayTmnCode && c.paymentVnpaySecret && c.paymentVnpayUrl);
  },
  redirectUrl(order) {
    const c = getConfig();
    return `${c.paymentVnpayUrl}?${signedQuery(requestParams(order, c.paymentVnpayTmnCode), c.paymentVnpaySecret)}`;
  },
  readNotice(params): GatewayNotice {
    const c = getConfig();
    const isSigned = isSignatureValid(params, c.paymentVnpaySecret) && params.get('vnp_TmnCode') === c.paymentVnpayTmnCode;
    const rawAmount = params.get('vnp_Amount') ?? '';
    const amount = /^\d{1,17}$/.test(rawAmount) ? Number(rawAmount) / 100 : null;
    return {
      isSigned,
      txnRef: params.get('vnp_TxnRef') || null,
      amount,
      isSuccess: params.get('vnp_ResponseCode') === '00' && params.get('vnp_TransactionStatus') === '00',
      gatewayTxnNo: params.get('vnp_TransactionNo') || null,
      bankCode: params.get('vnp_BankCode') || null,
      responseCode: params.get('vnp_ResponseCode') || null,
    };
  },
  answer(outcome) {
    return IPN_ANSWERS[outcome];
  },
};

registerGateway(vnpayGateway);

// The local sandbox gateway (development and tests only; never served in production): it speaks VNPay 2.1.0 to
// govflow as the real gateway would. It checks the signed request, shows the payer the order, and on their choice
// sends the signed notification (IPN) server to server and then the browser back to the return URL. docs/payments.md.
import crypto from 'node:crypto';
import type { Server } from '@hapi/hapi';
import { getConfig } from '../config.ts';
import { BadRequest } from '../errors.ts';
import { log } from '../log.ts';
import { isSignatureValid, signedQuery, vnpDate } from './vnpay.ts';

/** The order the sandbox shows the payer. */
export interface SandboxOrder {
  txnRef: string;
  /** In VND. */
  amount: number;
  orderInfo: string;
  tmnCode: string;
  returnUrl: string;
  expiresAt: string | null;
}

const REQUIRED = ['vnp_Version', 'vnp_Command', 'vnp_TmnCode', 'vnp_Amount', 'vnp_TxnRef', 'vnp_OrderInfo', 'vnp_ReturnUrl', 'vnp_CreateDate'];

/** Reads a payment request as the gateway does: every required field, the merchant's code and signature, a return URL on this site. */
export function readSandboxRequest(params: ReadonlyMap<string, string>): SandboxOrder {
  const c = getConfig();
  if (REQUIRED.some((k) => !params.get(k))) throw BadRequest('payments.sandbox.incomplete');
  if (params.get('vnp_Version') !== '2.1.0' || params.get('vnp_Command') !== 'pay' || params.get('vnp_CurrCode') !== 'VND') throw BadRequest('payments.sandbox.unsupported');
  if (params.get('vnp_TmnCode') !== c.paymentVnpayTmnCode || !isSignatureValid(params, c.paymentVnpaySecret)) throw BadRequest('payments.sandbox.badSignature');
  const raw = params.get('vnp_Amount')!;
  if (!/^\d{3,17}$/.test(raw) || !raw.endsWith('00')) throw BadRequest('payments.sandbox.badAmount');
  const returnUrl = params.get('vnp_ReturnUrl')!;
  if (!returnUrl.startsWith(`${c.baseUrl}/`)) throw BadRequest('payments.sandbox.badReturnUrl');
  return { txnRef: params.get('vnp_TxnRef')!, amount: Number(raw) / 100, orderInfo: params.get('vnp_OrderInfo')!, tmnCode: params.get('vnp_TmnCode')!, returnUrl, expiresAt: params.get('vnp_ExpireDate') || null };
}

/** The signed parameters of the notification and the return for the payer's choice (`00`: paid; `24`: cancelled by the payer). */
export function sandboxResult(params: ReadonlyMap<string, string>, isSuccess: boolean, at = new Date()): string {
  const c = getConfig();
  const result = new Map<string, string>([
    ['vnp_Amount', params.get('vnp_Amount')!],
    ['vnp_BankCode', 'NCB'],
    ['vnp_BankTranNo', isSuccess ? `VNP${crypto.randomInt(10_000_000, 99_999_999)}` : ''],
    ['vnp_CardType', 'ATM'],
    ['vnp_OrderInfo', params.get('vnp_OrderInfo')!],
    ['vnp_PayDate', vnpDate(at)],
    ['vnp_ResponseCode', isSuccess ? '00' : '24'],
    ['vnp_TmnCode', c.paymentVnpayTmnCode],
    ['vnp_TransactionNo', isSuccess ? String(crypto.randomInt(10_000_000, 99_999_999)) : '0'],
    ['vnp_TransactionStatus', isSuccess ? '00' : '02'],
    ['vnp_TxnRef', params.get('vnp_TxnRef')!],
  ]);
  return signedQuery(result, c.paymentVnpaySecret);
}

/**
 * Sends the notification as a real HTTP GET to PAYMENT_SANDBOX_IPN_URL, else to this server's own listening port;
 * a server that does not listen (tests driving `inject`) gets it through `inject`, the same route and handler.
 * Resolves with the merchant's `RspCode` (or null when none came).
 */
export async function deliverIpn(server: Server, query: string): Promise<string | null> {
  const c = getConfig();
  const path = `/api/payments/vnpay/ipn?${query}`;
  try {
    if (c.paymentSandboxIpnUrl || server.info.started) {
      const url = c.paymentSandboxIpnUrl ? `${c.paymentSandboxIpnUrl}?${query}` : `http://127.0.0.1:${server.info.port}${path}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      return ((await res.json()) as { RspCode?: string }).RspCode ?? null;
    }
    const res = await server.inject({ method: 'GET', url: path });
    return (JSON.parse(res.payload) as { RspCode?: string }).RspCode ?? null;
  } catch (err) {
    log.warn('sandbox IPN not delivered', { error: String(err) });
    return null;
  }
}

// Plugin `govflow/payments`: paying a dossier's fee online (the pay page, its JSON API, the return from the gateway,
// the receipt), the gateway's notification (IPN) and, outside production, the local sandbox gateway. docs/payments.md.
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { t } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { getConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { gatewayNamed } from './gateway.ts';
import { gatewayParams, handleNotification, paymentOverview, paymentReturn, receiptOf, startPayment } from './service.ts';
import { presentOverview, presentPayment, vnd } from './presenters.ts';
import { renderReceiptPdf } from './pdf.ts';
import { deliverIpn, readSandboxRequest, sandboxResult } from './sandbox.ts';
import { getOrgByCode } from '../orgs/service.ts';

const pub = { govflow: { public: true } };
/** Any logged-in user: the service decides (the dossier's owner pays; staff over its unit may look). */
const loggedIn = { govflow: { roles: [] } };
const idParams = Joi.object({ id: Joi.number().integer().min(1).max(2147483647).required() });
// The gateway's parameters are read through gatewayParams (a Map of `vnp_` keys only); anything else is ignored.
const anyQuery = Joi.object().unknown(true);

async function payPage(request: Request, h: ResponseToolkit, id: number, extra: { error?: string } = {}) {
  const locale = request.app.locale;
  const o = presentOverview(await paymentOverview(mustViewer(request), id), locale);
  return h.view('pages/payments/pay', { pageTitle: t(locale, 'payments.pay.title'), o, reasonText: o.reason ? t(locale, o.reason) : null, ...extra });
}

/** Plugin `govflow/payments`. */
export const paymentsPlugin: Plugin<void> = {
  name: 'govflow/payments',
  register(server) {
    server.route([
      {
        method: 'POST', path: '/api/dossiers/{id}/payment', options: { plugins: loggedIn, validate: { params: idParams, payload: Joi.object({}).allow(null) } },
        handler: async (request) => {
          const { id } = request.params as { id: number };
          return startPayment(mustViewer(request), id, { ipAddr: request.info.remoteAddress });
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/payment', options: { plugins: loggedIn, validate: { params: idParams } },
        handler: (request, h) => payPage(request, h, (request.params as { id: number }).id),
      },
      {
        // The pay button: Post/Redirect/Get straight on to the gateway (works without JavaScript).
        method: 'POST', path: '/dossiers/{id}/payment', options: { plugins: loggedIn, validate: { params: idParams, payload: Joi.object({ crumb: Joi.string() }) } },
        handler: async (request, h) => {
          const { id } = request.params as { id: number };
          try {
            const started = await startPayment(mustViewer(request), id, { ipAddr: request.info.remoteAddress });
            return h.redirect(started.redirectUrl);
          } catch (err) {
            if (!(err instanceof AppError) || err.status === 404) throw err;
            return (await payPage(request, h, id, { error: t(request.app.locale, err.code, err.params) })).code(err.status);
          }
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/payment/receipt.pdf', options: { plugins: loggedIn, validate: { params: idParams } },
        handler: async (request, h) => {
          const locale = request.app.locale;
          const { dossier, payment } = await receiptOf(mustViewer(request), (request.params as { id: number }).id);
          const orgName = await getOrgByCode(dossier.orgCode).then((o) => o.name, () => dossier.orgCode);
          const pdf = await renderReceiptPdf({
            receiptNo: payment.receiptNo ?? payment.txnRef, orgName, payerName: dossier.applicantName, dossierCode: dossier.code, procedureName: dossier.procedureName,
            amount: payment.amount, gateway: payment.gateway, gatewayTxnNo: payment.gatewayTxnNo, txnRef: payment.txnRef, paidAt: payment.paidAt!,
          }, locale);
          return h.response(pdf).type('application/pdf').header('content-disposition', `inline; filename="bien-lai-${payment.receiptNo ?? payment.txnRef}.pdf"`).header('cache-control', 'private, no-store');
        },
      },
      {
        // Server to server from the gateway: authenticated by the merchant signature, always answered with its JSON.
        method: 'GET', path: '/api/payments/vnpay/ipn', options: { plugins: pub, auth: false, validate: { query: anyQuery } },
        handler: async (request) => {
          const outcome = await handleNotification('vnpay', gatewayParams(request.query));
          return gatewayNamed('vnpay')!.answer(outcome);
        },
      },
      {
        // The payer's browser back from the gateway: the page shows what the notification settled, and settles nothing.
        method: 'GET', path: '/payments/vnpay/return', options: { plugins: pub, validate: { query: anyQuery } },
        handler: async (request, h) => {
          const locale = request.app.locale;
          const { payment, dossier, isSuccessClaimed } = await paymentReturn('vnpay', gatewayParams(request.query));
          return h.view('pages/payments/return', {
            pageTitle: t(locale, 'payments.return.title'), payment: presentPayment(payment), amountText: vnd(payment.amount, locale),
            dossierId: dossier.id, dossierCode: dossier.code, procedureName: dossier.procedureName, isSuccessClaimed,
          });
        },
      },
    ]);
    if (!getConfig().paymentSandbox) return;
    server.route([
      {
        method: 'GET', path: '/payments/sandbox/vnpay', options: { plugins: pub, validate: { query: anyQuery } },
        handler: (request, h) => {
          const locale = request.app.locale;
          const params = gatewayParams(request.query);
          const order = readSandboxRequest(params);
          return h.view('pages/payments/sandbox', { pageTitle: t(locale, 'payments.sandbox.title'), order, amountText: vnd(order.amount, locale), fields: [...params.entries()] });
        },
      },
      {
        method: 'POST', path: '/payments/sandbox/vnpay',
        options: { plugins: pub, validate: { payload: Joi.object({ crumb: Joi.string(), outcome: Joi.string().valid('success', 'failure').required() }).pattern(/^vnp_\w{1,60}$/, Joi.string().max(1000)) } },
        handler: async (request, h) => {
          const params = gatewayParams(request.payload);
          const order = readSandboxRequest(params);
          const query = sandboxResult(params, (request.payload as { outcome: string }).outcome === 'success');
          // As the real gateway: the notification first (server to server), then the browser back to the merchant.
          await deliverIpn(request.server, query);
          return h.redirect(`${order.returnUrl}${order.returnUrl.includes('?') ? '&' : '?'}${query}`);
        },
      },
    ]);
  },
};

// Plugin `govflow/dossier-tracking`: tracking of dossiers (the public lookup by code with a second factor, the owner's and staff's full view with the live diagram).
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import './core.ts';
import { DOSSIER_CODE_RE } from './core.ts';
import { diagramOf, lookupPublic, requestTrackingCode, trackDossier, TRACKING_REFUSED } from './tracking.ts';
import { presentPublic, presentTracking } from './tracking-presenters.ts';
import { clientIp, mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { t } from '../i18n/index.ts';
import { AppError } from '../errors.ts';
import { ratingStateOf } from '../feedback/ratings.ts';
import { presentRating } from '../feedback/ratings-presenters.ts';

const pub = { govflow: { public: true } };
const loggedIn = { govflow: { roles: [] } };
const id = Joi.number().integer().min(1).max(2147483647).required();
/** A one-time code has 6 digits, the phone factor 4. */
const FACTOR_RE = /^(\d{4}|\d{6})$/;


interface LookupForm {
  code?: string;
  factor?: string;
  action?: 'lookup' | 'send-code';
}

/** The lookup page, with what the last attempt gave (field problems, a refusal, a sent code, or the result). */
function lookupPage(request: Request, h: ResponseToolkit, values: LookupForm, extra: Record<string, unknown> = {}, status = 200) {
  return h.view('pages/dossiers/tracking/lookup', { pageTitle: t(request.app.locale, 'dossiers.tracking.lookupTitle'), values, ...extra }).code(status);
}

function normalizedCode(raw: string | undefined): string {
  return (raw ?? '').trim().toUpperCase();
}

/** Plugin `govflow/dossier-tracking`. */
export const dossierTrackingPlugin: Plugin<void> = {
  name: 'govflow/dossier-tracking',
  register(server) {
    registerNav({ href: '/tra-cuu-ho-so', label: 'dossiers.tracking.nav', roles: [], order: 7 });
    server.route([
      {
        method: 'GET', path: '/tra-cuu-ho-so',
        options: { plugins: pub, validate: { query: Joi.object({ code: Joi.string().trim().max(60).allow('') }) } },
        handler: (request, h) => lookupPage(request, h, { code: normalizedCode((request.query as { code?: string }).code) }),
      },
      {
        method: 'POST', path: '/tra-cuu-ho-so',
        options: {
          plugins: pub,
          validate: { payload: Joi.object({ crumb: Joi.string(), code: Joi.string().trim().max(60).allow(''), factor: Joi.string().trim().max(20).allow(''), action: Joi.string().valid('lookup', 'send-code').default('lookup') }) },
        },
        handler: async (request, h) => {
          const locale = request.app.locale;
          const p = request.payload as LookupForm;
          const values = { code: normalizedCode(p.code), factor: '' };
          const fieldErrors: Record<string, string> = {};
          if (!DOSSIER_CODE_RE.test(values.code)) fieldErrors.code = t(locale, 'dossiers.tracking.badCode');
          if (p.action !== 'send-code' && !FACTOR_RE.test(p.factor ?? '')) fieldErrors.factor = t(locale, 'dossiers.tracking.badFactor');
          if (Object.keys(fieldErrors).length) return lookupPage(request, h, values, { fieldErrors }, 400);
          try {
            if (p.action === 'send-code') {
              await requestTrackingCode(values.code, clientIp(request), locale);
              return lookupPage(request, h, values, { isCodeSent: true });
            }
            const result = await lookupPublic(values.code, p.factor!, clientIp(request));
            return lookupPage(request, h, values, { result: presentPublic(result, locale) });
          } catch (err) {
            if (!(err instanceof AppError) || (err.status !== 401 && err.status !== 429)) throw err;
            const response = lookupPage(request, h, values, { refusal: t(locale, err.code, err.params) }, err.status);
            if (typeof err.params.retryAfter === 'number') response.header('retry-after', String(err.params.retryAfter));
            return response;
          }
        },
      },
      {
        method: 'GET', path: '/api/tracking/{code}',
        options: {
          // Anonymous by design and answered the same for everyone: the session cookie is not even read (its
          // check makes an error object per request without one, a large share of this hot route's cost).
          // The language is the `lang` cookie's, as for any visitor.
          auth: false,
          plugins: pub,
          validate: {
            params: Joi.object({ code: Joi.string().pattern(DOSSIER_CODE_RE).required() }),
            query: Joi.object({ factor: Joi.string().pattern(FACTOR_RE).required() }),
          },
        },
        handler: async (request, h) => {
          const { code } = request.params as { code: string };
          const { factor } = request.query as { factor: string };
          try {
            return presentPublic(await lookupPublic(code, factor, clientIp(request)), request.app.locale);
          } catch (err) {
            if (!(err instanceof AppError) || err.code !== TRACKING_REFUSED) throw err;
            // One body for a wrong factor and an unknown code, built here so nothing of the request leaks into it.
            return h.response({ statusCode: 401, error: 'Unauthorized', message: t(request.app.locale, TRACKING_REFUSED), code: TRACKING_REFUSED }).code(401);
          }
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}', options: { plugins: loggedIn, validate: { params: Joi.object({ id }) } },
        handler: async (request, h) => {
          const view = await trackDossier(mustViewer(request), (request.params as { id: number }).id);
          if (view.dossier.status === 'draft') return h.redirect(`/dossiers/${view.dossier.id}/edit`);
          const d = await presentTracking(view, request.app.locale);
          // The owner sees the "rate" button once the dossier has its result, and the rating once given.
          const state = view.isOwner ? await ratingStateOf(view.dossier) : null;
          const rating = state?.rating ? presentRating(state.rating, request.app.locale) : null;
          return h.view('pages/dossiers/tracking/dossier', { pageTitle: t(request.app.locale, 'dossiers.tracking.pageTitle', { code: d.code }), d, isRateable: !!state?.isRateable, rating });
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/diagram.json', options: { plugins: loggedIn, validate: { params: Joi.object({ id }) } },
        handler: async (request, h) => h.response(await diagramOf(mustViewer(request), (request.params as { id: number }).id)).header('cache-control', 'no-store'),
      },
    ]);
  },
};

// Plugin `govflow/ratings`: the satisfaction rating of a dossier (đánh giá mức độ hài lòng) — the owner's page, the
// public page by dossier code and second factor, and their JSON API (docs/feedback.md "Ratings").
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { t, type Locale } from '../i18n/index.ts';
import { clientIp, mustViewer } from '../web/route-helpers.ts';
import { AppError } from '../errors.ts';
import { DOSSIER_CODE_RE } from '../dossiers/core.ts';
import { presentRating } from './ratings-presenters.ts';
import {
  answersFrom, criterionKey, levelKey, ownerRatingPage, rateAsOwner, rateByCode, COMMENT_MAX, RATING_CRITERIA, type RatingInput, type RatingView,
} from './ratings.ts';
import { RATING_LEVELS } from './models.ts';

const pub = { govflow: { public: true } };
const anyone = { govflow: { roles: [] } };
const id = Joi.number().integer().min(1).max(2147483647).required();
const crumb = Joi.string();
const PUBLIC_PATH = '/danh-gia';
/** The factor of the public tracking: 4 digits of the phone or a 6-digit e-mailed code. */
const FACTOR_RE = /^(\d{4}|\d{6})$/;
const level = Joi.string().max(40).allow('');
const formAnswers = Object.fromEntries(RATING_CRITERIA.map((c) => [c, level]));
const apiAnswers = Joi.object().pattern(Joi.string().max(40), Joi.string().max(40).allow('')).max(40).required();

/** The rating as the API returns it. */
function ratingJson(r: RatingView) {
  return {
    dossierCode: r.dossierCode, overall: r.overall, answers: Object.fromEntries(r.answers.map((a) => [a.criterion, a.level])), comment: r.comment,
    ratedAt: r.ratedAt.toISOString(), feedbackCase: r.feedbackCaseCode ? { code: r.feedbackCaseCode, trackUrl: `/phan-anh-kien-nghi/tra-cuu?code=${r.feedbackCaseCode}` } : null,
  };
}

/** The form's questions with the levels and what was chosen. */
function questions(locale: Locale, values: Map<string, string>) {
  return RATING_CRITERIA.map((c) => ({
    id: c, question: t(locale, criterionKey(c)),
    levels: RATING_LEVELS.map((l) => ({ value: l, text: t(locale, levelKey(l)), isChecked: values.get(c) === l })),
  }));
}

/** Words for a refused rating: every problem listed, else its one message. */
function failTexts(locale: Locale, err: AppError): string[] {
  if (Array.isArray(err.details)) return (err.details as Array<{ code: string; params?: Record<string, unknown> }>).map((d) => t(locale, d.code, { ...err.params, ...d.params }));
  return [t(locale, err.code, err.params)];
}

function formInput(p: Record<string, string | undefined>): RatingInput {
  const answers = new Map<string, string>();
  for (const c of RATING_CRITERIA) {
    const v = p[c];
    if (typeof v === 'string' && v) answers.set(c, v);
  }
  return { answers, comment: p.comment ?? '' };
}

async function ownerPage(request: Request, h: ResponseToolkit, dossierId: number, extra: { values?: Map<string, string>; comment?: string; errors?: string[]; isThanks?: boolean } = {}) {
  const locale = request.app.locale;
  const state = await ownerRatingPage(mustViewer(request), dossierId);
  return h.view('pages/feedback/rate', {
    pageTitle: t(locale, 'ratings.owner.title', { code: state.dossier.code ?? '' }),
    dossier: { id: state.dossier.id, code: state.dossier.code, procedureName: state.dossier.procedureName },
    isRateable: state.isRateable, rating: state.rating ? presentRating(state.rating, locale) : null,
    questions: questions(locale, extra.values ?? new Map()), comment: extra.comment ?? '', commentMax: COMMENT_MAX, errors: extra.errors, isThanks: extra.isThanks,
  });
}

function publicPage(request: Request, h: ResponseToolkit, extra: { values?: Map<string, string>; code?: string; factor?: string; comment?: string; errors?: string[]; rating?: RatingView } = {}) {
  const locale = request.app.locale;
  return h.view('pages/feedback/rate-public', {
    pageTitle: t(locale, 'ratings.public.title'), code: extra.code ?? '', factor: extra.factor ?? '',
    questions: questions(locale, extra.values ?? new Map()), comment: extra.comment ?? '', commentMax: COMMENT_MAX, errors: extra.errors,
    rating: extra.rating ? presentRating(extra.rating, locale) : null,
  });
}

function withRetryAfter<T extends { header(name: string, value: string): unknown }>(response: T, err: AppError): T {
  if (typeof err.params.retryAfter === 'number') response.header('retry-after', String(err.params.retryAfter));
  return response;
}

/** Plugin `govflow/ratings`. */
export const ratingsPlugin: Plugin<void> = {
  name: 'govflow/ratings',
  register(server) {
    server.route([
      {
        method: 'GET', path: '/dossiers/{id}/rate',
        options: { plugins: anyone, validate: { params: Joi.object({ id }), query: Joi.object({ done: Joi.string().valid('1') }) } },
        handler: async (request, h) => ownerPage(request, h, Number(request.params.id), { isThanks: (request.query as { done?: string }).done === '1' }),
      },
      {
        method: 'POST', path: '/dossiers/{id}/rate',
        options: { plugins: anyone, validate: { params: Joi.object({ id }), payload: Joi.object({ crumb, comment: Joi.string().max(20000).allow(''), ...formAnswers }) } },
        handler: async (request, h) => {
          const dossierId = Number(request.params.id);
          const p = request.payload as Record<string, string | undefined>;
          const input = formInput(p);
          try {
            await rateAsOwner(mustViewer(request), dossierId, input, request.app.locale);
            return h.redirect(`/dossiers/${dossierId}/rate?done=1`);
          } catch (err) {
            if (!(err instanceof AppError) || err.status === 404 || err.status >= 500) throw err;
            return (await ownerPage(request, h, dossierId, { values: input.answers, comment: p.comment ?? '', errors: failTexts(request.app.locale, err) })).code(err.status);
          }
        },
      },
      {
        method: 'GET', path: PUBLIC_PATH,
        options: { plugins: pub, validate: { query: Joi.object({ code: Joi.string().trim().uppercase().max(60).allow('') }) } },
        handler: (request, h) => publicPage(request, h, { code: (request.query as { code?: string }).code ?? '' }),
      },
      {
        method: 'POST', path: PUBLIC_PATH,
        options: {
          plugins: pub,
          validate: { payload: Joi.object({ crumb, code: Joi.string().trim().uppercase().max(60).allow(''), factor: Joi.string().trim().max(20).allow(''), comment: Joi.string().max(20000).allow(''), ...formAnswers }) },
        },
        handler: async (request, h) => {
          const locale = request.app.locale;
          const p = request.payload as Record<string, string | undefined>;
          const input = formInput(p);
          const code = p.code ?? '';
          const keep = { values: input.answers, code, comment: p.comment ?? '' };
          const fieldErrors: string[] = [];
          if (!DOSSIER_CODE_RE.test(code)) fieldErrors.push(t(locale, 'dossiers.tracking.badCode'));
          if (!FACTOR_RE.test(p.factor ?? '')) fieldErrors.push(t(locale, 'dossiers.tracking.badFactor'));
          if (fieldErrors.length) return publicPage(request, h, { ...keep, errors: fieldErrors }).code(400);
          try {
            const rating = await rateByCode(code, p.factor!, clientIp(request), input, locale);
            return publicPage(request, h, { rating });
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            // The factor is given again on every try: a one-time code is spent once it was accepted.
            return withRetryAfter(publicPage(request, h, { ...keep, factor: err.status === 422 ? p.factor : '', errors: failTexts(locale, err) }).code(err.status), err);
          }
        },
      },
      {
        method: 'POST', path: '/api/dossiers/{id}/rating',
        options: { plugins: anyone, validate: { params: Joi.object({ id }), payload: Joi.object({ answers: apiAnswers, comment: Joi.string().max(20000).allow('', null) }) } },
        handler: async (request, h) => {
          const p = request.payload as { answers: Record<string, string>; comment?: string | null };
          const r = await rateAsOwner(mustViewer(request), Number(request.params.id), { answers: answersFrom(p.answers), comment: p.comment }, request.app.locale);
          return h.response(ratingJson(r)).code(201);
        },
      },
      {
        method: 'POST', path: '/api/ratings',
        options: {
          plugins: pub,
          validate: {
            payload: Joi.object({
              code: Joi.string().trim().uppercase().pattern(DOSSIER_CODE_RE).required(), factor: Joi.string().trim().pattern(FACTOR_RE).required(),
              answers: apiAnswers, comment: Joi.string().max(20000).allow('', null),
            }),
          },
        },
        handler: async (request, h) => {
          const p = request.payload as { code: string; factor: string; answers: Record<string, string>; comment?: string | null };
          try {
            const r = await rateByCode(p.code, p.factor, clientIp(request), { answers: answersFrom(p.answers), comment: p.comment }, request.app.locale);
            return h.response(ratingJson(r)).code(201);
          } catch (err) {
            if (err instanceof AppError && err.status === 429 && typeof err.params.retryAfter === 'number') {
              return h.response({ statusCode: 429, error: 'Too Many Requests', code: err.code, message: t(request.app.locale, err.code, err.params) }).code(429).header('retry-after', String(err.params.retryAfter));
            }
            throw err;
          }
        },
      },
    ]);
  },
};

// Plugin `govflow/catalog`: the public procedure catalog (search page, procedure page, JSON API) and the staff's
// FAQ editing on the procedure page.
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { formatNumber, t, type Locale } from '../i18n/index.ts';
import { mustViewer, viewerOf } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { hasRole } from '../access/index.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { ONLINE_LEVELS } from './parse.ts';
import { addFaq, getProcedure, removeFaq, searchCatalog, suggestForSentence, updateFaq, type CatalogFilters } from './service.ts';
import { presentProcedure, presentSummary } from './presenters.ts';

const pub = { govflow: { public: true } };
/** Staff who write the FAQ: VPCP designers (who define procedures) and administrators. */
const FAQ_EDITORS: Role[] = ['admin', 'designer'];
const editors = { govflow: { roles: FAQ_EDITORS } };
const code = Joi.string().pattern(/^\d{1,2}\.\d{6}$/).required();
const PAGE_SIZE = 20;

const searchQuery = Joi.object({
  q: Joi.string().trim().max(200).allow(''),
  field: Joi.string().trim().max(255).allow(''),
  agency: Joi.string().trim().max(500).allow(''),
  level: Joi.string().trim().max(255).allow(''),
  online: Joi.string().valid(...ONLINE_LEVELS, ''),
  page: Joi.number().integer().min(1).max(10000).default(1),
});
const faqPayload = Joi.object({ crumb: Joi.string(), question: Joi.string().max(500).allow(''), answer: Joi.string().max(5000).allow('') });

type SearchQuery = CatalogFilters & { q?: string; page: number };

/** A time limit as a person reads it. */
function timeLabel(locale: Locale, p: { amount: number | null; unit: string | null; text: string | null }): string {
  if (p.amount !== null && p.unit) return t(locale, `catalog.units.${p.unit}`, { n: formatNumber(p.amount, locale) });
  return p.text || t(locale, 'catalog.notStated');
}

/** A fee as a person reads it. */
function feeLabel(locale: Locale, f: { min: number | null; max: number | null; text: string | null }): string {
  if (f.min === null || f.max === null) return f.text || t(locale, 'catalog.notStated');
  if (f.max === 0) return t(locale, 'catalog.free');
  if (f.min === f.max) return t(locale, 'catalog.feeAmount', { amount: formatNumber(f.min, locale) });
  return t(locale, 'catalog.feeRange', { min: formatNumber(f.min, locale), max: formatNumber(f.max, locale) });
}

function filtersOf(q: SearchQuery): CatalogFilters {
  return { field: q.field || undefined, agency: q.agency || undefined, level: q.level || undefined, online: q.online || undefined };
}

async function procedurePage(request: Request, h: ResponseToolkit, codeValue: string, extra: { flash?: string; errors?: string[] } = {}) {
  const locale = request.app.locale;
  const { procedure, faqs } = await getProcedure(codeValue);
  const p = presentProcedure(procedure, faqs);
  return h.view('pages/catalog/procedure', {
    pageTitle: p.name, p, timeText: timeLabel(locale, p.processing), feeText: feeLabel(locale, p.fee),
    canEditFaq: hasRole(viewerOf(request), ...FAQ_EDITORS), isLoggedIn: !!viewerOf(request), ...extra,
  });
}

/** Plugin `govflow/catalog`. */
export const catalogPlugin: Plugin<void> = {
  name: 'govflow/catalog',
  register(server) {
    registerNav({ href: '/thu-tuc', label: 'catalog.nav', roles: [], order: 5 });
    server.route([
      {
        method: 'GET', path: '/thu-tuc', options: { plugins: pub, validate: { query: searchQuery } },
        handler: async (request, h) => {
          const locale = request.app.locale;
          const q = request.query as unknown as SearchQuery;
          const filters = filtersOf(q);
          const result = await searchCatalog(q.q ?? '', filters, q.page, PAGE_SIZE);
          // A sentence (several words) also gets the FAQ answers and best guesses the question box promises.
          const isSentence = (q.q ?? '').split(/\s+/).filter(Boolean).length >= 3;
          const suggested = isSentence ? await suggestForSentence(q.q!) : { procedures: [], faqs: [] };
          const keep = new URLSearchParams();
          for (const [k, v] of Object.entries({ q: q.q, ...filters })) if (v) keep.set(k, v);
          return h.view('pages/catalog/search', {
            pageTitle: t(locale, 'catalog.title'), q: q.q ?? '', filters, keepQuery: keep.toString(),
            total: result.total, page: result.page, pages: Math.max(1, Math.ceil(result.total / PAGE_SIZE)), isRelaxed: result.isRelaxed,
            items: result.items.map((d) => ({ ...presentSummary(d), timeText: timeLabel(locale, { amount: d.processingAmount, unit: d.processingUnit, text: d.processingText }), feeText: feeLabel(locale, { min: d.feeMin, max: d.feeMax, text: d.feeText }) })),
            facets: result.facets, onlineLevels: ONLINE_LEVELS,
            suggestedFaqs: suggested.faqs,
          });
        },
      },
      {
        method: 'GET', path: '/thu-tuc/{code}',
        options: { plugins: pub, validate: { params: Joi.object({ code }), query: Joi.object({ saved: Joi.string().valid('1'), removed: Joi.string().valid('1') }) } },
        handler: async (request, h) => {
          const q = request.query as { saved?: string; removed?: string };
          const flash = q.saved ? t(request.app.locale, 'catalog.faqEdit.saved') : q.removed ? t(request.app.locale, 'catalog.faqEdit.removed') : undefined;
          return procedurePage(request, h, (request.params as { code: string }).code, { flash });
        },
      },
      {
        method: 'POST', path: '/thu-tuc/{code}/faq',
        options: { plugins: editors, validate: { params: Joi.object({ code }), payload: faqPayload } },
        handler: async (request, h) => {
          const c = (request.params as { code: string }).code;
          const p = request.payload as { question?: string; answer?: string };
          try {
            await addFaq(c, { question: p.question ?? '', answer: p.answer ?? '' }, mustViewer(request));
            return h.redirect(`/thu-tuc/${c}?saved=1#faq`);
          } catch (err) {
            if (!(err instanceof AppError) || err.status === 404) throw err;
            return (await procedurePage(request, h, c, { errors: [t(request.app.locale, err.code, err.params)] })).code(err.status);
          }
        },
      },
      {
        method: 'POST', path: '/thu-tuc/{code}/faq/{id}',
        options: { plugins: editors, validate: { params: Joi.object({ code, id: Joi.number().integer().min(1).max(2147483647) }), payload: faqPayload } },
        handler: async (request, h) => {
          const { code: c, id } = request.params as { code: string; id: number };
          const p = request.payload as { question?: string; answer?: string };
          try {
            await updateFaq(c, id, { question: p.question ?? '', answer: p.answer ?? '' }, mustViewer(request));
            return h.redirect(`/thu-tuc/${c}?saved=1#faq`);
          } catch (err) {
            if (!(err instanceof AppError) || err.status === 404) throw err;
            return (await procedurePage(request, h, c, { errors: [t(request.app.locale, err.code, err.params)] })).code(err.status);
          }
        },
      },
      {
        method: 'POST', path: '/thu-tuc/{code}/faq/{id}/delete',
        options: { plugins: editors, validate: { params: Joi.object({ code, id: Joi.number().integer().min(1).max(2147483647) }), payload: faqPayload } },
        handler: async (request, h) => {
          const { code: c, id } = request.params as { code: string; id: number };
          await removeFaq(c, id, mustViewer(request));
          return h.redirect(`/thu-tuc/${c}?removed=1#faq`);
        },
      },
      {
        method: 'GET', path: '/api/procedures', options: { plugins: pub, validate: { query: searchQuery } },
        handler: async (request) => {
          const q = request.query as unknown as SearchQuery;
          const r = await searchCatalog(q.q ?? '', filtersOf(q), q.page, PAGE_SIZE);
          return { total: r.total, page: r.page, pageSize: r.pageSize, isRelaxed: r.isRelaxed, items: r.items.map(presentSummary), facets: r.facets };
        },
      },
      {
        method: 'GET', path: '/api/procedures/suggest', options: { plugins: pub, validate: { query: Joi.object({ q: Joi.string().trim().max(300).allow('').required() }) } },
        handler: async (request) => {
          const s = await suggestForSentence((request.query as { q: string }).q);
          return { procedures: s.procedures.map(presentSummary), faqs: s.faqs };
        },
      },
      {
        method: 'GET', path: '/api/procedures/{code}', options: { plugins: pub, validate: { params: Joi.object({ code }) } },
        handler: async (request) => {
          const { procedure, faqs } = await getProcedure((request.params as { code: string }).code);
          return presentProcedure(procedure, faqs);
        },
      },
    ]);
  },
};

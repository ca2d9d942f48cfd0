// Plugin `govflow/feedback`: the public pages of feedback and petitions (send, track, reopen, published
// answers), their JSON API, and the staff's queue and case page.
import { Readable } from 'node:stream';
import type { Plugin, Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { t, type Locale } from '../i18n/index.ts';
import { getConfig } from '../config.ts';
import { clientIp, mustViewer, viewerOf } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { registerTaskPage } from '../workflow/task-pages.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { contentDisposition, isInlineType, servedType, type Upload } from '../forms/files.ts';
import {
  answerCase, assignCase, canReopen, casePageOfInstance, getCase, getPublished, listAgencies, listPublished, listQueue, maskedTexts,
  publishCase, readCaseFile, reopenCase, submitFeedback, timeLeft, trackCase, transferCase, FILE_ACCEPT, FILE_MAX_BYTES, HANDLER_ROLES, MAX_FILES,
} from './service.ts';
import { presentPublic, presentQueueRow, presentStaffCase, presentTracked } from './presenters.ts';
import type { CaseStatus } from './models.ts';

const pub = { govflow: { public: true } };
const HANDLERS: Role[] = [...HANDLER_ROLES];
const staff = { govflow: { roles: HANDLERS } };
const BASE = '/phan-anh-kien-nghi';
const PAGE_SIZE = 20;
const caseCode = Joi.string().trim().uppercase().pattern(/^PAKN-\d{6}-[A-Z0-9]{6}$/);
const id = Joi.number().integer().min(1).max(2147483647).required();
const crumb = Joi.string();
const multipart = { output: 'data' as const, parse: true, multipart: { output: 'stream' as const }, maxBytes: MAX_FILES * FILE_MAX_BYTES + 1024 * 1024 };


function caller(request: Request) {
  return { viewer: viewerOf(request), ip: clientIp(request) };
}

function failText(locale: Locale, err: AppError): string {
  return t(locale, err.code, err.params);
}

/** Words for a refused form: every problem a service listed, else its one message. */
function failTexts(locale: Locale, err: AppError): string[] {
  if (Array.isArray(err.details)) return (err.details as Array<{ code: string }>).map((d) => t(locale, d.code, { ...err.params }));
  return [failText(locale, err)];
}

function withRetryAfter<T extends { header(name: string, value: string): unknown }>(response: T, err: AppError): T {
  if (typeof err.params.retryAfter === 'number') response.header('retry-after', String(err.params.retryAfter));
  return response;
}

async function filesOf(value: unknown): Promise<Upload[]> {
  const parts = Array.isArray(value) ? value : value ? [value] : [];
  const out: Upload[] = [];
  for (const p of parts) {
    if (!(p instanceof Readable)) continue;
    const info = (p as Readable & { hapi?: { filename?: string; headers?: Record<string, string> } }).hapi;
    const data = Buffer.concat(await p.toArray());
    if (!info?.filename && !data.length) continue;
    out.push({ name: info?.filename ?? '', type: info?.headers?.['content-type'], data });
  }
  return out;
}

async function submitPage(request: Request, h: ResponseToolkit, values: Record<string, unknown> = {}, errors?: string[]) {
  const locale = request.app.locale;
  const viewer = viewerOf(request);
  return h.view('pages/feedback/submit', {
    pageTitle: t(locale, 'feedback.submit.title'), agencies: await listAgencies(), errors,
    values: { name: viewer?.fullName ?? '', ...values }, accept: FILE_ACCEPT.map((e) => `.${e}`).join(','), maxFiles: MAX_FILES, maxMb: FILE_MAX_BYTES / 1024 / 1024,
  });
}

async function trackPage(request: Request, h: ResponseToolkit, extra: Record<string, unknown> = {}) {
  return h.view('pages/feedback/track', { pageTitle: t(request.app.locale, 'feedback.track.title'), reopenDays: getConfig().feedbackReopenDays, ...extra });
}

async function casePage(request: Request, h: ResponseToolkit, caseId: number, extra: { flash?: string; errors?: string[] } = {}) {
  const viewer = mustViewer(request);
  const { case: c, events, files } = await getCase(viewer, caseId);
  const view = presentStaffCase(c, events, files);
  const preview = c.status === 'answered' ? maskedTexts(c) : null;
  const isOpen = ['received', 'processing', 'answered', 'reopened'].includes(c.status);
  const agencies = await listAgencies();
  return h.view('pages/feedback/case', {
    pageTitle: `${c.code} — ${c.subject}`, c: view, left: isOpen ? await timeLeft(c.dueAt) : null, preview, agencies,
    chosenName: c.chosenOrgCode ? agencies.find((a) => a.code === c.chosenOrgCode)?.name ?? c.chosenOrgCode : null, ...extra,
  });
}

const actionRoute = (path: string, payload: Joi.ObjectSchema, act: (request: Request, caseId: number) => Promise<unknown>, flashKey: string): ServerRoute => ({
  method: 'POST', path,
  options: { plugins: staff, validate: { params: Joi.object({ id }), payload } },
  handler: async (request: Request, h: ResponseToolkit) => {
    const caseId = Number(request.params.id);
    try {
      await act(request, caseId);
      return h.redirect(`/feedback/${caseId}?done=${flashKey}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status >= 500) throw err;
      return (await casePage(request, h, caseId, { errors: failTexts(request.app.locale, err) })).code(err.status);
    }
  },
});

const FLASHES = ['assigned', 'transferred', 'answered', 'published'] as const;

/** Plugin `govflow/feedback`. */
export const feedbackPlugin: Plugin<void> = {
  name: 'govflow/feedback',
  register(server) {
    registerNav({ href: BASE, label: 'feedback.nav.public', roles: [], order: 6 });
    registerNav({ href: '/feedback', label: 'feedback.nav.queue', roles: HANDLERS, order: 27 });
    // The case page applies the feedback rules; the generic task list sends people there.
    registerTaskPage('feedback:', (task) => casePageOfInstance(task.instanceId));

    server.route([
      {
        method: 'GET', path: BASE,
        options: { plugins: pub, validate: { query: Joi.object({ q: Joi.string().trim().max(200).allow(''), page: Joi.number().integer().min(1).max(10000).default(1) }) } },
        handler: async (request, h) => {
          const q = request.query as { q?: string; page: number };
          const r = await listPublished({ q: q.q, page: q.page, pageSize: PAGE_SIZE });
          return h.view('pages/feedback/public-list', {
            pageTitle: t(request.app.locale, 'feedback.public.title'), q: q.q ?? '', items: r.rows.map(presentPublic),
            total: r.total, page: r.page, pages: Math.max(1, Math.ceil(r.total / PAGE_SIZE)), keepQuery: q.q ? `q=${encodeURIComponent(q.q)}` : '',
          });
        },
      },
      {
        method: 'GET', path: `${BASE}/gui`, options: { plugins: pub },
        handler: async (request, h) => submitPage(request, h),
      },
      {
        method: 'POST', path: `${BASE}/gui`,
        options: {
          plugins: pub, payload: multipart,
          validate: {
            payload: Joi.object({
              crumb, subject: Joi.string().max(1000).allow(''), content: Joi.string().max(20000).allow(''), orgCode: Joi.string().max(40).allow(''),
              name: Joi.string().max(1000).allow(''), phone: Joi.string().max(100).allow(''), email: Joi.string().max(1000).allow(''),
              files: Joi.alternatives(Joi.object().instance(Readable), Joi.array().items(Joi.object().instance(Readable)).max(MAX_FILES + 5)),
            }),
          },
        },
        handler: async (request, h) => {
          const p = request.payload as Record<string, string | undefined> & { files?: unknown };
          const values = { subject: p.subject ?? '', content: p.content ?? '', orgCode: p.orgCode ?? '', name: p.name ?? '', phone: p.phone ?? '', email: p.email ?? '' };
          try {
            const files = await filesOf(p.files);
            const { case: c } = await submitFeedback({ subject: values.subject, content: values.content, orgCode: values.orgCode, contact: { name: values.name, phone: values.phone, email: values.email }, files, locale: request.app.locale }, caller(request));
            return h.redirect(`${BASE}/da-gui?code=${encodeURIComponent(c.code)}`);
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            return withRetryAfter((await submitPage(request, h, values, failTexts(request.app.locale, err))).code(err.status), err);
          }
        },
      },
      {
        method: 'GET', path: `${BASE}/da-gui`,
        options: { plugins: pub, validate: { query: Joi.object({ code: caseCode.required() }) } },
        handler: (request, h) => h.view('pages/feedback/sent', { pageTitle: t(request.app.locale, 'feedback.sent.title'), code: (request.query as { code: string }).code }),
      },
      {
        method: 'GET', path: `${BASE}/tra-cuu`,
        options: { plugins: pub, validate: { query: Joi.object({ code: Joi.string().trim().max(40).allow('') }) } },
        handler: (request, h) => trackPage(request, h, { values: { code: (request.query as { code?: string }).code ?? '' } }),
      },
      {
        method: 'POST', path: `${BASE}/tra-cuu`,
        options: { plugins: pub, validate: { payload: Joi.object({ crumb, code: Joi.string().trim().max(40).allow(''), factor: Joi.string().trim().max(20).allow('') }) } },
        handler: async (request, h) => {
          const p = request.payload as { code?: string; factor?: string };
          const values = { code: p.code ?? '', factor: p.factor ?? '' };
          try {
            const c = await trackCase(values.code, values.factor, caller(request));
            return trackPage(request, h, { values, tracked: presentTracked(c, canReopen(c)) });
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            return withRetryAfter((await trackPage(request, h, { values, errors: [failText(request.app.locale, err)] })).code(err.status), err);
          }
        },
      },
      {
        method: 'POST', path: `${BASE}/mo-lai`,
        options: { plugins: pub, validate: { payload: Joi.object({ crumb, code: Joi.string().trim().max(40).allow(''), factor: Joi.string().trim().max(20).allow(''), reason: Joi.string().max(5000).allow('') }) } },
        handler: async (request, h) => {
          const p = request.payload as { code?: string; factor?: string; reason?: string };
          const values = { code: p.code ?? '', factor: p.factor ?? '', reason: p.reason ?? '' };
          try {
            const c = await reopenCase(values.code, values.factor, values.reason, caller(request));
            return trackPage(request, h, { values: { code: values.code, factor: values.factor }, tracked: presentTracked(c, false), flash: t(request.app.locale, 'feedback.reopen.done') });
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            let tracked;
            try {
              const c = await trackCase(values.code, values.factor, caller(request));
              tracked = presentTracked(c, canReopen(c));
            } catch {
              tracked = undefined;
            }
            return withRetryAfter((await trackPage(request, h, { values, tracked, errors: [failText(request.app.locale, err)] })).code(err.status), err);
          }
        },
      },
      {
        method: 'GET', path: `${BASE}/{code}`,
        options: { plugins: pub, validate: { params: Joi.object({ code: caseCode.required() }) } },
        handler: async (request, h) => {
          const c = presentPublic(await getPublished((request.params as { code: string }).code));
          return h.view('pages/feedback/public-case', { pageTitle: c.subject, c });
        },
      },

      // JSON API for other portals and apps.
      {
        method: 'POST', path: '/api/feedback',
        options: {
          plugins: pub,
          validate: {
            payload: Joi.object({
              subject: Joi.string().max(1000).required(), content: Joi.string().max(20000).required(), orgCode: Joi.string().max(40).allow('', null),
              contact: Joi.object({ name: Joi.string().max(1000).required(), phone: Joi.string().max(100).allow('', null), email: Joi.string().max(1000).allow('', null) }).required(),
            }),
          },
        },
        handler: async (request, h) => {
          const p = request.payload as { subject: string; content: string; orgCode?: string | null; contact: { name: string; phone?: string | null; email?: string | null } };
          try {
            const { case: c } = await submitFeedback({ ...p, locale: request.app.locale }, caller(request));
            return h.response({ code: c.code, agency: { code: c.orgCode, name: c.orgName }, dueAt: c.dueAt.toISOString(), trackUrl: `${BASE}/tra-cuu?code=${c.code}` }).code(201);
          } catch (err) {
            if (err instanceof AppError && err.status === 429 && typeof err.params.retryAfter === 'number') {
              return h.response({ statusCode: 429, error: 'Too Many Requests', code: err.code, message: failText(request.app.locale, err) }).code(429).header('retry-after', String(err.params.retryAfter));
            }
            throw err;
          }
        },
      },
      {
        method: 'POST', path: '/api/feedback/track',
        options: { plugins: pub, validate: { payload: Joi.object({ code: Joi.string().trim().max(40).required(), factor: Joi.string().trim().max(20).required() }) } },
        handler: async (request) => {
          const p = request.payload as { code: string; factor: string };
          const c = await trackCase(p.code, p.factor, caller(request));
          return presentTracked(c, canReopen(c));
        },
      },
      {
        method: 'GET', path: '/api/feedback/published',
        options: { plugins: pub, validate: { query: Joi.object({ q: Joi.string().trim().max(200).allow(''), page: Joi.number().integer().min(1).max(10000).default(1) }) } },
        handler: async (request) => {
          const q = request.query as { q?: string; page: number };
          const r = await listPublished({ q: q.q, page: q.page, pageSize: PAGE_SIZE });
          return { total: r.total, page: r.page, pageSize: r.pageSize, items: r.rows.map(presentPublic) };
        },
      },
      {
        method: 'GET', path: '/api/feedback/published/{code}',
        options: { plugins: pub, validate: { params: Joi.object({ code: caseCode.required() }) } },
        handler: async (request) => presentPublic(await getPublished((request.params as { code: string }).code)),
      },

      // Staff.
      {
        method: 'GET', path: '/feedback',
        options: { plugins: staff, validate: { query: Joi.object({ status: Joi.string().valid('open', 'all', 'received', 'processing', 'answered', 'published', 'reopened', 'closed').default('open'), q: Joi.string().trim().max(200).allow(''), page: Joi.number().integer().min(1).max(10000).default(1) }) } },
        handler: async (request, h) => {
          const q = request.query as { status: 'open' | 'all' | CaseStatus; q?: string; page: number };
          const r = await listQueue(mustViewer(request), { status: q.status, q: q.q, page: q.page, pageSize: 50 });
          const rows = [];
          for (const c of r.rows) rows.push(presentQueueRow(c, await timeLeft(c.dueAt)));
          return h.view('pages/feedback/queue', { pageTitle: t(request.app.locale, 'feedback.queue.title'), rows, total: r.total, filters: { status: q.status, q: q.q ?? '' }, statuses: ['open', 'all', 'received', 'processing', 'answered', 'published', 'reopened', 'closed'] });
        },
      },
      {
        method: 'GET', path: '/api/feedback/cases',
        options: { plugins: staff, validate: { query: Joi.object({ status: Joi.string().valid('open', 'all', 'received', 'processing', 'answered', 'published', 'reopened', 'closed').default('open'), q: Joi.string().trim().max(200).allow(''), page: Joi.number().integer().min(1).max(10000).default(1) }) } },
        handler: async (request) => {
          const q = request.query as { status: 'open' | 'all' | CaseStatus; q?: string; page: number };
          const r = await listQueue(mustViewer(request), { status: q.status, q: q.q, page: q.page, pageSize: 50 });
          const items = [];
          for (const c of r.rows) items.push(presentQueueRow(c, await timeLeft(c.dueAt)));
          return { total: r.total, page: r.page, pageSize: r.pageSize, items };
        },
      },
      {
        method: 'GET', path: '/feedback/{id}',
        options: { plugins: staff, validate: { params: Joi.object({ id }), query: Joi.object({ done: Joi.string().valid(...FLASHES) }) } },
        handler: async (request, h) => {
          const done = (request.query as { done?: string }).done;
          return casePage(request, h, Number(request.params.id), { flash: done ? t(request.app.locale, `feedback.case.done.${done}`) : undefined });
        },
      },
      {
        method: 'GET', path: '/feedback/{id}/files/{fileId}',
        options: { plugins: staff, validate: { params: Joi.object({ id, fileId: id }) } },
        handler: async (request, h) => {
          const { file, data } = await readCaseFile(mustViewer(request), Number(request.params.id), Number(request.params.fileId));
          const type = servedType(file.type);
          return h.response(data).type(type).header('content-disposition', contentDisposition(file.name, isInlineType(type))).header('x-content-type-options', 'nosniff');
        },
      },
      actionRoute('/feedback/{id}/assign', Joi.object({ crumb, assignee: Joi.string().trim().max(64).allow(''), note: Joi.string().max(2000).allow('') }),
        (request, caseId) => assignCase(mustViewer(request), caseId, request.payload as { assignee?: string; note?: string }), 'assigned'),
      actionRoute('/feedback/{id}/transfer', Joi.object({ crumb, orgCode: Joi.string().trim().max(40).allow(''), reason: Joi.string().max(5000).allow('') }),
        (request, caseId) => transferCase(mustViewer(request), caseId, { orgCode: '', reason: '', ...(request.payload as object) }), 'transferred'),
      actionRoute('/feedback/{id}/answer', Joi.object({ crumb, answer: Joi.string().max(20000).allow('') }),
        (request, caseId) => answerCase(mustViewer(request), caseId, { answer: '', ...(request.payload as object) }), 'answered'),
      actionRoute('/feedback/{id}/publish', Joi.object({ crumb, subject: Joi.string().max(1000).allow(''), content: Joi.string().max(20000).allow(''), answer: Joi.string().max(20000).allow('') }),
        (request, caseId) => publishCase(mustViewer(request), caseId, request.payload as { subject?: string; content?: string; answer?: string }), 'published'),
    ]);
  },
};

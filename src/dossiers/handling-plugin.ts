// Plugin `govflow/dossier-handling`: the officers' side of dossiers (inbox, dossier page with the actions of the current step, counter registration) and the citizen's answers to a completeness request.
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import './core.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { registerTaskPage } from '../workflow/task-pages.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { t, type Locale } from '../i18n/index.ts';
import { STATUSES } from './models.ts';
import {
  dossierPageOfInstance, getOwnedDossier, inboxProcedures, listInbox, OFFICER_ACTIONS, officerView, registerCounterDossier, resubmitDossier, RETURN_METHODS,
  runOfficerAction, supplementRequestOf, withdrawDossier, type OfficerAction,
} from './handling.ts';
import { presentEvent, presentFile, presentInboxRow, presentStep, presentValues, statusText, timeLeft } from './handling-presenters.ts';
import { MAX_FILE_BYTES, type Upload } from '../forms/files.ts';
import { formatVn } from '../time.ts';

const OFFICERS: Role[] = ['admin', 'officer', 'leader'];
const officers = { govflow: { roles: OFFICERS } };
const CITIZEN_ROLES: Role[] = [];
const anyUser = { govflow: { roles: CITIZEN_ROLES } };
const idParam = Joi.object({ id: Joi.number().integer().min(1).max(2 ** 31 - 1).required() });
const procedureCode = Joi.string().trim().max(32).pattern(/^[0-9A-Za-z._-]+$/);
const orgCode = Joi.string().trim().max(40).pattern(/^[0-9A-Za-z._-]+$/);
const reason = Joi.string().allow('').max(2000);

function failText(locale: Locale, err: AppError): string {
  return t(locale, err.code, err.params);
}

/** A 4xx AppError a page shows above its form; anything else goes to the error page. */
function isShown(err: unknown): err is AppError {
  return err instanceof AppError && err.status < 500 && err.status !== 404;
}

async function officerPage(request: Request, h: ResponseToolkit, id: number, ctx: Record<string, unknown> = {}) {
  const viewer = mustViewer(request);
  const locale = request.app.locale;
  const v = await officerView(viewer, id);
  const d = v.dossier;
  const now = new Date();
  return h.view('pages/dossiers/handling/dossier', {
    pageTitle: `${t(locale, 'dossiers.handling.page.meta')} ${d.code ?? d.id}`,
    d: {
      id: d.id, code: d.code, procedureCode: d.procedureCode, procedureName: d.procedureName, applicant: d.applicantName ?? '', phone: d.applicantPhone ?? '', email: d.applicantEmail ?? '',
      channel: t(locale, `dossiers.handling.channel.${d.channel}`), received: formatVn(d.receivedAt), due: formatVn(d.dueAt), status: d.status, statusText: statusText(locale, d),
      officer: d.officer ?? '', version: d.version, decisionReason: d.decisionReason, time: timeLeft(locale, d.dueAt, now, !!d.pausedAt),
    },
    values: presentValues(d.valuesJson),
    files: v.files.map(presentFile),
    steps: v.steps.map((s) => presentStep(locale, s, now)),
    events: v.events.map((e) => presentEvent(locale, e)),
    actions: v.actions,
    request: v.request,
    isWaitingForEngine: v.isWaitingForEngine,
    returnMethods: RETURN_METHODS,
    ...ctx,
  });
}

async function supplementPage(request: Request, h: ResponseToolkit, id: number, ctx: Record<string, unknown> = {}) {
  const viewer = mustViewer(request);
  const locale = request.app.locale;
  const d = await getOwnedDossier(viewer, id);
  const req = d.status === 'supplement' ? await supplementRequestOf(d.id) : null;
  return h.view('pages/dossiers/handling/supplement', {
    pageTitle: t(locale, 'dossiers.handling.supplement.title', { code: d.code ?? '' }),
    d: { id: d.id, code: d.code, procedureName: d.procedureName, status: d.status, statusText: statusText(locale, d), version: d.version, canWithdraw: ['submitted', 'supplement', 'processing'].includes(d.status) },
    request: req, ...ctx,
  });
}

/** A file part of a multipart payload parsed with `output: 'annotated'`. */
interface FilePart {
  filename: string;
  headers: Record<string, string>;
  payload: Buffer;
}

function filesOf(value: unknown): Upload[] {
  const parts = Array.isArray(value) ? value : value ? [value] : [];
  const out: Upload[] = [];
  for (const p of parts as FilePart[]) {
    if (!p || typeof p !== 'object' || !('filename' in p) || !p.filename) continue;
    const data = Buffer.isBuffer(p.payload) ? p.payload : typeof p.payload === 'string' ? Buffer.from(p.payload) : Buffer.alloc(0);
    out.push({ name: p.filename, type: p.headers?.['content-type'], data });
  }
  return out;
}

async function counterPage(request: Request, h: ResponseToolkit, ctx: Record<string, unknown> = {}) {
  return h.view('pages/dossiers/handling/counter', { pageTitle: t(request.app.locale, 'dossiers.handling.counter.title'), form: {}, ...ctx });
}

export const dossierHandlingPlugin: Plugin<void> = {
  name: 'govflow/dossier-handling',
  register(server) {
    registerNav({ href: '/officer/dossiers', label: 'dossiers.handling.nav', roles: ['officer', 'leader'], order: 22 });
    // The officer's dossier page applies the handling rules; the generic task list sends people there.
    registerTaskPage('dossiers:', (task) => dossierPageOfInstance(task.instanceId));

    server.route([
      {
        method: 'GET', path: '/officer/dossiers',
        options: {
          plugins: officers,
          validate: { query: Joi.object({ procedure: procedureCode.allow(''), status: Joi.string().valid(...STATUSES.filter((s) => s !== 'draft'), ''), page: Joi.number().integer().min(1).max(10000).default(1) }) },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const locale = request.app.locale;
          const q = request.query as { procedure?: string; status?: string; page: number };
          const inbox = await listInbox(viewer, { procedure: q.procedure || undefined, status: q.status || undefined, page: q.page });
          const now = new Date();
          return h.view('pages/dossiers/handling/inbox', {
            pageTitle: t(locale, 'dossiers.handling.inbox.title'), q, total: inbox.total, pages: Math.ceil(inbox.total / inbox.pageSize),
            rows: inbox.rows.map((d) => presentInboxRow(locale, d, inbox.steps.get(d.id), now)),
            procedures: await inboxProcedures(viewer), statuses: STATUSES.filter((s) => s !== 'draft'),
          });
        },
      },
      {
        method: 'GET', path: '/officer/dossiers/new', options: { plugins: { govflow: { roles: ['admin', 'officer'] } } },
        handler: (request, h) => counterPage(request, h),
      },
      {
        method: 'POST', path: '/officer/dossiers/new',
        options: {
          plugins: { govflow: { roles: ['admin', 'officer'] } },
          validate: {
            payload: Joi.object({
              crumb: Joi.string(), procedure: procedureCode.required(), channel: Joi.string().valid('direct', 'post').required(), applicantName: Joi.string().trim().min(1).max(255).required(),
              applicantPhone: Joi.string().trim().allow('').max(32).pattern(/^[0-9+ ().-]*$/), applicantEmail: Joi.string().trim().allow('').max(255).email({ tlds: false }), orgCode: orgCode.allow(''), note: reason,
            }),
            failAction: async (request, h, err) => (await counterPage(request, h, { error: (err as Error).message, form: request.payload ?? {} })).code(400).takeover(),
          },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const body = request.payload as { procedure: string; channel: 'direct' | 'post'; applicantName: string; applicantPhone?: string; applicantEmail?: string; orgCode?: string; note?: string };
          try {
            const d = await registerCounterDossier(viewer, body);
            return h.redirect(`/officer/dossiers/${d.id}?done=register`);
          } catch (err) {
            if (!isShown(err)) throw err;
            return (await counterPage(request, h, { error: failText(request.app.locale, err), form: body })).code(err.status);
          }
        },
      },
      {
        method: 'GET', path: '/officer/dossiers/{id}',
        options: { plugins: officers, validate: { params: idParam, query: Joi.object({ done: Joi.string().valid(...OFFICER_ACTIONS, 'register') }) } },
        handler: (request, h) => officerPage(request, h, (request.params as { id: number }).id, { done: (request.query as { done?: string }).done }),
      },
      {
        method: 'POST', path: '/officer/dossiers/{id}/{action}',
        options: {
          plugins: officers,
          validate: {
            params: Joi.object({ id: idParam.extract('id'), action: Joi.string().valid(...OFFICER_ACTIONS).required() }),
            payload: Joi.object({
              crumb: Joi.string(), version: Joi.number().integer().min(0), reason, missing: Joi.string().allow('').max(8000), toOfficer: Joi.string().trim().allow('').max(64),
              toOrgCode: orgCode.allow(''), method: Joi.string().valid(...RETURN_METHODS, ''), pin: Joi.string().allow('').max(128),
            }),
          },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.params as { id: number; action: OfficerAction };
          try {
            await runOfficerAction(viewer, p.id, p.action, (request.payload ?? {}) as Record<string, unknown>);
          } catch (err) {
            if (!isShown(err)) throw err;
            return (await officerPage(request, h, p.id, { error: failText(request.app.locale, err) })).code(err.status);
          }
          return h.redirect(`/officer/dossiers/${p.id}?done=${p.action}`);
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/supplement',
        options: { plugins: anyUser, validate: { params: idParam, query: Joi.object({ done: Joi.string().valid('supplement', 'withdraw') }) } },
        handler: (request, h) => supplementPage(request, h, (request.params as { id: number }).id, { done: (request.query as { done?: string }).done }),
      },
      {
        method: 'POST', path: '/dossiers/{id}/supplement',
        options: {
          plugins: anyUser,
          payload: { output: 'data', parse: true, multipart: { output: 'annotated' }, maxBytes: MAX_FILE_BYTES + 1024 * 1024 },
          validate: { params: idParam, payload: Joi.object({ crumb: Joi.string(), version: Joi.number().integer().min(0), note: reason, files: Joi.any() }) },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const id = (request.params as { id: number }).id;
          const body = (request.payload ?? {}) as { version?: number; note?: string; files?: unknown };
          try {
            await resubmitDossier(viewer, id, { note: body.note, files: filesOf(body.files), version: body.version });
          } catch (err) {
            if (!isShown(err)) throw err;
            return (await supplementPage(request, h, id, { error: failText(request.app.locale, err) })).code(err.status);
          }
          return h.redirect(`/dossiers/${id}/supplement?done=supplement`);
        },
      },
      {
        method: 'POST', path: '/dossiers/{id}/withdraw',
        options: { plugins: anyUser, validate: { params: idParam, payload: Joi.object({ crumb: Joi.string(), reason }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const id = (request.params as { id: number }).id;
          try {
            await withdrawDossier(viewer, id, (request.payload as { reason?: string }).reason ?? '');
          } catch (err) {
            if (!isShown(err)) throw err;
            return (await supplementPage(request, h, id, { error: failText(request.app.locale, err) })).code(err.status);
          }
          return h.redirect(`/dossiers/${id}/supplement?done=withdraw`);
        },
      },
    ]);
  },
};

// Plugin `govflow/dossiers`: the citizen's side of dossiers (new dossier, drafts, attachments, submission, confirmation, receipt, my dossiers, documents store) and its JSON API.
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import './core.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { t, type Locale } from '../i18n/index.ts';
import { contentDisposition, sizeText, type Upload } from '../forms/files.ts';
import { formatVn } from '../time.ts';
import {
  createAndSubmit, createDraft, createDraftWithFiles, DOSSIER_MAX_FILE_BYTES, documentTypeNames, filesOfDossiers, getDossierFile, getOwnDossier, listDocuments, listOwnDossiers,
  offeredDocuments, onlineProcedure, receivingUnits, saveDraft, submitDossier, unitNames, type SaveDraftInput,
} from './service.ts';
import { receiptPdf } from './receipt.ts';
import { presentDocument, presentDossier, presentEdit, presentListRow, presentSubmission } from './presenters.ts';

/** Applicants: citizens and businesses (a business account holds the citizen role); they see "Hồ sơ của tôi". */
const APPLICANTS: Role[] = ['citizen'];
/**
 * The citizen's routes are open to any logged-in user and the service decides: only an applicant account files a
 * dossier (403 otherwise), and everyone sees only their own ("my dossiers" of a staff account is empty).
 */
const applicants = { govflow: { roles: [] as Role[] } };
/** Any logged-in user; the service decides (owner, or staff over the dossier's unit). */
const anyone = { govflow: { roles: [] as Role[] } };
const procedureCode = Joi.string().trim().pattern(/^\d{1,2}\.\d{6}$/).max(20);
const orgCode = Joi.string().trim().pattern(/^[0-9A-Za-z.]{1,40}$/);
const idParam = Joi.object({ id: Joi.number().integer().min(1).max(2147483647).required() });
const SLOT_ID = /^[a-z0-9-]{1,64}$/;
/** Request limit of the edit page: every slot may carry one full-size file. */
const EDIT_MAX_BYTES = 8 * DOSSIER_MAX_FILE_BYTES;
/** Request limit of the API: files travel as base64 (4/3 of their size), a too-large one still gets its 413 from the rules. */
const API_MAX_BYTES = 40 * 1024 * 1024;

/** A file part of a multipart payload parsed with `output: 'annotated'`. */
interface FilePart {
  filename: string;
  headers: Record<string, string>;
  payload: Buffer;
}

function isFilePart(v: unknown): v is FilePart {
  return !!v && typeof v === 'object' && 'filename' in v && 'payload' in v;
}

/** The edit page's multipart payload as a save: form values, a file and a reuse choice per slot, files to remove. */
function parseEditPayload(payload: Record<string, unknown>): { action: string; input: SaveDraftInput } {
  const values: Record<string, unknown> = Object.create(null);
  const files: Record<string, Upload> = Object.create(null);
  const reuse: Record<string, number> = Object.create(null);
  const remove: number[] = [];
  let action = 'draft';
  for (const [k, v] of Object.entries(payload)) {
    if (k === 'crumb') continue;
    if (k === 'action') {
      action = String(v);
    } else if (k === 'remove') {
      for (const x of Array.isArray(v) ? v : [v]) if (/^\d{1,10}$/.test(String(x))) remove.push(Number(x));
    } else if (k.startsWith('file.')) {
      const slot = k.slice(5);
      if (!SLOT_ID.test(slot)) throw new AppError('dossiers.citizen.unknownSlot', 400, { name: slot.slice(0, 64) });
      if (isFilePart(v) && v.filename) files[slot] = { name: v.filename, type: v.headers['content-type'], data: Buffer.isBuffer(v.payload) ? v.payload : Buffer.from(String(v.payload ?? '')) };
    } else if (k.startsWith('reuse.')) {
      const slot = k.slice(6);
      if (!SLOT_ID.test(slot)) throw new AppError('dossiers.citizen.unknownSlot', 400, { name: slot.slice(0, 64) });
      if (/^\d{1,10}$/.test(String(v))) reuse[slot] = Number(v);
    } else if (!isFilePart(v)) {
      values[k] = Array.isArray(v) ? v[v.length - 1] : v;
    }
  }
  return { action, input: { values, files, reuse, remove } };
}

interface Problem { code?: string; target?: string; message?: string; params?: Record<string, unknown> }

/** Problems of an AppError as the page lists them (each with a link to its field or document). */
function problemsOf(locale: Locale, err: AppError): Array<{ target?: string; anchor?: string; message: string }> {
  const details = Array.isArray(err.details) ? (err.details as Problem[]) : [];
  return details.map((p) => ({
    target: p.target, anchor: p.target ? (p.target.startsWith('doc-') ? p.target : `in-${p.target}`) : undefined,
    message: p.message ?? (p.code ? t(locale, p.code, p.params ?? {}) : ''),
  }));
}

async function editPage(request: Request, h: ResponseToolkit, id: number, extra: { error?: string; problems?: Array<{ target?: string; anchor?: string; message: string }>; values?: Record<string, unknown>; flash?: string } = {}) {
  const viewer = mustViewer(request);
  const locale = request.app.locale;
  const own = await getOwnDossier(viewer, id);
  if (own.dossier.status !== 'draft') return h.redirect(`/dossiers/${id}/submitted`);
  const offered = await offeredDocuments(viewer, own.slots);
  const names = await unitNames([own.dossier.orgCode]);
  const v = presentEdit(own, offered, { values: extra.values, problems: extra.problems?.map((p) => ({ target: p.target, message: p.message })), locale, unitName: names.get(own.dossier.orgCode) ?? own.dossier.orgCode });
  return h.view('pages/dossiers/citizen/edit', { pageTitle: t(locale, 'dossiers.citizen.edit.title', { name: own.dossier.procedureName }), v, maxText: sizeText(DOSSIER_MAX_FILE_BYTES), ...extra });
}

async function newPage(request: Request, h: ResponseToolkit, code: string, q: string, extra: { error?: string; orgCode?: string } = {}) {
  const locale = request.app.locale;
  const procedure = await onlineProcedure(code);
  const { units, total } = await receivingUnits(procedure, q);
  return h.view('pages/dossiers/citizen/new', { pageTitle: t(locale, 'dossiers.citizen.new.title', { name: procedure.name }), procedure: { code: procedure.code, name: procedure.name }, q, units, total, ...extra });
}

/** Uploads sent as JSON: `[{slot, name, type?, base64}]`. */
function jsonUploads(list: Array<{ slot: string; name: string; type?: string; base64: string }> | undefined): Record<string, Upload> {
  const out: Record<string, Upload> = Object.create(null);
  for (const f of list ?? []) out[f.slot] = { name: f.name, type: f.type, data: Buffer.from(f.base64, 'base64') };
  return out;
}

const apiPayload = Joi.object({
  procedure: procedureCode.required(),
  orgCode: orgCode.allow(null, ''),
  values: Joi.object().unknown(true).default({}),
  files: Joi.array().max(20).items(Joi.object({ slot: Joi.string().pattern(SLOT_ID).required(), name: Joi.string().max(255).required(), type: Joi.string().max(100), base64: Joi.string().base64().max(2 * DOSSIER_MAX_FILE_BYTES).required() })),
  reuse: Joi.object().pattern(Joi.string().pattern(SLOT_ID), Joi.number().integer().min(1).max(2147483647)),
  submit: Joi.boolean().default(false),
});

/** Plugin `govflow/dossiers`. */
export const dossiersPlugin: Plugin<void> = {
  name: 'govflow/dossiers',
  register(server) {
    registerNav({ href: '/dossiers', label: 'dossiers.citizen.nav', roles: APPLICANTS, order: 6 });
    server.route([
      {
        method: 'GET', path: '/dossiers', options: { plugins: applicants },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const locale = request.app.locale;
          const rows = await listOwnDossiers(viewer);
          const names = await unitNames(rows.map((r) => r.orgCode));
          return h.view('pages/dossiers/citizen/list', { pageTitle: t(locale, 'dossiers.citizen.mine.title'), rows: rows.map((r) => presentListRow(r, names, locale)) });
        },
      },
      {
        method: 'GET', path: '/dossiers/new',
        options: { plugins: applicants, validate: { query: Joi.object({ procedure: procedureCode.required(), q: Joi.string().trim().max(100).allow('') }) } },
        handler: async (request, h) => {
          const q = request.query as { procedure: string; q?: string };
          return newPage(request, h, q.procedure, q.q ?? '');
        },
      },
      {
        method: 'POST', path: '/dossiers/new',
        options: { plugins: applicants, validate: { payload: Joi.object({ crumb: Joi.string(), procedure: procedureCode.required(), orgCode: orgCode.allow(''), q: Joi.string().max(100).allow('') }) } },
        handler: async (request, h) => {
          const p = request.payload as { procedure: string; orgCode?: string; q?: string };
          try {
            const d = await createDraft(mustViewer(request), { procedure: p.procedure, orgCode: p.orgCode || null });
            return h.redirect(`/dossiers/${d.id}/edit`);
          } catch (err) {
            if (!(err instanceof AppError) || err.status !== 422 || err.code === 'dossiers.citizen.unknownProcedure' || err.code === 'dossiers.citizen.notOnline') throw err;
            return (await newPage(request, h, p.procedure, p.q ?? '', { error: t(request.app.locale, err.code, err.params) })).code(422);
          }
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/edit',
        options: { plugins: applicants, validate: { params: idParam, query: Joi.object({ saved: Joi.string().valid('1') }) } },
        handler: async (request, h) => {
          const { id } = request.params as { id: number };
          const saved = (request.query as { saved?: string }).saved;
          return editPage(request, h, id, saved ? { flash: t(request.app.locale, 'dossiers.citizen.edit.draftSaved') } : {});
        },
      },
      {
        method: 'POST', path: '/dossiers/{id}/edit',
        options: { plugins: applicants, payload: { output: 'data', parse: true, multipart: { output: 'annotated' }, maxBytes: EDIT_MAX_BYTES }, validate: { params: idParam } },
        handler: async (request, h) => {
          const { id } = request.params as { id: number };
          const viewer = mustViewer(request);
          const locale = request.app.locale;
          const { action, input } = parseEditPayload((request.payload ?? {}) as Record<string, unknown>);
          try {
            await saveDraft(viewer, id, input);
            if (action === 'submit') {
              await submitDossier(viewer, id, { locale });
              return h.redirect(`/dossiers/${id}/submitted`);
            }
            return h.redirect(`/dossiers/${id}/edit?saved=1`);
          } catch (err) {
            if (!(err instanceof AppError) || ![400, 413, 422].includes(err.status)) throw err;
            const problems = problemsOf(locale, err);
            const error = err.code === 'dossiers.citizen.cannotSubmit' ? t(locale, 'dossiers.citizen.edit.problems', { count: problems.length }) : t(locale, err.code, err.params);
            // A failed save keeps what the citizen typed on the page; a failed submission shows the saved draft.
            return (await editPage(request, h, id, { error, problems, values: err.code === 'dossiers.citizen.cannotSubmit' ? undefined : (input.values as Record<string, unknown>) })).code(err.status);
          }
        },
      },
      {
        method: 'POST', path: '/dossiers/{id}/submit',
        options: { plugins: applicants, validate: { params: idParam, payload: Joi.object({ crumb: Joi.string() }) } },
        handler: async (request, h) => {
          const { id } = request.params as { id: number };
          const locale = request.app.locale;
          try {
            await submitDossier(mustViewer(request), id, { locale });
            return h.redirect(`/dossiers/${id}/submitted`);
          } catch (err) {
            if (!(err instanceof AppError) || err.status !== 422) throw err;
            const problems = problemsOf(locale, err);
            return (await editPage(request, h, id, { error: t(locale, 'dossiers.citizen.edit.problems', { count: problems.length }), problems })).code(422);
          }
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/submitted', options: { plugins: applicants, validate: { params: idParam } },
        handler: async (request, h) => {
          const { id } = request.params as { id: number };
          const locale = request.app.locale;
          const { dossier: d } = await getOwnDossier(mustViewer(request), id);
          if (d.status === 'draft') return h.redirect(`/dossiers/${id}/edit`);
          const names = await unitNames([d.orgCode]);
          return h.view('pages/dossiers/citizen/submitted', { pageTitle: t(locale, 'dossiers.citizen.submitted.title'), d, unitName: names.get(d.orgCode) ?? d.orgCode, due: d.dueAt ? formatVn(d.dueAt) : null });
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/receipt.pdf', options: { plugins: anyone, validate: { params: idParam } },
        handler: async (request, h) => {
          const { id } = request.params as { id: number };
          const { code, pdf } = await receiptPdf(mustViewer(request), id, request.app.locale);
          return h.response(pdf).type('application/pdf').header('content-disposition', contentDisposition(`giay-tiep-nhan-${code}.pdf`, true));
        },
      },
      {
        method: 'GET', path: '/dossiers/{id}/files/{fileId}',
        options: { plugins: anyone, validate: { params: Joi.object({ id: Joi.number().integer().min(1).max(2147483647).required(), fileId: Joi.number().integer().min(1).max(2147483647).required() }) } },
        handler: async (request, h) => {
          const { id, fileId } = request.params as { id: number; fileId: number };
          const f = await getDossierFile(mustViewer(request), id, fileId);
          return h.response(f.bytes).type(f.type).header('content-disposition', contentDisposition(f.file.name, f.isInline)).header('x-content-type-options', 'nosniff');
        },
      },
      {
        method: 'GET', path: '/documents', options: { plugins: applicants },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const locale = request.app.locale;
          const docs = await listDocuments(viewer);
          const names = await documentTypeNames(docs);
          return h.view('pages/dossiers/citizen/documents', { pageTitle: t(locale, 'dossiers.citizen.documents.title'), docs: docs.map((d) => presentDocument(d, names, locale)) });
        },
      },
      {
        method: 'POST', path: '/api/dossiers',
        options: { plugins: { govflow: { roles: [] as Role[], maxText: API_MAX_BYTES } }, payload: { maxBytes: API_MAX_BYTES }, validate: { payload: apiPayload } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { procedure: string; orgCode?: string | null; values: Record<string, unknown>; files?: Array<{ slot: string; name: string; type?: string; base64: string }>; reuse?: Record<string, number>; submit: boolean };
          const files = jsonUploads(p.files);
          if (p.submit) {
            const r = await createAndSubmit(viewer, { procedure: p.procedure, orgCode: p.orgCode || null, values: p.values, files, reuse: p.reuse }, { locale: request.app.locale });
            return h.response(presentSubmission(r)).code(201);
          }
          const d = await createDraftWithFiles(viewer, { procedure: p.procedure, orgCode: p.orgCode || null, values: p.values, files, reuse: p.reuse });
          return h.response({ id: d.id, code: null, due: null }).code(201);
        },
      },
      {
        method: 'GET', path: '/api/dossiers', options: { plugins: applicants },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const rows = await listOwnDossiers(viewer);
          const files = await filesOfDossiers(rows.map((r) => r.id));
          return { total: rows.length, items: rows.map((r) => presentDossier(r, files.get(r.id) ?? [])) };
        },
      },
    ]);
  },
};

// Form builder and data-entry screens, downloads (Excel, PDF, definition, JSON Schema) and the forms JSON API.
import type { Plugin, Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { AppError } from '../errors.ts';
import { t, type Locale } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import type { Viewer } from '../access/index.ts';
import {
  createForm, describeIssues, formHistory, getFormVersion, getPreviousValues, getPublished, getSubmission, importDefinition, listForms, newVersion,
  definitionProblems, getSubmissionFile, prepareInput, publishForm, resolveDefinition, resolveForm, saveDraft, saveSubmission, saveSubmissionWithFiles, uploadSubmission, type FormVersionView,
} from './service.ts';
import { emptyValues, evaluateForm, setValue, type Plan } from './engine.ts';
import type { FormDefinition, FormValues } from './definition.ts';
import { formPdf, stopRenderWorker, templateXlsx, warmRenderWorker } from './render-pool.ts';
import { UPLOAD_LIMITS } from './zip-limits.ts';
import { jsonSchemaOf } from './json-schema.ts';
import { contentDisposition, MAX_FILE_BYTES, type Upload } from './files.ts';
import { formsCatalog, periodText, presentEntry, presentHistory, presentVersion } from './presenters.ts';

const designers = { govflow: { roles: ['designer', 'admin'] as Role[] } };
/** The builder posts a whole definition as one JSON text, above the edge check's default text size. */
const MAX_DEFINITION_TEXT = 5 * 1024 * 1024;
const designersWithDefinition = { govflow: { roles: ['designer', 'admin'] as Role[], maxText: MAX_DEFINITION_TEXT } };
const fillers = { govflow: { roles: ['officer', 'designer', 'admin'] as Role[] } };
const key = Joi.string().pattern(/^[a-z0-9]+(-[a-z0-9]+)*$/).max(60);
const period = Joi.string().pattern(/^[0-9A-Za-z-]{4,20}$/);
const versionQuery = Joi.object({ version: Joi.number().integer().min(1) });

function currentPeriod(): string {
  return new Date().toISOString().slice(0, 7);
}

function orgOf(viewer: Viewer): number {
  return viewer.orgUnitId ?? 0;
}

function fileName(v: FormVersionView, ext: string): string {
  return `${v.key}-v${v.version}.${ext}`;
}

function download(h: ResponseToolkit, body: Buffer | string, type: string, name: string) {
  return h.response(body).type(type).header('content-disposition', `attachment; filename="${name}"`);
}

async function versionFor(request: Request): Promise<FormVersionView> {
  const { key: k } = request.params as { key: string };
  const { version } = request.query as { version?: number };
  return getFormVersion(k, version);
}

/** A file part of a multipart payload parsed with `output: 'annotated'`. */
interface FilePart {
  filename: string;
  headers: Record<string, string>;
  payload: Buffer;
}

function isFilePart(v: unknown): v is FilePart {
  return !!v && typeof v === 'object' && 'filename' in v && 'payload' in v;
}

/** The file parts of a multipart payload that carry a file (an empty file input sends none). */
function uploadsOf(payload: Record<string, unknown>): Record<string, Upload> {
  const out: Record<string, Upload> = Object.create(null);
  for (const [k, v] of Object.entries(payload)) {
    // A part whose content type hapi parses (JSON, text) arrives parsed; its bytes are then unknown, so it counts as empty.
    if (isFilePart(v) && v.filename) out[k] = { name: v.filename, type: v.headers['content-type'], data: Buffer.isBuffer(v.payload) ? v.payload : typeof v.payload === 'string' ? Buffer.from(v.payload) : Buffer.alloc(0) };
  }
  return out;
}

/** Multipart with file names and types, for routes that take uploads of file fields. */
const uploadPayload = { output: 'data' as const, parse: true, multipart: { output: 'annotated' as const }, maxBytes: MAX_FILE_BYTES + 1024 * 1024 };

/**
 * Flat form fields (`r01.th`, `nguoiLap`, `expl.ruleId`) to values and explanations. Every name must be
 * a field or cell of the form (otherwise 400 naming it); the objects have no prototype.
 */
function parseEntryPayload(payload: Record<string, unknown>, plan: Plan): { values: FormValues; explanations: Record<string, string> } {
  const values = emptyValues();
  const explanations: Record<string, string> = Object.create(null);
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(payload)) {
    if (k === 'crumb' || k === 'action' || k === 'period') continue;
    if (k.startsWith('expl.')) {
      const rule = k.slice(5);
      if ((plan.def.rules ?? []).some((r) => r.id === rule)) explanations[rule] = String(v);
      else unknown.push(k);
    } else if (plan.cells.has(k)) {
      if (!isFilePart(v)) setValue(values, k, v);
    } else unknown.push(k);
  }
  if (unknown.length) throw new AppError('forms.entry.unknownField', 400, { name: unknown.slice(0, 10).join(', ') });
  return { values, explanations };
}

async function entryView(request: Request, h: ResponseToolkit, form: FormVersionView, opts: { period: string; isPreview: boolean; values?: FormValues; issues?: import('./engine.ts').Issue[]; explanations?: Record<string, string>; error?: string; problems?: Array<{ message: string }>; flash?: string; status?: string }) {
  const locale = request.app.locale;
  const viewer = mustViewer(request);
  const { definition, plan } = await resolveForm(form, { viewer, orgCode: viewer.orgCode });
  let values = opts.values;
  let issues = opts.issues;
  let explanations = opts.explanations;
  let status = opts.status ?? 'new';
  if (!values && !opts.isPreview) {
    const sub = await getSubmission(viewer, form, orgOf(viewer), opts.period);
    values = sub.values;
    issues = sub.issues;
    explanations = sub.explanations;
    status = sub.status;
  }
  const entry = presentEntry(definition, plan, values ?? {}, issues ?? [], locale);
  const prev = opts.isPreview ? null : await getPreviousValues(viewer, form, orgOf(viewer), opts.period);
  return h.view('pages/forms/entry', {
    pageTitle: `${form.definition.code} — ${form.definition.name}`,
    form: { key: form.key, version: form.version, status: form.status, def: form.definition },
    entry, period: opts.period, periodLabel: periodText(opts.period, locale), isPreview: opts.isPreview, status, isSubmitted: status === 'submitted',
    explanations: explanations ?? {}, error: opts.error, problems: opts.problems, flash: opts.flash,
    orgName: viewer.orgName ?? '',
    boot: { definition, catalog: formsCatalog(locale), locale, prev },
  });
}

async function builderView(request: Request, h: ResponseToolkit, k: string, extra: Record<string, unknown> = {}) {
  const locale = request.app.locale;
  const form = await getFormVersion(k);
  const problems = describeIssues(locale, definitionProblems(form.definition));
  return h.view('pages/forms/builder', {
    pageTitle: `${t(locale, 'forms.builder.title')} — ${form.definition.code}`,
    form: { key: form.key, version: form.version, status: form.status, isDraft: form.status === 'draft', def: form.definition },
    json: JSON.stringify(form.definition, null, 2),
    problems,
    boot: { key: form.key, version: form.version, isDraft: form.status === 'draft', definition: form.definition, catalog: formsCatalog(locale), locale },
    ...extra,
  });
}

function flashOf(request: Request): string | undefined {
  const q = request.query as { done?: string; version?: number };
  const locale = request.app.locale;
  switch (q.done) {
    case 'saved': return t(locale, 'forms.builder.saved');
    case 'published': return t(locale, 'forms.builder.published', { version: q.version ?? '' });
    case 'imported': return t(locale, 'forms.builder.importDone');
    case 'draft': return t(locale, 'forms.entry.saved');
    case 'submitted': return t(locale, 'forms.entry.submitted');
    default: return undefined;
  }
}

function pageRoutes(): ServerRoute[] {
  return [
    {
      method: 'GET', path: '/forms',
      options: { plugins: fillers },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const locale = request.app.locale;
        const forms = (await listForms()).map((f) => ({ ...f, periodLabel: t(locale, `forms.periodKind.${f.periodKind}`), statusLabel: t(locale, `forms.status.${f.latestStatus}`) }));
        const isDesigner = viewer.roles.some((r) => r.role === 'designer' || r.role === 'admin');
        return h.view('pages/forms/list', { pageTitle: t(locale, 'forms.list.title'), forms, isDesigner, period: currentPeriod(), error: (request.query as { error?: string }).error });
      },
    },
    {
      method: 'POST', path: '/forms',
      options: {
        plugins: designers,
        validate: { payload: Joi.object({ crumb: Joi.string(), key: key.required(), code: Joi.string().trim().max(60).required(), name: Joi.string().trim().max(500).required(), periodKind: Joi.string().valid('month', 'quarter', 'half', 'year', 'adhoc').required() }) },
      },
      handler: async (request, h) => {
        const p = request.payload as { key: string; code: string; name: string; periodKind: FormDefinition['periodKind'] };
        const def: FormDefinition = { key: p.key, code: p.code, name: p.name, periodKind: p.periodKind, sections: [{ id: 'chung', title: t(request.app.locale, 'forms.doc.fields'), fields: [] }], rules: [] };
        await createForm(mustViewer(request), def);
        return h.redirect(`/forms/${p.key}/edit`);
      },
    },
    {
      method: 'POST', path: '/forms/import',
      options: { plugins: designers, payload: { output: 'data', parse: true, multipart: true, maxBytes: 5 * 1024 * 1024 } },
      handler: async (request, h) => {
        const file = (request.payload as { file?: unknown }).file;
        let input: unknown;
        // A part sent as application/json arrives already parsed; any other type arrives as bytes.
        if (file && typeof file === 'object' && !Buffer.isBuffer(file)) input = file;
        else {
          try {
            input = JSON.parse(Buffer.isBuffer(file) ? file.toString('utf8') : String(file ?? ''));
          } catch {
            throw new AppError('forms.definition.invalid', 400, { count: 1 });
          }
        }
        const v = await importDefinition(mustViewer(request), input);
        return h.redirect(`/forms/${v.key}/edit?done=imported`);
      },
    },
    {
      method: 'GET', path: '/forms/{key}/edit',
      options: { plugins: designers, validate: { params: Joi.object({ key }), query: Joi.object({ done: Joi.string().max(20), version: Joi.number().integer() }) } },
      handler: (request, h) => builderView(request, h, (request.params as { key: string }).key, { flash: flashOf(request) }),
    },
    {
      method: 'POST', path: '/forms/{key}/definition',
      options: { plugins: designersWithDefinition, validate: { params: Joi.object({ key }), payload: Joi.object({ crumb: Joi.string(), json: Joi.string().max(MAX_DEFINITION_TEXT).required() }) } },
      handler: async (request, h) => {
        const k = (request.params as { key: string }).key;
        const json = (request.payload as { json: string }).json;
        try {
          await saveDraft(mustViewer(request), k, JSON.parse(json));
        } catch (err) {
          if (err instanceof SyntaxError || (err instanceof AppError && err.status === 422)) {
            const details = err instanceof AppError ? (err.details as Array<{ path?: string; message: string }> | undefined) ?? [] : [{ message: err.message }];
            return (await builderView(request, h, k, { error: err instanceof AppError ? t(request.app.locale, err.code, err.params) : err.message, errors: details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)) })).code(422);
          }
          throw err;
        }
        return h.redirect(`/forms/${k}/edit?done=saved`);
      },
    },
    {
      method: 'POST', path: '/forms/{key}/publish',
      options: { plugins: designers, validate: { params: Joi.object({ key }) } },
      handler: async (request, h) => {
        const k = (request.params as { key: string }).key;
        try {
          const v = await publishForm(mustViewer(request), k, request.app.locale);
          return h.redirect(`/forms/${k}/edit?done=published&version=${v.version}`);
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'forms.definition.hasErrors') throw err;
          return (await builderView(request, h, k, { error: t(request.app.locale, err.code, err.params) })).code(422);
        }
      },
    },
    {
      method: 'POST', path: '/forms/{key}/versions',
      options: { plugins: designers, validate: { params: Joi.object({ key }) } },
      handler: async (request, h) => {
        const k = (request.params as { key: string }).key;
        await newVersion(mustViewer(request), k);
        return h.redirect(`/forms/${k}/edit`);
      },
    },
    {
      method: 'GET', path: '/forms/{key}/history',
      options: { plugins: designers, validate: { params: Joi.object({ key }) } },
      handler: async (request, h) => {
        const k = (request.params as { key: string }).key;
        const versions = await formHistory(k);
        const latest = versions[0];
        return h.view('pages/forms/history', { pageTitle: `${t(request.app.locale, 'forms.history.title')} — ${latest.definition.code}`, form: { key: k, def: latest.definition }, versions: presentHistory(versions, request.app.locale) });
      },
    },
    {
      method: 'GET', path: '/forms/{key}/preview',
      options: { plugins: designers, validate: { params: Joi.object({ key }), query: versionQuery } },
      handler: async (request, h) => entryView(request, h, await versionFor(request), { period: currentPeriod(), isPreview: true, values: {}, issues: [] }),
    },
    {
      method: 'GET', path: '/forms/{key}/definition.json',
      options: { plugins: designers, validate: { params: Joi.object({ key }), query: versionQuery } },
      handler: async (request, h) => {
        const v = await versionFor(request);
        return download(h, JSON.stringify(v.definition, null, 2) + '\n', 'application/json; charset=utf-8', fileName(v, 'json'));
      },
    },
    {
      method: 'GET', path: '/forms/{key}/template.xlsx',
      options: { plugins: fillers, validate: { params: Joi.object({ key }), query: versionQuery.keys({ period }) } },
      handler: async (request, h) => {
        const v = await versionFor(request);
        const viewer = mustViewer(request);
        const p = (request.query as { period?: string }).period;
        const def = await resolveDefinition(v, { viewer, orgCode: viewer.orgCode });
        const buf = await templateXlsx(def, { version: v.version, locale: request.app.locale, orgName: viewer.orgName ?? undefined, period: p ? periodText(p, request.app.locale) : undefined }, v.status === 'published' ? v.id : null);
        return download(h, buf, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', fileName(v, 'xlsx'));
      },
    },
    {
      method: 'GET', path: '/forms/{key}/sample.pdf',
      options: { plugins: designers, validate: { params: Joi.object({ key }), query: versionQuery } },
      handler: async (request, h) => {
        const v = await versionFor(request);
        const viewer = mustViewer(request);
        const def = await resolveDefinition(v, { viewer, orgCode: viewer.orgCode });
        const buf = await formPdf(def, { locale: request.app.locale }, { sample: true, cacheFor: v.status === 'published' ? v.id : null });
        return download(h, buf, 'application/pdf', fileName(v, 'pdf'));
      },
    },
    {
      method: 'GET', path: '/forms/{key}/fill',
      options: { plugins: fillers, validate: { params: Joi.object({ key }), query: Joi.object({ period: period.default(currentPeriod), done: Joi.string().max(20) }) } },
      handler: async (request, h) => {
        const { period: p } = request.query as { period: string };
        const form = await getPublished((request.params as { key: string }).key);
        return entryView(request, h, form, { period: p, isPreview: false, flash: flashOf(request) });
      },
    },
    {
      method: 'POST', path: '/forms/{key}/fill',
      options: { plugins: fillers, payload: uploadPayload, validate: { params: Joi.object({ key }) } },
      handler: async (request, h) => {
        const k = (request.params as { key: string }).key;
        const payload = (request.payload ?? {}) as Record<string, unknown>;
        const p = String(payload.period ?? currentPeriod());
        const { error } = period.validate(p);
        if (error) throw new AppError('validation.failed', 400);
        const submit = payload.action === 'submit';
        const form = await getPublished(k);
        const viewer = mustViewer(request);
        const { values, explanations } = parseEntryPayload(payload, (await resolveForm(form, { viewer, orgCode: viewer.orgCode })).plan);
        try {
          await saveSubmissionWithFiles(viewer, form, orgOf(viewer), p, values, uploadsOf(payload), { submit, explanations, locale: request.app.locale });
        } catch (err) {
          if (!(err instanceof AppError) || ![400, 413, 422].includes(err.status)) throw err;
          const { plan } = await resolveForm(form, { viewer, orgCode: viewer.orgCode });
          const ev = evaluateForm(plan, prepareInput(plan, values), await getPreviousValues(viewer, form, orgOf(viewer), p));
          return (await entryView(request, h, form, { period: p, isPreview: false, values: ev.values, issues: ev.issues, explanations, error: t(request.app.locale, err.code, err.params), status: 'draft' })).code(err.status);
        }
        return h.redirect(`/forms/${k}/fill?period=${encodeURIComponent(p)}&done=${submit ? 'submitted' : 'draft'}`);
      },
    },
    {
      method: 'POST', path: '/forms/{key}/fill/upload',
      options: { plugins: fillers, payload: { output: 'data', parse: true, multipart: true, maxBytes: UPLOAD_LIMITS.fileBytes + 64 * 1024 }, validate: { params: Joi.object({ key }) } },
      handler: async (request, h) => {
        const k = (request.params as { key: string }).key;
        const payload = (request.payload ?? {}) as { file?: Buffer; period?: string };
        const p = String(payload.period ?? currentPeriod());
        if (period.validate(p).error) throw new AppError('validation.failed', 400);
        const form = await getPublished(k);
        const viewer = mustViewer(request);
        try {
          await uploadSubmission(viewer, form, orgOf(viewer), p, Buffer.isBuffer(payload.file) ? payload.file : Buffer.from(String(payload.file ?? '')), request.app.locale);
        } catch (err) {
          if (!(err instanceof AppError) || ![400, 413, 422].includes(err.status)) throw err;
          return (await entryView(request, h, form, { period: p, isPreview: false, error: t(request.app.locale, err.code, err.params), problems: (err.details as Array<{ message: string }> | undefined) ?? [] })).code(err.status);
        }
        return h.redirect(`/forms/${k}/fill?period=${encodeURIComponent(p)}&done=draft`);
      },
    },
    {
      method: 'GET', path: '/forms/{key}/fill/files/{field}',
      options: { plugins: fillers, validate: { params: Joi.object({ key, field: fieldId }), query: Joi.object({ period: period.required() }) } },
      handler: async (request, h) => {
        const { key: k, field } = request.params as { key: string; field: string };
        return downloadFile(request, h, k, (request.query as { period: string }).period, field);
      },
    },
    {
      method: 'GET', path: '/forms/{key}/fill.pdf',
      options: { plugins: fillers, validate: { params: Joi.object({ key }), query: Joi.object({ period: period.default(currentPeriod) }) } },
      handler: async (request, h) => {
        const { period: p } = request.query as { period: string };
        const form = await getPublished((request.params as { key: string }).key);
        const viewer = mustViewer(request);
        const sub = await getSubmission(viewer, form, orgOf(viewer), p);
        const def = await resolveDefinition(form, { viewer, orgCode: viewer.orgCode });
        const buf = await formPdf(def, { locale: request.app.locale, values: sub.values, orgName: viewer.orgName ?? undefined, period: periodText(p, request.app.locale), date: sub.updatedAt ?? undefined });
        return download(h, buf, 'application/pdf', `${form.key}-${p}.pdf`);
      },
    },
  ];
}

const fieldId = Joi.string().pattern(/^[A-Za-z_][A-Za-z0-9_]*$/).max(60);

/** The file of a field in the viewer's unit's submission: the same roles and unit as the submission itself. */
async function downloadFile(request: Request, h: ResponseToolkit, k: string, p: string, field: string) {
  const form = await getPublished(k);
  const viewer = mustViewer(request);
  const file = await getSubmissionFile(viewer, form, orgOf(viewer), p, field);
  return h.response(file.bytes).type(file.type).header('content-disposition', contentDisposition(file.value.name, file.isInline)).header('x-content-type-options', 'nosniff');
}

function apiRoutes(): ServerRoute[] {
  const locale = (r: Request): Locale => r.app.locale;
  return [
    { method: 'GET', path: '/api/forms', options: { plugins: fillers }, handler: async () => ({ forms: await listForms() }) },
    {
      method: 'POST', path: '/api/forms', options: { plugins: designers },
      handler: async (request, h) => h.response(presentVersion(await createForm(mustViewer(request), request.payload), undefined, locale(request))).code(201),
    },
    {
      method: 'POST', path: '/api/forms/check', options: { plugins: designers },
      handler: async (request) => {
        const { parseDefinition } = await import('./schema.ts');
        const def = parseDefinition(request.payload);
        return { problems: describeIssues(locale(request), definitionProblems(def)) };
      },
    },
    {
      method: 'GET', path: '/api/forms/{key}', options: { plugins: fillers, validate: { params: Joi.object({ key }), query: versionQuery } },
      handler: async (request) => {
        const v = await versionFor(request);
        return presentVersion(v, definitionProblems(v.definition), locale(request));
      },
    },
    {
      method: 'PUT', path: '/api/forms/{key}', options: { plugins: designers, validate: { params: Joi.object({ key }) } },
      handler: async (request) => {
        const r = await saveDraft(mustViewer(request), (request.params as { key: string }).key, request.payload);
        return presentVersion(r.form, r.problems, locale(request));
      },
    },
    {
      method: 'POST', path: '/api/forms/{key}/publish', options: { plugins: designers, validate: { params: Joi.object({ key }) } },
      handler: async (request) => presentVersion(await publishForm(mustViewer(request), (request.params as { key: string }).key, locale(request))),
    },
    {
      method: 'POST', path: '/api/forms/{key}/versions', options: { plugins: designers, validate: { params: Joi.object({ key }) } },
      handler: async (request, h) => h.response(presentVersion(await newVersion(mustViewer(request), (request.params as { key: string }).key))).code(201),
    },
    {
      method: 'GET', path: '/api/forms/{key}/schema', options: { plugins: fillers, validate: { params: Joi.object({ key }), query: versionQuery } },
      handler: async (request) => {
        const v = await versionFor(request);
        const viewer = mustViewer(request);
        const r = await resolveForm(v, { viewer, orgCode: viewer.orgCode });
        return jsonSchemaOf(r.definition, v.version, r.plan);
      },
    },
    {
      method: 'GET', path: '/api/forms/{key}/submissions/{period}', options: { plugins: fillers, validate: { params: Joi.object({ key, period }) } },
      handler: async (request) => {
        const { key: k, period: p } = request.params as { key: string; period: string };
        const form = await getPublished(k);
        const sub = await getSubmission(mustViewer(request), form, orgOf(mustViewer(request)), p);
        return { form: k, version: form.version, period: p, ...sub, issues: describeIssues(locale(request), sub.issues) };
      },
    },
    {
      method: 'GET', path: '/api/forms/{key}/submissions/{period}/files/{field}',
      options: { plugins: fillers, validate: { params: Joi.object({ key, period, field: fieldId }) } },
      handler: async (request, h) => {
        const { key: k, period: p, field } = request.params as { key: string; period: string; field: string };
        return downloadFile(request, h, k, p, field);
      },
    },
    {
      method: 'POST', path: '/api/forms/{key}/submissions/{period}/files/{field}',
      options: { plugins: fillers, payload: uploadPayload, validate: { params: Joi.object({ key, period, field: fieldId }) } },
      handler: async (request) => {
        const { key: k, period: p, field } = request.params as { key: string; period: string; field: string };
        const part = ((request.payload ?? {}) as Record<string, unknown>).file;
        if (!isFilePart(part) || !part.filename) throw new AppError('forms.file.missing', 400);
        const form = await getPublished(k);
        const viewer = mustViewer(request);
        const r = await saveSubmissionWithFiles(viewer, form, orgOf(viewer), p, { ...(await getSubmission(viewer, form, orgOf(viewer), p)).values }, uploadsOf({ [field]: part }), { locale: locale(request) });
        return { form: k, version: form.version, period: p, file: r.submission.values[field], ...r.submission, issues: describeIssues(locale(request), r.submission.issues) };
      },
    },
    {
      method: 'PUT', path: '/api/forms/{key}/submissions/{period}',
      options: {
        plugins: fillers,
        validate: { params: Joi.object({ key, period }), payload: Joi.object({ values: Joi.object().required(), explanations: Joi.object().pattern(Joi.string(), Joi.string().allow('').max(4000)), submit: Joi.boolean().default(false) }) },
      },
      handler: async (request) => {
        const { key: k, period: p } = request.params as { key: string; period: string };
        const body = request.payload as { values: FormValues; explanations?: Record<string, string>; submit: boolean };
        const form = await getPublished(k);
        const viewer = mustViewer(request);
        const r = await saveSubmission(viewer, form, orgOf(viewer), p, body.values, { submit: body.submit, explanations: body.explanations, locale: locale(request) });
        return { form: k, version: form.version, period: p, ...r.submission, issues: describeIssues(locale(request), r.submission.issues) };
      },
    },
  ];
}

/** Plugin `govflow/forms`. */
export const formsPlugin: Plugin<void> = {
  name: 'govflow/forms',
  register(server) {
    registerNav({ href: '/forms', label: 'forms.nav.forms', roles: ['designer', 'admin', 'officer'], order: 30 });
    server.route([...pageRoutes(), ...apiRoutes()]);
    // The render worker loads exceljs and pdfkit once at start, not during a user's first download.
    server.ext('onPostStart', async () => {
      await warmRenderWorker();
    });
    server.ext('onPostStop', async () => {
      await stopRenderWorker();
    });
  },
};

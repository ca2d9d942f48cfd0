// Reporting screens beyond the flow itself: the regime editor (with JSON import/export) for designers.
// Thin handlers: validate → service → view.
import { Readable } from 'node:stream';
import type { Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { t } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { getRegime, getReport, listRegimes, regimeForm } from './service.ts';
import { crosscheckList, presentCrosscheck } from './dossier-crosscheck.ts';
import { statusBoard } from './status-board.ts';
import { resultsOf, resultsPdf, resultsXlsx } from './exports.ts';
import { listRequests, requestableUnits, sendRequest, type RequestInput } from './requests.ts';
import { formatVn } from '../time.ts';
import { periodLabel } from './periods.ts';
import {
  REGIME_FREQUENCIES, REGIME_LEVELS, importRegimeText, problemMessages, publishedFormChoices, regimeFileText, regimeFormValues, saveRegimeFromForm, type FieldProblem, type RegimeFormInput,
} from './regime-editor.ts';

const STAFF: Role[] = ['admin', 'designer', 'officer', 'leader'];
const DESIGN: Role[] = ['admin', 'designer'];
const LEAD: Role[] = ['admin', 'leader'];
const code = Joi.string().trim().max(64).pattern(/^[A-Za-z0-9._-]+$/);
const MAX_JSON = 1024 * 1024;

/** The editor's fields: short texts (and the level checkboxes as a list). */
const editorPayload = Joi.object({
  crumb: Joi.string(),
  levels: Joi.alternatives(Joi.string().max(20), Joi.array().max(10).items(Joi.string().max(20))),
  units: Joi.string().allow('').max(100_000),
  legalBasis: Joi.string().allow('').max(4000),
}).pattern(/^[A-Za-z]{1,20}(\.[a-z]{1,12})?$/, Joi.string().allow('').max(500));

async function editorPage(request: Request, h: ResponseToolkit, o: { originalCode: string | null; values: Record<string, unknown>; problems?: FieldProblem[]; done?: string; error?: string }) {
  const locale = request.app.locale;
  const forms = await publishedFormChoices();
  const current = String(o.values.form ?? '');
  if (current && !forms.some((f) => f.value === current)) forms.unshift({ value: current, label: current, periodKind: '' });
  const { byField, list } = problemMessages(locale, o.problems ?? []);
  return h.view('pages/reporting/regime-edit', {
    pageTitle: t(locale, o.originalCode ? 'reporting.screens.regime.editTitle' : 'reporting.screens.regime.newTitle', { code: o.originalCode ?? '' }),
    originalCode: o.originalCode, v: o.values, formChoices: forms, levels: REGIME_LEVELS, frequencies: REGIME_FREQUENCIES, errors: byField, errorList: list, done: o.done, error: o.error,
  });
}

/** Editor input back into the shape of the form's values, so a refused form shows what was typed. */
function typedValues(p: RegimeFormInput): Record<string, unknown> {
  const deadlines = Object.create(null) as Record<string, string>;
  for (const l of REGIME_LEVELS) {
    const v = p[`deadline.${l}`];
    if (typeof v === 'string') deadlines[l] = v;
  }
  const levels = p.levels === undefined ? [] : Array.isArray(p.levels) ? p.levels : [p.levels];
  return { ...p, levels, deadlines, isLateAllowed: p.isLateAllowed === '1' };
}

async function requestsPage(request: Request, h: ResponseToolkit, o: { values?: Record<string, unknown>; problems?: FieldProblem[]; done?: string } = {}) {
  const viewer = mustViewer(request);
  const locale = request.app.locale;
  const groups = await requestableUnits(viewer);
  const regimes = (await listRegimes()).filter((r) => !/-DX\d+$/.test(r.code));
  const requests = (await listRequests(viewer)).map((r) => ({ ...r, deadlineText: formatVn(r.deadline), periodText: r.period ? periodLabel(r.period, locale) : '', href: `/reporting/${encodeURIComponent(r.regime)}/${encodeURIComponent(r.period ?? '')}` }));
  const { byField, list } = problemMessages(locale, o.problems ?? []);
  const v = o.values ?? { regime: regimes[0]?.code ?? '', title: '', deadline: '', requester: groups[0]?.requester.code ?? '', units: [] };
  return h.view('pages/reporting/requests', { pageTitle: t(locale, 'reporting.screens.request.title'), groups, regimes, requests, v, errors: byField, errorList: list, done: o.done });
}

const requestPayload = Joi.object({
  crumb: Joi.string(), regime: Joi.string().allow('').max(64), title: Joi.string().allow('').max(500), deadline: Joi.string().allow('').max(40), requester: Joi.string().allow('').max(40),
  units: Joi.alternatives(Joi.string().max(40), Joi.array().max(2000).items(Joi.string().max(40))),
});

const unitParams = Joi.object({
  regime: code.required(), period: Joi.string().trim().max(16).pattern(/^[0-9A-Za-z-]+$/).required(), unit: Joi.string().trim().max(40).pattern(/^[A-Za-z0-9._-]+$/).required(),
});
type UnitP = { regime: string; period: string; unit: string };
const fileName = (p: UnitP, ext: string) => `attachment; filename="${p.regime}-${p.period}-${p.unit}.${ext}"`;

/** Routes of the reporting screens (registered by the reporting plugin). */
export function screenRoutes(): ServerRoute[] {
  return [
    {
      method: 'GET', path: '/reporting/status', options: { plugins: { govflow: { roles: STAFF } } },
      handler: async (request, h) => {
        const locale = request.app.locale;
        const rows = await statusBoard(mustViewer(request), locale);
        const chart = { labels: rows.map((r) => r.code), onTime: rows.map((r) => r.onTime), late: rows.map((r) => r.late), missing: rows.map((r) => r.missing), names: { onTime: t(locale, 'reporting.status.onTime'), late: t(locale, 'reporting.status.late'), missing: t(locale, 'reporting.status.missing') } };
        return h.view('pages/reporting/status-board', { pageTitle: t(locale, 'reporting.screens.board.title'), rows, chartJson: JSON.stringify(chart) });
      },
    },
    {
      method: 'GET', path: '/reporting/{regime}/{period}/{unit}/results', options: { plugins: { govflow: { roles: STAFF } }, validate: { params: unitParams } },
      handler: async (request, h) => {
        const p = request.params as UnitP;
        const locale = request.app.locale;
        const r = await resultsOf(mustViewer(request), p.regime, p.period, p.unit, locale);
        return h.view('pages/reporting/results', { pageTitle: t(locale, 'reporting.screens.results.title', { unit: r.unitName }), r, p });
      },
    },
    {
      method: 'GET', path: '/reporting/{regime}/{period}/{unit}/results.xlsx', options: { plugins: { govflow: { roles: STAFF } }, validate: { params: unitParams } },
      handler: async (request, h) => {
        const p = request.params as UnitP;
        const r = await resultsOf(mustViewer(request), p.regime, p.period, p.unit, request.app.locale);
        return h.response(await resultsXlsx(r, request.app.locale)).type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').header('content-disposition', fileName(p, 'xlsx'));
      },
    },
    {
      method: 'GET', path: '/reporting/{regime}/{period}/{unit}/results.pdf', options: { plugins: { govflow: { roles: STAFF } }, validate: { params: unitParams } },
      handler: async (request, h) => {
        const p = request.params as UnitP;
        const r = await resultsOf(mustViewer(request), p.regime, p.period, p.unit, request.app.locale);
        return h.response(await resultsPdf(p.regime, r, request.app.locale)).type('application/pdf').header('content-disposition', fileName(p, 'pdf'));
      },
    },
    {
      method: 'GET', path: '/reporting/{regime}/{period}/{unit}/crosscheck/{indicator}',
      options: { plugins: { govflow: { roles: STAFF } }, validate: { params: unitParams.keys({ indicator: Joi.string().trim().max(80).pattern(/^[A-Za-z0-9_.]+$/).required() }) } },
      handler: async (request, h) => {
        const p = request.params as UnitP & { indicator: string };
        const viewer = mustViewer(request);
        const locale = request.app.locale;
        // The report first: outside the viewer's scope it is a 404, as the report page is.
        const report = await getReport(viewer, p.regime, p.period, p.unit);
        const regime = await getRegime(p.regime);
        const form = await regimeForm(regime);
        const list = await crosscheckList(viewer, regime.formKey, report.unit, report.period, p.indicator);
        const x = presentCrosscheck(locale, form.definition, report.values, list);
        return h.view('pages/reporting/crosscheck', { pageTitle: t(locale, 'reporting.crosscheck.title', { name: x.name }), x, regime, report, periodText: periodLabel(report.period, locale) });
      },
    },
    {
      method: 'GET', path: '/reporting/requests', options: { plugins: { govflow: { roles: LEAD } }, validate: { query: Joi.object({ done: Joi.string().valid('sent') }) } },
      handler: async (request, h) => requestsPage(request, h, { done: (request.query as { done?: string }).done }),
    },
    {
      method: 'POST', path: '/reporting/requests', options: { plugins: { govflow: { roles: LEAD } }, validate: { payload: requestPayload } },
      handler: async (request, h) => {
        const p = request.payload as Record<string, string | string[] | undefined>;
        const input: RequestInput = {
          regime: String(p.regime ?? ''), title: String(p.title ?? ''), deadline: String(p.deadline ?? ''), requester: String(p.requester ?? ''),
          units: p.units === undefined ? [] : Array.isArray(p.units) ? p.units : [p.units],
        };
        const r = await sendRequest(mustViewer(request), input);
        if (r.problems.length) return (await requestsPage(request, h, { values: { ...input }, problems: r.problems })).code(400);
        return h.redirect('/reporting/requests?done=sent');
      },
    },
    {
      method: 'GET', path: '/reporting/regimes/new', options: { plugins: { govflow: { roles: DESIGN } } },
      handler: async (request, h) => editorPage(request, h, { originalCode: null, values: regimeFormValues(null) }),
    },
    {
      method: 'GET', path: '/reporting/regimes/{code}/edit',
      options: { plugins: { govflow: { roles: DESIGN } }, validate: { params: Joi.object({ code: code.required() }), query: Joi.object({ done: Joi.string().valid('created', 'updated', 'imported') }) } },
      handler: async (request, h) => {
        const p = request.params as { code: string };
        return editorPage(request, h, { originalCode: p.code, values: regimeFormValues(await getRegime(p.code)), done: (request.query as { done?: string }).done });
      },
    },
    {
      method: 'POST', path: '/reporting/regimes/new', options: { plugins: { govflow: { roles: DESIGN } }, validate: { payload: editorPayload } },
      handler: async (request, h) => saveFromEditor(request, h, null),
    },
    {
      method: 'POST', path: '/reporting/regimes/{code}/edit', options: { plugins: { govflow: { roles: DESIGN } }, validate: { params: Joi.object({ code: code.required() }), payload: editorPayload } },
      handler: async (request, h) => {
        const p = request.params as { code: string };
        await getRegime(p.code);
        return saveFromEditor(request, h, p.code);
      },
    },
    {
      method: 'GET', path: '/reporting/regimes/{code}/export.json', options: { plugins: { govflow: { roles: STAFF } }, validate: { params: Joi.object({ code: code.required() }) } },
      handler: async (request, h) => {
        const r = await getRegime((request.params as { code: string }).code);
        return h.response(regimeFileText(r)).type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="regime-${r.code}.json"`);
      },
    },
    {
      method: 'POST', path: '/reporting/regimes/import',
      options: {
        plugins: { govflow: { roles: DESIGN } },
        payload: { output: 'data', parse: true, multipart: { output: 'stream' }, maxBytes: MAX_JSON },
        validate: { payload: Joi.object({ crumb: Joi.string(), file: Joi.object().instance(Readable).required() }) },
      },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const bytes = Buffer.concat(await (request.payload as { file: Readable }).file.toArray());
        try {
          const { regime } = await importRegimeText(viewer, bytes.toString('utf8'));
          return h.redirect(`/reporting/regimes/${encodeURIComponent(regime.code)}/edit?done=imported`);
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500 || err.status === 403) throw err;
          const details = Array.isArray(err.details) ? (err.details as Array<{ message?: string }>).map((d) => d.message).filter(Boolean) : [];
          const error = [t(request.app.locale, err.code, err.params), ...details].join(' · ');
          return (await editorPage(request, h, { originalCode: null, values: regimeFormValues(null), error })).code(err.status === 404 ? 400 : err.status);
        }
      },
    },
  ];
}

async function saveFromEditor(request: Request, h: ResponseToolkit, originalCode: string | null) {
  const payload = request.payload as RegimeFormInput;
  const r = await saveRegimeFromForm(mustViewer(request), payload, originalCode);
  if (r.problems.length || !r.regime) return (await editorPage(request, h, { originalCode, values: typedValues(payload), problems: r.problems })).code(400);
  return h.redirect(`/reporting/regimes/${encodeURIComponent(r.regime.code)}/edit?done=${r.isNew ? 'created' : 'updated'}`);
}

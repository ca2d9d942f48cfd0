// Reporting screens and API: regimes, a cycle's overview (units × status, filters, Excel), one unit's
// report (fill, upload Excel, send, return, approve, sign, reopen), the status dashboard, the JSON API
// for ministry systems and DHIS2 dataValueSets.
import { Readable } from 'node:stream';
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import ExcelJS from 'exceljs';
import { t, type Locale } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { registerTaskPage } from '../workflow/task-pages.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { canAccessOrg, hasRole, scopePaths } from '../access/index.ts';
import {
  approveReport, cycleStatus, dashboard, exportDataValueSet, exportRegime, getRegime, getReport, importDataValueSet, importRegime, listCycleReports, listRegimes,
  getSignedPdf, regimeForm, reopenReport, reportHistory, reportPageOfInstance, reportSignedPdfs, returnReport, saveReport, signReport, uploadReport,
} from './service.ts';
import { periodContaining, periodLabel } from './periods.ts';
import { presentReportPage, presentStatus } from './presenters.ts';
import { planOf } from '../forms/service.ts';
import { screenRoutes } from './screens.ts';
import { reviewOf } from './review.ts';
import { crosscheckView } from './dossier-crosscheck.ts';

const STAFF: Role[] = ['admin', 'designer', 'officer', 'leader'];
const DESIGN: Role[] = ['admin', 'designer'];
const staff = { govflow: { roles: STAFF } };
const code = Joi.string().trim().max(64).pattern(/^[A-Za-z0-9._-]+$/);
const periodParam = Joi.string().trim().max(16).pattern(/^[0-9A-Za-z-]+$/);
const unitParam = Joi.string().trim().max(40).pattern(/^[A-Za-z0-9._-]+$/);
const params = Joi.object({ regime: code.required(), period: periodParam.required(), unit: unitParam.required() });
const cycleParams = Joi.object({ regime: code.required(), period: periodParam.required() });
const MAX_UPLOAD = 10 * 1024 * 1024;

type P = { regime: string; period: string; unit: string };

/** Form fields named `v:ROW.COL` or `v:FIELD` become form values; `x:RULE` become explanations. Null-prototype objects only. */
function valuesFromForm(payload: Record<string, unknown>): { values: Record<string, unknown>; explanations: Record<string, string> } {
  const values = Object.create(null) as Record<string, unknown>;
  const explanations = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(payload)) {
    if (typeof v !== 'string') continue;
    if (k.startsWith('v:')) {
      const [a, b] = k.slice(2).split('.');
      if (b === undefined) values[a] = v;
      else {
        const row = (values[a] ?? Object.create(null)) as Record<string, unknown>;
        row[b] = v;
        values[a] = row;
      }
    } else if (k.startsWith('x:')) explanations[k.slice(2)] = v;
  }
  return { values, explanations };
}

async function reportPage(request: Request, h: ResponseToolkit, p: P, ctx: Record<string, unknown> = {}) {
  const viewer = mustViewer(request);
  const locale = request.app.locale;
  const report = await getReport(viewer, p.regime, p.period, p.unit);
  const regime = await getRegime(p.regime);
  const form = await regimeForm(regime);
  const history = await reportHistory(viewer, p.regime, p.period, p.unit);
  // A form on procedures shows the unit's own dossier figures, and starts from them while nobody has saved yet.
  const dossierCheck = await crosscheckView(regime.formKey, planOf(form), report);
  const shown = dossierCheck?.prefill ? { ...report, values: dossierCheck.prefill } : report;
  const signedPdfs = await reportSignedPdfs(viewer, p.regime, p.period, p.unit);
  const page = presentReportPage(locale, form, planOf(form), shown, history, {
    canFill: canAccessOrg(viewer, report.orgPath, ['officer']),
    canLead: canAccessOrg(viewer, report.orgPath, ['leader']),
  }, signedPdfs);
  const review = await reviewOf(viewer, planOf(form), p.regime, p.period, p.unit, locale);
  return h.view('pages/reporting/report', { pageTitle: `${regime.name} — ${page.unitLabel}`, regime, report: page, periodText: periodLabel(report.period, locale), review, previousText: periodLabel(review.previousPeriod, locale), dossierCheck, ...ctx });
}

function failText(locale: Locale, err: AppError): string {
  return t(locale, err.code, err.params);
}

/** Plugin `govflow/reporting`. */
export const reportingPlugin: Plugin<void> = {
  name: 'govflow/reporting',
  register(server) {
    registerNav({ href: '/reporting', label: 'reporting.nav.reporting', roles: STAFF, order: 25 });
    // The report's own page applies the reporting rules; the generic task list sends people there.
    registerTaskPage('reporting:', (task) => reportPageOfInstance(task.instanceId));

    server.route(screenRoutes());
    server.route([
      {
        method: 'GET', path: '/reporting', options: { plugins: staff },
        handler: async (request, h) => {
          const regimes = await listRegimes();
          const now = new Date();
          const rows = regimes.map((r) => {
            const period = periodContaining(r.frequency, now).period;
            return { ...r, period, periodText: periodLabel(period, request.app.locale) };
          });
          return h.view('pages/reporting/regimes', { pageTitle: t(request.app.locale, 'reporting.regimes.title'), regimes: rows, canDesign: hasRole(mustViewer(request), 'designer', 'admin'), canRequest: hasRole(mustViewer(request), 'leader', 'admin') });
        },
      },
      {
        method: 'GET', path: '/reporting/{regime}/{period}',
        options: { plugins: staff, validate: { params: cycleParams, query: Joi.object({ status: Joi.string().valid('open', 'draft', 'review', 'returned', 'approved', 'submitted', 'late', ''), parent: unitParam.allow(''), page: Joi.number().integer().min(1).max(1000).default(1) }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.params as { regime: string; period: string };
          const q = request.query as { status?: string; parent?: string; page: number };
          const regime = await getRegime(p.regime);
          const scopeRows = await listCycleReports(viewer, p.regime, p.period, { status: q.status || undefined, parent: q.parent || undefined, limit: 200, offset: (q.page - 1) * 200 });
          const counts = await cycleStatus(p.regime, p.period, scopePaths(viewer));
          const locale = request.app.locale;
          return h.view('pages/reporting/cycle', {
            pageTitle: `${regime.name} — ${periodLabel(counts.period, locale)}`, regime, period: counts.period, periodText: periodLabel(counts.period, locale), counts,
            rows: scopeRows.rows.map((r) => presentStatus(locale, r)), total: scopeRows.total, q, pages: Math.ceil(scopeRows.total / 200),
          });
        },
      },
      {
        method: 'GET', path: '/reporting/{regime}/{period}/status.xlsx',
        options: { plugins: staff, validate: { params: cycleParams } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.params as { regime: string; period: string };
          const locale = request.app.locale;
          const { rows } = await listCycleReports(viewer, p.regime, p.period, { limit: 5000 });
          const wb = new ExcelJS.Workbook();
          const ws = wb.addWorksheet(t(locale, 'reporting.cycle.sheet'));
          ws.addRow(['unit', 'parent', 'status', 'late', 'submitted', 'deadline'].map((k) => t(locale, `reporting.cycle.col.${k}`)));
          for (const r of rows) {
            const s = presentStatus(locale, r);
            ws.addRow([r.unit, r.parentCode ?? '', s.statusText, r.isLate ? t(locale, 'reporting.yes') : '', s.submittedText, s.deadlineText]);
          }
          ws.columns.forEach((c) => { c.width = 18; });
          const buf = Buffer.from(await wb.xlsx.writeBuffer());
          return h.response(buf).type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').header('content-disposition', `attachment; filename="${p.regime}-${p.period}.xlsx"`);
        },
      },
      {
        method: 'GET', path: '/reporting/{regime}/{period}/dashboard',
        options: { plugins: staff, validate: { params: cycleParams } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.params as { regime: string; period: string };
          const locale = request.app.locale;
          const regime = await getRegime(p.regime);
          const rows = await dashboard(viewer, p.regime, p.period);
          const counts = await cycleStatus(p.regime, p.period, scopePaths(viewer));
          const chart = { labels: rows.map((r) => r.code), onTime: rows.map((r) => r.onTime), late: rows.map((r) => r.late), missing: rows.map((r) => r.missing), names: { onTime: t(locale, 'reporting.status.onTime'), late: t(locale, 'reporting.status.late'), missing: t(locale, 'reporting.status.missing') } };
          return h.view('pages/reporting/dashboard', { pageTitle: t(locale, 'reporting.dashboard.title'), regime, period: counts.period, periodText: periodLabel(counts.period, locale), counts, rows, chartJson: JSON.stringify(chart) });
        },
      },
      {
        method: 'GET', path: '/reporting/{regime}/{period}/{unit}',
        options: { plugins: staff, validate: { params, query: Joi.object({ done: Joi.string().max(32) }) } },
        handler: async (request, h) => reportPage(request, h, request.params as P, { done: (request.query as { done?: string }).done }),
      },
      {
        method: 'POST', path: '/reporting/{regime}/{period}/{unit}',
        options: { plugins: staff, validate: { params, payload: Joi.object({ crumb: Joi.string(), action: Joi.string().valid('save', 'submit', 'return', 'approve', 'sign', 'reopen').required(), comment: Joi.string().allow('').max(4000), pin: Joi.string().allow('').max(128) }).pattern(/^[vx]:[A-Za-z0-9_.]{1,200}$/, Joi.string().allow('').max(4000)) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.params as P;
          const body = request.payload as Record<string, string>;
          const locale = request.app.locale;
          try {
            switch (body.action) {
              case 'save':
              case 'submit': {
                const { values, explanations } = valuesFromForm(body);
                await saveReport(viewer, p.regime, p.period, p.unit, values, { explanations, submit: body.action === 'submit', locale, via: 'web' });
                break;
              }
              case 'return': await returnReport(viewer, p.regime, p.period, p.unit, body.comment ?? ''); break;
              case 'approve': await approveReport(viewer, p.regime, p.period, p.unit); break;
              case 'sign': await signReport(viewer, p.regime, p.period, p.unit, body.pin || undefined); break;
              case 'reopen': await reopenReport(viewer, p.regime, p.period, p.unit, body.comment ?? ''); break;
            }
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
            const details = Array.isArray(err.details) ? (err.details as Array<{ message?: string }>).map((d) => d.message).filter(Boolean) : [];
            return (await reportPage(request, h, p, { error: failText(locale, err), errorDetails: details })).code(err.status);
          }
          return h.redirect(`/reporting/${encodeURIComponent(p.regime)}/${encodeURIComponent(p.period)}/${encodeURIComponent(p.unit)}?done=${body.action}`);
        },
      },
      {
        // The PDF the leader signed, while the report stands submitted; a reopened report's PDF is withdrawn (404).
        method: 'GET', path: '/reporting/{regime}/{period}/{unit}/signed.pdf',
        options: { plugins: staff, validate: { params } },
        handler: async (request, h) => {
          const p = request.params as P;
          const f = await getSignedPdf(mustViewer(request), p.regime, p.period, p.unit);
          return h.response(f.pdf).type('application/pdf').header('content-disposition', `attachment; filename="${f.filename}"`).header('cache-control', 'private, no-store');
        },
      },
      {
        method: 'POST', path: '/reporting/{regime}/{period}/{unit}/upload',
        options: {
          plugins: staff,
          payload: { output: 'data', parse: true, multipart: { output: 'stream' }, maxBytes: MAX_UPLOAD },
          validate: { params, payload: Joi.object({ crumb: Joi.string(), file: Joi.object().instance(Readable).required() }) },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.params as P;
          const file = (request.payload as { file: Readable }).file;
          const bytes = Buffer.concat(await file.toArray());
          try {
            await uploadReport(viewer, p.regime, p.period, p.unit, bytes, request.app.locale);
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
            const details = Array.isArray(err.details) ? (err.details as Array<{ message?: string }>).map((d) => d.message).filter(Boolean) : [];
            return (await reportPage(request, h, p, { error: failText(request.app.locale, err), errorDetails: details })).code(err.status);
          }
          return h.redirect(`/reporting/${encodeURIComponent(p.regime)}/${encodeURIComponent(p.period)}/${encodeURIComponent(p.unit)}?done=upload`);
        },
      },

      // ---- JSON API ----
      {
        method: 'GET', path: '/api/reporting/regimes', options: { plugins: staff },
        handler: async () => (await listRegimes()).map(exportRegime),
      },
      {
        method: 'POST', path: '/api/reporting/regimes', options: { plugins: { govflow: { roles: DESIGN } }, validate: { payload: Joi.object().unknown(true) } },
        handler: async (request, h) => {
          const r = await importRegime(mustViewer(request), request.payload);
          return h.response(exportRegime(r.regime)).code(r.isNew ? 201 : 200);
        },
      },
      {
        method: 'GET', path: '/api/reporting/{regime}/{period}/status',
        options: { plugins: staff, validate: { params: cycleParams } },
        handler: async (request) => {
          const p = request.params as { regime: string; period: string };
          const { expected, submitted, onTime, late, missing, approved, returned, period } = await cycleStatus(p.regime, p.period, scopePaths(mustViewer(request)));
          return { period, expected, submitted, onTime, late, missing, approved, returned };
        },
      },
      {
        method: 'GET', path: '/api/reports/{regime}/{period}/{unit}',
        options: { plugins: staff, validate: { params } },
        handler: async (request) => {
          const p = request.params as P;
          const { orgPath: _path, ...rest } = await getReport(mustViewer(request), p.regime, p.period, p.unit);
          return rest;
        },
      },
      {
        method: 'PUT', path: '/api/reports/{regime}/{period}/{unit}',
        options: {
          plugins: staff,
          validate: { params, payload: Joi.object({ values: Joi.object().unknown(true).required(), explanations: Joi.object().pattern(/^[A-Za-z0-9_]{1,100}$/, Joi.string().max(4000)), submit: Joi.boolean().default(false) }) },
        },
        handler: async (request) => {
          const p = request.params as P;
          const body = request.payload as { values: Record<string, unknown>; explanations?: Record<string, string>; submit: boolean };
          const { orgPath: _path, ...rest } = await saveReport(mustViewer(request), p.regime, p.period, p.unit, body.values as never, { explanations: body.explanations, submit: body.submit, locale: request.app.locale, via: 'api' });
          return rest;
        },
      },
      {
        method: 'POST', path: '/api/dataValueSets',
        options: {
          plugins: staff,
          validate: {
            query: Joi.object({ dataSet: code.required() }),
            payload: Joi.object({
              dataSet: code, completeDate: Joi.string().max(40), period: periodParam, orgUnit: unitParam,
              dataValues: Joi.array().max(20000).items(Joi.object({ dataElement: Joi.string().max(120).pattern(/^[A-Za-z0-9_]+$/).required(), period: periodParam.required(), orgUnit: unitParam.required(), categoryOptionCombo: Joi.string().max(120).pattern(/^[A-Za-z0-9_]+$/), attributeOptionCombo: Joi.string().max(120), value: Joi.alternatives(Joi.string().allow('').max(1000), Joi.number()).allow(null).required(), comment: Joi.string().allow('').max(1000), storedBy: Joi.string().max(200), created: Joi.string().max(40), lastUpdated: Joi.string().max(40), followup: Joi.boolean() })).required(),
            }),
          },
        },
        handler: async (request) => importDataValueSet(mustViewer(request), (request.query as { dataSet: string }).dataSet, request.payload as never),
      },
      {
        method: 'GET', path: '/api/dataValueSets',
        options: { plugins: staff, validate: { query: Joi.object({ dataSet: code.required(), period: periodParam.required(), orgUnit: unitParam.required() }) } },
        handler: async (request) => {
          const q = request.query as { dataSet: string; period: string; orgUnit: string };
          return exportDataValueSet(mustViewer(request), q.dataSet, q.period, q.orgUnit);
        },
      },
    ]);
  },
};

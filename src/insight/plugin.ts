// Plugin `govflow/insight`: the public statistics of dossiers (page, Excel export, open JSON API).
import type { Plugin, Request } from '@hapi/hapi';
import Joi from 'joi';
import ExcelJS from 'exceljs';
import { t, type Locale } from '../i18n/index.ts';
import { GROUPS, listFields, statistics, type GroupBy, type StatsRow } from './service.ts';
import { vnDate } from './contrib.ts';
import { registerNav } from '../web/nav.ts';

const pub = { govflow: { public: true } };
const day = Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/);
const statsQuery = Joi.object({
  from: day, to: day,
  org: Joi.string().trim().pattern(/^[0-9A-Za-z.]{1,40}$/).allow(''),
  field: Joi.string().trim().max(255).allow(''),
  group: Joi.string().valid(...GROUPS).default('unit'),
});

interface StatsParams { from?: string; to?: string; org?: string; field?: string; group: GroupBy }

/** The columns of the table, the export and the API, in order. */
export const COLUMNS: ReadonlyArray<keyof StatsRow> = [
  'carriedOver', 'receivedOnline', 'receivedDirect', 'received', 'resolvedEarly', 'resolvedOnTime', 'resolvedLate', 'resolved', 'onTimeRate',
  'pendingWithinTime', 'pendingOverdue', 'withdrawn', 'averageHours', 'paymentsPaid', 'amountPaid', 'rated', 'verySatisfied', 'satisfied', 'unsatisfied',
  'satisfactionRate', 'feedbackOnTime', 'feedbackLate', 'feedbackOnTimeRate',
];

const vnd = new Intl.NumberFormat('vi-VN');

/** A row as the page shows it: amounts in VND with thousands separators. */
function shown(r: StatsRow): StatsRow & { amountPaidText: string } {
  return { ...r, amountPaidText: vnd.format(r.amountPaid) };
}

function queryOf(q: StatsParams, now = new Date()) {
  const today = vnDate(now);
  return { from: q.from || `${today.slice(0, 4)}-01-01`, to: q.to || today, orgCode: q.org || null, field: q.field || null, groupBy: q.group };
}

async function sheet(locale: Locale, q: ReturnType<typeof queryOf>, rows: StatsRow[], total: StatsRow): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(t(locale, 'insight.sheet'));
  ws.addRow([t(locale, 'insight.title'), `${q.from} – ${q.to}`]);
  ws.addRow([t(locale, `insight.group.${q.groupBy}`), ...COLUMNS.map((c) => t(locale, `insight.col.${c}`))]).font = { bold: true };
  for (const r of [...rows, { ...total, label: t(locale, 'insight.total') }]) ws.addRow([r.label, ...COLUMNS.map((c) => r[c] ?? '')]);
  ws.getColumn(1).width = 40;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const insightPlugin: Plugin<void> = {
  name: 'govflow/insight',
  register(server) {
    registerNav({ href: '/thong-ke', label: 'insight.nav', roles: [], order: 6 });
    server.route([
      {
        method: 'GET', path: '/thong-ke', options: { plugins: pub, validate: { query: statsQuery } },
        async handler(request: Request, h) {
          const locale = request.app.locale;
          const q = queryOf(request.query as unknown as StatsParams);
          const [{ rows, total, scope }, fields] = await Promise.all([statistics(q), listFields()]);
          const top = rows.slice(0, 40);
          const name = (c: keyof StatsRow) => t(locale, `insight.col.${c}`);
          const chart = {
            labels: top.map((r) => r.label), early: top.map((r) => r.resolvedEarly), onTime: top.map((r) => r.resolvedOnTime), late: top.map((r) => r.resolvedLate),
            payments: top.map((r) => r.paymentsPaid), satisfaction: top.map((r) => r.satisfactionRate), feedbackOnTime: top.map((r) => r.feedbackOnTimeRate),
            names: { early: name('resolvedEarly'), onTime: name('resolvedOnTime'), late: name('resolvedLate'), payments: name('paymentsPaid'), satisfaction: name('satisfactionRate'), feedbackOnTime: name('feedbackOnTimeRate') },
            axes: { count: t(locale, 'insight.axisCount'), rate: t(locale, 'insight.axisRate') },
          };
          const qs = new URLSearchParams({ from: q.from, to: q.to, org: q.orgCode ?? '', field: q.field ?? '', group: q.groupBy }).toString();
          return h.view('pages/insight/statistics', { pageTitle: t(locale, 'insight.title'), q, rows: rows.map(shown), total: shown(total), scope, fields, columns: COLUMNS, groups: GROUPS, chartJson: JSON.stringify(chart), qs });
        },
      },
      {
        method: 'GET', path: '/thong-ke.xlsx', options: { plugins: pub, validate: { query: statsQuery } },
        async handler(request: Request, h) {
          const q = queryOf(request.query as unknown as StatsParams);
          const { rows, total } = await statistics(q);
          return h.response(await sheet(request.app.locale, q, rows, total)).type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
            .header('content-disposition', `attachment; filename="thong-ke-${q.from}-${q.to}.xlsx"`);
        },
      },
      {
        method: 'GET', path: '/api/statistics', options: { plugins: pub, validate: { query: statsQuery } },
        async handler(request: Request) {
          const q = queryOf(request.query as unknown as StatsParams);
          const { rows, total, scope } = await statistics(q);
          return { from: q.from, to: q.to, scope, field: q.field, groupBy: q.groupBy, total, rows };
        },
      },
    ]);
  },
};

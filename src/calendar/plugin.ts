// Plugin `govflow/calendar`: the administrator's calendar page (days off and compensating working days per year).
import type { Request, ResponseToolkit } from '@hapi/hapi';
import type { Plugin } from '@hapi/hapi';
import Joi from 'joi';
import { t } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { DAY_KINDS, type DayKind } from './models.ts';
import { listYear, removeDay, setDays } from './service.ts';
import { vnDateOf } from './rules.ts';
import { getConfig } from '../config.ts';

const admins = { govflow: { roles: ['admin'] as Role[] } };
const yearSchema = Joi.number().integer().min(1900).max(2199);

async function page(request: Request, h: ResponseToolkit, year: number, extra: { flash?: string; errors?: string[]; values?: Record<string, unknown> } = {}) {
  const days = await listYear(year, request.app.locale);
  return h.view('pages/calendar/admin', {
    pageTitle: t(request.app.locale, 'calendar.title', { year }),
    year, prevYear: year - 1, nextYear: year + 1, days, kinds: DAY_KINDS, officeHours: getConfig().officeHours,
    values: extra.values ?? { kind: 'holiday' }, flash: extra.flash, errors: extra.errors,
  });
}

/** Plugin `govflow/calendar`. */
export const calendarPlugin: Plugin<void> = {
  name: 'govflow/calendar',
  register(server) {
    registerNav({ href: '/admin/calendar', label: 'calendar.nav', roles: ['admin'], order: 91 });
    server.route([
      {
        method: 'GET', path: '/admin/calendar',
        options: { plugins: admins, validate: { query: Joi.object({ year: yearSchema, saved: Joi.string().valid('1'), removed: Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/) }) } },
        handler: async (request, h) => {
          const q = request.query as { year?: number; saved?: string; removed?: string };
          const year = q.year ?? Number(vnDateOf(new Date()).slice(0, 4));
          const flash = q.saved ? t(request.app.locale, 'calendar.added') : q.removed ? t(request.app.locale, 'calendar.removed', { date: q.removed }) : undefined;
          return page(request, h, year, { flash });
        },
      },
      {
        method: 'POST', path: '/admin/calendar',
        options: {
          plugins: admins,
          validate: {
            payload: Joi.object({ crumb: Joi.string(), from: Joi.string().trim().max(10).allow(''), to: Joi.string().trim().max(10).allow(''), kind: Joi.string().valid(...DAY_KINDS).required(), name: Joi.string().trim().max(255).allow('') }),
            failAction: async (request, h) => (await page(request, h, Number(vnDateOf(new Date()).slice(0, 4)), { errors: [t(request.app.locale, 'calendar.badDate', { date: '' })], values: (request.payload ?? {}) as Record<string, unknown> })).code(400).takeover(),
          },
        },
        handler: async (request, h) => {
          const p = request.payload as { from?: string; to?: string; kind: DayKind; name?: string };
          const year = /^\d{4}/.test(p.from ?? '') ? Number(p.from!.slice(0, 4)) : Number(vnDateOf(new Date()).slice(0, 4));
          try {
            await setDays({ from: p.from ?? '', to: p.to || null, kind: p.kind, name: p.name ?? '' }, mustViewer(request));
            return h.redirect(`/admin/calendar?year=${year}&saved=1`);
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            return (await page(request, h, Math.min(2199, Math.max(1900, year)), { errors: [t(request.app.locale, err.code, err.params)], values: p })).code(err.status);
          }
        },
      },
      {
        method: 'POST', path: '/admin/calendar/{id}/delete',
        options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().min(1).max(2147483647) }), payload: Joi.object({ crumb: Joi.string() }) } },
        handler: async (request, h) => {
          const row = await removeDay((request.params as { id: number }).id, mustViewer(request));
          return h.redirect(`/admin/calendar?year=${row.date.slice(0, 4)}&removed=${row.date}`);
        },
      },
    ]);
  },
};

// The admin's audit log: search by actor, org, action, target and time, and a check of the hash chain.
import type { Plugin } from '@hapi/hapi';
import Joi from 'joi';
import { t } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import type { Viewer } from '../access/index.ts';
import { Forbidden } from '../errors.ts';
import { searchAudit, verifyAudit } from './service.ts';
import { presentAuditEntry, toAuditQuery, type AuditFilters } from './presenters.ts';

const adminOnly = { govflow: { roles: ['admin'] as Role[] } };

const vnDate = Joi.string().trim().pattern(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/).allow('');
const filters = {
  actor: Joi.string().trim().max(64).allow(''),
  org: Joi.string().trim().max(40).allow(''),
  action: Joi.string().trim().max(64).allow(''),
  target: Joi.string().trim().pattern(/^[A-Za-z0-9_.-]{1,40}(:[^\s:]{1,64})?$/).allow(''),
  from: vnDate,
  to: vnDate,
  page: Joi.number().integer().min(1).max(100000).default(1),
};

/** The log spans every unit, so only an administrator of the whole system reads it. */
function assertAuditReader(viewer: Viewer): void {
  if (!viewer.roles.some((r) => r.role === 'admin' && r.orgPath === null)) throw Forbidden('errors.outOfScope');
}

/** Plugin `govflow/audit`. */
export const auditPlugin: Plugin<void> = {
  name: 'govflow/audit',
  register(server) {
    registerNav({ href: '/admin/audit', label: 'audit.nav.audit', roles: ['admin'], order: 95 });

    server.route([
      {
        method: 'GET',
        path: '/admin/audit',
        options: { plugins: adminOnly, validate: { query: Joi.object(filters) } },
        handler: async (request, h) => {
          assertAuditReader(mustViewer(request));
          const f = request.query as unknown as AuditFilters & { page: number };
          const result = await searchAudit(toAuditQuery({ ...f, pageSize: 50 }));
          const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
          const keep = new URLSearchParams(Object.entries(f).filter(([k, v]) => k !== 'page' && v !== undefined && v !== '').map(([k, v]) => [k, String(v)]));
          return h.view('pages/audit/search', {
            pageTitle: t(request.app.locale, 'audit.title'),
            values: f,
            rows: result.rows.map((e) => {
              const r = presentAuditEntry(e);
              return { ...r, when: e.at, detailText: r.detail === null ? '' : JSON.stringify(r.detail) };
            }),
            total: result.total,
            page: result.page,
            pages,
            pageQuery: keep.toString(),
          });
        },
      },
      {
        method: 'GET',
        path: '/admin/audit/verify',
        options: { plugins: adminOnly },
        handler: async (request, h) => {
          assertAuditReader(mustViewer(request));
          const started = Date.now();
          const r = await verifyAudit();
          return h.view('pages/audit/verify', { pageTitle: t(request.app.locale, 'audit.verify.title'), result: r, ms: Date.now() - started });
        },
      },
      {
        method: 'GET',
        path: '/api/audit',
        options: { plugins: adminOnly, validate: { query: Joi.object({ ...filters, pageSize: Joi.number().integer().min(1).max(500).default(50) }) } },
        handler: async (request) => {
          assertAuditReader(mustViewer(request));
          const result = await searchAudit(toAuditQuery(request.query as unknown as AuditFilters));
          return { total: result.total, page: result.page, pageSize: result.pageSize, rows: result.rows.map(presentAuditEntry) };
        },
      },
      {
        method: 'GET',
        path: '/api/audit/verify',
        options: { plugins: adminOnly },
        handler: async (request) => {
          assertAuditReader(mustViewer(request));
          return verifyAudit();
        },
      },
    ]);
  },
};

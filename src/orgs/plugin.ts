// Org tree screens (browser, unit detail, import) and the org JSON API.
import { Readable } from 'node:stream';
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { AppError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { assertOrgAccess, canAccessOrg, type Viewer } from '../access/index.ts';
import type { Role } from '../auth/models.ts';
import type { OrgUnit } from './models.ts';
import { ORG_LEVELS } from './models.ts';
import {
  CURRENT_TREE, ORG_VIEWER_ROLES, countChildren, countSubtreeByLevel, getOrg, getOrgByCode, listAncestors, listChildren,
  listRoots, listSubtree, listTrees, searchOrgs, viewerScope,
} from './service.ts';
import { importOrgsBy, type ImportProblem } from './import.ts';
import { kindLabel, presentImportProblems, presentImportResult, presentOrg, presentOrgDetail } from './presenters.ts';

const viewers = { govflow: { roles: [...ORG_VIEWER_ROLES] as Role[] } };
const adminOnly = { govflow: { roles: ['admin'] as Role[] } };

const code = Joi.string().trim().pattern(/^[A-Za-z0-9._-]{1,40}$/);
const tree = Joi.string().trim().pattern(/^[A-Za-z0-9_-]{1,32}$/).default(CURRENT_TREE);
const level = Joi.string().valid(...ORG_LEVELS);

/** A unit of the browser tree, with its open children when the reader expanded it. */
interface TreeNode {
  id: number;
  code: string;
  name: string;
  level: string;
  childCount: number;
  isOpen: boolean;
  toggleHref: string;
  children: TreeNode[];
}

function browseHref(treeName: string, open: Set<number>): string {
  // Built by hand so the list of opened ids stays readable (`open=1,12`) instead of `%2C`-encoded.
  const params: string[] = [];
  if (treeName !== CURRENT_TREE) params.push(`tree=${encodeURIComponent(treeName)}`);
  // Always present, even empty: no `open` at all means "first visit" and opens a lone root by itself.
  params.push(`open=${[...open].sort((a, b) => a - b).join(',')}`);
  return `/admin/orgs?${params.join('&')}`;
}

/** Builds the expanded part of the tree: only the units the reader opened load their children. */
async function buildTree(units: OrgUnit[], open: Set<number>, treeName: string, depth = 0): Promise<TreeNode[]> {
  const counts = await countChildren(units.map((u) => u.id));
  const nodes: TreeNode[] = [];
  for (const u of units) {
    const isOpen = open.has(u.id) && depth < 6;
    const toggled = new Set(open);
    if (toggled.has(u.id)) toggled.delete(u.id);
    else toggled.add(u.id);
    nodes.push({
      id: u.id, code: u.code, name: u.name, level: u.level, childCount: counts.get(u.id) ?? 0, isOpen,
      toggleHref: browseHref(treeName, toggled),
      children: isOpen ? await buildTree(await listChildren(u.id), open, treeName, depth + 1) : [],
    });
  }
  return nodes;
}

/** Loads a unit by code and checks the viewer's scope over it. */
async function scopedOrgByCode(viewer: Viewer, orgCode: string, treeName: string): Promise<OrgUnit> {
  const org = await getOrgByCode(orgCode, treeName);
  assertOrgAccess(viewer, org.path);
  return org;
}

function importView(request: Request, h: ResponseToolkit, extra: Record<string, unknown> = {}) {
  const locale = request.app.locale;
  return h.view('pages/orgs/import', { pageTitle: t(locale, 'orgs.import.title'), values: { tree: CURRENT_TREE }, ...extra });
}

/** Plugin `govflow/orgs`. */
export const orgsPlugin: Plugin<void> = {
  name: 'govflow/orgs',
  register(server) {
    registerNav({ href: '/admin/orgs', label: 'orgs.nav.orgs', roles: ['admin', 'designer', 'officer', 'leader'], order: 80 });

    server.route([
      {
        method: 'GET',
        path: '/admin/orgs',
        options: {
          plugins: viewers,
          validate: { query: Joi.object({ q: Joi.string().trim().allow('').max(100), tree, open: Joi.string().pattern(/^[0-9,]*$/).max(2000).allow('') }) },
        },
        handler: async (request, h) => {
          const { q, tree: treeName, open } = request.query as { q?: string; tree: string; open?: string };
          const viewer = mustViewer(request);
          const scope = viewerScope(viewer);
          const trees = scope === null ? await listTrees() : [CURRENT_TREE];
          const common = { pageTitle: t(request.app.locale, 'orgs.browse.title'), q: q ?? '', tree: treeName, trees, isAdmin: viewer.roles.some((r) => r.role === 'admin' && r.orgPath === null) };
          if (q) {
            const rows = await searchOrgs(q, { tree: treeName, scope, limit: 100 });
            return h.view('pages/orgs/browse', { ...common, results: rows.map(presentOrg), isSearch: true });
          }
          const roots = await listRoots(treeName, scope);
          let openIds = new Set((open ?? '').split(',').filter(Boolean).map(Number));
          // A single root opens by itself so the first screen is never a lone line.
          if (open === undefined && roots.length === 1) openIds = new Set([roots[0].id]);
          return h.view('pages/orgs/browse', { ...common, nodes: await buildTree(roots, openIds, treeName), isSearch: false });
        },
      },
      {
        method: 'GET',
        path: '/admin/orgs/{id}',
        options: { plugins: viewers, validate: { params: Joi.object({ id: Joi.number().integer().min(1).required() }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const org = await getOrg((request.params as { id: number }).id);
          assertOrgAccess(viewer, org.path);
          const [ancestors, counts, children] = await Promise.all([listAncestors(org), countSubtreeByLevel(org), listChildren(org.id)]);
          const childCounts = await countChildren(children.map((c) => c.id));
          const detail = presentOrgDetail(org, ancestors, counts, children);
          return h.view('pages/orgs/unit', {
            pageTitle: org.name,
            org: detail,
            kind: kindLabel(request.app.locale, org.kind),
            crumbs: ancestors.map((a) => ({ id: a.id, code: a.code, name: a.name, isLink: canAccessOrg(viewer, a.path) })),
            levels: ORG_LEVELS.filter((l) => counts[l]).map((l) => ({ level: l, n: counts[l] })),
            children: detail.children.map((c) => ({ ...c, childCount: childCounts.get(c.id) ?? 0 })),
          });
        },
      },
      {
        method: 'GET',
        path: '/admin/orgs/import',
        options: { plugins: adminOnly, validate: { query: Joi.object({ tree: Joi.string().max(32), rows: Joi.number().integer(), created: Joi.number().integer(), updated: Joi.number().integer(), unchanged: Joi.number().integer(), ms: Joi.number().integer() }) } },
        handler: (request, h) => {
          const q = request.query as Record<string, string | number | undefined>;
          const result = q.rows !== undefined ? { tree: q.tree, rows: q.rows, created: q.created ?? 0, updated: q.updated ?? 0, unchanged: q.unchanged ?? 0, ms: q.ms ?? 0 } : undefined;
          return importView(request, h, { result });
        },
      },
      {
        method: 'POST',
        path: '/admin/orgs/import',
        options: {
          plugins: adminOnly,
          // File parts arrive as raw bytes: hapi would otherwise decode text/* uploads lossily and parse JSON ones.
          payload: { output: 'data', parse: true, multipart: { output: 'stream' }, maxBytes: 10 * 1024 * 1024 },
          validate: {
            payload: Joi.object({
              crumb: Joi.string(),
              file: Joi.object().instance(Readable).required(),
              tree: Joi.string().trim().pattern(/^[A-Za-z0-9_-]{1,32}$/).required(),
              validFrom: Joi.string().trim().pattern(/^\d{4}-\d{2}-\d{2}$/).allow(''),
            }),
            failAction: (request, h) => importView(request, h, {
              values: { tree: (request.payload as { tree?: unknown } | null)?.tree ?? CURRENT_TREE },
              error: t(request.app.locale, 'orgs.import.formInvalid'),
            }).code(400).takeover(),
          },
        },
        handler: async (request, h) => {
          const p = request.payload as { file: Readable; tree: string; validFrom?: string };
          const content = Buffer.concat(await p.file.toArray());
          try {
            const r = presentImportResult(await importOrgsBy(mustViewer(request), content, { tree: p.tree, validFrom: p.validFrom || null }));
            const qs = new URLSearchParams({ tree: r.tree, rows: String(r.rows), created: String(r.created), updated: String(r.updated), unchanged: String(r.unchanged), ms: String(r.ms) });
            return h.redirect(`/admin/orgs/import?${qs}`);
          } catch (err) {
            if (!(err instanceof AppError) || err.code !== 'orgs.import.rejected') throw err;
            return importView(request, h, {
              values: { tree: p.tree, validFrom: p.validFrom },
              error: t(request.app.locale, err.code, err.params),
              problems: presentImportProblems(request.app.locale, err.details as ImportProblem[]),
            }).code(err.status);
          }
        },
      },
      {
        method: 'GET',
        path: '/api/orgs',
        options: { plugins: viewers, validate: { query: Joi.object({ q: Joi.string().trim().allow('').max(100), parent: code, tree, limit: Joi.number().integer().min(1).max(500).default(50) }) } },
        handler: async (request) => {
          const { q, parent, tree: treeName, limit } = request.query as { q?: string; parent?: string; tree: string; limit: number };
          const viewer = mustViewer(request);
          const scope = viewerScope(viewer);
          let units: OrgUnit[];
          if (parent) {
            const p = await scopedOrgByCode(viewer, parent, treeName);
            units = q ? await searchOrgs(q, { tree: treeName, scope: [p.path], limit }) : await listChildren(p.id);
          } else if (q) units = await searchOrgs(q, { tree: treeName, scope, limit });
          else units = await listRoots(treeName, scope);
          return { tree: treeName, count: units.length, units: units.map(presentOrg) };
        },
      },
      {
        method: 'GET',
        path: '/api/orgs/{code}',
        options: { plugins: viewers, validate: { params: Joi.object({ code: code.required() }), query: Joi.object({ tree }) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const org = await scopedOrgByCode(viewer, (request.params as { code: string }).code, (request.query as { tree: string }).tree);
          const [ancestors, counts, children] = await Promise.all([listAncestors(org), countSubtreeByLevel(org), listChildren(org.id)]);
          return presentOrgDetail(org, ancestors, counts, children);
        },
      },
      {
        method: 'GET',
        path: '/api/orgs/{code}/subtree',
        options: { plugins: viewers, validate: { params: Joi.object({ code: code.required() }), query: Joi.object({ tree, level }) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const { tree: treeName, level: lvl } = request.query as { tree: string; level?: string };
          const org = await scopedOrgByCode(viewer, (request.params as { code: string }).code, treeName);
          const units = await listSubtree(org, lvl);
          return { org: presentOrg(org), level: lvl ?? null, count: units.length, units: units.map(presentOrg) };
        },
      },
    ]);
  },
};

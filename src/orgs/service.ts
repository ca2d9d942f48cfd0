// Org tree queries. Subtrees are found by the materialized path of ids.
import { Op } from 'sequelize';
import { OrgUnit } from './models.ts';
import { NotFound } from '../errors.ts';
import type { Viewer } from '../access/index.ts';

/** The tree that users and processes work in; other trees (e.g. `2020`) are kept for history. */
export const CURRENT_TREE = 'current';

/** Loads one unit by id, or throws 404. */
export async function getOrg(id: number): Promise<OrgUnit> {
  const org = await OrgUnit.findByPk(id);
  if (!org) throw NotFound('orgs.notFound', { id });
  return org;
}

/** Loads one unit by code in a tree, or throws 404. */
export async function getOrgByCode(code: string, tree = CURRENT_TREE): Promise<OrgUnit> {
  const org = await OrgUnit.findOne({ where: { code, tree } });
  if (!org) throw NotFound('orgs.notFound', { id: code });
  return org;
}

/** Loads several units by id, keyed by id. */
export async function getOrgsByIds(ids: number[]): Promise<Map<number, OrgUnit>> {
  if (ids.length === 0) return new Map();
  const rows = await OrgUnit.findAll({ where: { id: { [Op.in]: [...new Set(ids)] } } });
  return new Map(rows.map((r) => [r.id, r]));
}

/** Every unit below `org` (not itself), optionally only of one level. */
export async function listSubtree(org: OrgUnit, level?: string): Promise<OrgUnit[]> {
  const where: Record<string | symbol, unknown> = { path: { [Op.like]: `${org.path}%` }, id: { [Op.ne]: org.id } };
  if (level) where.level = level;
  return OrgUnit.findAll({ where, order: [['path', 'ASC']] });
}

/** Counts the units below `org` by level. */
export async function countSubtreeByLevel(org: OrgUnit): Promise<Record<string, number>> {
  const rows = (await OrgUnit.findAll({
    attributes: ['level', [OrgUnit.sequelize!.fn('COUNT', OrgUnit.sequelize!.col('id')), 'n']],
    where: { path: { [Op.like]: `${org.path}%` }, id: { [Op.ne]: org.id } },
    group: ['level'],
    raw: true,
  })) as unknown as Array<{ level: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.level, Number(r.n)]));
}

/** Direct children of a unit, by code. */
export async function listChildren(parentId: number): Promise<OrgUnit[]> {
  return OrgUnit.findAll({ where: { parentId }, order: [['code', 'ASC']] });
}

/** Whether `path` lies in the subtree rooted at `rootPath` (the root included). */
export function isInSubtree(path: string, rootPath: string): boolean {
  return path.startsWith(rootPath);
}

/** Ids of every unit inside any of the subtrees with these root paths. */
export async function listOrgIdsInSubtrees(rootPaths: string[]): Promise<number[]> {
  if (rootPaths.length === 0) return [];
  const rows = await OrgUnit.findAll({ attributes: ['id'], where: { [Op.or]: rootPaths.map((p) => ({ path: { [Op.like]: `${p}%` } })) } });
  return rows.map((o) => o.id);
}

/** Roles that may browse the org tree. */
export const ORG_VIEWER_ROLES = ['admin', 'designer', 'officer', 'leader'] as const;

/**
 * The subtree root paths a viewer may browse: null when one of their roles covers the whole system.
 * Role paths belong to the current tree, so a scoped viewer sees nothing of historical trees.
 */
export function viewerScope(viewer: Viewer): string[] | null {
  const roles = viewer.roles.filter((r) => (ORG_VIEWER_ROLES as readonly string[]).includes(r.role));
  if (roles.some((r) => r.orgPath === null)) return null;
  return [...new Set(roles.map((r) => r.orgPath as string))];
}

function withinScope(scope: string[] | null): Record<string | symbol, unknown> {
  if (scope === null) return {};
  if (scope.length === 0) return { id: { [Op.in]: [] } };
  return { [Op.or]: scope.map((p) => ({ path: { [Op.like]: `${p}%` } })) };
}

/** Finds units by code or name (accent-sensitive LIKE), inside a scope (null: everywhere), shallow ones first. */
export async function searchOrgs(q: string, opts: { tree?: string; scope?: string[] | null; limit?: number } = {}): Promise<OrgUnit[]> {
  const like = `%${q.trim()}%`;
  return OrgUnit.findAll({
    where: { [Op.and]: [{ tree: opts.tree ?? CURRENT_TREE }, { [Op.or]: [{ code: { [Op.like]: like } }, { name: { [Op.like]: like } }] }, withinScope(opts.scope ?? null)] },
    order: [['depth', 'ASC'], ['code', 'ASC']],
    limit: opts.limit ?? 50,
  });
}

/** The units a browser starts from: the tree's roots, or the units of a scoped viewer's roles. */
export async function listRoots(tree: string, scope: string[] | null): Promise<OrgUnit[]> {
  if (scope === null) return OrgUnit.findAll({ where: { tree, parentId: null }, order: [['code', 'ASC']] });
  if (scope.length === 0) return [];
  const rows = await OrgUnit.findAll({ where: { tree, path: { [Op.in]: scope } }, order: [['code', 'ASC']] });
  // A role inside another role's subtree adds nothing to browse.
  return rows.filter((r) => !rows.some((o) => o.id !== r.id && isInSubtree(r.path, o.path)));
}

/** The ancestors of a unit from the root down (the unit itself excluded), read from its path. */
export async function listAncestors(org: OrgUnit): Promise<OrgUnit[]> {
  const ids = org.path.split('/').filter(Boolean).map(Number).filter((id) => id !== org.id);
  const byId = await getOrgsByIds(ids);
  return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}

/** Names of the trees held (the current one first). */
export async function listTrees(): Promise<string[]> {
  const rows = (await OrgUnit.findAll({ attributes: [[OrgUnit.sequelize!.fn('DISTINCT', OrgUnit.sequelize!.col('tree')), 'tree']], raw: true })) as unknown as Array<{ tree: string }>;
  const names = rows.map((r) => r.tree).sort();
  return [...names.filter((n) => n === CURRENT_TREE), ...names.filter((n) => n !== CURRENT_TREE)];
}

/** Counts the direct children of each of these units. */
export async function countChildren(ids: number[]): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = (await OrgUnit.findAll({
    attributes: ['parentId', [OrgUnit.sequelize!.fn('COUNT', OrgUnit.sequelize!.col('id')), 'n']],
    where: { parentId: { [Op.in]: ids } },
    group: ['parentId'],
    raw: true,
  })) as unknown as Array<{ parentId: number; n: number }>;
  return new Map(rows.map((r) => [Number(r.parentId), Number(r.n)]));
}

/** Every unit of the current tree at one of the levels, by code (a citizen picks a receiving unit among them). */
export async function listOrgsOfLevels(levels: string[], tree = CURRENT_TREE): Promise<OrgUnit[]> {
  if (!levels.length) return [];
  return OrgUnit.findAll({ where: { tree, level: { [Op.in]: levels } }, order: [['code', 'ASC']] });
}

// Org tree queries. Subtrees are found by the materialized path of ids.
import { Op } from 'sequelize';
import { OrgUnit } from './models.ts';
import { NotFound } from '../errors.ts';

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

/** Direct children of a unit, by name. */
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

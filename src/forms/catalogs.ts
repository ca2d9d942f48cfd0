// Catalogs that choice fields name instead of inline options (`{ "type": "choice", "catalog": "provinces" }`).
// A catalog is a loader of `{ value, label }` options for a context (who fills, for which unit); the
// built-in ones read other domains through their services only.
import type { ChoiceOption, FormDefinition } from './definition.ts';
import { fieldsOf } from './definition.ts';
import type { Issue } from './engine.ts';
import type { Viewer } from '../access/index.ts';
import { Invalid } from '../errors.ts';
import { CURRENT_TREE, getOrgByCode, listAncestors, listSubtree } from '../orgs/service.ts';

/** Who asks for a catalog: the viewer, and the code of the unit the form is filled for. */
export interface CatalogContext {
  viewer?: Viewer | null;
  orgCode?: string | null;
}

/** Loads the options of a catalog. */
export type CatalogLoader = (ctx: CatalogContext) => Promise<ChoiceOption[]>;

const registry = new Map<string, CatalogLoader>();

/** Registers (or replaces) a catalog by name. */
export function registerCatalog(name: string, loader: CatalogLoader): void {
  registry.set(name, loader);
}

/** Whether a catalog of this name is registered. */
export function hasCatalog(name: string): boolean {
  return registry.has(name);
}

/** Names of the registered catalogs, sorted. */
export function catalogNames(): string[] {
  return [...registry.keys()].sort();
}

/** The options of a catalog for a context; an unknown name is a 422. */
export async function loadCatalog(name: string, ctx: CatalogContext = {}): Promise<ChoiceOption[]> {
  const loader = registry.get(name);
  if (!loader) throw Invalid('forms.check.unknownCatalog', { where: name, name });
  return loader(ctx);
}

/** Publish-check problems: choice fields naming a catalog that is not registered. */
export function catalogProblems(def: FormDefinition): Issue[] {
  return fieldsOf(def)
    .filter((f) => f.type === 'choice' && f.catalog && !registry.has(f.catalog))
    .map((f) => ({ code: 'forms.check.unknownCatalog', severity: 'error' as const, target: f.id, where: f.label, params: { where: f.label, name: f.catalog } }));
}

/** Whether any choice field of the definition names a catalog. */
export function usesCatalogs(def: FormDefinition): boolean {
  return fieldsOf(def).some((f) => f.type === 'choice' && !!f.catalog);
}

/**
 * A copy of the definition where every catalog choice field carries the catalog's options for this
 * context (replacing inline ones); an unknown catalog gives an empty list, so every value is refused.
 */
export async function resolveCatalogs(def: FormDefinition, ctx: CatalogContext = {}): Promise<FormDefinition> {
  if (!usesCatalogs(def)) return def;
  const copy = structuredClone(def);
  const loaded = new Map<string, ChoiceOption[]>();
  for (const f of fieldsOf(copy)) {
    if (f.type !== 'choice' || !f.catalog) continue;
    if (!loaded.has(f.catalog)) loaded.set(f.catalog, registry.has(f.catalog) ? await loadCatalog(f.catalog, ctx) : []);
    f.options = loaded.get(f.catalog)!;
  }
  return copy;
}

async function orgOrNull(code: string) {
  try {
    return await getOrgByCode(code, CURRENT_TREE);
  } catch {
    return null;
  }
}

/** The province the filling unit lies in (the unit itself when it is one), or null. */
async function provinceOf(ctx: CatalogContext) {
  const code = ctx.orgCode ?? ctx.viewer?.orgCode;
  if (!code) return null;
  const org = await orgOrNull(code);
  if (!org) return null;
  if (org.level === 'province') return org;
  return (await listAncestors(org)).find((a) => a.level === 'province') ?? null;
}

async function provinces() {
  const root = await orgOrNull('VN');
  return root ? listSubtree(root, 'province') : [];
}

registerCatalog('provinces', async () => (await provinces()).map((p) => ({ value: p.code, label: p.name })));

registerCatalog('communes', async (ctx) => {
  const province = await provinceOf(ctx);
  if (province) return (await listSubtree(province, 'commune')).map((c) => ({ value: c.code, label: c.name }));
  // Every commune of the country: names repeat across provinces, so the label names the province.
  const all = await provinces();
  const out: ChoiceOption[] = [];
  for (const p of all) for (const c of await listSubtree(p, 'commune')) out.push({ value: c.code, label: `${c.name} — ${p.name}` });
  return out;
});

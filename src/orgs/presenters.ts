// What leaves the orgs domain: units for JSON and for the browser pages.
import type { OrgUnit } from './models.ts';
import type { ImportProblem, ImportResult } from './import.ts';
import { hasMessage, t, type Locale } from '../i18n/index.ts';
import { ORG_LEVELS } from './models.ts';

/** A unit for JSON and pages. */
export function presentOrg(o: OrgUnit) {
  return {
    id: o.id,
    tree: o.tree,
    code: o.code,
    name: o.name,
    level: o.level,
    kind: o.kind,
    parentId: o.parentId,
    depth: o.depth,
    validFrom: o.validFrom ?? null,
    validTo: o.validTo ?? null,
  };
}

/** A unit with what its detail page and API add: the ancestors (root first) and counts below it by level. */
export function presentOrgDetail(o: OrgUnit, ancestors: OrgUnit[], counts: Record<string, number>, children: OrgUnit[]) {
  return {
    ...presentOrg(o),
    ancestors: ancestors.map((a) => ({ id: a.id, code: a.code, name: a.name, level: a.level })),
    counts: Object.fromEntries(ORG_LEVELS.filter((l) => counts[l]).map((l) => [l, counts[l]])),
    children: children.map(presentOrg),
  };
}

/** The problems of a rejected import, each in the reader's language with its line number. */
export function presentImportProblems(locale: Locale, problems: ImportProblem[]) {
  return problems.map((p) => ({ line: p.line, code: p.code ?? null, key: p.key, message: t(locale, p.key, p.params) }));
}

/** An import's outcome for pages and JSON. */
export function presentImportResult(r: ImportResult) {
  return { tree: r.tree, format: r.format, rows: r.rows, created: r.created, updated: r.updated, unchanged: r.unchanged, ms: r.ms };
}

/** The name of a unit's kind in the reader's language; kinds from other sources show as stored. */
export function kindLabel(locale: Locale, kind: string): string {
  return hasMessage(locale, `orgs.kinds.${kind}`) ? t(locale, `orgs.kinds.${kind}`) : kind;
}

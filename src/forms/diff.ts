// A readable diff between two versions of a definition: what was added, removed or changed, by name.
import { fieldsOf, rowLabel, tablesOf, type FormDefinition } from './definition.ts';

/** One change, with catalog keys for the sentence and the kind of thing. */
export interface Change {
  kind: 'added' | 'removed' | 'changed';
  /** `field`, `row`, `column`, `section`, `table`, `rule` or `form`. */
  what: string;
  name: string;
  prop?: string;
  from?: string;
  to?: string;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function compareItems<T extends { id: string }>(what: string, a: T[], b: T[], name: (x: T) => string, out: Change[], skip: string[] = []): void {
  const before = new Map(a.map((x) => [x.id, x]));
  const after = new Map(b.map((x) => [x.id, x]));
  for (const [id, x] of before) if (!after.has(id)) out.push({ kind: 'removed', what, name: name(x) });
  for (const [id, y] of after) {
    const x = before.get(id);
    if (!x) {
      out.push({ kind: 'added', what, name: name(y) });
      continue;
    }
    const keys = new Set([...Object.keys(x), ...Object.keys(y)].filter((k) => !skip.includes(k)));
    for (const k of keys) {
      const fx = show((x as Record<string, unknown>)[k]);
      const fy = show((y as Record<string, unknown>)[k]);
      if (fx !== fy) out.push({ kind: 'changed', what, name: name(y), prop: k, from: fx, to: fy });
    }
  }
}

/** Lists the changes from one definition to the next. */
export function diffDefinitions(a: FormDefinition, b: FormDefinition): Change[] {
  const out: Change[] = [];
  for (const k of ['code', 'name', 'legalBasis', 'unitLabel', 'receiverLabel', 'periodKind', 'signerTitle', 'preparerTitle'] as const) {
    if (show(a[k]) !== show(b[k])) out.push({ kind: 'changed', what: 'form', name: b.name, prop: k, from: show(a[k]), to: show(b[k]) });
  }
  compareItems('section', a.sections, b.sections, (s) => s.title, out, ['fields', 'tables']);
  compareItems('field', fieldsOf(a), fieldsOf(b), (f) => f.label, out);
  compareItems('table', tablesOf(a), tablesOf(b), (t) => t.title ?? t.id, out, ['rows', 'columns']);
  const colsA = tablesOf(a).flatMap((t) => t.columns.map((c) => ({ ...c, id: `${t.id}.${c.id}` })));
  const colsB = tablesOf(b).flatMap((t) => t.columns.map((c) => ({ ...c, id: `${t.id}.${c.id}` })));
  compareItems('column', colsA, colsB, (c) => c.label, out);
  compareItems('row', tablesOf(a).flatMap((t) => t.rows), tablesOf(b).flatMap((t) => t.rows), rowLabel, out);
  compareItems('rule', a.rules ?? [], b.rules ?? [], (r) => r.message, out);
  return out;
}

// Rolls the values of several units up into their parent's values, indicator by indicator, as each
// row's rollup says (sum, average, min, max, weighted average, none, formula); fields are not rolled up.
import { computeValues, emptyValues, getValue, setValue, valueReader, type Plan } from './engine.ts';
import { evalFeel } from './feel.ts';
import { tablesOf, type FormValues } from './definition.ts';

/** Aggregates child units' values into one set of values; computed cells are recomputed afterwards. */
export function rollupValues(plan: Plan, children: FormValues[]): FormValues {
  const out = emptyValues();
  const later: Array<() => void> = [];
  for (const table of tablesOf(plan.def)) {
    for (const row of table.rows) {
      const kind = row.rollup?.kind ?? 'sum';
      for (const col of table.columns) {
        const key = `${row.id}.${col.id}`;
        const cell = plan.cells.get(key);
        if (!cell || cell.mode !== 'input') continue;
        const read = valueReader(key);
        const nums: number[] = [];
        for (const c of children) {
          const x = read(c);
          if (typeof x === 'number') nums.push(x);
        }
        let v: number | null = null;
        if (nums.length) {
          switch (kind) {
            case 'sum': v = nums.reduce((a, b) => a + b, 0); break;
            case 'average': v = nums.reduce((a, b) => a + b, 0) / nums.length; break;
            case 'min': v = Math.min(...nums); break;
            case 'max': v = Math.max(...nums); break;
            case 'weighted': {
              // Weighted by the same measure of another indicator (e.g. a poverty rate by population).
              let num = 0;
              let den = 0;
              const weight = valueReader(`${row.rollup!.by}.${col.id}`);
              for (const c of children) {
                const x = read(c);
                const w = weight(c);
                if (typeof x === 'number' && typeof w === 'number') {
                  num += x * w;
                  den += w;
                }
              }
              v = den ? num / den : null;
              break;
            }
            default: v = null;
          }
        }
        if (kind === 'formula' && row.rollup?.formula) {
          // A formula over the rolled-up rows of the same measure (e.g. a rate recomputed from totals).
          const formula = row.rollup.formula;
          later.push(() => {
            const ctx: Record<string, unknown> = Object.create(null);
            for (const r of table.rows) ctx[r.id] = getValue(out, `${r.id}.${col.id}`);
            const r = evalFeel(formula, ctx);
            setValue(out, key, typeof r === 'number' && Number.isFinite(r) ? r : null);
          });
        } else if (v !== null) setValue(out, key, Math.round(v * 1e6) / 1e6);
      }
    }
  }
  for (const f of later) f();
  return computeValues(plan, out);
}

// Cross-checks beyond a form's own rules: a parent's own figure against the sum of its children
// (within a tolerance), change against the previous period beyond a threshold, and outliers among
// sibling units by the modified z-score (median and MAD, Iglewicz–Hoaglin). Each finding is a warning
// that needs an explanation before the report is sent.
// Forms on procedures are also checked against the unit's own dossiers (dossier-crosscheck.ts, rule ids
// `xc.dossiers.KEY`); the report's save runs both.
import { getValue, type Issue, type Plan } from '../forms/engine.ts';
import type { FormValues } from '../forms/definition.ts';

/** Thresholds of a regime's cross-checks. */
export interface CheckSettings {
  /** Largest relative difference between a parent's own figure and its children's sum. */
  parentTolerance: number;
  /** Largest relative change against the previous period. */
  changeThreshold: number;
  /** Modified z-score above which a value is an outlier among its siblings. */
  zScore: number;
}

/** The defaults: 1 %, 50 %, 3.5 (the threshold Iglewicz and Hoaglin recommend). */
export const DEFAULT_CHECKS: CheckSettings = { parentTolerance: 0.01, changeThreshold: 0.5, zScore: 3.5 };

/** Fewest siblings with a value before outliers are looked for. */
const MIN_SIBLINGS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The modified z-score of x among values: 0.6745 (x − median) / MAD; null when MAD is 0. */
export function modifiedZ(x: number, values: number[]): number | null {
  const med = median(values);
  const mad = median(values.map((v) => Math.abs(v - med)));
  return mad === 0 ? null : (0.6745 * (x - med)) / mad;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The warnings of one report's values; rule ids are `xc.parent.KEY`, `xc.change.KEY`, `xc.outlier.KEY`. */
export function crossCheck(plan: Plan, values: FormValues, o: { settings: CheckSettings; prev?: FormValues | null; rolled?: FormValues | null; own?: FormValues | null; siblings?: FormValues[] }): Issue[] {
  const out: Issue[] = [];
  for (const c of plan.inputs) {
    if (c.kind !== 'cell' || !c.numeric) continue;
    const v = num(getValue(values, c.key));
    if (v === null) continue;
    const where = c.where;
    if (o.rolled && o.own) {
      const mine = num(getValue(o.own, c.key));
      const sum = num(getValue(o.rolled, c.key));
      if (mine !== null && sum !== null && Math.abs(mine - sum) > o.settings.parentTolerance * Math.max(Math.abs(sum), 1e-9)) {
        out.push({ code: 'reporting.check.parent', severity: 'warning', target: c.key, where, rule: `xc.parent.${c.key}`, params: { where, value: mine, expected: sum } });
      }
    }
    const p = o.prev ? num(getValue(o.prev, c.key)) : null;
    if (p !== null && p !== 0 && Math.abs(v - p) / Math.abs(p) > o.settings.changeThreshold) {
      out.push({ code: 'reporting.check.change', severity: 'warning', target: c.key, where, rule: `xc.change.${c.key}`, params: { where, value: v, previous: p, percent: Math.round(((v - p) / Math.abs(p)) * 100) } });
    }
    const sib = (o.siblings ?? []).map((s) => num(getValue(s, c.key))).filter((x): x is number => x !== null);
    if (sib.length >= MIN_SIBLINGS) {
      const z = modifiedZ(v, [...sib, v]);
      if (z !== null && Math.abs(z) > o.settings.zScore) {
        out.push({ code: 'reporting.check.outlier', severity: 'warning', target: c.key, where, rule: `xc.outlier.${c.key}`, params: { where, value: v, median: median(sib), z: Math.round(z * 10) / 10 } });
      }
    }
  }
  return out;
}

// FEEL (via feelin) is the only expression language of user-authored processes: a value that
// starts with `=` is an expression, anything else is a literal, as in Camunda 8. Deploy checks only
// parse; every evaluation runs under the budget of src/feel.
import { evaluateBounded, maxRange, oversizedRange, syntaxErrorOf } from '../feel/index.ts';

/** Whether a BPMN attribute value is a FEEL expression (`=…`). */
export function isFeel(value: unknown): value is string {
  return typeof value === 'string' && value.trimStart().startsWith('=');
}

/** The syntax problem of a FEEL expression (without its leading `=`), or null when it parses; never evaluates. */
export function feelSyntaxError(expression: string): { message: string; from?: number; to?: number } | null {
  return syntaxErrorOf(expression);
}

/** A number-literal range the expression iterates over that is larger than FEEL_MAX_RANGE, or null. */
export function feelRangeProblem(expression: string): { from: number; size: number; limit: number } | null {
  const limit = maxRange();
  const range = oversizedRange(expression, limit);
  return range ? { from: range.from, size: range.size, limit } : null;
}

/** Converts feelin's temporal values to plain JSON values (ISO strings). */
export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const v = value as { toISO?: () => string; toJSON?: () => unknown };
    if (typeof v.toISO === 'function') return v.toISO();
    if (Array.isArray(value)) return value.map(toPlain);
    if (Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, toPlain(x)]));
    }
    if (typeof v.toJSON === 'function') return v.toJSON();
  }
  return value;
}

/**
 * Evaluates a FEEL expression (`=…`) against variables, or returns a literal unchanged. An expression
 * that exceeds its budget throws a FeelBudgetError.
 */
export function resolveValue(value: unknown, variables: Record<string, unknown>): unknown {
  if (!isFeel(value)) return value;
  return toPlain(evaluateBounded(value.trimStart().slice(1), variables).value);
}

/** Resolves a value to a string (null when empty). */
export function resolveString(value: unknown, variables: Record<string, unknown>): string | null {
  const v = resolveValue(value, variables);
  if (v === null || v === undefined || v === '') return null;
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** Resolves a comma-separated list (or a FEEL list) to trimmed strings. */
export function resolveList(value: unknown, variables: Record<string, unknown>): string[] {
  const v = resolveValue(value, variables);
  if (v === null || v === undefined) return [];
  const list = Array.isArray(v) ? v.map(String) : String(v).split(',');
  return list.map((s) => s.trim()).filter(Boolean);
}

/** Resolves a date value (ISO date-time, or a duration from now such as `P3D`) to an instant. */
export function resolveDate(value: unknown, variables: Record<string, unknown>, now = new Date()): Date | null {
  const v = resolveString(value, variables);
  if (!v) return null;
  if (/^-?P/i.test(v)) {
    const ms = durationMs(v);
    return ms === null ? null : new Date(now.getTime() + ms);
  }
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Milliseconds of an ISO 8601 duration (months count 30 days, years 365), or null when malformed. */
export function durationMs(text: string): number | null {
  const m = /^(-)?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i.exec(text.trim());
  if (!m || text.trim().length <= 1) return null;
  const n = (i: number) => (m[i] ? Number(m[i].replace(',', '.')) : 0);
  const ms = ((((n(2) * 365 + n(3) * 30 + n(4) * 7 + n(5)) * 24 + n(6)) * 60 + n(7)) * 60 + n(8)) * 1000;
  return m[1] ? -ms : ms;
}

/** A retry policy `R<tries>/<duration>`: total tries and the wait between them. */
export function parseRetryPolicy(text: string | null | undefined): { tries: number; backoffMs: number; exponential: boolean } | null {
  if (!text) return null;
  const t = text.trim();
  if (/^\d+$/.test(t)) return { tries: Math.max(1, Number(t)), backoffMs: 10000, exponential: true };
  const m = /^R(\d+)\/(P.+)$/i.exec(t);
  if (!m) return null;
  const ms = durationMs(m[2]);
  if (ms === null) return null;
  return { tries: Math.max(1, Number(m[1])), backoffMs: ms, exponential: false };
}

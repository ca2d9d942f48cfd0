// The edge check every request passes before its handler: no prototype keys, no control characters,
// bounded nesting and bounded text, whatever the route's own joi schema says. It walks without
// recursion, so a 10,000-deep JSON body is refused instead of overflowing the stack.

/** Limits of the edge check; a route may raise `maxText` for itself (a BPMN file, a form definition). */
export interface InputLimits {
  /** Deepest nesting of objects and arrays accepted. */
  maxDepth: number;
  /** Longest text value (in characters) accepted. */
  maxText: number;
  /** Most keys and items accepted in one request part. */
  maxEntries: number;
}

/** Defaults: generous for every real form, far below what would hurt the server. */
export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({ maxDepth: 32, maxText: 100_000, maxEntries: 50_000 });

/** What is wrong with a request part, for the `validation.*` catalog. */
export interface InputProblem {
  /** Catalog key under `validation.`: `forbiddenKey`, `controlChar`, `tooDeep`, `textTooLong`, `tooMany`. */
  type: 'forbiddenKey' | 'controlChar' | 'tooDeep' | 'textTooLong' | 'tooMany';
  /** Dotted path of the offending value (`payload.values.r01`). */
  field: string;
  /** The limit that was passed, where there is one. */
  limit?: number;
}

/** Keys that reach an object's prototype when used as a property name or a path segment. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether a key, or any segment of a dotted or bracketed key (`a.__proto__.b`, `a[constructor]`), is a prototype key. */
export function isForbiddenKey(key: string): boolean {
  if (FORBIDDEN_SEGMENTS.has(key)) return true;
  return key.split(/[.[\]]+/).some((segment) => FORBIDDEN_SEGMENTS.has(segment));
}

// C0 controls and DEL; text values may keep tab, line feed and carriage return.
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const CONTROL_ANY = /[\u0000-\u001F\u007F]/;

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The first problem of one request part (params, query or payload), or null. Keys and one-line parts
 * (`strictLines`: params and query) allow no control character at all; text values allow tab and
 * line breaks. Buffers and streams (file uploads) are not text and are left to their route.
 */
export function findInputProblem(root: unknown, part: string, limits: InputLimits = DEFAULT_INPUT_LIMITS, strictLines = false): InputProblem | null {
  const textPattern = strictLines ? CONTROL_ANY : CONTROL_IN_TEXT;
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: part, depth: 0 }];
  let entries = 0;
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.length > limits.maxText) return { type: 'textTooLong', field: path, limit: limits.maxText };
      if (textPattern.test(value)) return { type: 'controlChar', field: path };
      continue;
    }
    if (!isPlainContainer(value)) continue;
    if (depth >= limits.maxDepth) return { type: 'tooDeep', field: path, limit: limits.maxDepth };
    if (Array.isArray(value)) {
      entries += value.length;
      if (entries > limits.maxEntries) return { type: 'tooMany', field: path, limit: limits.maxEntries };
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}.${i}`, depth: depth + 1 });
      continue;
    }
    const keys = Reflect.ownKeys(value);
    entries += keys.length;
    if (entries > limits.maxEntries) return { type: 'tooMany', field: path, limit: limits.maxEntries };
    for (const key of keys) {
      if (typeof key !== 'string') continue;
      const field = `${path}.${key}`;
      if (isForbiddenKey(key)) return { type: 'forbiddenKey', field };
      if (CONTROL_ANY.test(key) || key.length > 1000) return { type: 'controlChar', field: `${path}.?` };
      stack.push({ value: (value as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  return null;
}

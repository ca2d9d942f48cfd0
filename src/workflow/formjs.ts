// Camunda Forms (form-js JSON, schemaVersion up to 18) on the server: the shape check at deploy and
// the validation of submitted values against the schema (required, min/max, length, pattern, e-mail
// and phone, number and date values, select/radio/checklist/taglist options), so what a browser sends
// is never trusted. Conditions (`conditional.hide`) are FEEL, evaluated under the FEEL budget.
import { evaluateBounded } from '../feel/index.ts';

type Json = Record<string, any>;

/** One problem of a submitted value, with the field it belongs to. */
export interface FieldProblem {
  /** The component's key (dotted for nested data). */
  field: string;
  /** The field's label as the form shows it. */
  label: string;
  /** Catalog key under `tasklist.validation.*`. */
  code: string;
  params: Record<string, unknown>;
}

/** An input component the validator knows. */
export interface FormField {
  key: string;
  label: string;
  type: string;
  required: boolean;
  readonly: boolean;
  validate: Json;
  /** Static options (select, radio, checklist, taglist). */
  options: Array<{ value: unknown; label: string }> | null;
  /** The input variable the options come from (`valuesKey`). */
  valuesKey: string | null;
  subtype: string | null;
  hide: string | null;
}

/** Component types that hold a value. */
const INPUT_TYPES = new Set(['textfield', 'textarea', 'number', 'checkbox', 'checklist', 'radio', 'select', 'taglist', 'datetime']);
/** Component types that only show something (no value). */
const STATIC_TYPES = new Set(['text', 'html', 'spacer', 'separator', 'image', 'button', 'group', 'iframe', 'table', 'documentPreview']);
const KEY = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ().-]{6,20}$/;

function isObject(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function safeKey(key: string): boolean {
  return KEY.test(key) && !key.split('.').some((s) => FORBIDDEN_SEGMENTS.has(s));
}

/** Every input field of a schema (groups with a `path` prefix their children's keys). */
export function formFields(schema: Json): FormField[] {
  const out: FormField[] = [];
  const visit = (components: unknown, prefix: string) => {
    if (!Array.isArray(components)) return;
    for (const c of components as Json[]) {
      if (!isObject(c)) continue;
      if (Array.isArray(c.components)) visit(c.components, typeof c.path === 'string' && c.path ? `${prefix}${c.path}.` : prefix);
      if (!INPUT_TYPES.has(c.type) || typeof c.key !== 'string') continue;
      const options = Array.isArray(c.values) ? (c.values as Json[]).filter(isObject).map((v) => ({ value: v.value, label: String(v.label ?? v.value) })) : null;
      out.push({
        key: `${prefix}${c.key}`, label: String(c.label ?? c.key), type: c.type,
        required: !!c.validate?.required, readonly: c.readonly === true || c.disabled === true,
        validate: isObject(c.validate) ? c.validate : {}, options, valuesKey: typeof c.valuesKey === 'string' ? c.valuesKey : null,
        subtype: typeof c.subtype === 'string' ? c.subtype : null,
        hide: typeof c.conditional?.hide === 'string' ? c.conditional.hide : null,
      });
    }
  };
  visit(schema.components, '');
  return out;
}

/** Why a form-js file cannot be deployed (catalog keys under `tasklist.formProblem.*`), empty when it can. */
export function formSchemaProblems(schema: unknown): Array<{ code: string; params: Record<string, unknown> }> {
  if (!isObject(schema) || !Array.isArray(schema.components)) return [{ code: 'tasklist.formProblem.notForm', params: {} }];
  const problems: Array<{ code: string; params: Record<string, unknown> }> = [];
  if (typeof schema.id !== 'string' || !/^[A-Za-z0-9_.-]{1,190}$/.test(schema.id)) problems.push({ code: 'tasklist.formProblem.id', params: {} });
  const seen = new Set<string>();
  const visit = (components: unknown, prefix: string) => {
    for (const c of (Array.isArray(components) ? components : []) as Json[]) {
      if (!isObject(c)) continue;
      const type = String(c.type ?? '');
      if (Array.isArray(c.components)) visit(c.components, typeof c.path === 'string' && c.path ? `${prefix}${c.path}.` : prefix);
      if (STATIC_TYPES.has(type)) continue;
      if (!INPUT_TYPES.has(type)) {
        problems.push({ code: 'tasklist.formProblem.type', params: { type, id: String(c.id ?? c.key ?? '?') } });
        continue;
      }
      const key = `${prefix}${String(c.key ?? '')}`;
      if (!safeKey(key)) problems.push({ code: 'tasklist.formProblem.key', params: { key, id: String(c.id ?? '?') } });
      else if (seen.has(key)) problems.push({ code: 'tasklist.formProblem.duplicate', params: { key } });
      seen.add(key);
      const pattern = c.validate?.pattern;
      if (pattern !== undefined) {
        try {
          new RegExp(String(pattern));
        } catch {
          problems.push({ code: 'tasklist.formProblem.pattern', params: { key, pattern: String(pattern) } });
        }
      }
    }
  };
  visit(schema.components, '');
  return problems;
}

function getPath(data: Json, key: string): { has: boolean; value: unknown } {
  let cur: unknown = data;
  for (const seg of key.split('.')) {
    if (!isObject(cur) || !Object.hasOwn(cur, seg)) return { has: false, value: undefined };
    cur = (cur as Json)[seg];
  }
  return { has: true, value: cur };
}

function setPath(out: Json, key: string, value: unknown): void {
  const segs = key.split('.');
  let cur = out;
  for (const seg of segs.slice(0, -1)) {
    if (!isObject(cur[seg])) cur[seg] = Object.create(null);
    cur = cur[seg];
  }
  cur[segs[segs.length - 1]] = value;
}

/** Every leaf key of submitted data (dotted), to find values the form has no field for. */
function leafKeys(data: Json, prefix = ''): string[] {
  const keys: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    const key = `${prefix}${k}`;
    if (isObject(v)) keys.push(...leafKeys(v, `${key}.`));
    else keys.push(key);
  }
  return keys;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function hidden(f: FormField, context: Json): boolean {
  if (!f.hide) return false;
  const expr = f.hide.trim().replace(/^=/, '');
  try {
    return evaluateBounded(expr, context).value === true;
  } catch {
    return false;
  }
}

function optionsOf(f: FormField, variables: Json): unknown[] | null {
  if (f.options) return f.options.map((o) => o.value);
  if (f.valuesKey) {
    const v = getPath(variables, f.valuesKey).value;
    if (Array.isArray(v)) return v.map((o) => (isObject(o) ? o.value : o));
  }
  return null;
}

function sameOption(a: unknown, b: unknown): boolean {
  return a === b || (a !== null && b !== null && a !== undefined && String(a) === String(b) && typeof a !== 'object');
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?$/;

function validDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** One field's value coerced to what the form means, or a problem. */
function checkField(f: FormField, raw: unknown, variables: Json): { value?: unknown; problem?: Omit<FieldProblem, 'field' | 'label'> } {
  const v = f.validate;
  if (isEmpty(raw)) {
    if (f.required) return { problem: { code: 'required', params: {} } };
    return { value: f.type === 'checkbox' ? false : f.type === 'checklist' || f.type === 'taglist' ? [] : null };
  }
  switch (f.type) {
    case 'textfield':
    case 'textarea': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return { problem: { code: 'text', params: {} } };
      const s = String(raw).normalize('NFC');
      if (Number.isFinite(v.minLength) && s.length < v.minLength) return { problem: { code: 'minLength', params: { min: v.minLength } } };
      if (Number.isFinite(v.maxLength) && s.length > v.maxLength) return { problem: { code: 'maxLength', params: { max: v.maxLength } } };
      if (v.pattern !== undefined && v.pattern !== '') {
        let re: RegExp | null = null;
        try {
          re = new RegExp(`^(?:${String(v.pattern)})$`, 'u');
        } catch {
          re = null;
        }
        if (re && !re.test(s)) return { problem: { code: 'pattern', params: { pattern: String(v.pattern) } } };
      }
      if (v.validationType === 'email' && !EMAIL.test(s)) return { problem: { code: 'email', params: {} } };
      if (v.validationType === 'phone' && !PHONE.test(s)) return { problem: { code: 'phone', params: {} } };
      return { value: s };
    }
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+([.,]\d+)?$/.test(raw.trim()) ? Number(raw.trim().replace(',', '.')) : NaN;
      if (!Number.isFinite(n)) return { problem: { code: 'number', params: {} } };
      if (Number.isFinite(v.min) && n < v.min) return { problem: { code: 'min', params: { min: v.min } } };
      if (Number.isFinite(v.max) && n > v.max) return { problem: { code: 'max', params: { max: v.max } } };
      return { value: n };
    }
    case 'checkbox':
      if (typeof raw !== 'boolean') return { problem: { code: 'boolean', params: {} } };
      if (f.required && raw !== true) return { problem: { code: 'required', params: {} } };
      return { value: raw };
    case 'radio':
    case 'select': {
      if (typeof raw === 'object') return { problem: { code: 'option', params: {} } };
      const options = optionsOf(f, variables);
      if (options) {
        const hit = options.find((o) => sameOption(o, raw));
        if (hit === undefined) return { problem: { code: 'option', params: {} } };
        return { value: hit };
      }
      return { value: raw };
    }
    case 'checklist':
    case 'taglist': {
      if (!Array.isArray(raw) || raw.some((x) => typeof x === 'object' && x !== null)) return { problem: { code: 'options', params: {} } };
      const options = optionsOf(f, variables);
      const picked = options ? raw.map((x) => options.find((o) => sameOption(o, x))) : raw;
      if (picked.some((x) => x === undefined)) return { problem: { code: 'option', params: {} } };
      if (Number.isFinite(v.minLength) && picked.length < v.minLength) return { problem: { code: 'minItems', params: { min: v.minLength } } };
      if (Number.isFinite(v.maxLength) && picked.length > v.maxLength) return { problem: { code: 'maxItems', params: { max: v.maxLength } } };
      return { value: [...new Set(picked)] };
    }
    case 'datetime': {
      if (typeof raw !== 'string') return { problem: { code: 'date', params: {} } };
      const s = raw.trim();
      const sub = f.subtype ?? 'date';
      if (sub === 'date' && !validDate(s)) return { problem: { code: 'date', params: {} } };
      if (sub === 'time' && !TIME.test(s)) return { problem: { code: 'time', params: {} } };
      if (sub === 'datetime') {
        const [d, time] = s.split('T');
        if (!validDate(d ?? '') || !TIME.test(time ?? '')) return { problem: { code: 'datetime', params: {} } };
      }
      return { value: s };
    }
    default:
      return { value: raw };
  }
}

/**
 * Checks submitted data against a form-js schema: every problem (field, catalog code), and the
 * values to hand the engine — only the form's own editable, visible fields, coerced to their types.
 * Values for keys the form has no field for are a problem (a browser cannot set other variables).
 */
export function validateFormData(schema: Json, data: unknown, variables: Json = {}): { values: Record<string, unknown>; problems: FieldProblem[] } {
  const fields = formFields(schema);
  const problems: FieldProblem[] = [];
  const values: Record<string, unknown> = Object.create(null);
  const input = isObject(data) ? data : {};
  const known = new Set(fields.map((f) => f.key));
  for (const key of leafKeys(input)) {
    // A group's nested object arrives as one value; its leaves are checked through the fields.
    if (!known.has(key) && ![...known].some((k) => key.startsWith(`${k}.`))) problems.push({ field: key, label: key, code: 'tasklist.validation.unknown', params: {} });
  }
  const context: Json = { ...variables, ...input };
  for (const f of fields) {
    if (f.readonly || hidden(f, context)) continue;
    const { value: raw } = getPath(input, f.key);
    const r = checkField(f, raw, variables);
    if (r.problem) problems.push({ field: f.key, label: f.label, code: `tasklist.validation.${r.problem.code}`, params: r.problem.params });
    else setPath(values, f.key, r.value);
  }
  return { values: { ...values }, problems };
}

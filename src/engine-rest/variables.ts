// Camunda's typed variable format (`{ name: { value, type, valueInfo } }`) to plain values and back.
// JSON values travel as strings (type `Json`, or `Object` serialized as application/json); file and
// byte values are refused, since govflow keeps variables as JSON.
import { BadRequest } from '../errors.ts';

/** One variable as Camunda's REST API writes it. */
export interface TypedValue {
  value: unknown;
  type: string;
  valueInfo: Record<string, unknown>;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function bad(name: string, type: string): Error {
  return BadRequest('apiclients.badVariable', { name, type });
}

function parseJson(name: string, type: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw bad(name, type);
  }
}

/** Plain values from typed ones (a value without a type is taken as it is). */
export function fromTyped(input: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  if (input === undefined || input === null) return out;
  if (typeof input !== 'object' || Array.isArray(input)) throw BadRequest('apiclients.badVariables');
  for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad(name, 'unknown');
    const { value, type } = raw as { value?: unknown; type?: unknown };
    const kind = typeof type === 'string' ? type.toLowerCase() : '';
    switch (kind) {
      case '':
        out[name] = value ?? null;
        break;
      case 'null':
        out[name] = null;
        break;
      case 'string':
        if (value !== null && typeof value !== 'string') throw bad(name, String(type));
        out[name] = value;
        break;
      case 'boolean':
        if (value !== null && typeof value !== 'boolean') throw bad(name, String(type));
        out[name] = value;
        break;
      case 'integer':
      case 'short':
      case 'long':
      case 'double': {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (value !== null && (typeof n !== 'number' || !Number.isFinite(n) || (kind !== 'double' && !Number.isInteger(n)))) throw bad(name, String(type));
        out[name] = n;
        break;
      }
      case 'date': {
        const d = typeof value === 'string' ? new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : null;
        if (value !== null && (!d || Number.isNaN(d.getTime()))) throw bad(name, String(type));
        out[name] = d ? d.toISOString() : null;
        break;
      }
      case 'json':
        out[name] = parseJson(name, String(type), value);
        break;
      case 'object': {
        const info = (raw as { valueInfo?: { serializationDataFormat?: unknown } }).valueInfo;
        if (info?.serializationDataFormat !== 'application/json') throw bad(name, String(type));
        out[name] = parseJson(name, String(type), value);
        break;
      }
      default:
        throw bad(name, String(type));
    }
  }
  return out;
}

/** One plain value in Camunda's typed form. */
export function typedValue(v: unknown): TypedValue {
  if (v === null || v === undefined) return { value: null, type: 'Null', valueInfo: {} };
  if (typeof v === 'boolean') return { value: v, type: 'Boolean', valueInfo: {} };
  if (typeof v === 'string') return { value: v, type: 'String', valueInfo: {} };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { value: v, type: 'Double', valueInfo: {} };
    return { value: v, type: v >= INT_MIN && v <= INT_MAX ? 'Integer' : 'Long', valueInfo: {} };
  }
  return { value: JSON.stringify(v), type: 'Json', valueInfo: {} };
}

/** Typed values from plain ones. */
export function toTyped(vars: Record<string, unknown>): Record<string, TypedValue> {
  const out: Record<string, TypedValue> = Object.create(null);
  for (const [k, v] of Object.entries(vars)) out[k] = typedValue(v);
  return out;
}

/** An instant as Camunda writes it: `2026-12-02T01:10:00.000+0000`. */
export function camundaDate(d: Date | null): string | null {
  return d ? d.toISOString().replace('Z', '+0000') : null;
}

// Joi schema of a form definition: the shape check run before the engine's deeper checks.
import Joi from 'joi';
import { COLUMN_TYPES, FIELD_TYPES, FORM_LIMITS, MISSING, PERIOD_KINDS, ROLLUPS, type FormDefinition } from './definition.ts';
import { Invalid } from '../errors.ts';

// Names that reach an object's prototype are never ids, so a value path can never write through them.
const id = Joi.string().pattern(/^[A-Za-z_][A-Za-z0-9_]*$/).max(60).invalid('__proto__', 'constructor', 'prototype');
const text = Joi.string().trim().max(2000);
const expr = Joi.string().trim().max(4000);

const field = Joi.object({
  id: id.required(),
  label: text.required(),
  type: Joi.string().valid(...FIELD_TYPES).required(),
  required: Joi.boolean(),
  unit: Joi.string().max(60).allow(''),
  decimals: Joi.number().integer().min(0).max(10),
  min: Joi.number(),
  max: Joi.number(),
  options: Joi.array().items(Joi.object({ value: Joi.string().max(200).required(), label: text.required() })),
  catalog: Joi.string().max(100),
  accept: Joi.array().items(Joi.string().pattern(/^\.?[A-Za-z0-9]{1,10}$/)).max(30),
  maxBytes: Joi.number().integer().min(1).max(50 * 1024 * 1024),
  formula: expr.allow(''),
  help: text.allow(''),
});

const column = Joi.object({
  id: id.required(),
  label: text.required(),
  type: Joi.string().valid(...COLUMN_TYPES).default('number'),
  decimals: Joi.number().integer().min(0).max(10),
  min: Joi.number(),
  max: Joi.number(),
  formula: expr.allow(''),
});

const row = Joi.object({
  id: id.required(),
  code: Joi.string().max(30).allow(''),
  name: text.required(),
  unit: Joi.string().max(60).allow(''),
  parent: id,
  total: Joi.boolean(),
  formula: expr.allow(''),
  cells: Joi.object().pattern(id, expr),
  rollup: Joi.object({ kind: Joi.string().valid(...ROLLUPS).required(), by: id, formula: expr }),
  blank: Joi.array().items(id),
});

const table = Joi.object({
  id: id.required(),
  title: text.allow(''),
  columns: Joi.array().items(column).min(1).max(FORM_LIMITS.columnsPerTable).required(),
  rows: Joi.array().items(row).max(FORM_LIMITS.rowsPerTable).required(),
});

const section = Joi.object({
  id: id.required(),
  title: text.required(),
  fields: Joi.array().items(field).max(FORM_LIMITS.fieldsPerForm),
  tables: Joi.array().items(table).max(FORM_LIMITS.tablesPerForm),
});

const rule = Joi.object({
  id: id.required(),
  expression: expr.required(),
  message: text.required(),
  severity: Joi.string().valid('error', 'warning').required(),
  missing: Joi.string().valid(...MISSING).default('skipIfAnyMissing'),
  forEachRow: id,
  target: Joi.string().pattern(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/),
});

/** Joi schema of a whole definition. */
export const definitionSchema = Joi.object({
  key: Joi.string().pattern(/^[a-z0-9]+(-[a-z0-9]+)*$/).max(60).required(),
  code: Joi.string().trim().max(60).required(),
  name: text.required(),
  legalBasis: text.allow(''),
  unitLabel: text.allow(''),
  receiverLabel: text.allow(''),
  periodKind: Joi.string().valid(...PERIOD_KINDS).required(),
  sections: Joi.array().items(section).min(1).max(50).required(),
  rules: Joi.array().items(rule).max(1000),
  signerTitle: text.allow(''),
  preparerTitle: text.allow(''),
});

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Throws 422 naming the first size limit a definition exceeds (rows or columns of a table, tables,
 * fields or cells of the form), before any deeper check spends time on it.
 */
export function assertWithinLimits(input: unknown): void {
  const sections = list((input as { sections?: unknown } | null)?.sections);
  let tables = 0;
  let fields = 0;
  let cells = 0;
  for (const s of sections) {
    const sec = (s ?? {}) as { fields?: unknown; tables?: unknown };
    fields += list(sec.fields).length;
    for (const tb of list(sec.tables)) {
      tables++;
      const tab = (tb ?? {}) as { id?: unknown; title?: unknown; rows?: unknown; columns?: unknown };
      const name = String(tab.title || tab.id || tables).slice(0, 100);
      const rows = list(tab.rows).length;
      const columns = list(tab.columns).length;
      if (rows > FORM_LIMITS.rowsPerTable) throw Invalid('forms.limits.rows', { table: name, count: rows, max: FORM_LIMITS.rowsPerTable });
      if (columns > FORM_LIMITS.columnsPerTable) throw Invalid('forms.limits.columns', { table: name, count: columns, max: FORM_LIMITS.columnsPerTable });
      cells += rows * columns;
    }
  }
  if (tables > FORM_LIMITS.tablesPerForm) throw Invalid('forms.limits.tables', { count: tables, max: FORM_LIMITS.tablesPerForm });
  if (fields > FORM_LIMITS.fieldsPerForm) throw Invalid('forms.limits.fields', { count: fields, max: FORM_LIMITS.fieldsPerForm });
  if (cells + fields > FORM_LIMITS.cellsPerForm) throw Invalid('forms.limits.cells', { count: cells + fields, max: FORM_LIMITS.cellsPerForm });
}

/** Validates the shape of a definition (NFC-normalised); throws 422 with every problem listed. */
export function parseDefinition(input: unknown): FormDefinition {
  assertWithinLimits(input);
  const normalized = JSON.parse(JSON.stringify(input ?? null, (_k, v) => (typeof v === 'string' ? v.normalize('NFC') : v)));
  const { value, error } = definitionSchema.validate(normalized, { abortEarly: false, stripUnknown: false });
  if (error) {
    throw Invalid('forms.definition.invalid', { count: error.details.length }, error.details.map((d) => ({ path: d.path.join('.'), message: d.message })));
  }
  return value as FormDefinition;
}

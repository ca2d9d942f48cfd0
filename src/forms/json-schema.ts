// JSON Schema (draft 2020-12) of a submission payload, for the open API.
import { compile, type Plan } from './engine.ts';
import { fieldsOf, tablesOf, rowLabel, type FormDefinition } from './definition.ts';

type Schema = Record<string, unknown>;

function numberSchema(type: string, min?: number, max?: number): Schema {
  const s: Schema = { type: [type === 'integer' ? 'integer' : 'number', 'null'] };
  if (min !== undefined) s.minimum = min;
  if (max !== undefined) s.maximum = max;
  return s;
}

/** The schema of `values` for one version of a form; computed cells are read-only. */
export function jsonSchemaOf(def: FormDefinition, version: number, plan: Plan = compile(def)): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const f of fieldsOf(def)) {
    const cell = plan.cells.get(f.id);
    let s: Schema;
    switch (f.type) {
      case 'number': case 'integer': case 'percent': s = numberSchema(f.type, f.min, f.max); break;
      case 'boolean': s = { type: ['boolean', 'null'] }; break;
      case 'date': s = { type: ['string', 'null'], format: 'date' }; break;
      case 'choice': s = f.options && (f.options.length || f.catalog) ? { enum: [...f.options.map((o) => o.value), null] } : { type: ['string', 'null'] }; break;
      case 'file':
        s = {
          type: ['object', 'null'], required: ['sha256', 'name', 'size', 'type'], additionalProperties: false,
          properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' }, name: { type: 'string' }, size: { type: 'integer', minimum: 0 }, type: { type: 'string' } },
          description: 'an uploaded file (POST …/submissions/{period}/files/{field})',
        };
        break;
      default: s = { type: ['string', 'null'] };
    }
    s.title = f.label;
    if (cell?.mode !== 'input') s.readOnly = true;
    if (f.required && cell?.mode === 'input') required.push(f.id);
    properties[f.id] = s;
  }
  for (const table of tablesOf(def)) {
    for (const row of table.rows) {
      const cols: Record<string, Schema> = {};
      for (const c of table.columns) {
        const cell = plan.cells.get(`${row.id}.${c.id}`);
        if (!cell) continue;
        const s = numberSchema(c.type, c.min, c.max);
        s.title = c.label;
        if (cell.mode !== 'input') s.readOnly = true;
        cols[c.id] = s;
      }
      properties[row.id] = { type: 'object', title: rowLabel(row), additionalProperties: false, properties: cols };
    }
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:govflow:form:${def.key}:${version}`,
    title: `${def.code} — ${def.name}`,
    type: 'object',
    additionalProperties: false,
    properties,
    required,
  };
}

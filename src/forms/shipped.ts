// The form definitions shipped in forms/*.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDefinition } from './schema.ts';
import type { FormDefinition } from './definition.ts';

/** Folder of the shipped definitions. */
export const SHIPPED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../forms');

/** Every shipped definition, validated. */
export function loadShippedForms(dir = SHIPPED_DIR): FormDefinition[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => parseDefinition(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))));
}

// Every message key written literally in a template or in the code exists in both catalogs, so no
// page ever shows a raw key such as `auth.users.title`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { hasMessage, LOCALES } from '../../../src/i18n/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function filesUnder(dir: string, ext: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(p, ext, out);
    else if (entry.name.endsWith(ext)) out.push(p);
  }
  return out;
}

const KEY = String.raw`([a-z]\w*\.[\w.]*\w)`;
const patterns: Array<[string, RegExp[]]> = [
  ['templates', [new RegExp(String.raw`'${KEY}'\s*\|\s*t\(`, 'g')]],
  ['src', [
    new RegExp(String.raw`\b(?:BadRequest|Forbidden|NotFound|Conflict|Invalid|TooMany|Unauthorized)\(\s*'${KEY}'`, 'g'),
    new RegExp(String.raw`new AppError\(\s*'${KEY}'`, 'g'),
    new RegExp(String.raw`\bt\([^,()]+,\s*'${KEY}'`, 'g'),
    new RegExp(String.raw`label: '${KEY}'`, 'g'),
  ]],
];

/** Literal keys and where they are used. */
function usedKeys(): Map<string, string> {
  const found = new Map<string, string>();
  for (const [dir, regexes] of patterns) {
    for (const file of filesUnder(path.join(root, dir), dir === 'templates' ? '.njk' : '.ts')) {
      const text = fs.readFileSync(file, 'utf8');
      for (const re of regexes) for (const m of text.matchAll(re)) found.set(m[1], path.relative(root, file));
    }
  }
  return found;
}

test('the scan finds the keys of the shell', (t) => {
  const keys = usedKeys();
  for (const k of ['auth.login', 'common.skipToContent', 'errors.backHome', 'auth.nav.users', 'auth.badCredentials']) t.true(keys.has(k), k);
});

test('every key used in templates and code exists in Vietnamese and English', (t) => {
  const missing: string[] = [];
  for (const [key, file] of usedKeys()) {
    for (const locale of LOCALES) if (!hasMessage(locale, key)) missing.push(`${locale}: ${key} (${file})`);
  }
  t.deepEqual(missing, []);
});

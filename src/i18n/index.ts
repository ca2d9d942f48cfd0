// Message catalogs: locales/<lang>/<namespace>.json (or <namespace>-<part>.json), keys addressed as `namespace.key.path`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Languages of the UI; the first is the default. */
export const LOCALES = ['vi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

type Catalog = Record<string, string>;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../locales');
let catalogs: Record<Locale, Catalog> | undefined;

function flatten(prefix: string, obj: unknown, out: Catalog): void {
  if (typeof obj === 'string') {
    out[prefix] = obj;
    return;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
}

/** Loads every catalog file once; later calls reuse them. */
export function loadCatalogs(): Record<Locale, Catalog> {
  if (catalogs) return catalogs;
  const loaded = Object.create(null) as Record<Locale, Catalog>;
  for (const locale of LOCALES) {
    // Keys often come from requests (an error code in a query string): no prototype to reach.
    const out: Catalog = Object.create(null) as Catalog;
    const dir = path.join(root, locale);
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      // `reporting-periods.json` adds to the `reporting` namespace, so one domain's catalog can come in parts.
      flatten(path.basename(file, '.json').split('-')[0], JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), out);
    }
    loaded[locale] = out;
  }
  catalogs = loaded;
  return loaded;
}

/** Whether a key exists in the catalog of a language. */
export function hasMessage(locale: Locale, key: string): boolean {
  return Object.hasOwn(loadCatalogs()[locale], key);
}

/** The message for key in locale (falling back to Vietnamese, then to the key), with {params} filled in. */
export function t(locale: Locale, key: string, params: Record<string, unknown> = {}): string {
  const c = loadCatalogs();
  const template = c[toLocale(locale)][key] ?? c.vi[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : m));
}

/** Picks a supported locale from a requested one. */
export function toLocale(value: unknown): Locale {
  return (LOCALES as readonly unknown[]).includes(value) ? (value as Locale) : 'vi';
}

/** Vietnamese number format: `1.234,5`. */
export function formatNumber(n: number | null | undefined, locale: Locale = 'vi', decimals?: number): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  return new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-US', decimals === undefined ? {} : { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(n);
}

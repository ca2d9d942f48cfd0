// Nunjucks as the view engine of @hapi/vision, with the filters every page uses.
import nunjucks from 'nunjucks';
import { t, formatNumber, type Locale } from '../i18n/index.ts';
import { formatVn, toVnIso } from '../time.ts';

/** Filters and globals available in every template. */
export function configureEnvironment(env: nunjucks.Environment): nunjucks.Environment {
  // `{{ 'key' | t(locale, {n: 1}) }}`: catalog lookup in the page's language.
  env.addFilter('t', (key: string, locale: Locale, params?: Record<string, unknown>) => t(locale ?? 'vi', key, params));
  env.addFilter('vnTime', (d: Date | string | null) => formatVn(d));
  env.addFilter('isoTime', (d: Date | string | null) => toVnIso(d) ?? '');
  env.addFilter('num', (n: number, locale: Locale, decimals?: number) => formatNumber(n, locale ?? 'vi', decimals));
  env.addFilter('json', (v: unknown) => JSON.stringify(v ?? null).replace(/</g, '\\u003c'));
  return env;
}

/** The engine object @hapi/vision expects. */
export function createViewEngine(templatesDir: string) {
  const env = configureEnvironment(new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir, { noCache: false }), { autoescape: true, throwOnUndefined: false }));
  return {
    compile: (src: string, options: { filename: string }) => {
      const template = new nunjucks.Template(src, env, options.filename);
      return (context: object) => template.render(context);
    },
    prepare: (_options: unknown, next: (err?: Error) => void) => next(),
  };
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { t as tr, loadCatalogs, hasMessage, toLocale, formatNumber, LOCALES } from '../../../src/i18n/index.ts';
import { toVnIso, formatVn } from '../../../src/time.ts';

const localesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../locales');

/** A short account of missing keys: how many, and the first few. */
function summary(keys: string[]): string {
  return `${keys.length} keys: ${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', …' : ''}`;
}

test('every Vietnamese key exists in English and every English key in Vietnamese', (t) => {
  const { vi, en } = loadCatalogs();
  const missingInEn = Object.keys(vi).filter((k) => !(k in en));
  const missingInVi = Object.keys(en).filter((k) => !(k in vi));
  t.is(missingInEn.length, 0, `missing in locales/en: ${summary(missingInEn)}`);
  t.is(missingInVi.length, 0, `missing in locales/vi: ${summary(missingInVi)}`);
});

test('both languages have the same catalog files', (t) => {
  const files = (lang: string) => fs.readdirSync(path.join(localesDir, lang)).filter((f) => f.endsWith('.json')).sort();
  t.deepEqual(files('en'), files('vi'));
});

test('a message uses the same placeholders in both languages', (t) => {
  const { vi, en } = loadCatalogs();
  const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  const differing = Object.keys(vi).filter((k) => k in en && names(vi[k]).join() !== names(en[k]).join());
  t.deepEqual(differing, []);
});

test('no message is empty', (t) => {
  const catalogs = loadCatalogs();
  for (const locale of LOCALES) {
    const empty = Object.entries(catalogs[locale]).filter(([, v]) => !v.trim()).map(([k]) => k);
    t.deepEqual(empty, [], `${locale}: ${empty.join(', ')}`);
  }
});

test('messages are looked up in the requested language', (t) => {
  t.is(tr('vi', 'auth.login'), 'Đăng nhập');
  t.is(tr('en', 'auth.login'), 'Log in');
  t.true(hasMessage('vi', 'errors.forbidden'));
  t.false(hasMessage('vi', 'errors.noSuchKey'));
});

test('parameters are filled into a message', (t) => {
  t.is(tr('vi', 'auth.locked', { minutes: 15 }), 'Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút.');
  t.is(tr('en', 'auth.userExists', { username: 'canbo' }), 'Username "canbo" is taken.');
});

test('a placeholder without a value is left visible', (t) => {
  t.true(tr('en', 'auth.locked').includes('{minutes}'));
});

test('an unknown key is shown as the key itself', (t) => {
  t.is(tr('en', 'nothing.here'), 'nothing.here');
});

test('an unsupported language falls back to Vietnamese', (t) => {
  t.is(toLocale('fr'), 'vi');
  t.is(toLocale(undefined), 'vi');
  t.is(toLocale('en'), 'en');
});

test('numbers use Vietnamese separators in Vietnamese and English ones in English', (t) => {
  t.is(formatNumber(1234567.5, 'vi', 1), '1.234.567,5');
  t.is(formatNumber(1234567.5, 'en', 1), '1,234,567.5');
  t.is(formatNumber(null), '');
});

test('toVnIso gives ISO 8601 in Vietnam time with +07:00', (t) => {
  t.is(toVnIso(new Date('2026-11-23T03:22:15.123Z')), '2026-11-23T10:22:15+07:00');
  t.is(toVnIso('2025-12-31T20:00:00Z'), '2026-01-01T03:00:00+07:00', 'the date rolls over at midnight Vietnam time');
  t.is(toVnIso(null), null);
  t.is(toVnIso('not a date'), null);
});

test('an instant given as +07:00 comes back unchanged', (t) => {
  t.is(toVnIso('2026-07-01T08:00:00+07:00'), '2026-07-01T08:00:00+07:00');
});

test('pages show times as day/month/year hour:minute in Vietnam time', (t) => {
  t.is(formatVn(new Date('2026-11-23T03:22:15Z')), '23/11/2026 10:22');
  t.is(formatVn(null), '');
});

test('a catalog file NAMESPACE-PART.json adds its keys to NAMESPACE', (t) => {
  t.is(tr('vi', 'reporting.period.label.year', { year: 2026 }), 'Năm 2026');
  t.false(hasMessage('vi', 'reporting-periods.period.label.year'));
});

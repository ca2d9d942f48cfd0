import test from 'ava';
import fs from 'node:fs';

function keys(o: Record<string, unknown>, p = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v as Record<string, unknown>, `${p}${k}.`) : [`${p}${k}`]));
}

test('the English forms catalog has exactly the keys of the Vietnamese one', (t) => {
  const vi = JSON.parse(fs.readFileSync('locales/vi/forms.json', 'utf8'));
  const en = JSON.parse(fs.readFileSync('locales/en/forms.json', 'utf8'));
  t.deepEqual(keys(en).sort(), keys(vi).sort());
});

test('every message code the forms code uses exists in the catalog', (t) => {
  const vi = new Set(keys(JSON.parse(fs.readFileSync('locales/vi/forms.json', 'utf8'))).map((k) => `forms.${k}`));
  const src = fs.readdirSync('src/forms').filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(`src/forms/${f}`, 'utf8')).join('\n');
  const used = [...new Set([...src.matchAll(/'(forms\.(?:check|value|rule|definition|xlsx|entry)\.[A-Za-z]+)'/g)].map((m) => m[1]))];
  t.true(used.length > 20);
  t.deepEqual(used.filter((k) => !vi.has(k)), []);
});

test('period keys read as Vietnamese period names', async (t) => {
  const { periodText } = await import('../../../src/forms/presenters.ts');
  t.is(periodText('2025-02', 'vi'), 'Tháng 02 năm 2025');
  t.is(periodText('2025-Q1', 'vi'), 'Quý 1 năm 2025');
  t.is(periodText('2025-H2', 'vi'), '6 tháng cuối năm 2025');
  t.is(periodText('2025', 'vi'), 'Năm 2025');
  t.is(periodText('dot-xuat-1', 'vi'), 'dot-xuat-1');
});

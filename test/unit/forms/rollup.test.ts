import test from 'ava';
import { compile } from '../../../src/forms/engine.ts';
import { rollupValues } from '../../../src/forms/rollup.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';

const def: FormDefinition = {
  key: 'r', code: 'R', name: 'R', periodKind: 'year',
  sections: [{ id: 's', title: 'S', tables: [{ id: 't', columns: [{ id: 'n', label: 'Năm', type: 'number' }], rows: [
    { id: 'danSo', name: 'Dân số', rollup: { kind: 'sum' } },
    { id: 'ngheo', name: 'Tỷ lệ hộ nghèo', rollup: { kind: 'weighted', by: 'danSo' } },
    { id: 'iip', name: 'Chỉ số IIP', rollup: { kind: 'none' } },
    { id: 'caoNhat', name: 'Cao nhất', rollup: { kind: 'max' } },
    { id: 'tb', name: 'Trung bình', rollup: { kind: 'average' } },
    { id: 'dat', name: 'Đạt', rollup: { kind: 'sum' } },
    { id: 'tyLe', name: 'Tỷ lệ đạt', rollup: { kind: 'formula', formula: 'dat / danSo * 100' } },
  ] }] }],
};

test('indicators roll up by sum, weighted average, max, average, formula, or not at all', (t) => {
  const plan = compile(def);
  t.deepEqual(plan.problems, []);
  const v = rollupValues(plan, [
    { danSo: { n: 100 }, ngheo: { n: 10 }, iip: { n: 105 }, caoNhat: { n: 3 }, tb: { n: 2 }, dat: { n: 50 }, tyLe: { n: 50 } },
    { danSo: { n: 300 }, ngheo: { n: 2 }, iip: { n: 110 }, caoNhat: { n: 7 }, tb: { n: 4 }, dat: { n: 30 }, tyLe: { n: 10 } },
  ]);
  t.deepEqual(v, { danSo: { n: 400 }, ngheo: { n: 4 }, iip: { n: null }, caoNhat: { n: 7 }, tb: { n: 3 }, dat: { n: 80 }, tyLe: { n: 20 } });
});

test('a roll-up formula that names an unknown indicator is a definition problem', (t) => {
  const bad: FormDefinition = JSON.parse(JSON.stringify(def));
  bad.sections[0].tables![0].rows[6].rollup!.formula = 'dat / khongCo * 100';
  t.deepEqual(compile(bad).problems.map((p) => [p.code, p.params.name]), [['forms.check.unknownReference', 'khongCo']]);
});

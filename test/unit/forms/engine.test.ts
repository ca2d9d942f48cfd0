import test from 'ava';
import { compile, computeValues, evaluateForm, runRules } from '../../../src/forms/engine.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

function withTable(rows: FormDefinition['sections'][0]['tables'], rules: FormDefinition['rules'] = []): FormDefinition {
  return { key: 'x', code: 'X', name: 'X', periodKind: 'month', sections: [{ id: 's', title: 'S', tables: rows }], rules };
}

const cols = [{ id: 'a', label: 'Cột A', type: 'number' as const }, { id: 'b', label: 'Cột B', type: 'number' as const }];

test('the small form compiles without problems', (t) => {
  const plan = compile(smallForm());
  t.deepEqual(plan.problems, []);
  t.is(plan.inputs.length, 2 + 2 * 2);
});

test('a parent row totals its children and a column formula computes the comparison', (t) => {
  const plan = compile(smallForm());
  const v = computeValues(plan, { r02: { th: 10.5, kh: 40 }, r03: { th: 20, kh: 60 } });
  t.deepEqual(v.r01, { th: 30.5, kh: 100, ss: 30.5 });
  t.is((v.r02 as Record<string, number>).ss, 26.25);
  t.is((v.r03 as Record<string, number>).ss, 33.33);
});

test('formulas are evaluated in dependency order whatever the order they are written in', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [
    { id: 'x3', name: 'Ba', cells: { a: 'x2.a * 2' } },
    { id: 'x2', name: 'Hai', cells: { a: 'x1.a + 1' } },
    { id: 'x1', name: 'Một' },
  ] }]);
  const plan = compile(def);
  t.deepEqual(plan.problems, []);
  t.deepEqual(plan.order.map((c) => c.key), ['x2.a', 'x3.a']);
  const v = computeValues(plan, { x1: { a: 4 } });
  t.is((v.x3 as Record<string, number>).a, 10);
});

test('a row formula names other rows of the same column', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [
    { id: 'tong', name: 'Tổng' },
    { id: 'dung', name: 'Đúng hạn' },
    { id: 'tyLe', name: 'Tỷ lệ đúng hạn', formula: 'if tong = 0 then null else dung / tong * 100' },
  ] }]);
  const plan = compile(def);
  t.deepEqual(plan.problems, []);
  const v = computeValues(plan, { tong: { a: 200, b: 0 }, dung: { a: 150, b: 0 } });
  t.deepEqual(v.tyLe, { a: 75, b: null });
});

test('a formula cycle is reported with the names of the cells on it', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [
    { id: 'p', code: '01', name: 'Chỉ tiêu P', cells: { a: 'q.a + 1' } },
    { id: 'q', code: '02', name: 'Chỉ tiêu Q', cells: { a: 'p.a * 2' } },
  ] }]);
  const plan = compile(def);
  const cycle = plan.problems.filter((p) => p.code === 'forms.check.cycle');
  t.is(cycle.length, 1);
  t.regex(String(cycle[0].params.cycle), /01 Chỉ tiêu P \/ Cột A → 02 Chỉ tiêu Q \/ Cột A → 01 Chỉ tiêu P \/ Cột A|02 Chỉ tiêu Q \/ Cột A → 01 Chỉ tiêu P \/ Cột A → 02 Chỉ tiêu Q \/ Cột A/);
});

test('a reference to a missing indicator or column is reported with the cell and the expression', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [
    { id: 'p', code: '01', name: 'P', cells: { a: 'khongCo.a + p.b' } },
    { id: 'q', code: '02', name: 'Q', cells: { a: 'p.zz' } },
  ] }]);
  const plan = compile(def);
  const refs = plan.problems.filter((p) => p.code === 'forms.check.unknownReference');
  t.deepEqual(refs.map((r) => [r.target, r.params.name, r.expression]), [['p.a', 'khongCo.a', 'khongCo.a + p.b'], ['q.a', 'p.zz', 'p.zz']]);
});

test('an unknown function, a syntax error and a type mismatch are reported', (t) => {
  const def: FormDefinition = {
    key: 'x', code: 'X', name: 'X', periodKind: 'month',
    sections: [{ id: 's', title: 'S', fields: [
      { id: 'ten', label: 'Tên', type: 'text' },
      { id: 'f1', label: 'F1', type: 'number', formula: 'tong(1, 2)' },
      { id: 'f2', label: 'F2', type: 'number', formula: '1 + ' },
      { id: 'f3', label: 'F3', type: 'number', formula: 'ten + 1' },
      { id: 'f4', label: 'F4', type: 'number', formula: 'string length(ten)' },
    ] }],
  };
  const codes = compile(def).problems.map((p) => `${p.target}:${p.code}`);
  t.deepEqual(codes.sort(), ['f1:forms.check.unknownFunction', 'f2:forms.check.syntax', 'f3:forms.check.typeMismatch']);
});

test('a rule that does not return a boolean is a definition problem', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [{ id: 'p', name: 'P' }] }], [{ id: 'r', expression: 'p.a + 1', message: 'M', severity: 'error' }]);
  t.deepEqual(compile(def).problems.map((p) => p.code), ['forms.check.ruleNotBoolean']);
});

test('a duplicate id and a column that shadows a row are reported', (t) => {
  const def = withTable([{ id: 't', columns: [{ id: 'p', label: 'P col', type: 'number' }], rows: [{ id: 'p', name: 'P' }, { id: 'p', name: 'P2' }] }]);
  const codes = compile(def).problems.map((p) => p.code);
  t.is(codes.filter((c) => c === 'forms.check.duplicateId').length, 2);
});

test('skipIfAnyMissing skips a rule when one operand is empty', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [{ id: 'p', name: 'P' }] }], [{ id: 'r', expression: 'p.a >= p.b', message: 'A phải ≥ B', severity: 'error', missing: 'skipIfAnyMissing' }]);
  const plan = compile(def);
  t.deepEqual(runRules(plan, computeValues(plan, { p: { a: null, b: 5 } })), []);
  t.is(runRules(plan, computeValues(plan, { p: { a: 1, b: 5 } })).length, 1);
});

test('skipIfAllMissing runs with missing values as zero unless every operand is empty', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [{ id: 'p', name: 'P' }] }], [{ id: 'r', expression: 'p.a >= p.b', message: 'A phải ≥ B', severity: 'error', missing: 'skipIfAllMissing' }]);
  const plan = compile(def);
  t.deepEqual(runRules(plan, computeValues(plan, {})), []);
  const issues = runRules(plan, computeValues(plan, { p: { b: 5 } }));
  t.is(issues.length, 1);
  t.is(issues[0].params.message, 'A phải ≥ B');
});

test('the zero strategy treats every missing operand as zero', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [{ id: 'p', name: 'P' }] }], [{ id: 'r', expression: 'p.a + p.b = 0', message: 'Phải trống', severity: 'warning', missing: 'zero' }]);
  const plan = compile(def);
  t.deepEqual(runRules(plan, computeValues(plan, {})), []);
  const issues = runRules(plan, computeValues(plan, { p: { a: 3 } }));
  t.is(issues.length, 1);
  t.is(issues[0].severity, 'warning');
});

test('rules read the previous period through prev', (t) => {
  const def = withTable([{ id: 't', columns: cols, rows: [{ id: 'p', name: 'P' }] }], [{ id: 'r', expression: 'p.a >= prev.p.a', message: 'Không được giảm', severity: 'warning' }]);
  const plan = compile(def);
  t.deepEqual(plan.problems, []);
  t.is(runRules(plan, computeValues(plan, { p: { a: 5 } }), { p: { a: 9 } }).length, 1);
  t.is(runRules(plan, computeValues(plan, { p: { a: 10 } }), { p: { a: 9 } }).length, 0);
  t.is(runRules(plan, computeValues(plan, { p: { a: 5 } }), null).length, 0);
});

test('a per-row rule reports the row it fails on and an error blocks the submission', (t) => {
  const plan = compile(smallForm());
  const ev = evaluateForm(plan, { nguoiLap: 'An', r02: { th: 50, kh: 40 }, r03: { th: 1, kh: 60 } });
  const warn = ev.issues.filter((i) => i.rule === 'thKhongVuot');
  t.deepEqual(warn.map((w) => w.params.row), ['02 Nông nghiệp']);
  t.false(ev.hasErrors);
  const bad = evaluateForm(plan, { r02: { th: 'abc', kh: -1 }, r03: { th: 1, kh: 1 } });
  t.true(bad.hasErrors);
  t.deepEqual(bad.issues.filter((i) => i.severity === 'error').map((i) => `${i.target}:${i.code}`).sort(), ['nguoiLap:forms.value.required', 'r01.kh:forms.rule.failed', 'r02.th:forms.value.notNumber']);
});

test('a rule comparing text with a number is a type mismatch', (t) => {
  const def = smallForm();
  def.rules = [{ id: 'sai', expression: 'nguoiLap > 3', message: 'Sai kiểu', severity: 'error' }];
  t.deepEqual(compile(def).problems.map((p) => `${p.rule}:${p.code}`), ['sai:forms.check.typeMismatch']);
});

test('text used as a condition or in arithmetic is a type mismatch, while comparing with null is fine', (t) => {
  const def = smallForm();
  def.sections[0].fields!.push(
    { id: 'g1', label: 'G1', type: 'number', formula: 'if nguoiLap then 1 else 0' },
    { id: 'g2', label: 'G2', type: 'number', formula: 'if nguoiLap = null then 0 else soDonVi * 2' },
  );
  t.deepEqual(compile(def).problems.map((p) => `${p.target}:${p.code}`), ['g1:forms.check.typeMismatch']);
});

// The form builder's checks (shared with the browser) parse expressions and never evaluate what a
// designer typed just to check it.
import test from 'ava';
import { analyse, isBuiltin } from '../../../src/forms/feel.ts';
import { compile } from '../../../src/forms/engine.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';

const form = (formula: string): FormDefinition => ({
  key: 'bieu-kiem', code: 'B', name: 'Biểu kiểm tra', periodKind: 'adhoc',
  sections: [{ id: 's1', title: 'S', fields: [{ id: 'a', label: 'A', type: 'integer' }, { id: 'b', label: 'B', type: 'integer', formula }] }],
});

test('analysing an expression that would exhaust the heap lists its names at once, without evaluating it', (t) => {
  const started = performance.now();
  const a = analyse('count(for i in 1..60000000 return i) > a');
  t.is(a.syntaxError, undefined);
  t.deepEqual(a.refs.map((r) => r.path), [['count'], ['a']]);
  t.deepEqual(analyse('count(for i in 1..60000000 return i) +').syntaxError, { message: 'Incomplete <ArithmeticExpression>', from: 38, to: 38 });
  t.log(`took ${(performance.now() - started).toFixed(0)} ms`);
});

test('looking up a built-in runs only bare names', (t) => {
  const started = performance.now();
  t.true(isBuiltin('sum'));
  t.true(isBuiltin('string length'));
  t.false(isBuiltin('khongCo'));
  t.false(isBuiltin('count(for i in 1..60000000 return i)'));
  t.false(isBuiltin('sum(for i in 1..60000000 return i)'));
  t.log(`took ${(performance.now() - started).toFixed(0)} ms`);
});

test('the builder refuses a formula that iterates over a literal range beyond the limit, before evaluating anything', (t) => {
  const started = performance.now();
  const plan = compile(form('count(for i in 1..60000000 return i) + a'));
  t.deepEqual(plan.problems.map((p) => [p.code, p.target, p.params.size]), [['forms.check.rangeTooLarge', 'b', 60000000]]);
  t.log(`took ${(performance.now() - started).toFixed(0)} ms`);
});

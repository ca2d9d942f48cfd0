// The shared FEEL guard: syntax checks that only parse, the shape that decides where an expression
// runs, and evaluation under a time and memory budget.
import test from 'ava';
import { evaluate, SyntaxError as FeelSyntaxError } from 'feelin';
import { evaluateBounded, FeelBudgetError, feelWorkerReady, oversizedRange, shapeOf, stopFeelWorker, syntaxErrorOf } from '../../../src/feel/index.ts';

const budget = { timeoutMs: 50, maxMemoryMb: 64 };
/** For expressions that must succeed even when other work shares the machine's two cores. */
const roomy = { timeoutMs: 1000, maxMemoryMb: 64 };
test.before(() => feelWorkerReady());
test.after.always(() => stopFeelWorker());

test('a syntax check reports what evaluation would, with the same position, without evaluating', (t) => {
  for (const text of ['a +', '(1', 'x in 1..10', 'if a then b', 'sum(1, 2', '{a: 1']) {
    let expected: { message: string; from: number; to: number } | null = null;
    try {
      evaluate(text, {});
    } catch (err) {
      if (err instanceof FeelSyntaxError) {
        const pos = (err as unknown as { position: { from: number; to: number } }).position;
        expected = { message: err.message, from: pos.from, to: pos.to };
      }
    }
    t.truthy(expected, text);
    t.deepEqual(syntaxErrorOf(text), expected, text);
  }
  t.is(syntaxErrorOf('amount > 100 and region = "79"'), null);
});

test('checking the syntax of an expression that would exhaust the heap returns at once', (t) => {
  const started = performance.now();
  t.is(syntaxErrorOf('count(for i in 1..60000000 return i) > 0'), null);
  t.deepEqual(syntaxErrorOf('count(for i in 1..60000000 return i) >'), { message: 'Incomplete <Comparison>', from: 38, to: 38 });
  t.log(`took ${(performance.now() - started).toFixed(0)} ms`);
});

test('expressions bounded by their input are told apart from those that are not', (t) => {
  const bounded = ['amount > 100', 'a.b.c + 1', 'sum(items)', 'for x in items return x * 2', 'for x in [a, b, c] return x', 'some x in items satisfies x > 1', 'items[item > 0]',
    'if a then b else c', 'x in [1..1000000000]', 'string length(name) > 3', 'date(d) < today()'];
  const unbounded = ['for i in 1..10 return i', 'for i in [1..10] return i', 'some x in a, y in b satisfies x = y', 'for x in l return for y in l return x',
    'for x in l return l[item > x]', 'function(a) a', '{f: function(n) f(n)}.f(1)', 'matches(text, pattern)', 'replace(a, "(a+)+$", "")',
    'for x in sort(l, function(a, b) a < b) return x', 'count(for i in 1..n return i)'];
  for (const e of bounded) t.true(shapeOf(e).isBounded, e);
  for (const e of unbounded) t.false(shapeOf(e).isBounded, e);
});

test('a number-literal range over the limit is found with its size; smaller ones and tests are not', (t) => {
  t.like(oversizedRange('count(for i in 1..60000000 return i) > 0', 100000), { size: 60000000 });
  t.like(oversizedRange('every x in [-5..200000] satisfies x > 0', 100000), { size: 200006 });
  t.is(oversizedRange('count(for i in 1..100 return i)', 100000), null);
  t.is(oversizedRange('x in [1..60000000]', 100000), null);
});

test('bounded and unbounded expressions give what feelin gives, dates included', (t) => {
  const ctx = { amount: 500, items: [1, 2, 3], d: '2024-03-01' };
  for (const e of ['amount > 100', 'sum(for i in 1..4 return i)', 'for x in items return x * 2', 'some x in items, y in items satisfies x + y = 6',
    'string(date(d) + duration("P1D"))', 'for x in [date(d)] return x + duration("P1D")', '{a: 1, b: [1..3]}.a', 'matches("abc", "b")']) {
    const expected = evaluate(e, ctx).value;
    const got = evaluateBounded(e, ctx, roomy).value;
    t.is(JSON.stringify(got), JSON.stringify(expected), e);
  }
  const [day] = evaluateBounded('for x in [date(d)] return x + duration("P1D")', ctx, roomy).value as unknown[];
  t.is(String(day), '2024-03-02');
});

test('an expression that would exhaust the heap is stopped at its budget, and the next evaluation works', (t) => {
  const started = performance.now();
  const err = t.throws(() => evaluateBounded('count(for i in 1..60000000 return i) > 0', {}, budget));
  const took = performance.now() - started;
  t.true(err instanceof FeelBudgetError);
  t.is((err as FeelBudgetError).expression, 'count(for i in 1..60000000 return i) > 0');
  t.true(err!.message.includes('count(for i in 1..60000000 return i) > 0'));
  t.log(`stopped after ${took.toFixed(0)} ms`);
  // A booted spare takes over at once.
  t.is(evaluateBounded('count(for i in 1..n return i)', { n: 5 }, roomy).value, 5);
});

test('a stall of ten million steps is cut at the budget instead of blocking for seconds', async (t) => {
  await feelWorkerReady();
  const started = performance.now();
  t.throws(() => evaluateBounded('count(for i in 1..10000000 return i)', {}, budget), { instanceOf: FeelBudgetError });
  t.log(`took ${(performance.now() - started).toFixed(0)} ms`);
});

test('runtime faults of an expression on the worker come back as errors, not as budget errors', (t) => {
  const err = t.throws(() => evaluateBounded('for d in [date("2024-01-01")..date("2024-01-05")] return d', {}, roomy));
  t.is(err!.message, 'unsupported range operation: map');
  t.false(err instanceof FeelBudgetError);
});

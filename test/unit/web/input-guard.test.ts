// The edge check on its own: what it refuses and what it lets through.
import test from 'ava';
import { findInputProblem, isForbiddenKey, DEFAULT_INPUT_LIMITS } from '../../../src/web/input-guard.ts';

test('prototype keys are found as whole keys and as segments of dotted or bracketed keys', (t) => {
  for (const key of ['__proto__', 'constructor', 'prototype', 'a.__proto__.b', '__proto__.public', 'constructor.prototype.x', 'a[__proto__][b]', 'x[constructor]']) t.true(isForbiddenKey(key), key);
  for (const key of ['proto', 'constructors', 'r01.th', 'a[b]', 'prototype_name', 'chiTieu']) t.false(isForbiddenKey(key), key);
});

test('a JSON __proto__ key parsed into an own property is refused with its path', (t) => {
  const body = JSON.parse('{"values":{"__proto__":{"public":true}}}');
  t.deepEqual(findInputProblem(body, 'payload'), { type: 'forbiddenKey', field: 'payload.values.__proto__' });
});

test('text may keep tab and line breaks, but no other control character; one-line parts keep none', (t) => {
  t.is(findInputProblem({ comment: 'dòng 1\r\n\tdòng 2' }, 'payload'), null);
  t.is(findInputProblem({ comment: 'a\u0000b' }, 'payload')?.type, 'controlChar');
  t.is(findInputProblem({ comment: 'a\u007Fb' }, 'payload')?.type, 'controlChar');
  t.is(findInputProblem({ q: 'a\nb' }, 'query', DEFAULT_INPUT_LIMITS, true)?.type, 'controlChar');
  t.is(findInputProblem({ id: 'Đăng ký khai sinh' }, 'params', DEFAULT_INPUT_LIMITS, true), null);
});

test('deep nesting is refused without recursion, even 100,000 levels deep', (t) => {
  const deep = JSON.parse(`${'['.repeat(100000)}${']'.repeat(100000)}`);
  t.deepEqual(findInputProblem({ v: deep }, 'payload'), { type: 'tooDeep', field: `payload.v${'.0'.repeat(31)}`, limit: 32 });
  t.is(findInputProblem({ v: [[[[1]]]] }, 'payload'), null);
});

test('long text and too many entries are refused with their limits', (t) => {
  t.deepEqual(findInputProblem({ name: 'x'.repeat(100_001) }, 'payload'), { type: 'textTooLong', field: 'payload.name', limit: 100_000 });
  t.is(findInputProblem({ xml: 'x'.repeat(200_000) }, 'payload', { ...DEFAULT_INPUT_LIMITS, maxText: 5_000_000 }), null);
  t.is(findInputProblem({ list: new Array(60_000).fill(1) }, 'payload')?.type, 'tooMany');
});

test('file contents are not text and are left to their route', (t) => {
  t.is(findInputProblem({ file: Buffer.from([0, 1, 2, 0]) }, 'payload'), null);
  t.is(findInputProblem(Buffer.from('a\u0000b'), 'payload'), null);
});

// The quick address check answers only for addresses the full check accepts too.
import test from 'ava';
import Joi from 'joi';
import { isDeliverableAddress, isPlainEmail } from '../../../src/notify/channels.ts';

const full = Joi.string().email({ tlds: false }).max(254);

test('every address the quick check accepts is accepted by the full check', (t) => {
  const alphabet = 'aZ09._+-@..--@x';
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const hosts = ['a.b', 'x-1.vn', '1.a', 'a.1', 'a-.b', 'gov.vn', 'a..b', '-a.b'];
  let quick = 0;
  for (let i = 0; i < 20000; i++) {
    let s = '';
    const len = 3 + Math.floor(random() * 20);
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(random() * alphabet.length)];
    if (i % 2) s = `${s.replace(/@/g, 'a')}@${hosts[i % hosts.length]}`;
    if (!isPlainEmail(s)) continue;
    quick++;
    if (full.validate(s).error) t.fail(`the quick check accepted ${s}, which the full check refuses`);
  }
  t.true(quick > 1000, 'the generator reaches the quick path');
});

test('addresses at the length limits and unusual ones get the full check\'s answer', (t) => {
  for (const s of [`${'a'.repeat(64)}@x.vn`, `${'a'.repeat(65)}@x.vn`, `a@${'b'.repeat(63)}.vn`, `a@${'b'.repeat(64)}.vn`, 'nguyễn@so-tc.gov.vn', '"a b"@x.vn', 'a@b', 'a@1.2', 'not an address', 'can.bo@so-tc.gov.vn']) {
    t.is(isDeliverableAddress('email', s), !full.validate(s).error, s);
  }
});

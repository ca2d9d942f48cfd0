// Which e-mail addresses the outbox tries at all: the quick check for plain addresses must never accept
// one that the full check (Joi's e-mail rule) refuses, or a malformed address would reach the SMTP server.
import test from 'ava';
import Joi from 'joi';
import { isDeliverableAddress, isEmailAddress } from '../../../src/notify/channels.ts';

const full = Joi.string().email({ tlds: false }).max(254);
const fullSays = (s: string) => !full.validate(s).error;

const samples = [
  'don.vi.1@govflow.test', 'so.tai.chinh@hanoi.gov.vn', 'a@b.co', 'first+tag@sub-domain.example.vn', 'x_y-z@a1.b2.vn',
  'UPPER@EXAMPLE.VN', `${'a'.repeat(64)}@gov.vn`, `${'a'.repeat(65)}@gov.vn`, `a@${'b'.repeat(63)}.vn`, `a@${'b'.repeat(64)}.vn`,
  `${'a'.repeat(60)}@${Array.from({ length: 4 }, () => 'b'.repeat(60)).join('.')}.vn`,
  'a@b', 'a@b.1', 'a@-b.vn', 'a@b-.vn', 'a@b..vn', 'a..b@gov.vn', '.a@gov.vn', 'a.@gov.vn', '@gov.vn', 'a@', 'a@@gov.vn',
  'a b@gov.vn', 'a@gov.vn ', ' a@gov.vn', 'a@gov.v-n', 'a@gov.vn-', 'a@xn--bcher-kva.ch', 'a@xn--zz.vn', 'nguyễn@gov.vn',
  'a@bộ-tài-chính.vn', 'a@gov.vn.', 'a@[127.0.0.1]', '"a b"@gov.vn', 'a!#$%&*@gov.vn', 'a@1.2.3.4', 'a@gov.123', 'a@gov.v1',
  'a@gov_x.vn', 'a@gov.vn\n', '',
];

test('the quick check agrees with the full e-mail rule on plain, edge and malformed addresses', (t) => {
  for (const s of samples) t.is(isEmailAddress(s), fullSays(s), s);
});

test('the quick check accepts nothing the full rule refuses, over many random addresses', (t) => {
  // A small deterministic generator over the characters that matter at the edges of the rule.
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = 'ab0_-+.@xn-Zộ ';
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    const s = Array.from({ length: 3 + rnd(20) }, () => alphabet[rnd(alphabet.length)]).join('');
    const quick = isEmailAddress(s);
    if (quick) accepted++;
    if (quick !== fullSays(s)) t.fail(`"${s}": quick ${quick}, full ${fullSays(s)}`);
  }
  t.true(accepted > 0, 'some random addresses are valid, so the comparison means something');
});

test('an SMS number and an e-mail address are each checked by their own channel', (t) => {
  t.true(isDeliverableAddress('email', 'don.vi.1@govflow.test'));
  t.false(isDeliverableAddress('email', 'not-an-address'));
  t.true(isDeliverableAddress('sms', '+84912345678'));
  t.false(isDeliverableAddress('sms', 'don.vi.1@govflow.test'));
});

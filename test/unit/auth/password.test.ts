import test from 'ava';
import { hashPassword, verifyPassword, checkPasswordStrength } from '../../../src/auth/password.ts';

test('a hash is a self-describing scrypt string with salt and key in base64url', async (t) => {
  const hash = await hashPassword('MậtKhẩu2025');
  const parts = hash.split('$');
  t.is(parts.length, 6);
  const [kind, n, r, p, salt, key] = parts;
  t.is(kind, 'scrypt');
  t.true(Number(n) >= 16384, 'the cost is at least N=2^14');
  t.is(Number(r), 8);
  t.is(Number(p), 1);
  t.regex(salt, /^[A-Za-z0-9_-]{22}$/, '16 random bytes of salt');
  t.regex(key, /^[A-Za-z0-9_-]{43}$/, '32 bytes of derived key');
  t.false(hash.includes('MậtKhẩu2025'));
});

test('the right password verifies and a wrong one does not', async (t) => {
  const hash = await hashPassword('CorrectHorse42');
  t.true(await verifyPassword('CorrectHorse42', hash));
  t.false(await verifyPassword('CorrectHorse43', hash));
  t.false(await verifyPassword('correcthorse42', hash));
  t.false(await verifyPassword('', hash));
});

test('the same password hashes differently each time because of the salt', async (t) => {
  const a = await hashPassword('SamePassword1');
  const b = await hashPassword('SamePassword1');
  t.not(a, b);
  t.not(a.split('$')[4], b.split('$')[4]);
  t.true(await verifyPassword('SamePassword1', a));
  t.true(await verifyPassword('SamePassword1', b));
});

test('a Vietnamese password verifies whether typed composed or decomposed', async (t) => {
  const composed = 'Hoàng Việt 2025'.normalize('NFC');
  const hash = await hashPassword(composed);
  t.true(await verifyPassword(composed.normalize('NFD'), hash));
});

test('a stored value that is not an scrypt hash never verifies', async (t) => {
  t.false(await verifyPassword('anything1', 'plain-text-password'));
  t.false(await verifyPassword('anything1', 'bcrypt$10$abc'));
  t.false(await verifyPassword('anything1', ''));
});

test('passwords shorter than 10 characters are too weak', (t) => {
  t.is(checkPasswordStrength('Abc12345'), 'auth.passwordRules.tooShort');
  t.is(checkPasswordStrength(''), 'auth.passwordRules.tooShort');
});

test('passwords need both letters and digits', (t) => {
  t.is(checkPasswordStrength('abcdefghijkl'), 'auth.passwordRules.needsLetterAndDigit');
  t.is(checkPasswordStrength('12345678901'), 'auth.passwordRules.needsLetterAndDigit');
});

test('a long password with letters and digits is accepted, Vietnamese letters included', (t) => {
  t.is(checkPasswordStrength('GovflowDemo2025'), null);
  t.is(checkPasswordStrength('đường12345ư'), null);
});

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

test('passwords longer than 200 characters are refused', (t) => {
  t.is(checkPasswordStrength('a'.repeat(201)), 'auth.passwordRules.tooLong');
  t.is(checkPasswordStrength('câu dài '.repeat(25)), null, 'exactly 200 characters pass');
});

test('length counts characters, not bytes: ten Vietnamese letters are enough', (t) => {
  t.is(checkPasswordStrength('đường ư ơ ê'), null);
});

test('no composition rules: a long phrase of letters only is accepted', (t) => {
  t.is(checkPasswordStrength('chicochucai'), null);
  t.is(checkPasswordStrength('con mèo trèo cây cau'), null);
});

test('common passwords from the breach list are refused whatever their case', (t) => {
  for (const p of ['password123', 'Password123', 'qwertyuiop', '1234567890', '1q2w3e4r5t']) t.is(checkPasswordStrength(p), 'auth.passwordRules.common', p);
});

test('a password equal to the username or e-mail address is refused', (t) => {
  t.is(checkPasswordStrength('nguyen.van.an', { username: 'nguyen.van.an' }), 'auth.passwordRules.personal');
  t.is(checkPasswordStrength('Lan.Tran@Example.vn', { email: 'lan.tran@example.vn' }), 'auth.passwordRules.personal');
  t.is(checkPasswordStrength('lan.tran.2025', { email: 'lan.tran.2025@example.vn' }), 'auth.passwordRules.personal');
});

test('the demo password and the test password are accepted', (t) => {
  t.is(checkPasswordStrength('GovflowDemo2025'), null);
  t.is(checkPasswordStrength('TestPassword123'), null);
  t.is(checkPasswordStrength('đường12345ư'), null);
});

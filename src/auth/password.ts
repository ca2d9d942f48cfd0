// Password hashing with scrypt (a slow, memory-hard KDF) in a self-describing string.
import crypto from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';

// crypto.scrypt is looked up on each call (not bound once), so a test can count the checks a login makes.
function scrypt(pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(pw, salt, len, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Hashes a password: `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize('NFC'), salt, 32, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024,
  });
  return crypto.timingSafeEqual(actual, expected);
}

/** Shortest and longest password accepted (length, not composition, is what makes a password hard to guess). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

// The zxcvbn-ts list of about 49,000 passwords seen most often in breaches (MIT); only entries that
// pass the length rule can matter.
const COMMON = new Set(dictionary['passwords-common'].filter((p) => p.length >= PASSWORD_MIN));

function folded(s: string): string {
  return s.normalize('NFC').toLowerCase();
}

/**
 * Rules every new password must meet: a length between PASSWORD_MIN and PASSWORD_MAX characters, not a
 * commonly used password and not the person's own username or e-mail. Returns the catalog key of the
 * broken rule, or null.
 */
export function checkPasswordStrength(password: string, owner: { username?: string | null; email?: string | null } = {}): string | null {
  const length = [...password.normalize('NFC')].length;
  if (length < PASSWORD_MIN) return 'auth.passwordRules.tooShort';
  if (length > PASSWORD_MAX) return 'auth.passwordRules.tooLong';
  const p = folded(password);
  if (COMMON.has(p)) return 'auth.passwordRules.common';
  const own = [owner.username, owner.email, owner.email?.split('@')[0]].filter((v): v is string => !!v).map(folded);
  if (own.includes(p)) return 'auth.passwordRules.personal';
  return null;
}

// The link of a registration mail carries the registration itself, encrypted and authenticated with a
// key derived from the server secret: nothing is stored until the owner of the address confirms, so an
// unconfirmed registration leaves no account behind (and no account someone else chose the password of).
import crypto from 'node:crypto';
import { getConfig } from '../config.ts';

/** What a citizen submitted, with the password already hashed. */
export interface PendingRegistration {
  email: string;
  fullName: string;
  phone: string | null;
  locale: 'vi' | 'en';
  passwordHash: string;
}

/** How long a registration link stays valid. */
export const REGISTRATION_LINK_HOURS = 24;

function key(): Buffer {
  return crypto.createHmac('sha256', getConfig().secret).update('govflow registration link v1').digest();
}

/** Seals a pending registration into a URL-safe token. */
export function sealRegistration(r: PendingRegistration, now = Date.now()): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key(), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify({ ...r, exp: now + REGISTRATION_LINK_HOURS * 3600000 }), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** Opens a token; null when it was altered, made with another secret, or has expired. */
export function openRegistration(token: string, now = Date.now()): PendingRegistration | null {
  try {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 29) return null;
    const decipher = crypto.createDecipheriv('aes-256-gcm', key(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const data = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as PendingRegistration & { exp: number };
    if (typeof data.exp !== 'number' || data.exp < now) return null;
    return { email: data.email, fullName: data.fullName, phone: data.phone ?? null, locale: data.locale === 'en' ? 'en' : 'vi', passwordHash: data.passwordHash };
  } catch {
    return null;
  }
}

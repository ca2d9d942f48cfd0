// Rate limits and the failed-login lock, as rows every node updates with single conditional UPDATEs:
// the database decides who got the last attempt, so concurrent requests on any number of nodes never
// get past a limit together.
import crypto from 'node:crypto';
import { Op, literal, type Transaction } from 'sequelize';
import { AuthThrottle } from './models.ts';

/** What is counted: the scope names the form and the kind of value (IP, username, e-mail); at most 15 characters, as the key column holds 80. */
export type ThrottleScope = 'login-ip' | 'login-name' | 'login-lock' | 'register-ip' | 'register-mail' | 'fb-ip' | 'fb-contact' | 'fb-track'
  | 'track-ip' | 'track-code';

/** How long a lock row (its failures and its doubling) is remembered after its last change. */
const LOCK_MEMORY_MS = 24 * 3600 * 1000;
/** Expired rows are swept at most this often per node. */
const SWEEP_EVERY_MS = 60 * 1000;
let lastSweep = 0;

/** The row key of a counted value. */
export function throttleKey(scope: ThrottleScope, value: string): string {
  return `${scope}:${crypto.createHash('sha256').update(value.normalize('NFC')).digest('hex')}`;
}

/** Deletes the rows whose window and lock memory have passed; returns how many. */
export async function sweepThrottles(now = new Date()): Promise<number> {
  return AuthThrottle.destroy({ where: { expiresAt: { [Op.lt]: now } } });
}

async function ensureRow(bucket: string, now: Date, expiresAt: Date): Promise<void> {
  if (now.getTime() - lastSweep > SWEEP_EVERY_MS) {
    lastSweep = now.getTime();
    await sweepThrottles(now);
  }
  await AuthThrottle.bulkCreate([{ bucket, windowStart: now, hits: 0, failures: 0, lockCount: 0, lockedUntil: null, expiresAt }], { ignoreDuplicates: true });
}

/**
 * Counts one request against a fixed-window limit; returns null when it is allowed, or the seconds
 * until the window ends when the limit is spent.
 */
export async function hitRateLimit(scope: ThrottleScope, value: string, limit: number, windowSeconds: number): Promise<number | null> {
  const bucket = throttleKey(scope, value);
  const windowMs = windowSeconds * 1000;
  const now = new Date();
  const windowOpen = new Date(now.getTime() - windowMs);
  const expiresAt = new Date(now.getTime() + windowMs);
  // Most calls find their row, so they count first and make the row only when none was there (one write,
  // not two, on the hot path). Then two more rounds: a request that loses the race to restart an expired
  // window counts in the new one.
  for (let round = 0; round < 3; round++) {
    const [counted] = await AuthThrottle.update(
      { hits: literal('hits + 1') },
      { where: { bucket, windowStart: { [Op.gt]: windowOpen }, hits: { [Op.lt]: limit } } },
    );
    if (counted) return null;
    const [restarted] = await AuthThrottle.update(
      { hits: 1, windowStart: now, expiresAt },
      { where: { bucket, windowStart: { [Op.lte]: windowOpen } } },
    );
    if (restarted) return null;
    if (round === 0) await ensureRow(bucket, now, expiresAt);
  }
  const row = await AuthThrottle.findByPk(bucket);
  const ends = row ? row.windowStart.getTime() + windowMs : now.getTime() + windowMs;
  return Math.max(1, Math.ceil((ends - now.getTime()) / 1000));
}

/** The outcome of asking for one password check. */
export type Reservation = { ok: true } | { ok: false; until: Date };

/**
 * Reserves one password check for a submitted username before the (slow) check runs: at most
 * `maxFailures` checks are in flight or failed since the last success, and none while locked.
 */
export async function reserveLoginAttempt(name: string, maxFailures: number, lockMinutes: number): Promise<Reservation> {
  const bucket = throttleKey('login-lock', name);
  const now = new Date();
  await ensureRow(bucket, now, new Date(now.getTime() + LOCK_MEMORY_MS));
  const [reserved] = await AuthThrottle.update(
    { failures: literal('failures + 1'), expiresAt: new Date(now.getTime() + LOCK_MEMORY_MS) },
    { where: { bucket, failures: { [Op.lt]: maxFailures }, [Op.or]: [{ lockedUntil: null }, { lockedUntil: { [Op.lte]: now } }] } },
  );
  if (reserved) return { ok: true };
  const row = await AuthThrottle.findByPk(bucket);
  if (row?.lockedUntil && row.lockedUntil.getTime() > now.getTime()) return { ok: false, until: row.lockedUntil };
  // Every allowed check is taken by requests still running: answer with the lock they are about to set.
  return { ok: false, until: new Date(now.getTime() + lockDurationMs(lockMinutes, row?.lockCount ?? 0)) };
}

function lockDurationMs(lockMinutes: number, lockCount: number): number {
  return lockMinutes * 60000 * 2 ** Math.min(lockCount, 6);
}

/**
 * After a failed check: locks the username when its allowed checks are spent. Returns the lock's end
 * when this call set it (exactly one of the concurrent failures does), else null.
 */
export async function lockIfSpent(name: string, maxFailures: number, lockMinutes: number, transaction?: Transaction): Promise<Date | null> {
  const bucket = throttleKey('login-lock', name);
  const row = await AuthThrottle.findByPk(bucket, { transaction });
  if (!row || row.failures < maxFailures) return null;
  const now = Date.now();
  const until = new Date(now + lockDurationMs(lockMinutes, row.lockCount));
  const [locked] = await AuthThrottle.update(
    { failures: 0, lockCount: literal('lock_count + 1'), lockedUntil: until, expiresAt: new Date(until.getTime() + LOCK_MEMORY_MS) },
    { where: { bucket, failures: { [Op.gte]: maxFailures }, lockCount: row.lockCount }, transaction },
  );
  return locked ? until : null;
}

/** After a successful check: forgets the username's failures and lock history. */
export async function resetLogin(name: string, transaction?: Transaction): Promise<void> {
  await AuthThrottle.update({ failures: 0, lockCount: 0, lockedUntil: null }, { where: { bucket: throttleKey('login-lock', name) }, transaction });
}

/** Lifts the locks of some usernames (an admin re-enabling an account). */
export async function clearLoginLocks(names: string[], transaction?: Transaction): Promise<void> {
  await AuthThrottle.destroy({ where: { bucket: { [Op.in]: names.map((n) => throttleKey('login-lock', n)) } }, transaction });
}

/** Which of some usernames are locked now. */
export async function lockedNames(names: string[]): Promise<Set<string>> {
  const byKey = new Map(names.map((n) => [throttleKey('login-lock', n), n]));
  if (!byKey.size) return new Set();
  const rows = await AuthThrottle.findAll({ where: { bucket: { [Op.in]: [...byKey.keys()] }, lockedUntil: { [Op.gt]: new Date() } } });
  return new Set(rows.map((r) => byKey.get(r.bucket)!));
}

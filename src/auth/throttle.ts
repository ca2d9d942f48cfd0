// Rate limits and the failed-login lock, as rows every node updates with single conditional statements:
// the database decides who got the last attempt, so concurrent requests on any number of nodes never
// get past a limit together. The rate limits are raw SQL (one upsert for every counter of a request):
// they sit in front of public routes that must stay fast under load.
import crypto from 'node:crypto';
import { Op, literal, type Transaction } from 'sequelize';
import { AuthThrottle } from './models.ts';
import { dbTime, isTransient, placeholders, withTx } from '../engine/sql.ts';
import { isMysql } from '../store/index.ts';

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
  await sweepIfDue(now);
  await AuthThrottle.bulkCreate([{ bucket, windowStart: now, hits: 0, failures: 0, lockCount: 0, lockedUntil: null, expiresAt }], { ignoreDuplicates: true });
}

async function sweepIfDue(now: Date): Promise<void> {
  if (now.getTime() - lastSweep <= SWEEP_EVERY_MS) return;
  lastSweep = now.getTime();
  await sweepThrottles(now);
}

/** One fixed-window limit to count a request against. */
export interface RateCheck {
  scope: ThrottleScope;
  value: string;
  limit: number;
}

/** The counters of a window after a batch was counted, as the counting statement left them. */
interface CountedRow {
  bucket: string;
  hits: number;
  window_start: Date | string;
}

// Every request is counted (even past its limit; the count stops below the column's range). A batch of
// requests adds, in one statement, its number of requests to each counter and reads the totals back in the
// same transaction; the requests of the batch then hold the counts just below the total, one each, in the
// order they arrived. The database serialises the batches of every node on a row, so each request has its
// own count and of N concurrent requests exactly `limit` hold a count within it. A window that has passed
// restarts at the batch's own requests.
// MySQL/MariaDB apply the assignments left to right, so window_start, which the others test, comes last.
const UPSERT_SQLITE = `INSERT INTO auth_throttles (bucket, window_start, hits, failures, lock_count, locked_until, expires_at) VALUES %ROWS%
ON CONFLICT(bucket) DO UPDATE SET
  hits = CASE WHEN auth_throttles.window_start <= ? THEN excluded.hits ELSE MIN(auth_throttles.hits + excluded.hits, 2000000000) END,
  expires_at = CASE WHEN auth_throttles.window_start <= ? THEN excluded.expires_at ELSE auth_throttles.expires_at END,
  window_start = CASE WHEN auth_throttles.window_start <= ? THEN excluded.window_start ELSE auth_throttles.window_start END
RETURNING bucket, hits, window_start`;
const UPSERT_MYSQL = `INSERT INTO auth_throttles (bucket, window_start, hits, failures, lock_count, locked_until, expires_at) VALUES %ROWS%
ON DUPLICATE KEY UPDATE
  hits = IF(window_start <= ?, VALUES(hits), LEAST(hits + VALUES(hits), 2000000000)),
  expires_at = IF(window_start <= ?, VALUES(expires_at), expires_at),
  window_start = IF(window_start <= ?, VALUES(window_start), window_start)`;

/** Attempts of a counting transaction that met a deadlock (two nodes making new rows at once) before it gives up. */
const DEADLOCK_RETRIES = 5;
/** Requests counted by one statement at most (each adds up to a few rows of 4 bound values; SQLite allows 999). */
const MAX_BATCH = 100;

/** A request waiting for its batch. */
interface PendingHit {
  buckets: string[];
  checks: RateCheck[];
  resolve: (waits: Array<number | null>) => void;
  reject: (err: unknown) => void;
}

/** Per window length: the requests waiting for the next batch, and whether a batch is being counted. */
const queues = new Map<number, { pending: PendingHit[]; isRunning: boolean }>();

/**
 * Counts one request against several fixed-window limits of the same window length. Returns, per check in
 * order, null when the request is within that limit, or the seconds until its window ends. A request past
 * one limit still counts on the others.
 *
 * The requests of one process that arrive while a batch is being counted form the next batch: one
 * statement (and one commit, the costly part: a disk flush) counts them all, so a burst costs a few
 * transactions instead of one each, and the counts stay exact because they live in the database.
 */
export async function hitRateLimits(checks: RateCheck[], windowSeconds: number): Promise<Array<number | null>> {
  await sweepIfDue(new Date());
  const buckets = checks.map((c) => throttleKey(c.scope, c.value));
  return new Promise((resolve, reject) => {
    let queue = queues.get(windowSeconds);
    if (!queue) {
      queue = { pending: [], isRunning: false };
      queues.set(windowSeconds, queue);
    }
    queue.pending.push({ buckets, checks, resolve, reject });
    if (!queue.isRunning) void drain(windowSeconds, queue);
  });
}

async function drain(windowSeconds: number, queue: { pending: PendingHit[]; isRunning: boolean }): Promise<void> {
  queue.isRunning = true;
  try {
    while (queue.pending.length) {
      const batch = queue.pending.splice(0, MAX_BATCH);
      try {
        await countBatch(batch, windowSeconds);
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  } finally {
    queue.isRunning = false;
  }
}

/** Counts a batch in one transaction and answers each of its requests. */
async function countBatch(batch: PendingHit[], windowSeconds: number): Promise<void> {
  const now = new Date();
  const windowMs = windowSeconds * 1000;
  // Per bucket, the requests on it in arrival order (a request naming one bucket twice counts once).
  const perBucket = new Map<string, PendingHit[]>();
  for (const p of batch) {
    for (const b of new Set(p.buckets)) {
      const list = perBucket.get(b);
      if (list) list.push(p);
      else perBucket.set(b, [p]);
    }
  }
  // One row per bucket, in key order: batches of several nodes lock the rows they share in the same order.
  const unique = [...perBucket.keys()].sort();
  const nowText = dbTime(now);
  const expires = dbTime(new Date(now.getTime() + windowMs));
  const windowOpen = dbTime(new Date(now.getTime() - windowMs));
  const rows = unique.map(() => '(?, ?, ?, 0, 0, NULL, ?)').join(', ');
  const values = [...unique.flatMap((b) => [b, nowText, perBucket.get(b)!.length, expires]), windowOpen, windowOpen, windowOpen];
  const isMy = isMysql();
  const counted = await retryDeadlocks(() => withTx(async (tx) => {
    if (!isMy) return tx.all<CountedRow>(UPSERT_SQLITE.replace('%ROWS%', rows), values);
    void tx.queue(UPSERT_MYSQL.replace('%ROWS%', rows), values);
    return tx.all<CountedRow>(`SELECT bucket, hits, window_start FROM auth_throttles WHERE bucket IN (${placeholders(unique.length)})`, unique);
  }));
  const byBucket = new Map(counted.map((r) => [r.bucket, r]));
  for (const p of batch) {
    try {
      p.resolve(p.checks.map((c, i) => {
        const bucket = p.buckets[i];
        const row = byBucket.get(bucket);
        if (!row) throw new Error(`rate limit row ${c.scope} was not counted`);
        const mine = perBucket.get(bucket)!;
        const count = Number(row.hits) - mine.length + 1 + mine.indexOf(p);
        if (count <= c.limit) return null;
        const ends = new Date(row.window_start).getTime() + windowMs;
        return Math.max(1, Math.ceil((ends - now.getTime()) / 1000));
      }));
    } catch (err) {
      p.reject(err);
    }
  }
}

async function retryDeadlocks<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= DEADLOCK_RETRIES || !isTransient(err)) throw err;
    }
  }
}

/**
 * Counts one request against a fixed-window limit; returns null when it is allowed, or the seconds
 * until the window ends when the limit is spent.
 */
export async function hitRateLimit(scope: ThrottleScope, value: string, limit: number, windowSeconds: number): Promise<number | null> {
  const [wait] = await hitRateLimits([{ scope, value, limit }], windowSeconds);
  return wait;
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

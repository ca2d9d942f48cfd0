// Answers remembered per (user, Idempotency-Key) so that a client that lost a response can retry a
// creating call safely. Starts write their row in the start's own transaction (runtime.ts); other
// calls reserve the key first (the unique index lets one of two concurrent retries through), act, and
// store the answer.
import { dbTime, selectRows, withTx } from './sql.ts';

/** What is remembered under a key. */
export interface IdempotentEntry {
  fingerprint: string;
  status: 'pending' | 'done';
  responseStatus: number | null;
  responseBody: unknown;
}

/** The entry under a user's key, or null. */
export async function findIdempotent(userId: number, key: string): Promise<IdempotentEntry | null> {
  const [row] = await selectRows<{ fingerprint: string; status: 'pending' | 'done'; response_status: number | null; response_body: string | null }>(
    'SELECT fingerprint, status, response_status, response_body FROM engine_idempotency WHERE user_id = ? AND idem_key = ?', [userId, key]);
  if (!row) return null;
  return { fingerprint: row.fingerprint, status: row.status, responseStatus: row.response_status === null ? null : Number(row.response_status), responseBody: row.response_body ? JSON.parse(row.response_body) : null };
}

/** Whether a database error is a unique-key violation (a concurrent call holds the key). */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string; parent?: { code?: string } };
  const code = e?.code ?? e?.parent?.code;
  return code === 'ER_DUP_ENTRY' || e?.errno === 1062 || (String(code).startsWith('SQLITE_CONSTRAINT') && /UNIQUE/i.test(e?.message ?? ''));
}

/** Reserves a key for a call about to act; false when the key is taken already. */
export async function reserveIdempotent(userId: number, key: string, fingerprint: string): Promise<boolean> {
  try {
    await withTx(async (tx) => {
      await tx.run("INSERT INTO engine_idempotency (user_id, idem_key, fingerprint, status, created_at) VALUES (?, ?, ?, 'pending', ?)", [userId, key, fingerprint, dbTime(new Date())]);
    });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Stores the answer of a reserved call. */
export async function finishIdempotent(userId: number, key: string, responseStatus: number, body: unknown): Promise<void> {
  await withTx(async (tx) => {
    await tx.run("UPDATE engine_idempotency SET status = 'done', response_status = ?, response_body = ? WHERE user_id = ? AND idem_key = ?", [responseStatus, JSON.stringify(body), userId, key]);
  });
}

/** Lets a reserved key go after the call failed (a retry may then act). */
export async function releaseIdempotent(userId: number, key: string): Promise<void> {
  await withTx(async (tx) => {
    await tx.run("DELETE FROM engine_idempotency WHERE user_id = ? AND idem_key = ? AND status = 'pending'", [userId, key]);
  });
}

/** Forgets answers older than the given instant (keys are remembered for a bounded time). */
export async function purgeIdempotent(before: Date): Promise<number> {
  return withTx(async (tx) => (await tx.run('DELETE FROM engine_idempotency WHERE created_at < ?', [dbTime(before)])).changes);
}

// On SQLite, Sequelize opens a separate connection per transaction, without the busy timeout of the
// default one, so two transactions of one process would fail with SQLITE_BUSY instead of waiting.
// The engine's transactions therefore queue in process on SQLite (it has one writer anyway).
import type { Transaction } from 'sequelize';
import { inTransaction, isMysql } from '../store/index.ts';

let tail: Promise<unknown> = Promise.resolve();

/** Runs fn after every engine write started before it has finished (SQLite: one writer per process). */
export function oneWriterAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = tail.then(fn);
  tail = run.catch(() => undefined);
  return run;
}

/** Runs fn in a transaction; on SQLite one engine transaction at a time per process. */
export async function engineTransaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T> {
  if (isMysql()) return inTransaction(fn);
  return oneWriterAtATime(() => inTransaction(fn));
}

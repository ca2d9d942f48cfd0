// Raw statements for the runtime's hot path: the same rows Sequelize would write, without building
// model instances for each of them.
import { QueryTypes, type Transaction } from 'sequelize';
import { db, isMysql } from '../store/index.ts';

/** An instant as the open dialect stores DATE columns (SQLite keeps Sequelize's text form). */
export function dbTime(d: Date | null | undefined): string | null {
  if (!d) return null;
  const iso = d.toISOString();
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  return isMysql() ? text : `${text} +00:00`;
}

/** Runs an UPDATE or DELETE and returns how many rows it changed. */
export async function changeRows(sql: string, replacements: unknown[], transaction: Transaction): Promise<number> {
  const result = (await db().query(sql, { replacements, transaction, type: QueryTypes.UPDATE })) as unknown;
  const [, meta] = result as [unknown, unknown];
  if (typeof meta === 'number') return meta;
  const m = meta as { affectedRows?: number; changes?: number } | undefined;
  return m?.affectedRows ?? m?.changes ?? 0;
}

/** Inserts rows (objects with the same keys, in column order) in one statement. */
export async function insertRows(table: string, columns: string[], rows: unknown[][], transaction: Transaction): Promise<void> {
  if (!rows.length) return;
  const one = `(${columns.map(() => '?').join(', ')})`;
  await db().query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => one).join(', ')}`, { replacements: rows.flat(), transaction, type: QueryTypes.INSERT });
}

/** Whether a database error is a deadlock, a lock wait timeout or a busy SQLite file (worth retrying). */
export function isTransient(err: unknown): boolean {
  const e = err as { parent?: { code?: string; errno?: number }; name?: string };
  const code = e?.parent?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY' || e?.name === 'SequelizeTimeoutError';
}

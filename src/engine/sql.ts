// Raw statements for the runtime's hot path, without Sequelize's query pipeline (several times the
// driver's cost per statement). On MySQL/MariaDB a transaction's statements are queued and sent in as
// few round trips as possible over the store's batching pool; on SQLite they run one after another on
// the engine's own writer connection, one transaction at a time per process (write-lock.ts).
import { QueryTypes, type Model, type ModelStatic, type Transaction } from 'sequelize';
import type mysql from 'mysql2';
import type sqlite3 from 'sqlite3';
import { batchingPool, db, isMysql, sqliteConnections } from '../store/index.ts';
import { engineTransaction, oneWriterAtATime } from './write-lock.ts';

/** An instant as the open dialect stores DATE columns (SQLite keeps Sequelize's text form). */
export function dbTime(d: Date | null | undefined): string | null {
  if (!d) return null;
  const iso = d.toISOString();
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  return isMysql() ? text : `${text} +00:00`;
}

/** What a write statement reports. */
export interface RunResult {
  changes: number;
  insertId: number;
}

/** Statements inside one engine transaction. */
export interface Tx {
  /**
   * Queues a write whose result is needed only later: it travels with the next statement that must run
   * now, the next flush() or the COMMIT. Read the result after one of those.
   */
  queue(sql: string, params: unknown[]): Promise<RunResult>;
  /** Sends what is queued (one round trip on MySQL/MariaDB). */
  flush(): Promise<void>;
  /** Runs a write now (with whatever is queued) and returns its result. */
  run(sql: string, params: unknown[]): Promise<RunResult>;
  /** Runs a SELECT now (with whatever is queued) and returns its rows. */
  all<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** Queues a SELECT whose rows are needed only after the next flush() or the COMMIT. */
  queueRows<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** Queues a write that must change exactly one row; otherwise the transaction fails with conflict(). */
  expectOne(sql: string, params: unknown[], conflict: () => Error): Promise<RunResult>;
}

/**
 * Follows a guarded statement on MariaDB: fails with ER_SUBQUERY_NO_1_ROW when that statement changed
 * no row, which stops the batch before its COMMIT. IF() evaluates only the branch it takes.
 */
const INLINE_GUARD = 'SELECT IF(ROW_COUNT() = 1, 1, (SELECT 1 UNION ALL SELECT 2)) AS guard';
const ER_SUBQUERY_NO_1_ROW = 1242;

function toRunResult(r: unknown): RunResult {
  const h = r as { affectedRows?: number; insertId?: number };
  return { changes: h.affectedRows ?? 0, insertId: Number(h.insertId ?? 0) };
}

interface Pending {
  sql: string;
  params: unknown[];
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
}

/** What every transaction does the same way: run() and all() are a queued statement plus a flush. */
abstract class QueuedTx implements Tx {
  abstract queue(sql: string, params: unknown[]): Promise<RunResult>;
  abstract queueRows<T>(sql: string, params: unknown[]): Promise<T[]>;
  abstract expectOne(sql: string, params: unknown[], conflict: () => Error): Promise<RunResult>;
  abstract flush(): Promise<void>;

  async run(sql: string, params: unknown[]): Promise<RunResult> {
    const result = this.queue(sql, params);
    await this.flush();
    return result;
  }

  async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    const rows = this.queueRows<T>(sql, params);
    await this.flush();
    return rows;
  }
}

/** A transaction on one connection of the batching pool: statements go in as few round trips as possible. */
class BatchTx extends QueuedTx {
  private pending: Pending[] = [];
  readonly guards: Array<{ result: Promise<RunResult>; conflict: () => Error }> = [];

  /** inline: guards travel as statements in the batch (MariaDB), so a guarded action still commits in one round trip. */
  constructor(private readonly connection: mysql.PoolConnection, readonly inline: boolean) {
    super();
  }

  queue(sql: string, params: unknown[]): Promise<RunResult> {
    const result = this.push(sql, params).then(toRunResult);
    // As in push(): a failed batch surfaces through flush(), not through results nobody awaits.
    result.catch(() => undefined);
    return result;
  }

  expectOne(sql: string, params: unknown[], conflict: () => Error): Promise<RunResult> {
    const result = this.queue(sql, params);
    if (this.inline) void this.push(INLINE_GUARD, []);
    this.guards.push({ result, conflict });
    return result;
  }

  /** Throws the conflict of the first guarded statement that did not change exactly one row. */
  async checkGuards(): Promise<void> {
    for (const g of this.guards) if ((await g.result).changes !== 1) throw g.conflict();
  }

  push(sql: string, params: unknown[]): Promise<unknown> {
    const p = new Promise<unknown>((resolve, reject) => this.pending.push({ sql, params, resolve, reject }));
    // A failed batch rejects every statement in it; only the ones someone awaits should surface.
    p.catch(() => undefined);
    return p;
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    if (!batch.length) return;
    this.pending = [];
    const sql = batch.map((b) => b.sql).join(';\n');
    const params = batch.flatMap((b) => b.params);
    await new Promise<void>((resolve, reject) => {
      this.connection.query(sql, params, (err, results) => {
        if (err) {
          for (const b of batch) b.reject(err);
          return reject(err);
        }
        const list = batch.length === 1 ? [results] : (results as unknown[]);
        batch.forEach((b, i) => b.resolve(list[i]));
        resolve();
      });
    });
  }

  queueRows<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.push(sql, params) as Promise<T[]>;
  }
}

/** Statements that run one after another (SQLite has no batches); the first failure is thrown by flush(). */
abstract class SequentialTx extends QueuedTx {
  private tail: Promise<unknown> = Promise.resolve();
  private error: unknown = null;

  protected abstract exec(sql: string, params: unknown[]): Promise<RunResult>;
  protected abstract rows<T>(sql: string, params: unknown[]): Promise<T[]>;

  private chain<R>(step: () => Promise<R>): Promise<R> {
    const p = this.tail.then(step);
    this.tail = p.catch((err) => {
      this.error ??= err;
    });
    return p;
  }

  queue(sql: string, params: unknown[]): Promise<RunResult> {
    return this.chain(() => this.exec(sql, params));
  }

  async flush(): Promise<void> {
    await this.tail;
    if (this.error) throw this.error;
  }

  queueRows<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.chain(() => this.rows<T>(sql, params));
  }

  expectOne(sql: string, params: unknown[], conflict: () => Error): Promise<RunResult> {
    return this.chain(async () => {
      const r = await this.exec(sql, params);
      if (r.changes !== 1) throw conflict();
      return r;
    });
  }
}

/** Over a Sequelize transaction (an in-memory SQLite database, or a caller's transaction joined). */
class SequelizeTx extends SequentialTx {
  constructor(private readonly transaction: Transaction | undefined) {
    super();
  }

  protected async exec(sql: string, params: unknown[]): Promise<RunResult> {
    const transaction = this.transaction;
    if (/^\s*INSERT/i.test(sql)) {
      const [id, changes] = (await db().query(sql, { replacements: params, transaction, type: QueryTypes.INSERT })) as unknown as [number, number];
      return { changes: Number(changes ?? 0), insertId: Number(id ?? 0) };
    }
    const [, meta] = (await db().query(sql, { replacements: params, transaction, type: QueryTypes.UPDATE })) as unknown as [unknown, unknown];
    const m = meta as number | { affectedRows?: number; changes?: number } | undefined;
    return { changes: typeof m === 'number' ? m : (m?.affectedRows ?? m?.changes ?? 0), insertId: 0 };
  }

  protected rows<T>(sql: string, params: unknown[]): Promise<T[]> {
    return db().query<T & object>(sql, { replacements: params, transaction: this.transaction, type: QueryTypes.SELECT }) as Promise<T[]>;
  }
}

function sqliteRun(connection: sqlite3.Database, sql: string, params: unknown[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    connection.run(sql, params, function done(this: sqlite3.RunResult, err: Error | null) {
      if (err) reject(err);
      else resolve({ changes: this.changes, insertId: this.lastID });
    });
  });
}

function sqliteAll<T>(connection: sqlite3.Database, sql: string, params: unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) => connection.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
}

/** On the engine's own SQLite writer connection. */
class SqliteTx extends SequentialTx {
  constructor(private readonly connection: sqlite3.Database) {
    super();
  }

  protected exec(sql: string, params: unknown[]): Promise<RunResult> {
    return sqliteRun(this.connection, sql, params);
  }

  protected rows<T>(sql: string, params: unknown[]): Promise<T[]> {
    return sqliteAll<T>(this.connection, sql, params);
  }
}

/** BEGIN IMMEDIATE on the writer, retried while another connection holds the write lock; then fn; then COMMIT. */
async function sqliteTransaction<T>(connection: sqlite3.Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      await sqliteRun(connection, 'BEGIN IMMEDIATE', []);
      break;
    } catch (err) {
      // Waiting inside SQLite would park a libuv thread; wait here instead (up to about 20 s in all).
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 400) throw err;
      await new Promise((r) => setTimeout(r, Math.min(50, 2 + attempt)));
    }
  }
  const tx = new SqliteTx(connection);
  try {
    const result = await fn(tx);
    await tx.flush();
    await sqliteRun(connection, 'COMMIT', []);
    return result;
  } catch (err) {
    await sqliteRun(connection, 'ROLLBACK', []).catch(() => undefined);
    throw err;
  }
}

function connectionOf(): Promise<mysql.PoolConnection> {
  return new Promise((resolve, reject) => batchingPool().getConnection((err, c) => (err ? reject(err) : resolve(c))));
}

/**
 * Runs fn in one transaction: committed when fn returns, rolled back when it throws. On MySQL/MariaDB
 * BEGIN travels with the first statements and COMMIT with the last queued ones, so an action whose
 * results are read only after commit costs one round trip.
 */
export async function withTx<T>(fn: (tx: Tx) => Promise<T>, opts: { readCommitted?: boolean; join?: Transaction } = {}): Promise<T> {
  if (opts.join) {
    // A savepoint of the caller's transaction, on its connection: a conflict undoes only this action's
    // statements, and everything commits with the caller. No write queue: the caller already holds the writer.
    return db().transaction({ transaction: opts.join }, async (t) => {
      const tx = new SequelizeTx(t);
      const result = await fn(tx);
      await tx.flush();
      return result;
    });
  }
  if (!isMysql()) {
    const links = sqliteConnections();
    if (!links) {
      return engineTransaction(async (t) => {
        const tx = new SequelizeTx(t);
        const result = await fn(tx);
        await tx.flush();
        return result;
      });
    }
    return oneWriterAtATime(() => sqliteTransaction(links.writer, fn));
  }
  return batchTransaction(fn, opts, await inlineGuards());
}

/** Whether the server runs the inline guard as intended (checked once per pool: MariaDB does; others flush first). */
const guardSupport = new WeakMap<mysql.Pool, Promise<boolean>>();
function inlineGuards(): Promise<boolean> {
  const pool = batchingPool();
  let known = guardSupport.get(pool);
  if (!known) {
    known = selectRows<{ v: string }>('SELECT VERSION() AS v', []).then(([row]) => /mariadb/i.test(String(row?.v ?? '')));
    guardSupport.set(pool, known);
  }
  return known;
}

async function batchTransaction<T>(fn: (tx: Tx) => Promise<T>, opts: { readCommitted?: boolean }, inline: boolean): Promise<T> {
  const connection = await connectionOf();
  const tx = new BatchTx(connection, inline);
  let broken = false;
  let guardFailed = false;
  try {
    if (opts.readCommitted) void tx.push('SET TRANSACTION ISOLATION LEVEL READ COMMITTED', []);
    void tx.push('START TRANSACTION', []);
    let result: T;
    try {
      result = await fn(tx);
      if (tx.guards.length && !inline) {
        await tx.flush();
        await tx.checkGuards();
      }
      void tx.push('COMMIT', []);
      await tx.flush();
    } catch (err) {
      guardFailed = inline && (err as { errno?: number }).errno === ER_SUBQUERY_NO_1_ROW;
      await new Promise<void>((resolve) => connection.query('ROLLBACK', (e) => {
        broken = !!e;
        resolve();
      }));
      if (!guardFailed) throw err;
    }
    if (!guardFailed) return result!;
  } finally {
    if (broken) connection.destroy();
    else connection.release();
  }
  // An inline guard stopped the batch: run the action again checking each guard, to answer with the
  // conflict that applies (conflicts are rare; the common path stays one round trip).
  return batchTransaction(fn, opts, false);
}

/** One SELECT outside a transaction. */
export async function selectRows<T>(sql: string, params: unknown[]): Promise<T[]> {
  if (!isMysql()) {
    const links = sqliteConnections();
    if (links) return sqliteAll<T>(links.reader, sql, params);
    return db().query<T & object>(sql, { replacements: params, type: QueryTypes.SELECT }) as Promise<T[]>;
  }
  return new Promise((resolve, reject) => {
    batchingPool().query(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[])));
  });
}

/** Model instances from raw rows (column names as stored, dates as the driver returns them). */
export function modelsOf<M extends Model>(model: ModelStatic<M>, rows: Array<Record<string, unknown>>): M[] {
  const attributes = Object.entries(model.getAttributes());
  return rows.map((row) => {
    const values: Record<string, unknown> = {};
    for (const [name, a] of attributes) {
      const v = row[a.field ?? name];
      const isDate = (a.type as { key?: string }).key === 'DATE';
      values[name] = isDate && v !== null && v !== undefined && !(v instanceof Date) ? new Date(v as string) : v;
    }
    return model.build(values as never, { isNewRecord: false, raw: true });
  });
}

/** Rows collected per table and column list while several actions share one transaction. */
type Collected = Map<string, { table: string; columns: string[]; rows: unknown[][] }>;
const collecting = new WeakMap<Tx, Collected>();

/**
 * Runs fn with every insertRows on tx collected per table and columns, then queues them as few
 * multi-row INSERTs: many actions in one transaction (a batch start) cost a handful of statements
 * instead of several each. fn must not read back what it inserts through insertRows.
 */
export async function withBulkInserts<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
  const collected: Collected = new Map();
  collecting.set(tx, collected);
  let result: T;
  try {
    result = await fn();
  } finally {
    collecting.delete(tx);
  }
  for (const c of collected.values()) insertRows(tx, c.table, c.columns, c.rows);
  return result;
}

/** Inserts rows (values in column order) in one statement. */
export function insertRows(tx: Tx, table: string, columns: string[], rows: unknown[][]): void {
  if (!rows.length) return;
  const collected = collecting.get(tx);
  if (collected) {
    const key = `${table}|${columns.join(',')}`;
    const entry = collected.get(key);
    if (entry) for (const r of rows) entry.rows.push(r);
    else collected.set(key, { table, columns, rows: [...rows] });
    return;
  }
  const one = `(${columns.map(() => '?').join(', ')})`;
  // SQLite builds may allow as few as 999 bound values per statement: long actions insert in chunks.
  const per = Math.max(1, Math.floor(MAX_BOUND_VALUES / columns.length));
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    void tx.queue(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => one).join(', ')}`, chunk.flat());
  }
}

/** Bound values per INSERT statement. */
const MAX_BOUND_VALUES = 990;

/** `?, ?, ?` for an IN list of n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Whether a database error is a deadlock, a lock wait timeout or a busy SQLite file (worth retrying). */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; parent?: { code?: string; errno?: number }; name?: string };
  const code = e?.parent?.code ?? e?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY' || e?.name === 'SequelizeTimeoutError';
}

// One Sequelize connection per process, opened by initStore() with the configured URL.
import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, Transaction } from 'sequelize';
import sqlite3 from 'sqlite3';
import mysql from 'mysql2';
import { initModels } from './registry.ts';
import { log } from '../log.ts';

let sequelize: Sequelize | undefined;
let openUrl = '';
let batchPool: mysql.Pool | undefined;
let sqliteLinks: { writer: sqlite3.Database; reader: sqlite3.Database } | undefined;
let idleTxConnections: sqlite3.Database[] = [];

/** Most finished transactions' SQLite connections kept open for the next ones. */
const IDLE_TX_CONNECTIONS = 8;

/** The parts of Sequelize's SQLite connection manager that `reuseTransactionConnections` wraps. */
interface SqliteConnectionManager {
  connections: Record<string, sqlite3.Database>;
  getConnection(options?: { uuid?: string }): Promise<sqlite3.Database>;
  releaseConnection(connection: sqlite3.Database & { uuid?: string; filename?: string }, force?: boolean): void;
}

/**
 * Sequelize opens a new SQLite connection for every transaction and closes it after: a file open, a
 * `PRAGMA`, and SQLite parsing the whole schema again at the first statement — a large share of a short
 * transaction. This keeps finished transactions' connections for the next ones. A connection is handed
 * out again only after a `ROLLBACK` on it has completed (an error when nothing was open), so no transaction
 * a failed commit left open can leak into the next user's.
 */
function reuseTransactionConnections(s: Sequelize): void {
  const cm = (s as unknown as { connectionManager: SqliteConnectionManager }).connectionManager;
  const get = cm.getConnection.bind(cm);
  const release = cm.releaseConnection.bind(cm);
  const idle: sqlite3.Database[] = (idleTxConnections = []);
  cm.getConnection = async (options) => {
    const uuid = options?.uuid;
    if (uuid && uuid !== 'default' && !cm.connections[uuid]) {
      const c = idle.pop();
      if (c) return (cm.connections[uuid] = c);
    }
    return get(options);
  };
  cm.releaseConnection = (connection, force) => {
    const uuid = connection.uuid;
    if (force || !uuid || connection.filename === ':memory:' || idle.length >= IDLE_TX_CONNECTIONS) return release(connection, force);
    delete cm.connections[uuid];
    delete connection.uuid;
    connection.run('ROLLBACK', () => {
      // After closeStore() the list is no longer the store's: close instead.
      if (idle === idleTxConnections && idle.length < IDLE_TX_CONNECTIONS) idle.push(connection);
      else connection.close();
    });
  };
}

/** The run() of Sequelize's SQLite query class, as `lazyStatementStacks` wraps it. */
interface SqliteQueryClass {
  prototype: { run(sql: string, parameters?: unknown): Promise<unknown> };
}

const lazyStacks = Symbol('govflow.lazyStacks');

/**
 * Sequelize's SQLite dialect (unlike its MySQL one) formats a stack trace for every statement, to hand it to an
 * error the statement may never raise; under tsx every frame of it goes through the source maps, about 0.1 ms a
 * statement — a sixth of a dossier's receipt. This captures the caller's frames unformatted instead (the same frames:
 * the capture is in the same synchronous step) and formats them onto the error only when a statement fails.
 */
function lazyStatementStacks(s: Sequelize): void {
  const Query = (s as unknown as { dialect: { Query: SqliteQueryClass & { [lazyStacks]?: true } } }).dialect.Query;
  if (Query[lazyStacks]) return;
  Query[lazyStacks] = true;
  const run = Query.prototype.run;
  Query.prototype.run = function lazyRun(this: unknown, sql: string, parameters?: unknown): Promise<unknown> {
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, lazyRun);
    const limit = Error.stackTraceLimit;
    // Sequelize makes its error for the stack synchronously inside run(): with no frames it costs nothing to format.
    Error.stackTraceLimit = 0;
    let result: Promise<unknown>;
    try {
      result = run.call(this, sql, parameters);
    } finally {
      Error.stackTraceLimit = limit;
    }
    return result.catch((err: unknown) => {
      if (err instanceof Error) {
        const frames = (site.stack ?? '').split('\n').slice(1).join('\n');
        err.stack = `${err.name}: ${err.message}${frames ? `\n${frames}` : ''}`;
      }
      throw err;
    });
  };
}

/** Prepared statements one SQLite connection keeps, the least recently used dropped first. */
const CACHED_STATEMENTS = 100;
/** SQL texts a connection remembers having seen once (a text is prepared for keeps when it comes again). */
const SEEN_ONCE = 500;

/** Writes and transaction control, which `run` steps to their end (a statement that returns rows may stop at its first). */
const KEEPABLE_RUN = /^\s*(INSERT|UPDATE|DELETE|REPLACE|BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

/**
 * A SQLite connection that keeps the prepared statements of SQL it runs repeatedly. node-sqlite3's `run(sql)` and
 * `all(sql)` prepare, step and finalize a new statement each time, three trips through the thread pool; a kept
 * statement is one, and SQLite does not parse the SQL again. A text is kept when it comes a second time (SQL with
 * values spliced in comes once). Only statements that run to their end are kept (`all`, and `run` of writes and
 * transaction control without `RETURNING`: a `run` that returns rows stops at its first and would hold its snapshot),
 * so a kept statement never holds a lock between uses. They are finalized before the connection closes.
 */
class StatementCachingDatabase extends sqlite3.Database {
  private readonly statements = new Map<string, sqlite3.Statement>();
  private readonly seen = new Set<string>();
  private readonly busy = new Set<sqlite3.Statement>();
  private isClosing = false;

  override run(sql: string, ...args: unknown[]): this {
    if (!KEEPABLE_RUN.test(sql) || /\breturning\b/i.test(sql)) return super.run(sql, ...args);
    return this.onStatement('run', sql, args);
  }

  override all(sql: string, ...args: unknown[]): this {
    return this.onStatement('all', sql, args);
  }

  override close(callback?: (err: Error | null) => void): void {
    // A statement in use finalizes when its step ends, before the close (which waits for every pending step) runs;
    // one still being prepared is finalized as soon as it is.
    this.isClosing = true;
    for (const st of this.statements.values()) st.finalize();
    this.statements.clear();
    super.close(callback);
  }

  private onStatement(method: 'run' | 'all', sql: string, args: unknown[]): this {
    const kept = this.statements.get(sql);
    if (kept) {
      this.statements.delete(sql);
      this.statements.set(sql, kept);
      if (!this.useKept(kept, method, args)) (super[method] as (sql: string, ...a: unknown[]) => unknown).call(this, sql, ...args);
      return this;
    }
    if (!this.seen.has(sql)) {
      if (this.seen.size >= SEEN_ONCE) this.seen.clear();
      this.seen.add(sql);
      (super[method] as (sql: string, ...a: unknown[]) => unknown).call(this, sql, ...args);
      return this;
    }
    this.seen.delete(sql);
    // Steps start once the statement is prepared; when it cannot be, the plain call reports the error as before.
    const st: sqlite3.Statement = super.prepare(sql, (err: Error | null) => {
      if (err || this.isClosing) {
        if (!err) st.finalize();
        (super[method] as (sql: string, ...a: unknown[]) => unknown).call(this, sql, ...args);
        return;
      }
      if (this.statements.has(sql)) {
        // Another call prepared the same text meanwhile: this one serves its call and goes.
        (st[method] as (...a: unknown[]) => unknown)(...args);
        st.finalize();
        return;
      }
      if (this.statements.size >= CACHED_STATEMENTS) {
        const [oldest, old] = this.statements.entries().next().value as [string, sqlite3.Statement];
        this.statements.delete(oldest);
        old.finalize();
      }
      this.statements.set(sql, st);
      if (!this.useKept(st, method, args)) (super[method] as (sql: string, ...a: unknown[]) => unknown).call(this, sql, ...args);
    });
    return this;
  }

  /**
   * Steps a kept statement unless it is stepping for another call: calls on one statement queue behind each other
   * and each waits for a turn of the event loop, while separate statements queue straight to the connection, so
   * concurrent calls of one text (lookups under load) take the plain path instead. False when it did not.
   */
  private useKept(st: sqlite3.Statement, method: 'run' | 'all', args: unknown[]): boolean {
    const callback = args[args.length - 1];
    if (typeof callback !== 'function' || this.busy.has(st)) return false;
    const busy = this.busy;
    busy.add(st);
    (st[method] as (...a: unknown[]) => unknown)(...args.slice(0, -1), function done(this: sqlite3.Statement, ...result: unknown[]) {
      busy.delete(st);
      return (callback as (...r: unknown[]) => unknown).apply(this, result);
    });
    return true;
  }
}

/** A SQLite connection that reports a taken lock at once instead of blocking a thread (see connect()). */
class NonBlockingDatabase extends StatementCachingDatabase {
  constructor(file: string, mode?: number, callback?: (err: Error | null) => void) {
    super(file, mode as number, callback);
    this.configure('busyTimeout', 0);
  }
}

/** Builds a Sequelize instance for `sqlite:PATH`, `mysql://…` or `mariadb://…`. */
export function connect(url: string): Sequelize {
  const logging = (sql: string) => log.debug('sql', { sql });
  if (url.startsWith('sqlite:')) {
    const storage = url.slice('sqlite:'.length) || ':memory:';
    if (storage !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(storage)), { recursive: true });
    const s = new Sequelize({
      dialect: 'sqlite', storage, logging, pool: { max: 1, min: 0 }, transactionType: Transaction.TYPES.IMMEDIATE,
      // Sequelize opens one SQLite connection per transaction. A BEGIN IMMEDIATE that finds the write lock taken must
      // fail at once and be retried from JavaScript: waiting inside SQLite's busy handler parks a libuv thread, and a
      // few concurrent writers then starve the lock holder of threads.
      dialectModule: { ...sqlite3, Database: NonBlockingDatabase },
      retry: { max: 400, match: [/SQLITE_BUSY/], backoffBase: 2, backoffExponent: 1.01 },
    });
    lazyStatementStacks(s);
    return s;
  }
  // mysql2 speaks to both MySQL 8 and MariaDB; keep instants in UTC.
  const normalized = url.replace(/^mariadb:/, 'mysql:');
  return new Sequelize(normalized, {
    dialect: 'mysql',
    logging,
    timezone: '+00:00',
    pool: { max: 10, min: 0, idle: 10000 },
    dialectOptions: { dateStrings: false, charset: 'utf8mb4', supportBigNumbers: true },
    define: { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  });
}

/** Opens the process's database and defines every model on it. */
export async function initStore(url: string): Promise<Sequelize> {
  if (sequelize) await closeStore();
  sequelize = connect(url);
  openUrl = url;
  if (sequelize.getDialect() === 'sqlite') {
    // WAL lets readers work while the single writer commits; busy_timeout waits instead of failing.
    await sequelize.query('PRAGMA journal_mode = WAL');
    await sequelize.query('PRAGMA busy_timeout = 5000');
    await sequelize.query('PRAGMA foreign_keys = ON');
    reuseTransactionConnections(sequelize);
  }
  initModels(sequelize);
  return sequelize;
}

/** The open connection; fails loudly when initStore() was not called. */
export function db(): Sequelize {
  if (!sequelize) throw new Error('store not initialised: call initStore() first');
  return sequelize;
}

/** Whether the open database is MySQL/MariaDB (lock clauses and SKIP LOCKED apply). */
export function isMysql(): boolean {
  return db().getDialect() === 'mysql';
}

/**
 * A second, small pool on MySQL/MariaDB whose connections accept several statements in one round trip.
 * Only the engine's hot path uses it, with its own fixed SQL and `?` values (never user-written SQL):
 * a whole action (BEGIN, the instance row, tasks, jobs, history, COMMIT) then costs one or two round
 * trips instead of one per statement.
 */
export function batchingPool(): mysql.Pool {
  if (!isMysql()) throw new Error('batchingPool() is for MySQL/MariaDB');
  if (!batchPool) {
    const u = new URL(openUrl.replace(/^mariadb:/, 'mysql:'));
    const pool = mysql.createPool({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.slice(1)),
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      multipleStatements: true,
      connectionLimit: 10,
      maxIdle: 10,
      idleTimeout: 10000,
    });
    // Instants are UTC on every connection, as on Sequelize's.
    pool.on('connection', (connection) => connection.query("SET time_zone = '+00:00'"));
    batchPool = pool;
  }
  return batchPool;
}

/**
 * Two long-lived connections to the SQLite file for the engine's hot path (Sequelize opens and closes
 * a connection for every transaction): `writer` runs the engine's transactions, one at a time per
 * process, and reports a taken write lock at once (the caller retries); `reader` reads committed
 * rows beside it (WAL). Null for an in-memory database, where a second connection would be another
 * database.
 */
export function sqliteConnections(): { writer: sqlite3.Database; reader: sqlite3.Database } | null {
  if (isMysql()) throw new Error('sqliteConnections() is for SQLite');
  const storage = openUrl.slice('sqlite:'.length) || ':memory:';
  if (storage === ':memory:') return null;
  if (!sqliteLinks) {
    const writer = new StatementCachingDatabase(storage);
    writer.configure('busyTimeout', 0);
    writer.run('PRAGMA foreign_keys = ON');
    const reader = new StatementCachingDatabase(storage);
    reader.configure('busyTimeout', 5000);
    sqliteLinks = { writer, reader };
  }
  return sqliteLinks;
}

/** Closes the connections. */
export async function closeStore(): Promise<void> {
  const pool = batchPool;
  batchPool = undefined;
  if (pool) await new Promise<void>((resolve) => pool.end(() => resolve()));
  const links = sqliteLinks;
  sqliteLinks = undefined;
  if (links) {
    for (const c of [links.writer, links.reader]) await new Promise<void>((resolve) => c.close(() => resolve()));
  }
  const idle = idleTxConnections;
  idleTxConnections = [];
  for (const c of idle) await new Promise<void>((resolve) => c.close(() => resolve()));
  await sequelize?.close();
  sequelize = undefined;
}

/** Runs fn in a transaction, reusing an outer one when given. */
export async function inTransaction<T>(fn: (t: Transaction) => Promise<T>, outer?: Transaction | null): Promise<T> {
  if (outer) return fn(outer);
  return db().transaction(fn);
}

/**
 * An instant as Sequelize writes it into a DATE column, for `txStatement` values: SQLite keeps text with
 * milliseconds and offset; MySQL/MariaDB get UTC text, with milliseconds only for a `DATE(3)` column (`precise`),
 * since a plain DATETIME would round them to the next second where Sequelize drops them.
 */
export function storedTime(d: Date | null | undefined, precise = false): string | null {
  if (!d) return null;
  const iso = d.toISOString();
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  if (!isMysql()) return `${text} +00:00`;
  return precise ? text : text.slice(0, 19);
}

/** What a statement run by `txStatement` gives back: its rows (a SELECT or a RETURNING), or what it changed. */
export interface TxStatementResult<T> {
  rows: T[];
  changes: number;
  /** The last inserted id (on MySQL/MariaDB also a value set with `LAST_INSERT_ID(expr)`). */
  insertId: number;
}

/**
 * Runs one statement with `?` values on a Sequelize transaction's own connection, past Sequelize's query pipeline
 * (building, logging and parsing cost more than a short statement itself). For hot paths with fixed SQL: the values
 * are bound, never spliced, and instants must be passed as the dialect stores them (`storedTime`). `rows` asks for the
 * rows of a SELECT or a `RETURNING` clause; `run` for the changes and the last inserted id.
 */
export function txStatement<T = Record<string, unknown>>(t: Transaction, mode: 'rows' | 'run', sql: string, params: unknown[]): Promise<TxStatementResult<T>> {
  const connection = (t as unknown as { connection?: unknown }).connection;
  if (!connection) throw new Error('txStatement() needs a transaction that has started');
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, txStatement);
  const fail = (reject: (e: unknown) => void) => (err: Error) => reject(asSequelizeError(connection, err, sql, params, site));
  if (isMysql()) {
    return new Promise((resolve, reject) => {
      (connection as mysql.Connection).query(sql, params, (err, result) => {
        if (err) return fail(reject)(err);
        if (Array.isArray(result)) return resolve({ rows: result as T[], changes: 0, insertId: 0 });
        const h = result as mysql.ResultSetHeader;
        resolve({ rows: [], changes: h.affectedRows ?? 0, insertId: Number(h.insertId ?? 0) });
      });
    });
  }
  const c = connection as sqlite3.Database;
  return new Promise((resolve, reject) => {
    if (mode === 'rows') c.all(sql, params, (err, rows) => (err ? fail(reject)(err) : resolve({ rows: rows as T[], changes: 0, insertId: 0 })));
    else c.run(sql, params, function done(this: sqlite3.RunResult, err: Error | null) {
      if (err) fail(reject)(err);
      else resolve({ rows: [], changes: this.changes, insertId: this.lastID });
    });
  });
}

/** A driver's error as Sequelize would have raised it (UniqueConstraintError, TimeoutError …), so callers' retries and checks see one kind. */
function asSequelizeError(connection: unknown, err: Error, sql: string, params: unknown[], site: { stack?: string }): Error {
  const s = db();
  const Query = (s as unknown as { dialect: { Query: new (c: unknown, s: Sequelize, o: object) => { formatError(e: Error, stack?: string): Error } } }).dialect.Query;
  Object.assign(err, { sql, parameters: params });
  const e = new Query(connection, s, {}).formatError(err);
  const frames = (site.stack ?? '').split('\n').slice(1).join('\n');
  e.stack = `${e.name}: ${e.message}${frames ? `\n${frames}` : ''}`;
  return e;
}

/** Pings the database (readiness probe). */
export async function ping(): Promise<void> {
  await db().query('SELECT 1');
}

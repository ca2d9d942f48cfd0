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

/** A SQLite connection that reports a taken lock at once instead of blocking a thread (see connect()). */
class NonBlockingDatabase extends sqlite3.Database {
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
    const writer = new sqlite3.Database(storage);
    writer.configure('busyTimeout', 0);
    writer.run('PRAGMA foreign_keys = ON');
    const reader = new sqlite3.Database(storage);
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

/** Pings the database (readiness probe). */
export async function ping(): Promise<void> {
  await db().query('SELECT 1');
}

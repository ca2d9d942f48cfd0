// The store's statement paths on a real database: a failing statement's error still names the code that sent it,
// statements run on a transaction's own connection commit and roll back with it and fail as Sequelize's do, and on
// SQLite a statement kept prepared for repeated use answers each call with its own values and lets the store close.
import test from 'ava';
import { UniqueConstraintError } from 'sequelize';
import { freshDb, dialect, type TestDb } from '../../helpers/db.ts';
import { closeStore, db, initStore, inTransaction, storedTime, txStatement } from '../../../src/store/index.ts';

let store: TestDb;

test.before(async () => {
  store = await freshDb();
  await db().query('CREATE TABLE store_probe (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, at DATETIME NULL)');
});

test.after.always(async () => {
  await store?.cleanup();
});

async function readMissingTable(): Promise<void> {
  await db().query('SELECT * FROM no_such_table_here');
}

test.serial('a failing statement raises a Sequelize error whose stack names the function that sent it', async (t) => {
  const err = await t.throwsAsync(readMissingTable());
  t.regex(err!.name, /^Sequelize/);
  t.regex(err!.stack ?? '', /readMissingTable/);
});

test.serial('statements on a transaction\'s connection commit with it, and roll back with it', async (t) => {
  await inTransaction(async (tx) => {
    const r = await txStatement(tx, 'run', 'INSERT INTO store_probe (id, name, at) VALUES (?, ?, ?)', [1, 'một', storedTime(new Date('2026-12-01T02:03:04.567Z'))]);
    t.is(r.changes, 1);
    const seen = await txStatement<{ name: string }>(tx, 'rows', 'SELECT name FROM store_probe WHERE id = ?', [1]);
    t.deepEqual(seen.rows.map((x) => x.name), ['một']);
  });
  await t.throwsAsync(inTransaction(async (tx) => {
    await txStatement(tx, 'run', 'INSERT INTO store_probe (id, name) VALUES (?, ?)', [2, 'hai']);
    throw new Error('the caller fails after the statement');
  }));
  const rows = await db().query('SELECT id, name FROM store_probe ORDER BY id', { type: 'SELECT' }) as Array<{ id: number; name: string }>;
  t.deepEqual(rows.map((x) => [Number(x.id), x.name]), [[1, 'một']]);
});

test.serial('a duplicate written by a plain statement is the UniqueConstraintError Sequelize raises, with the caller in its stack', async (t) => {
  async function insertTwice() {
    await inTransaction((tx) => txStatement(tx, 'run', 'INSERT INTO store_probe (id, name) VALUES (?, ?)', [3, 'một']));
  }
  const err = await t.throwsAsync(insertTwice());
  t.true(err instanceof UniqueConstraintError);
  t.regex(err!.stack ?? '', /insertTwice/);
});

test.serial('an instant written by a plain statement reads back as Sequelize wrote it', async (t) => {
  const [row] = await db().query('SELECT at FROM store_probe WHERE id = 1', { type: 'SELECT' }) as Array<{ at: Date | string }>;
  // DATETIME without fractions on MySQL/MariaDB keeps the second (Sequelize drops the milliseconds too); SQLite keeps them.
  t.is(new Date(row.at).toISOString(), dialect === 'mysql' ? '2026-12-01T02:03:04.000Z' : '2026-12-01T02:03:04.567Z');
});

if (dialect === 'sqlite') {
  test.serial('on SQLite a statement run again and again answers each call with its own values, and the store still closes', async (t) => {
    const sql = 'SELECT ? + id AS v FROM store_probe WHERE id = ?';
    for (let i = 0; i < 6; i++) {
      const rows = await db().query(sql, { replacements: [i, 1], type: 'SELECT' }) as Array<{ v: number }>;
      t.deepEqual(rows, [{ v: i + 1 }]);
    }
    // The same text with bound values (what the engine and txStatement send) through one connection at once.
    const answers = await inTransaction((tx) => Promise.all([10, 20, 30, 40].map((n) => txStatement<{ v: number }>(tx, 'rows', sql, [n, 1]))));
    t.deepEqual(answers.map((a) => a.rows[0].v), [11, 21, 31, 41]);
    await closeStore();
    await initStore(store.url);
    t.is((await db().query('SELECT COUNT(*) AS n FROM store_probe', { type: 'SELECT' }) as Array<{ n: number }>)[0].n, 1);
  });

  test.serial('on SQLite a kept statement whose table is gone fails with the database\'s own message', async (t) => {
    const sql = 'INSERT INTO store_gone (id) VALUES (?)';
    await db().query('CREATE TABLE store_gone (id INTEGER PRIMARY KEY)');
    for (let i = 1; i <= 3; i++) await inTransaction((tx) => txStatement(tx, 'run', sql, [i]));
    await db().query('DROP TABLE store_gone');
    const err = await t.throwsAsync(inTransaction((tx) => txStatement(tx, 'run', sql, [4])));
    t.regex(err!.message, /no such table: store_gone/);
  });
}

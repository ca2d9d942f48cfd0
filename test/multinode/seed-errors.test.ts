// When seeding fails on a database error, the operator sees the database's own message and the statement, not the
// bare "Error" that Sequelize's stack shows.
import test from 'ava';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { govflowCli } from '../helpers/cli.ts';
import { db } from '../../src/store/index.ts';

let store: TestDb;
test.before(async () => {
  store = await freshDb();
});
test.after.always(async () => {
  await store?.cleanup();
});

test('a seed that fails on a missing table names the database error and the SQL statement', async (t) => {
  await db().getQueryInterface().dropTable('role_assignments');
  const r = await govflowCli(store, ['seed']);
  t.is(r.code, 1, r.stdout);
  t.regex(r.stderr, /^SequelizeDatabaseError: /m);
  t.regex(r.stderr, /database error: (ER_NO_SUCH_TABLE 1146|SQLITE_ERROR 1) .*role_assignments/);
  t.regex(r.stderr, /sql: INSERT INTO `role_assignments`/);
});

// The readiness probe follows the database: 200 while it answers, 503 once it is gone.
import test from 'ava';
import { startApp, type TestApp } from '../../helpers/server.ts';
import { closeStore } from '../../../src/store/index.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false });
});

test.after.always(async () => {
  await app?.close();
});

test.serial('GET /readyz answers 503 once the database is closed while /healthz stays 200', async (t) => {
  t.is((await app.server.inject('/readyz')).statusCode, 200);
  await closeStore();
  const res = await app.server.inject('/readyz');
  t.is(res.statusCode, 503);
  t.deepEqual(JSON.parse(res.payload), { status: 'unavailable' });
  t.is((await app.server.inject('/healthz')).statusCode, 200);
});

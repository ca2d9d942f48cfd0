// Many people log in at the same moment (the start of a working day): none of them gets an error.
import test from 'ava';
import { startApp, makeUser, anonymous, PASSWORD, type TestApp } from '../../helpers/server.ts';
import { Session } from '../../../src/auth/models.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false });
});

test.after.always(async () => {
  await app?.close();
});

test('ten users logging in at once all get a session', async (t) => {
  const users = [];
  for (let i = 0; i < 10; i++) users.push(await makeUser('officer', null, { username: `dongthoi${i}` }));
  const anon = await anonymous(app.server);
  const results = await Promise.all(users.map((u) => app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: u.username, password: PASSWORD, crumb: anon.crumb } })));
  t.deepEqual(results.map((r) => r.statusCode), users.map(() => 302));
  t.is(await Session.count(), 10);
});

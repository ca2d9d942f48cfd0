// Behind HTTPS (BASE_URL https://…) cookies are Secure and browsers are told to stay on HTTPS.
import test from 'ava';
import { startApp, makeUser, anonymous, PASSWORD, type TestApp } from '../../helpers/server.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false, env: { BASE_URL: 'https://govflow.example.vn' } });
});

test.after.always(async () => {
  await app?.close();
});

test.serial('with an https BASE_URL the session, CSRF and language cookies are Secure and HSTS is sent', async (t) => {
  const user = await makeUser('officer');
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: user.username, password: PASSWORD, crumb: anon.crumb } });
  t.is(res.statusCode, 302);
  const set = res.headers['set-cookie'] as string[];
  for (const name of ['sid', 'lang']) {
    const cookie = set.find((c) => c.startsWith(`${name}=`));
    t.truthy(cookie, name);
    t.regex(cookie!, /;\s*Secure/, name);
    t.regex(cookie!, /;\s*HttpOnly/, name);
  }
  const page = await app.server.inject('/login');
  t.regex((page.headers['set-cookie'] as string[]).find((c) => c.startsWith('crumb='))!, /;\s*Secure/);
  t.regex(page.headers['strict-transport-security'] as string, /max-age=\d+/);
});

// The CSRF token changes at login and logout and is bound to the session it was issued for.
import test from 'ava';
import type { ServerInjectResponse } from '@hapi/hapi';
import { startApp, makeUser, anonymous, login, call, PASSWORD, type TestApp } from '../helpers/server.ts';
import { Session } from '../../src/auth/models.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false });
  app.server.route({ method: 'POST', path: '/api/test/csrf-echo', options: { plugins: { govflow: { roles: [] } } }, handler: () => ({ ok: true }) });
});

test.after.always(async () => {
  await app?.close();
});

function setCookie(res: ServerInjectResponse, name: string): string | undefined {
  const set = res.headers['set-cookie'];
  return (Array.isArray(set) ? set : set ? [set] : []).find((c) => c.startsWith(`${name}=`));
}

test.serial('login replaces the anonymous token by a new one', async (t) => {
  const user = await makeUser('officer');
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: user.username, password: PASSWORD, crumb: anon.crumb } });
  t.is(res.statusCode, 302);
  const crumb = setCookie(res, 'crumb');
  t.truthy(crumb, 'the login response sets a new crumb cookie');
  t.not(crumb!.split(';')[0].slice('crumb='.length), anon.crumb);
  t.regex(crumb!, /HttpOnly/i);
});

test.serial('the token known before login (one an attacker could have planted) is refused afterwards', async (t) => {
  const user = await makeUser('admin');
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: user.username, password: PASSWORD, crumb: anon.crumb } });
  const sid = setCookie(res, 'sid')!.split(';')[0];
  const stale = { cookie: `crumb=${anon.crumb}; ${sid}`, crumb: anon.crumb };
  t.is((await call(app.server, stale, 'POST', '/api/test/csrf-echo', {})).statusCode, 403, 'API write');
  const form = await call(app.server, stale, 'POST', '/logout', {});
  t.is(form.statusCode, 403, 'form post');
  t.is(await Session.count({ where: { userId: user.id } }), 1);
});

test.serial('the token of one session does not work with another session', async (t) => {
  const a = await login(app.server, (await makeUser('officer')).username);
  const b = await login(app.server, (await makeUser('officer')).username);
  t.is((await call(app.server, a, 'POST', '/api/test/csrf-echo', {})).statusCode, 200);
  const sidB = /sid=[^;]+/.exec(b.cookie)![0];
  const mixed = { cookie: `crumb=${a.crumb}; ${sidB}`, crumb: a.crumb };
  const res = await call(app.server, mixed, 'POST', '/api/test/csrf-echo', {});
  t.is(res.statusCode, 403);
  t.is((res.result as { code: string }).code, 'errors.csrf');
});

test.serial('a page of a session with an outdated token renders the bound one, and its forms work', async (t) => {
  const user = await makeUser('officer');
  const session = await login(app.server, user.username);
  const sid = /sid=[^;]+/.exec(session.cookie)![0];
  const page = await app.server.inject({ url: '/', headers: { cookie: `crumb=outdated-token; ${sid}` } });
  t.is(page.statusCode, 200);
  t.regex(page.payload, new RegExp(`name="crumb" value="${session.crumb}"`));
  t.truthy(setCookie(page, 'crumb')?.startsWith(`crumb=${session.crumb};`));
  const form = await app.server.inject({ method: 'POST', url: '/logout', headers: { cookie: `crumb=${session.crumb}; ${sid}` }, payload: { crumb: session.crumb } });
  t.is(form.statusCode, 302);
});

test.serial('logout clears the token so the next page mints a new anonymous one', async (t) => {
  const session = await login(app.server, (await makeUser('officer')).username);
  const res = await call(app.server, session, 'POST', '/logout', {});
  t.is(res.statusCode, 302);
  t.regex(setCookie(res, 'crumb') ?? '', /^crumb=;|Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  const next = await app.server.inject('/login');
  const fresh = setCookie(next, 'crumb')!.split(';')[0].slice('crumb='.length);
  t.not(fresh, session.crumb);
});

// Login, logout, wrong passwords, lockout and CSRF, through the real server.
import test from 'ava';
import type { ServerInjectResponse } from '@hapi/hapi';
import { startApp, makeUser, login, anonymous, call, PASSWORD, type TestApp } from '../../helpers/server.ts';
import { AuthThrottle, Session, User } from '../../../src/auth/models.ts';
import { throttleKey } from '../../../src/auth/throttle.ts';
import { AuditEntry } from '../../../src/audit/models.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_MINUTES: '15' } });
  // A route that changes state through the API, to see the CSRF header check that guards every such route.
  app.server.route({ method: 'POST', path: '/api/test/echo', options: { plugins: { govflow: { roles: [] } } }, handler: (request) => ({ ok: true, got: request.payload }) });
});

test.after.always(async () => {
  await app?.close();
});

function setCookies(res: ServerInjectResponse): string[] {
  const set = res.headers['set-cookie'];
  return Array.isArray(set) ? set : set ? [set] : [];
}

/** The failed-login lock row of a submitted username. */
async function lockRow(username: string) {
  return AuthThrottle.findByPk(throttleKey('login-lock', username));
}

async function expireLock(username: string) {
  await AuthThrottle.update({ lockedUntil: new Date(Date.now() - 1000) }, { where: { bucket: throttleKey('login-lock', username) } });
}

async function postLogin(username: string, password: string) {
  const anon = await anonymous(app.server);
  return app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username, password, crumb: anon.crumb } });
}

test.serial('the login page is a form with labelled fields and a CSRF token', async (t) => {
  const res = await app.server.inject('/login');
  t.is(res.statusCode, 200);
  t.regex(res.payload, /<label for="username">Tên đăng nhập<\/label>/);
  t.regex(res.payload, /<label for="password">Mật khẩu<\/label>/);
  t.regex(res.payload, /name="crumb" value="[^"]+"/);
});

test.serial('a user logs in with the right password and gets a session cookie', async (t) => {
  const user = await makeUser('officer', '01');
  const res = await postLogin(user.username, PASSWORD);
  t.is(res.statusCode, 302);
  t.is(res.headers.location, '/');
  const sid = setCookies(res).find((c) => c.startsWith('sid='));
  t.truthy(sid);
  t.regex(sid!, /HttpOnly/i);
  t.regex(sid!, /SameSite=Lax/i);
  t.is(await Session.count({ where: { userId: user.id } }), 1);
});

test.serial('login goes on to the page the user asked for, but never to another site', async (t) => {
  const user = await makeUser('officer', '01');
  const anon = await anonymous(app.server);
  const local = await app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: user.username, password: PASSWORD, next: '/admin/users?page=2', crumb: anon.crumb } });
  t.is(local.headers.location, '/admin/users?page=2');
  const evil = await app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: user.username, password: PASSWORD, next: '//evil.example.com/', crumb: anon.crumb } });
  t.is(evil.headers.location, '/');
});

test.serial('a logged-in user sees their name in the header', async (t) => {
  const user = await makeUser('officer', '01', { fullName: 'Trần Thị Đăng Nhập' });
  const session = await login(app.server, user.username);
  const res = await call(app.server, session, 'GET', '/');
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-testid="user-name">Trần Thị Đăng Nhập</);
  t.regex(res.payload, /Cán bộ|Chuyên viên/);
});

test.serial('logout removes the session row, clears the cookie and later requests go to the login page', async (t) => {
  const admin = await makeUser('admin');
  const session = await login(app.server, admin.username);
  t.is((await call(app.server, session, 'GET', '/admin/users')).statusCode, 200);
  t.is(await Session.count({ where: { userId: admin.id } }), 1);

  const res = await call(app.server, session, 'POST', '/logout', {});
  t.is(res.statusCode, 302);
  t.is(res.headers.location, '/');
  const cleared = setCookies(res).find((c) => c.startsWith('sid='));
  t.truthy(cleared, 'the response clears the sid cookie');
  t.regex(cleared!, /^sid=;|Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  t.is(await Session.count({ where: { userId: admin.id } }), 0);

  const after = await call(app.server, session, 'GET', '/admin/users');
  t.is(after.statusCode, 302, 'the old cookie no longer opens anything');
  t.is(after.headers.location, '/login?next=%2Fadmin%2Fusers');
  const api = await call(app.server, session, 'GET', '/api/me');
  t.is(api.statusCode, 401);
  t.truthy(await AuditEntry.findOne({ where: { action: 'auth.logout', actorId: admin.id } }));
});

test.serial('a wrong password gives a 401 page with a message and no session', async (t) => {
  const user = await makeUser('officer', '01');
  const res = await postLogin(user.username, 'WrongPassword999');
  t.is(res.statusCode, 401);
  t.regex(res.headers['content-type'] as string, /text\/html/);
  t.regex(res.payload, /data-testid="login-error">Tên đăng nhập hoặc mật khẩu không đúng.</);
  t.falsy(setCookies(res).find((c) => /^sid=[^;]/.test(c)));
  t.is(await Session.count({ where: { userId: user.id } }), 0);
  t.is((await lockRow(user.username))!.failures, 1);
});

test.serial('an unknown username gets the same answer as a wrong password', async (t) => {
  const res = await postLogin('nobody.here', 'WrongPassword999');
  t.is(res.statusCode, 401);
  t.regex(res.payload, /Tên đăng nhập hoặc mật khẩu không đúng./);
  t.truthy(await AuditEntry.findOne({ where: { action: 'auth.login.failed', actorName: 'nobody.here' } }));
});

test.serial('an empty login form is a 400 page asking for both fields and keeps where to go next', async (t) => {
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: '', password: '', next: '/admin/users', crumb: anon.crumb } });
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Vui lòng nhập tên đăng nhập và mật khẩu./);
  t.regex(res.payload, /name="next" value="\/admin\/users"/, 'the page asked for is still remembered');
});

test.serial('after LOGIN_MAX_FAILURES wrong passwords the account is locked: 429 even with the right password', async (t) => {
  const user = await makeUser('officer', '01');
  for (let i = 0; i < 3; i++) t.is((await postLogin(user.username, `Wrong${i}Password`)).statusCode, 401);
  const res = await postLogin(user.username, PASSWORD);
  t.is(res.statusCode, 429);
  t.regex(res.payload, /Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút./);
  t.falsy(setCookies(res).find((c) => /^sid=[^;]/.test(c)));
  t.is(await Session.count({ where: { userId: user.id } }), 0);
  t.truthy(await AuditEntry.findOne({ where: { action: 'auth.login.lockout', targetId: String(user.id) } }));
  t.truthy(await AuditEntry.findOne({ where: { action: 'auth.login.locked', targetId: String(user.id) } }));
});

test.serial('fewer wrong passwords than the limit do not lock, and a good login resets the count', async (t) => {
  const user = await makeUser('officer', '01');
  for (let i = 0; i < 2; i++) t.is((await postLogin(user.username, `Wrong${i}Password`)).statusCode, 401);
  t.is((await postLogin(user.username, PASSWORD)).statusCode, 302);
  t.is((await lockRow(user.username))!.failures, 0);
  for (let i = 0; i < 2; i++) t.is((await postLogin(user.username, `Wrong${i}Password`)).statusCode, 401);
  t.is((await postLogin(user.username, PASSWORD)).statusCode, 302, 'two more failures are still below the limit');
});

test.serial('the lock ends when its time is up', async (t) => {
  const user = await makeUser('officer', '01');
  for (let i = 0; i < 3; i++) await postLogin(user.username, `Wrong${i}Password`);
  t.is((await postLogin(user.username, PASSWORD)).statusCode, 429);
  await expireLock(user.username);
  t.is((await postLogin(user.username, PASSWORD)).statusCode, 302);
});

test.serial('a successful login writes an auth.login audit row', async (t) => {
  const user = await makeUser('leader', '01');
  await login(app.server, user.username);
  const row = await AuditEntry.findOne({ where: { action: 'auth.login', actorId: user.id } });
  t.truthy(row);
  t.is(row!.targetId, String(user.id));
});

test.serial('a form POST without the CSRF crumb is refused with 403', async (t) => {
  const admin = await makeUser('admin');
  const session = await login(app.server, admin.username);
  const before = await User.count();
  const res = await app.server.inject({
    method: 'POST', url: '/admin/users/new', headers: { cookie: session.cookie },
    payload: { username: 'csrf.victim', fullName: 'Nạn Nhân CSRF', role: 'officer', orgCode: '01', password: PASSWORD },
  });
  t.is(res.statusCode, 403);
  t.is(await User.count(), before, 'no user was created');
  const wrong = await app.server.inject({
    method: 'POST', url: '/admin/users/new', headers: { cookie: session.cookie },
    payload: { username: 'csrf.victim', fullName: 'Nạn Nhân CSRF', role: 'officer', orgCode: '01', password: PASSWORD, crumb: 'forged-token' },
  });
  t.is(wrong.statusCode, 403);
  t.is(await User.count(), before);
});

test.serial('logout without the CSRF crumb is refused and the session survives', async (t) => {
  const user = await makeUser('officer', '01');
  const session = await login(app.server, user.username);
  const res = await app.server.inject({ method: 'POST', url: '/logout', headers: { cookie: session.cookie }, payload: {} });
  t.is(res.statusCode, 403);
  t.is(await Session.count({ where: { userId: user.id } }), 1);
});

test.serial('an API POST without the x-csrf-token header is refused with a 403 JSON error', async (t) => {
  const user = await makeUser('officer', '01');
  const session = await login(app.server, user.username);
  const missing = await app.server.inject({ method: 'POST', url: '/api/test/echo', headers: { cookie: session.cookie }, payload: { a: 1 } });
  t.is(missing.statusCode, 403);
  t.is((missing.result as Record<string, unknown>).code, 'errors.csrf');
  const wrong = await app.server.inject({ method: 'POST', url: '/api/test/echo', headers: { cookie: session.cookie, 'x-csrf-token': 'forged' }, payload: { a: 1 } });
  t.is(wrong.statusCode, 403);
  const ok = await call(app.server, session, 'POST', '/api/test/echo', { a: 1 });
  t.is(ok.statusCode, 200, 'the same call with the token goes through');
  t.deepEqual(ok.result as Record<string, unknown>, { ok: true, got: { a: 1 } });
});

test.serial('the session cookie is signed: a made-up session id is not accepted', async (t) => {
  const res = await app.server.inject({ method: 'GET', url: '/api/me', headers: { cookie: 'sid=eyJzaWQiOiJmYWtlIn0' } });
  t.is(res.statusCode, 401);
});

test.serial('an expired session no longer logs the user in', async (t) => {
  const user = await makeUser('officer', '01');
  const session = await login(app.server, user.username);
  t.is((await call(app.server, session, 'GET', '/api/me')).statusCode, 200);
  await Session.update({ expiresAt: new Date(Date.now() - 1000) }, { where: { userId: user.id } });
  t.is((await call(app.server, session, 'GET', '/api/me')).statusCode, 401);
  t.is(await Session.count({ where: { userId: user.id } }), 0, 'the expired row is removed');
});

test.serial('a disabled user cannot log in and gets the answer of a wrong password', async (t) => {
  const user = await makeUser('officer', '01');
  await User.update({ status: 'disabled' }, { where: { id: user.id } });
  const res = await postLogin(user.username, PASSWORD);
  t.is(res.statusCode, 401);
  t.regex(res.payload, /data-testid="login-error">Tên đăng nhập hoặc mật khẩu không đúng.</);
  t.falsy(setCookies(res).find((c) => /^sid=[^;]/.test(c)));
});

test.serial('each new lock lasts twice as long as the one before', async (t) => {
  const user = await makeUser('officer', '01');
  for (let i = 0; i < 3; i++) await postLogin(user.username, `Wrong${i}Password`);
  const first = (await lockRow(user.username))!.lockedUntil!.getTime() - Date.now();
  t.true(first > 14 * 60000 && first <= 15 * 60000, `first lock ${first} ms`);
  await expireLock(user.username);
  for (let i = 0; i < 3; i++) await postLogin(user.username, `Wrong${i}Password`);
  const second = (await lockRow(user.username))!.lockedUntil!.getTime() - Date.now();
  t.true(second > 29 * 60000 && second <= 30 * 60000, `second lock ${second} ms`);
  t.regex((await postLogin(user.username, PASSWORD)).payload, /thử lại sau 30 phút/);
});

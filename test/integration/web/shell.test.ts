// The web shell: languages, error pages, health probes, security headers, static files.
import test from 'ava';
import type { ServerInjectResponse } from '@hapi/hapi';
import { startApp, makeUser, login, anonymous, call, type TestApp } from '../../helpers/server.ts';
import { User } from '../../../src/auth/models.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false });
});

test.after.always(async () => {
  await app?.close();
});

function cookieOf(res: ServerInjectResponse, name: string): string | undefined {
  const set = res.headers['set-cookie'];
  return (Array.isArray(set) ? set : set ? [set] : []).find((c) => c.startsWith(`${name}=`));
}

test.serial('the home page is in Vietnamese by default', async (t) => {
  const res = await call(app.server, null, 'GET', '/');
  t.is(res.statusCode, 200);
  t.regex(res.payload, /<html lang="vi">/);
  t.regex(res.payload, /Đăng nhập/);
  t.regex(res.payload, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  t.regex(res.payload, /<a class="skip" href="#main">Chuyển đến nội dung chính<\/a>/);
});

test.serial('POST /lang sets the language cookie and pages then render in English', async (t) => {
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/lang', headers: { cookie: anon.cookie }, payload: { locale: 'en', next: '/register', crumb: anon.crumb } });
  t.is(res.statusCode, 302);
  t.is(res.headers.location, '/register');
  const lang = cookieOf(res, 'lang');
  t.truthy(lang);
  t.regex(lang!, /^lang=en;/);
  t.regex(lang!, /Max-Age=\d{6,}/, 'the choice is remembered for a long time');
  const page = await app.server.inject({ url: '/', headers: { cookie: `${anon.cookie}; lang=en` } });
  t.regex(page.payload, /<html lang="en">/);
  t.regex(page.payload, /Log in/);
  t.regex(page.payload, /Government reporting and administrative procedures/);
  t.regex(page.payload, /aria-label="VI – Chuyển sang tiếng Việt">VI</, 'the switch offers the way back');
  const back = await app.server.inject({ method: 'POST', url: '/lang', headers: { cookie: `${anon.cookie}; lang=en` }, payload: { locale: 'vi', next: '/', crumb: anon.crumb } });
  t.regex(cookieOf(back, 'lang')!, /^lang=vi;/);
});

test.serial('the language switch only redirects to pages of this site', async (t) => {
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/lang', headers: { cookie: anon.cookie }, payload: { locale: 'en', next: 'https://evil.example.com/', crumb: anon.crumb } });
  t.is(res.headers.location, '/');
});

test.serial('an unsupported language is refused', async (t) => {
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/lang', headers: { cookie: anon.cookie }, payload: { locale: 'fr', crumb: anon.crumb } });
  t.is(res.statusCode, 400);
});

test.serial('a logged-in user who switches language keeps it on their account', async (t) => {
  const user = await makeUser('officer');
  const session = await login(app.server, user.username);
  const res = await call(app.server, session, 'POST', '/lang', { locale: 'en', next: '/' });
  t.is(res.statusCode, 302);
  t.is((await User.findByPk(user.id))!.locale, 'en');
  // A new browser without the cookie still gets English after logging in.
  const fresh = await login(app.server, user.username);
  const page = await call(app.server, fresh, 'GET', '/');
  t.regex(page.payload, /<html lang="en">/);
});

test.serial('an unknown page is a 404 page in Vietnamese', async (t) => {
  const res = await call(app.server, null, 'GET', '/khong-co-trang-nay');
  t.is(res.statusCode, 404);
  t.regex(res.headers['content-type'] as string, /text\/html/);
  t.regex(res.payload, /<html lang="vi">/);
  t.regex(res.payload, /<h1>Không tìm thấy trang<\/h1>/);
  t.regex(res.payload, /Về trang chủ/);
});

test.serial('an unknown page is a 404 page in English when English is chosen', async (t) => {
  const res = await app.server.inject({ url: '/no-such-page', headers: { cookie: 'lang=en' } });
  t.is(res.statusCode, 404);
  t.regex(res.payload, /<html lang="en">/);
  t.regex(res.payload, /<h1>Page not found<\/h1>/);
  t.regex(res.payload, /Back to the home page/);
});

test.serial('a 403 page is shown in English when English is chosen', async (t) => {
  const officer = await login(app.server, (await makeUser('officer')).username);
  const res = await app.server.inject({ url: '/admin/users', headers: { cookie: `${officer.cookie}; lang=en` } });
  t.is(res.statusCode, 403);
  t.regex(res.payload, /<h1>Access denied<\/h1>/);
});

test.serial('a 400 page is shown in both languages', async (t) => {
  const admin = await login(app.server, (await makeUser('admin')).username);
  const vi = await call(app.server, admin, 'GET', '/admin/users?page=abc');
  t.is(vi.statusCode, 400);
  t.regex(vi.payload, /<h1>Yêu cầu không hợp lệ<\/h1>/);
  const en = await app.server.inject({ url: '/admin/users?page=abc', headers: { cookie: `${admin.cookie}; lang=en` } });
  t.is(en.statusCode, 400);
  t.regex(en.payload, /<h1>Bad request<\/h1>/);
});

test.serial('an unknown API path is a JSON 404', async (t) => {
  const res = await call(app.server, null, 'GET', '/api/nope');
  t.is(res.statusCode, 404);
  t.regex(res.headers['content-type'] as string, /application\/json/);
  const body = JSON.parse(res.payload);
  t.is(body.statusCode, 404);
  t.is(body.error, 'Not Found');
  t.is(body.code, 'errors.http404');
  t.is(body.message, 'Không tìm thấy trang yêu cầu.');
});

test.serial('a client asking for JSON gets JSON errors outside /api too', async (t) => {
  const res = await app.server.inject({ url: '/nope', headers: { accept: 'application/json' } });
  t.is(res.statusCode, 404);
  t.is(JSON.parse(res.payload).statusCode, 404);
});

test.serial('an unexpected error is a plain 500 that reveals nothing', async (t) => {
  app.server.route({ method: 'GET', path: '/test/boom', options: { plugins: { govflow: { public: true } } }, handler: () => { throw new Error('secret internal detail'); } });
  app.server.route({ method: 'GET', path: '/api/test/boom', options: { plugins: { govflow: { public: true } } }, handler: () => { throw new Error('secret internal detail'); } });
  const page = await call(app.server, null, 'GET', '/test/boom');
  t.is(page.statusCode, 500);
  t.regex(page.payload, /<h1>Lỗi hệ thống<\/h1>/);
  t.false(page.payload.includes('secret internal detail'));
  const api = await call(app.server, null, 'GET', '/api/test/boom');
  t.is(api.statusCode, 500);
  t.deepEqual(JSON.parse(api.payload), { statusCode: 500, error: 'Internal Server Error', message: 'Đã xảy ra lỗi hệ thống. Vui lòng thử lại sau.', code: 'errors.internal' });
});

test.serial('GET /healthz answers 200 while the process is up', async (t) => {
  const res = await call(app.server, null, 'GET', '/healthz');
  t.is(res.statusCode, 200);
  t.deepEqual(JSON.parse(res.payload), { status: 'ok' });
});

test.serial('GET /readyz answers 200 when the database is reachable', async (t) => {
  const res = await call(app.server, null, 'GET', '/readyz');
  t.is(res.statusCode, 200);
  t.deepEqual(JSON.parse(res.payload), { status: 'ready' });
});

test.serial('pages carry the security headers', async (t) => {
  for (const url of ['/', '/login', '/nope']) {
    const res = await call(app.server, null, 'GET', url);
    t.is(res.headers['x-frame-options'], 'DENY', url);
    t.is(res.headers['x-content-type-options'], 'nosniff', url);
    t.regex(res.headers['content-security-policy'] as string, /default-src 'self'/, url);
    t.regex(res.headers['content-security-policy'] as string, /frame-ancestors 'none'/, url);
    t.is(res.headers['referrer-policy'], 'same-origin', url);
  }
});

test.serial('cookies are HttpOnly and SameSite', async (t) => {
  const anon = await app.server.inject('/login');
  t.regex(cookieOf(anon, 'crumb')!, /HttpOnly/);
  t.regex(cookieOf(anon, 'crumb')!, /SameSite=Lax/);
});

test.serial('the stylesheet is served with a long cache lifetime', async (t) => {
  const res = await call(app.server, null, 'GET', '/static/app.css');
  t.is(res.statusCode, 200);
  t.regex(res.headers['content-type'] as string, /text\/css/);
  const cache = res.headers['cache-control'] as string;
  const maxAge = Number(/max-age=(\d+)/.exec(cache)?.[1]);
  t.true(maxAge >= 86400, cache);
  t.regex(cache, /public/);
});

test.serial('a missing static file is a 404 and the folder cannot be escaped', async (t) => {
  t.is((await call(app.server, null, 'GET', '/static/nope.css')).statusCode, 404);
  const res = await call(app.server, null, 'GET', '/static/..%2Fpackage.json');
  t.not(res.statusCode, 200);
});

test.serial('the layout links the stylesheet with a version so a deploy refreshes it', async (t) => {
  const res = await call(app.server, null, 'GET', '/');
  t.regex(res.payload, /<link rel="stylesheet" href="\/static\/app.css\?v=[a-z0-9]+">/);
});

test.serial('loading the stylesheet or a probe leaves the page\'s CSRF cookie alone', async (t) => {
  const anon = await anonymous(app.server);
  for (const url of ['/static/app.css', '/healthz', '/readyz']) {
    const res = await app.server.inject({ url, headers: { cookie: anon.cookie } });
    t.is(cookieOf(res, 'crumb'), undefined, url);
  }
  const form = await app.server.inject({ method: 'POST', url: '/lang', headers: { cookie: anon.cookie }, payload: { locale: 'en', crumb: anon.crumb } });
  t.is(form.statusCode, 302, 'the token of the page still works');
});

test.serial('a logged-in user on an unknown page keeps their header and menu', async (t) => {
  const admin = await login(app.server, (await makeUser('admin', null, { fullName: 'Quản Trị Lạc Đường' })).username);
  const res = await call(app.server, admin, 'GET', '/trang/khong/ton/tai');
  t.is(res.statusCode, 404);
  t.regex(res.payload, /data-testid="user-name">Quản Trị Lạc Đường</);
  t.regex(res.payload, /href="\/admin\/users"/);
});

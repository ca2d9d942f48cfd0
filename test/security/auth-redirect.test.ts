// Open redirects: every `next` the server follows is a path on this server, decided by URL parsing.
import test from 'ava';
import { startApp, makeUser, anonymous, login, call, PASSWORD, type TestApp } from '../helpers/server.ts';
import { safeLocalPath } from '../../src/web/route-helpers.ts';

// Known ways to make a "local-looking" value leave the site (backslashes read as slashes, tabs and
// newlines dropped by URL parsers, dot segments collapsing into `//`, other schemes).
const BYPASSES = [
  '//evil.example', '///evil.example', '/\\evil.example', '/\\/evil.example', '\\\\evil.example', '/\t/evil.example',
  '/\n/evil.example', '/\r\n/evil.example', '/%09/../..//evil.example', '/a/..//evil.example', '/.//evil.example',
  '/%2e%2e//evil.example', 'https://evil.example', 'http:evil.example', 'javascript:alert(1)', ' /evil', '',
  'evil.example', '/\u0000/evil.example', '/\u007f/evil', '/\u0085/evil', '/x\\..\\..\\evil', 'data:text/html,<script>',
];

test('safeLocalPath turns every known bypass into the home page', (t) => {
  for (const next of BYPASSES) t.is(safeLocalPath(next), '/', JSON.stringify(next));
  for (const next of [undefined, null, 42, ['/a'], { href: '/a' }]) t.is(safeLocalPath(next), '/');
});

test('safeLocalPath keeps real local paths with their query and fragment', (t) => {
  t.is(safeLocalPath('/admin/users?page=2'), '/admin/users?page=2');
  t.is(safeLocalPath('/forms/bc-01/fill?period=2025-Q1#muc-2'), '/forms/bc-01/fill?period=2025-Q1#muc-2');
  t.is(safeLocalPath('/tra-cuu?q=%2F%2Fnot-a-host'), '/tra-cuu?q=%2F%2Fnot-a-host');
  t.is(safeLocalPath('/a/./b/../c'), '/a/c', 'dot segments are resolved');
  t.is(safeLocalPath('/thủ-tục'), '/th%E1%BB%A7-t%E1%BB%A5c', 'non-ASCII paths are sent percent-encoded');
});

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false, env: { LOGIN_RATE_PER_USERNAME: '1000', LOGIN_RATE_PER_IP: '1000' } });
});

test.after.always(async () => {
  await app?.close();
});

// Control characters the edge check refuses in a query (all) and in a form body (all but tab and line breaks).
const CONTROL = /[\u0000-\u001F\u007F]/;
const CONTROL_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

test.serial('login never sends the browser to another site, whatever `next` says', async (t) => {
  const user = await makeUser('officer');
  for (const next of BYPASSES) {
    const anon = await anonymous(app.server);
    const res = await app.server.inject({ method: 'POST', url: '/login', headers: { cookie: anon.cookie }, payload: { username: user.username, password: PASSWORD, next, crumb: anon.crumb } });
    // A `next` with control characters is refused at the edge (400) before it could be followed.
    if (CONTROL_TEXT.test(next)) {
      t.is(res.statusCode, 400, JSON.stringify(next));
      continue;
    }
    t.is(res.statusCode, 302, JSON.stringify(next));
    t.is(res.headers.location, '/', JSON.stringify(next));
  }
});

test.serial('the login page of a logged-in user and the language switch follow only local paths', async (t) => {
  const user = await makeUser('officer');
  const session = await login(app.server, user.username);
  for (const next of BYPASSES) {
    const page = await call(app.server, session, 'GET', `/login?next=${encodeURIComponent(next)}`);
    const lang = await call(app.server, session, 'POST', '/lang', { locale: 'en', next });
    if (CONTROL.test(next)) t.is(page.statusCode, 400, `GET /login ${JSON.stringify(next)}`);
    else t.is(page.headers.location, '/', `GET /login ${JSON.stringify(next)}`);
    if (CONTROL_TEXT.test(next)) t.is(lang.statusCode, 400, `POST /lang ${JSON.stringify(next)}`);
    else t.is(lang.headers.location, '/', `POST /lang ${JSON.stringify(next)}`);
  }
  t.is((await call(app.server, session, 'POST', '/lang', { locale: 'vi', next: '/admin/users?page=2' })).headers.location, '/admin/users?page=2');
});

test.serial('the login form carries only a local `next` into its hidden field', async (t) => {
  const res = await app.server.inject(`/login?next=${encodeURIComponent('/\\evil.example')}`);
  t.regex(res.payload, /name="next" value="\/"/);
});

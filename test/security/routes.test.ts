// The security suite generated from the route table: every route against every kind of user, then
// hostile bodies (prototype keys, control characters, deep JSON) against every route that takes input.
import test from 'ava';
import type { ServerInjectResponse } from '@hapi/hapi';
import { startApp, makeUser, login, anonymous, call, type Session, type TestApp } from '../helpers/server.ts';
import { ROUTE_MATRIX, fillPath, type Audience } from './route-matrix.ts';
import type { Role } from '../../src/auth/models.ts';

let app: TestApp;
/** The kinds of caller: each holds one role, some scoped to a province. */
const callers: Array<{ name: string; role: Role | null; username: string; session: Session }> = [];

interface RouteRow {
  method: string;
  path: string;
}
let routes: RouteRow[] = [];
/** HTTP Basic credentials of an API client holding every topic and process, for the machine routes. */
let machineAuth = '';

test.before(async () => {
  app = await startApp();
  const users: Array<[string, Role, string | null]> = [
    ['citizen', 'citizen', null],
    ['officer@01', 'officer', '01'],
    ['officer@79', 'officer', '79'],
    ['leader@01', 'leader', '01'],
    ['designer', 'designer', null],
    ['admin', 'admin', null],
    ['admin@79', 'admin', '79'],
  ];
  for (const [name, role, org] of users) {
    const user = await makeUser(role, org);
    callers.push({ name, role, username: user.username, session: await login(app.server, user.username) });
  }
  const { addApiClient } = await import('../../src/engine-rest/service.ts');
  const issued = await addApiClient({ name: 'security suite', topics: '*', processes: '*' }, null);
  machineAuth = `Basic ${Buffer.from(`${issued.client.id}:${issued.secret}`).toString('base64')}`;
  // Logging out would end the sessions the hostile-body tests reuse.
  routes = app.server.table().map((r) => ({ method: r.method.toUpperCase(), path: r.path }));
});

test.after.always(async () => {
  await app?.close();
});

function isAllowed(audience: Audience, role: Role | null): boolean {
  if (audience === 'public') return true;
  if (role === null || audience === 'machine') return false;
  if (audience === 'any') return true;
  return audience.includes(role);
}

function refusalCode(res: ServerInjectResponse): string | undefined {
  if (res.headers['content-type']?.toString().startsWith('application/json')) return (JSON.parse(res.payload) as { code?: string }).code;
  return /data-code="([^"]*)"/.exec(res.payload)?.[1];
}

function send(session: Session | null, method: string, url: string): Promise<ServerInjectResponse> {
  return call(app.server, session, method, url, method === 'GET' ? undefined : {});
}

test.serial('every route has a row in the route matrix, and every row a route', (t) => {
  const listed = new Set(routes.map((r) => `${r.method} ${r.path}`));
  const missing = [...listed].filter((k) => !Object.hasOwn(ROUTE_MATRIX, k));
  const stale = Object.keys(ROUTE_MATRIX).filter((k) => !listed.has(k));
  t.deepEqual(missing, [], 'routes without a row in test/security/route-matrix.ts');
  t.deepEqual(stale, [], 'rows of test/security/route-matrix.ts without a route');
});

test.serial('anonymous callers are refused on every route that is not public', async (t) => {
  const anon = await anonymous(app.server);
  for (const r of routes) {
    const audience = ROUTE_MATRIX[`${r.method} ${r.path}`];
    if (!audience || audience === 'public') continue;
    const res = await send(anon, r.method, fillPath(r.path));
    const where = `${r.method} ${r.path}`;
    if (audience === 'machine') {
      t.is(res.statusCode, 401, where);
      t.regex(String(res.headers['www-authenticate']), /^Basic /, where);
    } else if (r.path.startsWith('/api/')) t.is(res.statusCode, 401, where);
    else {
      t.is(res.statusCode, 302, where);
      t.regex(String(res.headers.location), /^\/login\?next=/, where);
    }
  }
});

test.serial('every kind of user is refused exactly where the matrix says, and nowhere gets a 5xx', async (t) => {
  for (const c of callers) {
    for (const r of routes) {
      const audience = ROUTE_MATRIX[`${r.method} ${r.path}`];
      if (!audience) continue;
      // Logging out ends the session it is sent with, so it gets a session of its own.
      const session = r.path === '/logout' ? await login(app.server, c.username) : c.session;
      const res = await send(session, r.method, fillPath(r.path));
      const where = `${c.name}: ${r.method} ${r.path} → ${res.statusCode}`;
      t.true(res.statusCode < 500, where);
      if (audience === 'machine') {
        // A session of any role never opens a machine route: it asks for API client credentials.
        t.is(res.statusCode, 401, where);
        continue;
      }
      t.not(res.statusCode, 401, where);
      if (isAllowed(audience, c.role)) t.not(refusalCode(res), 'errors.roleRequired', where);
      else {
        t.is(res.statusCode, 403, where);
        t.is(refusalCode(res), 'errors.roleRequired', where);
      }
    }
  }
});

/** Hostile bodies in the three encodings hapi parses. */
function hostileBodies(): Array<{ label: string; payload: string; type: string }> {
  const boundary = 'govflowboundary';
  const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return [
    { label: 'JSON __proto__', type: 'application/json', payload: '{"__proto__":{"public":true,"polluted":1},"values":{"__proto__":{"polluted":1}}}' },
    { label: 'JSON constructor.prototype', type: 'application/json', payload: '{"constructor":{"prototype":{"public":true,"polluted":1}}}' },
    { label: 'JSON dotted key', type: 'application/json', payload: '{"values":{"__proto__.polluted":1,"constructor.prototype.polluted":1}}' },
    { label: 'urlencoded', type: 'application/x-www-form-urlencoded', payload: '__proto__.public=1&__proto__.polluted=1&constructor.prototype.polluted=1&a[__proto__][polluted]=1&prototype=1' },
    { label: 'multipart', type: `multipart/form-data; boundary=${boundary}`, payload: `${part('__proto__.public', '1')}${part('constructor.prototype.polluted', '1')}${part('__proto__', '1')}--${boundary}--\r\n` },
  ];
}

test.serial('prototype keys in any body or query change nothing and leave every protected route closed', async (t) => {
  const admin = callers.find((c) => c.name === 'admin')!.session;
  const anon = await anonymous(app.server);
  const statuses = new Map<number, number>();
  for (const r of routes.filter((x) => x.path !== '/logout')) {
    for (const session of [admin, anon]) {
      const url = fillPath(r.path);
      const query = `${url}?__proto__.public=1&constructor.prototype.polluted=1&__proto__[polluted]=1`;
      const q = await app.server.inject({ method: r.method, url: query, headers: { cookie: session.cookie, 'x-csrf-token': session.crumb } });
      statuses.set(q.statusCode, (statuses.get(q.statusCode) ?? 0) + 1);
      t.true(q.statusCode < 500, `${r.method} ${query} → ${q.statusCode}`);
      if (r.method === 'GET') continue;
      for (const body of hostileBodies()) {
        const withCrumb = body.type.startsWith('application/x-www-form-urlencoded') ? `${body.payload}&crumb=${session.crumb}` : body.payload;
        const res = await app.server.inject({ method: r.method, url, payload: withCrumb, headers: { 'content-type': body.type, cookie: session.cookie, 'x-csrf-token': session.crumb } });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        t.true(res.statusCode < 500, `${body.label} ${r.method} ${url} → ${res.statusCode}`);
      }
    }
  }
  const probe: Record<string, unknown> = {};
  t.is(probe.public, undefined, 'Object.prototype gained `public`');
  t.is(probe.polluted, undefined, 'Object.prototype gained `polluted`');
  t.deepEqual(Object.getOwnPropertyNames(Object.prototype).filter((k) => ['public', 'polluted', '1'].includes(k)), []);
  // Authorization still holds afterwards.
  t.is((await call(app.server, null, 'GET', '/api/me')).statusCode, 401);
  t.is((await call(app.server, null, 'GET', '/api/audit')).statusCode, 401);
  const officer = callers.find((c) => c.name === 'officer@01')!.session;
  t.is((await call(app.server, officer, 'GET', '/api/audit')).statusCode, 403);
  t.true(statuses.size > 0);
});

test.serial('a prototype key is refused at the edge with a 400 that names the field', async (t) => {
  const admin = callers.find((c) => c.name === 'admin')!.session;
  const res = await app.server.inject({ method: 'POST', url: '/api/engine/lint', payload: '{"xml":"<x/>","values":{"constructor.prototype.public":1}}', headers: { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': admin.crumb } });
  t.is(res.statusCode, 400);
  const body = JSON.parse(res.payload) as { details: Array<{ field: string; type: string; message: string }> };
  t.is(body.details[0].type, 'forbiddenKey');
  t.is(body.details[0].field, 'values.constructor.prototype.public');
  t.regex(body.details[0].message, /không được phép/);
});

test.serial('NUL and control characters in ids, queries and bodies are a 400 on every route, never a 500', async (t) => {
  const admin = callers.find((c) => c.name === 'admin')!.session;
  const anon = await anonymous(app.server);
  for (const r of routes.filter((x) => x.path !== '/logout')) {
    for (const session of [admin, anon]) {
      const audience = ROUTE_MATRIX[`${r.method} ${r.path}`];
      const mayPass = audience === 'public' || (session === admin && audience !== 'machine');
      if (r.path.includes('{')) {
        const res = await send(session, r.method, fillPath(r.path, 'a\u0000b'));
        t.true(res.statusCode < 500, `param NUL ${r.method} ${r.path} → ${res.statusCode}`);
        if (mayPass && res.statusCode !== 404) t.is(res.statusCode, 400, `param NUL ${r.method} ${r.path}`);
      }
      const q = await send(session, r.method, `${fillPath(r.path)}?q=a%00b&search=%1B`);
      t.true(q.statusCode < 500, `query NUL ${r.method} ${r.path} → ${q.statusCode}`);
      if (mayPass && r.method === 'GET' && q.statusCode !== 404) t.is(q.statusCode, 400, `query NUL ${r.method} ${r.path}`);
      if (r.method === 'GET') continue;
      const json = await app.server.inject({ method: r.method, url: fillPath(r.path), payload: JSON.stringify({ username: 'a\u0000b', name: 'x\u0007' }), headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.crumb } });
      t.true(json.statusCode < 500, `body NUL ${r.method} ${r.path} → ${json.statusCode}`);
      const form = await app.server.inject({ method: r.method, url: fillPath(r.path), payload: `username=a%00b&password=x&crumb=${session.crumb}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie } });
      t.true(form.statusCode < 500, `form NUL ${r.method} ${r.path} → ${form.statusCode}`);
    }
  }
  const loginNul = await app.server.inject({ method: 'POST', url: '/login', payload: `username=adm%00in&password=x&crumb=${anon.crumb}`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: anon.cookie } });
  t.is(loginNul.statusCode, 400);
  t.regex(loginNul.payload, /ký tự điều khiển/);
});

test.serial('10,000-deep JSON is a 400 on every route that takes a body, and the server stays up', async (t) => {
  const admin = callers.find((c) => c.name === 'admin')!.session;
  const deep = `{"xml":"<x/>","variables":${'['.repeat(10000)}${']'.repeat(10000)}}`;
  for (const r of routes.filter((x) => x.path !== '/logout')) {
    if (r.method === 'GET') continue;
    const isMachine = ROUTE_MATRIX[`${r.method} ${r.path}`] === 'machine';
    const auth = isMachine ? { authorization: machineAuth } : { cookie: admin.cookie, 'x-csrf-token': admin.crumb };
    const res = await app.server.inject({ method: r.method, url: fillPath(r.path), payload: deep, headers: { 'content-type': 'application/json', ...auth } });
    t.true(res.statusCode < 500, `${r.method} ${r.path} → ${res.statusCode}`);
    // A page route checks its form token first (a JSON body carries none): 403 there.
    const expected = r.path.startsWith('/api/') ? [400] : [400, 403];
    if (res.statusCode !== 404 && res.statusCode !== 415) t.true(expected.includes(res.statusCode), `${r.method} ${r.path} → ${res.statusCode}`);
  }
  t.is((await app.server.inject('/healthz')).statusCode, 200);
});

test.serial('text beyond the edge limit is refused with the limit named', async (t) => {
  const admin = callers.find((c) => c.name === 'admin')!.session;
  const res = await call(app.server, admin, 'POST', '/api/engine/messages', { name: 'x'.repeat(100_001) });
  t.is(res.statusCode, 400);
  const body = JSON.parse(res.payload) as { details: Array<{ type: string; message: string }> };
  t.is(body.details[0].type, 'textTooLong');
  t.regex(body.details[0].message, /100000/);
});

test.serial('JSON error responses carry the content security policy too', async (t) => {
  const res = await call(app.server, null, 'GET', '/api/me');
  t.is(res.statusCode, 401);
  t.regex(String(res.headers['content-security-policy']), /default-src 'self'/);
});

test.serial('a static file name longer than any asset is a 400, not a file-system error', async (t) => {
  const res = await call(app.server, null, 'GET', `/static/${'x'.repeat(5000)}`);
  t.is(res.statusCode, 400);
  t.is((await call(app.server, null, 'GET', '/static/app.css')).statusCode, 200);
});

test.serial('process variables larger than the engine accepts are a 400 naming the limit', async (t) => {
  const admin = callers.find((c) => c.name === 'admin')!.session;
  const variables = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`v${i}`, 'x'.repeat(9000)]));
  const res = await call(app.server, admin, 'POST', '/api/engine/processes/sample-approval/start', { orgCode: '01', variables });
  t.is(res.statusCode, 400);
  const body = JSON.parse(res.payload) as { details: Array<{ type: string; message: string }> };
  t.is(body.details[0].type, 'variables.tooLarge');
  t.regex(body.details[0].message, /262144/);
});

test.serial('machine routes take only API client credentials, and with them hostile input is a 400, never a 500', async (t) => {
  const machineRoutes = routes.filter((r) => ROUTE_MATRIX[`${r.method} ${r.path}`] === 'machine');
  t.true(machineRoutes.length >= 8);
  const admin = callers.find((c) => c.name === 'admin')!.session;
  const [id] = Buffer.from(machineAuth.slice(6), 'base64').toString().split(':');
  const wrong = `Basic ${Buffer.from(`${id}:not-the-secret`).toString('base64')}`;
  for (const r of machineRoutes) {
    const url = fillPath(r.path);
    const where = `${r.method} ${r.path}`;
    // A wrong secret, or an admin's session with its CSRF token, is a 401 with the Basic challenge.
    for (const headers of [{ authorization: wrong }, { cookie: admin.cookie, 'x-csrf-token': admin.crumb }]) {
      const res = await app.server.inject({ method: r.method, url, payload: {}, headers });
      t.is(res.statusCode, 401, where);
      t.is(JSON.parse(res.payload).type, 'AuthenticationException', where);
    }
    const ok = await app.server.inject({ method: r.method, url, payload: {}, headers: { authorization: machineAuth } });
    t.true(ok.statusCode < 500 && ok.statusCode !== 401 && ok.statusCode !== 403, `${where} → ${ok.statusCode}`);
    t.is(ok.headers['content-type'], ok.statusCode === 204 ? undefined : 'application/json', where);
    for (const body of hostileBodies()) {
      const res = await app.server.inject({ method: r.method, url, payload: body.payload, headers: { 'content-type': body.type, authorization: machineAuth } });
      t.true(res.statusCode === 400 || res.statusCode === 415, `${body.label} ${where} → ${res.statusCode}`);
    }
    if (r.path.includes('{')) {
      const res = await app.server.inject({ method: r.method, url: fillPath(r.path, 'a\u0000b'), payload: {}, headers: { authorization: machineAuth } });
      t.is(res.statusCode, 400, `param NUL ${where}`);
    }
    const q = await app.server.inject({ method: r.method, url: `${url}?q=a%00b`, payload: {}, headers: { authorization: machineAuth } });
    t.is(q.statusCode, 400, `query NUL ${where}`);
  }
  const probe: Record<string, unknown> = {};
  t.is(probe.polluted, undefined);
});

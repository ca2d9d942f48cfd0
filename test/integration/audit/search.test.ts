// The admin's audit screen and API: filters by actor, org, action, target and Vietnam-time dates,
// newest first, paged, and for system-wide administrators only.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { appendAudit } from '../../../src/audit/service.ts';
import { toVnIso } from '../../../src/time.ts';

let app: TestApp;
let admin: Session;
let officer: Session;
let scopedAdmin: Session;
let officerId: number;

type Row = { seq: number; at: string; actor: { username: string } | null; org: string | null; action: string; target: { type: string; id: string } | null };
const api = async (query: string) => {
  const res = await call(app.server, admin, 'GET', `/api/audit?${query}`);
  return { status: res.statusCode, body: JSON.parse(res.payload) as { total: number; page: number; rows: Row[] } };
};
/** A Vietnam calendar date, `days` from today. */
const vnDay = (days: number) => toVnIso(Date.now() + days * 86400000)!.slice(0, 10);

test.before(async () => {
  app = await startApp({ orgs: true });
  const a = await makeUser('admin', null, { username: 'audit.admin' });
  const o = await makeUser('officer', '01', { username: 'audit.officer' });
  await makeUser('admin', '01', { username: 'audit.scoped' });
  officerId = o.id;
  admin = await login(app.server, a.username);
  officer = await login(app.server, o.username);
  scopedAdmin = await login(app.server, 'audit.scoped');
  // The officer's own actions carry their unit's code.
  await call(app.server, officer, 'POST', '/logout', {});
  officer = await login(app.server, o.username);
  for (let i = 0; i < 60; i++) await appendAudit({ username: 'batch.job' }, { action: 'test.batch', targetType: 'report', targetId: i, detail: { i } });
});
test.after.always(async () => {
  await app?.close();
});

test('the audit page lists entries newest first with times in Vietnam time', async (t) => {
  const res = await call(app.server, admin, 'GET', '/admin/audit');
  t.is(res.statusCode, 200);
  const seqs = [...res.payload.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));
  t.is(seqs.length, 50);
  t.deepEqual(seqs, [...seqs].sort((a, b) => b - a));
  t.regex(res.payload, /<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00">\d\d\/\d\d\/\d{4} \d\d:\d\d<\/time>/);
  const { body } = await api('');
  t.regex(body.rows[0].at, /\+07:00$/);
});

test('the audit page pages through results and keeps the filters in the pager links', async (t) => {
  const first = await call(app.server, admin, 'GET', '/admin/audit?action=test.batch');
  t.regex(first.payload, /href="\?action=test\.batch&amp;page=2" rel="next"/);
  const second = await call(app.server, admin, 'GET', '/admin/audit?action=test.batch&page=2');
  const seqs = [...second.payload.matchAll(/<tr data-seq="(\d+)">/g)];
  t.is(seqs.length, 10);
  t.regex(second.payload, /rel="prev"/);
});

test('searching by actor shows only that user\'s actions', async (t) => {
  const { body } = await api('actor=audit.officer');
  t.true(body.total >= 3);
  t.true(body.rows.every((r) => r.actor?.username === 'audit.officer'));
  const page = await call(app.server, admin, 'GET', '/admin/audit?actor=audit.officer');
  t.notRegex(page.payload, /batch\.job/);
  t.regex(page.payload, /auth\.logout/);
  // Each actor, unit, action and target in the table is itself a search link.
  t.regex(page.payload, /<a href="\/admin\/audit\?actor=audit\.officer">audit\.officer<\/a>/);
  t.regex(page.payload, new RegExp(`<a href="/admin/audit\\?target=user%3A${officerId}">user:${officerId}</a>`));
});

test('searching by org shows only actions by people of that unit', async (t) => {
  const { body } = await api('org=01');
  t.true(body.total >= 1);
  t.true(body.rows.every((r) => r.org === '01'));
  t.true(body.rows.some((r) => r.action === 'auth.logout'));
});

test('searching by action matches its prefix', async (t) => {
  const { body } = await api('action=auth.');
  t.true(body.total >= 4);
  t.true(body.rows.every((r) => r.action.startsWith('auth.')));
  t.is((await api('action=test.batch')).body.total, 60);
});

test('searching by target type and id finds the rows about that object', async (t) => {
  const { body } = await api(`target=user:${officerId}`);
  t.true(body.total >= 2);
  t.true(body.rows.every((r) => r.target?.type === 'user' && r.target.id === String(officerId)));
  t.is((await api('target=report')).body.total, 60);
  t.is((await api('target=report:7')).body.total, 1);
});

test('the date range is read in Vietnam time and includes the whole last day', async (t) => {
  const all = (await api('')).body.total;
  t.is((await api(`from=${vnDay(0)}&to=${vnDay(0)}`)).body.total, all);
  t.is((await api(`from=${vnDay(1)}`)).body.total, 0);
  t.is((await api(`to=${vnDay(-1)}`)).body.total, 0);
  const page = await call(app.server, admin, 'GET', `/admin/audit?from=${vnDay(1)}`);
  t.regex(page.payload, /data-testid="audit-empty"/);
});

test('a malformed filter is refused with 400', async (t) => {
  t.is((await api('from=23/11/2026')).status, 400);
  t.is((await api('target=has space')).status, 400);
});

test('only a system-wide administrator may read the audit log', async (t) => {
  t.is((await call(app.server, officer, 'GET', '/admin/audit')).statusCode, 403);
  t.is((await call(app.server, officer, 'GET', '/api/audit')).statusCode, 403);
  t.is((await call(app.server, scopedAdmin, 'GET', '/admin/audit')).statusCode, 403);
  t.is((await call(app.server, scopedAdmin, 'GET', '/admin/audit/verify')).statusCode, 403);
  t.regex((await call(app.server, admin, 'GET', '/')).payload, /href="\/admin\/audit"/);
  t.notRegex((await call(app.server, officer, 'GET', '/')).payload, /href="\/admin\/audit"/);
});

test('the verify button reports an intact chain with the number of rows checked', async (t) => {
  const res = await call(app.server, admin, 'GET', '/admin/audit/verify');
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-testid="verify-result" data-ok="true"/);
  const json = JSON.parse((await call(app.server, admin, 'GET', '/api/audit/verify')).payload);
  t.true(json.ok);
  t.true(json.rows > 60);
});

// `govflow audit verify` as an operator runs it: a real subprocess on the test database, exiting 0 on an
// intact log and 1 with the broken row's number after someone edits or deletes rows with raw SQL.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { appendAudit } from '../../../src/audit/service.ts';
import { db } from '../../../src/store/index.ts';

let app: TestApp;
let admin: Session;

/** Runs the CLI against the test database. */
const govflow = (...args: string[]) => govflowCli(app.db, args);

test.before(async () => {
  app = await startApp({ orgs: false });
  const u = await makeUser('admin', null, { username: 'verify.admin' });
  admin = await login(app.server, u.username);
  for (let i = 1; i <= 8; i++) await appendAudit({ username: 'clerk' }, { action: 'test.step', targetType: 'report', targetId: i, detail: { i } });
});
test.after.always(async () => {
  await app?.close();
});

test.serial('audit verify exits 0 and counts the rows of an intact log', async (t) => {
  const r = await govflow('audit', 'verify');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /audit log intact: \d+ rows/);
});

test.serial('audit verify exits 1 and names the row whose detail was changed with raw SQL', async (t) => {
  const [[row]] = (await db().query("SELECT seq, detail FROM audit_log WHERE action = 'test.step' AND target_id = '4'")) as unknown as [[{ seq: number; detail: string }]];
  await db().query(`UPDATE audit_log SET detail = '{"i":400}' WHERE seq = ${Number(row.seq)}`);
  const r = await govflow('audit', 'verify');
  t.is(r.code, 1);
  t.regex(r.stdout, new RegExp(`BROKEN at row ${Number(row.seq)} \\(altered\\)`));
  const page = await call(app.server, admin, 'GET', '/admin/audit/verify');
  t.regex(page.payload, new RegExp(`data-ok="false" data-seq="${Number(row.seq)}"`));
  // Put the row back as it was, so the next check starts from an intact log.
  await db().query(`UPDATE audit_log SET detail = '${row.detail}' WHERE seq = ${Number(row.seq)}`);
  t.is((await govflow('audit', 'verify')).code, 0);
});

test.serial('audit verify exits 1 and names the missing row after a middle row is deleted', async (t) => {
  const [[row]] = (await db().query("SELECT seq FROM audit_log WHERE action = 'test.step' AND target_id = '6'")) as unknown as [[{ seq: number }]];
  await db().query(`DELETE FROM audit_log WHERE seq = ${Number(row.seq)}`);
  const r = await govflow('audit', 'verify');
  t.is(r.code, 1);
  t.regex(r.stdout, new RegExp(`BROKEN at row ${Number(row.seq)} \\(deleted\\)`));
  const api = JSON.parse((await call(app.server, admin, 'GET', '/api/audit/verify')).payload);
  t.like(api, { ok: false, problem: { seq: Number(row.seq), kind: 'deleted' } });
});

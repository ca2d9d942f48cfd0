// `govflow notify test ADDRESS` queues a test e-mail through the outbox; with --wait it is delivered
// to the SMTP server by the command itself.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { startSmtp, type TestSmtp } from '../../helpers/notify-smtp.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';

let database: TestDb;
let smtp: TestSmtp;

test.before(async () => {
  smtp = await startSmtp();
  database = await freshDb();
});

test.after.always(async () => {
  await smtp?.stop();
  await database?.cleanup();
});

test.serial('notify test queues a test e-mail in the outbox', async (t) => {
  const r = await govflowCli(database, ['notify', 'test', 'quan.tri@govflow.test'], { SMTP_URL: smtp.url });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /queued message \d+ to quan.tri@govflow.test/);
  const m = await NotifyMessage.findOne({ where: { recipient: 'quan.tri@govflow.test' } });
  t.is(m?.status, 'created');
  t.is(m?.event, 'test');
});

test.serial('notify test --wait delivers the e-mail and says so', async (t) => {
  const r = await govflowCli(database, ['notify', 'test', 'thu.nghiem@govflow.test', '--wait'], { SMTP_URL: smtp.url });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /delivered/);
  const got = smtp.received.filter((m) => m.to.includes('thu.nghiem@govflow.test'));
  t.is(got.length, 1);
  t.is(got[0].subject, 'Thư thử nghiệm từ hệ thống govflow');
});

test.serial('notify test --wait exits 1 when the server refuses the address', async (t) => {
  smtp.refuse = () => 550;
  const r = await govflowCli(database, ['notify', 'test', 'sai@govflow.test', '--wait'], { SMTP_URL: smtp.url });
  smtp.refuse = () => null;
  t.is(r.code, 1);
  t.regex(r.stdout, /permanent-failure/);
});

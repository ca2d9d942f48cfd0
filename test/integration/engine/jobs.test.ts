// The job table for every domain: registered kinds, leases that keep two workers off one job,
// a crashed worker's job taken over when its lease expires, and retries with back-off.
import test from 'ava';
import { engineDb, sleep } from '../../processes/support.ts';
import { enqueueJob, runDueJobs, registerJobKind, retryFailedJob } from '../../../src/engine/service.ts';
import { claimJobs, runJob } from '../../../src/engine/jobs.ts';
import { EngineJob } from '../../../src/engine/models.ts';
import type { TestDb } from '../../helpers/db.ts';

let db: TestDb;
const seen: unknown[] = [];
let failures = 0;
test.before(async () => {
  db = await engineDb({ JOB_LEASE_MS: '300' });
  registerJobKind('test.remind', ({ payload }) => {
    seen.push(payload);
  });
  registerJobKind('test.flaky', () => {
    failures++;
    throw new Error('mail server down');
  });
});
test.after.always(async () => db?.cleanup());

test.serial('a due job of a registered kind runs once and is removed', async (t) => {
  await enqueueJob('test.remind', { to: 'lan' }, new Date(Date.now() - 10));
  await enqueueJob('test.remind', { to: 'later' }, new Date(Date.now() + 60000));
  t.is(await runDueJobs('node-a'), 1);
  t.deepEqual(seen, [{ to: 'lan' }]);
  t.is(await EngineJob.count({ where: { kind: 'test.remind' } }), 1);
});

test.serial('two workers never hold the same job, and an expired lease is taken over', async (t) => {
  await EngineJob.destroy({ where: {} });
  for (let i = 0; i < 10; i++) await enqueueJob('test.remind', { i }, new Date(Date.now() - 10));
  const [a, b] = await Promise.all([claimJobs(6, 'node-a'), claimJobs(6, 'node-b')]);
  const ids = [...a, ...b].map((j) => j.id);
  t.is(new Set(ids).size, ids.length);
  t.is(ids.length, 10);
  // node-a dies holding its jobs; after the lease they are claimed again by node-c.
  t.is((await claimJobs(10, 'node-c')).length, 0);
  await sleep(350);
  const taken = await claimJobs(10, 'node-c');
  t.is(taken.length, 10);
});

test.serial('a failing job is retried later and counts its attempts', async (t) => {
  await EngineJob.destroy({ where: {} });
  await enqueueJob('test.flaky', {}, new Date(Date.now() - 10));
  const [job] = await claimJobs(1, 'node-a');
  await runJob(job);
  const row = (await EngineJob.findByPk(job.id))!;
  t.is(failures, 1);
  t.is(row.attempts, 1);
  t.is(row.status, 'pending');
  t.true(row.runAt.getTime() > Date.now() + 1000);
  t.regex(row.lastError ?? '', /mail server down/);
});

test.serial('a job that failed five times stays as failed until an admin puts it back', async (t) => {
  await EngineJob.destroy({ where: {} });
  const id = await enqueueJob('test.flaky', {}, new Date(Date.now() - 10));
  await EngineJob.update({ attempts: 4 }, { where: { id } });
  const [job] = await claimJobs(1, 'node-a');
  await runJob(job);
  t.is((await EngineJob.findByPk(id))!.status, 'failed');
  t.true(await retryFailedJob(id));
  const row = (await EngineJob.findByPk(id))!;
  t.is(row.status, 'pending');
  t.is(row.attempts, 0);
  t.false(await retryFailedJob(id));
});

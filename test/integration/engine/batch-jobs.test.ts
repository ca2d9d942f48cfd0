// Batch-capable job kinds: the due jobs of such a kind reach its handler together (also ones a claim of
// other kinds left behind), at most `max` at a time; a job the batch reports failed is retried alone
// later, and a batch call that throws is run one job at a time, so no job is lost or run twice.
import test from 'ava';
import { engineDb } from '../../processes/support.ts';
import { enqueueJob, registerBatchJobKind, registerJobKind, runDueJobs } from '../../../src/engine/service.ts';
import { EngineJob } from '../../../src/engine/models.ts';
import type { TestDb } from '../../helpers/db.ts';

let db: TestDb;
/** The payloads each call of the batch handler received. */
const batches: number[][] = [];
/** The payloads run one by one. */
const singles: number[] = [];
/** Payloads the batch handler reports failed; payloads that make it throw. */
const failing = new Set<number>();
const poison = new Set<number>();
const others: number[] = [];

test.before(async () => {
  db = await engineDb();
  registerBatchJobKind('test.batched', ({ payload }) => {
    const n = (payload as { n: number }).n;
    if (failing.has(n) || poison.has(n)) throw new Error(`item ${n} cannot run`);
    singles.push(n);
  }, {
    max: 20,
    async runMany(jobs) {
      const ns = jobs.map((j) => (j.payload as { n: number }).n);
      if (ns.some((n) => poison.has(n))) throw new Error('the whole batch failed');
      batches.push(ns);
      return new Map(jobs.filter((j) => failing.has((j.payload as { n: number }).n)).map((j) => [j.id, new Error('item refused')]));
    },
  });
  registerJobKind('test.other', ({ payload }) => {
    others.push((payload as { n: number }).n);
  });
});
test.after.always(async () => db?.cleanup());

function reset() {
  batches.length = 0;
  singles.length = 0;
  others.length = 0;
  failing.clear();
  poison.clear();
}

const past = () => new Date(Date.now() - 1000);

test.serial('due jobs of a batch kind reach the handler together, at most max per call, beside jobs of other kinds', async (t) => {
  reset();
  // Interleaved with other kinds, so the worker's first claim of 50 holds only some of them.
  for (let i = 0; i < 45; i++) {
    await enqueueJob('test.batched', { n: i }, past());
    await enqueueJob('test.other', { n: i }, past());
  }
  t.is(await runDueJobs('node-a'), 90);
  t.deepEqual(batches.flat().sort((a, b) => a - b), Array.from({ length: 45 }, (_, i) => i));
  t.true(batches.every((b) => b.length <= 20));
  t.true(batches.length <= 4);
  t.deepEqual(singles, []);
  t.is(others.length, 45);
  t.is(await EngineJob.count(), 0);
});

test.serial('a job the batch reports failed is retried later with its attempt counted; the others are removed', async (t) => {
  reset();
  failing.add(2);
  for (let i = 0; i < 5; i++) await enqueueJob('test.batched', { n: i }, past());
  await runDueJobs('node-a');
  t.deepEqual(batches, [[0, 1, 2, 3, 4]]);
  const left = await EngineJob.findAll();
  t.is(left.length, 1);
  t.deepEqual(JSON.parse(left[0].payload!), { n: 2 });
  t.is(left[0].attempts, 1);
  t.is(left[0].status, 'pending');
  t.regex(left[0].lastError ?? '', /item refused/);
  t.true(left[0].runAt.getTime() > Date.now());
  await EngineJob.destroy({ where: {} });
});

test.serial('a batch call that throws runs each of its jobs alone, and only the failing one stays', async (t) => {
  reset();
  poison.add(3);
  for (let i = 0; i < 6; i++) await enqueueJob('test.batched', { n: i }, past());
  await runDueJobs('node-a');
  t.deepEqual(batches, []);
  t.deepEqual(singles, [0, 1, 2, 4, 5]);
  const left = await EngineJob.findAll();
  t.deepEqual(left.map((j) => JSON.parse(j.payload!)), [{ n: 3 }]);
  t.is(left[0].attempts, 1);
  await EngineJob.destroy({ where: {} });
});

test.serial('jobs another node holds under a live lease are not taken into a batch', async (t) => {
  reset();
  for (let i = 0; i < 4; i++) await enqueueJob('test.batched', { n: i }, past());
  const [held] = await EngineJob.findAll({ order: [['id', 'ASC']], limit: 1 });
  await held.update({ leaseOwner: 'node-b#1', leaseUntil: new Date(Date.now() + 60_000) });
  await runDueJobs('node-a');
  t.deepEqual(batches, [[1, 2, 3]]);
  t.deepEqual((await EngineJob.findAll()).map((j) => j.id), [held.id]);
  await EngineJob.destroy({ where: {} });
});

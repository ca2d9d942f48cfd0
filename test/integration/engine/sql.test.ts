// The engine's transactions of queued statements: all or nothing, and a guarded write that finds
// nothing to change fails the whole transaction with its own conflict (on MariaDB the guard travels
// inside the batch; the answer must be the same).
import test from 'ava';
import crypto from 'node:crypto';
import { engineDb } from '../../processes/support.ts';
import type { TestDb } from '../../helpers/db.ts';
import { withTx, selectRows, dbTime, insertRows } from '../../../src/engine/sql.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

const historyOf = (instanceId: string) => selectRows<{ event: string }>('SELECT event FROM engine_history WHERE instance_id = ? ORDER BY id', [instanceId]);
const addHistory = (tx: Parameters<Parameters<typeof withTx>[0]>[0], instanceId: string, event: string) =>
  insertRows(tx, 'engine_history', ['instance_id', 'event', 'at'], [[instanceId, event, dbTime(new Date())]]);

async function seedJob(): Promise<number> {
  const [row] = await withTx(async (tx) => {
    const r = await tx.run("INSERT INTO engine_jobs (kind, run_at, status, attempts, created_at) VALUES ('test.kind', ?, 'pending', 0, ?)", [dbTime(new Date()), dbTime(new Date())]);
    return [r.insertId];
  });
  return row;
}

test.serial('queued statements and passing guards commit together, and queued results arrive after the commit', async (t) => {
  const id = crypto.randomUUID();
  const job = await seedJob();
  const out = await withTx(async (tx) => {
    addHistory(tx, id, 'one');
    void tx.expectOne("UPDATE engine_jobs SET attempts = attempts + 1 WHERE id = ? AND status = 'pending'", [job], () => new Error('first'));
    addHistory(tx, id, 'two');
    return { rows: tx.queueRows<{ attempts: number }>('SELECT attempts FROM engine_jobs WHERE id = ?', [job]) };
  });
  t.deepEqual((await out.rows).map((r) => Number(r.attempts)), [1]);
  t.deepEqual((await historyOf(id)).map((r) => r.event), ['one', 'two']);
});

test.serial('a guard that changes no row fails the transaction with its own conflict and nothing of it stays', async (t) => {
  const id = crypto.randomUUID();
  const job = await seedJob();
  const err = await t.throwsAsync(withTx(async (tx) => {
    addHistory(tx, id, 'before');
    void tx.expectOne("UPDATE engine_jobs SET attempts = attempts + 1 WHERE id = ? AND status = 'pending'", [job], () => new Error('first guard'));
    void tx.expectOne("UPDATE engine_jobs SET attempts = attempts + 1 WHERE id = ? AND status = 'failed'", [job], () => new Error('second guard'));
    addHistory(tx, id, 'after');
    return null;
  }));
  t.is(err?.message, 'second guard');
  t.deepEqual(await historyOf(id), []);
  const [row] = await selectRows<{ attempts: number }>('SELECT attempts FROM engine_jobs WHERE id = ?', [job]);
  t.is(Number(row.attempts), 0);
});

test.serial('a failing statement rolls back the statements queued before it', async (t) => {
  const id = crypto.randomUUID();
  await t.throwsAsync(withTx(async (tx) => {
    addHistory(tx, id, 'kept?');
    void tx.queue('INSERT INTO engine_history (instance_id, event, at) VALUES (?, NULL, ?)', [id, dbTime(new Date())]);
    return null;
  }));
  t.deepEqual(await historyOf(id), []);
});

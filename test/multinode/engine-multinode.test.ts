// Three `govflow serve` processes on one MariaDB fire 500 short timers while one of them is killed
// with SIGKILL mid-run: every timer fires exactly once and no instance is lost or stuck.
// It needs MariaDB/MySQL; the test runner runs test/multinode/ only in its MariaDB pass.
import test from 'ava';
import { Op, QueryTypes } from 'sequelize';
import { dialect, freshDb, type TestDb } from '../helpers/db.ts';
import { ServeNodes, START_TIMEOUT_MS } from '../helpers/serve-nodes.ts';
import { bpmn } from '../processes/support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { EngineInstance, EngineJob } from '../../src/engine/models.ts';
import { db } from '../../src/store/index.ts';

const N = 500;

let database: TestDb;
const nodes = new ServeNodes();

/** A node with short polls and leases, so a killed node's timers are taken over quickly. */
function serve(name: string) {
  return nodes.serve(database, name, { JOB_POLL_MS: '50', JOB_LEASE_MS: '2000' });
}

test.before(async () => {
  if (dialect !== 'mysql') throw new Error('the multi-node test needs GOVFLOW_TEST_DIALECT=mysql and TEST_DATABASE_URL');
  database = await freshDb();
  await deployDefinition(bpmn('Process_multinode', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Timer_wait"/>
    <intermediateCatchEvent id="Timer_wait" name="Chờ"><timerEventDefinition><timeDuration>=delay</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="Flow_2" sourceRef="Timer_wait" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});

test.after.always(async () => {
  nodes.killAll();
  await database?.cleanup();
});

test.serial('500 timers on three nodes fire exactly once when one node is killed mid-run', async (t) => {
  t.timeout(START_TIMEOUT_MS + 300000);
  await Promise.all(['node-a', 'node-b', 'node-c'].map((name) => serve(name)));
  // The scenario's own time starts once the nodes listen.
  t.timeout(300000);
  // Timers due 2–6 s after each start, so firing overlaps starting and the kill.
  let killed = false;
  for (let i = 0; i < N; i++) {
    await startProcess('Process_multinode', { businessKey: `M-${i}`, variables: { delay: `PT${(2 + (i % 40) / 10).toFixed(1)}S` } });
    if (!killed && i > N / 3 && (await EngineInstance.count({ where: { status: 'completed' } })) > 30) {
      nodes.children[0].kill('SIGKILL');
      killed = true;
    }
  }
  if (!killed) nodes.children[0].kill('SIGKILL');
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const open = await EngineInstance.count({ where: { status: 'active' } });
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const completed = await EngineInstance.count({ where: { status: 'completed' } });
  if (completed !== N) {
    t.log(`node logs:\n${nodes.lastLogs(40)}`);
    t.log(`jobs left: ${JSON.stringify(await EngineJob.findAll({ limit: 5, raw: true }))}`);
    t.log(`node exits: ${nodes.children.map((n) => `${n.exitCode}/${n.signalCode}`).join(', ')}`);
  }
  t.is(completed, N);
  t.is(await EngineInstance.count(), N);
  const fired = await db().query<{ n: number; c: number }>(
    "SELECT COUNT(*) AS c FROM (SELECT instance_id, COUNT(*) AS n FROM engine_history WHERE event = 'timer' GROUP BY instance_id HAVING n = 1) x",
    { type: QueryTypes.SELECT },
  );
  t.is(Number(fired[0].c), N, 'every instance has exactly one timer firing');
  // Only the recurring admin-alert check of the notification service may stay scheduled.
  t.is(await EngineJob.count({ where: { kind: { [Op.ne]: 'notify.alerts' } } }), 0);
});

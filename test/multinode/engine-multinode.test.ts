// Three `govflow serve` processes on one MariaDB fire 500 short timers while one of them is killed
// with SIGKILL mid-run: every timer fires exactly once and no instance is lost or stuck.
// It needs MariaDB/MySQL; the test runner runs test/multinode/ only in its MariaDB pass.
import test from 'ava';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Op, QueryTypes } from 'sequelize';
import { dialect, freshDb, type TestDb } from '../helpers/db.ts';
import { repoRoot } from '../helpers/server.ts';
import { bpmn } from '../processes/support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { EngineInstance, EngineJob } from '../../src/engine/models.ts';
import { db } from '../../src/store/index.ts';

const N = 500;

let database: TestDb;
const nodes: ChildProcess[] = [];
/** What the nodes wrote to stderr, shown when the test fails. */
const nodeLogs: string[] = [];

function serve(name: string, url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/govflow.js'), 'serve'], {
    cwd: repoRoot,
    env: {
      ...process.env, NODE_ENV: 'production', SECRET: 'multinode-secret-'.padEnd(48, 'x'), AUDIT_KEYS: database.config.auditKeys.map((k) => `${k.id}:${k.secret}`).join(','), DATABASE_URL: url, DATA_DIR: database.dataDir,
      PORT: '0', HOST: '127.0.0.1', SEED_DEMO: '0', NODE_NAME: name, JOB_POLL_MS: '50', JOB_LEASE_MS: '2000', LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nodes.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 90000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (d) => {
      out += String(d);
      nodeLogs.push(`${name}: ${String(d).trim()}`);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)));
  });
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
  for (const n of nodes) if (n.exitCode === null && n.signalCode === null) n.kill('SIGKILL');
  await database?.cleanup();
});

test.serial('500 timers on three nodes fire exactly once when one node is killed mid-run', async (t) => {
  t.timeout(300000);
  await Promise.all(['node-a', 'node-b', 'node-c'].map((name) => serve(name, database.url)));
  // Timers due 2–6 s after each start, so firing overlaps starting and the kill.
  let killed = false;
  for (let i = 0; i < N; i++) {
    await startProcess('Process_multinode', { businessKey: `M-${i}`, variables: { delay: `PT${(2 + (i % 40) / 10).toFixed(1)}S` } });
    if (!killed && i > N / 3 && (await EngineInstance.count({ where: { status: 'completed' } })) > 30) {
      nodes[0].kill('SIGKILL');
      killed = true;
    }
  }
  if (!killed) nodes[0].kill('SIGKILL');
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline) {
    const open = await EngineInstance.count({ where: { status: 'active' } });
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const completed = await EngineInstance.count({ where: { status: 'completed' } });
  if (completed !== N) {
    t.log(`node logs:\n${nodeLogs.slice(-40).join('\n')}`);
    t.log(`jobs left: ${JSON.stringify(await EngineJob.findAll({ limit: 5, raw: true }))}`);
    t.log(`node exits: ${nodes.map((n) => `${n.exitCode}/${n.signalCode}`).join(', ')}`);
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

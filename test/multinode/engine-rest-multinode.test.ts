// Two `govflow serve` nodes on one MariaDB, a Camunda external-task client on each: external tasks
// are one queue (the lock is the row), so every task is done exactly once, by either node's worker,
// including tasks created on the other node while a worker long-polls.
// It needs MariaDB/MySQL; the test runner runs test/multinode/ only in its MariaDB pass.
import test from 'ava';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client, BasicAuthInterceptor } from 'camunda-external-task-client-js';
import { dialect, freshDb, type TestDb } from '../helpers/db.ts';
import { repoRoot } from '../helpers/server.ts';
import { bpmn } from '../processes/support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { EngineInstance } from '../../src/engine/models.ts';
import { addApiClient } from '../../src/engine-rest/service.ts';

const N = 60;

let database: TestDb;
const nodes: ChildProcess[] = [];
const clients: Client[] = [];
const nodeLogs: string[] = [];

/** Starts a node and resolves with its address. */
function serve(name: string): Promise<string> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/govflow.js'), 'serve'], {
    cwd: repoRoot,
    env: {
      ...process.env, NODE_ENV: 'production', SECRET: 'multinode-secret-'.padEnd(48, 'x'), AUDIT_KEYS: database.config.auditKeys.map((k) => `${k.id}:${k.secret}`).join(','), DATABASE_URL: database.url, DATA_DIR: database.dataDir,
      PORT: '0', HOST: '127.0.0.1', SEED_DEMO: '0', NODE_NAME: name, LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nodes.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 90000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
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
  await deployDefinition(bpmn('Process_multinodeExternal', `
    <startEvent id="StartEvent_1" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_sync"/>
    <serviceTask id="Task_sync" name="Đồng bộ hồ sơ" camunda:type="external" camunda:topic="dossier-sync"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_sync" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
});

test.after.always(async () => {
  for (const c of clients) c.stop();
  for (const n of nodes) if (n.exitCode === null && n.signalCode === null) n.kill('SIGKILL');
  await database?.cleanup();
});

test.serial('workers on two nodes share one queue of external tasks and do each exactly once', async (t) => {
  t.timeout(300000);
  const [a, b] = await Promise.all([serve('node-a'), serve('node-b')]);
  const { client, secret } = await addApiClient({ name: 'multinode', topics: 'dossier-sync' }, null);
  const done: Array<{ node: string; taskId: string; i: unknown }> = [];
  for (const [node, url] of [['node-a', a], ['node-b', b]]) {
    const basicAuthentication = new BasicAuthInterceptor({ username: client.id, password: secret });
    const worker = new Client({ baseUrl: `${url}/engine-rest`, workerId: `worker-${node}`, maxTasks: 3, interceptors: basicAuthentication, asyncResponseTimeout: 2000, interval: 20 });
    clients.push(worker);
    worker.subscribe('dossier-sync', async ({ task, taskService }) => {
      done.push({ node, taskId: task.id!, i: task.variables.get('i') });
      await taskService.complete(task);
    });
  }
  // The instances are started by this test process, a third writer: neither node hears of them but through the table.
  for (let i = 0; i < N; i++) await startProcess('Process_multinodeExternal', { businessKey: `D-${i}`, variables: { i } });
  const deadline = Date.now() + 120000;
  while (Date.now() < deadline && (await EngineInstance.count({ where: { status: 'completed' } })) < N) await new Promise((r) => setTimeout(r, 200));
  for (const c of clients) c.stop();
  if (done.length !== N) t.log(`node logs:\n${nodeLogs.slice(-20).join('\n')}`);
  t.is(await EngineInstance.count({ where: { status: 'completed' } }), N);
  t.is(done.length, N);
  t.is(new Set(done.map((d) => d.taskId)).size, N);
  t.deepEqual([...new Set(done.map((d) => d.i))].length, N);
  const byNode = { a: done.filter((d) => d.node === 'node-a').length, b: done.filter((d) => d.node === 'node-b').length };
  t.log(`node-a's worker did ${byNode.a}, node-b's ${byNode.b}`);
  t.true(byNode.a > 0 && byNode.b > 0, 'both nodes served tasks');
});

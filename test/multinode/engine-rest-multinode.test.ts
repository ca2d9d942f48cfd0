// Two `govflow serve` nodes on one MariaDB, a Camunda external-task client on each: external tasks
// are one queue (the lock is the row), so every task is done exactly once, by either node's worker,
// including tasks created on the other node while a worker long-polls.
// It needs MariaDB/MySQL; the test runner runs test/multinode/ only in its MariaDB pass.
import test from 'ava';
import { Client, BasicAuthInterceptor } from 'camunda-external-task-client-js';
import { dialect, freshDb, type TestDb } from '../helpers/db.ts';
import { ServeNodes, START_TIMEOUT_MS } from '../helpers/serve-nodes.ts';
import { bpmn } from '../processes/support.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { startProcess } from '../../src/engine/runtime.ts';
import { EngineInstance } from '../../src/engine/models.ts';
import { addApiClient } from '../../src/engine-rest/service.ts';

const N = 60;

let database: TestDb;
const nodes = new ServeNodes();
const clients: Client[] = [];

/** Starts a node and resolves with its address. */
async function serve(name: string): Promise<string> {
  return (await nodes.serve(database, name)).url;
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
  nodes.killAll();
  await database?.cleanup();
});

test.serial('workers on two nodes share one queue of external tasks and do each exactly once', async (t) => {
  t.timeout(START_TIMEOUT_MS + 300000);
  const [a, b] = await Promise.all([serve('node-a'), serve('node-b')]);
  // The scenario's own time starts once the nodes listen.
  t.timeout(300000);
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
  if (done.length !== N) t.log(`node logs:\n${nodes.lastLogs(20)}`);
  t.is(await EngineInstance.count({ where: { status: 'completed' } }), N);
  t.is(done.length, N);
  t.is(new Set(done.map((d) => d.taskId)).size, N);
  t.deepEqual([...new Set(done.map((d) => d.i))].length, N);
  const byNode = { a: done.filter((d) => d.node === 'node-a').length, b: done.filter((d) => d.node === 'node-b').length };
  t.log(`node-a's worker did ${byNode.a}, node-b's ${byNode.b}`);
  t.true(byNode.a > 0 && byNode.b > 0, 'both nodes served tasks');
});

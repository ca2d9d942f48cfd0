// Benchmark of the process engine, in one process and one run: start → user task → complete → end
// for N instances (a) with raw bpmn-engine parsing the XML per instance, (b) raw with a pre-parsed
// context, (c) govflow persisted on SQLite, (d) govflow persisted on MariaDB when TEST_DATABASE_URL
// is set; then how late 10,000 pending timers fire after their due time; then service tasks served by an
// in-process handler against the same tasks served as external tasks through `/engine-rest` (fetch and
// lock, complete) by HTTP workers. Last line: one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import mysql from 'mysql2/promise';
import { Engine } from 'bpmn-engine';
import * as elements from 'bpmn-elements';
import { BpmnModdle } from 'bpmn-moddle';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { deployDefinition, startProcess, completeTaskAsSystem, openTasksOf, runDueJobs } from '../src/engine/service.ts';
import { EngineHistory, EngineInstance, EngineJob } from '../src/engine/models.ts';
import { registerServiceHandler } from '../src/engine/handlers.ts';
import { createServer } from '../src/web/server.ts';
import { addApiClient } from '../src/engine-rest/service.ts';

const N = Number(process.env.BENCH_N ?? 500);
const TIMERS = Number(process.env.BENCH_TIMERS ?? 10000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const EXTERNAL = Number(process.env.BENCH_EXTERNAL ?? 300);
const EXTERNAL_WORKERS = Number(process.env.BENCH_EXTERNAL_WORKERS ?? 4);
const mysqlUrl = process.env.TEST_DATABASE_URL ?? '';

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs_bench" targetNamespace="http://govflow.local/bench">
  <process id="Process_bench" name="Bench" isExecutable="true">
    <startEvent id="Start" name="Start"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_one"/>
    <userTask id="Task_one" name="Task"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_one" targetRef="End"/>
    <endEvent id="End" name="End"/>
  </process>
</definitions>`;

const TIMER_XML = XML.replace(/Process_bench/g, 'Process_timer').replace('Defs_bench', 'Defs_timer')
  .replace('<userTask id="Task_one" name="Task"/>', '<intermediateCatchEvent id="Timer_wait" name="Wait"><timerEventDefinition><timeDuration>=delay</timeDuration></timerEventDefinition></intermediateCatchEvent>')
  .replace(/Task_one/g, 'Timer_wait');

const line = (s: string) => process.stdout.write(s + '\n');

async function rawRun(options: Record<string, unknown>): Promise<void> {
  const engine = new Engine({ name: 'bench', ...options } as never);
  const listener = new EventEmitter();
  const ended = new Promise<void>((resolve) => engine.once('end', () => resolve()));
  const waiting = new Promise<{ signal: (m?: unknown) => void }>((resolve) => listener.once('wait', (api) => resolve(api)));
  await engine.execute({ listener } as never);
  (await waiting).signal({ ok: true });
  await ended;
}

async function timed(n: number, fn: (i: number) => Promise<void>, concurrency = 1): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
  return performance.now() - started;
}

/** A store for the persisted runs: its URL and the connection is opened on demand. */
interface Store {
  label: string;
  url: string;
  ready: boolean;
}

let openUrl = '';
async function use(store: Store): Promise<void> {
  if (openUrl === store.url) return;
  if (openUrl) await closeStore();
  await initStore(store.url);
  openUrl = store.url;
  if (!store.ready) {
    await migrate();
    await deployDefinition(XML);
    // Warm-up: parse and cache the definition, open pool connections.
    for (let i = 0; i < 5; i++) await flow(i);
    store.ready = true;
  }
}

async function flow(i: number): Promise<void> {
  const instance = await startProcess('Process_bench', { businessKey: `B-${i}`, variables: { i } });
  const [task] = await openTasksOf(instance.id);
  await completeTaskAsSystem(task.id, { done: true }, 'bench');
}

async function timers(): Promise<{ count: number; p50: number; p99: number; max: number; fireRate: number }> {
  await deployDefinition(TIMER_XML);
  // One instance is started through the engine; the others are copies of its rows with their own
  // due times, so that the measure is the claiming and firing, not an hour of starting instances.
  const template = await startProcess('Process_timer', { businessKey: 'T-template', variables: { delay: 'PT1H' } });
  const row = (await EngineInstance.findByPk(template.id))!;
  const job = (await EngineJob.findOne({ where: { instanceId: template.id } }))!;
  const templateDue = job.runAt.toISOString();
  const windowMs = 10000;
  const base = Date.now() + 5000 + TIMERS * 1.5;
  const dueOf = new Map<string, number>();
  for (let from = 0; from < TIMERS; from += 1000) {
    const instances = [];
    const jobs = [];
    for (let i = from; i < Math.min(TIMERS, from + 1000); i++) {
      const id = crypto.randomUUID();
      const due = new Date(base + Math.floor((i / TIMERS) * windowMs));
      dueOf.set(id, due.getTime());
      instances.push({ ...row.get({ plain: true }), id, businessKey: `T-${i}`, state: row.state!.split(templateDue).join(due.toISOString()), version: 1 });
      jobs.push({ kind: job.kind, instanceId: id, elementId: job.elementId, executionId: job.executionId, runAt: due, status: 'pending', attempts: 0 });
    }
    await EngineInstance.bulkCreate(instances);
    await EngineJob.bulkCreate(jobs);
  }
  await EngineJob.destroy({ where: { instanceId: template.id } });
  await EngineInstance.update({ status: 'cancelled' }, { where: { id: template.id } });
  line(`pending timers: ${dueOf.size}, due over ${windowMs / 1000} s from ${((base - Date.now()) / 1000).toFixed(1)} s from now`);
  const started = Date.now();
  // Three workers in one process stand in for three nodes polling every 50 ms.
  const workers = ['bench-a', 'bench-b', 'bench-c'].map(async (owner) => {
    for (;;) {
      const n = await runDueJobs(owner);
      if (n === 0) {
        if (!(await EngineJob.count({ where: { kind: 'engine.timer' } }))) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  await Promise.all(workers);
  const fired = await EngineHistory.findAll({ where: { event: 'timer', elementId: 'Timer_wait' }, attributes: ['instanceId', 'at'] });
  const late = fired.filter((h) => dueOf.has(h.instanceId)).map((h) => h.at.getTime() - dueOf.get(h.instanceId)!).sort((a, b) => a - b);
  const pct = (p: number) => late[Math.min(late.length - 1, Math.floor((p / 100) * late.length))] ?? 0;
  const count = late.length;
  if (count !== dueOf.size) throw new Error(`timers: ${count} fired of ${dueOf.size}`);
  const firstDue = Math.min(...dueOf.values());
  return { count, p50: pct(50), p99: pct(99), max: late[late.length - 1] ?? 0, fireRate: count / ((Date.now() - Math.max(started, firstDue)) / 1000) };
}

const SERVICE_XML = (id: string, task: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_${id}" targetNamespace="http://govflow.local/bench">
  <process id="${id}" name="Bench" isExecutable="true">
    <startEvent id="Start" name="Start"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_service"/>
    ${task}
    <sequenceFlow id="Flow_2" sourceRef="Task_service" targetRef="End"/>
    <endEvent id="End" name="End"/>
  </process>
</definitions>`;

/**
 * The same service step two ways on the open store: an in-process handler (start → handler → end per
 * instance), and external tasks that HTTP workers fetch and lock, then complete, through `/engine-rest`.
 */
async function externalTasks(): Promise<{ inProcess: number; external: number; tasks: number; workers: number }> {
  registerServiceHandler('bench-inproc', ({ variables }) => ({ doubled: Number(variables.i) * 2 }));
  await deployDefinition(SERVICE_XML('Process_inproc', '<serviceTask id="Task_service" name="Service" camunda:type="external" camunda:topic="bench-inproc"/>'));
  await deployDefinition(SERVICE_XML('Process_external', '<serviceTask id="Task_service" name="Service" camunda:type="external" camunda:topic="bench-external"/>'));
  const inMs = await timed(EXTERNAL, (i) => startProcess('Process_inproc', { variables: { i } }).then(() => undefined), CONCURRENCY);
  for (let i = 0; i < EXTERNAL; i++) await startProcess('Process_external', { variables: { i } });
  const server = await createServer();
  await server.start();
  const { client, secret } = await addApiClient({ name: 'bench', topics: 'bench-external' }, null);
  const base = `http://127.0.0.1:${server.info.port}/engine-rest`;
  const headers = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}` };
  const post = async (url: string, body: unknown) => {
    const res = await fetch(`${base}${url}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  let done = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: EXTERNAL_WORKERS }, async (_x, w) => {
    const workerId = `bench-worker-${w}`;
    for (;;) {
      const tasks = (await post('/external-task/fetchAndLock', { workerId, maxTasks: 10, topics: [{ topicName: 'bench-external', lockDuration: 60000 }] })) as Array<{ id: string; variables: { i: { value: number } } }>;
      if (!tasks.length) return;
      for (const task of tasks) {
        await post(`/external-task/${task.id}/complete`, { workerId, variables: { doubled: { value: task.variables.i.value * 2, type: 'Integer' } } });
        done++;
      }
    }
  }));
  const exMs = performance.now() - started;
  await server.stop({ timeout: 1000 });
  const completed = await EngineInstance.count({ where: { definitionKey: 'Process_external', status: 'completed' } });
  if (completed !== EXTERNAL || done !== EXTERNAL) throw new Error(`external tasks: ${completed} instances completed, ${done} tasks done, of ${EXTERNAL}`);
  return { inProcess: EXTERNAL / (inMs / 1000), external: EXTERNAL / (exMs / 1000), tasks: EXTERNAL, workers: EXTERNAL_WORKERS };
}

async function freshMysql(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const u = new URL(base.replace(/^mariadb:/, 'mysql:'));
  const name = `gf_bench_${crypto.randomBytes(3).toString('hex')}`;
  const conn = () => mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  const admin = await conn();
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = await conn();
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-bench-'));
  setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, SECRET: 'bench-secret-'.padEnd(40, 'x'), LOG_LEVEL: 'error', JOB_LEASE_MS: '30000' }));
  line(`engine bench: N=${N}, concurrency ${CONCURRENCY} for persisted runs, ${os.cpus().length} CPUs, Node ${process.version}`);

  for (let i = 0; i < 20; i++) await rawRun({ source: XML });
  const parsed = await new BpmnModdle().fromXML(XML);
  const sourceContext = serializer(parsed as never, TypeResolver(elements as never));
  const stores: Store[] = [{ label: '(c) govflow persisted on SQLite', url: `sqlite:${path.join(dataDir, 'bench.sqlite')}`, ready: false }];
  let drop: (() => Promise<void>) | null = null;
  if (mysqlUrl) {
    const fresh = await freshMysql(mysqlUrl);
    drop = fresh.drop;
    stores.push({ label: '(d) govflow persisted on MariaDB', url: fresh.url, ready: false });
  }
  // The machine is shared: the variants take turns in rounds so that load swings hit them all alike.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const per = Math.max(1, Math.floor(N / rounds));
  const seconds: Record<string, number> = {};
  const add = (k: string, ms: number) => (seconds[k] = (seconds[k] ?? 0) + ms / 1000);
  let offset = 0;
  for (let r = 0; r < rounds; r++) {
    add('a', await timed(per, () => rawRun({ source: XML })));
    add('b', await timed(per, () => rawRun({ sourceContext })));
    for (const store of stores) {
      await use(store);
      const base = offset;
      add(store.label, await timed(per, (i) => flow(base + i), CONCURRENCY));
    }
    offset += per;
  }
  const total = per * rounds;
  const rate = (k: string) => total / seconds[k];
  const a = rate('a');
  const b = rate('b');
  line(`(a) raw bpmn-engine, XML parsed per instance: ${total} instances in ${seconds.a.toFixed(2)} s = ${a.toFixed(1)} instances/s`);
  line(`(b) raw bpmn-engine, pre-parsed context: ${total} instances in ${seconds.b.toFixed(2)} s = ${b.toFixed(1)} instances/s`);
  for (const store of stores) line(`${store.label}: ${total} instances in ${seconds[store.label].toFixed(2)} s = ${rate(store.label).toFixed(1)} instances/s (concurrency ${CONCURRENCY})`);
  const c = rate(stores[0].label);
  const d = stores[1] ? rate(stores[1].label) : null;
  for (const store of stores) {
    await use(store);
    const done = await EngineInstance.count({ where: { definitionKey: 'Process_bench', status: 'completed' } });
    if (done !== total + 5) throw new Error(`${store.label}: ${done} of ${total + 5} instances completed`);
  }
  let timerResult: Awaited<ReturnType<typeof timers>> | null = null;
  if (TIMERS > 0) {
    timerResult = await timers();
    line(`timers on ${mysqlUrl ? 'MariaDB' : 'SQLite'}: ${timerResult.count} fired; lateness after due p50 ${timerResult.p50} ms, p99 ${timerResult.p99} ms, max ${timerResult.max} ms; ${timerResult.fireRate.toFixed(1)} fired/s`);
  }
  const ext: Record<string, Awaited<ReturnType<typeof externalTasks>>> = {};
  for (const store of EXTERNAL > 0 ? stores : []) {
    await use(store);
    const r = await externalTasks();
    const where = store === stores[0] ? 'sqlite' : 'mariadb';
    ext[where] = r;
    line(`service tasks on ${where === 'sqlite' ? 'SQLite' : 'MariaDB'}: in-process handler ${r.inProcess.toFixed(1)} instances/s (concurrency ${CONCURRENCY}); external tasks through /engine-rest fetch-and-lock → complete ${r.external.toFixed(1)} tasks/s (${r.workers} HTTP workers, ${r.tasks} tasks); ratio external/in-process ${(r.external / r.inProcess).toFixed(2)}`);
  }
  await closeStore();
  openUrl = '';
  await drop?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  line(JSON.stringify({
    n: total,
    concurrency: CONCURRENCY,
    rawParsePerInstance: round(a),
    rawPreParsed: round(b),
    sqlite: round(c),
    mariadb: round(d),
    ratioSqliteToRaw: Math.round((c / b) * 100) / 100,
    ratioMariadbToRaw: d === null ? null : Math.round((d / b) * 100) / 100,
    externalTasks: Object.keys(ext).length ? Object.fromEntries(Object.entries(ext).map(([k, r]) => [k, { tasks: r.tasks, workers: r.workers, inProcessPerSecond: round(r.inProcess), restPerSecond: round(r.external), ratioRestToInProcess: Math.round((r.external / r.inProcess) * 100) / 100 }])) : null,
    timers: timerResult ? { count: timerResult.count, lateP50Ms: timerResult.p50, lateP99Ms: timerResult.p99, lateMaxMs: timerResult.max, firedPerSecond: round(timerResult.fireRate) } : null,
  }));
}

await main();

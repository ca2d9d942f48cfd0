// Benchmark of the public service portal, part (1), run by bench/portal.ts on each database:
// (a) submitting 1,000 dossiers at the service level — each one a row, its code from the per-unit-and-day
//     counter, its history entry, the statistics rollups, the queued start of its handling instance and an
//     outbox row for the citizen, then the jobs that start the 1,000 instances. The statements each submission
//     sends to the driver are counted. The baseline, in the same run and on the same database: the same rows of
//     each submission (the dossier as received, the counter, the history entry, the job, the outbox row) written
//     by the bare driver with prepared statements, one transaction each, as the submissions commit;
// (b) the public tracking API (`GET /api/tracking/{code}?factor=…`, with its two rate-limit counters in the
//     database) under load with autocannon at 50 connections, against a bare hapi route returning the same
//     bytes in the same run: req/s and p99 of both and their ratio.
import Hapi from '@hapi/hapi';
import autocannon from 'autocannon';
import sqlite3 from 'sqlite3';
import mysql from 'mysql2';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore, inTransaction } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { importOrgs } from '../src/orgs/import.ts';
import { getOrgByCode } from '../src/orgs/service.ts';
import { createUser } from '../src/auth/service.ts';
import { Dossier } from '../src/dossiers/models.ts';
import { receiveDossier } from '../src/dossiers/core.ts';
import { queueMessage } from '../src/notify/service.ts';
import { deployDefinition, clearDefinitionCache } from '../src/engine/definitions.ts';
import { forgetLiveEngines } from '../src/engine/runtime.ts';
import { runDueJobs } from '../src/engine/jobs.ts';
import { EngineInstance } from '../src/engine/models.ts';
import { NotifyMessage } from '../src/notify/models.ts';
import { createServer } from '../src/web/server.ts';

const PROCESS_KEY = 'bench-dossier-handling';
const BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_bench" targetNamespace="http://govflow.local/bench">
  <process id="${PROCESS_KEY}" name="Bench handling" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="receive"/>
    <userTask id="receive" name="Tiếp nhận" camunda:candidateGroups="officer"/>
    <sequenceFlow id="f2" sourceRef="receive" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>`;

/** What part (1) measured on one database. */
export interface TrackingBenchResult {
  dialect: string;
  dossiers: number;
  submitMs: number;
  /** Statements the driver received per submission (BEGIN and COMMIT included). */
  statementsPerSubmission: number;
  /** The bare driver writing the same rows of each submission in its own transaction. */
  baselineMs: number;
  /** submitMs / baselineMs. */
  ratioSubmit: number;
  instancesMs: number;
  totalMs: number;
  instances: number;
  outboxRows: number;
  tracking: { reqPerSec: number; p99Ms: number; p50Ms: number; non2xx: number };
  bare: { reqPerSec: number; p99Ms: number; p50Ms: number };
  ratioReqPerSec: number;
}

async function load(url: string, seconds: number): Promise<autocannon.Result> {
  // One worker thread fires the requests, so the client does not share the server's event loop.
  return autocannon({ url, connections: 50, duration: seconds, workers: 1 });
}

/** The rounds of one side as one: mean req/s, the worse p99 and p50, every non-2xx answer. */
function merged(runs: autocannon.Result[]): { requests: { average: number }; latency: { p99: number; p50: number }; non2xx: number } {
  return {
    requests: { average: runs.reduce((s, r) => s + r.requests.average, 0) / runs.length },
    latency: { p99: Math.max(...runs.map((r) => r.latency.p99)), p50: Math.max(...runs.map((r) => r.latency.p50)) },
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
  };
}

/** Counts the statements every SQLite and MySQL/MariaDB connection of the process sends, while `fn` runs. */
async function countStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  let statements = 0;
  const undo: Array<() => void> = [];
  const wrap = (proto: Record<string, unknown>, names: string[]) => {
    for (const name of names) {
      const own = Object.prototype.hasOwnProperty.call(proto, name);
      const original = proto[name] as (...args: unknown[]) => unknown;
      proto[name] = function counted(this: unknown, ...args: unknown[]) {
        statements++;
        return original.apply(this, args);
      };
      undo.push(() => {
        if (own) proto[name] = original;
        else delete proto[name];
      });
    }
  };
  // Every SQLite statement steps through a Statement (Database#run and #all make one; the store keeps some prepared).
  wrap(sqlite3.Statement.prototype as unknown as Record<string, unknown>, ['run', 'all', 'get', 'each']);
  wrap(sqlite3.Database.prototype as unknown as Record<string, unknown>, ['exec']);
  wrap(mysql.Connection.prototype as unknown as Record<string, unknown>, ['query', 'execute']);
  try {
    return { result: await fn(), statements };
  } finally {
    for (const u of undo.reverse()) u();
  }
}

/** The rows one submission writes, as the bare driver writes them (fixed SQL, `?` values). */
const BASELINE_SQL = {
  dossier: `INSERT INTO dossiers (code, procedure_code, procedure_name, form_key, form_version, owner_user_id, applicant_name, applicant_phone, applicant_email, org_unit_id, org_code, org_path,
    electronic_id, channel, status, stage, values_json, limit_days, submitted_at, received_at, counted_from, due_at, paused_working_days, version, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1, ?, ?)`,
  counterSqlite: 'INSERT INTO dossier_counters (electronic_id, day, last) VALUES (?, ?, 1) ON CONFLICT (electronic_id, day) DO UPDATE SET last = last + 1 RETURNING last',
  counterMysql: 'INSERT INTO dossier_counters (electronic_id, day, last) VALUES (?, ?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE last = LAST_INSERT_ID(last + 1)',
  event: 'INSERT INTO dossier_events (dossier_id, at, kind, actor, org_code, data_json) VALUES (?, ?, ?, ?, ?, ?)',
  job: 'INSERT INTO engine_jobs (kind, payload, run_at, attempts, status, created_at) VALUES (?, ?, ?, 0, ?, ?)',
  message: `INSERT INTO notify_messages (channel, event, locale, recipient, recipient_user_id, reference, subject, body, status, attempts, tries, delivered_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?)`,
};

/** What the baseline writes besides the statements: the values of one submission. */
function baselineValues(i: number, isMy: boolean, org: { id: number; code: string; path: string }, userId: number) {
  const now = new Date();
  const iso = now.toISOString();
  const at = isMy ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : `${iso.slice(0, 10)} ${iso.slice(11, 23)} +00:00`;
  const code = `BASE.00.00.X00-000000-${String(i + 1).padStart(4, '0')}`;
  return {
    code, at,
    dossier: [code, '1.001193', 'Đăng ký khai sinh', 'dang-ky-khai-sinh', 1, userId, 'Công dân thử tải', '0912345678', 'bench@example.vn', org.id, org.code, org.path,
      'BASE.00.00.X00', 'online', 'submitted', 'receive', JSON.stringify({ tenTre: `Nguyễn Văn ${i}`, ngaySinh: '2026-11-30' }), 5, at, at, at, at, at, at],
  };
}

/**
 * The same rows of `n` submissions written by the bare driver (one transaction each, prepared statements), on a
 * connection of its own to the same database; its rows are deleted afterwards. Returns the time of the writing.
 */
async function baselineSubmissions(dbUrl: string, n: number, org: { id: number; code: string; path: string }, userId: number): Promise<number> {
  const isMy = !dbUrl.startsWith('sqlite:');
  const writeRows = async (exec: (sql: string, params: unknown[]) => Promise<{ id: number }>, begin: string) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const v = baselineValues(i, isMy, org, userId);
      await exec(begin, []);
      await exec(isMy ? BASELINE_SQL.counterMysql : BASELINE_SQL.counterSqlite, ['BASE.00.00.X00', '000000']);
      const { id } = await exec(BASELINE_SQL.dossier, v.dossier);
      await exec(BASELINE_SQL.event, [id, v.at, 'submitted', 'congdan.bench', org.code, JSON.stringify({ channel: 'online', due: null })]);
      await exec(BASELINE_SQL.job, ['bench.baseline', JSON.stringify({ dossierId: id }), '2099-01-01 00:00:00', 'done', v.at]);
      await exec(BASELINE_SQL.message, ['inapp', 'dossier-received', 'vi', String(userId), userId, `dossier:${v.code}`, 'Hồ sơ đã được tiếp nhận', `Hồ sơ ${v.code} đã được tiếp nhận.`, 'delivered', v.at, v.at, v.at]);
      await exec('COMMIT', []);
    }
    return performance.now() - t0;
  };
  const cleanup = [
    "DELETE FROM notify_messages WHERE reference LIKE 'dossier:BASE.%'", "DELETE FROM engine_jobs WHERE kind = 'bench.baseline'",
    "DELETE FROM dossier_events WHERE dossier_id IN (SELECT id FROM dossiers WHERE code LIKE 'BASE.%')", "DELETE FROM dossiers WHERE code LIKE 'BASE.%'",
    "DELETE FROM dossier_counters WHERE electronic_id = 'BASE.00.00.X00'",
  ];
  if (!isMy) {
    const c = new sqlite3.Database(dbUrl.slice('sqlite:'.length));
    const statements = new Map<string, sqlite3.Statement>();
    const exec = (sql: string, params: unknown[]) => new Promise<{ id: number }>((resolve, reject) => {
      let st = statements.get(sql);
      if (!st) statements.set(sql, (st = c.prepare(sql)));
      // A RETURNING statement is stepped like a SELECT; the others report their row id.
      if (/RETURNING/.test(sql)) st.all(params, (err) => (err ? reject(err) : resolve({ id: 0 })));
      else st.run(params, function done(this: sqlite3.RunResult, err: Error | null) { if (err) reject(err); else resolve({ id: this.lastID }); });
    });
    try {
      await exec('PRAGMA busy_timeout = 5000', []);
      await exec('PRAGMA foreign_keys = ON', []);
      const ms = await writeRows(exec, 'BEGIN IMMEDIATE');
      for (const sql of cleanup) await exec(sql, []);
      return ms;
    } finally {
      for (const st of statements.values()) await new Promise((r) => st.finalize(() => r(undefined)));
      await new Promise((r) => c.close(() => r(undefined)));
    }
  }
  const u = new URL(dbUrl.replace(/^mariadb:/, 'mysql:'));
  const c = mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: decodeURIComponent(u.pathname.slice(1)), charset: 'utf8mb4', timezone: 'Z' });
  const exec = (sql: string, params: unknown[]) => new Promise<{ id: number }>((resolve, reject) => {
    const done = (err: Error | null, r: unknown) => (err ? reject(err) : resolve({ id: Number((r as { insertId?: number }).insertId ?? 0) }));
    // Transaction control is not preparable; everything else goes through prepared statements, as Sequelize's do.
    if (params.length) c.execute(sql, params as Array<string | number | null>, done);
    else c.query(sql, done);
  });
  try {
    await exec("SET time_zone = '+00:00'", []);
    const ms = await writeRows(exec, 'START TRANSACTION');
    for (const sql of cleanup) await exec(sql, []);
    return ms;
  } finally {
    await new Promise((r) => c.end(() => r(undefined)));
  }
}

/** Runs part (1) on one database (the store must not be open). */
export async function benchTracking(dialect: string, dbUrl: string, dataDir: string, opts: { dossiers: number; seconds: number }): Promise<TrackingBenchResult> {
  setConfig(loadConfig({
    NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: dbUrl, SECRET: 'bench-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'error', NODE_NAME: 'bench',
    PORT: '0', HOST: '127.0.0.1', JOB_WORKER: '0', TRACKING_RATE_PER_IP: '1000000000', TRACKING_RATE_PER_CODE: '1000000000',
  }));
  clearDefinitionCache();
  forgetLiveEngines();
  await initStore(dbUrl);
  await migrate();
  await importOrgs('code,name,level,parent_code\n01,Thành phố Hà Nội,province,\n00004,Phường Ba Đình,commune,01\n');
  await deployDefinition(BPMN);
  const org = await getOrgByCode('00004');
  const citizen = await createUser({ username: 'congdan.bench', fullName: 'Công dân thử tải', email: 'bench@example.vn', phone: '0912345678', password: 'BenchPassword-2025!', roles: [{ role: 'citizen' }] }, null);

  // (a) 1,000 submissions, one transaction each, as the citizen's submit does them.
  let t0 = performance.now();
  let first: Dossier | null = null;
  const { statements } = await countStatements(async () => {
    for (let i = 0; i < opts.dossiers; i++) {
      const d = await inTransaction(async (t) => {
        const row = await Dossier.create({
          procedureCode: '1.001193', procedureName: 'Đăng ký khai sinh', formKey: 'dang-ky-khai-sinh', formVersion: 1, ownerUserId: citizen.id,
          applicantName: citizen.fullName, applicantPhone: citizen.phone, applicantEmail: citizen.email, orgUnitId: org.id, orgCode: org.code, orgPath: org.path,
          channel: 'online', status: 'draft', valuesJson: JSON.stringify({ tenTre: `Nguyễn Văn ${i}`, ngaySinh: '2026-11-30' }),
        }, { transaction: t });
        await receiveDossier(row, { limit: { amount: 5, unit: 'workday' }, processKey: PROCESS_KEY, actor: citizen.username }, t);
        await queueMessage({ channel: 'inapp', event: 'dossier-received', to: String(citizen.id), recipientUserId: citizen.id, reference: `dossier:${row.code}`, data: { dossierCode: row.code, procedureName: row.procedureName, dueAt: row.dueAt, link: `/dossiers/${row.id}` } }, { transaction: t });
        return row;
      });
      first ??= d;
    }
  });
  const submitMs = performance.now() - t0;
  const baselineMs = await baselineSubmissions(dbUrl, opts.dossiers, org, citizen.id);
  t0 = performance.now();
  while ((await Dossier.count({ where: { instanceId: null } })) > 0) {
    if (!(await runDueJobs())) break;
  }
  const instancesMs = performance.now() - t0;
  const instances = await EngineInstance.count({ where: { definitionKey: PROCESS_KEY } });
  const outboxRows = await NotifyMessage.count();

  // (b) the tracking API and a bare hapi route with the same bytes.
  const server = await createServer();
  await server.start();
  const path = `/api/tracking/${first!.code}?factor=5678`;
  const real = await fetch(`http://127.0.0.1:${server.info.port}${path}`);
  const body = await real.text();
  if (real.status !== 200) throw new Error(`tracking answered ${real.status}: ${body}`);
  const bare = Hapi.server({ port: 0, host: '127.0.0.1' });
  bare.route({ method: 'GET', path: '/api/tracking/{code}', handler: (_r, h) => h.response(body).type('application/json; charset=utf-8') });
  await bare.start();
  // Two rounds of half the time each, alternating, so a change of the machine's load during the run weighs on both sides alike.
  const bareRuns: autocannon.Result[] = [];
  const trackRuns: autocannon.Result[] = [];
  for (let round = 0; round < 2; round++) {
    bareRuns.push(await load(`http://127.0.0.1:${bare.info.port}${path}`, Math.max(1, Math.round(opts.seconds / 2))));
    trackRuns.push(await load(`http://127.0.0.1:${server.info.port}${path}`, Math.max(1, Math.round(opts.seconds / 2))));
  }
  const bareResult = merged(bareRuns);
  const trackResult = merged(trackRuns);
  // Requests still queued when the load ends finish before the store closes (they are not counted).
  await bare.stop({ timeout: 60_000 });
  await server.stop({ timeout: 60_000 });
  await closeStore();
  const r: TrackingBenchResult = {
    dialect, dossiers: opts.dossiers, submitMs: Math.round(submitMs), statementsPerSubmission: +(statements / opts.dossiers).toFixed(1),
    baselineMs: Math.round(baselineMs), ratioSubmit: +(submitMs / Math.max(baselineMs, 1)).toFixed(2), instancesMs: Math.round(instancesMs), totalMs: Math.round(submitMs + instancesMs), instances, outboxRows: Number(outboxRows),
    tracking: { reqPerSec: Math.round(trackResult.requests.average), p99Ms: trackResult.latency.p99, p50Ms: trackResult.latency.p50, non2xx: trackResult.non2xx },
    bare: { reqPerSec: Math.round(bareResult.requests.average), p99Ms: bareResult.latency.p99, p50Ms: bareResult.latency.p50 },
    ratioReqPerSec: +(trackResult.requests.average / Math.max(bareResult.requests.average, 1)).toFixed(3),
  };
  return r;
}

// Benchmark of the public service portal, part (1), run by bench/portal.ts on each database:
// (a) submitting 1,000 dossiers at the service level — each one a row, its code from the per-unit-and-day
//     counter, its history entry, the queued start of its handling instance and an outbox row for the
//     citizen, then the jobs that start the 1,000 instances;
// (b) the public tracking API (`GET /api/tracking/{code}?factor=…`, with its two rate-limit counters in the
//     database) under load with autocannon at 50 connections, against a bare hapi route returning the same
//     bytes in the same run: req/s and p99 of both and their ratio.
import Hapi from '@hapi/hapi';
import autocannon from 'autocannon';
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
  const submitMs = performance.now() - t0;
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
    dialect, dossiers: opts.dossiers, submitMs: Math.round(submitMs), instancesMs: Math.round(instancesMs), totalMs: Math.round(submitMs + instancesMs), instances, outboxRows: Number(outboxRows),
    tracking: { reqPerSec: Math.round(trackResult.requests.average), p99Ms: trackResult.latency.p99, p50Ms: trackResult.latency.p50, non2xx: trackResult.non2xx },
    bare: { reqPerSec: Math.round(bareResult.requests.average), p99Ms: bareResult.latency.p99, p50Ms: bareResult.latency.p50 },
    ratioReqPerSec: +(trackResult.requests.average / Math.max(bareResult.requests.average, 1)).toFixed(3),
  };
  return r;
}

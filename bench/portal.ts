// Benchmark of the public service portal. Part (1), in bench/portal-tracking.ts: submitting 1,000 dossiers
// (code, instance and outbox rows) and the tracking API under load with autocannon against a bare hapi route
// with the same bytes. Part (2): catalog search over 10,000 procedures generated from the real
// ones (the 213 shipped procedures, each repeated for real province names), on SQLite and, when TEST_DATABASE_URL is
// set, on MariaDB/MySQL. A search is what a request does: read the catalog version, match, filter, count the facets,
// page. The baseline, in the same run, is the bare MiniSearch query on the same index. Prints p50/p95 of both and
// their ratio, the import and the index build time. Last line: one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { parseCsv } from '../src/orgs/csv.ts';
import { importProcedures } from '../src/catalog/service.ts';
import { catalogIndex, resetCatalogIndex, searchCatalog } from '../src/catalog/search.ts';
import { benchTracking, type TrackingBenchResult } from './portal-tracking.ts';
import { benchInsight, type InsightBenchResult } from './portal-insight.ts';
import { benchRankings, type RankingsBenchResult } from './portal-rankings.ts';

const N = Number(process.env.BENCH_N ?? 10000);
const DOSSIERS = Number(process.env.BENCH_DOSSIERS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 400);
/** Generated dossiers for the statistics part (0 skips it). */
const STAT_DOSSIERS = Number(process.env.BENCH_STAT_DOSSIERS ?? 1000000);
/** Which parts run, e.g. `BENCH_PARTS=statistics`; all by default (`rankings` runs on the statistics part's dossiers). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'tracking,search,statistics,rankings').split(',').map((x) => x.trim()));
const mysqlUrl = process.env.TEST_DATABASE_URL ?? '';
const line = (s: string) => process.stdout.write(s + '\n');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** What citizens type: with and without diacritics, cut short, sentences, and some with filters. */
const QUERIES: Array<{ q: string; level?: string; field?: string; online?: string }> = [
  { q: 'dang ky khai sinh' }, { q: 'Đăng ký thường trú' }, { q: 'ket hon' }, { q: 'khai tu' }, { q: 'ho kinh doanh' },
  { q: 'chung thuc ban sao' }, { q: 'dan quan tu ve' }, { q: 'vat lieu no' }, { q: 'tro cap mot lan' }, { q: 'giấy phép' },
  { q: 'dang ky', level: 'Cấp Xã' }, { q: 'cap phep', field: 'Quản lý biên giới' }, { q: '', level: 'Cấp Tỉnh' }, { q: 'dang ky thuong tr' },
  { q: 'tôi muốn đăng ký kết hôn' }, { q: 'nghia vu quan su' }, { q: 'khieu nai', online: 'full' }, { q: '' }, { q: 'bien phong dien tu' }, { q: 'kham benh' },
];

function quote(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV of N procedures built from the shipped ones, each copy named for a real province. */
function generatedCsv(n: number): string {
  const files = ['seed/procedures-bqp.csv', 'seed/procedures-common.csv'].map((f) => parseCsv(fs.readFileSync(path.join(root, f), 'utf8')));
  const header = files[1][0].fields;
  const rows: Array<Record<string, string>> = [];
  for (const recs of files) {
    const h = recs[0].fields;
    for (const r of recs.slice(1)) rows.push(Object.fromEntries(h.map((k, i) => [k, r.fields[i]])));
  }
  const provinces = parseCsv(fs.readFileSync(path.join(root, 'seed/admin-units-2025.csv'), 'utf8')).slice(1).filter((r) => r.fields[2] === 'province').map((r) => r.fields[1]);
  const out = [header.join(',')];
  for (let i = 0; i < n; i++) {
    const base = rows[i % rows.length];
    const province = provinces[Math.floor(i / rows.length) % provinces.length];
    const copy: Record<string, string> = { ...base, code: `8.${String(i).padStart(6, '0')}`, name: `${base.name} (${province})`, agency: `${base.agency} — ${province}` };
    out.push(header.map((k) => quote(copy[k] ?? '')).join(','));
  }
  return out.join('\n') + '\n';
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(dialect: 'sqlite' | 'mysql', dbUrl: string, dataDir: string, csv: string) {
  setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: dbUrl, SECRET: 'bench-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'error', NODE_NAME: 'bench' }));
  await initStore(dbUrl);
  await migrate();
  resetCatalogIndex();
  let t0 = performance.now();
  const imported = await importProcedures(csv, null, 'bench');
  const importMs = performance.now() - t0;
  t0 = performance.now();
  const index = await catalogIndex();
  const buildMs = performance.now() - t0;
  // Warm-up, then the measured rounds; the bare query and the full search alternate so both see the same machine.
  for (const q of QUERIES) await searchCatalog(q.q, q);
  const full: number[] = [];
  const bare: number[] = [];
  const perQuery = new Map<string, number[]>();
  for (let i = 0; i < ROUNDS; i++) {
    const q = QUERIES[i % QUERIES.length];
    let s = performance.now();
    if (q.q) index.procedures.search(q.q, { combineWith: 'AND' });
    bare.push(performance.now() - s);
    s = performance.now();
    await searchCatalog(q.q, q);
    const ms = performance.now() - s;
    full.push(ms);
    const key = JSON.stringify(q);
    perQuery.set(key, [...(perQuery.get(key) ?? []), ms]);
  }
  // The queries that cost most (their own p95), to know where to look when the goal is missed.
  const slowest = [...perQuery].map(([q, times]) => ({ q, p95: percentile(times.sort((a, b) => a - b), 95) })).sort((a, b) => b.p95 - a.p95).slice(0, 3);
  line(`${dialect}: slowest queries (p95): ${slowest.map((x) => `${x.q} ${x.p95.toFixed(1)} ms`).join('; ')}`);
  full.sort((a, b) => a - b);
  bare.sort((a, b) => a - b);
  await closeStore();
  const r = {
    dialect, procedures: imported.rows, importMs: Math.round(importMs), indexBuildMs: Math.round(buildMs),
    searchP50Ms: +percentile(full, 50).toFixed(2), searchP95Ms: +percentile(full, 95).toFixed(2),
    bareP50Ms: +percentile(bare, 50).toFixed(3), bareP95Ms: +percentile(bare, 95).toFixed(3),
    ratioP95: +(percentile(full, 95) / Math.max(percentile(bare, 95), 0.001)).toFixed(1),
  };
  line(`${dialect}: ${r.procedures} procedures imported in ${r.importMs} ms, index built in ${r.indexBuildMs} ms; search p50 ${r.searchP50Ms} ms, p95 ${r.searchP95Ms} ms (goal < 50 ms); bare MiniSearch p95 ${r.bareP95Ms} ms; ratio ${r.ratioP95}×`);
  return r;
}

/** Runs fn on a throw-away MariaDB/MySQL database made from TEST_DATABASE_URL. */
async function onMysql<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_portal_${crypto.randomBytes(4).toString('hex')}`;
  const u = new URL(mysqlUrl.replace(/^mariadb:/, 'mysql:'));
  const admin = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  try {
    u.pathname = `/${name}`;
    return await fn(u.toString());
  } finally {
    await admin.query(`DROP DATABASE \`${name}\``);
    await admin.end();
  }
}

function reportTracking(r: TrackingBenchResult): void {
  line(`${r.dialect}: ${r.dossiers} dossiers submitted in ${r.submitMs} ms (${r.statementsPerSubmission} statements each), their ${r.instances} instances started in ${r.instancesMs} ms, ${r.outboxRows} outbox rows; total ${r.totalMs} ms (goal < 10000 ms)`);
  line(`${r.dialect}: the same rows of each submission by the bare driver, one transaction each: ${r.baselineMs} ms; submissions ${r.ratioSubmit}× the baseline`);
  line(`${r.dialect}: tracking API ${r.tracking.reqPerSec} req/s, p50 ${r.tracking.p50Ms} ms, p99 ${r.tracking.p99Ms} ms (goal < 50 ms), non-2xx ${r.tracking.non2xx}; bare hapi ${r.bare.reqPerSec} req/s, p99 ${r.bare.p99Ms} ms; ratio ${r.ratioReqPerSec}× (goal ≥ 0.1×), 50 connections`);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-bench-portal-'));
const tracking: TrackingBenchResult[] = [];
if (PARTS.has('tracking')) {
  tracking.push(await benchTracking('sqlite', `sqlite:${path.join(dataDir, 'tracking.sqlite')}`, dataDir, { dossiers: DOSSIERS, seconds: SECONDS }));
  reportTracking(tracking[0]);
  if (mysqlUrl) {
    tracking.push(await onMysql((url) => benchTracking('mysql', url, dataDir, { dossiers: DOSSIERS, seconds: SECONDS })));
    reportTracking(tracking[1]);
  }
}
const results = [];
if (PARTS.has('search')) {
  const csv = generatedCsv(N);
  results.push(await run('sqlite', `sqlite:${path.join(dataDir, 'bench.sqlite')}`, dataDir, csv));
  if (mysqlUrl) results.push(await onMysql((url) => run('mysql', url, dataDir, csv)));
}
const statistics: Array<InsightBenchResult & { dialect: string }> = [];
const rankingResults: Array<RankingsBenchResult & { dialect: string }> = [];
if ((PARTS.has('statistics') || PARTS.has('rankings')) && STAT_DOSSIERS > 0) {
  const onStore = async (dialect: string, url: string) => {
    setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: url, SECRET: 'bench-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'error', NODE_NAME: 'bench' }));
    await initStore(url);
    await migrate();
    line(`${dialect}: statistics over ${STAT_DOSSIERS} dossiers (goal < 1 s each)`);
    try {
      statistics.push({ dialect, ...(await benchInsight(STAT_DOSSIERS, root)) });
      if (PARTS.has('rankings')) rankingResults.push({ dialect, ...(await benchRankings(STAT_DOSSIERS, root)) });
    } finally {
      await closeStore();
    }
  };
  await onStore('sqlite', `sqlite:${path.join(dataDir, 'insight.sqlite')}`);
  if (mysqlUrl) await onMysql((url) => onStore('mysql', url));
}
fs.rmSync(dataDir, { recursive: true, force: true });
line(JSON.stringify({ bench: 'portal', parts: [...PARTS], tracking, catalogSearch: { rounds: ROUNDS, results }, statistics, rankings: rankingResults }));

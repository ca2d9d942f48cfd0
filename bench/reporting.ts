// Benchmark of government reporting over the real 2025 tree, in one process and one run, on SQLite
// (and on MariaDB/MySQL when TEST_DATABASE_URL is set): open a national monthly cycle (3,355 reports),
// start its 3,355 process instances through the job slices, send all 3,321 communes' reports with 100
// indicator values each through the same checks as the web (saveReport with submit), roll up to the
// provinces (the approval and signature steps are set directly: they are measured by the signing bench),
// and render the status dashboard page. The roll-up is compared with a raw SQL GROUP BY over the same
// values. Last line: one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';
import { QueryTypes } from 'sequelize';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore, db, isMysql } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { importOrgs } from '../src/orgs/import.ts';
import { deployShippedProcesses, runDueJobs } from '../src/engine/service.ts';
import { importDefinition, publishForm } from '../src/forms/service.ts';
import { importRegime, openCycle, rollupCycle, saveReport, cycleStatus } from '../src/reporting/service.ts';
import { createUser, loadViewer } from '../src/auth/service.ts';
import { createServer } from '../src/web/server.ts';
import type { FormDefinition, RowDef } from '../src/forms/definition.ts';

const mysqlUrl = process.env.TEST_DATABASE_URL ?? '';
const withInstances = process.env.BENCH_INSTANCES !== '0';
/** BENCH_SUBMIT=N sends only the first N communes through saveReport (the rest are written directly); default all. */
const submitSample = process.env.BENCH_SUBMIT ? Number(process.env.BENCH_SUBMIT) : null;
const line = (s: string) => process.stdout.write(s + '\n');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** A monthly form of 25 indicators × 4 measures = 100 input values, all summed up the tree. */
function form100(): FormDefinition {
  const rows: RowDef[] = Array.from({ length: 25 }, (_v, i) => ({ id: `ct${i + 1}`, code: String(i + 1).padStart(2, '0'), name: `Chỉ tiêu số ${i + 1}`, unit: 'tỷ đồng', rollup: { kind: 'sum' as const } }));
  return {
    key: 'bench-100', code: 'Biểu B100', name: 'Biểu đo hiệu năng 100 giá trị', periodKind: 'month', unitLabel: 'Ủy ban nhân dân',
    sections: [{ id: 'chiTieu', title: 'Chỉ tiêu', tables: [{ id: 'bang', title: 'Bảng', columns: ['th', 'lk', 'cky', 'kh'].map((id) => ({ id, label: id, type: 'number' as const, decimals: 2, min: 0 })), rows }] }],
  };
}

async function database(): Promise<{ url: string; drop: () => Promise<void>; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-bench-rp-'));
  if (!mysqlUrl) return { url: `sqlite:${path.join(dataDir, 'bench.sqlite')}`, dataDir, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  const u = new URL(mysqlUrl.replace(/^mariadb:/, 'mysql:'));
  const name = `gf_bench_rp_${crypto.randomBytes(3).toString('hex')}`;
  const conn = () => mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  const admin = await conn();
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  u.pathname = `/${name}`;
  return {
    url: u.toString(), dataDir,
    drop: async () => {
      const c = await conn();
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const secs = (ms: number) => Math.round(ms) / 1000;

async function main() {
  const { url, drop, dataDir } = await database();
  setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: url, SECRET: 'bench-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'error', NODE_NAME: 'bench' }));
  await initStore(url);
  await migrate();
  await importOrgs(fs.readFileSync(path.join(root, 'seed/admin-units-2025.csv')));
  await deployShippedProcesses();
  await importDefinition(null, form100());
  await publishForm(null, 'bench-100');
  await importRegime(null, { code: 'BENCH', name: 'Báo cáo đo hiệu năng', formKey: 'bench-100', frequency: 'month', reporters: { levels: ['province', 'commune'] }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 }, lateUntilDays: null });
  const period = '2099-10';
  const dialect = isMysql() ? 'mysql' : 'sqlite';

  let t0 = performance.now();
  const opened = await openCycle('BENCH', period);
  const openMs = performance.now() - t0;
  line(`[${dialect}] open: ${opened.created} reports in ${secs(openMs)} s`);

  let instancesMs = 0;
  if (withInstances) {
    t0 = performance.now();
    while ((await runDueJobs()) > 0) { /* every start slice */ }
    instancesMs = performance.now() - t0;
    line(`[${dialect}] instances: ${opened.created} started in ${secs(instancesMs)} s (${Math.round(opened.created / (instancesMs / 1000))}/s)`);
  }

  const officer = await loadViewer(await createUser({ username: 'bench.officer', fullName: 'Cán bộ đo', password: 'BenchPassword123', orgCode: 'VN', roles: [{ role: 'officer', orgCode: null }] }, null));
  const communes = await db().query("SELECT org_code AS code FROM reporting_reports WHERE cycle_id = ? AND org_level = 'commune' ORDER BY id", { replacements: [opened.cycleId], type: QueryTypes.SELECT }) as Array<{ code: string }>;
  const valuesOf = (i: number) => {
    const values: Record<string, Record<string, number>> = {};
    for (let r = 1; r <= 25; r++) values[`ct${r}`] = { th: (i % 97) + r, lk: (i % 89) + r * 10, cky: (i % 83) + r * 9, kh: (i % 79) + r * 100 };
    return values;
  };
  // The made-up figures trip the cross-checks (outliers among siblings): every warning gets an explanation.
  const explanations: Record<string, string> = {};
  for (let r = 1; r <= 25; r++) for (const col of ['th', 'lk', 'cky', 'kh']) for (const kind of ['parent', 'change', 'outlier']) explanations[`xc.${kind}.ct${r}.${col}`] = 'Số liệu đo hiệu năng';
  const viaService = Math.min(communes.length, submitSample ?? communes.length);
  t0 = performance.now();
  for (const [i, c] of communes.slice(0, viaService).entries()) {
    await saveReport(officer, 'BENCH', period, c.code, valuesOf(i) as never, { submit: true, via: 'bench', explanations });
  }
  const submitMs = performance.now() - t0;
  line(`[${dialect}] submit: ${viaService} communes × 100 values in ${secs(submitMs)} s (${Math.round((submitMs / Math.max(viaService, 1)) * 10) / 10} ms each)`);
  if (viaService < communes.length) {
    // BENCH_SUBMIT=N: the other communes get the same kind of values written directly, for the roll-up.
    await db().transaction(async (transaction) => {
      for (const [i, c] of communes.entries()) {
        if (i < viaService) continue;
        await db().query('UPDATE reporting_reports SET data_values = ? WHERE cycle_id = ? AND org_code = ?', { replacements: [JSON.stringify(valuesOf(i)), opened.cycleId, c.code], transaction });
      }
    });
  }
  // Approval and signature are set directly (the signing bench measures signatures).
  await db().query("UPDATE reporting_reports SET status = 'submitted', submitted_at = updated_at WHERE cycle_id = ? AND org_level = 'commune'", { replacements: [opened.cycleId] });

  t0 = performance.now();
  const parents = await rollupCycle(opened.cycleId);
  const rollupMs = performance.now() - t0;
  const sums: string[] = [];
  for (let r = 1; r <= 25; r++) for (const col of ['th', 'lk', 'cky', 'kh']) sums.push(isMysql() ? `SUM(JSON_EXTRACT(data_values, '$.ct${r}.${col}'))` : `SUM(json_extract(data_values, '$.ct${r}.${col}'))`);
  t0 = performance.now();
  const raw = await db().query(`SELECT parent_code, COUNT(*) AS n, ${sums.join(', ')} FROM reporting_reports WHERE cycle_id = ? AND status = 'submitted' GROUP BY parent_code`, { replacements: [opened.cycleId], type: QueryTypes.SELECT }) as Array<Record<string, unknown>>;
  const groupByMs = performance.now() - t0;
  line(`[${dialect}] roll-up: ${parents} parents in ${secs(rollupMs)} s; raw GROUP BY of the same ${sums.length} sums over ${raw.length} groups in ${secs(groupByMs)} s`);

  const server = await createServer();
  await createUser({ username: 'bench.admin', fullName: 'Quản trị đo', password: 'BenchPassword123', orgCode: 'VN', roles: [{ role: 'admin', orgCode: null }] }, null);
  const anon = await server.inject('/login');
  const crumb = String(anon.headers['set-cookie']).match(/crumb=([^;]+)/)![1];
  const logged = await server.inject({ method: 'POST', url: '/login', headers: { cookie: `crumb=${crumb}` }, payload: { username: 'bench.admin', password: 'BenchPassword123', crumb } });
  const cookie = (logged.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
  t0 = performance.now();
  const page = await server.inject({ url: `/reporting/BENCH/${period}/dashboard`, headers: { cookie } });
  const dashboardMs = performance.now() - t0;
  if (page.statusCode !== 200) throw new Error(`dashboard answered ${page.statusCode}`);
  line(`[${dialect}] dashboard: ${page.payload.length} bytes in ${secs(dashboardMs)} s`);
  const status = await cycleStatus('BENCH', period);
  line(`[${dialect}] status: ${JSON.stringify({ expected: status.expected, submitted: status.submitted, missing: status.missing })}`);
  await server.stop();
  await closeStore();
  await drop();
  line(JSON.stringify({
    dialect, units: opened.created, openSeconds: secs(openMs), instanceSeconds: withInstances ? secs(instancesMs) : null, openWithInstancesSeconds: withInstances ? secs(openMs + instancesMs) : null, submitSeconds: secs(submitMs), submittedViaService: viaService, communes: communes.length,
    rollupSeconds: secs(rollupMs), groupBySeconds: secs(groupByMs), rollupToGroupBy: Math.round((rollupMs / Math.max(groupByMs, 0.001)) * 100) / 100, dashboardSeconds: secs(dashboardMs),
  }));
}

await main();

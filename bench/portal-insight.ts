// Benchmark of the public statistics (issue 13's part of bench:portal): N generated dossiers (default 1,000,000)
// over the real 2025 tree and the shipped commune procedures, with a paid payment for about half of them, a rating
// for a quarter and an answered feedback case for one in fifty, the rollups built by the rebuild, then the statistics
// of one agency (a province) for a year and of the whole country for a year, each against a raw SQL GROUP BY over
// the dossiers that counts the same figures, in the same run. Prints seconds and ratios; returns them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { db, isMysql } from '../src/store/index.ts';
import { importOrgs } from '../src/orgs/import.ts';
import { importProcedures } from '../src/catalog/service.ts';
import { OrgUnit } from '../src/orgs/models.ts';
import { rebuildStatistics, statistics } from '../src/insight/service.ts';

const line = (s: string) => process.stdout.write(s + '\n');
const H = 3600_000;

export interface InsightBenchResult {
  dossiers: number;
  generateSeconds: number;
  rebuildSeconds: number;
  agencyYearSeconds: number;
  agencyYearRawSeconds: number;
  agencyYearRatio: number;
  countryYearSeconds: number;
  countryYearRawSeconds: number;
  countryYearRatio: number;
  /** The whole country from 15 January to 20 November: months and edge days. */
  countryEdgesSeconds: number;
  /** Process CPU seconds (user + system) of each timed statistics query and of its raw GROUP BY. */
  cpuSeconds: Record<string, number>;
  /** The 1-minute load average when the queries ran. */
  loadAverage: number;
}

const cpuSeconds: Record<string, number> = {};

async function timed<T>(fn: () => Promise<T>, name?: string): Promise<[T, number]> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (name) cpuSeconds[name] = (c.user + c.system) / 1e6;
  return [r, wall];
}

function sqlDate(d: Date): string {
  return isMysql() ? d.toISOString().slice(0, 23).replace('T', ' ') : d.toISOString().replace('T', ' ').replace('Z', ' +00:00');
}

/** Inserts rows in one multi-row INSERT, in its own transaction. */
async function insertRows(table: string, cols: string[], rows: unknown[][]): Promise<void> {
  if (!rows.length) return;
  const one = `(${cols.map(() => '?').join(', ')})`;
  await db().transaction((t) => db().query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${rows.map(() => one).join(', ')}`, { replacements: rows.flat(), type: QueryTypes.INSERT, transaction: t }));
}

/**
 * Fills the dossiers table with n rows of every outcome, in chunks of raw multi-row INSERTs, with paid payments,
 * ratings and answered feedback cases of some of them. The table is empty, so the dossiers' ids are 1…n.
 */
async function generate(n: number, root: string): Promise<void> {
  await importOrgs(fs.readFileSync(path.join(root, 'seed/admin-units-2025.csv')));
  await importProcedures(fs.readFileSync(path.join(root, 'seed/procedures-common.csv')), null);
  const communes = await OrgUnit.findAll({ where: { level: 'commune' }, attributes: ['id', 'code', 'path'], raw: true });
  const procedures = ['1.001193', '1.000894', '1.000656', '1.004222', '2.000848', '2.000908'];
  const start = Date.parse('2025-01-01T01:00:00Z');
  const span = Date.parse('2026-11-30T10:00:00Z') - start;
  // mulberry32: the LCG in doubles lost its low bits (seed × 1103515245 passes 2^53) and cycled after a few thousand
  // draws, so a million dossiers fell on a few thousand unit-days; this one spreads them over every commune and day.
  let seed = 7;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const cols = ['procedure_code', 'procedure_name', 'form_key', 'form_version', 'owner_user_id', 'org_unit_id', 'org_code', 'org_path', 'channel', 'status', 'values_json', 'received_at', 'due_at', 'finished_at', 'decided_at', 'paused_working_days', 'version', 'created_at', 'updated_at'];
  const payCols = ['txn_ref', 'dossier_id', 'gateway', 'amount', 'status', 'order_info', 'paid_at', 'receipt_no', 'created_at', 'updated_at'];
  const rateCols = ['dossier_id', 'dossier_code', 'procedure_code', 'field', 'org_code', 'org_path', 'via', 'overall', 'answers_json', 'day', 'rated_at'];
  const caseCols = ['code', 'subject', 'content', 'source', 'status', 'org_code', 'org_path', 'org_name', 'contact_name', 'locale', 'answered_at', 'received_at', 'due_at', 'created_at', 'updated_at'];
  const levels = ['very_satisfied', 'satisfied', 'satisfied', 'unsatisfied'];
  const CHUNK = 1500;
  const now = sqlDate(new Date());
  for (let i = 0; i < n; i += CHUNK) {
    const rows: unknown[][] = [];
    const payments: unknown[][] = [];
    const ratings: unknown[][] = [];
    const cases: unknown[][] = [];
    for (let j = i; j < Math.min(n, i + CHUNK); j++) {
      const id = j + 1;
      const u = communes[Math.floor(rand() * communes.length)];
      const received = new Date(start + Math.floor(rand() * span));
      const due = new Date(received.getTime() + 72 * H);
      const r = rand();
      const status = r < 0.08 ? 'processing' : r < 0.1 ? 'supplement' : r < 0.12 ? 'withdrawn' : r < 0.16 ? 'refused' : 'done';
      const finished = status === 'done' || status === 'withdrawn' ? new Date(received.getTime() + Math.floor(rand() * 110) * H) : null;
      const decided = status === 'refused' ? new Date(received.getTime() + Math.floor(rand() * 90) * H) : null;
      const procedure = procedures[j % procedures.length];
      rows.push([procedure, 'x', 'f', 1, 1, u.id, u.code, u.path, rand() < 0.7 ? 'online' : 'direct', status, '{}', sqlDate(received), sqlDate(due), finished && sqlDate(finished), decided && sqlDate(decided), 0, 1, now, now]);
      if (rand() < 0.5) payments.push([`B${id}`, id, 'vnpay', 10000 * (1 + (j % 20)), 'paid', 'x', sqlDate(new Date(received.getTime() + 2 * H)), `R${id}`, now, now]);
      if (finished && status === 'done' && rand() < 0.3) {
        const at = new Date(finished.getTime() + 5 * H);
        ratings.push([id, `D${id}`, procedure, '', u.code, u.path, 'code', levels[Math.floor(rand() * levels.length)], '{}', new Date(at.getTime() + 7 * H).toISOString().slice(0, 10), sqlDate(at)]);
      }
      if (rand() < 0.02) {
        const answered = new Date(received.getTime() + Math.floor(rand() * 400) * H);
        cases.push([`PA${id}`, 'x', 'x', 'web', 'answered', u.code, u.path, 'x', 'x', 'vi', sqlDate(answered), sqlDate(received), sqlDate(new Date(received.getTime() + 240 * H)), now, now]);
      }
    }
    await insertRows('dossiers', cols, rows);
    await insertRows('payments', payCols, payments);
    await insertRows('dossier_ratings', rateCols, ratings);
    await insertRows('feedback_cases', caseCols, cases);
  }
}

/** The same figures as `statistics` counted straight from the dossiers with one GROUP BY. */
async function rawGroupBy(pathPrefix: string, from: string, to: string): Promise<unknown[]> {
  const lo = sqlDate(new Date(`${from}T00:00:00+07:00`));
  const hi = sqlDate(new Date(`${to}T23:59:59.999+07:00`));
  return db().query(
    `SELECT org_code,
       SUM(CASE WHEN channel = 'online' AND received_at BETWEEN ? AND ? THEN 1 ELSE 0 END) AS received_online,
       SUM(CASE WHEN channel <> 'online' AND received_at BETWEEN ? AND ? THEN 1 ELSE 0 END) AS received_direct,
       SUM(CASE WHEN status IN ('done', 'refused') AND COALESCE(finished_at, decided_at) BETWEEN ? AND ? AND COALESCE(finished_at, decided_at) <= due_at THEN 1 ELSE 0 END) AS on_time,
       SUM(CASE WHEN status IN ('done', 'refused') AND COALESCE(finished_at, decided_at) BETWEEN ? AND ? AND COALESCE(finished_at, decided_at) > due_at THEN 1 ELSE 0 END) AS late,
       SUM(CASE WHEN status IN ('submitted', 'supplement', 'processing', 'approved') THEN 1 ELSE 0 END) AS pending
     FROM dossiers WHERE org_path LIKE ? AND status <> 'draft' GROUP BY org_code`,
    { replacements: [lo, hi, lo, hi, lo, hi, lo, hi, `${pathPrefix}%`], type: QueryTypes.SELECT },
  );
}

/** Runs the statistics part on the connected, migrated store. */
export async function benchInsight(n: number, root: string): Promise<InsightBenchResult> {
  const [, generateSeconds] = await timed(() => generate(n, root));
  line(`insight: ${n} dossiers generated in ${generateSeconds.toFixed(1)} s`);
  const [rebuilt, rebuildSeconds] = await timed(() => rebuildStatistics());
  line(`insight: rollups rebuilt from ${rebuilt.dossiers} dossiers in ${rebuildSeconds.toFixed(1)} s (${rebuilt.differences.length} rows differed from the empty rollups)`);
  const hanoi = (await OrgUnit.findOne({ where: { code: '01' } }))!;
  // Warm both paths once, then time the second run of each.
  await statistics({ from: '2026-01-01', to: '2026-12-31', orgCode: '01' });
  await rawGroupBy(hanoi.path, '2026-01-01', '2026-12-31');
  const loadAverage = os.loadavg()[0];
  const [, agencyYearSeconds] = await timed(() => statistics({ from: '2026-01-01', to: '2026-12-31', orgCode: '01' }), 'agencyYear');
  const [, agencyYearRawSeconds] = await timed(() => rawGroupBy(hanoi.path, '2026-01-01', '2026-12-31'), 'agencyYearRaw');
  const [, countryYearSeconds] = await timed(() => statistics({ from: '2026-01-01', to: '2026-12-31' }), 'countryYear');
  const [, countryYearRawSeconds] = await timed(() => rawGroupBy('/', '2026-01-01', '2026-12-31'), 'countryYearRaw');
  const [, countryEdgesSeconds] = await timed(() => statistics({ from: '2026-01-15', to: '2026-11-20' }), 'countryEdges');
  const r = {
    dossiers: n, generateSeconds, rebuildSeconds, agencyYearSeconds, agencyYearRawSeconds, agencyYearRatio: agencyYearSeconds / agencyYearRawSeconds,
    countryYearSeconds, countryYearRawSeconds, countryYearRatio: countryYearSeconds / countryYearRawSeconds, countryEdgesSeconds, cpuSeconds: { ...cpuSeconds }, loadAverage,
  };
  line(`insight: Hà Nội, 2026: ${agencyYearSeconds.toFixed(3)} s from the rollups, ${agencyYearRawSeconds.toFixed(3)} s raw GROUP BY over the dossiers (${r.agencyYearRatio.toFixed(3)}×)`);
  line(`insight: whole country, 2026: ${countryYearSeconds.toFixed(3)} s from the rollups, ${countryYearRawSeconds.toFixed(3)} s raw GROUP BY (${r.countryYearRatio.toFixed(3)}×)`);
  line(`insight: whole country, 2026-01-15 – 2026-11-20 (months and edge days): ${countryEdgesSeconds.toFixed(3)} s`);
  line(`insight: process CPU seconds ${JSON.stringify(cpuSeconds)}, load average ${loadAverage.toFixed(2)}`);
  return r;
}

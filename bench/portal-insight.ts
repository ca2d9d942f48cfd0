// Benchmark of the public statistics (issue 13's part of bench:portal): N generated dossiers (default 1,000,000)
// over the real 2025 tree and the shipped commune procedures, the rollups built by the rebuild, then the statistics
// of one agency (a province) for a year and of the whole country for a year, each against a raw SQL GROUP BY over
// the dossiers that counts the same figures, in the same run. Prints seconds and ratios; returns them.
import fs from 'node:fs';
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
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

function sqlDate(d: Date): string {
  return isMysql() ? d.toISOString().slice(0, 23).replace('T', ' ') : d.toISOString().replace('T', ' ').replace('Z', ' +00:00');
}

/** Fills the dossiers table with n rows of every outcome, in chunks of raw multi-row INSERTs. */
async function generate(n: number, root: string): Promise<void> {
  await importOrgs(fs.readFileSync(path.join(root, 'seed/admin-units-2025.csv')));
  await importProcedures(fs.readFileSync(path.join(root, 'seed/procedures-common.csv')), null);
  const communes = await OrgUnit.findAll({ where: { level: 'commune' }, attributes: ['id', 'code', 'path'], raw: true });
  const procedures = ['1.001193', '1.000894', '1.000656', '1.004222', '2.000848', '2.000908'];
  const start = Date.parse('2025-01-01T01:00:00Z');
  const span = Date.parse('2026-11-30T10:00:00Z') - start;
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cols = ['procedure_code', 'procedure_name', 'form_key', 'form_version', 'owner_user_id', 'org_unit_id', 'org_code', 'org_path', 'channel', 'status', 'values_json', 'received_at', 'due_at', 'finished_at', 'decided_at', 'paused_working_days', 'version', 'created_at', 'updated_at'];
  const CHUNK = 2000;
  const now = sqlDate(new Date());
  for (let i = 0; i < n; i += CHUNK) {
    const params: unknown[] = [];
    const rows: string[] = [];
    for (let j = i; j < Math.min(n, i + CHUNK); j++) {
      const u = communes[Math.floor(rand() * communes.length)];
      const received = new Date(start + Math.floor(rand() * span));
      const due = new Date(received.getTime() + 72 * H);
      const r = rand();
      const status = r < 0.08 ? 'processing' : r < 0.1 ? 'supplement' : r < 0.12 ? 'withdrawn' : r < 0.16 ? 'refused' : 'done';
      const finished = status === 'done' || status === 'withdrawn' ? new Date(received.getTime() + Math.floor(rand() * 110) * H) : null;
      const decided = status === 'refused' ? new Date(received.getTime() + Math.floor(rand() * 90) * H) : null;
      rows.push(`(${cols.map(() => '?').join(', ')})`);
      params.push(procedures[j % procedures.length], 'x', 'f', 1, 1, u.id, u.code, u.path, rand() < 0.7 ? 'online' : 'direct', status, '{}', sqlDate(received), sqlDate(due), finished && sqlDate(finished), decided && sqlDate(decided), 0, 1, now, now);
    }
    await db().transaction((t) => db().query(`INSERT INTO dossiers (${cols.join(', ')}) VALUES ${rows.join(', ')}`, { replacements: params, type: QueryTypes.INSERT, transaction: t }));
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
  const [, agencyYearSeconds] = await timed(() => statistics({ from: '2026-01-01', to: '2026-12-31', orgCode: '01' }));
  const [, agencyYearRawSeconds] = await timed(() => rawGroupBy(hanoi.path, '2026-01-01', '2026-12-31'));
  const [, countryYearSeconds] = await timed(() => statistics({ from: '2026-01-01', to: '2026-12-31' }));
  const [, countryYearRawSeconds] = await timed(() => rawGroupBy('/', '2026-01-01', '2026-12-31'));
  const r = {
    dossiers: n, generateSeconds, rebuildSeconds, agencyYearSeconds, agencyYearRawSeconds, agencyYearRatio: agencyYearSeconds / agencyYearRawSeconds,
    countryYearSeconds, countryYearRawSeconds, countryYearRatio: countryYearSeconds / countryYearRawSeconds,
  };
  line(`insight: Hà Nội, 2026: ${agencyYearSeconds.toFixed(3)} s from the rollups, ${agencyYearRawSeconds.toFixed(3)} s raw GROUP BY over the dossiers (${r.agencyYearRatio.toFixed(3)}×)`);
  line(`insight: whole country, 2026: ${countryYearSeconds.toFixed(3)} s from the rollups, ${countryYearRawSeconds.toFixed(3)} s raw GROUP BY (${r.countryYearRatio.toFixed(3)}×)`);
  return r;
}

// Benchmark of the Decision 766 rankings (issue 13's `rankings` part of bench:portal), on the store the statistics
// part filled (its generated dossiers over the 2025 tree, rollups rebuilt): adds the ministries, dossiers at them
// (one for every hundred generated ones, through the models, so the rollups follow), attachment and result files for
// some dossiers (raw INSERTs, so the rollups and dossier flags are rebuilt after them), then times the ranking of all 34 provinces and the ministries for a year against one raw SQL
// GROUP BY over the dossiers counting the same figures, in the same run. Prints seconds and the ratio; returns them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { db, inTransaction, isMysql } from '../src/store/index.ts';
import { importOrgs } from '../src/orgs/import.ts';
import { OrgUnit } from '../src/orgs/models.ts';
import { Dossier } from '../src/dossiers/models.ts';
import { parsePeriod, rankings } from '../src/insight/rankings.ts';
import { rebuildStatistics } from '../src/insight/service.ts';

const line = (s: string) => process.stdout.write(s + '\n');
const H = 3600_000;

export interface RankingsBenchResult {
  dossiers: number;
  ministryDossiers: number;
  files: number;
  setupSeconds: number;
  provinces: number;
  ministries: number;
  rankingSeconds: number;
  rawSeconds: number;
  ratio: number;
  cpuSeconds: Record<string, number>;
  loadAverage: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const c = process.cpuUsage(c0);
  return [r, Number(process.hrtime.bigint() - t0) / 1e9, (c.user + c.system) / 1e6];
}

const sqlDate = (d: Date) => (isMysql() ? d.toISOString().slice(0, 23).replace('T', ' ') : d.toISOString().replace('T', ' ').replace('Z', ' +00:00'));

/** The ranking's figures counted straight from the dossiers (and their files and payments) with one GROUP BY. */
async function rawRanking(from: string, to: string): Promise<unknown[]> {
  const lo = sqlDate(new Date(`${from}T00:00:00+07:00`));
  const hi = sqlDate(new Date(Date.parse(`${to}T00:00:00+07:00`) + 24 * H));
  const at = 'COALESCE(d.finished_at, d.decided_at, d.received_at)';
  return db().query(
    `SELECT d.org_code,
       SUM(CASE WHEN d.received_at >= ? AND d.received_at < ? THEN 1 ELSE 0 END) AS received,
       SUM(CASE WHEN d.received_at >= ? AND d.received_at < ? AND d.channel = 'online' THEN 1 ELSE 0 END) AS online,
       SUM(CASE WHEN d.status IN ('done', 'refused') AND ${at} >= ? AND ${at} < ? THEN 1 ELSE 0 END) AS resolved,
       SUM(CASE WHEN d.status IN ('done', 'refused') AND ${at} >= ? AND ${at} < ? AND ${at} > d.due_at THEN 1 ELSE 0 END) AS late,
       SUM(CASE WHEN d.status IN ('submitted', 'supplement', 'processing', 'approved') AND d.due_at < ? THEN 1 ELSE 0 END) AS overdue,
       SUM(CASE WHEN d.received_at >= ? AND d.received_at < ? AND EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = d.id AND f.kind = 'attachment') THEN 1 ELSE 0 END) AS attached,
       SUM(CASE WHEN d.status = 'done' AND ${at} >= ? AND ${at} < ? AND EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = d.id AND f.kind = 'result') THEN 1 ELSE 0 END) AS results,
       SUM(CASE WHEN d.status = 'done' AND ${at} >= ? AND ${at} < ? AND EXISTS (SELECT 1 FROM payments y WHERE y.dossier_id = d.id AND y.status = 'paid') THEN 1 ELSE 0 END) AS paid
     FROM dossiers d WHERE d.status <> 'draft' GROUP BY d.org_code`,
    { replacements: [lo, hi, lo, hi, lo, hi, lo, hi, sqlDate(new Date()), lo, hi, lo, hi, lo, hi], type: QueryTypes.SELECT },
  );
}

/** Runs the rankings part on the store the statistics part generated `n` dossiers into. */
export async function benchRankings(n: number, root: string): Promise<RankingsBenchResult> {
  const [{ ministryDossiers, files }, setupSeconds] = await timed(async () => {
    await importOrgs(fs.readFileSync(path.join(root, 'seed/agencies.csv')));
    const ministries = await OrgUnit.findAll({ where: { level: 'ministry', validTo: null }, attributes: ['id', 'code', 'path'] });
    let seed = 13;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const start = Date.parse('2025-01-01T01:00:00Z');
    const span = Date.parse('2026-11-30T10:00:00Z') - start;
    const m = Math.ceil(n / 100);
    for (let i = 0; i < m; i += 1000) {
      const rows: Array<Record<string, unknown>> = [];
      for (let j = i; j < Math.min(m, i + 1000); j++) {
        const u = ministries[j % ministries.length];
        const receivedAt = new Date(start + Math.floor(rand() * span));
        const r = rand();
        const status = r < 0.1 ? 'processing' : 'done';
        rows.push({
          procedureCode: '1.013539', procedureName: 'x', formKey: 'f', formVersion: 1, ownerUserId: 1, orgUnitId: u.id, orgCode: u.code, orgPath: u.path,
          channel: rand() < 0.5 ? 'online' : 'direct', status, valuesJson: '{}', receivedAt, dueAt: new Date(receivedAt.getTime() + 240 * H),
          finishedAt: status === 'done' ? new Date(receivedAt.getTime() + Math.floor(rand() * 300) * H) : null,
        });
      }
      await inTransaction((t) => Dossier.bulkCreate(rows, { transaction: t }));
    }
    // Files: an attachment for about two dossiers in five, a result for about one in four.
    const [{ maxId }] = await db().query('SELECT MAX(id) AS maxId FROM dossiers', { type: QueryTypes.SELECT }) as Array<{ maxId: number }>;
    let files = 0;
    const cols = '(dossier_id, doc_type, name, mime, size, sha256, kind, created_at, updated_at)';
    const now = sqlDate(new Date());
    for (let id = 1; id <= Number(maxId); id += 2000) {
      const vals: unknown[] = [];
      let k = 0;
      for (let d = id; d < Math.min(Number(maxId) + 1, id + 2000); d++) {
        if (d % 5 < 2) { vals.push(d, 'to-khai', 'a.pdf', 'application/pdf', 1, 'a'.repeat(64), 'attachment', now, now); k++; }
        if (d % 4 === 0) { vals.push(d, 'ket-qua', 'k.pdf', 'application/pdf', 1, 'b'.repeat(64), 'result', now, now); k++; }
      }
      if (!k) continue;
      await db().transaction((t) => db().query(`INSERT INTO dossier_files ${cols} VALUES ${Array(k).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, { replacements: vals, type: QueryTypes.INSERT, transaction: t }));
      files += k;
    }
    // The files went in by raw SQL, past the hooks that keep the dossiers' flags and the digitisation counters.
    await rebuildStatistics();
    return { ministryDossiers: m, files };
  });
  line(`rankings: ${ministryDossiers} dossiers at the ministries and ${files} files added and the rollups rebuilt in ${setupSeconds.toFixed(1)} s`);
  const period = parsePeriod('2026');
  // Warm both paths once, then time the second run of each.
  await rankings(period);
  await rawRanking(period.from, period.to);
  const loadAverage = os.loadavg()[0];
  const [r, rankingSeconds, rankingCpu] = await timed(() => rankings(period));
  const [, rawSeconds, rawCpu] = await timed(() => rawRanking(period.from, period.to));
  const out = {
    dossiers: n + ministryDossiers, ministryDossiers, files, setupSeconds, provinces: r.provinces.length, ministries: r.ministries.length,
    rankingSeconds, rawSeconds, ratio: rankingSeconds / rawSeconds, cpuSeconds: { ranking: rankingCpu, raw: rawCpu }, loadAverage,
  };
  line(`rankings: ${out.provinces} provinces and ${out.ministries} ministries for 2026 in ${rankingSeconds.toFixed(3)} s (goal < 2 s); raw GROUP BY over the dossiers ${rawSeconds.toFixed(3)} s (${out.ratio.toFixed(3)}×); CPU ${rankingCpu.toFixed(2)} s / ${rawCpu.toFixed(2)} s; load average ${loadAverage.toFixed(2)}`);
  return out;
}

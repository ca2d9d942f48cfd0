// Statistics kept current as dossiers move equal a recount from the raw dossier rows, after a generated history
// with every kind of outcome; the rebuild finds a tampered rollup row and puts it right.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { importOrgs } from '../../../src/orgs/import.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { Dossier } from '../../../src/dossiers/models.ts';
import { InsightDaily } from '../../../src/insight/models.ts';
import { rebuildStatistics, statistics } from '../../../src/insight/service.ts';
import { inTransaction } from '../../../src/store/index.ts';
import { importProcedures } from '../../../src/catalog/import.ts';

let db: TestDb;
const root = path.resolve(import.meta.dirname, '../../..');
const NOW = new Date('2026-12-01T03:00:00Z');

// A small deterministic generator, so the history is the same on every run.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
const H = 3600_000;

test.before(async () => {
  db = await freshDb();
  await importOrgs(fs.readFileSync(path.join(root, 'seed/admin-units-2025.csv')));
  await importProcedures(fs.readFileSync(path.join(root, 'seed/procedures-common.csv')), null);
  const units = await Promise.all(['00004', '00008', '26740', '26737'].map((c) => getOrgByCode(c)));
  const procedures = ['1.001193', '1.000894', '1.004222'];
  // 240 dossiers over three months, moved through their states the ways the services do it.
  for (let i = 0; i < 240; i++) {
    const u = pick(units);
    const receivedAt = new Date(Date.parse('2026-09-01T02:00:00Z') + Math.floor(rand() * 85) * 24 * H);
    const d = await Dossier.create({
      procedureCode: pick(procedures), procedureName: 'x', formKey: 'f', formVersion: 1, ownerUserId: 1, orgUnitId: u.id, orgCode: u.code, orgPath: u.path,
      channel: pick(['online', 'online', 'direct', 'post']), status: 'draft', valuesJson: '{}',
    });
    const outcome = pick(['draft', 'open', 'open-overdue', 'early', 'onTime', 'late', 'refused', 'withdrawn', 'supplement']);
    if (outcome === 'draft') continue;
    const dueAt = new Date(receivedAt.getTime() + 5 * 24 * H);
    await inTransaction((t) => d.update({ status: 'submitted', receivedAt, dueAt }, { transaction: t }));
    if (outcome === 'open') await d.update({ status: 'processing', dueAt: new Date(NOW.getTime() + 3 * 24 * H) });
    if (outcome === 'open-overdue') await Dossier.update({ status: 'processing' }, { where: { id: d.id } });
    if (outcome === 'supplement') await d.update({ status: 'supplement', dueAt: new Date(dueAt.getTime() + 2 * 24 * H) });
    if (outcome === 'early') await d.update({ status: 'done', finishedAt: new Date(receivedAt.getTime() + 2 * 24 * H) });
    if (outcome === 'onTime') await d.update({ status: 'done', finishedAt: new Date(dueAt.getTime() - H) });
    if (outcome === 'late') await inTransaction((t) => Dossier.update({ status: 'done', finishedAt: new Date(dueAt.getTime() + 3 * 24 * H) }, { where: { id: d.id }, transaction: t }));
    if (outcome === 'refused') await d.update({ status: 'refused', decidedAt: new Date(receivedAt.getTime() + 24 * H) });
    if (outcome === 'withdrawn') await d.update({ status: 'withdrawn', finishedAt: new Date(receivedAt.getTime() + 24 * H) });
  }
  // One dossier is removed altogether (a test dossier an admin deletes).
  await Dossier.destroy({ where: { id: 3 } });
});

test.after.always(async () => {
  await db?.cleanup();
});

/** The same figures counted the slow way, from the dossier rows. */
async function recount(from: string, to: string) {
  const vn = (x: Date) => new Date(x.getTime() + 7 * H).toISOString().slice(0, 10);
  const rows = await Dossier.findAll();
  const r = { received: 0, online: 0, direct: 0, early: 0, onTime: 0, late: 0, withdrawn: 0, carried: 0, within: 0, overdue: 0 };
  for (const d of rows) {
    if (d.status === 'draft' || !d.receivedAt) continue;
    const rd = vn(d.receivedAt);
    const resolvedAt = ['done', 'refused'].includes(d.status) ? d.finishedAt ?? d.decidedAt! : null;
    const gone = resolvedAt ?? (d.status === 'withdrawn' ? d.finishedAt! : null);
    if (rd >= from && rd <= to) {
      r.received++;
      if (d.channel === 'online') r.online++;
      else r.direct++;
    }
    if (rd < from && (!gone || vn(gone) >= from)) r.carried++;
    if (resolvedAt && vn(resolvedAt) >= from && vn(resolvedAt) <= to) {
      if (resolvedAt > d.dueAt!) r.late++;
      else if (vn(resolvedAt) < vn(d.dueAt!)) r.early++;
      else r.onTime++;
    }
    if (d.status === 'withdrawn' && vn(d.finishedAt!) >= from && vn(d.finishedAt!) <= to) r.withdrawn++;
    if (['submitted', 'processing', 'supplement', 'approved'].includes(d.status)) {
      if (vn(d.dueAt!) < vn(NOW)) r.overdue++;
      else r.within++;
    }
  }
  return r;
}

for (const [from, to] of [['2026-09-01', '2026-12-31'], ['2026-10-01', '2026-10-31']] as const) {
  test.serial(`the kept statistics for ${from}…${to} equal a recount from the dossiers`, async (t) => {
    const { total } = await statistics({ from, to }, NOW);
    const r = await recount(from, to);
    t.true(r.received > 20);
    t.like(total, {
      received: r.received, receivedOnline: r.online, receivedDirect: r.direct, resolvedEarly: r.early, resolvedOnTime: r.onTime, resolvedLate: r.late,
      withdrawn: r.withdrawn, carriedOver: r.carried, pendingWithinTime: r.within, pendingOverdue: r.overdue,
    });
  });
}

test.serial('grouped by unit, a province scope lists its communes and their rows add up to the total', async (t) => {
  const { rows, total, scope } = await statistics({ from: '2026-09-01', to: '2026-12-31', orgCode: '01' }, NOW);
  t.is(scope.name, 'Thành phố Hà Nội');
  t.deepEqual(new Set(rows.map((r) => r.key)), new Set(['00004', '00008']));
  t.is(rows.reduce((n, r) => n + r.received, 0), total.received);
  const byMonth = await statistics({ from: '2026-09-01', to: '2026-12-31', groupBy: 'month' }, NOW);
  t.deepEqual(byMonth.rows.map((r) => r.key), ['2026-09', '2026-10', '2026-11', '2026-12']);
});

test.serial('the rebuild finds no difference in kept rows, then finds and mends a tampered one', async (t) => {
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
  const row = (await InsightDaily.findOne({ where: { orgCode: '00004' } }))!;
  await InsightDaily.update({ receivedOnline: row.receivedOnline + 5 }, { where: { day: row.day, orgCode: row.orgCode, procedureCode: row.procedureCode } });
  const found = await rebuildStatistics();
  t.is(found.differences.length, 1);
  t.like(found.differences[0], { table: 'insight_daily', column: 'received_online', kept: row.receivedOnline + 5, recounted: row.receivedOnline });
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
});

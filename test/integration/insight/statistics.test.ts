// Statistics kept current as dossiers, payments, ratings and feedback cases move equal a recount from the raw rows,
// after a generated history with every kind of outcome; the rebuild finds a tampered daily or monthly row and puts it right.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { Op } from 'sequelize';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { importOrgs } from '../../../src/orgs/import.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { Dossier } from '../../../src/dossiers/models.ts';
import { InsightAreaMonthly, InsightAreaOpen, InsightDaily, InsightMonthly } from '../../../src/insight/models.ts';
import { Payment } from '../../../src/payments/models.ts';
import { DossierRating, FeedbackCase } from '../../../src/feedback/models.ts';
import { rebuildStatistics, statistics, type StatsRow } from '../../../src/insight/service.ts';
import { inTransaction } from '../../../src/store/index.ts';
import { importProcedures } from '../../../src/catalog/import.ts';
import { govflowCli } from '../../helpers/cli.ts';

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
  // Payments: paid (confirmed the way the gateway notification does it), failed, still pending, paid twice.
  const resolved = await Dossier.findAll({ where: { status: ['done', 'refused', 'processing'] }, order: [['id', 'ASC']] });
  for (const [i, d] of resolved.entries()) {
    const kind = pick(['paid', 'paid', 'failed', 'pending', 'none', 'twice']);
    if (kind === 'none') continue;
    const paidAt = new Date(d.receivedAt!.getTime() + Math.floor(rand() * 30) * 24 * H);
    for (let k = 0; k < (kind === 'twice' ? 2 : 1); k++) {
      const p = await Payment.create({ txnRef: `T${i}-${k}`, dossierId: d.id, gateway: 'vnpay', amount: 15000 * (1 + (i % 7)), status: 'pending', orderInfo: 'x' });
      if (kind === 'pending') continue;
      await inTransaction((t) => Payment.update({ status: kind === 'failed' ? 'failed' : 'paid', paidAt: kind === 'failed' ? null : paidAt }, { where: { id: p.id, status: 'pending' }, transaction: t }));
      // A late repeat of the same notification finds nothing pending and changes nothing.
      await Payment.update({ status: 'paid', paidAt: new Date() }, { where: { id: p.id, status: 'pending' } });
    }
  }
  // Ratings of done dossiers, one of them taken back.
  const done = await Dossier.findAll({ where: { status: 'done' }, order: [['id', 'ASC']] });
  for (const d of done) {
    if (rand() < 0.3) continue;
    const ratedAt = new Date(d.finishedAt!.getTime() + Math.floor(rand() * 5) * 24 * H);
    await DossierRating.create({
      dossierId: d.id, dossierCode: `D${d.id}`, procedureCode: d.procedureCode, field: '', orgCode: d.orgCode, orgPath: d.orgPath, via: 'code',
      overall: pick(['very_satisfied', 'satisfied', 'unsatisfied']), answersJson: '{}', day: new Date(ratedAt.getTime() + 7 * H).toISOString().slice(0, 10), ratedAt,
    });
  }
  await DossierRating.destroy({ where: { dossierId: done[1].id } });
  // Feedback cases: answered on time, late, published, reopened and waiting again, still being handled.
  for (let i = 0; i < 40; i++) {
    const u = pick(units);
    const receivedAt = new Date(Date.parse('2026-09-01T02:00:00Z') + Math.floor(rand() * 85) * 24 * H);
    const dueAt = new Date(receivedAt.getTime() + 10 * 24 * H);
    const c = await FeedbackCase.create({
      code: `PA-${i}`, subject: 'x', content: 'x', source: 'web', status: 'received', orgCode: u.code, orgPath: u.path, orgName: u.name, contactName: 'x', locale: 'vi', receivedAt, dueAt,
    });
    const kind = pick(['onTime', 'late', 'published', 'reopened', 'open']);
    if (kind === 'open') continue;
    const answeredAt = new Date(receivedAt.getTime() + (kind === 'late' ? 14 : 4) * 24 * H);
    await inTransaction((t) => FeedbackCase.update({ status: 'answered', answer: 'y', answeredAt }, { where: { id: c.id, status: 'received' }, transaction: t }));
    if (kind === 'published' || kind === 'reopened') await c.update({ status: 'published', publishedAt: answeredAt });
    if (kind === 'reopened') await FeedbackCase.update({ status: 'reopened', reopenCount: 1, dueAt: new Date(answeredAt.getTime() + 10 * 24 * H) }, { where: { id: c.id } });
  }
  // One dossier is removed altogether (a test dossier an admin deletes), with its payments and rating.
  await Dossier.destroy({ where: { id: done[0].id } });
});

test.after.always(async () => {
  await db?.cleanup();
});

/** The same figures counted the slow way, from the dossier rows (of one subtree, by its path, when given). */
async function recount(from: string, to: string, under = '/') {
  const vn = (x: Date) => new Date(x.getTime() + 7 * H).toISOString().slice(0, 10);
  const rows = (await Dossier.findAll()).filter((d) => d.orgPath.startsWith(under));
  const r = {
    received: 0, online: 0, direct: 0, early: 0, onTime: 0, late: 0, withdrawn: 0, carried: 0, within: 0, overdue: 0,
    paid: 0, amount: 0, rated: 0, very: 0, satisfied: 0, unsatisfied: 0, fbOnTime: 0, fbLate: 0,
  };
  const inRange = (day: string) => day >= from && day <= to;
  const ids = new Set(rows.map((d) => d.id));
  for (const p of await Payment.findAll({ where: { status: 'paid' } })) {
    if (!ids.has(p.dossierId) || !inRange(vn(p.paidAt!))) continue;
    r.paid++;
    r.amount += p.amount;
  }
  for (const x of await DossierRating.findAll()) {
    if (!ids.has(x.dossierId) || !inRange(x.day)) continue;
    r.rated++;
    if (x.overall === 'very_satisfied') r.very++;
    else if (x.overall === 'satisfied') r.satisfied++;
    else r.unsatisfied++;
  }
  for (const c of await FeedbackCase.findAll()) {
    if (!c.orgPath.startsWith(under)) continue;
    if (!['answered', 'published', 'closed'].includes(c.status) || !c.answeredAt || !inRange(vn(c.answeredAt))) continue;
    if (c.answeredAt > c.dueAt) r.fbLate++;
    else r.fbOnTime++;
  }
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

/** The figures of a recount, as the statistics name them. */
const expected = (r: Awaited<ReturnType<typeof recount>>) => ({
  received: r.received, receivedOnline: r.online, receivedDirect: r.direct, resolvedEarly: r.early, resolvedOnTime: r.onTime, resolvedLate: r.late,
  withdrawn: r.withdrawn, carriedOver: r.carried, pendingWithinTime: r.within, pendingOverdue: r.overdue,
  paymentsPaid: r.paid, amountPaid: r.amount, rated: r.rated, verySatisfied: r.very, satisfied: r.satisfied, unsatisfied: r.unsatisfied,
  feedbackOnTime: r.fbOnTime, feedbackLate: r.fbLate, feedbackAnswered: r.fbOnTime + r.fbLate,
});

// The last two periods have fewer months of rows after them than before: their carried over is counted from the open
// dossiers and what moved since the period's start.
const PERIODS = [['2026-09-01', '2026-12-31'], ['2026-10-01', '2026-10-31'], ['2026-09-10', '2026-11-20'], ['2026-10-03', '2026-10-17'], ['2026-11-05', '2026-11-25'], ['2026-11-01', '2026-11-30']] as const;

for (const [from, to] of PERIODS) {
  test.serial(`the kept statistics for ${from}…${to} equal a recount from the dossiers`, async (t) => {
    const { total } = await statistics({ from, to }, NOW);
    const r = await recount(from, to);
    t.true(r.received > 20);
    t.true(r.paid > 3 && r.rated > 3 && r.fbOnTime + r.fbLate > 2);
    t.like(total, {
      received: r.received, receivedOnline: r.online, receivedDirect: r.direct, resolvedEarly: r.early, resolvedOnTime: r.onTime, resolvedLate: r.late,
      withdrawn: r.withdrawn, carriedOver: r.carried, pendingWithinTime: r.within, pendingOverdue: r.overdue,
      paymentsPaid: r.paid, amountPaid: r.amount, rated: r.rated, verySatisfied: r.very, satisfied: r.satisfied, unsatisfied: r.unsatisfied,
      feedbackOnTime: r.fbOnTime, feedbackLate: r.fbLate, feedbackAnswered: r.fbOnTime + r.fbLate,
      satisfactionRate: Math.round(((r.very + r.satisfied) / r.rated) * 1000) / 10,
    });
  });
}

for (const [from, to] of PERIODS) {
  test.serial(`Hà Nội's statistics for ${from}…${to} read from the area rows and from its units' rows both equal a recount`, async (t) => {
    const hanoi = await getOrgByCode('01');
    const r = await recount(from, to, hanoi.path);
    t.true(r.received > 5);
    // Grouped by field the province is answered from its area rows; grouped by unit, from the rows of its communes.
    const byField = await statistics({ from, to, orgCode: '01', groupBy: 'field' }, NOW);
    const byUnit = await statistics({ from, to, orgCode: '01', groupBy: 'unit' }, NOW);
    t.like(byField.total, expected(r));
    t.like(byUnit.total, expected(r));
    t.true(r.carried > 0 || from === '2026-09-01');
  });
}

test.serial('a field filter gives the same figures from the area rows (country, province) and from the unit rows (commune)', async (t) => {
  const { rows } = await statistics({ from: '2026-09-01', to: '2026-12-31', groupBy: 'field' }, NOW);
  const field = rows.find((r) => r.key)!.key;
  const country = await statistics({ from: '2026-09-10', to: '2026-11-20', field }, NOW);
  const provinces = await Promise.all(['01', '79'].map((org) => statistics({ from: '2026-09-10', to: '2026-11-20', field, orgCode: org, groupBy: 'month' }, NOW)));
  const communes = await Promise.all(['00004', '00008', '26740', '26737'].map((org) => statistics({ from: '2026-09-10', to: '2026-11-20', field, orgCode: org }, NOW)));
  const sum = (xs: Array<{ total: StatsRow }>, k: keyof StatsRow) => xs.reduce((n, x) => n + Number(x.total[k]), 0);
  for (const k of ['received', 'resolvedEarly', 'resolvedOnTime', 'resolvedLate', 'withdrawn', 'paymentsPaid', 'amountPaid', 'rated'] as const) {
    t.is(sum(provinces, k), country.total[k], k);
    t.is(sum(communes, k), country.total[k], k);
  }
  t.is(sum(communes, 'carriedOver'), country.total.carriedOver);
  t.is(sum(communes, 'pendingOverdue'), country.total.pendingOverdue);
  t.true(country.total.received > 0 && country.total.received < (await statistics({ from: '2026-09-10', to: '2026-11-20' }, NOW)).total.received);
});

test.serial('the whole country grouped by unit lists the provinces', async (t) => {
  const { rows, total } = await statistics({ from: '2026-09-01', to: '2026-12-31' }, NOW);
  t.deepEqual(new Set(rows.map((r) => r.key)), new Set(['01', '79']));
  t.is(rows.find((r) => r.key === '01')!.label, 'Thành phố Hà Nội');
  t.is(rows.reduce((n, r) => n + r.received, 0), total.received);
});

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
  const dry = await govflowCli(db, ['insight', 'rebuild', '--dry-run']);
  t.is(dry.code, 1, dry.stderr);
  const lines = dry.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.like(lines[0], { table: 'insight_daily', column: 'received_online' });
  t.like(lines[1], { differences: 1, rewritten: false });
  const found = await rebuildStatistics();
  t.is(found.differences.length, 1);
  t.like(found.differences[0], { table: 'insight_daily', column: 'received_online', kept: row.receivedOnline + 5, recounted: row.receivedOnline });
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
});

test.serial('the rebuild finds a tampered monthly row of payments and ratings, and mends it', async (t) => {
  const row = (await InsightMonthly.findOne({ where: { paymentsPaid: { [Op.gt]: 0 } } }))!;
  const where = { month: row.month, orgCode: row.orgCode, procedureCode: row.procedureCode };
  await InsightMonthly.update({ amountPaid: row.amountPaid + 1000, rated: row.rated + 1 }, { where });
  const found = await rebuildStatistics();
  t.deepEqual(found.differences.map((d) => [d.table, d.column, d.kept - d.recounted]).sort(), [['insight_monthly', 'amount_paid', 1000], ['insight_monthly', 'rated', 1]]);
  t.like(await InsightMonthly.findOne({ where }), { amountPaid: row.amountPaid, rated: row.rated });
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
});

test.serial('the rebuild finds a tampered area row (month counters and open dossiers), and mends it', async (t) => {
  const month = (await InsightAreaMonthly.findOne({ where: { receivedOnline: { [Op.gt]: 0 } } }))!;
  const where = { month: month.month, areaPath: month.areaPath, field: month.field };
  await InsightAreaMonthly.update({ receivedOnline: month.receivedOnline - 1, resolvedLate: month.resolvedLate + 2 }, { where });
  const open = (await InsightAreaOpen.findOne({ where: { open: { [Op.gt]: 0 } } }))!;
  await InsightAreaOpen.update({ open: open.open + 3 }, { where: { areaPath: open.areaPath, field: open.field, dueDay: open.dueDay } });
  const dry = await govflowCli(db, ['insight', 'rebuild', '--dry-run']);
  t.is(dry.code, 1, dry.stderr);
  const lines = dry.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.deepEqual(lines.slice(0, -1).map((d) => [d.table, d.column, d.kept - d.recounted]).sort(), [
    ['insight_area_monthly', 'received_online', -1], ['insight_area_monthly', 'resolved_late', 2], ['insight_area_open', 'open', 3],
  ]);
  t.like(lines.at(-1), { differences: 3, rewritten: false });
  const found = await rebuildStatistics();
  t.is(found.differences.length, 3);
  t.like(await InsightAreaMonthly.findOne({ where }), { receivedOnline: month.receivedOnline, resolvedLate: month.resolvedLate });
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
});

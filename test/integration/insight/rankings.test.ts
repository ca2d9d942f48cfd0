// Decision 766 rankings: after a generated history of dossiers (every outcome), files, payments, ratings and feedback
// cases, each unit's score equals a recount from the raw rows; the drill-down lists exactly the rows behind the points
// a unit lost; the weights in RANKING_CONFIG change the score; the pages and the JSON API answer, bad input is a 4xx.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startApp, type TestApp } from '../../helpers/server.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { Dossier, DossierFile } from '../../../src/dossiers/models.ts';
import { Payment } from '../../../src/payments/models.ts';
import { DossierRating, FeedbackCase } from '../../../src/feedback/models.ts';
import { Procedure } from '../../../src/catalog/models.ts';
import { importProcedures } from '../../../src/catalog/import.ts';
import { db, inTransaction } from '../../../src/store/index.ts';
import { receiveDossier } from '../../../src/dossiers/core.ts';
import { rebuildStatistics } from '../../../src/insight/service.ts';
import { getConfig, setConfig } from '../../../src/config.ts';
import { missedItems, parsePeriod, parseRankingConfig, rankings, scoreCard, type RankingConfig, type UnitScore } from '../../../src/insight/rankings.ts';

let app: TestApp;
const root = path.resolve(import.meta.dirname, '../../..');
const NOW = new Date('2026-12-01T03:00:00Z');
const H = 3600_000;
let seed = 20261201;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
const DEFAULT_CONFIG = JSON.parse(fs.readFileSync(path.join(root, 'config/ranking-766.json'), 'utf8')) as RankingConfig;
const FEE_PROCEDURE = '1.000894';
const INCOMPLETE_PROCEDURE = '1.004222';

test.before(async () => {
  app = await startApp();
  await importProcedures(fs.readFileSync(path.join(root, 'seed/procedures-common.csv')), null);
  // One procedure charges a fee, one has lost its legal basis in the catalog.
  await Procedure.update({ feeMin: 20000, feeMax: 20000 }, { where: { code: FEE_PROCEDURE } });
  await Procedure.update({ legalBasis: '' }, { where: { code: INCOMPLETE_PROCEDURE } });
  const units = await Promise.all(['00004', '00008', '26740', '26737', 'G15'].map((c) => getOrgByCode(c)));
  const procedures = ['1.001193', FEE_PROCEDURE, INCOMPLETE_PROCEDURE, 'X.UNKNOWN'];
  for (let i = 0; i < 260; i++) {
    const u = pick(units);
    const receivedAt = new Date(Date.parse('2026-09-01T02:00:00Z') + Math.floor(rand() * 88) * 24 * H);
    const d = await Dossier.create({
      code: `HS-${i}`, procedureCode: pick(procedures), procedureName: 'x', formKey: 'f', formVersion: 1, ownerUserId: 1, orgUnitId: u.id, orgCode: u.code, orgPath: u.path,
      channel: pick(['online', 'online', 'direct', 'post']), status: 'draft', valuesJson: '{}',
    });
    const outcome = pick(['draft', 'open', 'open-overdue', 'early', 'onTime', 'late', 'late', 'refused', 'withdrawn', 'supplement']);
    if (outcome === 'draft') continue;
    const dueAt = new Date(receivedAt.getTime() + 5 * 24 * H);
    await inTransaction((t) => d.update({ status: 'submitted', receivedAt, dueAt }, { transaction: t }));
    if (rand() < 0.6) await DossierFile.create({ dossierId: d.id, docType: 'to-khai', name: 'a.pdf', mime: 'application/pdf', size: 10, sha256: 'a'.repeat(64), kind: 'attachment' });
    if (outcome === 'open') await d.update({ status: 'processing', dueAt: new Date(NOW.getTime() + 3 * 24 * H) });
    if (outcome === 'open-overdue') await Dossier.update({ status: 'processing' }, { where: { id: d.id } });
    if (outcome === 'supplement') await d.update({ status: 'supplement', dueAt: new Date(dueAt.getTime() + 2 * 24 * H) });
    if (outcome === 'early') await d.update({ status: 'done', finishedAt: new Date(receivedAt.getTime() + 2 * 24 * H) });
    if (outcome === 'onTime') await d.update({ status: 'done', finishedAt: new Date(dueAt.getTime() - H) });
    if (outcome === 'late') await inTransaction((t) => Dossier.update({ status: 'done', finishedAt: new Date(dueAt.getTime() + 3 * 24 * H) }, { where: { id: d.id }, transaction: t }));
    if (outcome === 'refused') await d.update({ status: 'refused', decidedAt: new Date(receivedAt.getTime() + 24 * H) });
    if (outcome === 'withdrawn') await d.update({ status: 'withdrawn', finishedAt: new Date(receivedAt.getTime() + 24 * H) });
    if (['early', 'onTime', 'late'].includes(outcome) && rand() < 0.5) {
      await DossierFile.create({ dossierId: d.id, docType: 'ket-qua', name: 'kq.pdf', mime: 'application/pdf', size: 10, sha256: 'b'.repeat(64), kind: 'result' });
    }
  }
  // Payments of some done dossiers: paid, failed, pending.
  const done = await Dossier.findAll({ where: { status: 'done' }, order: [['id', 'ASC']] });
  for (const [i, d] of done.entries()) {
    const kind = pick(['paid', 'paid', 'failed', 'pending', 'none']);
    if (kind === 'none') continue;
    const p = await Payment.create({ txnRef: `T${i}`, dossierId: d.id, gateway: 'vnpay', amount: 20000, status: 'pending', orderInfo: 'x' });
    if (kind !== 'pending') await inTransaction((t) => Payment.update({ status: kind, paidAt: kind === 'paid' ? new Date(d.finishedAt!.getTime() - H) : null }, { where: { id: p.id }, transaction: t }));
    if (rand() < 0.7) {
      const ratedAt = new Date(d.finishedAt!.getTime() + Math.floor(rand() * 3) * 24 * H);
      await DossierRating.create({
        dossierId: d.id, dossierCode: d.code, procedureCode: d.procedureCode, field: '', orgCode: d.orgCode, orgPath: d.orgPath, via: 'code',
        overall: pick(['very_satisfied', 'satisfied', 'unsatisfied']), answersJson: '{}', day: new Date(ratedAt.getTime() + 7 * H).toISOString().slice(0, 10), ratedAt,
      });
    }
  }
  // Feedback: answered on time, late, published, reopened, still open.
  for (let i = 0; i < 50; i++) {
    const u = pick(units);
    const receivedAt = new Date(Date.parse('2026-09-01T02:00:00Z') + Math.floor(rand() * 80) * 24 * H);
    const dueAt = new Date(receivedAt.getTime() + 10 * 24 * H);
    const c = await FeedbackCase.create({
      code: `PA-${i}`, subject: 'x', content: 'x', source: 'web', status: 'received', orgCode: u.code, orgPath: u.path, orgName: u.name, contactName: 'x', locale: 'vi', receivedAt, dueAt,
    });
    const kind = pick(['onTime', 'late', 'published', 'published', 'reopened', 'open']);
    if (kind === 'open') continue;
    const answeredAt = new Date(receivedAt.getTime() + (kind === 'late' || rand() < 0.3 ? 14 : 4) * 24 * H);
    await inTransaction((t) => FeedbackCase.update({ status: 'answered', answer: 'y', answeredAt }, { where: { id: c.id, status: 'received' }, transaction: t }));
    if (kind === 'published' || kind === 'reopened') await c.update({ status: 'published', publishedAt: answeredAt });
    if (kind === 'reopened') await FeedbackCase.update({ status: 'reopened', reopenCount: 1 }, { where: { id: c.id } });
  }
});

test.after.always(async () => {
  await app?.close();
});

const vn = (x: Date) => new Date(x.getTime() + 7 * H).toISOString().slice(0, 10);

/** The rows behind each formula, counted from the raw rows by the rules in docs/rankings.md, for one top-level unit. */
async function recount(unitCode: string, from: string, to: string) {
  const unit = await getOrgByCode(unitCode);
  const mine = (p: string) => p.startsWith(unit.path);
  const inRange = (x: Date | null) => !!x && vn(x) >= from && vn(x) <= to;
  const dossiers = (await Dossier.findAll()).filter((d) => mine(d.orgPath));
  const files = await DossierFile.findAll();
  const withKind = (k: string) => new Set(files.filter((f) => f.kind === k).map((f) => f.dossierId));
  const attachments = withKind('attachment');
  const results = withKind('result');
  const paid = new Set((await Payment.findAll({ where: { status: 'paid' } })).map((p) => p.dossierId));
  const procs = new Map((await Procedure.findAll()).map((p) => [p.code, p]));
  const counted = (ids: number[], bad: number[]) => ({ total: ids.length, bad: new Set(bad) });
  const received = dossiers.filter((d) => d.status !== 'draft' && inRange(d.receivedAt));
  const resolvedAt = (d: Dossier) => d.finishedAt ?? d.decidedAt ?? d.receivedAt!;
  const resolved = dossiers.filter((d) => ['done', 'refused'].includes(d.status) && inRange(resolvedAt(d)));
  const doneIn = resolved.filter((d) => d.status === 'done');
  const open = dossiers.filter((d) => ['submitted', 'supplement', 'processing', 'approved'].includes(d.status));
  const feeDone = doneIn.filter((d) => Number(procs.get(d.procedureCode)?.feeMin ?? 0) > 0);
  const ratings = (await DossierRating.findAll()).filter((r) => mine(r.orgPath) && r.day >= from && r.day <= to);
  const answered = (await FeedbackCase.findAll()).filter((c) => mine(c.orgPath) && ['answered', 'published', 'closed'].includes(c.status) && inRange(c.answeredAt));
  const handled = [...new Set(received.map((d) => d.procedureCode))];
  const complete = (code: string) => {
    const p = procs.get(code);
    return !!p && [p.processingText, p.feeText, p.documents, p.result, p.legalBasis, p.channels].every((x) => !!String(x ?? '').trim());
  };
  return {
    procedurePublicity: { total: handled.length, bad: new Set<number | string>(handled.filter((c) => !complete(c))) },
    feedbackPublished: counted(answered.map((c) => c.id), answered.filter((c) => c.status === 'answered').map((c) => c.id)),
    resolvedOnTime: counted(resolved.map((d) => d.id), resolved.filter((d) => resolvedAt(d) > d.dueAt!).map((d) => d.id)),
    pendingWithinTime: counted(open.map((d) => d.id), open.filter((d) => vn(d.dueAt!) < vn(NOW)).map((d) => d.id)),
    digitisedDossiers: counted(received.map((d) => d.id), received.filter((d) => !attachments.has(d.id)).map((d) => d.id)),
    digitisedResults: counted(doneIn.map((d) => d.id), doneIn.filter((d) => !results.has(d.id)).map((d) => d.id)),
    receivedOnline: counted(received.map((d) => d.id), received.filter((d) => d.channel !== 'online').map((d) => d.id)),
    paidOnline: counted(feeDone.map((d) => d.id), feeDone.filter((d) => !paid.has(d.id)).map((d) => d.id)),
    satisfied: counted(ratings.map((r) => r.id), ratings.filter((r) => r.overall === 'unsatisfied').map((r) => r.dossierId)),
    feedbackOnTime: counted(answered.map((c) => c.id), answered.filter((c) => c.answeredAt! > c.dueAt!).map((c) => c.id)),
  } as Record<string, { total: number; bad: Set<number | string> }>;
}

/** The score a configuration gives to recounted figures. */
function expectedScore(cfg: RankingConfig, r: Awaited<ReturnType<typeof recount>>): number {
  let score = 0;
  for (const g of cfg.groups) {
    for (const i of g.indicators) {
      const { total, bad } = r[i.metric];
      score += total ? i.weight * Math.min(1, (total - bad.size) / total / (i.target ?? 1)) : i.weight;
    }
  }
  return score;
}

const find = (list: UnitScore[], code: string) => list.find((u) => u.code === code)!;

for (const key of ['2026', '2026-Q4', '2026-10']) {
  test.serial(`the scores of ${key} equal a recount from the raw rows, for provinces and ministries`, async (t) => {
    const period = parsePeriod(key);
    const r = await rankings(period, NOW);
    t.is(r.provinces.length, 34);
    t.true(r.ministries.length > 10);
    for (const [code, list] of [['01', r.provinces], ['79', r.provinces], ['G15', r.ministries]] as const) {
      const unit = find(list, code);
      const re = await recount(code, period.from, period.to);
      t.true(unit.hasData, code);
      for (const g of unit.groups) {
        for (const i of g.indicators) {
          t.is(i.total, re[i.metric].total, `${code} ${i.key} total`);
          t.is(i.missed, re[i.metric].bad.size, `${code} ${i.key} missed`);
        }
      }
      t.true(Math.abs(unit.score - expectedScore(DEFAULT_CONFIG, re)) < 0.03, `${code}: ${unit.score}`);
    }
    // Ranked units first, by score; the others (no dossiers at all) unranked.
    const ranked = r.provinces.filter((u) => u.rank !== null);
    t.true(ranked.length >= 2);
    for (let i = 1; i < ranked.length; i++) t.true(ranked[i - 1].score >= ranked[i].score);
    t.true(r.provinces.slice(ranked.length).every((u) => !u.hasData && u.rank === null));
  });
}

test.serial('the history has losses of every kind, so the drill-down below checks something', async (t) => {
  const re = await recount('01', '2026-01-01', '2026-12-31');
  for (const [metric, c] of Object.entries(re)) t.true(c.bad.size > 0 && c.bad.size < c.total, `${metric}: ${c.bad.size}/${c.total}`);
});

test.serial('the drill-down lists exactly the rows behind the points each sub-indicator lost', async (t) => {
  const period = parsePeriod('2026');
  for (const code of ['01', '26740', 'G15']) {
    const card = await scoreCard(code, period, NOW);
    const re = await recount(code, period.from, period.to);
    for (const g of card.groups) {
      for (const i of g.indicators) {
        const { items } = await missedItems(code, i.key, period, NOW);
        t.is(items.length, i.missed, `${code} ${i.key}`);
        const ids = new Set(items.map((x) => (x.kind === 'procedure' ? x.code : x.id)));
        const sorted = (xs: Iterable<number | string>) => [...xs].map(String).sort();
        t.deepEqual(sorted(ids), sorted(re[i.metric].bad), `${code} ${i.key}`);
        if (i.missed) t.true(i.lost > 0, `${code} ${i.key} lost points`);
      }
    }
  }
});

test.serial('the weights in RANKING_CONFIG change the score, and a configuration whose weights do not add up is refused', async (t) => {
  const period = parsePeriod('2026');
  const before = await scoreCard('01', period, NOW);
  const cfg = structuredClone(DEFAULT_CONFIG);
  const progress = cfg.groups.find((g) => g.key === 'progress')!;
  progress.indicators = [{ key: 'onTime', weight: 20, metric: 'resolvedOnTime' }];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rk-')), 'ranking.json');
  fs.writeFileSync(file, JSON.stringify(cfg));
  const saved = getConfig();
  setConfig({ ...saved, rankingConfig: file });
  try {
    const after = await scoreCard('01', period, NOW);
    const re = await recount('01', period.from, period.to);
    t.true(Math.abs(after.score - expectedScore(cfg, re)) < 0.03);
    t.not(after.score, before.score);
    t.deepEqual(after.groups.find((g) => g.key === 'progress')!.indicators.map((i) => [i.key, i.weight]), [['onTime', 20]]);
  } finally {
    setConfig(saved);
  }
  const bad = structuredClone(DEFAULT_CONFIG);
  bad.groups[0].indicators[0].weight = 3;
  t.throws(() => parseRankingConfig(bad), { message: /group "transparency" weighs 18 but its sub-indicators add up to 11/ });
  t.throws(() => parseRankingConfig({ decision: 'x', groups: [{ key: 'a', weight: 1, indicators: [{ key: 'b', weight: 1, metric: 'nope' }] }] }), { message: /metric/ });
});

test.serial('the pages and the JSON API show the ranking, a score card and the dossiers behind lost points', async (t) => {
  const { server } = app;
  const api = await server.inject('/api/rankings?period=2026');
  t.is(api.statusCode, 200);
  const body = api.result as { provinces: UnitScore[]; ministries: UnitScore[] };
  t.is(body.provinces.length, 34);
  const page = await server.inject('/xep-hang?period=2026');
  t.is(page.statusCode, 200);
  t.regex(page.payload, /Thành phố Hà Nội/);
  t.regex(page.payload, /Bộ Tư pháp/);
  const card = await server.inject('/xep-hang/01?period=2026');
  t.is(card.statusCode, 200);
  t.regex(card.payload, /Hồ sơ giải quyết đúng hạn/);
  const unit = await server.inject('/api/rankings/01?period=2026&indicator=onTime');
  const u = unit.result as { unit: UnitScore; items: Array<{ code: string }> };
  const late = u.unit.groups.flatMap((g) => g.indicators).find((i) => i.key === 'onTime')!;
  t.is(u.items.length, late.missed);
  const drill = await server.inject('/xep-hang/01/onTime?period=2026');
  t.is(drill.statusCode, 200);
  for (const it of u.items) t.true(drill.payload.includes(`data-item="${it.code}"`));
  t.true(drill.payload.includes(`${late.missed} mục làm mất điểm`));
  const bad = await server.inject('/api/rankings?period=2026-13');
  t.is(bad.statusCode, 400);
  t.regex(String((bad.result as { message: string }).message), /2026-Q3/);
  t.is((await server.inject('/xep-hang/ZZZ?period=2026')).statusCode, 404);
  t.is((await server.inject('/xep-hang/01/nope?period=2026')).statusCode, 404);
});

test.serial('files and payments that change later move the digitisation and payment counts as a recount does; a flag set by hand is found and mended by the rebuild', async (t) => {
  const period = parsePeriod('2026');
  const unit = await getOrgByCode('26740');
  const counts = async () => {
    const u = find((await rankings(period, NOW)).provinces, '79');
    const of = (m: string) => u.groups.flatMap((g) => g.indicators).find((i) => i.metric === m)!;
    return { attached: of('digitisedDossiers').good, results: of('digitisedResults').good, paid: of('paidOnline').good };
  };
  const base = await counts();
  // A draft whose attachment is added in the very transaction that receives it (the receipt reads the flags anew).
  const d = await inTransaction(async (tx) => {
    const row = await Dossier.create({
      procedureCode: FEE_PROCEDURE, procedureName: 'x', formKey: 'f', formVersion: 1, ownerUserId: 1, orgUnitId: unit.id, orgCode: unit.code, orgPath: unit.path,
      channel: 'online', status: 'draft', valuesJson: '{}',
    }, { transaction: tx });
    await DossierFile.create({ dossierId: row.id, docType: 'to-khai', name: 'a.pdf', mime: 'application/pdf', size: 10, sha256: 'c'.repeat(64), kind: 'attachment' }, { transaction: tx });
    return receiveDossier(row, { at: new Date('2026-10-05T02:00:00Z'), limit: { amount: 5, unit: 'workday' } }, tx);
  });
  t.deepEqual(await counts(), { ...base, attached: base.attached + 1 });
  // Resolved, then its result file and a paid payment arrive.
  await d.update({ status: 'done', finishedAt: new Date('2026-10-08T02:00:00Z') });
  await DossierFile.create({ dossierId: d.id, docType: 'ket-qua', name: 'kq.pdf', mime: 'application/pdf', size: 10, sha256: 'd'.repeat(64), kind: 'result' });
  const p = await Payment.create({ txnRef: `LATE${d.id}`, dossierId: d.id, gateway: 'vnpay', amount: 20000, status: 'pending', orderInfo: 'x' });
  await inTransaction((tx) => Payment.update({ status: 'paid', paidAt: new Date('2026-10-07T02:00:00Z') }, { where: { id: p.id }, transaction: tx }));
  t.deepEqual(await counts(), { attached: base.attached + 1, results: base.results + 1, paid: base.paid + 1 });
  // The attachment is removed (a bulk delete) and the payment deleted: the counts go back.
  await DossierFile.destroy({ where: { dossierId: d.id, kind: 'attachment' } });
  await p.destroy();
  t.deepEqual(await counts(), { ...base, results: base.results + 1 });
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
  // A flag set by hand, out of line with the files, is a difference the rebuild reports and mends.
  await db().query('UPDATE dossiers SET has_result = 0 WHERE id = ?', { replacements: [d.id] });
  const found = await rebuildStatistics();
  t.deepEqual(found.differences.filter((x) => x.table === 'dossiers'), [{ table: 'dossiers', key: String(d.id), column: 'has_result', kept: 0, recounted: 1 }]);
  t.true((await Dossier.findByPk(d.id))!.hasResult);
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
  t.deepEqual(await counts(), { ...base, results: base.results + 1 });
});

test.serial('a unit whose rows carry two paths (it moved in the tree) counts each dossier under the path it was received at', async (t) => {
  const period = parsePeriod('2026');
  const moved = await getOrgByCode('26740');
  const elsewhere = await getOrgByCode('00004');
  const receivedAt = new Date('2026-10-12T02:00:00Z');
  // Received when the unit sat under Hà Nội: its code, Hà Nội's path (and a procedure of its own, since a rollup row is
  // keyed by unit code and procedure and keeps the path it was first written with).
  await Dossier.create({
    code: 'HS-MOVED', procedureCode: 'X.MOVED', procedureName: 'x', formKey: 'f', formVersion: 1, ownerUserId: 1, orgUnitId: moved.id, orgCode: moved.code, orgPath: elsewhere.path,
    channel: 'online', status: 'processing', valuesJson: '{}', receivedAt, dueAt: new Date(receivedAt.getTime() + 5 * 24 * H),
  });
  const r = await rankings(period, NOW);
  for (const code of ['01', '79']) {
    const unit = find(r.provinces, code);
    const re = await recount(code, period.from, period.to);
    for (const i of unit.groups.flatMap((g) => g.indicators)) t.is(i.total, re[i.metric].total, `${code} ${i.key} total`);
  }
});

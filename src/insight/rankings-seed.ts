// Demo history for `govflow seed`, so /thong-ke and /xep-hang have figures on a fresh start: dossiers of the current
// year at one commune of every province and at some ministries (the shipped procedures, every outcome), with files,
// payments, ratings and feedback cases, then the statistics rollups rebuilt from them. Idempotent (codes DEMO-…).
import { Op } from 'sequelize';
import { Dossier, DossierFile } from '../dossiers/models.ts';
import { Payment } from '../payments/models.ts';
import { DossierRating, FeedbackCase } from '../feedback/models.ts';
import { OrgUnit } from '../orgs/models.ts';
import { Procedure } from '../catalog/models.ts';
import { rebuildStatistics } from './service.ts';
import { vnDate } from './contrib.ts';
import { inTransaction } from '../store/index.ts';

const H = 3600_000;
/** Shipped procedures: commune ones for provinces, ministry-level ones for ministries. */
const COMMUNE_PROCEDURES = ['1.001193', '1.000894', '1.004222', '1.000656'];
const MINISTRY_PROCEDURES = ['1.013539', '1.013540'];
const MINISTRIES = ['G15', 'G01', 'G06', 'G02', 'G03'];

/** Creates the demo history unless it is there already. */
export async function seedRankingDemo(print: (line: string) => void = () => {}, now = new Date()): Promise<void> {
  if (await Dossier.count({ where: { code: { [Op.like]: 'DEMO-%' } } })) return;
  const provinces = await OrgUnit.findAll({ where: { tree: 'current', level: 'province' }, order: [['code', 'ASC']] });
  const places: Array<{ unit: OrgUnit; procedures: string[] }> = [];
  for (const p of provinces) {
    const commune = await OrgUnit.findOne({ where: { tree: 'current', parentId: p.id }, order: [['code', 'ASC']] });
    if (commune) places.push({ unit: commune, procedures: COMMUNE_PROCEDURES });
  }
  for (const m of await OrgUnit.findAll({ where: { tree: 'current', code: MINISTRIES } })) places.push({ unit: m, procedures: MINISTRY_PROCEDURES });
  if (!places.length) return;
  const names = new Map((await Procedure.findAll({ where: { code: [...COMMUNE_PROCEDURES, ...MINISTRY_PROCEDURES] }, attributes: ['code', 'name'] })).map((p) => [p.code, p.name]));
  // A fixed generator, so every fresh start shows the same ranking.
  let seed = 766;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const yearStart = Date.parse(`${vnDate(now).slice(0, 4)}-01-01T01:00:00Z`);
  const span = Math.max(24 * H, now.getTime() - 10 * 24 * H - yearStart);
  let n = 0;
  await inTransaction(async (t) => {
    for (const [pi, { unit, procedures }] of places.entries()) {
      // Units differ in how well they do, so the ranking is not a tie.
      const skill = 0.35 + 0.6 * ((pi * 37) % 100) / 100;
      for (let i = 0; i < 24; i++) {
        const receivedAt = new Date(yearStart + Math.floor(rand() * span));
        const dueAt = new Date(receivedAt.getTime() + 5 * 24 * H);
        const r = rand();
        const status = r < 0.08 ? 'processing' : r < 0.12 ? 'refused' : 'done';
        const late = rand() > skill;
        const finishedAt = status === 'done' ? new Date(receivedAt.getTime() + (late ? 7 : 2) * 24 * H) : null;
        const procedureCode = procedures[i % procedures.length];
        const d = await Dossier.create({
          code: `DEMO-${unit.code}-${String(i + 1).padStart(3, '0')}`, procedureCode, procedureName: names.get(procedureCode) ?? procedureCode, formKey: 'demo', formVersion: 1, ownerUserId: null,
          orgUnitId: unit.id, orgCode: unit.code, orgPath: unit.path, channel: rand() < skill ? 'online' : 'direct', status, valuesJson: '{}', limitDays: 5,
          submittedAt: receivedAt, receivedAt, countedFrom: receivedAt, dueAt: status === 'processing' && !late ? new Date(now.getTime() + 3 * 24 * H) : dueAt,
          decidedAt: status === 'refused' ? new Date(receivedAt.getTime() + 24 * H) : finishedAt, finishedAt,
        }, { transaction: t });
        n++;
        if (rand() < skill) await DossierFile.create({ dossierId: d.id, docType: 'to-khai', name: 'to-khai.pdf', mime: 'application/pdf', size: 1024, sha256: '0'.repeat(64), kind: 'attachment', addedBy: 'seed' }, { transaction: t });
        if (status !== 'done' || !finishedAt) continue;
        if (rand() < skill) await DossierFile.create({ dossierId: d.id, docType: 'ket-qua', name: 'ket-qua.pdf', mime: 'application/pdf', size: 1024, sha256: '1'.repeat(64), kind: 'result', addedBy: 'seed' }, { transaction: t });
        if (rand() < skill) {
          await Payment.create({ txnRef: `DEMO${d.id}`, dossierId: d.id, gateway: 'vnpay', amount: 20000, status: 'paid', orderInfo: d.code!, paidAt: new Date(receivedAt.getTime() + H), receiptNo: `BL-DEMO-${d.id}` }, { transaction: t });
        }
        if (rand() < 0.6) {
          const ratedAt = new Date(finishedAt.getTime() + 2 * H);
          await DossierRating.create({
            dossierId: d.id, dossierCode: d.code, procedureCode, field: '', orgCode: unit.code, orgPath: unit.path, via: 'code',
            overall: rand() < skill ? (rand() < 0.5 ? 'very_satisfied' : 'satisfied') : 'unsatisfied', answersJson: '{}', day: vnDate(ratedAt), ratedAt,
          }, { transaction: t });
        }
      }
      for (let i = 0; i < 3; i++) {
        const receivedAt = new Date(yearStart + Math.floor(rand() * span));
        const dueAt = new Date(receivedAt.getTime() + 10 * 24 * H);
        const answeredAt = new Date(receivedAt.getTime() + (rand() < skill ? 4 : 14) * 24 * H);
        const published = rand() < skill;
        await FeedbackCase.create({
          code: `PA-DEMO-${unit.code}-${i + 1}`, subject: 'Phản ánh mẫu', content: 'Nội dung phản ánh mẫu.', source: 'web', status: published ? 'published' : 'answered',
          orgCode: unit.code, orgPath: unit.path, orgName: unit.name, contactName: 'Người dân', locale: 'vi', receivedAt, dueAt, answer: 'Trả lời mẫu.', answeredAt,
          publishedAt: published ? answeredAt : null,
        }, { transaction: t });
      }
    }
  });
  // Whatever the hooks kept, the rollups are recounted from the rows just written.
  await rebuildStatistics();
  print(`ranking demo: ${n} dossiers at ${places.length} units`);
}

// Receiving dossiers on a real database: every receipt gets its own code of Circular 01/2018 Art. 19, also
// when many are received at once, the sequence restarts on a new Vietnam day, and each receipt leaves its
// history entry and the job that starts its handling.
import test from 'ava';
import { Op } from 'sequelize';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { Dossier, DossierEvent } from '../../../src/dossiers/models.ts';
import { receiveDossier, JOB_START_HANDLING } from '../../../src/dossiers/core.ts';
import { EngineJob } from '../../../src/engine/models.ts';
import { inTransaction } from '../../../src/store/index.ts';

let db: TestDb;

test.before(async () => {
  db = await freshDb();
});

test.after.always(async () => {
  await db?.cleanup();
});

function draft(orgCode: string) {
  return Dossier.create({
    procedureCode: '1.001193', procedureName: 'Đăng ký khai sinh', formKey: 'dang-ky-khai-sinh', formVersion: 1, ownerUserId: 1,
    orgUnitId: 1, orgCode, orgPath: '/1/', channel: 'online', status: 'draft', valuesJson: '{}',
  });
}

async function receive(d: Dossier, at: Date) {
  return inTransaction((t) => receiveDossier(d, { at, limit: { amount: 3, unit: 'workday' } }, t));
}

test.serial('thirty dossiers received at once get thirty distinct codes numbered 1 to 30', async (t) => {
  const drafts = await Promise.all(Array.from({ length: 30 }, () => draft('G11')));
  const at = new Date('2026-12-01T02:00:00Z');
  await Promise.all(drafts.map((d) => receive(d, at)));
  const codes = (await Dossier.findAll({ where: { orgCode: 'G11', code: { [Op.ne]: null } } })).map((d) => d.code!).sort();
  t.is(new Set(codes).size, 30);
  t.deepEqual(codes, Array.from({ length: 30 }, (_, i) => `000.00.00.G11-261201-${String(i + 1).padStart(4, '0')}`));
});

test.serial('the sequence restarts at the Vietnam midnight, not the UTC one, and a unit without a known code uses the configured one', async (t) => {
  const before = await receive(await draft('G11'), new Date('2026-12-01T16:59:59Z'));
  const after = await receive(await draft('G11'), new Date('2026-12-01T17:00:00Z'));
  t.is(before.code, '000.00.00.G11-261201-0031');
  t.is(after.code, '000.00.00.G11-261202-0001');
  const commune = await receive(await draft('00004'), new Date('2026-12-01T03:00:00Z'));
  t.is(commune.code, '000.00.00.X00-261201-0001');
});

test.serial('a received dossier has its due date, its history entry and the job that starts its handling', async (t) => {
  // Tuesday 1 December 2026, 10:00 in Hà Nội: counting starts the next working day; 3 working days end on Friday.
  const d = await receive(await draft('G11'), new Date('2026-12-01T03:00:00Z'));
  t.is(d.status, 'submitted');
  t.is(d.stage, 'receive');
  t.is(d.dueAt!.toISOString(), '2026-12-04T10:00:00.000Z');
  const events = await DossierEvent.findAll({ where: { dossierId: d.id } });
  t.deepEqual(events.map((e) => e.kind), ['submitted']);
  const jobs = await EngineJob.findAll({ where: { kind: JOB_START_HANDLING } });
  t.true(jobs.some((j) => (JSON.parse(j.payload!) as { dossierId: number }).dossierId === d.id));
});

// Importing the real administrative trees, on SQLite and on MariaDB: counts, speed, idempotency,
// all-or-nothing rejection, and subtree queries.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, dialect, type TestDb } from '../../helpers/db.ts';
import { repoRoot, sharedData } from '../../helpers/server.ts';
import { importOrgs } from '../../../src/orgs/import.ts';
import { OrgUnit } from '../../../src/orgs/models.ts';
import { AppError } from '../../../src/errors.ts';
import { getOrgByCode, listSubtree, countSubtreeByLevel, listAncestors } from '../../../src/orgs/service.ts';
import { searchAudit } from '../../../src/audit/service.ts';

const file2025 = fs.readFileSync(path.join(repoRoot, 'seed/admin-units-2025.csv'));
const file2020 = fs.readFileSync(path.join(sharedData, 'admin-units-2020.csv'));

/** Counts straight from the CSV, so the tests check the database against the file rather than a remembered number. */
function csvCounts(buf: Buffer) {
  const rows = buf.toString('utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const byLevel: Record<string, number> = {};
  for (const r of rows) byLevel[r[2]] = (byLevel[r[2]] ?? 0) + 1;
  return { rows, byLevel };
}

let db: TestDb;
test.before(async () => {
  db = await freshDb();
});
test.after.always(async () => {
  await db?.cleanup();
});

test.serial('imports the 2025 tree (34 provinces, 3,321 communes) into the current tree', async (t) => {
  const { byLevel } = csvCounts(file2025);
  t.is(byLevel.province, 34);
  t.is(byLevel.commune, 3321);
  const started = Date.now();
  const r = await importOrgs(file2025, { validFrom: '2025-07-01' });
  const ms = Date.now() - started;
  t.log(`2025 tree on ${dialect}: ${r.rows} rows in ${ms} ms`);
  t.is(r.rows, 3355);
  t.is(r.created, 3355);
  t.is(await OrgUnit.count({ where: { tree: 'current', level: 'province' } }), 34);
  t.is(await OrgUnit.count({ where: { tree: 'current', level: 'commune' } }), 3321);
  t.true(ms < 60000, 'imports in seconds, not minutes');
});

test.serial('imports the 2020 tree (63 provinces, 705 districts, 10,603 communes) into its own tree', async (t) => {
  const { byLevel } = csvCounts(file2020);
  t.deepEqual(byLevel, { province: 63, district: 705, commune: 10603 });
  const started = Date.now();
  const r = await importOrgs(file2020, { tree: '2020' });
  const ms = Date.now() - started;
  t.log(`2020 tree on ${dialect}: ${r.rows} rows in ${ms} ms`);
  t.is(r.created, 11371);
  t.is(await OrgUnit.count({ where: { tree: '2020', level: 'province' } }), 63);
  t.is(await OrgUnit.count({ where: { tree: '2020', level: 'district' } }), 705);
  t.is(await OrgUnit.count({ where: { tree: '2020', level: 'commune' } }), 10603);
  // The other tree is untouched: same code, different unit.
  t.is(await OrgUnit.count({ where: { tree: 'current' } }), 3355 + 1);
  const hn2020 = await getOrgByCode('01', '2020');
  const hn2025 = await getOrgByCode('01');
  t.not(hn2020.id, hn2025.id);
  t.true(ms < 60000, 'imports in seconds, not minutes');
});

test.serial('re-importing the same file is idempotent: same counts, nothing created or updated', async (t) => {
  const before = await OrgUnit.count();
  const r = await importOrgs(file2020, { tree: '2020' });
  t.is(r.created, 0);
  t.is(r.updated, 0);
  t.is(r.unchanged, 11371);
  const r2 = await importOrgs(file2025, { validFrom: '2025-07-01' });
  t.is(r2.created, 0);
  t.is(r2.unchanged, 3355);
  t.is(await OrgUnit.count(), before);
});

test.serial('a re-import with a renamed unit updates it in place', async (t) => {
  const renamed = Buffer.from(file2025.toString('utf8').replace('01,Thành phố Hà Nội,province,', '01,Thủ đô Hà Nội,province,'));
  const before = await getOrgByCode('01');
  const r = await importOrgs(renamed);
  t.is(r.updated, 1);
  t.is(r.created, 0);
  const after = await getOrgByCode('01');
  t.is(after.id, before.id);
  t.is(after.name, 'Thủ đô Hà Nội');
  await importOrgs(file2025);
  t.is((await getOrgByCode('01')).name, 'Thành phố Hà Nội');
});

test.serial('a bad file changes nothing and lists every bad line', async (t) => {
  const before = await OrgUnit.count();
  const hanoi = await getOrgByCode('01');
  const bad = [
    'code,name,level,parent_code',
    '01,Thành phố Hà Nội Mới,province,', // line 2: valid, must not be saved
    '99999,Xã Mới,commune,77', // line 3: unknown parent
    '00004,Phường Trùng,commune,01', // line 4: fine on its own
    '00004,Phường Trùng Lần Hai,commune,01', // line 5: duplicate of line 4
    '88888,Xã Lạ,hamlet,01', // line 6: unknown level
    '77777,Xã Dưới Xã,commune,00004', // line 7: commune under a commune
  ].join('\n');
  const err = await t.throwsAsync(importOrgs(bad), { instanceOf: AppError });
  t.is(err!.code, 'orgs.import.rejected');
  t.is(err!.status, 422);
  const problems = err!.details as Array<{ line: number; key: string }>;
  t.deepEqual(problems.map((p) => [p.line, p.key]), [
    [3, 'orgs.import.unknownParent'],
    [5, 'orgs.import.duplicate'],
    [6, 'orgs.import.badLevel'],
    [7, 'orgs.import.parentLevel'],
  ]);
  t.is(await OrgUnit.count(), before);
  t.is((await getOrgByCode('01')).name, hanoi.name);
});

test.serial('the subtree of Hà Nội (01) holds exactly the communes the 2025 file puts under it', async (t) => {
  const expected = csvCounts(file2025).rows.filter((r) => r[3] === '01').length;
  t.is(expected, 126);
  const hanoi = await getOrgByCode('01');
  const communes = await listSubtree(hanoi, 'commune');
  t.is(communes.length, expected);
  t.true(communes.every((c) => c.tree === 'current' && c.path.startsWith(hanoi.path)));
  t.deepEqual(await countSubtreeByLevel(hanoi), { commune: expected });
});

test.serial('subtrees of the three-level 2020 tree count districts and communes per province', async (t) => {
  const { rows } = csvCounts(file2020);
  const districts = new Set(rows.filter((r) => r[3] === '79' && r[2] === 'district').map((r) => r[0]));
  const communes = rows.filter((r) => districts.has(r[3])).length;
  const hcm = await getOrgByCode('79', '2020');
  t.deepEqual(await countSubtreeByLevel(hcm), { district: districts.size, commune: communes });
  const someCommune = await getOrgByCode(rows.find((r) => districts.has(r[3]))![0], '2020');
  const chain = await listAncestors(someCommune);
  t.deepEqual(chain.map((o) => o.level), ['central', 'province', 'district']);
  t.is(chain[1].code, '79');
});

test.serial('every successful import is written to the audit log', async (t) => {
  const { rows } = await searchAudit({ action: 'orgs.import' });
  t.true(rows.length >= 4);
  const first = rows[rows.length - 1];
  t.is(first.targetType, 'orgTree');
  t.is(first.targetId, 'current');
  t.like(JSON.parse(first.detail!), { rows: 3355, created: 3355 });
});

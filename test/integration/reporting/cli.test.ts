// The reporting CLI as an operator runs it: import a regime, open a cycle twice, submit a unit's
// report from a JSON file as its officer, and read the cycle's counts.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { makeUser, repoRoot } from '../../helpers/server.ts';
import { importOrgs } from '../../../src/orgs/import.ts';
import { periodContaining } from '../../../src/reporting/periods.ts';

let db: TestDb;
const period = periodContaining('month', new Date()).period;

test.before(async () => {
  db = await freshDb();
  await importOrgs(fs.readFileSync(path.join(repoRoot, 'seed/admin-units-2025.csv')));
  await makeUser('officer', '00004', { username: 'canbo.cli' });
});
test.after.always(async () => {
  await db?.cleanup();
});

test.serial('regime import, cycle open (twice), report submit and cycle status', async (t) => {
  const regimeFile = path.join(db.dataDir, 'regime.json');
  fs.writeFileSync(regimeFile, JSON.stringify({ code: 'KTXH-HN', name: 'Báo cáo KT-XH tháng (Hà Nội)', formKey: 'kt-xh-thang', frequency: 'month', reporters: { levels: ['province', 'commune'], within: '01' }, recipientCode: 'VN', deadlines: { commune: 18, province: 22 } }));
  const imported = await govflowCli(db, ['regime', 'import', regimeFile]);
  t.is(imported.code, 0, imported.stderr);
  t.regex(imported.stdout, /created regime KTXH-HN \(kt-xh-thang@1, month\)/);
  const list = await govflowCli(db, ['regime', 'list', '--json']);
  t.is(JSON.parse(list.stdout)[0].code, 'KTXH-HN');

  const first = JSON.parse((await govflowCli(db, ['cycle', 'open', 'KTXH-HN', period])).stdout);
  t.true(first.created > 100);
  t.is(first.existing, 0);
  const again = JSON.parse((await govflowCli(db, ['cycle', 'open', 'KTXH-HN', period.replace('-', '')])).stdout);
  t.deepEqual(again, { created: 0, existing: first.created });
  const wrong = await govflowCli(db, ['cycle', 'open', 'KTXH-HN', '2026Q3']);
  t.not(wrong.code, 0);

  const valuesFile = path.join(db.dataDir, 'values.json');
  fs.writeFileSync(valuesFile, JSON.stringify({ nguoiLap: 'Cán bộ dòng lệnh', TMBL_BANLE: { th: 77 } }));
  const sent = await govflowCli(db, ['report', 'submit', 'KTXH-HN', period, '00004', valuesFile, '--as', 'canbo.cli']);
  t.is(sent.code, 0, sent.stderr);
  t.like(JSON.parse(sent.stdout), { unit: '00004', status: 'review', round: 1 });
  fs.writeFileSync(valuesFile, JSON.stringify({}));
  const empty = await govflowCli(db, ['report', 'submit', 'KTXH-HN', period, '00070', valuesFile]);
  t.not(empty.code, 0, 'no officer covers 00070, and the report would be empty anyway');

  const status = await govflowCli(db, ['cycle', 'status', 'KTXH-HN', period, '--json']);
  t.deepEqual(JSON.parse(status.stdout), { expected: first.created, submitted: 0, onTime: 0, late: 0, missing: first.created, approved: 0, returned: 0 });
});

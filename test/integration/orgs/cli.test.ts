// `govflow import orgs FILE` from the shell, as an operator loads a tree on a new installation.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { sharedData } from '../../helpers/server.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { OrgUnit } from '../../../src/orgs/models.ts';

let db: TestDb;

const govflow = (...args: string[]) => govflowCli(db, args);

test.before(async () => {
  db = await freshDb();
});
test.after.always(async () => {
  await db?.cleanup();
});

test.serial('import orgs loads the 2020 tree into a named tree and reports what it did', async (t) => {
  const r = await govflow('import', 'orgs', path.join(sharedData, 'admin-units-2020.csv'), '--tree', '2020');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /imported 11371 rows \(admin-units\) into tree "2020": 11371 created, 0 updated, 0 unchanged in \d+ ms/);
  t.log(r.stdout.trim());
  t.is(await OrgUnit.count({ where: { tree: '2020', level: 'district' } }), 705);
});

test.serial('import orgs run twice creates nothing the second time', async (t) => {
  const r = await govflow('import', 'orgs', path.join(sharedData, 'admin-units-2020.csv'), '--tree', '2020');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /0 created, 0 updated, 11371 unchanged/);
});

test.serial('import orgs refuses a bad file, lists each bad line and exits 1', async (t) => {
  const file = path.join(db.dataDir, 'bad.csv');
  fs.writeFileSync(file, 'code,name,level,parent_code\n01,Thành phố Hà Nội,province,\n00004,Phường Ba Đình,commune,02\n00004,Phường Ba Đình,commune,01\n');
  const r = await govflow('import', 'orgs', file);
  t.is(r.code, 1);
  t.regex(r.stderr, /The file was rejected: 2 problems/);
  t.regex(r.stderr, /line 3: unit 00004 names parent 02/);
  t.regex(r.stderr, /line 4: code 00004 already appears on line 3/);
  t.is(await OrgUnit.count({ where: { tree: 'current' } }), 0);
});

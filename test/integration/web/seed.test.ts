// Demo data for a fresh install, and the CLI's `user add`.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { seedDemo, isEmpty, DEMO_USERS } from '../../../src/seed.ts';
import { User, RoleAssignment } from '../../../src/auth/models.ts';
import { login as loginUser } from '../../../src/auth/service.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { ROLES } from '../../../src/auth/models.ts';

let db: TestDb;

test.before(async () => {
  db = await freshDb();
});

test.after.always(async () => {
  await db?.cleanup();
});

const cli = (args: string[]) => govflowCli(db, args);

test.serial('a fresh database is empty, and not once the demo data is seeded', async (t) => {
  t.true(await isEmpty());
  const lines: string[] = [];
  await seedDemo((l) => lines.push(l));
  t.false(await isEmpty());
  t.true(lines.some((l) => /org tree: \d+ administrative units/.test(l)));
  for (const u of DEMO_USERS) t.true(lines.some((l) => l.includes(u.username) && l.includes(u.password)), `credentials of ${u.username} are printed`);
});

test.serial('the demo seed makes one user for every role', async (t) => {
  const assignments = await RoleAssignment.findAll();
  const roles = new Set(assignments.map((a) => a.role));
  for (const role of ROLES) t.true(roles.has(role), `a demo user holds ${role}`);
  t.is(await User.count(), DEMO_USERS.length);
});

test.serial('demo users sit in their units with scoped roles and log in with the printed password', async (t) => {
  const hanoi = await getOrgByCode('01');
  const officer = await User.findOne({ where: { username: 'canbo.hanoi' } });
  t.is(officer!.orgUnitId, hanoi.id);
  const role = await RoleAssignment.findOne({ where: { userId: officer!.id } });
  t.is(role!.orgUnitId, hanoi.id);
  const admin = await User.findOne({ where: { username: 'admin' } });
  t.is((await RoleAssignment.findOne({ where: { userId: admin!.id } }))!.orgUnitId, null, 'the demo admin is system-wide');
  const { user } = await loginUser('admin', 'GovflowDemo2025', null, null);
  t.is(user.id, admin!.id);
});

test.serial('seeding again keeps the existing users and adds none', async (t) => {
  const before = await User.count();
  await seedDemo();
  t.is(await User.count(), before);
});

test.serial('govflow user add creates a user from the command line', async (t) => {
  const { code, stdout } = await cli(['user', 'add', 'canbo.cli', '--name', 'Cán Bộ Dòng Lệnh', '--password', 'DongLenh2025x', '--role', 'officer', '--org', '01', '--email', 'cli@example.vn']);
  t.is(code, 0);
  t.regex(stdout, /created user canbo\.cli \(id \d+\)/);
  const user = await User.findOne({ where: { username: 'canbo.cli' } });
  t.truthy(user);
  t.is(user!.fullName, 'Cán Bộ Dòng Lệnh');
  t.is(user!.email, 'cli@example.vn');
  t.is(user!.orgUnitId, (await getOrgByCode('01')).id);
  t.deepEqual((await RoleAssignment.findAll({ where: { userId: user!.id } })).map((r) => r.role), ['officer']);
  t.truthy(await loginUser('canbo.cli', 'DongLenh2025x', null, null));
});

test.serial('govflow user add refuses a weak password and exits non-zero', async (t) => {
  const err = await cli(['user', 'add', 'yeu.cli', '--name', 'Yếu', '--password', 'short', '--role', 'officer']);
  t.is(err.code, 1);
  t.regex(err.stderr, /at least 10 characters/);
  t.is(await User.count({ where: { username: 'yeu.cli' } }), 0);
});

test.serial('govflow user without arguments prints its usage and exits 2', async (t) => {
  const err = await cli(['user', 'add']);
  t.is(err.code, 2);
  t.regex(err.stderr, /usage: govflow user add USERNAME/);
});

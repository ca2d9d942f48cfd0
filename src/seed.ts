// Demo data for a fresh development database: the 2025 org tree, the ministries, the procedures, one user per role.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importOrgs } from './orgs/import.ts';
import { createUser } from './auth/service.ts';
import { User } from './auth/models.ts';
import type { Role } from './auth/models.ts';
import { AppError } from './errors.ts';
import { withStartupLock } from './store/migrate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The demo accounts; also listed in the README. */
export const DEMO_USERS: Array<{ username: string; fullName: string; password: string; orgCode: string | null; role: Role; roleOrg: string | null; email: string }> = [
  { username: 'admin', fullName: 'Quản trị hệ thống', password: 'GovflowDemo2025', orgCode: 'G22', role: 'admin', roleOrg: null, email: 'admin@govflow.local' },
  { username: 'thietke', fullName: 'Nguyễn Thị Thiết Kế', password: 'GovflowDemo2025', orgCode: 'G22', role: 'designer', roleOrg: 'VN', email: 'thietke@govflow.local' },
  { username: 'canbo.hanoi', fullName: 'Trần Văn Cán Bộ', password: 'GovflowDemo2025', orgCode: '01', role: 'officer', roleOrg: '01', email: 'canbo.hanoi@govflow.local' },
  { username: 'lanhdao.hanoi', fullName: 'Lê Minh Lãnh Đạo', password: 'GovflowDemo2025', orgCode: '01', role: 'leader', roleOrg: '01', email: 'lanhdao.hanoi@govflow.local' },
  { username: 'canbo.xa', fullName: 'Đỗ Thị Cán Bộ Xã', password: 'GovflowDemo2025', orgCode: '00004', role: 'officer', roleOrg: '00004', email: 'canbo.xa@govflow.local' },
  { username: 'lanhdao.xa', fullName: 'Vũ Văn Lãnh Đạo Xã', password: 'GovflowDemo2025', orgCode: '00004', role: 'leader', roleOrg: '00004', email: 'lanhdao.xa@govflow.local' },
  { username: 'canbo.hcm', fullName: 'Phạm Thu Hồ Chí Minh', password: 'GovflowDemo2025', orgCode: '79', role: 'officer', roleOrg: '79', email: 'canbo.hcm@govflow.local' },
  { username: 'congdan@example.vn', fullName: 'Hoàng Văn Công Dân', password: 'GovflowDemo2025', orgCode: null, role: 'citizen', roleOrg: null, email: 'congdan@example.vn' },
];

/** Whether the database has no users yet (a fresh install). */
export async function isEmpty(): Promise<boolean> {
  return (await User.count()) === 0;
}

/** Seeds the org tree and the demo users; safe to run again (existing users are kept). */
export async function seedDemo(print: (line: string) => void = () => {}): Promise<void> {
  const units = await importOrgs(fs.readFileSync(path.join(root, 'seed/admin-units-2025.csv')), { validFrom: '2025-07-01' });
  const agencies = await importOrgs(fs.readFileSync(path.join(root, 'seed/agencies.csv')));
  print(`org tree: ${units.rows} administrative units, ${agencies.rows} central agencies`);
  const { seedProcedures } = await import('./catalog/service.ts');
  await seedProcedures(print);
  for (const u of DEMO_USERS) {
    if (await User.findOne({ where: { username: u.username } })) continue;
    try {
      await createUser({ username: u.username, fullName: u.fullName, email: u.email, password: u.password, orgCode: u.orgCode, roles: [{ role: u.role, orgCode: u.roleOrg }] }, null);
    } catch (err) {
      // Another process seeding the same SQLite file created it meanwhile: the demo user is there, as wanted.
      if (err instanceof AppError && err.code === 'auth.userExists') continue;
      throw err;
    }
    print(`demo user ${u.username.padEnd(20)} password ${u.password}  (${u.role}${u.roleOrg ? ' @ ' + u.roleOrg : ''})`);
  }
  const { seedSigning } = await import('./signing/service.ts');
  await seedSigning(DEMO_USERS.filter((u) => u.role === 'leader').map((u) => u.username), print);
  const { seedReporting } = await import('./reporting/seed.ts');
  await seedReporting(print);
  await (await import('./dossiers/seed.ts')).seedDemoDossiers(print);
  await (await import('./dossiers/seed-handling.ts')).seedHandling(print);
  await (await import('./insight/rankings-seed.ts')).seedRankingDemo(print);
}

/**
 * Seeds an empty database once, however many nodes start together: under the start-up lock, a node that finds users
 * already there (another node seeded first) does nothing. Returns whether this call seeded.
 */
export async function seedIfEmpty(print: (line: string) => void = () => {}): Promise<boolean> {
  return withStartupLock(async () => {
    if (!(await isEmpty())) return false;
    print('Fresh database: seeding demo data …');
    await seedDemo(print);
    return true;
  });
}

// An action and its audit entry commit together or not at all: with the chain head gone (so no entry can be
// written), an audited action, an org import and `govflow user add` leave no trace.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { setConfig } from '../../../src/config.ts';
import { audited } from '../../../src/audit/service.ts';
import { AuditEntry, AuditHead } from '../../../src/audit/models.ts';
import { OrgUnit } from '../../../src/orgs/models.ts';
import { User } from '../../../src/auth/models.ts';
import { importOrgs } from '../../../src/orgs/import.ts';

let store: TestDb;
let savedHead: Record<string, unknown>;
test.before(async () => {
  store = await freshDb();
  savedHead = (await AuditHead.findByPk(1))!.toJSON();
});
test.after.always(async () => {
  await store?.cleanup();
});
test.beforeEach(() => setConfig(store.config));

/** Runs fn while the chain head is gone, then puts it back. */
async function withoutHead(fn: () => Promise<void>): Promise<void> {
  await AuditHead.destroy({ where: { id: 1 } });
  try {
    await fn();
  } finally {
    await AuditHead.create(savedHead);
  }
}

const unit = (code: string) => ({ tree: 'atomic', code, name: `Đơn vị ${code}`, level: 'province', kind: 'tinh', path: '/', depth: 0 });

test.serial('an action run through audited() is rolled back when its audit entry cannot be written', async (t) => {
  await withoutHead(async () => {
    await t.throwsAsync(audited({ username: 'admin' }, { action: 'orgs.create', targetType: 'org', targetId: 'A1' }, (tx) => OrgUnit.create(unit('A1'), { transaction: tx })), { message: 'audit.headRejected' });
  });
  t.is(await OrgUnit.count({ where: { tree: 'atomic', code: 'A1' } }), 0);
  t.is(await AuditEntry.count({ where: { action: 'orgs.create' } }), 0);
});

test.serial('audited() writes the action and an entry computed from its result in one transaction', async (t) => {
  const created = await audited({ username: 'admin' }, (u: OrgUnit) => ({ action: 'orgs.create', targetType: 'org', targetId: u.id }), (tx) => OrgUnit.create(unit('A2'), { transaction: tx }));
  const entry = await AuditEntry.findOne({ where: { action: 'orgs.create' } });
  t.is(entry?.targetId, String(created.id));
  t.is(await OrgUnit.count({ where: { tree: 'atomic', code: 'A2' } }), 1);
});

test.serial('an action that fails writes no audit entry', async (t) => {
  const before = await AuditEntry.count();
  await t.throwsAsync(audited({ username: 'admin' }, { action: 'orgs.create' }, async (tx) => {
    await OrgUnit.create(unit('A3'), { transaction: tx });
    throw new Error('the action fails after its first write');
  }));
  t.is(await AuditEntry.count(), before);
  t.is(await OrgUnit.count({ where: { tree: 'atomic', code: 'A3' } }), 0);
});

test.serial('an org import whose audit entry cannot be written leaves no org unit behind', async (t) => {
  await withoutHead(async () => {
    await t.throwsAsync(importOrgs('code,name,level,parent_code\n01,Thành phố Hà Nội,province,\n', { tree: 'atomic-import' }), { message: 'audit.headRejected' });
  });
  t.is(await OrgUnit.count({ where: { tree: 'atomic-import' } }), 0);
});

test.serial('govflow user add whose audit entry cannot be written creates no user and says why', async (t) => {
  await withoutHead(async () => {
    const r = await govflowCli(store, ['user', 'add', 'khong.co.dau.vet', '--name', 'Không Có Dấu Vết', '--password', 'Khongcodauvet2025', '--role', 'admin']);
    t.is(r.code, 1, r.stdout);
    t.regex(r.stderr, /audit log cannot be extended/);
  });
  t.is(await User.count({ where: { username: 'khong.co.dau.vet' } }), 0);
});

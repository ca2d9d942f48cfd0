// Role and org-scope rules on the admin's user screens, and the audit rows they write.
import test from 'ava';
import { startApp, makeUser, login, call, PASSWORD, type TestApp, type Session } from '../../helpers/server.ts';
import { User, RoleAssignment } from '../../../src/auth/models.ts';
import { AuditEntry } from '../../../src/audit/models.ts';

let app: TestApp;
let hanoiAdmin: Session;
let hanoiAdminId: number;
let systemAdmin: Session;
let hanoiUser: User;
let hcmUser: User;
let hcmCommuneUser: User;

test.before(async () => {
  app = await startApp();
  const a = await makeUser('admin', '01');
  hanoiAdminId = a.id;
  hanoiAdmin = await login(app.server, a.username);
  systemAdmin = await login(app.server, (await makeUser('admin')).username);
  hanoiUser = await makeUser('officer', '00004', { username: 'canbo.badinh', fullName: 'Cán Bộ Ba Đình' });
  hcmUser = await makeUser('officer', '79', { username: 'canbo.tphcm', fullName: 'Cán Bộ Thành Phố' });
  hcmCommuneUser = await makeUser('leader', '25747', { username: 'lanhdao.tdm', fullName: 'Lãnh Đạo Thủ Dầu Một' });
});

test.after.always(async () => {
  await app?.close();
});

function newUser(username: string, orgCode: string, extra: Record<string, string> = {}) {
  return { username, fullName: `Người Dùng ${username}`, email: `${username}@example.vn`, phone: '0912 345 678', orgCode, role: 'officer', password: PASSWORD, ...extra };
}

test.serial('an officer opening the user list gets a 403 page', async (t) => {
  const officer = await login(app.server, (await makeUser('officer', '01')).username);
  const res = await call(app.server, officer, 'GET', '/admin/users');
  t.is(res.statusCode, 403);
  t.regex(res.headers['content-type'] as string, /text\/html/);
  t.regex(res.payload, /<p class="error-status">403<\/p>/);
  t.regex(res.payload, /Không có quyền truy cập/);
  t.regex(res.payload, /data-testid="error-message">Vai trò của bạn không được phép truy cập trang hoặc thao tác này.</);
});

test.serial('an officer cannot create a user either', async (t) => {
  const officer = await login(app.server, (await makeUser('officer', '01')).username);
  const res = await call(app.server, officer, 'POST', '/admin/users/new', newUser('by.officer', '01'));
  t.is(res.statusCode, 403);
  t.is(await User.count({ where: { username: 'by.officer' } }), 0);
});

test.serial('an anonymous visitor of an admin page is sent to the login page', async (t) => {
  const res = await call(app.server, null, 'GET', '/admin/users?q=x');
  t.is(res.statusCode, 302);
  t.is(res.headers.location, '/login?next=%2Fadmin%2Fusers%3Fq%3Dx');
});

test.serial('an anonymous API call gets a 401 JSON error with statusCode, error, message and code', async (t) => {
  const res = await call(app.server, null, 'GET', '/api/me');
  t.is(res.statusCode, 401);
  t.regex(res.headers['content-type'] as string, /application\/json/);
  const body = JSON.parse(res.payload);
  t.deepEqual(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode']);
  t.is(body.statusCode, 401);
  t.is(body.error, 'Unauthorized');
  t.is(typeof body.message, 'string');
  t.truthy(body.code);
});

test.serial('the API tells a logged-in user who they are, with roles and org codes', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'GET', '/api/me');
  t.is(res.statusCode, 200);
  const body = JSON.parse(res.payload);
  t.is(body.id, hanoiAdminId);
  t.deepEqual(body.roles, [{ role: 'admin', org: '01' }]);
  t.is(body.org, '01');
});

test.serial('an admin of province 01 sees users of 01 and its communes but not those of 79', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'GET', '/admin/users');
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('canbo.badinh'), 'a commune of Hà Nội is inside the subtree');
  t.false(res.payload.includes('canbo.tphcm'));
  t.false(res.payload.includes('lanhdao.tdm'));
  const all = await call(app.server, systemAdmin, 'GET', '/admin/users');
  t.true(all.payload.includes('canbo.tphcm'), 'a system-wide admin sees every province');
  t.true(all.payload.includes('canbo.badinh'));
});

test.serial('an admin of province 01 gets 403 opening a user of province 79', async (t) => {
  t.is((await call(app.server, hanoiAdmin, 'GET', `/admin/users/${hcmUser.id}`)).statusCode, 403);
  t.is((await call(app.server, hanoiAdmin, 'GET', `/admin/users/${hcmCommuneUser.id}`)).statusCode, 403);
  const own = await call(app.server, hanoiAdmin, 'GET', `/admin/users/${hanoiUser.id}`);
  t.is(own.statusCode, 200);
  t.true(own.payload.includes('Cán Bộ Ba Đình'));
});

test.serial('an admin of province 01 cannot change a user of province 79', async (t) => {
  const disable = await call(app.server, hanoiAdmin, 'POST', `/admin/users/${hcmUser.id}/status`, { status: 'disabled' });
  t.is(disable.statusCode, 403);
  t.is((await User.findByPk(hcmUser.id))!.status, 'active');
  const grant = await call(app.server, hanoiAdmin, 'POST', `/admin/users/${hcmUser.id}/roles`, { role: 'leader', orgCode: '79' });
  t.is(grant.statusCode, 403);
  t.is(await RoleAssignment.count({ where: { userId: hcmUser.id } }), 1);
});

test.serial('an admin of province 01 cannot create a user in province 79', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'POST', '/admin/users/new', newUser('new.hcm', '79'));
  t.is(res.statusCode, 403);
  t.regex(res.payload, /Dữ liệu này thuộc đơn vị ngoài phạm vi quản lý của bạn./);
  t.is(await User.count({ where: { username: 'new.hcm' } }), 0);
});

test.serial('an admin of province 01 cannot place a user in 79 while scoping the role to 01', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'POST', '/admin/users/new', newUser('split.scope', '79', { roleOrgCode: '01' }));
  t.is(res.statusCode, 403);
  t.is(await User.count({ where: { username: 'split.scope' } }), 0);
});

test.serial('an admin of province 01 cannot grant a system-wide role', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'POST', '/admin/users/new', newUser('no.scope', ''));
  t.is(res.statusCode, 403);
  t.is(await User.count({ where: { username: 'no.scope' } }), 0);
});

test.serial('an admin of province 01 creates a user in 01 and an audit row records it', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'POST', '/admin/users/new', newUser('new.hanoi', '01'));
  t.is(res.statusCode, 302);
  const user = await User.findOne({ where: { username: 'new.hanoi' } });
  t.truthy(user);
  t.is(res.headers.location, `/admin/users/${user!.id}?created=1`);
  const roles = await RoleAssignment.findAll({ where: { userId: user!.id } });
  t.deepEqual(roles.map((r) => r.role), ['officer']);
  const audit = await AuditEntry.findOne({ where: { action: 'user.create', targetId: String(user!.id) } });
  t.truthy(audit, 'a user.create row is appended');
  t.is(audit!.actorId, hanoiAdminId);
  t.is(audit!.targetType, 'user');
  t.true(audit!.detail!.includes('new.hanoi'));
  const page = await call(app.server, hanoiAdmin, 'GET', res.headers.location as string);
  t.is(page.statusCode, 200);
  t.regex(page.payload, /Đã tạo người dùng./);
  t.true((await call(app.server, hanoiAdmin, 'GET', '/admin/users?q=new.hanoi')).payload.includes('new.hanoi'));
});

test.serial('an admin of province 01 may create a user in a commune of 01', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'POST', '/admin/users/new', newUser('new.badinh', '00004'));
  t.is(res.statusCode, 302);
});

test.serial('the created user can log in with the initial password', async (t) => {
  await call(app.server, systemAdmin, 'POST', '/admin/users/new', newUser('first.login', '01'));
  const session = await login(app.server, 'first.login');
  t.is((await call(app.server, session, 'GET', '/api/me')).statusCode, 200);
});

test.serial('a taken username is refused with 409 and the form keeps what was typed', async (t) => {
  const res = await call(app.server, systemAdmin, 'POST', '/admin/users/new', newUser('canbo.badinh', '00004', { fullName: 'Trùng Tên' }));
  t.is(res.statusCode, 409);
  t.regex(res.payload, /Tên đăng nhập &quot;canbo.badinh&quot; đã tồn tại./);
  t.regex(res.payload, /value="Trùng Tên"/);
  t.notRegex(res.payload, new RegExp(PASSWORD), 'the password is not sent back');
});

test.serial('a weak initial password is refused with the rule it breaks', async (t) => {
  const res = await call(app.server, systemAdmin, 'POST', '/admin/users/new', newUser('weak.pw', '01', { password: 'short1' }));
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Mật khẩu phải có ít nhất 10 ký tự./);
  t.is(await User.count({ where: { username: 'weak.pw' } }), 0);
});

test.serial('a form with a bad field names that field', async (t) => {
  const res = await call(app.server, systemAdmin, 'POST', '/admin/users/new', newUser('x', '01', { email: 'not-an-email' }));
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Trường &quot;Tên đăng nhập&quot; chưa hợp lệ./);
  t.regex(res.payload, /Trường &quot;Thư điện tử&quot; chưa hợp lệ./);
});

test.serial('an unknown org code is a 404 message on the form, not a crash', async (t) => {
  const res = await call(app.server, systemAdmin, 'POST', '/admin/users/new', newUser('no.org', 'ZZZ'));
  t.is(res.statusCode, 404);
  t.is(await User.count({ where: { username: 'no.org' } }), 0);
});

test.serial('page=abc on the user list is a 400 naming the field', async (t) => {
  const res = await call(app.server, systemAdmin, 'GET', '/admin/users?page=abc');
  t.is(res.statusCode, 400);
  t.regex(res.payload, /<p class="error-status">400<\/p>/);
  t.regex(res.payload, /Trường &quot;page&quot; phải là số./);
});

test.serial('the user list searches by name and pages', async (t) => {
  const res = await call(app.server, systemAdmin, 'GET', '/admin/users?q=Ba%20%C4%90%C3%ACnh');
  t.is(res.statusCode, 200);
  t.true(res.payload.includes('canbo.badinh'));
  t.false(res.payload.includes('canbo.tphcm'));
  const far = await call(app.server, systemAdmin, 'GET', '/admin/users?page=99');
  t.is(far.statusCode, 200);
  t.false(far.payload.includes('canbo.badinh'));
});

test.serial('granting a role and disabling a user each write an audit row', async (t) => {
  const target = await makeUser('officer', '01');
  const grant = await call(app.server, hanoiAdmin, 'POST', `/admin/users/${target.id}/roles`, { role: 'leader', orgCode: '01' });
  t.is(grant.statusCode, 302);
  t.is(grant.headers.location, `/admin/users/${target.id}`);
  t.truthy(await AuditEntry.findOne({ where: { action: 'user.grant', targetId: String(target.id), actorId: hanoiAdminId } }));
  const targetSession = await login(app.server, target.username);
  const disable = await call(app.server, hanoiAdmin, 'POST', `/admin/users/${target.id}/status`, { status: 'disabled' });
  t.is(disable.statusCode, 302);
  t.is((await User.findByPk(target.id))!.status, 'disabled');
  t.truthy(await AuditEntry.findOne({ where: { action: 'user.disable', targetId: String(target.id) } }));
  t.is((await call(app.server, targetSession, 'GET', '/api/me')).statusCode, 401, 'a disabled user is logged out at once');
});

test.serial('an admin cannot disable their own account', async (t) => {
  const res = await call(app.server, hanoiAdmin, 'POST', `/admin/users/${hanoiAdminId}/status`, { status: 'disabled' });
  t.is(res.statusCode, 302);
  t.is(res.headers.location, `/admin/users/${hanoiAdminId}?error=auth.cannotDisableSelf`);
  t.is((await User.findByPk(hanoiAdminId))!.status, 'active');
});

test.serial('the user list never shows password hashes', async (t) => {
  const res = await call(app.server, systemAdmin, 'GET', '/admin/users');
  t.notRegex(res.payload, /scrypt\$/);
});

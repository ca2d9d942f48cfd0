// Citizen self-registration with e-mail and password.
import test from 'ava';
import { startApp, anonymous, call, type TestApp } from '../../helpers/server.ts';
import { User, RoleAssignment, Session } from '../../../src/auth/models.ts';
import { AuditEntry } from '../../../src/audit/models.ts';

let app: TestApp;

test.before(async () => {
  app = await startApp({ orgs: false });
});

test.after.always(async () => {
  await app?.close();
});

async function register(payload: Record<string, string>) {
  const anon = await anonymous(app.server);
  return app.server.inject({ method: 'POST', url: '/register', headers: { cookie: anon.cookie }, payload: { ...payload, crumb: anon.crumb } });
}

test.serial('the registration page asks for name, e-mail, phone and password with labels', async (t) => {
  const res = await call(app.server, null, 'GET', '/register');
  t.is(res.statusCode, 200);
  for (const id of ['fullName', 'email', 'phone', 'password']) t.regex(res.payload, new RegExp(`<label for="${id}">`));
  t.regex(res.payload, /Ít nhất 10 ký tự, gồm cả chữ và số./);
});

test.serial('a citizen registers, is logged in at once and holds the citizen role', async (t) => {
  const res = await register({ fullName: 'Nguyễn Thị Công Dân', email: 'CongDan.Moi@Example.vn', phone: '0987654321', password: 'MatKhauManh2025' });
  t.is(res.statusCode, 302);
  t.is(res.headers.location, '/');
  const user = await User.findOne({ where: { email: 'congdan.moi@example.vn' } });
  t.truthy(user, 'the e-mail is stored in lower case');
  t.is(user!.username, 'congdan.moi@example.vn');
  t.is(user!.orgUnitId, null);
  t.deepEqual((await RoleAssignment.findAll({ where: { userId: user!.id } })).map((r) => [r.role, r.orgUnitId]), [['citizen', null]]);
  t.is(await Session.count({ where: { userId: user!.id } }), 1);
  const set = res.headers['set-cookie'] as string[];
  const sid = set.find((c) => c.startsWith('sid='))!.split(';')[0];
  const anon = await anonymous(app.server);
  const me = await app.server.inject({ url: '/api/me', headers: { cookie: `${anon.cookie}; ${sid}` } });
  t.is(me.statusCode, 200);
  t.deepEqual(JSON.parse(me.payload).roles, [{ role: 'citizen', org: null }]);
  t.truthy(await AuditEntry.findOne({ where: { action: 'user.register', targetId: String(user!.id) } }));
  t.truthy(await AuditEntry.findOne({ where: { action: 'user.create', targetId: String(user!.id) } }));
});

test.serial('a weak password is refused with a Vietnamese message and no account is made', async (t) => {
  const short = await register({ fullName: 'Trần Văn Yếu', email: 'yeu@example.vn', password: 'abc123' });
  t.is(short.statusCode, 400);
  t.regex(short.payload, /data-testid="register-error">Mật khẩu phải có ít nhất 10 ký tự.</);
  t.regex(short.payload, /value="Trần Văn Yếu"/, 'what was typed is kept');
  const letters = await register({ fullName: 'Trần Văn Yếu', email: 'yeu@example.vn', password: 'chicochucai' });
  t.is(letters.statusCode, 400);
  t.regex(letters.payload, /Mật khẩu phải có cả chữ và số./);
  t.is(await User.count({ where: { email: 'yeu@example.vn' } }), 0);
});

test.serial('a taken e-mail is refused with a Vietnamese message', async (t) => {
  await register({ fullName: 'Người Đầu Tiên', email: 'trung@example.vn', password: 'MatKhauManh2025' });
  const res = await register({ fullName: 'Người Thứ Hai', email: 'Trung@Example.vn', password: 'MatKhauKhac2025' });
  t.is(res.statusCode, 409);
  t.regex(res.payload, /Địa chỉ thư điện tử này đã được đăng ký./);
  t.is(await User.count({ where: { email: 'trung@example.vn' } }), 1);
});

test.serial('a malformed e-mail names the e-mail field', async (t) => {
  const res = await register({ fullName: 'Lê Thị Sai', email: 'khong-phai-email', password: 'MatKhauManh2025' });
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Vui lòng kiểm tra lại trường &quot;Thư điện tử&quot;./);
});

test.serial('registration messages follow the chosen language', async (t) => {
  const anon = await anonymous(app.server);
  const res = await app.server.inject({ method: 'POST', url: '/register', headers: { cookie: `${anon.cookie}; lang=en` }, payload: { fullName: 'Weak Person', email: 'weak.en@example.vn', password: 'short1', crumb: anon.crumb } });
  t.is(res.statusCode, 400);
  t.regex(res.payload, /The password needs at least 10 characters./);
});

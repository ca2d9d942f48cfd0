// Citizen self-registration: the form answers the same for a new and a registered address, and the
// mail sent through a real SMTP server either carries the link that creates the account or tells the
// owner they already have one.
import test from 'ava';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { startApp, anonymous, call, PASSWORD, type TestApp } from '../../helpers/server.ts';
import { createUser } from '../../../src/auth/service.ts';
import { User, RoleAssignment, Session } from '../../../src/auth/models.ts';
import { AuditEntry } from '../../../src/audit/models.ts';

interface Mail {
  to: string[];
  raw: string;
  /** The text body with quoted-printable soft breaks and escapes undone. */
  text: string;
}

let app: TestApp;
let smtp: SMTPServer;
const mails: Mail[] = [];

function decodeQuotedPrintable(s: string): string {
  return Buffer.from(s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}

test.before(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text: decodeQuotedPrintable(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  app = await startApp({ orgs: false, env: { SMTP_URL: `smtp://127.0.0.1:${port}`, BASE_URL: 'http://govflow.test', REGISTER_RATE_PER_EMAIL: '3' } });
});

test.after.always(async () => {
  await app?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

async function register(payload: Record<string, string>, lang?: string) {
  const anon = await anonymous(app.server);
  return app.server.inject({ method: 'POST', url: '/register', headers: { cookie: `${anon.cookie}${lang ? `; lang=${lang}` : ''}` }, payload: { ...payload, crumb: anon.crumb } });
}

async function mailTo(address: string, after: number): Promise<Mail> {
  for (let i = 0; i < 100; i++) {
    const found = mails.slice(after).find((m) => m.to.includes(address));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no mail to ${address}`);
}

function linkIn(mail: Mail): string {
  const m = /http:\/\/govflow\.test(\/register\/confirm\?token=[A-Za-z0-9_-]+)/.exec(mail.text);
  if (!m) throw new Error(`no link in ${mail.text}`);
  return m[1];
}

/** Opens the link of a mail and presses its button, as the owner of the address would. */
async function confirm(path: string) {
  const anon = await anonymous(app.server);
  const page = await app.server.inject({ url: path, headers: { cookie: anon.cookie } });
  const token = /name="token" value="([^"]+)"/.exec(page.payload)?.[1];
  const res = await app.server.inject({ method: 'POST', url: '/register/confirm', headers: { cookie: anon.cookie }, payload: { token: token ?? 'none', crumb: anon.crumb } });
  return { page, res };
}

test.serial('the registration page asks for name, e-mail, phone and password with labels', async (t) => {
  const res = await call(app.server, null, 'GET', '/register');
  t.is(res.statusCode, 200);
  for (const id of ['fullName', 'email', 'phone', 'password']) t.regex(res.payload, new RegExp(`<label for="${id}">`));
  t.regex(res.payload, /Từ 10 đến 200 ký tự/);
});

test.serial('a new address gets a mail whose link creates the citizen account and logs its owner in', async (t) => {
  const before = mails.length;
  const res = await register({ fullName: 'Nguyễn Thị Công Dân', email: 'CongDan.Moi@Example.vn', phone: '0987654321', password: 'MatKhauManh2025' });
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-testid="register-sent">Chúng tôi đã gửi thư đến congdan.moi@example.vn/);
  t.is(await User.count({ where: { email: 'congdan.moi@example.vn' } }), 0, 'nothing is created before the owner confirms');

  const mail = await mailTo('congdan.moi@example.vn', before);
  t.regex(mail.text, /Để hoàn tất đăng ký tài khoản công dân/);
  const { page, res: done } = await confirm(linkIn(mail));
  t.is(page.statusCode, 200);
  t.regex(page.payload, /Tạo tài khoản công dân cho Nguyễn Thị Công Dân \(congdan.moi@example.vn\)/);
  t.is(done.statusCode, 302);
  t.is(done.headers.location, '/');
  const user = await User.findOne({ where: { email: 'congdan.moi@example.vn' } });
  t.truthy(user, 'the e-mail is stored in lower case');
  t.is(user!.username, 'congdan.moi@example.vn');
  t.deepEqual((await RoleAssignment.findAll({ where: { userId: user!.id } })).map((r) => [r.role, r.orgUnitId]), [['citizen', null]]);
  t.is(await Session.count({ where: { userId: user!.id } }), 1);
  for (const action of ['user.create', 'user.register', 'auth.login']) t.truthy(await AuditEntry.findOne({ where: { action, targetId: String(user!.id) } }), action);

  const again = await confirm(linkIn(mail));
  t.is(again.res.statusCode, 409, 'a link creates one account only');
  t.regex(again.res.payload, /Tài khoản cho địa chỉ này đã được tạo/);
});

test.serial('registering a taken address answers exactly as for a new one and mails the owner a notice', async (t) => {
  const owner = await createUser({ username: 'da.co@example.vn', email: 'da.co@example.vn', fullName: 'Chủ Tài Khoản', password: PASSWORD, roles: [{ role: 'citizen' }] }, null);
  const before = mails.length;
  const taken = await register({ fullName: 'Kẻ Dò Tìm', email: 'Da.Co@Example.vn', password: 'MatKhauKhac2025' });
  const fresh = await register({ fullName: 'Kẻ Dò Tìm', email: 'chua.co@example.vn', password: 'MatKhauKhac2025' });
  t.is(taken.statusCode, fresh.statusCode);
  const strip = (html: string) => html.replace(/name="crumb" value="[^"]*"/g, '').replace(/(da\.co|chua\.co)@example\.vn/g, 'ADDRESS');
  t.is(strip(taken.payload), strip(fresh.payload));

  const notice = await mailTo(owner.email!, before);
  t.regex(notice.text, /Kính gửi Chủ Tài Khoản/);
  t.regex(notice.text, /đã có tài khoản/);
  t.regex(notice.text, /http:\/\/govflow\.test\/login/);
  t.notRegex(notice.text, /register\/confirm/, 'the notice carries no link that could change the account');
  t.is(await User.count({ where: { email: 'da.co@example.vn' } }), 1);
  t.true((await User.findByPk(owner.id))!.fullName === 'Chủ Tài Khoản', 'the account is unchanged');
});

test.serial('an altered or foreign registration link creates nothing', async (t) => {
  const before = mails.length;
  await register({ fullName: 'Lê Văn Sửa', email: 'sua.link@example.vn', password: 'MatKhauManh2025' });
  const path = linkIn(await mailTo('sua.link@example.vn', before));
  const altered = path.slice(0, -4) + (path.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const page = await app.server.inject(altered);
  t.is(page.statusCode, 400);
  t.regex(page.payload, /Đường liên kết đăng ký không hợp lệ hoặc đã hết hạn/);
  const { res } = await confirm(altered);
  t.is(res.statusCode, 400);
  t.is(await User.count({ where: { email: 'sua.link@example.vn' } }), 0);
});

test.serial('a weak or common password is refused with a Vietnamese message and no mail is sent', async (t) => {
  const before = mails.length;
  const short = await register({ fullName: 'Trần Văn Yếu', email: 'yeu@example.vn', password: 'abc123' });
  t.is(short.statusCode, 400);
  t.regex(short.payload, /data-testid="register-error">Mật khẩu phải có ít nhất 10 ký tự.</);
  t.regex(short.payload, /value="Trần Văn Yếu"/, 'what was typed is kept');
  const common = await register({ fullName: 'Trần Văn Yếu', email: 'yeu@example.vn', password: 'password123' });
  t.is(common.statusCode, 400);
  t.regex(common.payload, /Mật khẩu này quá phổ biến và dễ bị đoán./);
  const own = await register({ fullName: 'Trần Văn Yếu', email: 'tranvanyeu@example.vn', password: 'tranvanyeu@example.vn' });
  t.regex(own.payload, /Mật khẩu không được trùng với tên đăng nhập hoặc địa chỉ thư điện tử./);
  await new Promise((r) => setTimeout(r, 100));
  t.is(mails.length, before);
});

test.serial('a malformed e-mail names the e-mail field', async (t) => {
  const res = await register({ fullName: 'Lê Thị Sai', email: 'khong-phai-email', password: 'MatKhauManh2025' });
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Vui lòng kiểm tra lại trường &quot;Thư điện tử&quot;./);
});

test.serial('registration messages follow the chosen language', async (t) => {
  const res = await register({ fullName: 'Weak Person', email: 'weak.en@example.vn', password: 'short1' }, 'en');
  t.is(res.statusCode, 400);
  t.regex(res.payload, /The password needs at least 10 characters./);
  const sent = await register({ fullName: 'Strong Person', email: 'strong.en@example.vn', password: 'a long sentence I remember' }, 'en');
  t.regex(sent.payload, /We have sent a message to strong.en@example.vn/);
});

test.serial('one address can be registered only REGISTER_RATE_PER_EMAIL times per window: then 429 with Retry-After', async (t) => {
  for (let i = 0; i < 3; i++) t.is((await register({ fullName: 'Người Lặp Lại', email: 'lap.lai@example.vn', password: 'MatKhauManh2025' })).statusCode, 200);
  const res = await register({ fullName: 'Người Lặp Lại', email: 'lap.lai@example.vn', password: 'MatKhauManh2025' });
  t.is(res.statusCode, 429);
  t.truthy(Number(res.headers['retry-after']) > 0);
  t.regex(res.payload, /Bạn đã thử quá nhiều lần trong thời gian ngắn./);
});

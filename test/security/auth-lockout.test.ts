// Guessing passwords: the lock holds under concurrent guesses, rate limits hold across nodes, and
// nothing in the answers tells a known username from an unknown one.
import crypto from 'node:crypto';
import test from 'ava';
import { Op } from 'sequelize';
import type { Server } from '@hapi/hapi';
import { startApp, makeUser, anonymous, PASSWORD, type TestApp } from '../helpers/server.ts';
import { createServer } from '../../src/web/server.ts';
import { setConfig } from '../../src/config.ts';
import { AuditEntry } from '../../src/audit/models.ts';
import { Session, User } from '../../src/auth/models.ts';

const LIMIT = 5;
let app: TestApp;

test.before(async () => {
  app = await startApp({
    orgs: false,
    env: { LOGIN_MAX_FAILURES: String(LIMIT), LOGIN_LOCK_MINUTES: '15', LOGIN_RATE_PER_USERNAME: '8', LOGIN_RATE_PER_IP: '1000', TRUST_PROXY_HOPS: '1', AUTH_RATE_WINDOW_SECONDS: '600' },
  });
});

test.after.always(async () => {
  await app?.close();
});

let ipCounter = 0;
/** A client address of its own, so only the limits under test are reached. */
function freshIp(): string {
  ipCounter++;
  return `10.9.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`;
}

async function postLogin(server: Server, username: string, password: string, ip = freshIp(), lang?: string) {
  const anon = await anonymous(server);
  return server.inject({ method: 'POST', url: '/login', headers: { cookie: `${anon.cookie}${lang ? `; lang=${lang}` : ''}`, 'x-forwarded-for': ip }, payload: { username, password, crumb: anon.crumb } });
}

async function evaluated(names: string[]): Promise<number> {
  return AuditEntry.count({ where: { action: { [Op.in]: ['auth.login.failed', 'auth.login.lockout'] }, actorName: { [Op.in]: names } } });
}

test.serial('40 concurrent wrong passwords on two nodes check at most LOGIN_MAX_FAILURES passwords and lock the account', async (t) => {
  const user = await makeUser('officer', null, { username: 'doan.mo' });
  // Rate limits out of the way, so only the lock stands between the guesses and the password checks;
  // the guesses go to two server instances on the one database.
  setConfig({ ...app.db.config, loginRatePerUsername: 1000 });
  const other = await createServer();
  let results;
  try {
    results = await Promise.all(Array.from({ length: 40 }, (_, i) => postLogin(i % 2 ? other : app.server, user.username, `WrongGuess${i}xyz`)));
  } finally {
    setConfig(app.db.config);
    await other.stop();
  }
  const statuses = results.map((r) => r.statusCode);
  t.true(statuses.every((s) => s === 401 || s === 429), statuses.join(','));
  t.log(`passwords checked: ${await evaluated([user.username])} of 40; answers: ${statuses.filter((s) => s === 401).length} × 401, ${statuses.filter((s) => s === 429).length} × 429`);
  t.true(await evaluated([user.username]) <= LIMIT, `${await evaluated([user.username])} passwords were checked`);
  t.is(statuses.filter((s) => s === 401).length, await evaluated([user.username]), 'only checked passwords answer 401');
  const after = await postLogin(app.server, user.username, PASSWORD);
  t.is(after.statusCode, 429, 'even the right password is refused while locked');
  t.is(await Session.count({ where: { userId: user.id } }), 0);
});

test.serial('an unknown username locks after the same number of failures, with the same message as a real one', async (t) => {
  const real = await makeUser('officer', null, { username: 'co.that' });
  const answers: Record<string, Array<{ status: number; error: string }>> = {};
  for (const name of [real.username, 'khong.ton.tai']) {
    answers[name] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      const res = await postLogin(app.server, name, `Sai${i}MatKhau`);
      answers[name].push({ status: res.statusCode, error: /data-testid="login-error">([^<]*)</.exec(res.payload)?.[1] ?? '' });
    }
  }
  t.deepEqual(answers['khong.ton.tai'], answers[real.username]);
  t.is(answers[real.username][LIMIT].status, 429);
  t.regex(answers[real.username][LIMIT].error, /Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút./);
});

test.serial('a wrong password, an unknown user and a disabled account get the same status, message and page', async (t) => {
  const wrong = await makeUser('officer', null, { username: 'sai.mat.khau' });
  const disabled = await makeUser('officer', null, { username: 'da.khoa' });
  await User.update({ status: 'disabled' }, { where: { id: disabled.id } });
  const pages = [
    await postLogin(app.server, wrong.username, 'KhongDung2025x'),
    await postLogin(app.server, 'nguoi.la', 'KhongDung2025x'),
    await postLogin(app.server, disabled.username, PASSWORD),
  ];
  const strip = (html: string, name: string) => html.replace(/name="crumb" value="[^"]*"/g, '').replaceAll(name, 'NAME');
  t.deepEqual(pages.map((p) => p.statusCode), [401, 401, 401]);
  t.is(strip(pages[1].payload, 'nguoi.la'), strip(pages[0].payload, wrong.username));
  t.is(strip(pages[2].payload, disabled.username), strip(pages[0].payload, wrong.username));
});

test.serial('an unknown user, a wrong password and a disabled account each cost a full password check', async (t) => {
  const wrong = await makeUser('officer', null, { username: 'do.thoi.gian' });
  const disabled = await makeUser('officer', null, { username: 'khoa.thoi.gian' });
  await User.update({ status: 'disabled' }, { where: { id: disabled.id } });
  // Each answer must run one scrypt check at the cost of real hashes; one that skipped it would answer
  // sooner and tell the cases apart. The real crypto.scrypt is wrapped to count the calls and their cost
  // (CPU or wall time would count other test files' work in this process too).
  const calls: number[] = [];
  const original = crypto.scrypt;
  (crypto as { scrypt: unknown }).scrypt = (...args: unknown[]) => {
    calls.push(Number((args[3] as crypto.ScryptOptions).N));
    return (original as (...a: unknown[]) => void)(...args);
  };
  try {
    const cases = { 'wrong password': [wrong.username, 'KhongDung2025x'], 'unknown user': ['ai.do.khong.co', 'KhongDung2025x'], 'disabled account': [disabled.username, PASSWORD] } as const;
    for (const [label, [name, password]] of Object.entries(cases)) {
      calls.length = 0;
      t.is((await postLogin(app.server, name, password)).statusCode, 401, label);
      t.deepEqual(calls, [16384], `${label}: scrypt checks made, by cost N`);
    }
  } finally {
    crypto.scrypt = original;
  }
});

test.serial('the per-username rate limit answers 429 with Retry-After and a message in the chosen language', async (t) => {
  const user = await makeUser('officer', null, { username: 'gioi.han' });
  // Good logins count too: the limit is on attempts, whatever their outcome.
  for (let i = 0; i < 8; i++) t.is((await postLogin(app.server, user.username, PASSWORD)).statusCode, 302);
  const vi = await postLogin(app.server, user.username, PASSWORD);
  t.is(vi.statusCode, 429);
  const retry = Number(vi.headers['retry-after']);
  t.true(retry > 0 && retry <= 600, `Retry-After ${vi.headers['retry-after']}`);
  t.regex(vi.payload, /Bạn đã thử quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau 10 phút./);
  const en = await postLogin(app.server, user.username, PASSWORD, freshIp(), 'en');
  t.is(en.statusCode, 429);
  t.regex(en.payload, /Too many attempts in a short time. Please try again in 10 minutes./);
});

test.serial('the per-username rate limit holds across two server instances on the same database', async (t) => {
  const user = await makeUser('officer', null, { username: 'hai.nut' });
  const other = await createServer();
  try {
    for (let i = 0; i < 8; i++) t.is((await postLogin(i % 2 ? other : app.server, user.username, PASSWORD)).statusCode, 302);
    t.is((await postLogin(app.server, user.username, PASSWORD)).statusCode, 429);
    t.is((await postLogin(other, user.username, PASSWORD)).statusCode, 429);
  } finally {
    await other.stop();
  }
});

test.serial('the per-IP rate limit stops one address from trying many usernames, on every node', async (t) => {
  const { server, db } = app;
  const other = await createServer();
  try {
    // The limits are read from the configuration of the process; a tighter per-IP one for this test.
    setConfig({ ...db.config, loginRatePerIp: 6 });
    const ip = freshIp();
    for (let i = 0; i < 6; i++) t.is((await postLogin(i % 2 ? other : server, `ten${i}.khac`, 'MatKhauBatKy1', ip)).statusCode, 401);
    const blocked = await postLogin(other, 'ten.moi', 'MatKhauBatKy1', ip);
    t.is(blocked.statusCode, 429);
    t.truthy(blocked.headers['retry-after']);
    t.is((await postLogin(server, 'ten.moi', 'MatKhauBatKy1', freshIp())).statusCode, 401, 'another address is not affected');
  } finally {
    setConfig(db.config);
    await other.stop();
  }
});

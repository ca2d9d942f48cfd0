// The counters behind the login and registration limits: windows restart, and old rows are swept.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { AuthThrottle } from '../../../src/auth/models.ts';
import { hitRateLimit, sweepThrottles, throttleKey } from '../../../src/auth/throttle.ts';

let db: TestDb;

test.before(async () => {
  db = await freshDb();
});

test.after.always(async () => {
  await db?.cleanup();
});

test.serial('a spent window allows nothing more until it has passed, then counts again from one', async (t) => {
  for (let i = 0; i < 3; i++) t.is(await hitRateLimit('login-ip', '203.0.113.7', 3, 60), null);
  const wait = await hitRateLimit('login-ip', '203.0.113.7', 3, 60);
  t.true(wait !== null && wait > 0 && wait <= 60, `retry after ${wait}`);
  await AuthThrottle.update({ windowStart: new Date(Date.now() - 61000) }, { where: { bucket: throttleKey('login-ip', '203.0.113.7') } });
  t.is(await hitRateLimit('login-ip', '203.0.113.7', 3, 60), null);
  t.is((await AuthThrottle.findByPk(throttleKey('login-ip', '203.0.113.7')))!.hits, 1);
});

test.serial('concurrent requests never get past a limit together', async (t) => {
  const answers = await Promise.all(Array.from({ length: 30 }, () => hitRateLimit('register-mail', 'dong.thoi@example.vn', 7, 600)));
  t.is(answers.filter((a) => a === null).length, 7);
});

test.serial('rows whose time has passed are swept, live ones stay', async (t) => {
  await hitRateLimit('register-ip', '198.51.100.1', 5, 600);
  await AuthThrottle.create({ bucket: throttleKey('login-name', 'cu.lam.roi'), windowStart: new Date(Date.now() - 7200000), expiresAt: new Date(Date.now() - 3600000) });
  t.is(await sweepThrottles(), 1);
  t.is(await AuthThrottle.count({ where: { bucket: throttleKey('login-name', 'cu.lam.roi') } }), 0);
  t.is(await AuthThrottle.count({ where: { bucket: throttleKey('register-ip', '198.51.100.1') } }), 1);
});

test.serial('keys hold a hash, never the username or address, and differ by case and accents', (t) => {
  const key = throttleKey('login-name', 'Nguyễn');
  t.false(key.includes('Nguy'));
  t.regex(key, /^login-name:[0-9a-f]{64}$/);
  t.not(throttleKey('login-name', 'nguyen'), throttleKey('login-name', 'nguyễn'));
  t.not(throttleKey('login-name', 'An'), throttleKey('login-name', 'an'));
});

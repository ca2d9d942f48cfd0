// The counters behind the login and registration limits: windows restart, and old rows are swept.
import test from 'ava';
import path from 'node:path';
import { spawn } from 'node:child_process';
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

test.serial('two nodes counting 40 requests at once on one database allow exactly the limit together', async (t) => {
  const child = spawn(process.execPath, ['--import=tsx', path.join(import.meta.dirname, '../../helpers/throttle-node.ts')], {
    env: { ...process.env, DATABASE_URL: db.url, DATA_DIR: db.dataDir, HITS: '20', LIMIT: '9', VALUE: '000.00.00.G11-261201-0042' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let errors = '';
  child.stderr.on('data', (d) => (errors += String(d)));
  const said = (re: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => {
      const m = re.exec(out);
      if (m) resolve(m);
    };
    child.stdout.on('data', (d) => {
      out += String(d);
      check();
    });
    child.once('exit', (code) => reject(new Error(`the second node exited with ${code}: ${out} ${errors}`)));
    check();
  });
  await said(/ready/);
  child.stdin.write('go\n');
  const here = await Promise.all(Array.from({ length: 20 }, () => hitRateLimit('track-code', '000.00.00.G11-261201-0042', 9, 600)));
  const there = Number((await said(/allowed (\d+)/))[1]);
  const allowedHere = here.filter((a) => a === null).length;
  t.is(allowedHere + there, 9, `here ${allowedHere}, there ${there}`);
  t.is((await AuthThrottle.findByPk(throttleKey('track-code', '000.00.00.G11-261201-0042')))!.hits, 40);
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

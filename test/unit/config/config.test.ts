import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig, ConfigError } from '../../../src/config.ts';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-config-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const SECRET = 's'.repeat(40);

test('an empty environment gives the documented defaults', (t) => {
  const dir = tempDir(t);
  const cfg = loadConfig({ DATA_DIR: dir });
  t.is(cfg.port, 3000);
  t.is(cfg.host, '0.0.0.0');
  t.is(cfg.nodeEnv, 'development');
  t.is(cfg.dataDir, path.resolve(dir));
  t.is(cfg.databaseUrl, `sqlite:${path.join(path.resolve(dir), 'govflow.sqlite')}`);
  t.is(cfg.baseUrl, 'http://localhost:3000');
  t.is(cfg.smtpUrl, '');
  t.is(cfg.loginMaxFailures, 5);
  t.true(cfg.seedDemo, 'a development node seeds demo data');
  t.is(cfg.logLevel, 'info');
});

test('DATA_DIR defaults to ./data under the working folder', (t) => {
  const cfg = loadConfig({ SECRET });
  t.is(cfg.dataDir, path.resolve('./data'));
});

test('the config object is frozen', (t) => {
  const cfg = loadConfig({ DATA_DIR: tempDir(t), SECRET });
  t.true(Object.isFrozen(cfg));
  t.throws(() => {
    (cfg as { port: number }).port = 1;
  });
});

test('values from the environment are converted to their types', (t) => {
  const cfg = loadConfig({ DATA_DIR: tempDir(t), SECRET, PORT: '8080', BASE_URL: 'https://govflow.example.vn/', SEED_DEMO: '0', LOGIN_MAX_FAILURES: '3', DATABASE_URL: 'mariadb://u:p@db:3306/gf' });
  t.is(cfg.port, 8080);
  t.is(cfg.baseUrl, 'https://govflow.example.vn', 'the trailing slash is dropped');
  t.false(cfg.seedDemo);
  t.is(cfg.loginMaxFailures, 3);
  t.is(cfg.databaseUrl, 'mariadb://u:p@db:3306/gf');
});

test('every problem of several bad keys is listed at once', (t) => {
  const err = t.throws(() => loadConfig({
    DATA_DIR: tempDir(t), PORT: 'abc', DATABASE_URL: 'postgres://x/y', SMTP_URL: 'http://mail', NODE_ENV: 'staging', LOGIN_MAX_FAILURES: '0', SECRET: 'short',
  }), { instanceOf: ConfigError }) as ConfigError;
  const keys = ['PORT', 'DATABASE_URL', 'SMTP_URL', 'NODE_ENV', 'LOGIN_MAX_FAILURES', 'SECRET'];
  for (const key of keys) t.true(err.problems.some((p) => p.includes(`"${key}"`)), `${key} is named: ${err.problems.join(' | ')}`);
  t.is(err.problems.length, keys.length);
  for (const key of keys) t.true(err.message.includes(key), 'the message lists every problem too');
});

test('SECRET is required in production', (t) => {
  const dir = tempDir(t);
  const err = t.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir }), { instanceOf: ConfigError }) as ConfigError;
  t.true(err.problems.some((p) => p.includes('SECRET')));
  t.false(fs.existsSync(path.join(dir, 'secret.key')), 'no secret is generated in production');
  t.is(loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, SECRET, AUDIT_KEYS: `k1:${'a'.repeat(40)}` }).secret, SECRET);
});

test('a missing production SECRET is listed together with the other problems', (t) => {
  const err = t.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir(t), PORT: 'abc' }), { instanceOf: ConfigError }) as ConfigError;
  t.true(err.problems.some((p) => p.includes('PORT')));
  t.true(err.problems.some((p) => p.includes('SECRET')), err.problems.join(' | '));
});

test('without SECRET a secret is generated once and kept in DATA_DIR', (t) => {
  const dir = path.join(tempDir(t), 'nested', 'data');
  const first = loadConfig({ DATA_DIR: dir });
  t.true(first.secret.length >= 32);
  const file = path.join(dir, 'secret.key');
  t.true(fs.existsSync(file));
  t.is(fs.readFileSync(file, 'utf8').trim(), first.secret);
  t.is(fs.statSync(file).mode & 0o077, 0, 'only the owner may read the key');
  const second = loadConfig({ DATA_DIR: dir });
  t.is(second.secret, first.secret, 'a restart keeps the same secret');
  const other = loadConfig({ DATA_DIR: path.join(tempDir(t), 'other') });
  t.not(other.secret, first.secret, 'each data folder has its own secret');
});

test('a given SECRET wins over the one kept in DATA_DIR', (t) => {
  const dir = tempDir(t);
  loadConfig({ DATA_DIR: dir });
  t.is(loadConfig({ DATA_DIR: dir, SECRET }).secret, SECRET);
});

test('the test environment logs nothing and seeds nothing by default', (t) => {
  const cfg = loadConfig({ NODE_ENV: 'test', DATA_DIR: tempDir(t), SECRET });
  t.is(cfg.logLevel, 'silent');
  t.false(cfg.seedDemo);
});

// The signing key and trust folder settings: generated once in development, shared through SECRET in
// production, refused when not 32 bytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig, ConfigError } from '../../../src/config.ts';

const SECRET = 'production-secret-'.padEnd(48, 'x');
const AUDIT_KEYS = `k1:${'a'.repeat(40)}`;
function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-signing-config-'));
}

test('without SIGNING_KEY a development node generates one key into DATA_DIR and keeps it', (t) => {
  const dir = tempDir();
  const a = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
  t.is(Buffer.from(a.signingKey, 'base64').length, 32);
  t.is(fs.readFileSync(path.join(dir, 'signing.key'), 'utf8').trim(), a.signingKey);
  t.is(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir }).signingKey, a.signingKey);
  t.is(a.signingTrustDir, path.join(dir, 'signing', 'trust'));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('production nodes sharing SECRET derive the same signing key and write no key file', (t) => {
  const one = tempDir();
  const two = tempDir();
  const a = loadConfig({ NODE_ENV: 'production', DATA_DIR: one, SECRET, AUDIT_KEYS });
  const b = loadConfig({ NODE_ENV: 'production', DATA_DIR: two, SECRET, AUDIT_KEYS });
  t.is(a.signingKey, b.signingKey);
  t.false(fs.existsSync(path.join(one, 'signing.key')));
  t.not(loadConfig({ NODE_ENV: 'production', DATA_DIR: one, SECRET: SECRET.replace('x', 'y'), AUDIT_KEYS }).signingKey, a.signingKey);
  fs.rmSync(one, { recursive: true, force: true });
  fs.rmSync(two, { recursive: true, force: true });
});

test('a SIGNING_KEY that is not 32 bytes in base64 is refused at start-up, and SIGNING_TRUST_DIR is taken as given', (t) => {
  const dir = tempDir();
  const err = t.throws(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, SIGNING_KEY: 'c2hvcnQ=' }), { instanceOf: ConfigError }) as ConfigError;
  t.true(err.problems.some((p) => p.includes('SIGNING_KEY')));
  const key = Buffer.alloc(32, 7).toString('base64');
  const c = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, SIGNING_KEY: key, SIGNING_TRUST_DIR: path.join(dir, 'gov-ca') });
  t.is(c.signingKey, key);
  t.is(c.signingTrustDir, path.join(dir, 'gov-ca'));
  fs.rmSync(dir, { recursive: true, force: true });
});

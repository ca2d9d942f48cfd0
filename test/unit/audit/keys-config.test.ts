// AUDIT_KEYS: the HMAC keys of the audit chain, validated with the rest of the configuration, required in
// production, distinct from SECRET, and generated once into DATA_DIR elsewhere.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../../src/config.ts';

const SECRET = 'cookie-secret-'.padEnd(48, 'c');
const KEY_A = 'audit-key-a-'.padEnd(48, 'a');
const KEY_B = 'audit-key-b-'.padEnd(48, 'b');

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-auditkeys-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('AUDIT_KEYS lists id:secret pairs, the first one signing', (t) => {
  const cfg = loadConfig({ DATA_DIR: tempDir(t), SECRET, AUDIT_KEYS: `k2026:${KEY_A}, k2025:${KEY_B}` });
  t.deepEqual(cfg.auditKeys.map((k) => k.id), ['k2026', 'k2025']);
  t.is(cfg.auditKeys[0].secret, KEY_A);
  t.deepEqual(loadConfig({ DATA_DIR: tempDir(t), SECRET, AUDIT_KEYS: `k:${KEY_A}` }).auditKeys, [{ id: 'k', secret: KEY_A }]);
});

test('AUDIT_KEYS is required in production and listed with the other problems; no key is generated there', (t) => {
  const dir = tempDir(t);
  const err = t.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, SECRET, PORT: 'abc' }), { instanceOf: ConfigError }) as ConfigError;
  t.true(err.problems.some((p) => p.includes('"AUDIT_KEYS" is required')), err.problems.join(' | '));
  t.true(err.problems.some((p) => p.includes('PORT')));
  t.false(fs.existsSync(path.join(dir, 'audit.key')));
  t.is(loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, SECRET, AUDIT_KEYS: `prod1:${KEY_A}` }).auditKeys[0].id, 'prod1');
});

test('an audit key equal to SECRET is refused', (t) => {
  const err = t.throws(() => loadConfig({ DATA_DIR: tempDir(t), SECRET, AUDIT_KEYS: `k1:${KEY_A},k0:${SECRET}` }), { instanceOf: ConfigError }) as ConfigError;
  t.regex(err.message, /"AUDIT_KEYS" secret of key "k0" must differ from SECRET/);
});

test('malformed audit keys are refused with the reason', (t) => {
  const cases: Array<[string, RegExp]> = [
    [KEY_A, /key id "" must be/],
    ['k1:short', /secret of key "k1" must be at least 32 characters/],
    [`bad id:${KEY_A}`, /key id "bad id" must be/],
    [`k1:${KEY_A},k1:${KEY_B}`, /names key "k1" twice/],
  ];
  for (const [value, message] of cases) {
    const err = t.throws(() => loadConfig({ DATA_DIR: tempDir(t), SECRET, AUDIT_KEYS: value }), { instanceOf: ConfigError }) as ConfigError;
    t.regex(err.message, message, value);
  }
});

test('without AUDIT_KEYS outside production a key is generated once into DATA_DIR, with an id naming it', (t) => {
  const dir = path.join(tempDir(t), 'nested');
  const first = loadConfig({ DATA_DIR: dir, SECRET });
  t.is(first.auditKeys.length, 1);
  t.regex(first.auditKeys[0].id, /^dev-[0-9a-f]{12}$/);
  t.true(first.auditKeys[0].secret.length >= 32);
  t.not(first.auditKeys[0].secret, first.secret);
  t.is((fs.statSync(path.join(dir, 'audit.key')).mode & 0o777).toString(8), '600');
  t.deepEqual(loadConfig({ DATA_DIR: dir, SECRET }).auditKeys, first.auditKeys);
  const other = loadConfig({ DATA_DIR: tempDir(t), SECRET });
  t.not(other.auditKeys[0].id, first.auditKeys[0].id, 'another installation gets another key id');
});

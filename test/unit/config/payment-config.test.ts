// The payment keys: a development node pays through its own sandbox with no setup; production never serves the
// sandbox and needs the merchant's secret and gateway address once a merchant code is set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig, ConfigError } from '../../../src/config.ts';

const SECRET = 's'.repeat(40);
const PROD = { NODE_ENV: 'production', SECRET, AUDIT_KEYS: `k1:${'a'.repeat(40)}` };

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-config-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('development pays through the local sandbox with a merchant secret derived from SECRET', (t) => {
  const cfg = loadConfig({ DATA_DIR: tempDir(t), SECRET, BASE_URL: 'http://govflow.test/' });
  t.true(cfg.paymentSandbox);
  t.is(cfg.paymentVnpayUrl, 'http://govflow.test/payments/sandbox/vnpay');
  t.is(cfg.paymentVnpayTmnCode, 'GOVFLOW0');
  t.regex(cfg.paymentVnpaySecret, /^[0-9a-f]{64}$/);
  t.is(loadConfig({ DATA_DIR: tempDir(t), SECRET }).paymentVnpaySecret, cfg.paymentVnpaySecret);
  t.not(cfg.paymentVnpaySecret, SECRET);
});

test('production serves no sandbox and has payment off until a merchant is configured', (t) => {
  const cfg = loadConfig({ ...PROD, DATA_DIR: tempDir(t) });
  t.false(cfg.paymentSandbox);
  t.is(cfg.paymentVnpayTmnCode, '');
  t.is(cfg.paymentVnpayUrl, '');
  const err = t.throws(() => loadConfig({ ...PROD, DATA_DIR: tempDir(t), PAYMENT_SANDBOX: '1' }), { instanceOf: ConfigError });
  t.regex(err.message, /"PAYMENT_SANDBOX" cannot be on when NODE_ENV=production/);
});

test('a production merchant code needs its secret and the gateway address', (t) => {
  const err = t.throws(() => loadConfig({ ...PROD, DATA_DIR: tempDir(t), PAYMENT_VNPAY_TMNCODE: 'MERCHANT1' }), { instanceOf: ConfigError });
  t.regex(err.message, /"PAYMENT_VNPAY_SECRET" is required/);
  t.regex(err.message, /"PAYMENT_VNPAY_URL" is required/);
  const cfg = loadConfig({ ...PROD, DATA_DIR: tempDir(t), PAYMENT_VNPAY_TMNCODE: 'MERCHANT1', PAYMENT_VNPAY_SECRET: 'x'.repeat(32), PAYMENT_VNPAY_URL: 'https://pay.example.vn/vpcpay.html' });
  t.is(cfg.paymentVnpayUrl, 'https://pay.example.vn/vpcpay.html');
});

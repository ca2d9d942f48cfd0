// The notification settings of the configuration: defaults as documented, nonsense refused at start.
import test from 'ava';
import { loadConfig, ConfigError } from '../../../src/config.ts';

const base = { NODE_ENV: 'test', SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/govflow-config-test' };

test('notifications are tried 10 times, first again after 60 s, unless configured otherwise', (t) => {
  const c = loadConfig(base);
  t.is(c.notifyMaxAttempts, 10);
  t.is(c.notifyRetryMs, 60000);
  t.is(c.notifySmsUrl, '');
  const d = loadConfig({ ...base, NOTIFY_MAX_ATTEMPTS: '3', NOTIFY_RETRY_MS: '500', NOTIFY_SMS_URL: 'https://sms.example.vn/send', NOTIFY_SMS_KEY: 'k' });
  t.is(d.notifyMaxAttempts, 3);
  t.is(d.notifyRetryMs, 500);
  t.is(d.notifySmsUrl, 'https://sms.example.vn/send');
});

test('a zero attempt budget, a non-HTTP SMS gateway and a long brandname are refused together', (t) => {
  const err = t.throws(() => loadConfig({ ...base, NOTIFY_MAX_ATTEMPTS: '0', NOTIFY_SMS_URL: 'ftp://x', NOTIFY_SMS_BRAND: 'TOO-LONG-BRANDNAME' }), { instanceOf: ConfigError });
  t.is((err as ConfigError).problems.length, 3);
});

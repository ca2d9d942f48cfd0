import test from 'ava';
import { loadConfig, setConfig } from '../../../src/config.ts';
import { sealRegistration, openRegistration, REGISTRATION_LINK_HOURS } from '../../../src/auth/registration-token.ts';

const pending = { email: 'an@example.vn', fullName: 'Nguyễn Văn An', phone: null, locale: 'vi' as const, passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA' };

test.before(() => {
  setConfig(loadConfig({ NODE_ENV: 'test', SECRET: 'unit-secret-'.padEnd(48, 'x'), DATA_DIR: '/tmp/govflow-unit' }));
});

test.serial('a sealed registration opens to what was sealed and shows nothing of it in clear', (t) => {
  const token = sealRegistration(pending);
  t.regex(token, /^[A-Za-z0-9_-]+$/);
  t.false(Buffer.from(token, 'base64url').toString('latin1').includes('an@example'));
  t.deepEqual(openRegistration(token), pending);
});

test.serial('a link older than its validity opens to nothing', (t) => {
  const token = sealRegistration(pending, Date.now() - (REGISTRATION_LINK_HOURS * 3600000 + 1000));
  t.is(openRegistration(token), null);
});

test.serial('an altered token or one sealed under another secret opens to nothing', (t) => {
  const token = sealRegistration(pending);
  const raw = Buffer.from(token, 'base64url');
  raw[raw.length - 1] ^= 1;
  t.is(openRegistration(raw.toString('base64url')), null);
  t.is(openRegistration('not-a-token'), null);
  setConfig(loadConfig({ NODE_ENV: 'test', SECRET: 'another-secret-'.padEnd(48, 'y'), DATA_DIR: '/tmp/govflow-unit' }));
  t.is(openRegistration(token), null);
});

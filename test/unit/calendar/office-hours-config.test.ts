// OFFICE_HOURS is checked at start-up like every other key.
import test from 'ava';
import { loadConfig, ConfigError } from '../../../src/config.ts';

const base = { NODE_ENV: 'test', SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/govflow-office-hours-test' } as NodeJS.ProcessEnv;

test('office hours default to 08:00-17:00 and take another window', (t) => {
  t.is(loadConfig(base).officeHours, '08:00-17:00');
  t.is(loadConfig({ ...base, OFFICE_HOURS: '07:30-16:30' }).officeHours, '07:30-16:30');
});

test('office hours that close before they open are refused with the expected form named', (t) => {
  const err = t.throws(() => loadConfig({ ...base, OFFICE_HOURS: '17:00-08:00' }), { instanceOf: ConfigError });
  t.regex(err!.message, /OFFICE_HOURS.*HH:MM-HH:MM/);
  t.throws(() => loadConfig({ ...base, OFFICE_HOURS: '8h-17h' }), { instanceOf: ConfigError });
});

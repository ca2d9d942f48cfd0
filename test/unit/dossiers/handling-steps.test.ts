// Step limits of the handling process and the inbox's time-left words, without a database.
import test from 'ava';
import { loadConfig, setConfig } from '../../../src/config.ts';
import { parseStepLimits, stepLimit, vnDate } from '../../../src/dossiers/handling-steps.ts';
import { timeLeft } from '../../../src/dossiers/handling-presenters.ts';

const base = { NODE_ENV: 'test', SECRET: 'unit-secret-'.padEnd(48, 'x'), DATA_DIR: '/tmp/govflow-unit' };

test.serial('the department step gets what the procedure limit leaves after the fixed steps', (t) => {
  setConfig(loadConfig(base));
  t.is(stepLimit('receive', 15), 0.5);
  t.is(stepLimit('approve', 15), 1);
  t.is(stepLimit('handle', 15), 12.5);
  t.is(stepLimit('handle', 3), 0.5);
  t.is(stepLimit('handle', 0), 0.5, 'a same-day procedure still gives the department half a day (capped by the dossier due date)');
  t.is(stepLimit('handle', null), 3);
  t.is(stepLimit('supplement', 15), null, 'the citizen’s time has no limit of the agency');
});

test.serial('DOSSIER_STEP_LIMITS overrides the named steps and the rest keep their defaults', (t) => {
  setConfig(loadConfig({ ...base, DOSSIER_STEP_LIMITS: 'receive=1, approve=2' }));
  t.is(stepLimit('receive', 10), 1);
  t.is(stepLimit('approve', 10), 2);
  t.is(stepLimit('issue', 10), 0.5);
  t.is(stepLimit('handle', 10), 6);
  setConfig(loadConfig(base));
});

test('a bad step limit is refused with the entry named', (t) => {
  t.throws(() => parseStepLimits('receive=0.3'), { message: /receive=0\.3/ });
  t.throws(() => parseStepLimits('lunch=1'), { message: /lunch=1/ });
  t.throws(() => loadConfig({ ...base, DOSSIER_STEP_LIMITS: 'receive=abc' }), { message: /DOSSIER_STEP_LIMITS/ });
  t.deepEqual([...parseStepLimits('issue=1.5').entries()], [['issue', 1.5]]);
});

test('the time left is written out at each level, not shown by colour alone', (t) => {
  const now = new Date('2026-12-02T09:00:00+07:00');
  t.deepEqual(timeLeft('vi', new Date('2026-12-04T17:00:00+07:00'), now), { level: 'ok', text: 'Còn 2 ngày 8 giờ' });
  t.deepEqual(timeLeft('vi', new Date('2026-12-02T17:00:00+07:00'), now), { level: 'soon', text: 'Sắp đến hạn: còn 8 giờ' });
  t.deepEqual(timeLeft('vi', new Date('2026-12-01T17:00:00+07:00'), now), { level: 'late', text: 'Quá hạn 16 giờ' });
  t.is(timeLeft('en', null, now).text, 'No time limit');
  t.is(timeLeft('vi', new Date(), now, true).level, 'paused');
});

test('Vietnam dates change at midnight Vietnam time', (t) => {
  t.is(vnDate(new Date('2026-12-04T16:59:59Z')), '2026-12-04');
  t.is(vnDate(new Date('2026-12-04T17:00:00Z')), '2026-12-05');
});

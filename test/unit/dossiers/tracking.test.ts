// The pure parts of tracking: which phone digits are the second factor, and how pauses are read from the history.
import test from 'ava';
import { pausesOf, phoneFactor, vnDate } from '../../../src/dossiers/tracking.ts';
import type { DossierEvent } from '../../../src/dossiers/models.ts';

test('the phone factor is the last 4 digits, whatever the spacing or country prefix', (t) => {
  t.is(phoneFactor('0912 345 678'), '5678');
  t.is(phoneFactor('+84 912.345.678'), '5678');
  t.is(phoneFactor('678'), null);
  t.is(phoneFactor(null), null);
});

test('a pause runs from a completeness request to the resubmission, and one still open has no end', (t) => {
  const at = (s: string) => new Date(s);
  const ev = (kind: string, when: string, reason: string | null = null) => ({ kind, at: at(when), reason }) as unknown as DossierEvent;
  const pauses = pausesOf([
    ev('submitted', '2026-12-01T02:00:00Z'),
    ev('supplement-requested', '2026-12-01T03:00:00Z', 'Thiếu giấy chứng sinh'),
    ev('resubmitted', '2026-12-03T03:00:00Z'),
    ev('paused', '2026-12-04T03:00:00Z', 'Chờ xác minh'),
  ]);
  t.deepEqual(pauses, [
    { from: at('2026-12-01T03:00:00Z'), to: at('2026-12-03T03:00:00Z'), reason: 'Thiếu giấy chứng sinh' },
    { from: at('2026-12-04T03:00:00Z'), to: null, reason: 'Chờ xác minh' },
  ]);
});

test('the Vietnam date of an instant turns at 17:00 UTC', (t) => {
  t.is(vnDate(new Date('2026-12-01T16:59:59Z')), '2026-12-01');
  t.is(vnDate(new Date('2026-12-01T17:00:00Z')), '2026-12-02');
});

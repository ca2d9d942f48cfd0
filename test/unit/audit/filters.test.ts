// The audit search form reads dates typed in Vietnam time and turns them into UTC instants.
import test from 'ava';
import { vnInputToUtc, toAuditQuery, presentAuditEntry } from '../../../src/audit/presenters.ts';
import type { AuditEntry } from '../../../src/audit/models.ts';

test('a start date means midnight in Hà Nội, which is 17:00 UTC the day before', (t) => {
  t.is(vnInputToUtc('2026-11-23', 'start').toISOString(), '2026-11-22T17:00:00.000Z');
});

test('an end date covers the whole day in Hà Nội', (t) => {
  t.is(vnInputToUtc('2026-11-23', 'end').toISOString(), '2026-11-23T16:59:59.999Z');
});

test('a date with a time covers that minute', (t) => {
  t.is(vnInputToUtc('2026-11-23T08:30', 'start').toISOString(), '2026-11-23T01:30:00.000Z');
  t.is(vnInputToUtc('2026-11-23T08:30', 'end').toISOString(), '2026-11-23T01:30:59.999Z');
});

test('empty form fields are no filter at all', (t) => {
  t.deepEqual(toAuditQuery({ actor: '', org: '', action: '', target: '', from: '', to: '', page: 2 }), {
    actor: undefined, org: undefined, action: undefined, target: undefined, from: undefined, to: undefined, page: 2, pageSize: undefined,
  });
});

test('a log row leaves with its time in Vietnam time and its detail parsed', (t) => {
  const row = { seq: 7, at: new Date('2026-11-23T01:30:00Z'), actorId: 3, actorName: 'canbo', orgCode: '01', action: 'user.grant', targetType: 'user', targetId: '9', ip: '10.0.0.1', detail: '{"role":"leader"}' } as unknown as AuditEntry;
  t.deepEqual(presentAuditEntry(row), {
    seq: 7, at: '2026-11-23T08:30:00+07:00', actor: { id: 3, username: 'canbo' }, org: '01', action: 'user.grant', target: { type: 'user', id: '9' }, ip: '10.0.0.1', detail: { role: 'leader' },
  });
});

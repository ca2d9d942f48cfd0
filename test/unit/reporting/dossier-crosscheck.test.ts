// Where one dossier counts in a period's cut-off window: the window's edges, the due instant against the window's
// end, withdrawn dossiers, and an indicator reference that the form does not count.
import test from 'ava';
import { classify, indicatorOf } from '../../../src/reporting/dossier-crosscheck.ts';
import { periodInfo } from '../../../src/reporting/periods.ts';
import { AppError } from '../../../src/errors.ts';

const info = periodInfo('2026Q3');
const from = new Date(info.cutoffStart);
const to = new Date(info.cutoffEnd);
const vn = (s: string) => new Date(`${s.replace(' ', 'T')}+07:00`);
const d = (o: Partial<Parameters<typeof classify>[0]>) => ({ status: 'processing', channel: 'online', receivedAt: null, dueAt: null, decidedAt: null, finishedAt: null, ...o });

test('the first and the last millisecond of the window are inside it, the next one is not', (t) => {
  t.deepEqual(classify(d({ receivedAt: vn('2026-06-15 00:00:00.000') }), from, to, to)?.received, 'online');
  t.deepEqual(classify(d({ receivedAt: vn('2026-06-14 23:59:59.999') }), from, to, to)?.received, 'carried');
  t.deepEqual(classify(d({ receivedAt: vn('2026-09-14 23:59:59.999'), channel: 'post' }), from, to, to)?.received, 'direct');
  t.is(classify(d({ receivedAt: vn('2026-09-15 00:00:00.000') }), from, to, to), null);
});

test('a dossier pending at the end is overdue when its due instant is before the end, or before now while the window runs', (t) => {
  const pending = d({ receivedAt: vn('2026-09-01 08:00:00'), dueAt: vn('2026-09-14 17:00:00') });
  t.is(classify(pending, from, to, to)?.outcome, 'pendingOverdue');
  t.is(classify(pending, from, to, vn('2026-09-10 08:00:00'))?.outcome, 'pendingWithin');
  t.is(classify(d({ receivedAt: vn('2026-09-01 08:00:00') }), from, to, to)?.outcome, 'pendingWithin', 'no limit: never overdue');
});

test('resolved in the window counts by timeliness; resolved after it was still pending; resolved before it counts nowhere', (t) => {
  const base = { receivedAt: vn('2026-07-01 08:00:00'), dueAt: vn('2026-07-10 17:00:00') };
  t.is(classify(d({ ...base, status: 'done', finishedAt: vn('2026-07-09 08:00:00') }), from, to, to)?.outcome, 'early');
  t.is(classify(d({ ...base, status: 'refused', decidedAt: vn('2026-07-10 16:00:00') }), from, to, to)?.outcome, 'onTime');
  t.is(classify(d({ ...base, status: 'done', finishedAt: vn('2026-07-10 17:00:01') }), from, to, to)?.outcome, 'late');
  t.is(classify(d({ ...base, status: 'done', finishedAt: vn('2026-09-20 08:00:00') }), from, to, to)?.outcome, 'pendingOverdue');
  t.is(classify(d({ receivedAt: vn('2026-05-01 08:00:00'), status: 'done', finishedAt: vn('2026-06-14 23:00:00') }), from, to, to), null);
});

test('a dossier withdrawn by the end counts nowhere; withdrawn later it was pending at the end; drafts never count', (t) => {
  t.is(classify(d({ receivedAt: vn('2026-07-01 08:00:00'), status: 'withdrawn', finishedAt: vn('2026-09-14 23:00:00') }), from, to, to), null);
  t.is(classify(d({ receivedAt: vn('2026-07-01 08:00:00'), status: 'withdrawn', finishedAt: vn('2026-09-15 09:00:00') }), from, to, to)?.outcome, 'pendingWithin');
  t.is(classify(d({ receivedAt: vn('2026-07-01 08:00:00'), status: 'draft' }), from, to, to), null);
});

test('an indicator is a counted row, optionally with the province or commune column', (t) => {
  t.deepEqual(indicatorOf('tthc-giai-quyet', 'HS_DAGQ_QUAHAN.xa'), { row: 'HS_DAGQ_QUAHAN', column: 'xa', classes: ['late'] });
  t.deepEqual(indicatorOf('tthc-giai-quyet', 'HS_NHAN').classes, ['carried', 'online', 'direct']);
  for (const bad of ['TL_DUNGHAN', 'HS_NHAN.tong', 'HS_NHAN.xa.x', 'constructor', '__proto__']) {
    const err = t.throws(() => indicatorOf('tthc-giai-quyet', bad));
    t.true(err instanceof AppError && err.status === 400, bad);
  }
  t.throws(() => indicatorOf('kt-xh-thang', 'HS_NHAN'));
});

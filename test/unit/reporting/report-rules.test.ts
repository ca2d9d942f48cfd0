// Pure rules of the reporting service: each level's deadline inside the legal window, and what counts
// as an empty report.
import test from 'ava';
import { isEmptyReport, levelDeadline, type RegimeView } from '../../../src/reporting/service.ts';
import { compile } from '../../../src/forms/engine.ts';
import { loadShippedForms } from '../../../src/forms/shipped.ts';

const regime = { deadlines: { commune: 18, province: 22 } } as unknown as RegimeView;

test('each level\'s deadline is its day of the period\'s last month, end of day in Vietnam time', (t) => {
  t.is(levelDeadline(regime, '2026-10', 'commune').toISOString(), '2026-10-18T16:59:59.999Z');
  t.is(levelDeadline(regime, '2026Q3', 'province').toISOString(), '2026-09-22T16:59:59.999Z');
  // A level without its own day takes the latest one of the regime.
  t.is(levelDeadline(regime, '2026-12', 'district').toISOString(), '2026-12-22T16:59:59.999Z');
});

test('a report is empty when no indicator and no required field has a value', (t) => {
  const plan = compile(loadShippedForms().find((f) => f.key === 'kt-xh-thang')!);
  t.true(isEmptyReport(plan, {}));
  t.true(isEmptyReport(plan, { dienThoai: '0243' }), 'an optional text field alone does not count');
  t.false(isEmptyReport(plan, { nguoiLap: 'A' }));
  t.false(isEmptyReport(plan, { TMBL_BANLE: { th: 0 } }), 'a zero is a figure');
});

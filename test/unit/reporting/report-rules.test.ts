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

test('cross-checks warn about a parent off its children\'s sum, a jump from the previous period and an outlier among siblings', async (t) => {
  const { crossCheck, modifiedZ, DEFAULT_CHECKS } = await import('../../../src/reporting/checks.ts');
  const plan = compile(loadShippedForms().find((f) => f.key === 'kt-xh-thang')!);
  t.is(Math.round(modifiedZ(100, [10, 11, 12, 13, 14, 100])! * 10) / 10, 39.3, "0.6745 × 87.5 / 1.5");
  t.is(modifiedZ(5, [5, 5, 5]), null, 'no spread, no score');
  const siblings = [10, 11, 12, 13, 14].map((th) => ({ TMBL_BANLE: { th } }));
  const issues = crossCheck(plan, { TMBL_BANLE: { th: 100 } }, { settings: DEFAULT_CHECKS, prev: { TMBL_BANLE: { th: 40 } }, rolled: { TMBL_BANLE: { th: 90 } }, own: { TMBL_BANLE: { th: 100 } }, siblings });
  t.deepEqual(issues.map((i) => i.rule).sort(), ['xc.change.TMBL_BANLE.th', 'xc.outlier.TMBL_BANLE.th', 'xc.parent.TMBL_BANLE.th']);
  t.true(issues.every((i) => i.severity === 'warning'));
  t.deepEqual(crossCheck(plan, { TMBL_BANLE: { th: 12 } }, { settings: DEFAULT_CHECKS, prev: { TMBL_BANLE: { th: 11 } }, siblings }), []);
});

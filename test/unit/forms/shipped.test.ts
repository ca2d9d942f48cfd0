import test from 'ava';
import { loadShippedForms } from '../../../src/forms/shipped.ts';
import { compile, evaluateForm } from '../../../src/forms/engine.ts';
import { tablesOf } from '../../../src/forms/definition.ts';

const forms = loadShippedForms();
const byKey = (k: string) => forms.find((f) => f.key === k)!;

test('the four report forms and the six dossier forms of the shipped procedures validate and compile without problems', (t) => {
  t.deepEqual(forms.map((f) => f.key).sort(), ['chung-thuc-ban-sao', 'dang-ky-ho-kinh-doanh', 'dang-ky-ket-hon', 'dang-ky-khai-sinh', 'dang-ky-khai-tu', 'dang-ky-thuong-tru', 'kt-xh-thang', 'kt-xh-thang-3cap', 'pakn-xu-ly', 'tthc-giai-quyet']);
  for (const f of forms) t.deepEqual(compile(f).problems, [], f.key);
});

test('the socio-economic report uses the GSO indicator codes of the sample data', (t) => {
  const ids = tablesOf(byKey('kt-xh-thang')).flatMap((tb) => tb.rows.map((r) => r.id));
  for (const code of ['LDCN_DN_MOM', 'LDCN_DN_YOY', 'VDT_NSNN_THANG', 'DS_TB', 'TMBL_HH_DV', 'IIP_NAM', 'TL_HO_NGHEO']) t.true(ids.includes(code), code);
});

test('the 2025 socio-economic report has no district rows (districts were abolished on 1 July 2025); the three-level variant keeps them', (t) => {
  const rowsOf = (key: string) => tablesOf(byKey(key)).flatMap((tb) => tb.rows);
  const current = rowsOf('kt-xh-thang');
  t.deepEqual(current.filter((r) => /huyện|HUYEN/i.test(`${r.id} ${r.name}`)).map((r) => r.id), []);
  t.deepEqual(current.filter((r) => r.parent === 'VDT_NSNN_THANG').map((r) => [r.code, r.id]), [['01.1', 'VDT_NSNN_TINH'], ['01.2', 'VDT_NSNN_XA']]);
  const history = rowsOf('kt-xh-thang-3cap');
  t.deepEqual(history.filter((r) => r.parent === 'VDT_NSNN_THANG').map((r) => [r.code, r.id]), [['01.1', 'VDT_NSNN_TINH'], ['01.2', 'VDT_NSNN_HUYEN'], ['01.3', 'VDT_NSNN_XA']]);
  // Apart from the district row, the variant asks for the same indicators, so a series spans the reform.
  t.deepEqual(history.map((r) => r.id).filter((id) => id !== 'VDT_NSNN_HUYEN'), current.map((r) => r.id));
  t.not(byKey('kt-xh-thang-3cap').code, byKey('kt-xh-thang').code);
  t.is(byKey('kt-xh-thang-3cap').periodKind, 'month');
});

test('a real employment swing (Vĩnh Long 2022-08, 896,34%) raises the warning that asks for an explanation', (t) => {
  const plan = compile(byKey('kt-xh-thang'));
  const ev = evaluateForm(plan, { nguoiLap: 'Cục Thống kê', LDCN_DN_YOY: { th: 896.34 }, LDCN_DN_MOM: { th: 102.1 } });
  t.false(ev.hasErrors);
  t.deepEqual(ev.issues.map((i) => `${i.severity}:${i.rule}`), ['warning:lddnBienDong']);
});

test('the procedures report totals received files and computes the on-time rate per level', (t) => {
  const plan = compile(byKey('tthc-giai-quyet'));
  const ev = evaluateForm(plan, {
    nguoiLap: 'An',
    HS_NHAN_KYTRUOC: { tinh: 10, xa: 5 }, HS_NHAN_TRUCTUYEN: { tinh: 70, xa: 20 }, HS_NHAN_TRUCTIEP: { tinh: 20, xa: 25 },
    HS_DAGQ_TRUOCHAN: { tinh: 30, xa: 10 }, HS_DAGQ_DUNGHAN: { tinh: 50, xa: 25 }, HS_DAGQ_QUAHAN: { tinh: 10, xa: 5 },
    HS_DANGGQ_TRONGHAN: { tinh: 8, xa: 5 }, HS_DANGGQ_QUAHAN: { tinh: 2, xa: 5 },
  });
  t.deepEqual(ev.values.HS_NHAN, { tinh: 100, xa: 50, tong: 150 });
  t.deepEqual(ev.values.TL_DUNGHAN, { tinh: 89, xa: 88, tong: 88 });
  t.deepEqual(ev.issues.map((i) => i.rule), ['quaHanCaoTinh']);
  const unbalanced = evaluateForm(plan, { nguoiLap: 'An', HS_NHAN_TRUCTUYEN: { tinh: 5 } });
  t.deepEqual(unbalanced.issues.map((i) => `${i.severity}:${i.rule}`), ['error:canDoiTinh']);
});

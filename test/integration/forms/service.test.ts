import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import {
  createForm, saveDraft, publishForm, newVersion, listForms, getPublished, formHistory, saveSubmission, getSubmission, importDefinition,
} from '../../../src/forms/service.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

let dbh: TestDb;
test.before(async () => {
  dbh = await freshDb();
});
test.after.always(async () => {
  await dbh?.cleanup();
});

test.serial('the shipped forms are listed as published version 1', async (t) => {
  const forms = await listForms();
  t.deepEqual(forms.filter((f) => ['kt-xh-thang', 'tthc-giai-quyet', 'pakn-xu-ly'].includes(f.key)).map((f) => [f.key, f.publishedVersion]).sort(), [['kt-xh-thang', 1], ['pakn-xu-ly', 1], ['tthc-giai-quyet', 1]]);
});

test.serial('a draft with a formula cycle cannot be published and names the cells', async (t) => {
  const def = smallForm();
  def.sections[1].tables![0].rows[1].cells = { kh: 'r03.kh + 1' };
  def.sections[1].tables![0].rows[2].cells = { kh: 'r02.kh + 1' };
  await createForm(null, def);
  const err = await publishForm(null, def.key).catch((e) => e);
  t.is(err.code, 'forms.definition.hasErrors');
  t.is(err.status, 422);
  t.regex(err.details[0].message, /Công thức vòng lặp: 0[23] [^→]+ \/ Kế hoạch năm → /);
});

test.serial('a fixed draft publishes, never changes afterwards, and the next version is a new draft with a diff', async (t) => {
  const { problems } = await saveDraft(null, 'bieu-thu', smallForm());
  t.deepEqual(problems, []);
  const v1 = await publishForm(null, 'bieu-thu');
  t.is(v1.status, 'published');
  const err = await saveDraft(null, 'bieu-thu', smallForm()).catch((e) => e);
  t.is(err.code, 'forms.definition.published');
  const v2 = await newVersion(null, 'bieu-thu');
  t.is(v2.version, 2);
  const changed = smallForm();
  changed.name = 'Tên mới';
  await saveDraft(null, 'bieu-thu', changed);
  const history = await formHistory('bieu-thu');
  t.deepEqual(history.map((h) => [h.version, h.status]), [[2, 'draft'], [1, 'published']]);
  t.deepEqual(history[0].changes.map((c) => c.prop), ['name']);
  t.is((await getPublished('bieu-thu')).version, 1);
});

test.serial('an officer saves a draft, cannot submit with errors, must explain warnings, then submits once', async (t) => {
  const form = await getPublished('bieu-thu');
  const draft = await saveSubmission(null, form, 7, '2025-02', { nguoiLap: '', r02: { th: '1.234,5', kh: 100 } });
  t.is(draft.submission.status, 'draft');
  t.deepEqual((draft.submission.values.r01 as Record<string, number>).th, 1234.5);
  const blocked = await saveSubmission(null, form, 7, '2025-02', { r02: { th: 5, kh: 1 } }, { submit: true }).catch((e) => e);
  t.is(blocked.code, 'forms.entry.hasErrors');
  t.deepEqual(blocked.details.map((d: { message: string }) => d.message), ['Người lập biểu: bắt buộc nhập']);
  const unexplained = await saveSubmission(null, form, 7, '2025-02', { nguoiLap: 'An', r02: { th: 5, kh: 1 } }, { submit: true }).catch((e) => e);
  t.is(unexplained.code, 'forms.entry.needExplanation');
  const ok = await saveSubmission(null, form, 7, '2025-02', { nguoiLap: 'An', r02: { th: 5, kh: 1 } }, { submit: true, explanations: { thKhongVuot: 'Giao bổ sung kế hoạch' } });
  t.is(ok.submission.status, 'submitted');
  const again = await saveSubmission(null, form, 7, '2025-02', { nguoiLap: 'An' }).catch((e) => e);
  t.is(again.code, 'forms.entry.alreadySubmitted');
  t.is((await getSubmission(null, form, 7, '2025-02')).explanations.thKhongVuot, 'Giao bổ sung kế hoạch');
});

test.serial('importing a definition of an existing published form starts its next draft', async (t) => {
  const def = smallForm();
  def.key = 'kt-xh-thang';
  const imported = await importDefinition(null, def);
  t.is(imported.version, 2);
  t.is(imported.status, 'draft');
});

test.serial('rules read the same unit\'s previous period automatically', async (t) => {
  const { previousPeriod } = await import('../../../src/forms/service.ts');
  t.is(previousPeriod('2025-01'), '2024-12');
  t.is(previousPeriod('2025-Q1'), '2024-Q4');
  t.is(previousPeriod('2025-H2'), '2025-H1');
  t.is(previousPeriod('2025'), '2024');
  const form = await getPublished('kt-xh-thang');
  await saveSubmission(null, form, 9, '2025-01', { nguoiLap: 'An', VDT_NSNN_TINH: { th: 100, lk: 100 } });
  const r = await saveSubmission(null, form, 9, '2025-02', { nguoiLap: 'An', VDT_NSNN_TINH: { th: 300, lk: 400 } });
  t.deepEqual(r.evaluation.issues.map((i) => i.rule), ['vdtSoThangTruoc']);
  const other = await saveSubmission(null, form, 10, '2025-02', { nguoiLap: 'An', VDT_NSNN_TINH: { th: 300, lk: 400 } });
  t.deepEqual(other.evaluation.issues, []);
});

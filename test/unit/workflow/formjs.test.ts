// The server's check of Camunda Forms (form-js JSON): what a file must look like to deploy, and
// how submitted values are checked and coerced; and the conditions that make decision buttons.
import test from 'ava';
import { formSchemaProblems, validateFormData } from '../../../src/workflow/formjs.ts';
import { parseDecisionCondition } from '../../../src/engine/model-info.ts';
import { decisionButtons, govflowFormSchema, plainInputs } from '../../../src/workflow/tasklist.ts';

const schema = {
  id: 'Form_test', type: 'default', schemaVersion: 16,
  components: [
    { id: 'F1', key: 'opinion', type: 'textarea', label: 'Ý kiến', validate: { required: true, minLength: 5 } },
    { id: 'F2', key: 'copies', type: 'number', label: 'Số bản', validate: { min: 1, max: 10 } },
    { id: 'F3', key: 'secrecy', type: 'radio', label: 'Độ mật', values: [{ label: 'Thường', value: 'thuong' }, { label: 'Mật', value: 'mat' }] },
    { id: 'F4', key: 'code', type: 'textfield', label: 'Số hiệu', validate: { pattern: '[0-9]+/VPCP' } },
    { id: 'F5', key: 'tags', type: 'checklist', label: 'Nơi nhận', values: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] },
    { id: 'F6', key: 'needBy', type: 'datetime', subtype: 'date', label: 'Hạn' },
    { id: 'F7', key: 'reason', type: 'textfield', label: 'Lý do mật', validate: { required: true }, conditional: { hide: '=secrecy != "mat"' } },
    { id: 'G1', type: 'group', path: 'contact', components: [{ id: 'F8', key: 'email', type: 'textfield', label: 'Thư', validate: { validationType: 'email' } }] },
    { id: 'T1', type: 'text', text: 'Hướng dẫn' },
  ],
};

test('a form-js file with supported components has no deploy problems; unknown types, bad keys and patterns are named', (t) => {
  t.deepEqual(formSchemaProblems(schema), []);
  t.like(formSchemaProblems({ components: [] })[0], { code: 'tasklist.formProblem.id' });
  const bad = formSchemaProblems({ id: 'X', components: [{ id: 'a', type: 'filepicker', key: 'f' }, { id: 'b', type: 'textfield', key: '__proto__' }, { id: 'c', type: 'textfield', key: 'p', validate: { pattern: '[' } }] });
  t.deepEqual(bad.map((p) => p.code), ['tasklist.formProblem.type', 'tasklist.formProblem.key', 'tasklist.formProblem.pattern']);
  t.like(formSchemaProblems('nope')[0], { code: 'tasklist.formProblem.notForm' });
});

test('good values come back coerced, and only the form\'s own fields', (t) => {
  const r = validateFormData(schema, { opinion: 'Đồng ý ban hành', copies: '3', secrecy: 'thuong', code: '123/VPCP', tags: ['a', 'b'], needBy: '2026-12-31', contact: { email: 'vanthu@chinhphu.vn' } });
  t.deepEqual(r.problems, []);
  t.deepEqual(JSON.parse(JSON.stringify(r.values)), { opinion: 'Đồng ý ban hành', copies: 3, secrecy: 'thuong', code: '123/VPCP', tags: ['a', 'b'], needBy: '2026-12-31', contact: { email: 'vanthu@chinhphu.vn' } });
});

test('bad values give one problem per field, a hidden field is not required, and a key the form lacks is refused', (t) => {
  const r = validateFormData(schema, { opinion: 'ok', copies: 11, secrecy: 'toi-mat', code: 'abc', tags: ['c'], needBy: '2026-02-30', contact: { email: 'x' }, orgCode: '01' });
  t.deepEqual(r.problems.map((p) => [p.field, p.code]).sort(), [
    ['code', 'tasklist.validation.pattern'], ['contact.email', 'tasklist.validation.email'], ['copies', 'tasklist.validation.max'], ['needBy', 'tasklist.validation.date'],
    ['opinion', 'tasklist.validation.minLength'], ['orgCode', 'tasklist.validation.unknown'], ['secrecy', 'tasklist.validation.option'], ['tags', 'tasklist.validation.option'],
  ]);
  const secret = validateFormData(schema, { opinion: 'Đồng ý ban hành', secrecy: 'mat' });
  t.deepEqual(secret.problems.map((p) => p.field), ['reason']);
  t.deepEqual(validateFormData(schema, { opinion: 'Đồng ý ban hành' }).problems, []);
});

test('simple FEEL and Camunda 7 conditions name the variable and value a decision sets; others do not', (t) => {
  t.deepEqual(parseDecisionCondition('=decision = "approve"'), { variable: 'decision', value: 'approve' });
  t.deepEqual(parseDecisionCondition('=approved'), { variable: 'approved', value: true });
  t.deepEqual(parseDecisionCondition('=not(approved)'), { variable: 'approved', value: false });
  t.deepEqual(parseDecisionCondition("${outcome == 'return'}"), { variable: 'outcome', value: 'return' });
  t.deepEqual(parseDecisionCondition('${!approved}'), { variable: 'approved', value: false });
  t.deepEqual(parseDecisionCondition('=level = 2'), { variable: 'level', value: 2 });
  t.is(parseDecisionCondition('=amount > 100'), null);
  t.is(parseDecisionCondition('${bean.check()}'), null);
});

test('a decision leading back needs a comment, as does one whose flow says so', (t) => {
  const base = { variable: 'd', isDefault: false, properties: {} };
  const buttons = decisionButtons([
    { ...base, flowId: 'F_ok', name: 'Đồng ý', value: 'ok', loopsBack: false },
    { ...base, flowId: 'F_back', name: null, value: 'back', loopsBack: true },
    { ...base, flowId: 'F_no', name: 'Từ chối', value: 'no', loopsBack: false, properties: { commentRequired: 'true' } },
  ]);
  t.deepEqual(buttons.map((b) => [b.label, b.commentRequired]), [['Đồng ý', false], ['back', true], ['Từ chối', true]]);
});

test('a govflow form becomes a form-js schema of its entry fields, and plain inputs keep simple values only', (t) => {
  const s = govflowFormSchema({ key: 'k', name: 'n', sections: [{ id: 's', title: 'S', fields: [
    { id: 'count', label: 'Số vụ', type: 'integer', required: true, min: 0 },
    { id: 'kind', label: 'Loại', type: 'choice', options: [{ value: 'a', label: 'A' }] },
    { id: 'file', label: 'Tệp', type: 'file' },
    { id: 'total', label: 'Tổng', type: 'number', formula: '=count * 2' },
  ] }] } as never) as { components: Array<{ key: string; type: string }> };
  t.deepEqual(s.components.map((c) => [c.key, c.type]), [['count', 'number'], ['kind', 'select']]);
  t.deepEqual(plainInputs({ a: 'x', b: 2, c: true, d: { e: 1 }, 'bad key': 1 }).map((p) => p.key), ['a', 'b', 'c']);
});

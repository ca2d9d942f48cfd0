import test from 'ava';
import { checkUpload, contentDisposition, DEFAULT_MAX_BYTES } from '../../../src/forms/files.ts';
import { compile, checkInputs } from '../../../src/forms/engine.ts';
import { jsonSchemaOf } from '../../../src/forms/json-schema.ts';
import type { AppError } from '../../../src/errors.ts';
import type { FieldDef, FormDefinition } from '../../../src/forms/definition.ts';

const field: FieldDef = { id: 'giayTo', label: 'Giấy tờ', type: 'file' };

test('an upload is checked by extension, declared type and size, and described by its sha256', (t) => {
  const v = checkUpload(field, { name: 'C:\\Users\\an\\Tờ khai.PDF', type: 'application/pdf', data: Buffer.from('%PDF-') });
  t.deepEqual(v, { sha256: '38523c087796e5d5dd1cf9bad1fb026781a838dd9dd2cf8af58b9f6502a46778', name: 'Tờ khai.PDF', size: 5, type: 'application/pdf' });
  t.is(checkUpload(field, { name: 'a.docx', type: 'application/octet-stream', data: Buffer.from('PK\x03\x04x', 'latin1') }).type, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  t.is((t.throws<AppError>(() => checkUpload(field, { name: 'a.exe', data: Buffer.from('x') }))!).status, 400);
  t.is((t.throws<AppError>(() => checkUpload(field, { name: 'a.pdf', type: 'text/html', data: Buffer.from('x') }))!).status, 400);
  t.is((t.throws<AppError>(() => checkUpload(field, { name: 'a.pdf', data: Buffer.alloc(DEFAULT_MAX_BYTES + 1) }))!).status, 413);
  t.is((t.throws<AppError>(() => checkUpload({ ...field, accept: ['png'] }, { name: 'a.pdf', data: Buffer.from('x') }))!).code, 'forms.file.badType');
});

test('a file field holds {sha256, name, size, type} in validation and in the JSON Schema', (t) => {
  const def: FormDefinition = { key: 'tep', code: 'T', name: 'T', periodKind: 'adhoc', sections: [{ id: 's', title: 'S', fields: [field] }] };
  const plan = compile(def);
  t.deepEqual(checkInputs(plan, { giayTo: { sha256: 'a'.repeat(64), name: 'x.pdf', size: 1, type: 'application/pdf' } }), []);
  t.deepEqual(checkInputs(plan, { giayTo: 'x.pdf' }).map((i) => i.code), ['forms.value.notFile']);
  const schema = jsonSchemaOf(def, 1, plan) as { properties: Record<string, { type: string[]; required: string[] }> };
  t.deepEqual(schema.properties.giayTo.type, ['object', 'null']);
  t.deepEqual(schema.properties.giayTo.required, ['sha256', 'name', 'size', 'type']);
});

test('an upload whose bytes are not of its extension, or that is empty, is refused; the stored type never comes from the caller', (t) => {
  t.is((t.throws<AppError>(() => checkUpload(field, { name: 'a.pdf', type: 'application/pdf', data: Buffer.from('<html><script>') }))!).code, 'forms.file.badContent');
  t.is((t.throws<AppError>(() => checkUpload(field, { name: 'a.png', data: Buffer.from('%PDF-1.4') }))!).code, 'forms.file.badContent');
  t.is((t.throws<AppError>(() => checkUpload(field, { name: 'a.pdf', data: Buffer.alloc(0) }))!).code, 'forms.file.empty');
  const odd = checkUpload({ ...field, accept: ['csv'] }, { name: 'a.csv', type: 'text/html\r\nX-Evil: 1', data: Buffer.from('a;b') });
  t.is(odd.type, 'application/octet-stream');
});

test('a download names the file for RFC 6266 with an ASCII fallback and no header injection', (t) => {
  t.is(contentDisposition('Tờ khai (bản 1).pdf'), `attachment; filename="To khai _ban 1_.pdf"; filename*=UTF-8''T%E1%BB%9D%20khai%20%28b%E1%BA%A3n%201%29.pdf`);
  t.is(contentDisposition('a\r\nSet-Cookie: x.png', true), `inline; filename="a__Set-Cookie_ x.png"; filename*=UTF-8''a__Set-Cookie%3A%20x.png`);
});

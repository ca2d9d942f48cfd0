import test from 'ava';
import { checkUpload, DEFAULT_MAX_BYTES } from '../../../src/forms/files.ts';
import { compile, checkInputs } from '../../../src/forms/engine.ts';
import { jsonSchemaOf } from '../../../src/forms/json-schema.ts';
import type { AppError } from '../../../src/errors.ts';
import type { FieldDef, FormDefinition } from '../../../src/forms/definition.ts';

const field: FieldDef = { id: 'giayTo', label: 'Giấy tờ', type: 'file' };

test('an upload is checked by extension, declared type and size, and described by its sha256', (t) => {
  const v = checkUpload(field, { name: 'C:\\Users\\an\\Tờ khai.PDF', type: 'application/pdf', data: Buffer.from('abc') });
  t.deepEqual(v, { sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', name: 'Tờ khai.PDF', size: 3, type: 'application/pdf' });
  t.is(checkUpload(field, { name: 'a.docx', type: 'application/octet-stream', data: Buffer.from('x') }).type, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
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

import test from 'ava';
import { jsonSchemaOf } from '../../../src/forms/json-schema.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

test('the JSON Schema describes fields and indicator rows, marks computed cells read-only and lists required fields', (t) => {
  const s = jsonSchemaOf(smallForm(), 3) as { $id: string; properties: Record<string, any>; required: string[]; additionalProperties: boolean };
  t.is(s.$id, 'urn:govflow:form:bieu-thu:3');
  t.false(s.additionalProperties);
  t.deepEqual(s.required, ['nguoiLap']);
  t.deepEqual(s.properties.soDonVi.type, ['integer', 'null']);
  t.is(s.properties.soDonVi.minimum, 0);
  t.deepEqual(s.properties.r02.properties.th, { type: ['number', 'null'], minimum: 0, title: 'Thực hiện kỳ báo cáo' });
  t.true(s.properties.r02.properties.ss.readOnly);
  t.true(s.properties.r01.properties.th.readOnly);
});

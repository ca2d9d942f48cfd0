// Field names that reach Object.prototype (`__proto__`, `constructor`, `prototype`) never write through
// a form submission, whatever the body's encoding, and the service refuses them on its own too.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../helpers/server.ts';
import { smallForm } from '../fixtures/forms/small.ts';
import { getPublished, saveSubmission } from '../../src/forms/service.ts';
import { getValue, setValue } from '../../src/forms/engine.ts';
import type { FormValues } from '../../src/forms/definition.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

let app: TestApp;
let officer: Session;

const hostileNames = ['__proto__.public', 'constructor.prototype.public', '__proto__', 'prototype.public', 'r01.__proto__', 'nguoiLap.constructor', 'r01.th.public'];

function polluted(): string[] {
  const probe: Record<string, unknown> = {};
  const out: string[] = [];
  if ((probe as { public?: unknown }).public !== undefined) out.push('Object.prototype.public');
  if ((Object as unknown as Record<string, unknown>)['prototype.public'] !== undefined) out.push('Object["prototype.public"]');
  if ((Object.prototype as unknown as Record<string, unknown>).th !== undefined) out.push('Object.prototype.th');
  return out;
}

function urlencoded(fields: Array<[string, string]>) {
  return { payload: fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

function multipart(fields: Array<[string, string]>) {
  const boundary = '----govflowproto' + Math.random().toString(16).slice(2);
  const parts = fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { payload: Buffer.from(parts.join('') + `--${boundary}--\r\n`), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

test.before(async () => {
  app = await startApp({ orgs: false });
  await makeUser('designer', null, { username: 'thietke.proto' });
  await makeUser('officer', null, { username: 'canbo.proto' });
  const designer = await login(app.server, 'thietke.proto');
  officer = await login(app.server, 'canbo.proto');
  if ((await call(app.server, designer, 'POST', '/api/forms', smallForm())).statusCode !== 201) throw new Error('create failed');
  if ((await call(app.server, designer, 'POST', '/api/forms/bieu-thu/publish')).statusCode !== 200) throw new Error('publish failed');
});
test.after.always(async () => {
  await app?.close();
});

for (const name of hostileNames) {
  test.serial(`an urlencoded entry post with a field named ${name} is a 400 naming it and pollutes nothing`, async (t) => {
    const body = urlencoded([['crumb', officer.crumb], ['period', '2025-01'], ['nguoiLap', 'An'], [name, '1']]);
    const res = await app.server.inject({ method: 'POST', url: '/forms/bieu-thu/fill', headers: { cookie: officer.cookie, ...body.headers }, payload: body.payload });
    t.is(res.statusCode, 400);
    t.true(res.payload.includes(name), 'the page names the field');
    t.deepEqual(polluted(), []);
  });

  test.serial(`a multipart entry post with a field named ${name} is a 400 and pollutes nothing`, async (t) => {
    const body = multipart([['crumb', officer.crumb], ['period', '2025-01'], ['nguoiLap', 'An'], [name, '1']]);
    const res = await app.server.inject({ method: 'POST', url: '/forms/bieu-thu/fill', headers: { cookie: officer.cookie, ...body.headers }, payload: body.payload });
    t.is(res.statusCode, 400);
    t.deepEqual(polluted(), []);
  });
}

test.serial('a JSON submission with prototype keys in its values is refused and pollutes nothing', async (t) => {
  const bodies = [
    '{"values":{"__proto__":{"public":true}}}',
    '{"values":{"constructor":{"prototype":{"public":true}}}}',
    '{"values":{"r01":{"__proto__":{"th":1}}}}',
    '{"values":{"r01":{"constructor":{"prototype":{"th":1}}}}}',
    '{"values":{"prototype":{"public":1}}}',
  ];
  for (const payload of bodies) {
    const res = await app.server.inject({ method: 'PUT', url: '/api/forms/bieu-thu/submissions/2025-02', headers: { cookie: officer.cookie, 'x-csrf-token': officer.crumb, 'content-type': 'application/json' }, payload });
    t.is(res.statusCode, 400, payload);
  }
  const named = await call(app.server, officer, 'PUT', '/api/forms/bieu-thu/submissions/2025-02', { values: { nguoiLap: 'An', khongCo: 1 } });
  t.is(named.statusCode, 400);
  t.is(json(named).code, 'forms.entry.unknownField');
  t.true(json(named).message.includes('khongCo'));
  t.deepEqual(polluted(), []);
});

test.serial('after every hostile post an anonymous caller is still refused and the entry page still works', async (t) => {
  t.deepEqual(polluted(), []);
  t.is((await app.server.inject('/api/forms')).statusCode, 401);
  const anon = await app.server.inject({ method: 'PUT', url: '/api/forms/bieu-thu/submissions/2025-03', payload: { values: { nguoiLap: 'X' } } });
  t.true([401, 403].includes(anon.statusCode));
  const ok = await call(app.server, officer, 'PUT', '/api/forms/bieu-thu/submissions/2025-03', { values: { nguoiLap: 'An', r02: { th: 1, kh: 2 } } });
  t.is(ok.statusCode, 200);
});

test.serial('the service refuses prototype keys and unknown ids given to it directly', async (t) => {
  const form = await getPublished('bieu-thu');
  const inputs: FormValues[] = [
    JSON.parse('{"nguoiLap":"An","__proto__":{"public":true}}'),
    JSON.parse('{"constructor":{"prototype":{"public":true}}}'),
    JSON.parse('{"r02":{"__proto__":{"public":true}}}'),
    { r02: { khongCo: 1 } },
    { bang: { th: 1 } },
  ];
  for (const input of inputs) {
    const err = await saveSubmission(null, form, 0, '2025-04', input).catch((e) => e);
    t.is(err.status, 400);
    t.is(err.code, 'forms.entry.unknownField');
  }
  t.deepEqual(polluted(), []);
});

test('value paths refuse prototype segments and read own properties only', (t) => {
  const values: FormValues = {};
  t.throws(() => setValue(values, '__proto__.public', 1), { instanceOf: RangeError });
  t.throws(() => setValue(values, 'constructor.prototype', 1), { instanceOf: RangeError });
  t.throws(() => setValue(values, 'a.b.c', 1), { instanceOf: RangeError });
  t.is(getValue(values, 'constructor'), null);
  t.is(getValue(values, 'constructor.name'), null);
  t.is(getValue(values, 'toString'), null);
  setValue(values, 'r01.th', 5);
  t.is(Object.getPrototypeOf(values.r01), null);
  t.is(getValue(values, 'r01.th'), 5);
  t.deepEqual(polluted(), []);
});

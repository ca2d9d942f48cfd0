// Form formulas and rules on the server run under the FEEL budget: a publish names the formula that
// would iterate too far or run too long, a submission whose values make a formula explode is a 422
// naming it, and the node goes on answering meanwhile.
import test from 'ava';
import { startApp, makeUser, login, call, healthzDuring, type TestApp, type Session } from '../../helpers/server.ts';
import type { FormDefinition } from '../../../src/forms/definition.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

let app: TestApp;
let designer: Session;
let officer: Session;

function countForm(key: string, formula: string, rule?: string): FormDefinition {
  return {
    key, code: 'Biểu ĐẾM', name: 'Biểu đếm thử', periodKind: 'adhoc',
    sections: [{ id: 's1', title: 'Số liệu', fields: [
      { id: 'soLuong', label: 'Số lượng', type: 'integer', min: 0 },
      { id: 'dem', label: 'Số đếm', type: 'integer', formula },
    ] }],
    rules: rule ? [{ id: 'kiemTra', expression: rule, message: 'Kiểm tra số lượng', severity: 'error', missing: 'skipIfAnyMissing' }] : [],
  };
}

test.before(async () => {
  // A budget with room for the small counts, even when other work shares the machine's two cores.
  app = await startApp({ listen: true, env: { FEEL_TIMEOUT_MS: '200' } });
  await makeUser('designer', null, { username: 'thietke.feel' });
  await makeUser('officer', '01', { username: 'canbo.feel' });
  designer = await login(app.server, 'thietke.feel');
  officer = await login(app.server, 'canbo.feel');
});
test.after.always(async () => {
  await app?.close();
});

test.serial('publishing a formula that iterates over a literal range beyond FEEL_MAX_RANGE is refused, naming the field and the formula', async (t) => {
  const def = countForm('bieu-dem-mot', 'count(for i in 1..60000000 return i)');
  t.is((await call(app.server, designer, 'POST', '/api/forms', def)).statusCode, 201);
  const started = performance.now();
  const res = await call(app.server, designer, 'POST', '/api/forms/bieu-dem-mot/publish');
  t.log(`took ${(performance.now() - started).toFixed(0)} ms`);
  t.is(res.statusCode, 422);
  const [problem] = json(res).details;
  t.is(problem.code, 'forms.check.rangeTooLarge');
  t.is(problem.message, 'Số đếm: công thức "count(for i in 1..60000000 return i)" lặp qua 60000000 giá trị, vượt giới hạn 100000');
});

test.serial('publishing a formula that runs past the budget on sample values is refused, naming it', async (t) => {
  const def = countForm('bieu-dem-hai', 'count(for i in 1..soLuong * 60000000 return i)');
  t.is((await call(app.server, designer, 'POST', '/api/forms', def)).statusCode, 201);
  const res = await call(app.server, designer, 'POST', '/api/forms/bieu-dem-hai/publish');
  t.is(res.statusCode, 422);
  const [problem] = json(res).details;
  t.is(problem.code, 'forms.check.budget');
  t.true(problem.message.startsWith('Số đếm: công thức "count(for i in 1..soLuong * 60000000 return i)" đã bị dừng'), problem.message);
});

test.serial('a submission whose values make a formula and a rule explode is a 422 naming both, while /healthz keeps answering', async (t) => {
  const def = countForm('bieu-dem-ba', 'count(for i in 1..soLuong return i)', 'some i in 1..soLuong satisfies i < 0 or true');
  t.is((await call(app.server, designer, 'POST', '/api/forms', def)).statusCode, 201);
  t.is((await call(app.server, designer, 'POST', '/api/forms/bieu-dem-ba/publish')).statusCode, 200);
  const small = await call(app.server, officer, 'PUT', '/api/forms/bieu-dem-ba/submissions/dot-1', { values: { soLuong: 3 }, submit: true });
  t.is(small.statusCode, 200);
  t.is(json(small).values.dem, 3);

  let res: Awaited<ReturnType<typeof call>> | undefined;
  const latencies = await healthzDuring(app.server, async () => {
    res = await call(app.server, officer, 'PUT', '/api/forms/bieu-dem-ba/submissions/dot-2', { values: { soLuong: 60000000 }, submit: true });
  });
  if (!res) throw new Error('no answer');
  t.is(res.statusCode, 422);
  const messages = json(res).details.map((d: { message: string }) => d.message);
  t.true(messages.some((m: string) => m.startsWith('Số đếm: công thức "count(for i in 1..soLuong return i)" đã bị dừng')), messages.join(' | '));
  t.true(messages.some((m: string) => m.includes('some i in 1..soLuong satisfies i < 0 or true')), messages.join(' | '));
  t.true(latencies.length >= 5, `healthz answered ${latencies.length} times`);
  t.log(`healthz answered ${latencies.length} times, slowest ${Math.max(...latencies).toFixed(0)} ms`);
});

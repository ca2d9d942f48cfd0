// Every 5xx reaches the log, also one that happens while the response is sent; 4xx answers do not.
import test from 'ava';
import { startApp, type TestApp } from '../../helpers/server.ts';

let app: TestApp;
const lines: string[] = [];
const write = process.stderr.write.bind(process.stderr);

test.before(async () => {
  app = await startApp({ orgs: false, env: { LOG_LEVEL: 'error' } });
  // A header that cannot be written fails only at transmission, after onPreResponse.
  app.server.route({ method: 'GET', path: '/test/bad-header', options: { plugins: { govflow: { public: true } } }, handler: (_r, h) => h.response('x').header('content-type', 'text/plain\r\nX-Injected: 1') });
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
});
test.after.always(async () => {
  process.stderr.write = write;
  await app?.close();
});

test.serial('a response that fails while it is sent is a logged 500', async (t) => {
  lines.length = 0;
  const res = await app.server.inject('/test/bad-header');
  t.is(res.statusCode, 500);
  const logged = lines.map((l) => JSON.parse(l) as { level: string; path?: string; error?: string }).filter((l) => l.level === 'error');
  t.true(logged.some((l) => l.path === '/test/bad-header' && /ERR_INVALID_CHAR/.test(l.error ?? '')), JSON.stringify(logged));
});

test.serial('a page that is not found is answered, not logged as a failure', async (t) => {
  lines.length = 0;
  t.is((await app.server.inject('/no-such-page')).statusCode, 404);
  t.is((await app.server.inject('/api/engine/instances/nope')).statusCode, 401);
  t.deepEqual(lines.filter((l) => l.includes('"level":"error"')), []);
});

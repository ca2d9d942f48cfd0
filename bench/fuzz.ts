// Fuzz pass: random and mutated requests to every route of a real server (on a throw-away SQLite
// database), as every kind of user, for a bounded time. Prints the counts of 2xx/3xx/4xx/5xx, the
// longest event-loop stall while one request was in flight (overall and for non-admin callers), and
// the routes that answered 5xx. Exits 1 when any request got a 5xx.
//
//   npm run fuzz -- [--seconds 60] [--max 20000] [--seed 1]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { importOrgs } from '../src/orgs/import.ts';
import { createUser } from '../src/auth/service.ts';
import { createServer } from '../src/web/server.ts';
import type { Role } from '../src/auth/models.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 60);
const maxRequests = arg('max', 20000);
let seed = arg('seed', 1);

/** A small deterministic generator (mulberry32), so a run can be repeated with its seed. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
/** Percent-encodes text; a lone surrogate becomes the invalid UTF-8 bytes it stands for. */
const enc = (text: string): string => {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
};

const NASTY_STRINGS = [
  '', ' ', 'a', '0', '-1', '1e309', 'NaN', 'null', 'true', '__proto__', 'constructor', 'prototype', 'a\u0000b', '\u001b[31m', '\r\nX-Injected: 1',
  '../../etc/passwd', '%2e%2e%2f', '<script>alert(1)</script>', "' OR 1=1 --", '${7*7}', '=1+1', '=count(for i in 1..100000 return i)', '/\\evil.example',
  'Đăng ký khai sinh', '\uD800', '🙂'.repeat(50), 'x'.repeat(5000), '01', '79', '2026-10', '2026Q3', 'kt-xh-thang', 'sample-approval',
];
const KEYS = ['__proto__', 'constructor', 'prototype', '__proto__.public', 'constructor.prototype.x', 'a[__proto__][b]', 'xml', 'name', 'values', 'variables', 'orgCode', 'username', 'password', 'next', 'status', 'role', 'json', 'comment', 'crumb', 'businessKey', 'period', 'q'];

function randomValue(depth = 0): unknown {
  const r = random();
  if (depth > 3 || r < 0.35) return pick(NASTY_STRINGS);
  if (r < 0.5) return pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, true, false, null]);
  if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(random() * 5); i > 0; i--) o[pick(KEYS)] = randomValue(depth + 1);
  return o;
}

function deepJson(n: number): string {
  return `{"xml":"<x/>","variables":${'['.repeat(n)}${']'.repeat(n)}}`;
}

/** A body in one of the encodings hapi parses, or a broken one. */
function randomBody(crumb: string): { body: string | Buffer; type: string } | null {
  const r = random();
  if (r < 0.1) return null;
  if (r < 0.45) {
    // JSON.stringify drops a literal __proto__ key; write it out by hand sometimes.
    const raw = random() < 0.3 ? `{"__proto__":{"public":true},"values":${JSON.stringify(randomValue())}}` : JSON.stringify(randomValue());
    return { body: raw, type: 'application/json' };
  }
  if (r < 0.5) return { body: deepJson(1000 + Math.floor(random() * 20000)), type: 'application/json' };
  if (r < 0.55) return { body: '{"unterminated": [1, 2', type: 'application/json' };
  if (r < 0.8) {
    const pairs = Array.from({ length: 1 + Math.floor(random() * 5) }, () => `${enc(pick(KEYS))}=${enc(String(pick(NASTY_STRINGS)))}`);
    pairs.push(`crumb=${crumb}`);
    return { body: pairs.join('&'), type: 'application/x-www-form-urlencoded' };
  }
  const boundary = `fz${Math.floor(random() * 1e9)}`;
  const parts: Buffer[] = [];
  for (let i = 1 + Math.floor(random() * 3); i > 0; i--) {
    const name = pick(KEYS);
    const isFile = random() < 0.5;
    const content = isFile ? Buffer.from(Array.from({ length: Math.floor(random() * 4096) }, () => Math.floor(random() * 256))) : Buffer.from(String(pick(NASTY_STRINGS)));
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${isFile ? `; filename="${pick(['a.xlsx', 'b.bpmn', 'c.json', '../x.csv', 'd.pdf'])}"` : ''}\r\n${isFile ? `Content-Type: ${pick(['application/octet-stream', 'text/plain\r\nX: y', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'])}\r\n` : ''}\r\n`), content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="crumb"\r\n\r\n${crumb}\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

function randomPath(routePath: string): string {
  const samples: Record<string, string> = { id: '1', key: 'kt-xh-thang', period: '2026-10', field: 'f1', code: '01', action: 'claim', p: 'app.css', unknown: 'x' };
  return routePath.replace(/\{(\w+)\*?\}/g, (_m, name: string) => enc(random() < 0.6 ? (Object.hasOwn(samples, name) ? samples[name] : 'x') : String(pick(NASTY_STRINGS))));
}

function randomQuery(): string {
  if (random() < 0.5) return '';
  const pairs = Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${enc(pick(KEYS))}=${enc(String(pick(NASTY_STRINGS)))}`);
  return `?${pairs.join('&')}`;
}

// ---- a server on a throw-away database ----
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-fuzz-'));
const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, SECRET: 'fuzz-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', SEED_DEMO: '0', JOB_POLL_MS: '200' });
setConfig(config);
await initStore(config.databaseUrl);
await migrate();
await importOrgs(fs.readFileSync(path.join(root, 'seed/admin-units-2025.csv')));
await importOrgs(fs.readFileSync(path.join(root, 'seed/agencies.csv')));
const PASSWORD = 'FuzzPassword2026!';
const kinds: Array<{ name: string; role: Role; org: string | null }> = [
  { name: 'citizen', role: 'citizen', org: null }, { name: 'officer@01', role: 'officer', org: '01' }, { name: 'officer@79', role: 'officer', org: '79' },
  { name: 'leader@01', role: 'leader', org: '01' }, { name: 'designer', role: 'designer', org: null }, { name: 'admin@79', role: 'admin', org: '79' }, { name: 'admin', role: 'admin', org: null },
];
for (const k of kinds) {
  const username = `fuzz.${k.name.replace('@', '.')}`;
  await createUser({ username, fullName: `Fuzz ${k.name}`, email: `${username}@fuzz.local`, password: PASSWORD, orgCode: k.org, roles: [{ role: k.role, orgCode: k.org }] }, null);
}
const server = await createServer();
await server.start();
const base = `http://127.0.0.1:${server.info.port}`;

async function session(username: string | null): Promise<{ cookie: string; crumb: string }> {
  const page = await fetch(`${base}/login`);
  const crumb = /crumb=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
  if (!username) return { cookie: `crumb=${crumb}`, crumb };
  const res = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie: `crumb=${crumb}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `username=${encodeURIComponent(username)}&password=${PASSWORD}&crumb=${crumb}` });
  const sid = /sid=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!sid) throw new Error(`login of ${username} failed: ${res.status}`);
  const fresh = /crumb=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? crumb;
  return { cookie: `crumb=${fresh}; sid=${sid}`, crumb: fresh };
}

const callers: Array<{ name: string; isAdmin: boolean; cookie: string; crumb: string }> = [{ name: 'anonymous', isAdmin: false, ...(await session(null)) }];
for (const k of kinds) callers.push({ name: k.name, isAdmin: k.role === 'admin', ...(await session(`fuzz.${k.name.replace('@', '.')}`)) });

// Logging out and disabling users would end the fuzzing sessions; those routes get their fuzz elsewhere.
const routes = server.table().filter((r) => r.path !== '/logout' && !r.path.endsWith('/status')).map((r) => ({ method: r.method.toUpperCase(), path: r.path }));

// ---- event-loop lateness, sampled while each request is in flight ----
let lateness = 0;
let last = performance.now();
const TICK = 5;
const ticker = setInterval(() => {
  const now = performance.now();
  lateness = Math.max(lateness, now - last - TICK);
  last = now;
}, TICK);

const counts = { total: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, network: 0 };
const errors = new Map<string, number>();
let longest = { ms: 0, what: '' };
let longestNonAdmin = { ms: 0, what: '' };
const until = Date.now() + seconds * 1000;
while (Date.now() < until && counts.total < maxRequests) {
  const route = pick(routes);
  const caller = pick(callers);
  const url = `${base}${randomPath(route.path)}${randomQuery()}`;
  const body = route.method === 'GET' ? null : randomBody(caller.crumb);
  const headers: Record<string, string> = { cookie: caller.cookie, 'x-csrf-token': caller.crumb, accept: pick(['text/html', 'application/json', '*/*']) };
  if (body) headers['content-type'] = body.type;
  lateness = 0;
  last = performance.now();
  let status = 0;
  try {
    const res = await fetch(url, { method: route.method, headers, body: typeof body?.body === 'string' ? body.body : body ? new Uint8Array(body.body) : undefined, redirect: 'manual' });
    await res.arrayBuffer();
    status = res.status;
  } catch {
    counts.network++;
  }
  await new Promise((resolve) => setTimeout(resolve, TICK + 1));
  counts.total++;
  if (status) counts[`${Math.floor(status / 100)}xx` as '2xx' | '3xx' | '4xx' | '5xx'] = (counts[`${Math.floor(status / 100)}xx` as '2xx'] ?? 0) + 1;
  const what = `${caller.name} ${route.method} ${route.path} → ${status}`;
  if (status >= 500) errors.set(`${route.method} ${route.path}`, (errors.get(`${route.method} ${route.path}`) ?? 0) + 1);
  if (lateness > longest.ms) longest = { ms: lateness, what };
  if (!caller.isAdmin && lateness > longestNonAdmin.ms) longestNonAdmin = { ms: lateness, what };
}
clearInterval(ticker);
await server.stop({ timeout: 1000 });
await closeStore();
fs.rmSync(dataDir, { recursive: true, force: true });

const round = (n: number) => Math.round(n * 10) / 10;
console.log(`requests: ${counts.total} over ${routes.length} routes and ${callers.length} kinds of caller (seed ${arg('seed', 1)})`);
console.log(`2xx ${counts['2xx']}  3xx ${counts['3xx']}  4xx ${counts['4xx']}  5xx ${counts['5xx']}  network errors ${counts.network}`);
console.log(`longest event-loop stall: ${round(longest.ms)} ms (${longest.what})`);
console.log(`longest stall from a non-admin request: ${round(longestNonAdmin.ms)} ms (${longestNonAdmin.what})`);
for (const [route, n] of errors) console.log(`5xx: ${route} × ${n}`);
console.log(JSON.stringify({ requests: counts.total, ...counts, longestStallMs: round(longest.ms), longestNonAdminStallMs: round(longestNonAdmin.ms) }));
process.exit(counts['5xx'] > 0 ? 1 : 0);

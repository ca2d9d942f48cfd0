// Two `govflow serve` nodes on one MariaDB take 50 online submissions at once, split between them: every dossier
// gets its own code, and the unit's sequences of the day are exactly 1..50 (the counter row is the lock).
// It needs MariaDB/MySQL; the test runner runs test/multinode/ only in its MariaDB pass.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { dialect, freshDb, type TestDb } from '../helpers/db.ts';
import { repoRoot, makeUser, PASSWORD } from '../helpers/server.ts';
import { importOrgs } from '../../src/orgs/import.ts';
import { seedProcedures } from '../../src/catalog/service.ts';
import { Dossier, DossierCounter } from '../../src/dossiers/models.ts';
import { DOSSIER_CODE_RE } from '../../src/dossiers/core.ts';

const N = 50;
let database: TestDb;
const nodes: ChildProcess[] = [];
const nodeLogs: string[] = [];

/** Starts a node and resolves with its address. */
function serve(name: string): Promise<string> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/govflow.js'), 'serve'], {
    cwd: repoRoot,
    env: {
      ...process.env, NODE_ENV: 'production', SECRET: 'multinode-secret-'.padEnd(48, 'x'), AUDIT_KEYS: database.config.auditKeys.map((k) => `${k.id}:${k.secret}`).join(','), DATABASE_URL: database.url, DATA_DIR: database.dataDir,
      PORT: '0', HOST: '127.0.0.1', SEED_DEMO: '0', NODE_NAME: name, LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nodes.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), 90000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (d) => {
      out += String(d);
      nodeLogs.push(`${name}: ${String(d).trim()}`);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)));
  });
}

function cookiesOf(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    out.set(pair.slice(0, i), pair.slice(i + 1));
  }
  return out;
}

/** Logs in through the real form over HTTP; returns the cookie header and the CSRF token. */
async function loginOver(base: string, username: string): Promise<{ cookie: string; crumb: string }> {
  const first = await fetch(`${base}/login`);
  await first.text();
  const anonCrumb = cookiesOf(first).get('crumb')!;
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `crumb=${anonCrumb}` },
    body: new URLSearchParams({ username, password: PASSWORD, crumb: anonCrumb }).toString(),
  });
  await res.text();
  if (res.status !== 302) throw new Error(`login failed on ${base}: ${res.status}`);
  const c = cookiesOf(res);
  const crumb = c.get('crumb') ?? anonCrumb;
  return { cookie: `crumb=${crumb}; sid=${c.get('sid')}`, crumb };
}

test.before(async () => {
  if (dialect !== 'mysql') throw new Error('the multi-node test needs GOVFLOW_TEST_DIALECT=mysql and TEST_DATABASE_URL');
  database = await freshDb();
  await importOrgs(fs.readFileSync(path.join(repoRoot, 'seed/admin-units-2025.csv')));
  await seedProcedures();
});

test.after.always(async () => {
  for (const n of nodes) if (n.exitCode === null && n.signalCode === null) n.kill('SIGKILL');
  await database?.cleanup();
});

test.serial('50 concurrent submissions over two nodes get 50 distinct codes with the day\'s sequences 1..50', async (t) => {
  t.timeout(300000);
  const citizen = await makeUser('citizen', null, { fullName: 'Trần Văn Bình' });
  const [a, b] = await Promise.all([serve('node-a'), serve('node-b')]);
  const sessions = await Promise.all([loginOver(a, citizen.username), loginOver(b, citizen.username)]);
  const bases = [a, b];
  const pdf = Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64');
  const body = JSON.stringify({
    procedure: '1.001193', orgCode: '00004', submit: true,
    values: { hoTenNguoiYeuCau: 'Trần Văn Bình', soDinhDanh: '001090012345', dienThoai: '0987654321', hoTen: 'Trần Minh Châu', ngaySinh: '2026-11-28', gioiTinh: 'nu', noiSinh: 'Hà Nội', danToc: 'Kinh', quocTich: 'Việt Nam' },
    files: [{ slot: 'giay-chung-sinh-hoac-giay-to-thay-the-giay-chung-sinh', name: 'gcs.pdf', type: 'application/pdf', base64: pdf }],
  });
  const answers = await Promise.all(Array.from({ length: N }, async (_, i) => {
    const s = sessions[i % 2];
    const res = await fetch(`${bases[i % 2]}/api/dossiers`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.crumb }, body });
    return { status: res.status, body: await res.json() as { id: number; code: string; due: string } };
  }));
  if (answers.some((r) => r.status !== 201)) t.log(nodeLogs.join('\n').slice(0, 4000));
  t.deepEqual(answers.map((r) => r.status), Array(N).fill(201), JSON.stringify(answers.find((r) => r.status !== 201)));
  const codes = answers.map((r) => r.body.code);
  t.is(new Set(codes).size, N, 'every code is distinct');
  for (const c of codes) t.regex(c, DOSSIER_CODE_RE);
  t.is(new Set(codes.map((c) => c.slice(0, -5))).size, 1, 'one unit, one day');
  t.deepEqual(codes.map((c) => Number(c.slice(-4))).sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i + 1));
  const rows = await Dossier.findAll({ where: { status: 'submitted' } });
  t.is(rows.length, N);
  t.deepEqual(rows.map((r) => r.code).sort(), [...codes].sort());
  const counters = await DossierCounter.findAll();
  t.is(counters.length, 1);
  t.is(counters[0].last, N);
});

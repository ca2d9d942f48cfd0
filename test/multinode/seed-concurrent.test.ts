// Three `govflow serve` processes in development start at the same moment on one empty MariaDB database and one
// DATA_DIR: they take turns at migrating and seeding, all three become ready, and the demo data exists exactly once,
// with one audit key shared through DATA_DIR so the audit chain they wrote verifies.
// It needs MariaDB/MySQL; the test runner runs test/multinode/ only in its MariaDB pass.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import mysql from 'mysql2/promise';
import { QueryTypes } from 'sequelize';
import { dialect } from '../helpers/db.ts';
import { repoRoot } from '../helpers/server.ts';
import { loadConfig, setConfig } from '../../src/config.ts';
import { initStore, closeStore, db } from '../../src/store/index.ts';
import { verifyAudit } from '../../src/audit/service.ts';
import { DEMO_USERS } from '../../src/seed.ts';

let url = '';
let dataDir = '';
let dropDb: (() => Promise<void>) | undefined;
const nodes: ChildProcess[] = [];
const outputs = new Map<string, string>();

/** Starts one node and resolves when it says it is listening; rejects with its output when it exits first. */
function serve(name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/govflow.js'), 'serve'], {
    cwd: repoRoot,
    // No SECRET, no AUDIT_KEYS, no SEED_DEMO: a development node generates its keys into DATA_DIR and seeds.
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !['SECRET', 'AUDIT_KEYS', 'SEED_DEMO', 'NODE_ENV'].includes(k))),
      NODE_ENV: 'development', DATABASE_URL: url, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', NODE_NAME: name, LOG_LEVEL: 'warn', JOB_POLL_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nodes.push(child);
  outputs.set(name, '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 120 s:\n${outputs.get(name)}`)), 120000);
    const add = (d: Buffer) => {
      outputs.set(name, outputs.get(name) + String(d));
      if (outputs.get(name)!.includes('govflow listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${outputs.get(name)}`));
    });
  });
}

test.before(async () => {
  if (dialect !== 'mysql') throw new Error('the multi-node test needs GOVFLOW_TEST_DIALECT=mysql and TEST_DATABASE_URL');
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('GOVFLOW_TEST_DIALECT=mysql needs TEST_DATABASE_URL');
  const u = new URL(base.replace(/^mariadb:/, 'mysql:'));
  const name = `gf_seed_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const connect = () => mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  const admin = await connect();
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  dropDb = async () => {
    const c = await connect();
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await c.end();
  };
  u.pathname = `/${name}`;
  url = u.toString();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-seed-'));
});

test.after.always(async () => {
  for (const n of nodes) if (n.exitCode === null && n.signalCode === null) n.kill('SIGKILL');
  await closeStore();
  await dropDb?.();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test.serial('three development nodes started together on an empty database all become ready and seed the demo data once', async (t) => {
  t.timeout(240000);
  const started = await Promise.allSettled(['node-a', 'node-b', 'node-c'].map((name) => serve(name)));
  for (const s of started) if (s.status === 'rejected') t.log(String(s.reason));
  t.deepEqual(started.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled']);
  const seeders = [...outputs.values()].filter((o) => o.includes('Fresh database: seeding demo data'));
  t.is(seeders.length, 1, 'exactly one node seeds; the others find the data');

  setConfig(loadConfig({ NODE_ENV: 'development', DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  await initStore(url);
  const count = async (sql: string) => Number((await db().query<{ n: number }>(sql, { type: QueryTypes.SELECT }))[0].n);
  t.is(await count('SELECT COUNT(*) AS n FROM users'), DEMO_USERS.length);
  for (const u of DEMO_USERS) t.is(await count(`SELECT COUNT(*) AS n FROM users WHERE username = '${u.username}'`), 1, u.username);
  t.is(await count("SELECT COUNT(*) AS n FROM (SELECT tree, code FROM org_units GROUP BY tree, code HAVING COUNT(*) > 1) d"), 0);
  t.true(await count("SELECT COUNT(*) AS n FROM org_units WHERE tree = 'current'") > 3000, 'the 2025 tree is there');
  t.is(await count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'orgs.import'"), 2, 'one import of the tree and one of the agencies');
  t.is(await count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.create'"), DEMO_USERS.length);
  t.is(await count("SELECT COUNT(*) AS n FROM schema_migrations"), fs.readdirSync(path.join(repoRoot, 'src/store/migrations')).filter((f) => f.endsWith('.ts')).length);
  const chain = await verifyAudit();
  t.true(chain.ok, JSON.stringify(chain.problem));
});

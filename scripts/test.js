// The test command: installs missing system packages, builds the browser bundles, runs every suite
// on SQLite, then the database suites again on MariaDB/MySQL when TEST_DATABASE_URL is set.
// Ends with the plain line `N passed, N failed` and a non-zero exit code when anything failed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

if (run('bash', ['scripts/ensure-system-deps.sh']).status !== 0) process.exit(1);
if (run('node', ['scripts/build-client.js']).status !== 0) process.exit(1);

const extra = process.argv.slice(2);

/** Test files under the given folders of test/. */
function testFiles(...folders) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) out.push(path.relative(root, p));
    }
  };
  for (const f of folders) if (fs.existsSync(path.join(root, 'test', f))) walk(path.join(root, 'test', f));
  return out.sort();
}

function ava(label, files, env) {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== ${label} ===\n`);
    const child = spawn('npx', ['ava', '--tap', ...files], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let pass = 0;
    let fail = 0;
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffer += chunk.toString();
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        let m;
        if ((m = /^# pass (\d+)/.exec(line))) pass = Number(m[1]);
        if ((m = /^# fail (\d+)/.exec(line))) fail = Number(m[1]);
      }
    });
    child.on('close', (code) => resolve({ pass, fail: fail || (code !== 0 && pass === 0 ? 1 : fail), code }));
  });
}

const results = [];
// test/multinode/ starts several servers on one MariaDB/MySQL database, so it runs in the second pass only.
const onSqlite = extra.length ? extra.filter((f) => !/(^|\/)test\/multinode\//.test(f)) : testFiles('unit', 'integration', 'security', 'processes', 'browser');
if (onSqlite.length) results.push(await ava('unit, integration, process and browser suites on SQLite', onSqlite, { GOVFLOW_TEST_DIALECT: 'sqlite' }));
if (process.env.TEST_DATABASE_URL && !extra.length) {
  results.push(await ava('integration, process and multi-node suites on MariaDB/MySQL', testFiles('integration', 'security', 'processes', 'multinode'), { GOVFLOW_TEST_DIALECT: 'mysql' }));
} else if (process.env.TEST_DATABASE_URL) {
  // Named files: those of the suites that run on both databases run on MariaDB/MySQL too.
  const both = extra.filter((f) => /(^|\/)test\/(integration|security|processes|multinode)\//.test(f));
  if (both.length) results.push(await ava('the named files on MariaDB/MySQL', both, { GOVFLOW_TEST_DIALECT: 'mysql' }));
}
const passed = results.reduce((n, r) => n + r.pass, 0);
const failed = results.reduce((n, r) => n + r.fail, 0);
const bad = results.some((r) => r.code !== 0);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(bad || failed ? 1 : 0);

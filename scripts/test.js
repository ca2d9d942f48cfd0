// The test command: installs missing system packages, builds the browser bundles, runs every suite
// on SQLite, then the database suites again on MariaDB/MySQL when TEST_DATABASE_URL is set.
// Ends with the plain line `N passed, N failed` and a non-zero exit code when anything failed.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

if (run('bash', ['scripts/ensure-system-deps.sh']).status !== 0) process.exit(1);
if (run('node', ['scripts/build-client.js']).status !== 0) process.exit(1);

const extra = process.argv.slice(2);

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
results.push(await ava('all suites on SQLite', extra.length ? extra : ['test/**/*.test.ts'], { GOVFLOW_TEST_DIALECT: 'sqlite' }));
if (process.env.TEST_DATABASE_URL && !extra.length) {
  results.push(await ava('database suites on MariaDB/MySQL', ['test/integration/**/*.test.ts', 'test/processes/**/*.test.ts'], { GOVFLOW_TEST_DIALECT: 'mysql' }));
}
const passed = results.reduce((n, r) => n + r.pass, 0);
const failed = results.reduce((n, r) => n + r.fail, 0);
const bad = results.some((r) => r.code !== 0);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(bad || failed ? 1 : 0);

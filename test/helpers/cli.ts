// Runs `node bin/govflow.js …` as an operator would, against a test database.
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestDb } from './db.ts';
import { repoRoot } from './server.ts';

const run = promisify(execFile);

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a subprocess on the test database; never throws on a non-zero exit. */
export async function govflowCli(db: TestDb, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const fullEnv = { ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, DATA_DIR: db.dataDir, SECRET: db.config.secret, LOG_LEVEL: 'silent', ...env };
  try {
    const r = await run(process.execPath, [path.join(repoRoot, 'bin/govflow.js'), ...args], { env: fullEnv, cwd: repoRoot, timeout: 120000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

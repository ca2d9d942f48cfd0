// `govflow serve` processes on one test database, as the multi-node tests start them: production mode,
// a free port each, the test database's secret and audit keys, no demo seed. Each test file keeps one
// ServeNodes, kills one of its nodes where the scenario says so, and kills the rest in its after hook.
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './server.ts';
import type { TestDb } from './db.ts';

/** A started node: its process and the address it listens on. */
export interface ServedNode {
  name: string;
  child: ChildProcess;
  url: string;
}

/**
 * How long a node may take to say it listens. Not a performance bound: on a shared 2-core machine under
 * heavy load, three nodes loading the TypeScript sources at once were seen to need more than 90 s.
 */
export const START_TIMEOUT_MS = 240000;

/** The nodes one test file started, with what they wrote to stderr (shown when a test fails). */
export class ServeNodes {
  readonly children: ChildProcess[] = [];
  readonly logs: string[] = [];

  /** Starts a node named `name` on the database, with extra environment; resolves when it listens. */
  serve(database: TestDb, name: string, env: Record<string, string> = {}): Promise<ServedNode> {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/govflow.js'), 'serve'], {
      cwd: repoRoot,
      env: {
        ...process.env, NODE_ENV: 'production', SECRET: 'multinode-secret-'.padEnd(48, 'x'),
        AUDIT_KEYS: database.config.auditKeys.map((k) => `${k.id}:${k.secret}`).join(','), DATABASE_URL: database.url, DATA_DIR: database.dataDir,
        PORT: '0', HOST: '127.0.0.1', SEED_DEMO: '0', NODE_NAME: name, LOG_LEVEL: 'warn', ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${name} did not start: ${out}`)), START_TIMEOUT_MS);
      child.stdout!.on('data', (d) => {
        out += String(d);
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ name, child, url: m[1] });
        }
      });
      child.stderr!.on('data', (d) => {
        out += String(d);
        this.logs.push(`${name}: ${String(d).trim()}`);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code ?? signal}: ${out}`));
      });
    });
  }

  /** The last `n` lines the nodes wrote to stderr. */
  lastLogs(n: number): string {
    return this.logs.slice(-n).join('\n');
  }

  /** Kills every node still running (the after hook). */
  killAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

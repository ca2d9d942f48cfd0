// A fresh, migrated database for one test file: SQLite by default, MariaDB/MySQL in the runner's
// second pass (GOVFLOW_TEST_DIALECT=mysql with TEST_DATABASE_URL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';
import { loadConfig, setConfig, type Config } from '../../src/config.ts';
import { initStore, closeStore } from '../../src/store/index.ts';
import { migrate } from '../../src/store/migrate.ts';

/** Which database this test process runs on. */
export const dialect: 'sqlite' | 'mysql' = process.env.GOVFLOW_TEST_DIALECT === 'mysql' ? 'mysql' : 'sqlite';

/** A test database and the config pointing at it. */
export interface TestDb {
  url: string;
  dataDir: string;
  config: Readonly<Config>;
  /** Drops the database and removes the data folder. */
  cleanup(): Promise<void>;
}

/** Creates an empty database and data folder, sets the process config to them, migrates. */
export async function freshDb(env: Record<string, string> = {}): Promise<TestDb> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-test-'));
  let url = `sqlite:${path.join(dataDir, 'test.sqlite')}`;
  let dropDb: (() => Promise<void>) | undefined;
  if (dialect === 'mysql') {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) throw new Error('GOVFLOW_TEST_DIALECT=mysql needs TEST_DATABASE_URL');
    const name = `gf_test_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
    const u = new URL(base.replace(/^mariadb:/, 'mysql:'));
    const admin = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    u.pathname = `/${name}`;
    url = u.toString();
    dropDb = async () => {
      const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    };
  }
  const config = loadConfig({
    NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: url, SECRET: 'test-secret-'.padEnd(48, 'x'), LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    PORT: '0', HOST: '127.0.0.1', JOB_POLL_MS: '50', ...env,
  });
  setConfig(config);
  await initStore(url);
  await migrate();
  return {
    url,
    dataDir,
    config,
    async cleanup() {
      await closeStore();
      await dropDb?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Benchmark of the notification outbox, in one process and one run: N e-mails (default 10,000) sent
// to a local SMTP server (a) by a bare nodemailer loop on a pooled transport, (b) queued in the
// outbox and delivered by the job worker's loop (claim, guarded `sending`, SMTP, attempt + status),
// after a warm-up of the bare loop,
// on SQLite and, when TEST_DATABASE_URL is set, on MariaDB/MySQL. Each outbox run is compared with a
// bare run made just before it, so that a shared machine's load drifting during the run does not land on
// one side only. Prints messages/s and the ratio outbox/bare. Last line: one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import net from 'node:net';
import mysql from 'mysql2/promise';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore, db } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { runDueJobs } from '../src/engine/service.ts';
import { queueMessages } from '../src/notify/service.ts';
import { closeMailer } from '../src/notify/channels.ts';
import { NotifyMessage } from '../src/notify/models.ts';

const N = Number(process.env.BENCH_N ?? 10000);
/** Connections of the pool, in both runs (the outbox's transport keeps 8). */
const CONNECTIONS = 8;
const mysqlUrl = process.env.TEST_DATABASE_URL ?? '';
const line = (s: string) => process.stdout.write(s + '\n');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A local SMTP server that accepts and counts every message (and reads its whole body). */
async function smtpServer(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received++;
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { url: `smtp://127.0.0.1:${port}`, count: () => received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const subject = 'Đã được duyệt: Báo cáo kinh tế – xã hội tháng 11 năm 2026';
const body = 'Kính gửi Sở Tài chính,\n\nBáo cáo kinh tế – xã hội tháng 11 năm 2026 đã được lãnh đạo duyệt.\n\nXem chi tiết tại: http://localhost/r/1\n\nĐây là thư tự động, xin đừng trả lời thư này.';

/** CPU time of this process (user + system, ms) spent in the last bare or outbox run: less sensitive than wall time to other load on a shared machine. */
const cpuMs: Record<string, number> = {};
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function bare(url: string, n = N): Promise<number> {
  const t = nodemailer.createTransport({ url, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity });
  const cpu0 = cpuNow();
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, (_v, i) => t.sendMail({ from: 'govflow <no-reply@govflow.local>', to: `don.vi.${i}@govflow.test`, subject, text: body, messageId: `<bare-${i}@govflow.local>` })));
  const ms = performance.now() - started;
  cpuMs.bare = cpuNow() - cpu0;
  t.close();
  return ms;
}

async function outbox(label: string, dbUrl: string, smtpUrl: string, dataDir: string): Promise<number> {
  setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: dbUrl, SECRET: 'bench-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'error', SMTP_URL: smtpUrl, NODE_NAME: 'bench', NOTIFY_RETRY_MS: '1000' }));
  await initStore(dbUrl);
  await migrate();
  const q0 = performance.now();
  // As an action that notifies many units at once: 1,000 messages per transaction.
  for (let i = 0; i < N; i += 1000) {
    await db().transaction(async (tx) => {
      const batch = Array.from({ length: Math.min(N, i + 1000) - i }, (_v, k) => i + k);
      await queueMessages(batch.map((j) => ({ channel: 'email' as const, event: 'approved', to: `don.vi.${j}@govflow.test`, data: { recipientName: 'Sở Tài chính', title: 'Báo cáo kinh tế – xã hội tháng 11 năm 2026', link: `http://localhost/r/${j}` } })), { transaction: tx });
    });
  }
  line(`${label}: queued ${N} in ${Math.round(performance.now() - q0)} ms (not counted)`);
  const cpu0 = cpuNow();
  const started = performance.now();
  while ((await runDueJobs()) > 0) { /* until nothing is due */ }
  const ms = performance.now() - started;
  cpuMs.outbox = cpuNow() - cpu0;
  const delivered = await NotifyMessage.count({ where: { status: 'delivered' } });
  if (delivered !== N) throw new Error(`${label}: only ${delivered} of ${N} delivered`);
  closeMailer();
  await closeStore();
  return ms;
}

const rate = (ms: number) => Math.round((N / ms) * 1000);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-bench-notify-'));
const smtp = await smtpServer();
try {
  // A warm-up first, so the baseline is not charged for the JIT compiling nodemailer.
  const WARMUP = Math.min(1000, N);
  await bare(smtp.url, WARMUP);
  const bareMs = await bare(smtp.url);
  line(`bare nodemailer (pool of ${CONNECTIONS}): ${N} in ${Math.round(bareMs)} ms = ${rate(bareMs)} msg/s, ${Math.round(cpuMs.bare)} ms CPU`);
  const bareCpu = cpuMs.bare;
  let bareRuns = 1;
  const sqliteMs = await outbox('outbox on SQLite', `sqlite:${path.join(dataDir, 'bench.sqlite')}`, smtp.url, dataDir);
  const sqliteCpu = cpuMs.outbox;
  line(`outbox on SQLite: ${N} delivered in ${Math.round(sqliteMs)} ms = ${rate(sqliteMs)} msg/s (${(bareMs / sqliteMs).toFixed(2)}× bare), ${Math.round(sqliteCpu)} ms CPU (${(bareCpu / sqliteCpu).toFixed(2)}× bare's CPU)`);
  let mysqlMs: number | null = null;
  let bareMysqlMs = bareMs;
  let bareMysqlCpu = bareCpu;
  if (mysqlUrl) {
    bareMysqlMs = await bare(smtp.url);
    bareMysqlCpu = cpuMs.bare;
    bareRuns++;
    line(`bare nodemailer again, before MariaDB: ${N} in ${Math.round(bareMysqlMs)} ms = ${rate(bareMysqlMs)} msg/s`);
    const name = `gf_bench_notify_${crypto.randomBytes(3).toString('hex')}`;
    const u = new URL(mysqlUrl.replace(/^mariadb:/, 'mysql:'));
    const admin = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    u.pathname = `/${name}`;
    try {
      mysqlMs = await outbox('outbox on MariaDB', u.toString(), smtp.url, dataDir);
      // The database server's own CPU is not in this process's figure.
      line(`outbox on MariaDB: ${N} delivered in ${Math.round(mysqlMs)} ms = ${rate(mysqlMs)} msg/s (${(bareMysqlMs / mysqlMs).toFixed(2)}× bare), ${Math.round(cpuMs.outbox)} ms CPU in this process (${(bareMysqlCpu / cpuMs.outbox).toFixed(2)}× bare's)`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    }
  }
  if (smtp.count() !== WARMUP + N * (bareRuns + (mysqlMs === null ? 1 : 2))) throw new Error(`the SMTP server received ${smtp.count()} messages`);
  line(JSON.stringify({
    bench: 'notify', messages: N, bareMsgPerSec: rate(bareMs), outboxSqliteMsgPerSec: rate(sqliteMs), ratioSqlite: Number((bareMs / sqliteMs).toFixed(3)),
    cpuRatioSqlite: Number((bareCpu / sqliteCpu).toFixed(3)),
    ...(mysqlMs !== null ? { bareBeforeMariadbMsgPerSec: rate(bareMysqlMs), outboxMariadbMsgPerSec: rate(mysqlMs), ratioMariadb: Number((bareMysqlMs / mysqlMs).toFixed(3)), cpuRatioMariadbClient: Number((bareMysqlCpu / cpuMs.outbox).toFixed(3)) } : {}), goal: 0.8,
  }));
} finally {
  await smtp.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import inspector from 'node:inspector/promises';
import { SMTPServer } from 'smtp-server';
import { loadConfig, setConfig } from '../src/config.ts';
import { initStore, closeStore, db } from '../src/store/index.ts';
import { migrate } from '../src/store/migrate.ts';
import { runDueJobs } from '../src/engine/service.ts';
import { queueMessages } from '../src/notify/service.ts';
import { closeMailer } from '../src/notify/channels.ts';

const N = Number(process.env.BENCH_N ?? 3000);
const server = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false, onData(stream, _s, cb) { stream.on('data', () => {}); stream.on('end', () => cb()); } });
await new Promise<void>((r) => server.listen(2599, '127.0.0.1', () => r()));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'np-'));
const dbUrl = process.env.PROF_DB ?? `sqlite:${path.join(dataDir, 'b.sqlite')}`;
setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: dbUrl, SECRET: 'bench-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'error', SMTP_URL: 'smtp://127.0.0.1:2599', NODE_NAME: 'bench', NOTIFY_RETRY_MS: '1000' }));
await initStore(dbUrl);
await migrate();
for (let i = 0; i < N; i += 1000) {
  await db().transaction(async (tx) => {
    const batch = Array.from({ length: Math.min(N, i + 1000) - i }, (_v, k) => i + k);
    await queueMessages(batch.map((j) => ({ channel: 'email' as const, event: 'approved', to: `don.vi.${j}@govflow.test`, data: { recipientName: 'Sở', title: 'Báo cáo', link: `http://localhost/r/${j}` } })), { transaction: tx });
  });
}
const s = new inspector.Session(); s.connect();
await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 200 }); await s.post('Profiler.start');
const t0 = performance.now(); const c0 = process.cpuUsage();
while ((await runDueJobs()) > 0) {}
const c = process.cpuUsage(c0);
console.log('wall', Math.round(performance.now() - t0), 'cpu', Math.round((c.user + c.system) / 1000));
const { profile } = await s.post('Profiler.stop');
fs.writeFileSync(process.env.PROF_OUT ?? '/tmp/np/out.cpuprofile', JSON.stringify(profile));
closeMailer(); await closeStore(); server.close(); process.exit(0);

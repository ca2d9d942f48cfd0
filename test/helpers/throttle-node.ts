// A second node for the rate-limit tests: opens the database of DATABASE_URL, says `ready`, and on `go`
// (a line on stdin) counts HITS requests at once against one limit; prints how many were allowed.
import readline from 'node:readline';
import { loadConfig, setConfig } from '../../src/config.ts';
import { initStore, closeStore } from '../../src/store/index.ts';
import { hitRateLimit } from '../../src/auth/throttle.ts';

const env = process.env;
setConfig(loadConfig({ NODE_ENV: 'test', DATA_DIR: env.DATA_DIR!, DATABASE_URL: env.DATABASE_URL!, SECRET: 'test-secret-'.padEnd(48, 'x'), LOG_LEVEL: 'silent', NODE_NAME: 'second' }));
await initStore(env.DATABASE_URL!);
const hits = Number(env.HITS);
const limit = Number(env.LIMIT);
const lines = readline.createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const answers = await Promise.all(Array.from({ length: hits }, () => hitRateLimit('track-code', env.VALUE!, limit, 600)));
  process.stdout.write(`allowed ${answers.filter((a) => a === null).length}\n`);
  break;
}
lines.close();
await closeStore();

// A small leveled logger writing one JSON line per event to stderr.
import { getConfig } from './config.ts';

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof levels, 'silent'>;

function write(level: Level, msg: string, extra?: Record<string, unknown>): void {
  if (levels[level] < levels[getConfig().logLevel]) return;
  process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level, msg, ...extra }) + '\n');
}

/** Structured logging for the whole process. */
export const log = {
  debug: (msg: string, extra?: Record<string, unknown>) => write('debug', msg, extra),
  info: (msg: string, extra?: Record<string, unknown>) => write('info', msg, extra),
  warn: (msg: string, extra?: Record<string, unknown>) => write('warn', msg, extra),
  error: (msg: string, extra?: Record<string, unknown>) => write('error', msg, extra),
};

// The one place that reads the environment. Everything else imports `config`.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import os from 'node:os';
import Joi from 'joi';

/** The validated, frozen configuration of one govflow process. */
export interface Config {
  /** Port the web server listens on. */
  port: number;
  /** Interface the web server binds to. */
  host: string;
  /** Public address of the site, used in links in mails and in the secure-cookie decision. */
  baseUrl: string;
  /** Folder for the SQLite file, the generated secret and uploads. */
  dataDir: string;
  /** `sqlite:PATH` or `mysql://…` / `mariadb://…`; defaults to a SQLite file in `dataDir`. */
  databaseUrl: string;
  /** Key for signing cookies and other secrets (at least 32 characters). */
  secret: string;
  /** SMTP server for outgoing mail, e.g. `smtp://localhost:2525`; empty disables mail. */
  smtpUrl: string;
  /** Sender address of outgoing mail. */
  mailFrom: string;
  /** `development`, `production` or `test`. */
  nodeEnv: 'development' | 'production' | 'test';
  /** Whether `serve` seeds demo data into an empty database. */
  seedDemo: boolean;
  /** Log level: `debug`, `info`, `warn`, `error` or `silent`. */
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Failed logins in a row before an account is locked for a while. */
  loginMaxFailures: number;
  /** Minutes an account stays locked after too many failed logins (doubles each time). */
  loginLockMinutes: number;
  /** Hours a login session stays valid without activity. */
  sessionHours: number;
  /** Milliseconds between two polls of the job worker. */
  jobPollMs: number;
  /** Milliseconds a claimed job stays leased to one node. */
  jobLeaseMs: number;
  /** Whether this node runs the job worker (timers, reminders, outbox). */
  jobWorker: boolean;
  /** Running process instances this node keeps in memory between actions (0: none; each costs 0.4–1 MB). */
  engineCache: number;
  /** Milliseconds a FEEL expression that is not bounded by its input may run (on a worker thread) before it is stopped. */
  feelTimeoutMs: number;
  /** Megabytes of heap the worker thread that evaluates such expressions may use. */
  feelMaxMemoryMb: number;
  /** Largest number-literal range (`1..n`) an expression may iterate over; larger ones are refused at deploy and publish. */
  feelMaxRange: number;
  /** Name of this node in job leases and logs; defaults to host name and process id. */
  nodeName: string;
  /** A MariaDB/MySQL URL used by the test suite for its second run; empty runs SQLite only. */
  testDatabaseUrl: string;
}

const schema = Joi.object({
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  HOST: Joi.string().hostname().default('0.0.0.0'),
  BASE_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  DATA_DIR: Joi.string().default('./data'),
  DATABASE_URL: Joi.string().pattern(/^(sqlite:|mysql:\/\/|mariadb:\/\/)/, 'sqlite:PATH, mysql://… or mariadb://…'),
  // A production node must share one key with its peers, so it is never generated there.
  SECRET: Joi.string().min(32).when('NODE_ENV', {
    is: 'production',
    then: Joi.required().messages({ 'any.required': '"SECRET" is required when NODE_ENV=production' }),
  }),
  SMTP_URL: Joi.string().uri({ scheme: ['smtp', 'smtps'] }).allow('').default(''),
  MAIL_FROM: Joi.string().default('govflow <no-reply@govflow.local>'),
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  SEED_DEMO: Joi.boolean().truthy('1').falsy('0'),
  LOG_LEVEL: Joi.string().valid('debug', 'info', 'warn', 'error', 'silent'),
  LOGIN_MAX_FAILURES: Joi.number().integer().min(1).default(5),
  LOGIN_LOCK_MINUTES: Joi.number().integer().min(1).default(15),
  SESSION_HOURS: Joi.number().min(0.1).default(8),
  JOB_POLL_MS: Joi.number().integer().min(10).default(500),
  JOB_LEASE_MS: Joi.number().integer().min(100).default(30000),
  JOB_WORKER: Joi.boolean().truthy('1').falsy('0').default(true),
  ENGINE_CACHE: Joi.number().integer().min(0).max(100000).default(100),
  FEEL_TIMEOUT_MS: Joi.number().integer().min(1).max(60000).default(50),
  FEEL_MAX_MEMORY_MB: Joi.number().integer().min(8).max(4096).default(64),
  FEEL_MAX_RANGE: Joi.number().integer().min(1).default(100000),
  NODE_NAME: Joi.string(),
  TEST_DATABASE_URL: Joi.string().pattern(/^(mysql|mariadb):\/\//, 'mysql://… or mariadb://…').allow('').default(''),
})
  .unknown(true);

/** Thrown once at start-up with every configuration problem listed. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function readOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret.key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = crypto.randomBytes(48).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/** Validates an environment (process.env by default) and returns a frozen config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const { value: v, error } = schema.validate(env, { abortEarly: false, convert: true });
  if (error) throw new ConfigError(error.details.map((d) => d.message));
  const dataDir = path.resolve(v.DATA_DIR);
  const nodeEnv = v.NODE_ENV as Config['nodeEnv'];
  const port = v.PORT as number;
  return Object.freeze({
    port,
    host: v.HOST,
    baseUrl: (v.BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    dataDir,
    databaseUrl: v.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'govflow.sqlite')}`,
    secret: v.SECRET ?? readOrCreateSecret(dataDir),
    smtpUrl: v.SMTP_URL,
    mailFrom: v.MAIL_FROM,
    nodeEnv,
    seedDemo: v.SEED_DEMO ?? nodeEnv === 'development',
    logLevel: v.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    loginMaxFailures: v.LOGIN_MAX_FAILURES,
    loginLockMinutes: v.LOGIN_LOCK_MINUTES,
    sessionHours: v.SESSION_HOURS,
    jobPollMs: v.JOB_POLL_MS,
    jobLeaseMs: v.JOB_LEASE_MS,
    jobWorker: v.JOB_WORKER,
    engineCache: v.ENGINE_CACHE,
    feelTimeoutMs: v.FEEL_TIMEOUT_MS,
    feelMaxMemoryMb: v.FEEL_MAX_MEMORY_MB,
    feelMaxRange: v.FEEL_MAX_RANGE,
    nodeName: v.NODE_NAME ?? `${os.hostname()}-${process.pid}`,
    testDatabaseUrl: v.TEST_DATABASE_URL,
  });
}

let current: Readonly<Config> | undefined;

/** The process's configuration, validated on first use. */
export function getConfig(): Readonly<Config> {
  current ??= loadConfig();
  return current;
}

/** Replaces the process's configuration (tests and the CLI's --flags). */
export function setConfig(next: Readonly<Config>): void {
  current = next;
}

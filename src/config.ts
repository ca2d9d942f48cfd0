// The one place that reads the environment. Everything else imports `config`.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
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
  /** HMAC keys of the audit chain, newest first: the first signs new rows, the others keep older rows verifiable. */
  auditKeys: ReadonlyArray<AuditKey>;
  /** SMTP server for outgoing mail, e.g. `smtp://localhost:2525`; empty disables mail. */
  smtpUrl: string;
  /** Sender address of outgoing mail. */
  mailFrom: string;
  /** Tries of one notification before it is left failed (a permanent failure stops at once). */
  notifyMaxAttempts: number;
  /** Milliseconds before the second try of a notification; the wait doubles each time, with jitter. */
  notifyRetryMs: number;
  /** SMS gateway that takes a JSON POST (`{to, text, brandname}`) with the API key; empty disables SMS. */
  notifySmsUrl: string;
  /** API key sent to the SMS gateway in the `x-api-key` header. */
  notifySmsKey: string;
  /** Sender name (brandname) shown on SMS. */
  notifySmsBrand: string;
  /** Failed notifications at which administrators are alerted (0: never). */
  notifyAlertFailed: number;
  /** Open engine incidents at which administrators are alerted (0: never). */
  notifyAlertIncidents: number;
  /** Failed jobs at which administrators are alerted (0: never). */
  notifyAlertFailedJobs: number;
  /** Milliseconds between two checks of the alert thresholds. */
  notifyAlertEveryMs: number;
  /** Milliseconds during which one kind of alert is not sent again. */
  notifyAlertQuietMs: number;
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
  /** Seconds of one window of the login and registration rate limits. */
  authRateWindowSeconds: number;
  /** Login attempts one client IP may make per window (all usernames together). */
  loginRatePerIp: number;
  /** Login attempts per window for one submitted username, from any IP. */
  loginRatePerUsername: number;
  /** Registrations one client IP may submit per window. */
  registerRatePerIp: number;
  /** Registrations per window for one e-mail address, from any IP. */
  registerRatePerEmail: number;
  /** Proxies in front of the nodes whose `X-Forwarded-For` entry is trusted for the client IP (0: none). */
  trustProxyHops: number;
  /** Milliseconds between two polls of the job worker. */
  jobPollMs: number;
  /** Milliseconds a claimed job stays leased to one node. */
  jobLeaseMs: number;
  /** Whether this node runs the job worker (timers, reminders, outbox). */
  jobWorker: boolean;
  /** Running process instances this node keeps in memory between actions (0: none; each costs 0.4–1 MB). */
  engineCache: number;
  /** Element transitions one engine action may run before it stops with an incident (a runaway loop). */
  engineMaxTransitions: number;
  /** Longest wait in milliseconds of one long-polling `fetchAndLock` (`asyncResponseTimeout` above it is cut to it). */
  engineRestMaxWaitMs: number;
  /** Milliseconds a FEEL expression that is not bounded by its input may run (on a worker thread) before it is stopped. */
  feelTimeoutMs: number;
  /** Megabytes of heap the worker thread that evaluates such expressions may use. */
  feelMaxMemoryMb: number;
  /** Largest number-literal range (`1..n`) an expression may iterate over; larger ones are refused at deploy and publish. */
  feelMaxRange: number;
  /** Name of this node in job leases and logs; defaults to host name and process id. */
  nodeName: string;
  /** 32-byte key (base64) that encrypts stored signing keys and uploaded PKCS#12 files (AES-256-GCM). */
  signingKey: string;
  /** Folder of trusted root certificates (`*.pem`, `*.crt`, `*.cer`) and revocation lists (`*.crl`) for signatures. */
  signingTrustDir: string;
  /** Office hours of receiving desks, `HH:MM-HH:MM` in Vietnam time; dossiers received outside them count from the next opening. */
  officeHours: string;
  /** Electronic ID code (QĐ 20/2020/QĐ-TTg) used in dossier codes of receiving units whose own code is not known. */
  dossierElectronicId: string;
  /** Merchant code (vnp_TmnCode) at the VNPay-style gateway; empty turns online payment off. */
  paymentVnpayTmnCode: string;
  /** Merchant secret (vnp_HashSecret) that signs requests and notifications with HMAC-SHA512. */
  paymentVnpaySecret: string;
  /** The gateway's payment page (vpcpay) the payer is redirected to; the local sandbox outside production. */
  paymentVnpayUrl: string;
  /** Whether the local sandbox gateway (`/payments/sandbox/vnpay`) is served; never in production. */
  paymentSandbox: boolean;
  /** Where the sandbox sends its notifications (IPN); empty: this server itself. */
  paymentSandboxIpnUrl: string;
  /** Working days an agency has to answer a feedback case (from receipt by the competent agency). */
  feedbackDays: number;
  /** Days after publication during which the submitter may ask once for a case to be looked at again. */
  feedbackReopenDays: number;
  /** Org unit code that receives feedback whose submitter is not sure of the agency. */
  feedbackDefaultOrg: string;
  /** Seconds of one window of the feedback rate limits. */
  feedbackRateWindowSeconds: number;
  /** Feedback cases one client IP may send per window. */
  feedbackRatePerIp: number;
  /** Feedback cases per window for one phone number or e-mail address, from any IP. */
  feedbackRatePerContact: number;
  /** Tracking look-ups (code and second factor) one client IP may make per window. */
  feedbackTrackPerIp: number;
  /** Limits of the dossier handling steps in working days, `receive=0.5,approve=1,issue=0.5,return=0.5` (unnamed steps keep their defaults; `handle` gets the rest of the procedure's limit). */
  dossierStepLimits: string;
  /** Public tracking lookups one client IP may make per window (every dossier code together). */
  trackingRatePerIp: number;
  /** Public tracking lookups per window for one submitted dossier code (known or not), from any IP. */
  trackingRatePerCode: number;
  /** Seconds of one window of the tracking rate limits. */
  trackingRateWindowSeconds: number;
  /** Minutes an e-mailed one-time tracking code stays valid. */
  trackingCodeMinutes: number;
  /** A MariaDB/MySQL URL used by the test suite for its second run; empty runs SQLite only. */
  testDatabaseUrl: string;
  /** JSON file of the Decision 766 ranking: groups, sub-indicators, weights and formulas (docs/rankings.md). */
  rankingConfig: string;
}

/** One HMAC key of the audit chain, named by the id stored in each row it signed. */
export interface AuditKey {
  id: string;
  secret: string;
}

const AUDIT_KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;

/** Parses `id:secret,id:secret`; the first pair signs new rows. */
function parseAuditKeys(value: string): AuditKey[] {
  return value.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
    const colon = pair.indexOf(':');
    return colon < 0 ? { id: '', secret: pair } : { id: pair.slice(0, colon), secret: pair.slice(colon + 1) };
  });
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
  // Distinct from SECRET so that whoever holds the cookie key cannot rewrite history; never generated in production.
  AUDIT_KEYS: Joi.string().custom((value: string, helpers) => {
    const keys = parseAuditKeys(value);
    if (keys.length === 0) return helpers.message({ custom: '"AUDIT_KEYS" must hold at least one id:secret pair' });
    const ids = new Set<string>();
    for (const k of keys) {
      if (!AUDIT_KEY_ID.test(k.id)) return helpers.message({ custom: `"AUDIT_KEYS" key id "${k.id}" must be 1–32 letters, digits, ".", "_" or "-", followed by ":" and the secret` });
      if (k.secret.length < 32) return helpers.message({ custom: `"AUDIT_KEYS" secret of key "${k.id}" must be at least 32 characters` });
      if (ids.has(k.id)) return helpers.message({ custom: `"AUDIT_KEYS" names key "${k.id}" twice` });
      if (k.secret === helpers.state.ancestors[0]?.SECRET) return helpers.message({ custom: `"AUDIT_KEYS" secret of key "${k.id}" must differ from SECRET` });
      ids.add(k.id);
    }
    return value;
  }).when('NODE_ENV', {
    is: 'production',
    then: Joi.required().messages({ 'any.required': '"AUDIT_KEYS" is required when NODE_ENV=production' }),
  }),
  SMTP_URL: Joi.string().uri({ scheme: ['smtp', 'smtps'] }).allow('').default(''),
  MAIL_FROM: Joi.string().default('govflow <no-reply@govflow.local>'),
  NOTIFY_MAX_ATTEMPTS: Joi.number().integer().min(1).max(100).default(10),
  NOTIFY_RETRY_MS: Joi.number().integer().min(10).default(60000),
  NOTIFY_SMS_URL: Joi.string().uri({ scheme: ['http', 'https'] }).allow('').default(''),
  NOTIFY_SMS_KEY: Joi.string().allow('').default(''),
  NOTIFY_SMS_BRAND: Joi.string().max(11).default('GOVFLOW'),
  NOTIFY_ALERT_FAILED: Joi.number().integer().min(0).default(20),
  NOTIFY_ALERT_INCIDENTS: Joi.number().integer().min(0).default(5),
  NOTIFY_ALERT_FAILED_JOBS: Joi.number().integer().min(0).default(5),
  NOTIFY_ALERT_EVERY_MS: Joi.number().integer().min(100).default(300000),
  NOTIFY_ALERT_QUIET_MS: Joi.number().integer().min(0).default(3600000),
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  SEED_DEMO: Joi.boolean().truthy('1').falsy('0'),
  LOG_LEVEL: Joi.string().valid('debug', 'info', 'warn', 'error', 'silent'),
  LOGIN_MAX_FAILURES: Joi.number().integer().min(1).default(5),
  LOGIN_LOCK_MINUTES: Joi.number().integer().min(1).default(15),
  SESSION_HOURS: Joi.number().min(0.1).default(8),
  AUTH_RATE_WINDOW_SECONDS: Joi.number().integer().min(1).default(600),
  LOGIN_RATE_PER_IP: Joi.number().integer().min(1).default(300),
  LOGIN_RATE_PER_USERNAME: Joi.number().integer().min(1).default(20),
  REGISTER_RATE_PER_IP: Joi.number().integer().min(1).default(20),
  REGISTER_RATE_PER_EMAIL: Joi.number().integer().min(1).default(3),
  TRUST_PROXY_HOPS: Joi.number().integer().min(0).max(10).default(0),
  JOB_POLL_MS: Joi.number().integer().min(10).default(500),
  JOB_LEASE_MS: Joi.number().integer().min(100).default(30000),
  JOB_WORKER: Joi.boolean().truthy('1').falsy('0').default(true),
  ENGINE_CACHE: Joi.number().integer().min(0).max(100000).default(100),
  ENGINE_MAX_TRANSITIONS: Joi.number().integer().min(10).max(10000000).default(10000),
  ENGINE_REST_MAX_WAIT_MS: Joi.number().integer().min(0).max(1800000).default(60000),
  FEEL_TIMEOUT_MS: Joi.number().integer().min(1).max(60000).default(50),
  FEEL_MAX_MEMORY_MB: Joi.number().integer().min(8).max(4096).default(64),
  FEEL_MAX_RANGE: Joi.number().integer().min(1).default(100000),
  NODE_NAME: Joi.string(),
  SIGNING_KEY: Joi.string().base64({ paddingRequired: false }).length(44).messages({ 'string.length': '"SIGNING_KEY" must be 32 bytes in base64 (44 characters)' }),
  SIGNING_TRUST_DIR: Joi.string(),
  OFFICE_HOURS: Joi.string().trim().custom((value: string, helpers) => {
    const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(value);
    if (!m || Number(m[1]) * 60 + Number(m[2]) >= Number(m[3]) * 60 + Number(m[4]) || Number(m[3]) * 60 + Number(m[4]) > 1440) return helpers.message({ custom: '"OFFICE_HOURS" must be HH:MM-HH:MM with the opening before the closing, e.g. 08:00-17:00' });
    return value;
  }).default('08:00-17:00'),
  DOSSIER_ELECTRONIC_ID: Joi.string().trim().pattern(/^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$/, 'an electronic ID code like 000.00.00.G22').default('000.00.00.X00'),
  PAYMENT_VNPAY_TMNCODE: Joi.string().trim().pattern(/^[A-Za-z0-9]{1,16}$/, 'up to 16 letters or digits').allow(''),
  // A production merchant needs its own secret from the gateway; outside production one is derived from SECRET.
  PAYMENT_VNPAY_SECRET: Joi.string().min(16).when('NODE_ENV', {
    is: 'production',
    then: Joi.when('PAYMENT_VNPAY_TMNCODE', { is: Joi.string().min(1).required(), then: Joi.required().messages({ 'any.required': '"PAYMENT_VNPAY_SECRET" is required when PAYMENT_VNPAY_TMNCODE is set in production' }) }),
  }),
  PAYMENT_VNPAY_URL: Joi.string().uri({ scheme: ['http', 'https'] }).when('NODE_ENV', {
    is: 'production',
    then: Joi.when('PAYMENT_VNPAY_TMNCODE', { is: Joi.string().min(1).required(), then: Joi.required().messages({ 'any.required': '"PAYMENT_VNPAY_URL" is required when PAYMENT_VNPAY_TMNCODE is set in production' }) }),
  }),
  PAYMENT_SANDBOX: Joi.boolean().truthy('1').falsy('0').when('NODE_ENV', {
    is: 'production',
    then: Joi.valid(false).messages({ 'any.only': '"PAYMENT_SANDBOX" cannot be on when NODE_ENV=production' }),
  }),
  PAYMENT_SANDBOX_IPN_URL: Joi.string().uri({ scheme: ['http', 'https'] }).allow('').default(''),
  FEEDBACK_DAYS: Joi.number().integer().min(1).max(90).default(10),
  FEEDBACK_REOPEN_DAYS: Joi.number().integer().min(1).max(365).default(15),
  FEEDBACK_DEFAULT_ORG: Joi.string().trim().pattern(/^[A-Za-z0-9._-]{1,40}$/).default('G22'),
  FEEDBACK_RATE_WINDOW_SECONDS: Joi.number().integer().min(1).default(3600),
  FEEDBACK_RATE_PER_IP: Joi.number().integer().min(1).default(10),
  FEEDBACK_RATE_PER_CONTACT: Joi.number().integer().min(1).default(3),
  FEEDBACK_TRACK_PER_IP: Joi.number().integer().min(1).default(30),
  DOSSIER_STEP_LIMITS: Joi.string().trim().allow('').pattern(/^(\s*(receive|handle|approve|issue|return)\s*=\s*\d+(\.5)?\s*)(,\s*(receive|handle|approve|issue|return)\s*=\s*\d+(\.5)?\s*)*$/, 'step=days pairs like receive=0.5,approve=1 (steps receive, handle, approve, issue, return; whole or half days)').default(''),
  TRACKING_RATE_PER_IP: Joi.number().integer().min(1).default(60),
  TRACKING_RATE_PER_CODE: Joi.number().integer().min(1).default(10),
  TRACKING_RATE_WINDOW_SECONDS: Joi.number().integer().min(1).default(900),
  TRACKING_CODE_MINUTES: Joi.number().integer().min(1).max(1440).default(15),
  TEST_DATABASE_URL: Joi.string().pattern(/^(mysql|mariadb):\/\//, 'mysql://… or mariadb://…').allow('').default(''),
  RANKING_CONFIG: Joi.string().trim().min(1),
})
  .unknown(true);

/** Thrown once at start-up with every configuration problem listed. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads a generated key file, creating it first when missing. The file appears whole or not at all (written aside,
 * then hard-linked into place), so nodes starting together on one DATA_DIR all end up with the first one's key.
 */
export function readOrCreateKeyFile(file: string, make: () => string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(aside, make().trim() + '\n', { mode: 0o600 });
  try {
    fs.linkSync(aside, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(aside, { force: true });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function readOrCreateSecret(dataDir: string): string {
  return readOrCreateKeyFile(path.join(dataDir, 'secret.key'), () => crypto.randomBytes(48).toString('base64url'));
}

/** A development audit key; its id is a fingerprint, so rows signed by another node's generated key are told apart. */
function readOrCreateAuditKey(dataDir: string): AuditKey[] {
  return parseAuditKeys(readOrCreateKeyFile(path.join(dataDir, 'audit.key'), () => {
    const secret = crypto.randomBytes(48).toString('base64url');
    return `dev-${crypto.createHash('sha256').update(secret).digest('hex').slice(0, 12)}:${secret}`;
  }));
}

function readOrCreateSigningKey(dataDir: string): string {
  const file = path.join(dataDir, 'signing.key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const key = crypto.randomBytes(32).toString('base64');
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}

// Nodes of one production deployment share SECRET, so a key derived from it opens every node's stored keys.
function signingKeyFromSecret(secret: string): string {
  return Buffer.from(crypto.hkdfSync('sha256', secret, 'govflow', 'signing-key', 32)).toString('base64');
}

// Outside production the app and its sandbox gateway share one merchant secret, derived so it needs no setup.
function paymentSecretFromSecret(secret: string): string {
  return Buffer.from(crypto.hkdfSync('sha256', secret, 'govflow', 'payment-sandbox', 32)).toString('hex');
}

/** Validates an environment (process.env by default) and returns a frozen config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const { value: v, error } = schema.validate(env, { abortEarly: false, convert: true });
  if (error) throw new ConfigError(error.details.map((d) => d.message));
  const dataDir = path.resolve(v.DATA_DIR);
  const nodeEnv = v.NODE_ENV as Config['nodeEnv'];
  const port = v.PORT as number;
  const secret: string = v.SECRET ?? readOrCreateSecret(dataDir);
  return Object.freeze({
    port,
    host: v.HOST,
    baseUrl: (v.BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    dataDir,
    databaseUrl: v.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'govflow.sqlite')}`,
    secret,
    auditKeys: Object.freeze((v.AUDIT_KEYS ? parseAuditKeys(v.AUDIT_KEYS) : readOrCreateAuditKey(dataDir)).map((k) => Object.freeze(k))),
    smtpUrl: v.SMTP_URL,
    mailFrom: v.MAIL_FROM,
    notifyMaxAttempts: v.NOTIFY_MAX_ATTEMPTS,
    notifyRetryMs: v.NOTIFY_RETRY_MS,
    notifySmsUrl: v.NOTIFY_SMS_URL,
    notifySmsKey: v.NOTIFY_SMS_KEY,
    notifySmsBrand: v.NOTIFY_SMS_BRAND,
    notifyAlertFailed: v.NOTIFY_ALERT_FAILED,
    notifyAlertIncidents: v.NOTIFY_ALERT_INCIDENTS,
    notifyAlertFailedJobs: v.NOTIFY_ALERT_FAILED_JOBS,
    notifyAlertEveryMs: v.NOTIFY_ALERT_EVERY_MS,
    notifyAlertQuietMs: v.NOTIFY_ALERT_QUIET_MS,
    nodeEnv,
    seedDemo: v.SEED_DEMO ?? nodeEnv === 'development',
    logLevel: v.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    loginMaxFailures: v.LOGIN_MAX_FAILURES,
    loginLockMinutes: v.LOGIN_LOCK_MINUTES,
    sessionHours: v.SESSION_HOURS,
    authRateWindowSeconds: v.AUTH_RATE_WINDOW_SECONDS,
    loginRatePerIp: v.LOGIN_RATE_PER_IP,
    loginRatePerUsername: v.LOGIN_RATE_PER_USERNAME,
    registerRatePerIp: v.REGISTER_RATE_PER_IP,
    registerRatePerEmail: v.REGISTER_RATE_PER_EMAIL,
    trustProxyHops: v.TRUST_PROXY_HOPS,
    jobPollMs: v.JOB_POLL_MS,
    jobLeaseMs: v.JOB_LEASE_MS,
    jobWorker: v.JOB_WORKER,
    engineCache: v.ENGINE_CACHE,
    engineMaxTransitions: v.ENGINE_MAX_TRANSITIONS,
    engineRestMaxWaitMs: v.ENGINE_REST_MAX_WAIT_MS,
    feelTimeoutMs: v.FEEL_TIMEOUT_MS,
    feelMaxMemoryMb: v.FEEL_MAX_MEMORY_MB,
    feelMaxRange: v.FEEL_MAX_RANGE,
    nodeName: v.NODE_NAME ?? `${os.hostname()}-${process.pid}`,
    signingKey: v.SIGNING_KEY ?? (nodeEnv === 'production' ? signingKeyFromSecret(v.SECRET) : readOrCreateSigningKey(dataDir)),
    signingTrustDir: path.resolve(v.SIGNING_TRUST_DIR ?? path.join(dataDir, 'signing', 'trust')),
    officeHours: v.OFFICE_HOURS,
    dossierElectronicId: v.DOSSIER_ELECTRONIC_ID,
    paymentVnpayTmnCode: v.PAYMENT_VNPAY_TMNCODE ?? (nodeEnv === 'production' ? '' : 'GOVFLOW0'),
    paymentVnpaySecret: v.PAYMENT_VNPAY_SECRET ?? (nodeEnv === 'production' ? '' : paymentSecretFromSecret(secret)),
    paymentVnpayUrl: (v.PAYMENT_VNPAY_URL ?? (nodeEnv === 'production' ? '' : `${(v.BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, '')}/payments/sandbox/vnpay`)),
    paymentSandbox: v.PAYMENT_SANDBOX ?? nodeEnv !== 'production',
    paymentSandboxIpnUrl: v.PAYMENT_SANDBOX_IPN_URL,
    feedbackDays: v.FEEDBACK_DAYS,
    feedbackReopenDays: v.FEEDBACK_REOPEN_DAYS,
    feedbackDefaultOrg: v.FEEDBACK_DEFAULT_ORG,
    feedbackRateWindowSeconds: v.FEEDBACK_RATE_WINDOW_SECONDS,
    feedbackRatePerIp: v.FEEDBACK_RATE_PER_IP,
    feedbackRatePerContact: v.FEEDBACK_RATE_PER_CONTACT,
    feedbackTrackPerIp: v.FEEDBACK_TRACK_PER_IP,
    dossierStepLimits: v.DOSSIER_STEP_LIMITS,
    trackingRatePerIp: v.TRACKING_RATE_PER_IP,
    trackingRatePerCode: v.TRACKING_RATE_PER_CODE,
    trackingRateWindowSeconds: v.TRACKING_RATE_WINDOW_SECONDS,
    trackingCodeMinutes: v.TRACKING_CODE_MINUTES,
    testDatabaseUrl: v.TEST_DATABASE_URL,
    rankingConfig: path.resolve(v.RANKING_CONFIG ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'config', 'ranking-766.json')),
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

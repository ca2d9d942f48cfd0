// The durable job table: BPMN timers, service retries, timer start events and other domains' kinds.
// Each node's worker claims due jobs with a lease (owner + expiry): FOR UPDATE SKIP LOCKED on
// MariaDB/MySQL, one guarded UPDATE on SQLite (a single writer). A crashed node's leases expire and
// its jobs are claimed again; timers fire once because the instance's version column lets only one
// resume of a state commit.
import crypto from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import { EngineJob } from './models.ts';
import { jobHandler, registerJobKind, type JobCall, type JobHandler } from './handlers.ts';
import { JOB_CALL, JOB_CALL_CANCEL, JOB_CALL_DONE, JOB_CALL_FAILED, JOB_SERVICE, JOB_TIMER, JOB_TIMER_START, callFailed, cancelCalledProcess, resumeInstance, retryServiceExecution, returnFromCall, startByTimer, startCalledProcess } from './runtime.ts';
import { onDeployed } from './definitions.ts';
import { durationMs, resolveString } from './feel.ts';
import { AppError } from '../errors.ts';
import { db, isMysql } from '../store/index.ts';
import { engineTransaction } from './write-lock.ts';
import { isTransient, modelsOf, placeholders, withTx } from './sql.ts';
import { getConfig } from '../config.ts';
import { log } from '../log.ts';

/** Kinds whose rows the runtime writes and removes itself in the instance's transaction. */
const ENGINE_KINDS = new Set([JOB_TIMER, JOB_SERVICE]);

/** Tries of a domain job before it is marked failed. */
const MAX_JOB_ATTEMPTS = 5;
/** Jobs claimed per poll. */
const BATCH = 50;
/** Jobs run at once by one worker. */
const CONCURRENCY = 8;

/** Schedules a job of a registered kind to run at (or after) runAt. */
export async function enqueueJob(kind: string, payload: unknown, runAt: Date = new Date(), opts: { instanceId?: string; transaction?: Transaction | null } = {}): Promise<number> {
  const row = await EngineJob.create({
    kind, payload: payload === undefined ? null : JSON.stringify(payload), runAt, instanceId: opts.instanceId ?? null, status: 'pending', attempts: 0,
  }, { transaction: opts.transaction ?? undefined });
  return row.id;
}

let claimSeq = 0;

/** A UTC instant as MySQL DATETIME(3) text; replacements of Date objects would drop the milliseconds. */
function sqlTime(d: Date): string {
  return d.toISOString().slice(0, 23).replace('T', ' ');
}

/** Claims up to `limit` due jobs for this node (only of `kind` when given); returns them leased. */
export async function claimJobs(limit = BATCH, owner = getConfig().nodeName, kind?: string): Promise<EngineJob[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await claimOnce(limit, owner, kind);
    } catch (err) {
      // Claims of several nodes can deadlock on the index; the loser simply claims again.
      if (!isTransient(err) || attempt >= 3) throw err;
    }
  }
}


async function claimOnce(limit: number, owner: string, kind?: string): Promise<EngineJob[]> {
  const now = new Date();
  const leaseUntil = new Date(now.getTime() + getConfig().jobLeaseMs);
  // A unique token per claim lets us read back exactly the rows this claim took.
  const token = `${owner}#${++claimSeq}#${crypto.randomBytes(3).toString('hex')}`;
  const sequelize = db();
  if (isMysql()) {
    // READ COMMITTED takes no gap locks, so claims do not deadlock with inserts of new jobs. Two round
    // trips: lock the due rows, then lease them, read them back and commit.
    const claimed = await withTx(async (tx) => {
      const due = await tx.all<{ id: number }>(
        `SELECT id FROM engine_jobs WHERE status = 'pending' AND run_at <= ? AND (lease_until IS NULL OR lease_until < ?)${kind === undefined ? '' : ' AND kind = ?'} ORDER BY run_at LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED`,
        kind === undefined ? [sqlTime(now), sqlTime(now)] : [sqlTime(now), sqlTime(now), kind]);
      if (!due.length) return null;
      const ids = due.map((r) => Number(r.id));
      void tx.queue(`UPDATE engine_jobs SET lease_owner = ?, lease_until = ? WHERE id IN (${placeholders(ids.length)})`, [token, sqlTime(leaseUntil), ...ids]);
      // Wrapped: the rows arrive with the COMMIT, after this function has returned.
      return { rows: tx.queueRows<Record<string, unknown>>(`SELECT * FROM engine_jobs WHERE id IN (${placeholders(ids.length)}) ORDER BY run_at`, ids) };
    }, { readCommitted: true });
    return claimed ? modelsOf(EngineJob, await claimed.rows) : [];
  }
  const ofKind = kind === undefined ? '' : ` AND kind = ${sequelize.escape(kind)}`;
  await EngineJob.update({ leaseOwner: token, leaseUntil }, {
    where: {
      id: { [Op.in]: sequelize.literal(`(SELECT id FROM engine_jobs WHERE status = 'pending' AND run_at <= ${sequelize.escape(now.toISOString().replace('T', ' ').replace('Z', ' +00:00'))} AND (lease_until IS NULL OR lease_until < ${sequelize.escape(now.toISOString().replace('T', ' ').replace('Z', ' +00:00'))})${ofKind} ORDER BY run_at LIMIT ${Number(limit)})`) },
    },
  });
  return EngineJob.findAll({ where: { leaseOwner: token }, order: [['runAt', 'ASC']] });
}

function toCall(job: EngineJob): JobCall {
  return { id: job.id, kind: job.kind, payload: job.payload ? JSON.parse(job.payload) : null, attempts: job.attempts, instanceId: job.instanceId, elementId: job.elementId, executionId: job.executionId };
}

/** Runs one claimed job and removes it, or schedules its next try. */
export async function runJob(job: EngineJob): Promise<void> {
  const handler = jobHandler(job.kind);
  try {
    if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
    await handler(toCall(job));
    // The instance's own transaction removed an engine job whose timer fired; a row still there is still
    // wanted (not due yet by the engine's clock) and is claimed again when its lease runs out.
    if (!ENGINE_KINDS.has(job.kind)) await EngineJob.destroy({ where: { id: job.id, leaseOwner: job.leaseOwner } });
  } catch (err) {
    await jobFailed(job, err);
  }
}

/** What a failed try of a claimed job leaves: the row removed, released for another try, or marked failed. */
async function jobFailed(job: EngineJob, err: unknown): Promise<void> {
  if (err instanceof AppError && err.code === 'engine.instanceNotActive') {
    // The instance ended meanwhile; its jobs have nothing left to do.
    await EngineJob.destroy({ where: { id: job.id, leaseOwner: job.leaseOwner } });
    return;
  }
  if ((err instanceof AppError && err.status === 409) || isTransient(err)) {
    // Another node moved the instance first; try again shortly from the new state.
    await EngineJob.update({ leaseOwner: null, leaseUntil: null, runAt: new Date(Date.now() + 50) }, { where: { id: job.id, leaseOwner: job.leaseOwner } });
    return;
  }
  if (err instanceof AppError && err.status === 404 && job.instanceId) {
    await EngineJob.destroy({ where: { id: job.id, leaseOwner: job.leaseOwner } });
    return;
  }
  const attempts = job.attempts + 1;
  const failed = attempts >= MAX_JOB_ATTEMPTS;
  log.warn('job failed', { id: job.id, kind: job.kind, attempts, error: String((err as Error)?.message ?? err) });
  await EngineJob.update({
    attempts, lastError: String((err as Error)?.stack ?? err).slice(0, 4000), leaseOwner: null, leaseUntil: null,
    status: failed ? 'failed' : 'pending', runAt: new Date(Date.now() + 1000 * 2 ** attempts),
  }, { where: { id: job.id, leaseOwner: job.leaseOwner } });
}

/** A job kind whose due jobs run together, several in one call (e.g. one batch start for many rows). */
export interface BatchJobKind {
  /** Most jobs one call takes (default 50). */
  max?: number;
  /**
   * Runs several claimed jobs of the kind at once. Answers the jobs that failed, by job id, with their errors
   * (each then takes the usual retry path); the other jobs are done and removed. A throw fails no job by
   * itself: the worker then runs each job of the call alone through the kind's one-job handler.
   */
  runMany(jobs: JobCall[]): Promise<ReadonlyMap<number, unknown> | void>;
}

const batchKinds = new Map<string, Required<BatchJobKind>>();

/**
 * Registers a job kind that runs one job through `run` (a retry, a batch's fallback) and several due
 * jobs at once through `runMany`: when a worker's claim holds jobs of the kind, it claims more due jobs
 * of that kind up to `max` and hands them over together, under the same leases as any job.
 */
export function registerBatchJobKind(kind: string, run: JobHandler, spec: BatchJobKind): void {
  registerJobKind(kind, run);
  batchKinds.set(kind, { max: Math.max(1, Math.floor(spec.max ?? BATCH)), runMany: spec.runMany.bind(spec) });
}

/** Removes done jobs that this node still holds, one statement per claim token. */
async function removeHeld(jobs: EngineJob[]): Promise<void> {
  const byToken = new Map<string, number[]>();
  for (const j of jobs) byToken.set(j.leaseOwner ?? '', [...(byToken.get(j.leaseOwner ?? '') ?? []), j.id]);
  for (const [token, ids] of byToken) await EngineJob.destroy({ where: { id: ids, leaseOwner: token } });
}

/**
 * Renews the leases of jobs about to run together and keeps those still held by this node: a job whose lease
 * ran out while it waited may have been claimed by another node, which then runs it instead.
 */
async function renewLeases(jobs: EngineJob[]): Promise<EngineJob[]> {
  const now = new Date();
  const leaseUntil = new Date(now.getTime() + getConfig().jobLeaseMs);
  const byToken = new Map<string, EngineJob[]>();
  for (const j of jobs) byToken.set(j.leaseOwner ?? '', [...(byToken.get(j.leaseOwner ?? '') ?? []), j]);
  const held: EngineJob[] = [];
  for (const [token, group] of byToken) {
    const [count] = await EngineJob.update({ leaseUntil }, { where: { id: group.map((j) => j.id), leaseOwner: token, status: 'pending' } });
    if (count === group.length) {
      held.push(...group);
      continue;
    }
    const still = new Set((await EngineJob.findAll({ where: { id: group.map((j) => j.id), leaseOwner: token }, attributes: ['id'] })).map((j) => j.id));
    held.push(...group.filter((j) => still.has(j.id)));
  }
  return held;
}

/** Runs claimed jobs of one batch kind together, falling back to one at a time when the batch call throws. */
async function runBatch(spec: Required<BatchJobKind>, claimed: EngineJob[]): Promise<void> {
  const jobs = await renewLeases(claimed);
  if (!jobs.length) return;
  let failures: ReadonlyMap<number, unknown>;
  try {
    failures = (await spec.runMany(jobs.map(toCall))) ?? new Map();
  } catch (err) {
    log.warn('job batch failed; running its jobs one by one', { kind: jobs[0].kind, jobs: jobs.length, error: String((err as Error)?.message ?? err) });
    for (const job of jobs) await runJob(job);
    return;
  }
  await removeHeld(jobs.filter((j) => !failures.has(j.id)));
  for (const job of jobs) if (failures.has(job.id)) await jobFailed(job, failures.get(job.id));
}

/** Claims and runs due jobs until none is due; returns how many ran (tests and the CLI call this directly). */
export async function runDueJobs(owner?: string): Promise<number> {
  let total = 0;
  for (;;) {
    const jobs = await claimJobs(BATCH, owner);
    if (!jobs.length) return total;
    total += await runAll(jobs, owner);
  }
}

/** Runs claimed jobs (and the further due jobs of batch kinds among them it claims); returns how many ran. */
async function runAll(claimed: EngineJob[], owner?: string): Promise<number> {
  const jobs: EngineJob[] = [];
  const batches: Array<{ spec: Required<BatchJobKind>; jobs: EngineJob[] }> = [];
  const ofKind = new Map<string, EngineJob[]>();
  for (const j of claimed) {
    const spec = batchKinds.get(j.kind);
    if (!spec) jobs.push(j);
    else ofKind.set(j.kind, [...(ofKind.get(j.kind) ?? []), j]);
  }
  let ran = claimed.length;
  for (const [kind, some] of ofKind) {
    const spec = batchKinds.get(kind)!;
    const more = some.length < spec.max ? await claimJobs(spec.max - some.length, owner, kind) : [];
    ran += more.length;
    const all = [...some, ...more];
    for (let i = 0; i < all.length; i += spec.max) batches.push({ spec, jobs: all.slice(i, i + spec.max) });
  }
  // Batches write in one transaction each: they run one after another, beside the other jobs.
  await Promise.all([runLanes(jobs), (async () => {
    for (const b of batches) await runBatch(b.spec, b.jobs);
  })()]);
  return ran;
}

async function runLanes(jobs: EngineJob[]): Promise<void> {
  // Jobs of one instance run one after the other; different instances run side by side.
  const byInstance = new Map<string, EngineJob[]>();
  for (const j of jobs) {
    const k = j.instanceId ?? `job:${j.id}`;
    byInstance.set(k, [...(byInstance.get(k) ?? []), j]);
  }
  const lanes = [...byInstance.values()];
  let next = 0;
  const workers = Array.from({ length: Math.min(CONCURRENCY, lanes.length) }, async () => {
    while (next < lanes.length) {
      const lane = lanes[next++];
      for (const job of lane) await runJob(job);
    }
  });
  await Promise.all(workers);
}

let timer: NodeJS.Timeout | null = null;
let running: Promise<void> | null = null;
let stopping = false;

/** Starts this node's worker loop (when JOB_WORKER is on). */
export function startJobWorker(): void {
  const cfg = getConfig();
  if (!cfg.jobWorker || timer || running) return;
  stopping = false;
  const loop = async () => {
    timer = null;
    if (stopping) return;
    running = (async () => {
      try {
        await runDueJobs();
      } catch (err) {
        log.error('job worker poll failed', { error: String((err as Error)?.stack ?? err) });
      }
    })();
    await running;
    running = null;
    if (!stopping) timer = setTimeout(loop, cfg.jobPollMs);
  };
  timer = setTimeout(loop, 0);
}

/** Stops the worker loop and waits for the jobs in hand to finish. */
export async function stopJobWorker(): Promise<void> {
  stopping = true;
  if (timer) clearTimeout(timer);
  timer = null;
  await running;
}

/** When the next tick of a timer start event is due, and how many remain (-1: forever). */
function nextStart(kind: string, value: string, repeat?: number): { at: Date; repeat?: number } | null {
  const v = resolveString(value, {}) ?? '';
  if (kind === 'timeDate') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : { at: d };
  }
  if (kind === 'timeDuration') {
    const ms = durationMs(v);
    return ms === null ? null : { at: new Date(Date.now() + ms) };
  }
  const m = /^R(\d*)\/(?:([^/]+)\/)?(P[^/]+)$/i.exec(v);
  if (!m) return null;
  const ms = durationMs(m[3]);
  if (ms === null) return null;
  const left = repeat ?? (m[1] ? Number(m[1]) : -1);
  if (left === 0) return null;
  const startAt = m[2] && repeat === undefined ? new Date(m[2]) : null;
  return { at: startAt && !Number.isNaN(startAt.getTime()) ? startAt : new Date(Date.now() + ms), repeat: left };
}

registerJobKind(JOB_TIMER, async (job) => {
  if (job.instanceId) await resumeInstance(job.instanceId);
});

registerJobKind(JOB_SERVICE, async (job) => {
  if (job.instanceId && job.executionId) await retryServiceExecution(job.instanceId, job.executionId);
});

registerJobKind(JOB_CALL, async (job) => {
  if (job.instanceId && job.executionId) await startCalledProcess(job.instanceId, job.executionId);
});

registerJobKind(JOB_CALL_DONE, async (job) => {
  const p = job.payload as { childId: string };
  if (job.instanceId && job.executionId) await returnFromCall(job.instanceId, job.executionId, p.childId);
});

registerJobKind(JOB_CALL_FAILED, async (job) => {
  const p = job.payload as { childId: string };
  if (job.instanceId && job.executionId) await callFailed(job.instanceId, job.executionId, p.childId);
});

registerJobKind(JOB_CALL_CANCEL, async (job) => {
  if (job.executionId) await cancelCalledProcess(job.executionId);
});

registerJobKind(JOB_TIMER_START, async (job) => {
  const p = job.payload as { definitionId: number; key: string; elementId: string; kind: string; value: string; repeat?: number };
  await startByTimer(p.definitionId);
  if (p.kind === 'timeCycle') {
    const left = p.repeat === undefined || p.repeat < 0 ? -1 : p.repeat - 1;
    const next = left === 0 ? null : nextStart(p.kind, p.value, left);
    if (next) await enqueueJob(JOB_TIMER_START, { ...p, repeat: left }, next.at);
  }
});

// A new version replaces the timer start events of the older ones.
onDeployed(async (definition, meta) => {
  await engineTransaction(async (t) => {
    const old = await EngineJob.findAll({ where: { kind: JOB_TIMER_START }, attributes: ['id', 'payload'], transaction: t });
    const stale = old.filter((j) => JSON.parse(j.payload ?? '{}').key === definition.key).map((j) => j.id);
    if (stale.length) await EngineJob.destroy({ where: { id: stale }, transaction: t });
    for (const s of meta.timerStarts) {
      const first = nextStart(s.kind, s.value);
      if (!first) continue;
      await enqueueJob(JOB_TIMER_START, { definitionId: definition.id, key: definition.key, elementId: s.elementId, kind: s.kind, value: s.value, repeat: first.repeat }, first.at, { transaction: t });
    }
  });
});

/** Pending and failed jobs (for the cockpit), optionally of one instance. */
export async function listJobs(where: { instanceId?: string; status?: string } = {}, limit = 200): Promise<EngineJob[]> {
  return EngineJob.findAll({ where: { ...where }, order: [['runAt', 'ASC']], limit });
}

/** Puts a failed job back in the queue with a fresh budget (an admin after a fix). */
export async function retryFailedJob(id: number): Promise<boolean> {
  const [count] = await EngineJob.update({ status: 'pending', attempts: 0, runAt: new Date(), leaseOwner: null, leaseUntil: null }, { where: { id, status: 'failed' } });
  return count === 1;
}

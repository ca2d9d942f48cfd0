// External tasks, Camunda 7 style: service tasks no in-process handler serves wait as rows that workers
// fetch and lock by topic. The lock is the row (worker id + expiry): on MariaDB/MySQL the claim reads with
// FOR UPDATE SKIP LOCKED, so workers talking to different nodes never lock one task twice; on SQLite the
// one writer makes the claim's read and update atomic. Answers that move the instance (complete, BPMN
// error, an incident when retries run out) go through the runtime in the instance's own transaction.
import { deliverExternal } from './runtime.ts';
import { externalWake, type ExternalOutcome } from './external-runtime.ts';
import { dbTime, isTransient, placeholders, selectRows, withTx } from './sql.ts';
import { isMysql } from '../store/index.ts';
import { AppError, BadRequest, Conflict, NotFound } from '../errors.ts';

/** An external task row as the REST layer presents it. */
export interface ExternalTask {
  id: string;
  instanceId: string;
  definitionId: number;
  definitionKey: string;
  businessKey: string | null;
  elementId: string;
  executionId: string;
  topic: string;
  priority: number;
  status: 'open' | 'incident';
  workerId: string | null;
  lockExpiresAt: Date | null;
  retries: number | null;
  errorMessage: string | null;
  errorDetails: string | null;
  createdAt: Date;
}

/** A locked task with the variables the worker asked for. */
export interface LockedTask extends ExternalTask {
  variables: Record<string, unknown>;
}

/** One topic a worker fetches. */
export interface TopicRequest {
  topicName: string;
  /** Milliseconds the lock lasts. */
  lockDuration: number;
  /** Variable names to send along (absent: all of them). */
  variables?: string[] | null;
  businessKey?: string | null;
  processDefinitionKey?: string | null;
}

/** What fetchAndLock takes. */
export interface FetchRequest {
  workerId: string;
  maxTasks: number;
  topics: TopicRequest[];
  usePriority?: boolean;
  /** Milliseconds to wait for a task when none is there (long polling); 0 answers at once. */
  asyncResponseTimeout?: number;
}

type Row = Record<string, unknown>;

function toTask(r: Row): ExternalTask {
  const date = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
  return {
    id: String(r.id), instanceId: String(r.instance_id), definitionId: Number(r.definition_id), definitionKey: String(r.definition_key),
    businessKey: (r.business_key as string | null) ?? null, elementId: String(r.element_id), executionId: String(r.execution_id), topic: String(r.topic),
    priority: Number(r.priority ?? 0), status: r.status as ExternalTask['status'], workerId: (r.worker_id as string | null) ?? null,
    lockExpiresAt: date(r.lock_expires_at), retries: r.retries === null || r.retries === undefined ? null : Number(r.retries),
    errorMessage: (r.error_message as string | null) ?? null, errorDetails: (r.error_details as string | null) ?? null, createdAt: date(r.created_at)!,
  };
}

/** An external task by id, or 404. */
export async function getExternalTask(id: string): Promise<ExternalTask> {
  const [row] = await selectRows<Row>('SELECT * FROM engine_external_tasks WHERE id = ?', [id]);
  if (!row) throw NotFound('externaltasks.notFound', { id });
  return toTask(row);
}

/** External tasks, oldest first (for admins and tests), optionally of one instance or topics. */
export async function listExternalTasks(q: { instanceId?: string; topics?: string[] } = {}): Promise<ExternalTask[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.instanceId) {
    where.push('instance_id = ?');
    params.push(q.instanceId);
  }
  if (q.topics) {
    if (!q.topics.length) return [];
    where.push(`topic IN (${placeholders(q.topics.length)})`);
    params.push(...q.topics);
  }
  const rows = await selectRows<Row>(`SELECT * FROM engine_external_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id LIMIT 1000`, params);
  return rows.map(toTask);
}

/** Claims up to maxTasks fetchable tasks of the topics for a worker, one topic after the other. */
async function claimOnce(req: FetchRequest): Promise<ExternalTask[]> {
  const now = new Date();
  const claimed: ExternalTask[] = [];
  const order = req.usePriority === false ? 'created_at, id' : 'priority DESC, created_at, id';
  const lock = isMysql() ? 'FOR UPDATE SKIP LOCKED' : '';
  await withTx(async (tx) => {
    for (const topic of req.topics) {
      const left = req.maxTasks - claimed.length;
      if (left <= 0) break;
      const extra: string[] = [];
      const params: unknown[] = [topic.topicName, dbTime(now)];
      if (topic.businessKey) {
        extra.push('AND business_key = ?');
        params.push(topic.businessKey);
      }
      if (topic.processDefinitionKey) {
        extra.push('AND definition_key = ?');
        params.push(topic.processDefinitionKey);
      }
      const rows = await tx.all<Row>(
        `SELECT * FROM engine_external_tasks WHERE topic = ? AND status = 'open' AND (retries IS NULL OR retries > 0) AND (lock_expires_at IS NULL OR lock_expires_at <= ?) ${extra.join(' ')} ORDER BY ${order} LIMIT ${Math.max(1, Math.floor(left))} ${lock}`,
        params);
      if (!rows.length) continue;
      const until = new Date(now.getTime() + topic.lockDuration);
      const ids = rows.map((r) => String(r.id));
      void tx.queue(`UPDATE engine_external_tasks SET worker_id = ?, lock_expires_at = ? WHERE id IN (${placeholders(ids.length)})`, [req.workerId, dbTime(until), ...ids]);
      for (const r of rows) claimed.push({ ...toTask(r), workerId: req.workerId, lockExpiresAt: until });
    }
  }, { readCommitted: true });
  return claimed;
}

async function claim(req: FetchRequest): Promise<ExternalTask[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await claimOnce(req);
    } catch (err) {
      // Claims of several nodes can deadlock on the index; the loser simply claims again.
      if (!isTransient(err) || attempt >= 3) throw err;
    }
  }
}

/** Adds the variables each task's worker asked for, read from its instance. */
async function withVariables(tasks: ExternalTask[], topics: TopicRequest[]): Promise<LockedTask[]> {
  if (!tasks.length) return [];
  const ids = [...new Set(tasks.map((t) => t.instanceId))];
  const rows = await selectRows<{ id: string; variables: string }>(`SELECT id, variables FROM engine_instances WHERE id IN (${placeholders(ids.length)})`, ids);
  const byId = new Map(rows.map((r) => [r.id, JSON.parse(r.variables) as Record<string, unknown>]));
  const wanted = new Map(topics.map((t) => [t.topicName, t.variables ?? null]));
  return tasks.map((t) => {
    const all = byId.get(t.instanceId) ?? {};
    const names = wanted.get(t.topic);
    const variables: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(all)) if (!names || names.includes(k)) variables[k] = v;
    return { ...t, variables };
  });
}

/** How often a waiting fetch looks at the table again when no in-process event woke it (another node's tasks). */
const POLL_MS = 200;

/**
 * Fetches and locks tasks for a worker. With asyncResponseTimeout it waits for tasks to appear (woken
 * by this node's new tasks, otherwise looking again every 200 ms), holding no connection while it waits.
 */
export async function fetchAndLock(req: FetchRequest, opts: { signal?: AbortSignal } = {}): Promise<LockedTask[]> {
  const deadline = Date.now() + Math.max(0, req.asyncResponseTimeout ?? 0);
  const topics = new Set(req.topics.map((t) => t.topicName));
  for (;;) {
    const tasks = await claim(req);
    if (tasks.length || Date.now() >= deadline || opts.signal?.aborted) return withVariables(tasks, req.topics);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        externalWake.off('created', onCreated);
        opts.signal?.removeEventListener('abort', done);
        resolve();
      };
      const onCreated = (created: string[]) => {
        if (created.some((t) => topics.has(t))) done();
      };
      const timer = setTimeout(done, Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      externalWake.on('created', onCreated);
      opts.signal?.addEventListener('abort', done);
    });
  }
}

/** A task the worker holds the lock of (Camunda answers the same way when another worker holds it). */
async function lockedBy(id: string, workerId: string): Promise<ExternalTask> {
  const task = await getExternalTask(id);
  if (task.status !== 'open') throw Conflict('externaltasks.incident', { id });
  if (task.workerId !== workerId) throw BadRequest('externaltasks.notLockedBy', { id, workerId });
  return task;
}

/** Completes a locked task with the worker's variables; the instance moves on. */
export async function completeExternalTask(id: string, workerId: string, variables: Record<string, unknown>): Promise<void> {
  const task = await lockedBy(id, workerId);
  await deliver(task, { type: 'complete', taskId: id, workerId, executionId: task.executionId, variables });
}

/**
 * Reports a BPMN error: an error boundary event with that code (or a catch-all) takes it; one that no
 * event catches becomes an incident on the task, as a failure without retries does.
 */
export async function externalBpmnError(id: string, workerId: string, errorCode: string, errorMessage: string | null, variables: Record<string, unknown>): Promise<void> {
  const task = await lockedBy(id, workerId);
  await deliver(task, { type: 'bpmnError', taskId: id, workerId, executionId: task.executionId, errorCode, errorMessage, variables });
}

/**
 * Reports a failure. With retries left the task is fetchable again after retryTimeout milliseconds;
 * with none left it becomes an incident on the instance, which waits there until an admin retries it.
 */
export async function failExternalTask(id: string, workerId: string, f: { errorMessage: string | null; errorDetails: string | null; retries: number; retryTimeout: number }): Promise<void> {
  const task = await lockedBy(id, workerId);
  const message = (f.errorMessage ?? '').slice(0, 1000) || null;
  if (f.retries > 0) {
    const at = new Date(Date.now() + Math.max(0, f.retryTimeout));
    await guarded('UPDATE engine_external_tasks SET retries = ?, error_message = ?, error_details = ?, worker_id = NULL, lock_expires_at = ? WHERE id = ? AND worker_id = ? AND status = ?',
      [f.retries, message, f.errorDetails, dbTime(at), id, workerId, 'open'], id);
    return;
  }
  await deliver(task, { type: 'incident', taskId: id, workerId, executionId: task.executionId, errorMessage: message ?? 'external task failed', errorDetails: f.errorDetails });
}

/** Extends the lock of a task the worker holds to now + newDuration milliseconds. */
export async function extendExternalLock(id: string, workerId: string, newDuration: number): Promise<void> {
  const task = await lockedBy(id, workerId);
  if (task.lockExpiresAt && task.lockExpiresAt.getTime() < Date.now()) throw BadRequest('externaltasks.lockExpired', { id });
  await guarded('UPDATE engine_external_tasks SET lock_expires_at = ? WHERE id = ? AND worker_id = ? AND status = ?', [dbTime(new Date(Date.now() + newDuration)), id, workerId, 'open'], id);
}

/** Releases the lock of a task, whoever holds it (Camunda's unlock takes no worker id). */
export async function unlockExternalTask(id: string): Promise<void> {
  await getExternalTask(id);
  await withTx(async (tx) => {
    await tx.run('UPDATE engine_external_tasks SET worker_id = NULL, lock_expires_at = NULL WHERE id = ?', [id]);
  });
}

async function guarded(sql: string, params: unknown[], id: string): Promise<void> {
  await withTx(async (tx) => {
    void tx.expectOne(sql, params, () => BadRequest('externaltasks.notLockedBy', { id, workerId: String(params[params.length - 2]) }));
  });
}

async function deliver(task: ExternalTask, outcome: ExternalOutcome): Promise<void> {
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await deliverExternal(task.instanceId, outcome);
        return;
      } catch (err) {
        // Another action moved the instance first (a parallel branch's task, a timer): the answer still
        // holds, so it is delivered again on the new state rather than handed back to the worker as a 409.
        if (!(err instanceof AppError && err.code === 'engine.instanceChanged') || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
      }
    }
  } catch (err) {
    // The lock moved to another worker, or the task is gone, while the answer was on its way.
    if (err instanceof AppError && (err.code === 'externaltasks.lockLost' || err.code === 'engine.taskNotActive')) {
      throw BadRequest('externaltasks.notLockedBy', { id: task.id, workerId: outcome.workerId });
    }
    throw err;
  }
}

// Tasks and processes as people see them: the inbox, claim, unclaim, delegate, unassign, comment and
// complete by a viewer, starts for an org unit, and the cockpit's reads and actions limited to the
// viewer's org scope. Every decision goes through src/access/; the engine below only stores data.
import { taskPageOf } from './task-pages.ts';
import crypto from 'node:crypto';
import type { Transaction } from 'sequelize';
import {
  assignmentProblem, canActOnOrg, canAccessOrg, canUnassign, couldBeCandidate, hasRole, hasSystemRole, isCandidate, OrgPaths, scopePaths, STAFF_ROLES, type Viewer,
} from '../access/index.ts';
import { actorOf, loadViewerByUsername } from '../auth/service.ts';
import { appendAudit } from '../audit/service.ts';
import { getOrgByCode } from '../orgs/service.ts';
import { log } from '../log.ts';
import { AppError, BadRequest, Conflict, Forbidden, Invalid, NotFound } from '../errors.ts';
import {
  broadcastSignal, cancelInstance, claimTaskFor, commentOnTask, completeTaskBy, correlateMessage, deployDefinition, engineCounts, findIdempotent, findTasks,
  finishIdempotent, purgeIdempotent, getIncident, getInstance, getJob, instanceOrg, isDuplicateKey, listIncidents, listInstances, listScopedJobs, messageTarget, moveTimer,
  openTask, reassignTask, registerAssignmentCheck, releaseIdempotent, reserveIdempotent, retryFailedJob, retryIncident, setInstanceVariables, startProcess, taskById,
  unclaimTaskFor, type InstanceOrg, type InstanceQuery, type OrgPathScope,
} from '../engine/service.ts';
import type { EngineTask } from '../engine/models.ts';

/** How long a unit found to exist is trusted without asking the database again (task creation is a hot path). */
const UNIT_TTL_MS = 60_000;
const recentUnits = new Map<string, { path: string; until: number }>();
const unitPaths = {
  async of(code: string): Promise<string | null> {
    const now = Date.now();
    const hit = recentUnits.get(code);
    if (hit && hit.until > now) return hit.path;
    const path = await new OrgPaths().of(code);
    if (path) {
      if (recentUnits.size >= 10_000) recentUnits.clear();
      recentUnits.set(code, { path, until: now + UNIT_TTL_MS });
    }
    return path;
  },
};

// Every new task's candidate groups must name a staff role and an existing org unit.
registerAssignmentCheck((p) => assignmentProblem(p, unitPaths));

/** Roles that see and act on the engine's instances in the cockpit (over their subtree). */
const COCKPIT_ROLES = ['admin', 'designer'] as const;
/** Roles that act on instances (cancel, retry, timers, messages). */
const OPERATOR_ROLES = ['admin'] as const;

/** What an org code must look like before it is looked up (no separators, no control characters). */
export const ORG_CODE = /^[A-Za-z0-9._-]{1,40}$/;

// ---------------------------------------------------------------- tasks

/** Inbox filters. */
export interface TaskQuery {
  /** `mine`: assigned to me; `groups`: my groups' tasks; `unassigned`: nobody claimed; `all`: every task I may see. */
  scope?: 'mine' | 'groups' | 'unassigned' | 'all';
  processKey?: string;
  orgCode?: string;
  businessKey?: string;
  sort?: 'due' | 'created' | 'priority';
  status?: 'open' | 'completed' | 'cancelled';
  limit?: number;
}

function split(list: string | null): string[] {
  return (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The tasks a viewer may work on, filtered and sorted. */
export async function listTasks(viewer: Viewer, q: TaskQuery = {}): Promise<EngineTask[]> {
  const scope = q.scope ?? 'all';
  const roles = [...new Set(viewer.roles.map((r) => r.role).filter((r) => r !== 'citizen'))];
  const rows = await findTasks({
    usernames: [viewer.username], roles, unassignedRows: hasRole(viewer, 'officer', 'leader'),
    scope, processKey: q.processKey, orgCode: q.orgCode, businessKey: q.businessKey, sort: q.sort, status: q.status, limit: q.limit,
  });
  const orgs = new OrgPaths();
  const out: EngineTask[] = [];
  for (const r of rows) {
    if (!(await isCandidate(viewer, r, orgs))) continue;
    if (scope === 'groups' && !split(r.candidateGroups).length) continue;
    out.push(r);
    if (out.length >= (q.limit ?? 200)) break;
  }
  return out;
}

async function orgPathOf(code: string | null, orgs: OrgPaths): Promise<string | null> {
  return code ? orgs.of(code) : null;
}

/** Whether the viewer may see a task: a candidate, or an admin or leader over its org unit (who oversee it). */
export async function canSeeTask(viewer: Viewer, task: EngineTask, orgs = new OrgPaths()): Promise<boolean> {
  if (await isCandidate(viewer, task, orgs)) return true;
  return canActOnOrg(viewer, await orgPathOf(task.orgCode, orgs), ['admin', 'leader']);
}

/** Loads a task the viewer may see, or 404. */
export async function getTask(viewer: Viewer, id: number): Promise<EngineTask> {
  const task = await taskById(id);
  if (!task || !(await canSeeTask(viewer, task))) throw NotFound('engine.taskNotFound', { id });
  return task;
}

/** An open task the viewer is a candidate of (404 otherwise, 409 when done). */
async function loadActionable(viewer: Viewer, id: number): Promise<EngineTask> {
  const task = await taskById(id);
  if (!task || !(await isCandidate(viewer, task))) throw NotFound('engine.taskNotFound', { id });
  return openTask(id);
}

/** Claims an unassigned task for the viewer; 409 when someone else holds it or it is done. */
export async function claimTask(viewer: Viewer, id: number): Promise<EngineTask> {
  return claimTaskFor(await loadActionable(viewer, id), viewer.username);
}

/** Gives a claimed task back to its candidates. */
export async function unclaimTask(viewer: Viewer, id: number): Promise<EngineTask> {
  return unclaimTaskFor(await loadActionable(viewer, id), viewer.username);
}

/**
 * Hands a task to another user (audited with the change): only to an active user who could be a
 * candidate of it (a role over its unit, or named by it); otherwise 422.
 */
export async function delegateTask(viewer: Viewer, id: number, username: string): Promise<EngineTask> {
  const task = await loadActionable(viewer, id);
  if (task.assignee && task.assignee !== viewer.username) throw Conflict('engine.taskClaimedByOther', { id, assignee: task.assignee });
  const target = await loadViewerByUsername(username);
  if (!target || !target.isActive || !(await couldBeCandidate(target.viewer, task))) throw Invalid('engine.delegateNotCandidate', { username });
  return reassignTask(task, target.viewer.username, viewer.username, 'delegate', (t) =>
    appendAudit(actorOf(viewer), { action: 'engine.task.delegate', targetType: 'task', targetId: id, detail: { to: target.viewer.username, instanceId: task.instanceId } }, t));
}

/** Whether a task is held by an account that cannot act on it any more (missing or disabled). */
async function isStuck(task: EngineTask): Promise<boolean> {
  if (!task.assignee) return false;
  const holder = await loadViewerByUsername(task.assignee);
  return !holder || !holder.isActive;
}

/** Whether the viewer may free this task now (for the task page's button). */
export async function mayUnassign(viewer: Viewer, task: EngineTask): Promise<boolean> {
  return task.status === 'open' && canUnassign(viewer, await orgPathOf(task.orgCode, new OrgPaths())) && (await isStuck(task));
}

/** Frees a task stuck on a missing or disabled account: a leader or admin over its unit; audited with the change. */
export async function unassignTask(viewer: Viewer, id: number): Promise<EngineTask> {
  const orgs = new OrgPaths();
  const task = await taskById(id);
  if (!task) throw NotFound('engine.taskNotFound', { id });
  if (!canUnassign(viewer, await orgPathOf(task.orgCode, orgs))) {
    if (await canSeeTask(viewer, task, orgs)) throw Forbidden('errors.outOfScope');
    throw NotFound('engine.taskNotFound', { id });
  }
  const open = await openTask(id);
  if (!open.assignee || !(await isStuck(open))) throw Conflict('engine.taskNotStuck', { id });
  return reassignTask(open, null, viewer.username, 'unassign', (t) =>
    appendAudit(actorOf(viewer), { action: 'engine.task.unassign', targetType: 'task', targetId: id, detail: { from: open.assignee, instanceId: open.instanceId } }, t));
}

/** Adds a comment to a task's timeline (a candidate only). */
export async function commentTask(viewer: Viewer, id: number, text: string): Promise<void> {
  const task = await taskById(id);
  if (!task || !(await isCandidate(viewer, task))) throw NotFound('engine.taskNotFound', { id });
  await commentOnTask(task, viewer.username, text);
}

/** Completes a task with variables: only its assignee (or, when unassigned, a candidate); twice is a 409. */
export async function completeTask(viewer: Viewer, id: number, variables: Record<string, unknown> = {}, comment: string | null = null) {
  const task = await loadActionable(viewer, id);
  // A domain that works this task on its own page applies its rules there; completing it here would skip them.
  const page = await taskPageOf(task);
  if (page) throw new AppError('tasklist.ownPage', 409, { url: page });
  return completeTaskBy(task, viewer.username, variables, comment);
}

// ---------------------------------------------------------------- starts

/** What a caller asks to start. */
export interface StartRequest {
  businessKey?: string | null;
  variables?: Record<string, unknown>;
  /** The org unit the instance is for; default: `variables.orgCode`, else the caller's own unit. */
  orgCode?: string | null;
}

/** A caller's idempotency key for a creating call. */
export interface IdempotencyKey {
  key: string;
}

/** The fingerprint of a creating call's request: what it is and the body it sends. */
export function fingerprintOf(what: string, body: unknown): string {
  return crypto.createHash('sha256').update(what).update('\n').update(JSON.stringify(body ?? null)).digest('hex');
}

/** How long an idempotency key's answer is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Now and then (about one keyed call in a hundred) forget answers older than the retention, on whichever node. */
function maybePurge(): void {
  if (Math.random() >= 0.01) return;
  purgeIdempotent(new Date(Date.now() - IDEMPOTENCY_TTL_MS)).catch((err) => log.warn('idempotency purge failed', { error: String(err) }));
}

/** The first answer of an earlier call with this key (same request), 422 for another request, null for none. */
async function replayed(viewer: Viewer, key: string, fingerprint: string): Promise<{ status: number; body: unknown } | null> {
  maybePurge();
  const entry = await findIdempotent(viewer.userId, key);
  if (!entry) return null;
  if (entry.fingerprint !== fingerprint) throw Invalid('engine.idempotencyMismatch', { key });
  if (entry.status !== 'done') throw Conflict('engine.idempotencyInProgress', { key });
  return { status: entry.responseStatus ?? 200, body: entry.responseBody };
}

/** The org unit a start is for, checked: an existing code of valid form, in the caller's scope. */
async function startOrg(viewer: Viewer, req: StartRequest): Promise<InstanceOrg | null> {
  const fromVars = req.variables && Object.hasOwn(req.variables, 'orgCode') ? req.variables.orgCode : undefined;
  if (req.orgCode && fromVars !== undefined && fromVars !== req.orgCode) throw BadRequest('engine.orgCodeMismatch');
  const code = req.orgCode ?? fromVars ?? viewer.orgCode ?? null;
  if (code === null || code === undefined || code === '') {
    // Only someone whose staff role covers the whole system starts an instance that belongs to no unit.
    if (scopePaths(viewer, STAFF_ROLES) === null) return null;
    throw BadRequest('engine.orgCodeRequired');
  }
  if (typeof code !== 'string' || !ORG_CODE.test(code)) throw BadRequest('engine.orgCodeInvalid');
  const org = await getOrgByCode(code).catch(() => null);
  if (!org) throw BadRequest('engine.orgCodeUnknown', { code });
  if (!canAccessOrg(viewer, org.path, STAFF_ROLES)) throw Forbidden('errors.outOfScope');
  return { code: org.code, path: org.path };
}

/**
 * Starts the latest version of a process for an org unit in the caller's scope. With an idempotency
 * key, a retry with the same request returns the first answer (same instance), another request 422.
 */
export async function startProcessFor(viewer: Viewer, key: string, req: StartRequest, idem?: IdempotencyKey): Promise<{ status: number; body: { id: string; status: string } }> {
  const fingerprint = fingerprintOf(`start ${key}`, { businessKey: req.businessKey ?? null, variables: req.variables ?? {}, orgCode: req.orgCode ?? null });
  if (idem) {
    const earlier = await replayed(viewer, idem.key, fingerprint);
    if (earlier) return earlier as { status: number; body: { id: string; status: string } };
  }
  const org = await startOrg(viewer, req);
  const variables = { ...(req.variables ?? {}), ...(org ? { orgCode: org.code } : {}) };
  try {
    const instance = await startProcess(key, {
      businessKey: req.businessKey || null, variables, startedBy: viewer.username, org,
      idempotency: idem ? { userId: viewer.userId, key: idem.key, fingerprint } : undefined,
    });
    return { status: 201, body: { id: instance.id, status: instance.status } };
  } catch (err) {
    // A concurrent retry with the same key won the unique index: its instance is the answer.
    if (idem && isDuplicateKey(err)) {
      const earlier = await replayed(viewer, idem.key, fingerprint);
      if (earlier) return earlier as { status: number; body: { id: string; status: string } };
    }
    throw err;
  }
}

/** Runs a creating call once per idempotency key: reserve, act, remember the answer (released when it fails). */
async function once<T>(viewer: Viewer, idem: IdempotencyKey | undefined, fingerprint: string, act: () => Promise<{ status: number; body: T }>): Promise<{ status: number; body: T }> {
  if (!idem) return act();
  const earlier = await replayed(viewer, idem.key, fingerprint);
  if (earlier) return earlier as { status: number; body: T };
  if (!(await reserveIdempotent(viewer.userId, idem.key, fingerprint))) {
    const now = await replayed(viewer, idem.key, fingerprint);
    if (now) return now as { status: number; body: T };
    throw Conflict('engine.idempotencyInProgress', { key: idem.key });
  }
  try {
    const result = await act();
    await finishIdempotent(viewer.userId, idem.key, result.status, result.body);
    return result;
  } catch (err) {
    await releaseIdempotent(viewer.userId, idem.key);
    throw err;
  }
}

// ---------------------------------------------------------------- cockpit

/** The org subtrees whose instances the viewer reads in the cockpit (null: all). */
export function cockpitScope(viewer: Viewer, roles: readonly (typeof COCKPIT_ROLES)[number][] = COCKPIT_ROLES): OrgPathScope {
  return scopePaths(viewer, roles);
}

async function assertInstance(viewer: Viewer, id: string, roles: readonly ('admin' | 'designer')[]): Promise<void> {
  const org = await instanceOrg(id);
  // Out of scope reads as not found, as for tasks: the instance's existence is not the caller's business.
  if (!canActOnOrg(viewer, org.orgPath, roles)) {
    if (canActOnOrg(viewer, org.orgPath, COCKPIT_ROLES)) throw Forbidden('errors.outOfScope');
    throw NotFound('engine.instanceNotFound', { id });
  }
}

/** Instances the viewer may see, newest first. */
export async function listInstancesFor(viewer: Viewer, q: Omit<InstanceQuery, 'orgPaths'>) {
  return listInstances({ ...q, orgPaths: cockpitScope(viewer) });
}

/** An instance the viewer may see (404 otherwise). */
export async function getInstanceFor(viewer: Viewer, id: string) {
  await assertInstance(viewer, id, COCKPIT_ROLES);
  return getInstance(id);
}

/** The cockpit's overview for the viewer: counts, open incidents and failed jobs in scope. */
export async function cockpitOverview(viewer: Viewer) {
  const scope = cockpitScope(viewer);
  const isAdmin = hasRole(viewer, 'admin');
  const adminScope = scopePaths(viewer, OPERATOR_ROLES);
  return {
    counts: await engineCounts(scope),
    isAdmin,
    incidents: isAdmin ? await listIncidents('open', adminScope) : [],
    failedJobs: isAdmin ? await listScopedJobs('failed', adminScope) : [],
  };
}

/** Open incidents of instances in the viewer's scope. */
export async function listIncidentsFor(viewer: Viewer) {
  return listIncidents('open', scopePaths(viewer, OPERATOR_ROLES));
}

/**
 * Runs an engine action whose writes go through the engine's own connection, so its audit row cannot
 * share the transaction: the row is written first, and the action does not run when that fails; an
 * action that then fails adds a `.failed` row. No such action succeeds without its audit row.
 */
async function auditedEngineAction<T>(viewer: Viewer, entry: { action: string; targetType: string; targetId: string | number; detail?: unknown }, act: () => Promise<T>): Promise<T> {
  await appendAudit(actorOf(viewer), entry);
  try {
    return await act();
  } catch (err) {
    await appendAudit(actorOf(viewer), { ...entry, action: `${entry.action}.failed`, detail: { ...(entry.detail as object | undefined), error: err instanceof AppError ? err.code : 'internal' } })
      .catch((auditErr) => log.error('audit row of a failed engine action not written', { action: entry.action, error: String(auditErr) }));
    throw err;
  }
}

/** Cancels an instance of the viewer's scope; audited. */
export async function cancelInstanceFor(viewer: Viewer, id: string, reason: string | null): Promise<void> {
  await assertInstance(viewer, id, OPERATOR_ROLES);
  await auditedEngineAction(viewer, { action: 'engine.instance.cancel', targetType: 'instance', targetId: id, detail: { reason } }, () => cancelInstance(id, viewer.username, reason));
}

/**
 * Changes variables of an instance in the viewer's scope (a JSON merge, null removes a name), e.g. to fix
 * the data an incident is about before retrying it; audited with the names changed.
 */
export async function setVariablesFor(viewer: Viewer, id: string, changes: Record<string, unknown>, maxBytes: number): Promise<Record<string, unknown>> {
  await assertInstance(viewer, id, OPERATOR_ROLES);
  const instance = await auditedEngineAction(viewer, { action: 'engine.instance.variables', targetType: 'instance', targetId: id, detail: { names: Object.keys(changes) } },
    () => setInstanceVariables(id, changes, viewer.username, maxBytes));
  return JSON.parse(instance.variables) as Record<string, unknown>;
}

/** Retries an incident of an instance in the viewer's scope; audited. */
export async function retryIncidentFor(viewer: Viewer, incidentId: number) {
  const incident = await getIncident(incidentId);
  await assertInstance(viewer, incident.instanceId, OPERATOR_ROLES);
  return auditedEngineAction(viewer, { action: 'engine.incident.retry', targetType: 'incident', targetId: String(incidentId), detail: { instanceId: incident.instanceId } }, () => retryIncident(incidentId, viewer.username));
}

/** A job of the viewer's scope (jobs of no instance: system-wide admins only), or 404. */
async function scopedJob(viewer: Viewer, id: number) {
  const job = await getJob(id);
  if (!job) return null;
  if (job.instanceId) await assertInstance(viewer, job.instanceId, OPERATOR_ROLES);
  else if (!hasSystemRole(viewer, 'admin')) return null;
  return job;
}

/** Moves a pending timer of an instance in the viewer's scope; audited. */
export async function moveTimerFor(viewer: Viewer, jobId: number, dueAt: Date) {
  const job = await scopedJob(viewer, jobId);
  if (!job || !job.instanceId || !job.executionId) throw new AppError('engine.timerNotFound', 404, { id: String(jobId) });
  const { instanceId, executionId } = job;
  await auditedEngineAction(viewer, { action: 'engine.timer.move', targetType: 'instance', targetId: instanceId, detail: { elementId: job.elementId, from: job.runAt, to: dueAt } }, () => moveTimer(instanceId, executionId, dueAt));
  return { instanceId: job.instanceId, dueAt };
}

/** Puts a failed job of the viewer's scope back in the queue; audited. */
export async function retryJobFor(viewer: Viewer, jobId: number): Promise<void> {
  const job = await scopedJob(viewer, jobId);
  if (!job || job.status !== 'failed') throw new AppError('engine.jobNotFailed', 409, { id: jobId });
  await auditedEngineAction(viewer, { action: 'engine.job.retry', targetType: 'job', targetId: jobId }, async () => {
    if (!(await retryFailedJob(jobId))) throw new AppError('engine.jobNotFailed', 409, { id: jobId });
  });
}

/**
 * Correlates a message: to a waiting instance of the viewer's scope, or (starting a new instance that
 * belongs to no unit) by a system-wide admin only. Idempotent with a key.
 */
export async function correlateFor(viewer: Viewer, name: string, businessKey: string | null, variables: Record<string, unknown>, idem?: IdempotencyKey) {
  return once(viewer, idem, fingerprintOf('message', { name, businessKey, variables }), async () => {
    const target = await messageTarget(name, businessKey);
    if (target) await assertInstance(viewer, target, OPERATOR_ROLES);
    else if (!hasSystemRole(viewer, 'admin')) throw Forbidden('errors.outOfScope');
    return { status: 200, body: await correlateMessage(name, businessKey, variables) };
  });
}

/** Broadcasts a signal to every instance: a system-wide admin only. */
export async function broadcastFor(viewer: Viewer, name: string, variables: Record<string, unknown>) {
  if (!hasSystemRole(viewer, 'admin')) throw Forbidden('errors.outOfScope');
  return auditedEngineAction(viewer, { action: 'engine.signal', targetType: 'signal', targetId: name }, () => broadcastSignal(name, variables));
}

/** Deploys a process for everyone: a system-wide admin or designer; audited in the deploy's transaction; idempotent with a key. */
export async function deployFor(viewer: Viewer, xml: string, sourceName: string | null, idem?: IdempotencyKey) {
  if (!hasSystemRole(viewer, 'admin', 'designer')) throw Forbidden('errors.outOfScope');
  return once(viewer, idem, fingerprintOf('deploy', { xml, sourceName }), async () => {
    const result = await deployDefinition(xml, {
      sourceName: sourceName ?? undefined, deployedBy: viewer.username,
      along: (row, t: Transaction) => appendAudit(actorOf(viewer), { action: 'engine.deploy', targetType: 'definition', targetId: row.id, detail: { key: row.key, version: row.version } }, t),
    });
    return { status: result.isNew ? 201 : 200, body: result };
  });
}

/** Whether the viewer may deploy (system-wide admin or designer). */
export function mayDeploy(viewer: Viewer): boolean {
  return hasSystemRole(viewer, 'admin', 'designer');
}

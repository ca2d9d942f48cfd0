// What other domains use of the engine: deploy, start, correlate, tasks, handlers, jobs, and reads
// of instances with their timeline. Importing this module registers the engine's job kinds.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Op } from 'sequelize';
import { EngineDefinition, EngineHistory, EngineIncident, EngineInstance, EngineJob, EngineSubscription, EngineTask } from './models.ts';
import { deployDirectory, loadDefinition } from './definitions.ts';
import { NotFound } from '../errors.ts';
import { modelsOf, selectRows } from './sql.ts';
import './jobs.ts';

export { deployDefinition, deployDirectory, analyzeXml, listDefinitions, getDefinitionRow, definitionWarnings, type DeployProblem, type DeployResult } from './definitions.ts';
export { startProcess, startProcesses, correlateMessage, broadcastSignal, cancelInstance, retryIncident, setInstanceVariables, moveTimer, resumeInstance, findInstances, engineEvents, type InstanceOrg, type StartInput, type JoinOptions } from './runtime.ts';
export { definitionsStartedBy } from './definitions.ts';
export { taskById, openTask, openTasksOf, findTasks, claimTaskFor, unclaimTaskFor, reassignTask, commentOnTask, completeTaskBy, completeTaskAsSystem, type TaskFilter, type AlongWith } from './tasks.ts';
export { BpmnError, registerServiceHandler, registerJobKind, registerAssignmentCheck, type ServiceHandler, type ServiceCall, type JobHandler, type JobCall, type AssignmentCheck, type AssignmentProposal, type CandidateGroup } from './handlers.ts';
export { findIdempotent, reserveIdempotent, finishIdempotent, releaseIdempotent, purgeIdempotent, isDuplicateKey, type IdempotentEntry } from './idempotency.ts';
export { processFacts, instanceData, factsOfXml, parseDecisionCondition, type ProcessFacts, type UserTaskFacts, type TaskDecision, type FormLink } from './model-info.ts';
export { enqueueJob, startJobWorker, stopJobWorker, runDueJobs, listJobs, retryFailedJob, registerBatchJobKind, type BatchJobKind } from './jobs.ts';
export { fetchAndLock, completeExternalTask, externalBpmnError, failExternalTask, extendExternalLock, unlockExternalTask, getExternalTask, listExternalTasks, type ExternalTask, type LockedTask, type FetchRequest, type TopicRequest } from './external.ts';

/** The folder of BPMN files shipped with the product. */
export const PROCESSES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../processes');

/** Deploys the shipped processes (unchanged files are skipped by their SHA-256). */
export async function deployShippedProcesses() {
  return deployDirectory(PROCESSES_DIR);
}

let shipped: Promise<unknown> | null = null;

/** Deploys the shipped processes once per process (a failed try is tried again next time), so a CLI or a fresh node finds them. */
export function ensureShippedProcesses(): Promise<unknown> {
  shipped ??= deployShippedProcesses().catch((err) => {
    shipped = null;
    throw err;
  });
  return shipped;
}

/** One line of an instance's timeline. */
export interface TimelineEntry {
  at: Date;
  event: string;
  elementId: string | null;
  elementType: string | null;
  elementName: string | null;
  actor: string | null;
  outcome: string | null;
  comment: string | null;
}

/** Every start, end, completion, comment and incident of an instance, in order. */
export async function getTimeline(instanceId: string): Promise<TimelineEntry[]> {
  const rows = await EngineHistory.findAll({ where: { instanceId }, order: [['id', 'ASC']] });
  return rows.map((r) => ({ at: r.at, event: r.event, elementId: r.elementId, elementType: r.elementType, elementName: r.elementName, actor: r.actor, outcome: r.outcome, comment: r.comment }));
}

/** An instance with its variables, active elements, tasks, jobs, incidents and history. */
export async function getInstance(id: string) {
  const row = await EngineInstance.findByPk(id, { attributes: { exclude: ['state'] } });
  if (!row) throw NotFound('engine.instanceNotFound', { id });
  const def = await loadDefinition(row.definitionId);
  const [tasks, jobs, incidents, history, children] = await Promise.all([
    EngineTask.findAll({ where: { instanceId: id }, order: [['id', 'ASC']] }),
    EngineJob.findAll({ where: { instanceId: id }, order: [['runAt', 'ASC']] }),
    EngineIncident.findAll({ where: { instanceId: id }, order: [['id', 'ASC']] }),
    getTimeline(id),
    EngineInstance.findAll({ where: { parentInstanceId: id }, attributes: ['id', 'definitionKey', 'status', 'startedAt'], order: [['startedAt', 'ASC']] }),
  ]);
  const active = JSON.parse(row.activeElements) as Array<{ id: string; type: string; executionId: string }>;
  const completed = [...new Set(history.filter((h) => h.event === 'end' && h.elementId).map((h) => h.elementId!))];
  const tokens: Record<string, number> = {};
  for (const a of active) tokens[a.id] = (tokens[a.id] ?? 0) + 1;
  return {
    id: row.id,
    definitionId: row.definitionId,
    definitionKey: row.definitionKey,
    definitionVersion: def.version,
    definitionName: def.name,
    businessKey: row.businessKey,
    status: row.status,
    version: row.version,
    startedBy: row.startedBy,
    startedAt: row.startedAt,
    orgCode: row.orgCode,
    orgPath: row.orgPath,
    parentInstanceId: row.parentInstanceId,
    children: children.map((c) => ({ id: c.id, definitionKey: c.definitionKey, status: c.status, startedAt: c.startedAt })),
    endedAt: row.endedAt,
    variables: JSON.parse(row.variables) as Record<string, unknown>,
    activeElements: active,
    completedElements: completed,
    tokens,
    tasks: tasks.map(presentTask),
    jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, elementId: j.elementId, executionId: j.executionId, runAt: j.runAt, attempts: j.attempts, status: j.status, leaseOwner: j.leaseOwner, lastError: j.lastError })),
    incidents: incidents.map((i) => ({ id: i.id, elementId: i.elementId, handler: i.handler, error: i.error, code: i.code, params: i.paramsObject(), attempts: i.attempts, status: i.status, createdAt: i.createdAt, resolvedAt: i.resolvedAt, resolvedBy: i.resolvedBy })),
    history,
  };
}

/** A task as it leaves the engine (JSON and view models). */
export function presentTask(t: EngineTask) {
  const list = (s: string | null) => (s ?? '').split(',').filter(Boolean);
  return {
    id: t.id, instanceId: t.instanceId, processKey: t.definitionKey, businessKey: t.businessKey, elementId: t.elementId, name: t.name,
    formKey: t.formKey, assignee: t.assignee, candidateGroups: list(t.candidateGroups), candidateUsers: list(t.candidateUsers), orgCode: t.orgCode,
    dueAt: t.dueAt, followUpAt: t.followUpAt, priority: t.priority, status: t.status, createdAt: t.createdAt, claimedAt: t.claimedAt,
    completedAt: t.completedAt, completedBy: t.completedBy, input: t.input ? (JSON.parse(t.input) as Record<string, unknown>) : {},
  };
}

/** Org subtrees (materialized path prefixes) a read is limited to; null: everywhere. */
export type OrgPathScope = string[] | null;

function scopeSql(alias: string, scope: OrgPathScope): { sql: string; params: string[] } {
  if (scope === null) return { sql: '1 = 1', params: [] };
  if (!scope.length) return { sql: '1 = 0', params: [] };
  return { sql: `(${scope.map(() => `${alias}.org_path LIKE ?`).join(' OR ')})`, params: scope.map((p) => `${p}%`) };
}

/** Instance filters of the cockpit. */
export interface InstanceQuery {
  definitionKey?: string;
  businessKey?: string;
  status?: string;
  limit?: number;
  offset?: number;
  /** Only instances of these org subtrees (null or absent: all). */
  orgPaths?: OrgPathScope;
}

/** The org unit of an instance (code and path, null when system-wide); 404 when there is no such instance. */
export async function instanceOrg(id: string): Promise<{ orgCode: string | null; orgPath: string | null }> {
  const [row] = await selectRows<{ org_code: string | null; org_path: string | null }>('SELECT org_code, org_path FROM engine_instances WHERE id = ?', [id]);
  if (!row) throw NotFound('engine.instanceNotFound', { id });
  return { orgCode: row.org_code, orgPath: row.org_path };
}

/** An incident row, or 404. */
export async function getIncident(id: number): Promise<EngineIncident> {
  const row = await EngineIncident.findByPk(id);
  if (!row) throw NotFound('engine.incidentNotFound', { id });
  return row;
}

/** A job row, or null. */
export async function getJob(id: number): Promise<EngineJob | null> {
  return EngineJob.findByPk(id);
}

/** The instance a message with this name and business key would reach now, or null (it would start one). */
export async function messageTarget(name: string, businessKey: string | null): Promise<string | null> {
  const sub = await EngineSubscription.findOne({ where: { kind: 'message', name, ...(businessKey ? { businessKey } : {}) }, order: [['id', 'ASC']] });
  return sub?.instanceId ?? null;
}

/** Instances for the cockpit, newest first. */
export async function listInstances(q: InstanceQuery = {}) {
  const where: Record<string | symbol, unknown> = {};
  if (q.orgPaths !== undefined && q.orgPaths !== null) {
    where[Op.or] = q.orgPaths.length ? q.orgPaths.map((p) => ({ orgPath: { [Op.like]: `${p}%` } })) : [{ id: null }];
  }
  if (q.definitionKey) where.definitionKey = q.definitionKey;
  if (q.status) where.status = q.status;
  if (q.businessKey) where.businessKey = { [Op.like]: `%${q.businessKey}%` };
  const { rows, count } = await EngineInstance.findAndCountAll({
    where, attributes: { exclude: ['state', 'variables', 'runtime'] }, order: [['startedAt', 'DESC']], limit: Math.min(q.limit ?? 50, 500), offset: q.offset ?? 0,
  });
  return { total: count, rows: rows.map((r) => ({ id: r.id, definitionKey: r.definitionKey, businessKey: r.businessKey, orgCode: r.orgCode, status: r.status, startedAt: r.startedAt, endedAt: r.endedAt, active: (JSON.parse(r.activeElements) as Array<{ id: string }>).map((a) => a.id) })) };
}

/** Incidents of instances in the scope, newest first. */
export async function listIncidents(status: 'open' | 'resolved' = 'open', scope: OrgPathScope = null): Promise<EngineIncident[]> {
  const where = scopeSql('e', scope);
  const rows = await selectRows<Record<string, unknown>>(
    `SELECT i.* FROM engine_incidents i JOIN engine_instances e ON e.id = i.instance_id WHERE i.status = ? AND ${where.sql} ORDER BY i.created_at DESC, i.id DESC LIMIT 500`, [status, ...where.params]);
  return modelsOf(EngineIncident, rows);
}

/** Jobs in a status (failed ones for the cockpit): those of instances in the scope, and with a null scope also those of no instance. */
export async function listScopedJobs(status: string, scope: OrgPathScope = null, limit = 100): Promise<EngineJob[]> {
  const where = scopeSql('e', scope);
  const rows = await selectRows<Record<string, unknown>>(
    `SELECT j.* FROM engine_jobs j LEFT JOIN engine_instances e ON e.id = j.instance_id WHERE j.status = ? AND ${scope === null ? '1 = 1' : `e.id IS NOT NULL AND ${where.sql}`} ORDER BY j.run_at ASC LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
    [status, ...where.params]);
  return modelsOf(EngineJob, rows);
}

/** Counts for the cockpit's overview (instances, incidents and jobs in the scope). */
export async function engineCounts(scope: OrgPathScope = null) {
  const where = scopeSql('e', scope);
  const count = async (sql: string, params: unknown[]) => Number((await selectRows<{ n: number }>(sql, params))[0]?.n ?? 0);
  const [definitions, active, incidents, jobs] = await Promise.all([
    EngineDefinition.count(),
    count(`SELECT COUNT(*) AS n FROM engine_instances e WHERE e.status = 'active' AND ${where.sql}`, where.params),
    count(`SELECT COUNT(*) AS n FROM engine_incidents i JOIN engine_instances e ON e.id = i.instance_id WHERE i.status = 'open' AND ${where.sql}`, where.params),
    scope === null ? EngineJob.count({ where: { status: 'pending' } })
      : count(`SELECT COUNT(*) AS n FROM engine_jobs j JOIN engine_instances e ON e.id = j.instance_id WHERE j.status = 'pending' AND ${where.sql}`, where.params),
  ]);
  return { definitions, active, incidents, jobs };
}

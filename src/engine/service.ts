// What other domains use of the engine: deploy, start, correlate, tasks, handlers, jobs, and reads
// of instances with their timeline. Importing this module registers the engine's job kinds.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Op } from 'sequelize';
import { EngineDefinition, EngineHistory, EngineIncident, EngineInstance, EngineJob, EngineTask } from './models.ts';
import { deployDirectory, loadDefinition } from './definitions.ts';
import { NotFound } from '../errors.ts';
import './jobs.ts';

export { deployDefinition, deployDirectory, analyzeXml, listDefinitions, getDefinitionRow, type DeployProblem, type DeployResult } from './definitions.ts';
export { startProcess, correlateMessage, broadcastSignal, cancelInstance, retryIncident, moveTimer, resumeInstance, findInstances, engineEvents } from './runtime.ts';
export { listTasks, openTasksOf, getTask, claimTask, unclaimTask, delegateTask, completeTask, completeTaskAsSystem, commentTask, canSeeTask, type TaskQuery } from './tasks.ts';
export { registerServiceHandler, registerJobKind, type ServiceHandler, type ServiceCall, type JobHandler, type JobCall } from './handlers.ts';
export { enqueueJob, startJobWorker, stopJobWorker, runDueJobs, listJobs, retryFailedJob } from './jobs.ts';

/** The folder of BPMN files shipped with the product. */
export const PROCESSES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../processes');

/** Deploys the shipped processes (unchanged files are skipped by their SHA-256). */
export async function deployShippedProcesses() {
  return deployDirectory(PROCESSES_DIR);
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
    parentInstanceId: row.parentInstanceId,
    children: children.map((c) => ({ id: c.id, definitionKey: c.definitionKey, status: c.status, startedAt: c.startedAt })),
    endedAt: row.endedAt,
    variables: JSON.parse(row.variables) as Record<string, unknown>,
    activeElements: active,
    completedElements: completed,
    tokens,
    tasks: tasks.map(presentTask),
    jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, elementId: j.elementId, executionId: j.executionId, runAt: j.runAt, attempts: j.attempts, status: j.status, leaseOwner: j.leaseOwner, lastError: j.lastError })),
    incidents: incidents.map((i) => ({ id: i.id, elementId: i.elementId, handler: i.handler, error: i.error, attempts: i.attempts, status: i.status, createdAt: i.createdAt, resolvedAt: i.resolvedAt, resolvedBy: i.resolvedBy })),
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

/** Instance filters of the cockpit. */
export interface InstanceQuery {
  definitionKey?: string;
  businessKey?: string;
  status?: string;
  limit?: number;
  offset?: number;
}

/** Instances for the cockpit, newest first. */
export async function listInstances(q: InstanceQuery = {}) {
  const where: Record<string, unknown> = {};
  if (q.definitionKey) where.definitionKey = q.definitionKey;
  if (q.status) where.status = q.status;
  if (q.businessKey) where.businessKey = { [Op.like]: `%${q.businessKey}%` };
  const { rows, count } = await EngineInstance.findAndCountAll({
    where, attributes: { exclude: ['state', 'variables', 'runtime'] }, order: [['startedAt', 'DESC']], limit: Math.min(q.limit ?? 50, 500), offset: q.offset ?? 0,
  });
  return { total: count, rows: rows.map((r) => ({ id: r.id, definitionKey: r.definitionKey, businessKey: r.businessKey, status: r.status, startedAt: r.startedAt, endedAt: r.endedAt, active: (JSON.parse(r.activeElements) as Array<{ id: string }>).map((a) => a.id) })) };
}

/** Open incidents (for admins). */
export async function listIncidents(status: 'open' | 'resolved' = 'open') {
  return EngineIncident.findAll({ where: { status }, order: [['createdAt', 'DESC']], limit: 500 });
}

/** Counts for the cockpit's overview. */
export async function engineCounts() {
  const [definitions, active, incidents, jobs] = await Promise.all([
    EngineDefinition.count(), EngineInstance.count({ where: { status: 'active' } }), EngineIncident.count({ where: { status: 'open' } }), EngineJob.count({ where: { status: 'pending' } }),
  ]);
  return { definitions, active, incidents, jobs };
}

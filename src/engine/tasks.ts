// User tasks as people see them: who may see and act on a task, the inbox query, and claim,
// unclaim, delegate, comment and complete with 409s for lost races.
import { Op, type WhereOptions } from 'sequelize';
import { EngineHistory, EngineTask } from './models.ts';
import { signalTask } from './runtime.ts';
import { modelsOf, selectRows } from './sql.ts';
import { Conflict, Forbidden, NotFound } from '../errors.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import { hasRole, isCandidate, OrgPaths, type Viewer } from '../access/index.ts';

/** One task row by id (a raw read: completing a task is on the engine's hot path). */
async function taskById(id: number): Promise<EngineTask | null> {
  const [task] = modelsOf(EngineTask, await selectRows<Record<string, unknown>>('SELECT * FROM engine_tasks WHERE id = ?', [id]));
  return task ?? null;
}

/** The open tasks of an instance, oldest first (for domains and scripts that just started or moved one). */
export async function openTasksOf(instanceId: string): Promise<EngineTask[]> {
  return modelsOf(EngineTask, await selectRows<Record<string, unknown>>("SELECT * FROM engine_tasks WHERE instance_id = ? AND status = 'open' ORDER BY id", [instanceId]));
}

function split(list: string | null): string[] {
  return (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Loads a task the viewer may see (admins see every task), or 404. */
export async function getTask(viewer: Viewer, id: number): Promise<EngineTask> {
  const task = await taskById(id);
  if (!task) throw NotFound('engine.taskNotFound', { id });
  if (!hasRole(viewer, 'admin') && !(await isCandidate(viewer, task))) throw NotFound('engine.taskNotFound', { id });
  return task;
}

async function loadActionable(viewer: Viewer, id: number): Promise<EngineTask> {
  const task = await taskById(id);
  if (!task || !(await isCandidate(viewer, task))) throw NotFound('engine.taskNotFound', { id });
  if (task.status === 'completed') throw Conflict('engine.taskAlreadyCompleted', { id });
  if (task.status !== 'open') throw Conflict('engine.taskNotActive', { id });
  return task;
}

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

/** The tasks a viewer may work on, filtered and sorted. */
export async function listTasks(viewer: Viewer, q: TaskQuery = {}): Promise<EngineTask[]> {
  const scope = q.scope ?? 'all';
  const like = (col: string, v: string) => ({ [col]: { [Op.like]: `%,${v}%` } });
  const roles = [...new Set(viewer.roles.map((r) => r.role))];
  const candidates: WhereOptions[] = [{ assignee: viewer.username }, like('candidateUsers', `${viewer.username},`)];
  for (const role of roles) candidates.push(like('candidateGroups', `${role}@`), like('candidateGroups', `${role},`));
  if (hasRole(viewer, 'officer', 'leader')) candidates.push({ assignee: null, candidateUsers: null, candidateGroups: null });
  const where: Record<string | symbol, unknown> = { status: q.status ?? 'open', [Op.or]: candidates };
  if (q.processKey) where.definitionKey = q.processKey;
  if (q.orgCode) where.orgCode = q.orgCode;
  if (q.businessKey) where.businessKey = q.businessKey;
  if (scope === 'mine') where.assignee = viewer.username;
  if (scope === 'unassigned' || scope === 'groups') where.assignee = null;
  const order: Array<[string, string]> =
    q.sort === 'created' ? [['createdAt', 'DESC']] : q.sort === 'priority' ? [['priority', 'DESC'], ['dueAt', 'ASC']] : [['dueAt', 'ASC'], ['id', 'ASC']];
  const rows = await EngineTask.findAll({ where, order, limit: Math.min(q.limit ?? 200, 1000) * 2 });
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

/** Claims an unassigned task for the viewer; 409 when someone else holds it or it is done. */
export async function claimTask(viewer: Viewer, id: number): Promise<EngineTask> {
  const task = await loadActionable(viewer, id);
  if (task.assignee === viewer.username) return task;
  if (task.assignee) throw Conflict('engine.taskClaimedByOther', { id, assignee: task.assignee });
  const [count] = await EngineTask.update({ assignee: viewer.username, claimedAt: new Date() }, { where: { id, status: 'open', assignee: null } });
  if (count !== 1) throw Conflict('engine.taskClaimedByOther', { id });
  await history(task, 'claim', viewer.username, null);
  return (await taskById(id))!;
}

/** Gives a claimed task back to its candidates. */
export async function unclaimTask(viewer: Viewer, id: number): Promise<EngineTask> {
  const task = await loadActionable(viewer, id);
  if (task.assignee !== viewer.username) throw Conflict('engine.taskClaimedByOther', { id, assignee: task.assignee ?? '' });
  const [count] = await EngineTask.update({ assignee: null, claimedAt: null }, { where: { id, status: 'open', assignee: viewer.username } });
  if (count !== 1) throw Conflict('engine.taskChanged', { id });
  await history(task, 'unclaim', viewer.username, null);
  return (await taskById(id))!;
}

/** Hands a task to another user (audited). */
export async function delegateTask(viewer: Viewer, id: number, username: string): Promise<EngineTask> {
  const task = await loadActionable(viewer, id);
  if (task.assignee && task.assignee !== viewer.username) throw Conflict('engine.taskClaimedByOther', { id, assignee: task.assignee });
  const [count] = await EngineTask.update({ assignee: username, claimedAt: new Date() }, { where: { id, status: 'open', assignee: task.assignee } });
  if (count !== 1) throw Conflict('engine.taskChanged', { id });
  await history(task, 'delegate', viewer.username, null, username);
  await appendAudit(actorOf(viewer), { action: 'engine.task.delegate', targetType: 'task', targetId: id, detail: { to: username, instanceId: task.instanceId } });
  return (await taskById(id))!;
}

/** Adds a comment to a task's timeline. */
export async function commentTask(viewer: Viewer, id: number, text: string): Promise<void> {
  const task = await taskById(id);
  if (!task || !(await isCandidate(viewer, task))) throw NotFound('engine.taskNotFound', { id });
  await history(task, 'comment', viewer.username, text);
}

/** Completes a task with variables: only its assignee (or, when unassigned, a candidate); twice is a 409. */
export async function completeTask(viewer: Viewer, id: number, variables: Record<string, unknown> = {}, comment: string | null = null) {
  const task = await loadActionable(viewer, id);
  if (task.assignee && task.assignee !== viewer.username) throw Conflict('engine.taskClaimedByOther', { id, assignee: task.assignee });
  return signalTask(task, variables, viewer.username, comment);
}

/** Completes a task as a script or the CLI (no person to check). */
export async function completeTaskAsSystem(id: number, variables: Record<string, unknown> = {}, actor = 'system') {
  const task = await taskById(id);
  if (!task) throw NotFound('engine.taskNotFound', { id });
  if (task.status === 'completed') throw Conflict('engine.taskAlreadyCompleted', { id });
  if (task.status !== 'open') throw Conflict('engine.taskNotActive', { id });
  return signalTask(task, variables, actor, null);
}

async function history(task: EngineTask, event: string, actor: string, comment: string | null, outcome: string | null = null): Promise<void> {
  await EngineHistory.create({ instanceId: task.instanceId, elementId: task.elementId, elementType: 'bpmn:UserTask', elementName: task.name, event, actor, comment, outcome, at: new Date() });
}

/** Whether the viewer may see a task at all (for pages that link to one). */
export async function canSeeTask(viewer: Viewer, task: EngineTask): Promise<boolean> {
  return hasRole(viewer, 'admin') || isCandidate(viewer, task);
}

/** Throws 403 unless the viewer is an admin. */
export function assertAdmin(viewer: Viewer): void {
  if (!hasRole(viewer, 'admin')) throw Forbidden();
}

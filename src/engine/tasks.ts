// User task rows at the data level: read by id or by filters, claim, unclaim, assign and unassign by
// username, comment and complete, with 409s for lost races. Who may do any of it is decided by the
// caller (src/workflow/ through src/access/); the engine only stores who a task is for.
import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { EngineHistory, EngineTask } from './models.ts';
import { signalTask, type JoinOptions } from './runtime.ts';
import { modelsOf, selectRows } from './sql.ts';
import { engineTransaction } from './write-lock.ts';
import { Conflict, NotFound } from '../errors.ts';

/** Work done in the same transaction as a task change (the caller's audit row). */
export type AlongWith = (transaction: Transaction) => Promise<unknown>;

/** One task row by id, or null (a raw read: completing a task is on the engine's hot path). */
export async function taskById(id: number): Promise<EngineTask | null> {
  const [task] = modelsOf(EngineTask, await selectRows<Record<string, unknown>>('SELECT * FROM engine_tasks WHERE id = ?', [id]));
  return task ?? null;
}

/** The open tasks of an instance, oldest first (for domains and scripts that just started or moved one). */
export async function openTasksOf(instanceId: string): Promise<EngineTask[]> {
  return modelsOf(EngineTask, await selectRows<Record<string, unknown>>("SELECT * FROM engine_tasks WHERE instance_id = ? AND status = 'open' ORDER BY id", [instanceId]));
}

/** Task filters at the data level: candidate usernames and roles narrow the rows, the caller decides. */
export interface TaskFilter {
  /** Rows assigned to or listing one of these usernames as candidate. */
  usernames?: string[];
  /** Rows with a candidate group of one of these roles. */
  roles?: string[];
  /** Also rows without any assignment. */
  unassignedRows?: boolean;
  /** `mine`: assigned to the first username; `groups`/`unassigned`: nobody claimed; `all`: no narrowing. */
  scope?: 'mine' | 'groups' | 'unassigned' | 'all';
  processKey?: string;
  orgCode?: string;
  businessKey?: string;
  sort?: 'due' | 'created' | 'priority';
  status?: 'open' | 'completed' | 'cancelled';
  limit?: number;
}

/** Task rows matching a filter, sorted (a superset of what a person may see: the caller checks each). */
export async function findTasks(f: TaskFilter): Promise<EngineTask[]> {
  const like = (col: string, v: string) => ({ [col]: { [Op.like]: `%,${v}%` } });
  const candidates: WhereOptions[] = [];
  for (const u of f.usernames ?? []) candidates.push({ assignee: u }, like('candidateUsers', `${u},`));
  for (const role of f.roles ?? []) candidates.push(like('candidateGroups', `${role}@`), like('candidateGroups', `${role},`));
  if (f.unassignedRows) candidates.push({ assignee: null, candidateUsers: null, candidateGroups: null });
  if (!candidates.length) return [];
  const where: Record<string | symbol, unknown> = { status: f.status ?? 'open', [Op.or]: candidates };
  if (f.processKey) where.definitionKey = f.processKey;
  if (f.orgCode) where.orgCode = f.orgCode;
  if (f.businessKey) where.businessKey = f.businessKey;
  if (f.scope === 'mine') where.assignee = f.usernames?.[0] ?? '';
  if (f.scope === 'unassigned' || f.scope === 'groups') where.assignee = null;
  const order: Array<[string, string]> =
    f.sort === 'created' ? [['createdAt', 'DESC']] : f.sort === 'priority' ? [['priority', 'DESC'], ['dueAt', 'ASC']] : [['dueAt', 'ASC'], ['id', 'ASC']];
  return EngineTask.findAll({ where, order, limit: Math.min(f.limit ?? 200, 1000) * 2 });
}

/** The task if it is open; 404 when missing, 409 when done or cancelled. */
export async function openTask(id: number): Promise<EngineTask> {
  const task = await taskById(id);
  if (!task) throw NotFound('engine.taskNotFound', { id });
  if (task.status === 'completed') throw Conflict('engine.taskAlreadyCompleted', { id });
  if (task.status !== 'open') throw Conflict('engine.taskNotActive', { id });
  return task;
}

/** Sets the assignee of an unassigned task to a username; 409 when someone else holds it. */
export async function claimTaskFor(task: EngineTask, username: string): Promise<EngineTask> {
  if (task.assignee === username) return task;
  if (task.assignee) throw Conflict('engine.taskClaimedByOther', { id: task.id, assignee: task.assignee });
  const [count] = await EngineTask.update({ assignee: username, claimedAt: new Date() }, { where: { id: task.id, status: 'open', assignee: null } });
  if (count !== 1) throw Conflict('engine.taskClaimedByOther', { id: task.id });
  await history(task, 'claim', username, null);
  return (await taskById(task.id))!;
}

/** Gives a task claimed by a username back to its candidates. */
export async function unclaimTaskFor(task: EngineTask, username: string): Promise<EngineTask> {
  if (task.assignee !== username) throw Conflict('engine.taskClaimedByOther', { id: task.id, assignee: task.assignee ?? '' });
  const [count] = await EngineTask.update({ assignee: null, claimedAt: null }, { where: { id: task.id, status: 'open', assignee: username } });
  if (count !== 1) throw Conflict('engine.taskChanged', { id: task.id });
  await history(task, 'unclaim', username, null);
  return (await taskById(task.id))!;
}

/**
 * Moves a task from its current assignee (as read) to another username, or to nobody (`to` null);
 * `event` names the timeline entry. `along` runs in the same transaction (the caller's audit row).
 */
export async function reassignTask(task: EngineTask, to: string | null, actor: string, event: 'delegate' | 'unassign', along?: AlongWith): Promise<EngineTask> {
  await engineTransaction(async (transaction) => {
    const [count] = await EngineTask.update({ assignee: to, claimedAt: to ? new Date() : null }, { where: { id: task.id, status: 'open', assignee: task.assignee }, transaction });
    if (count !== 1) throw Conflict('engine.taskChanged', { id: task.id });
    await history(task, event, actor, null, to ?? task.assignee, transaction);
    await along?.(transaction);
  });
  return (await taskById(task.id))!;
}

/** Adds a comment to a task's timeline. */
export async function commentOnTask(task: EngineTask, actor: string, text: string): Promise<void> {
  await history(task, 'comment', actor, text);
}

/** Completes an open task as a username (authorization is the caller's); twice is a 409. */
export async function completeTaskBy(task: EngineTask, username: string, variables: Record<string, unknown> = {}, comment: string | null = null) {
  if (task.assignee && task.assignee !== username) throw Conflict('engine.taskClaimedByOther', { id: task.id, assignee: task.assignee });
  return signalTask(task, variables, username, comment);
}

/**
 * Completes a task as a script, the CLI or a domain service (no person to check). With `transaction`
 * the completion joins the caller's open transaction (a savepoint): both commit or roll back together.
 */
export async function completeTaskAsSystem(id: number, variables: Record<string, unknown> = {}, actor = 'system', opts: JoinOptions = {}) {
  const task = await openTask(id);
  return signalTask(task, variables, actor, null, opts);
}

async function history(task: EngineTask, event: string, actor: string, comment: string | null, outcome: string | null = null, transaction?: Transaction): Promise<void> {
  await EngineHistory.create({ instanceId: task.instanceId, elementId: task.elementId, elementType: 'bpmn:UserTask', elementName: task.name, event, actor, comment, outcome, at: new Date() }, { transaction });
}

// What an API client may do through `/engine-rest`, in Camunda 7's terms: fetch and answer external
// tasks of its topics, start processes and correlate messages of its process keys. Every decision
// about the client's scope is asked of the access module.
import {
  completeExternalTask, correlateMessage, definitionsStartedBy, externalBpmnError, extendExternalLock, failExternalTask, fetchAndLock,
  getExternalTask, getInstance, messageTarget, startProcess, unlockExternalTask, type ExternalTask, type FetchRequest, type LockedTask,
} from '../engine/service.ts';
import { assertTopics, canServeTopic, canStartProcess, type MachineCaller } from '../access/index.ts';
import { Forbidden, NotFound, BadRequest } from '../errors.ts';

/** Largest variables a call may carry, as JSON (as the engine API allows). */
export const MAX_VARIABLES_BYTES = 256 * 1024;

/** Refuses variables larger than the engine keeps per call. */
export function checkSize(vars: Record<string, unknown>): Record<string, unknown> {
  if (Buffer.byteLength(JSON.stringify(vars)) > MAX_VARIABLES_BYTES) throw BadRequest('apiclients.variablesTooLarge', { limit: MAX_VARIABLES_BYTES });
  return vars;
}

/** Fetches and locks tasks of topics the client holds (a topic it does not hold is a 403 naming it). */
export async function fetchFor(caller: MachineCaller, req: FetchRequest, signal?: AbortSignal): Promise<LockedTask[]> {
  assertTopics(caller, req.topics.map((t) => t.topicName));
  if (req.maxTasks <= 0 || !req.topics.length) return [];
  return fetchAndLock(req, { signal });
}

/** A task of one of the client's topics; others do not exist for it. */
async function taskFor(caller: MachineCaller, id: string): Promise<ExternalTask> {
  const task = await getExternalTask(id);
  if (!canServeTopic(caller, task.topic)) throw NotFound('externaltasks.notFound', { id });
  return task;
}

/** Completes a task the client's worker holds. */
export async function completeFor(caller: MachineCaller, id: string, workerId: string, variables: Record<string, unknown>): Promise<void> {
  await taskFor(caller, id);
  await completeExternalTask(id, workerId, checkSize(variables));
}

/** Reports a failure of a task the client's worker holds. */
export async function failFor(caller: MachineCaller, id: string, workerId: string, f: { errorMessage: string | null; errorDetails: string | null; retries: number; retryTimeout: number }): Promise<void> {
  await taskFor(caller, id);
  await failExternalTask(id, workerId, f);
}

/** Reports a BPMN error of a task the client's worker holds. */
export async function bpmnErrorFor(caller: MachineCaller, id: string, workerId: string, errorCode: string, errorMessage: string | null, variables: Record<string, unknown>): Promise<void> {
  await taskFor(caller, id);
  await externalBpmnError(id, workerId, errorCode, errorMessage, checkSize(variables));
}

/** Extends the lock of a task the client's worker holds. */
export async function extendLockFor(caller: MachineCaller, id: string, workerId: string, newDuration: number): Promise<void> {
  await taskFor(caller, id);
  await extendExternalLock(id, workerId, newDuration);
}

/** Unlocks a task of the client's topics. */
export async function unlockFor(caller: MachineCaller, id: string): Promise<void> {
  await taskFor(caller, id);
  await unlockExternalTask(id);
}

/** Starts the latest version of a process the client may start. */
export async function startFor(caller: MachineCaller, key: string, input: { businessKey: string | null; variables: Record<string, unknown> }) {
  if (!canStartProcess(caller, key)) throw Forbidden('apiclients.processForbidden', { key });
  const row = await startProcess(key, { businessKey: input.businessKey, variables: checkSize(input.variables), startedBy: `api:${caller.clientId}` });
  return { id: row.id, definitionId: row.definitionId, definitionKey: row.definitionKey, businessKey: row.businessKey, status: row.status, variables: JSON.parse(row.variables) as Record<string, unknown> };
}

/**
 * Correlates a message to the instance waiting for it under the correlation key (the business key, or
 * the one correlation key given), or starts a process by its message start event; either must be of a
 * process the client may start.
 */
export async function correlateFor(caller: MachineCaller, name: string, key: string | null, variables: Record<string, unknown>) {
  const target = await messageTarget(name, key);
  if (target) {
    const inst = await getInstance(target);
    if (!canStartProcess(caller, inst.definitionKey)) throw Forbidden('apiclients.processForbidden', { key: inst.definitionKey });
  } else {
    const starts = await definitionsStartedBy('message', name);
    if (!starts.length) throw BadRequest('apiclients.messageNotCorrelated', { name });
    if (!canStartProcess(caller, starts[0].def.key)) throw Forbidden('apiclients.processForbidden', { key: starts[0].def.key });
  }
  const result = await correlateMessage(name, key, checkSize(variables));
  return { ...result, instance: await getInstance(result.instanceId) };
}

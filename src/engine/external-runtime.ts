// What the runtime needs of external tasks: a service task that no in-process handler serves waits for a
// worker as one row in `engine_external_tasks`, written and removed in the instance's own transaction.
// The row-level queue (fetch and lock, failures, locks) lives in external.ts.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { insertRows, placeholders, type Tx } from './sql.ts';

/** A worker's answer that moves an instance: its result, a BPMN error, or an incident (no retries left). */
export type ExternalOutcome =
  | { type: 'complete'; taskId: string; workerId: string; executionId: string; variables: Record<string, unknown> }
  | { type: 'bpmnError'; taskId: string; workerId: string; executionId: string; errorCode: string; errorMessage: string | null; variables: Record<string, unknown> }
  | { type: 'incident'; taskId: string; workerId: string; executionId: string; errorMessage: string; errorDetails: string | null };

/** An external task the action began (or began again after an incident was retried). */
export interface NewExternal {
  executionId: string;
  elementId: string;
  topic: string;
  /** A retried incident: the old row is replaced. */
  replace: boolean;
}

/** External executions an instance waits on, kept in its runtime bookkeeping: execution id → element and topic. */
export type ExternalBook = Record<string, { elementId: string; topic: string }>;

/** The error a service callback gets for a BPMN error; bpmn-elements hands its `code` to error boundary events. */
export class ExternalBpmnError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'BpmnError';
  }
}

/** Topics that got new external tasks, emitted after commit (long-polling fetches wake on it). */
export const externalWake = new EventEmitter();
externalWake.setMaxListeners(0);

/** The statements of one action for its external task rows, queued in the instance's transaction. */
export function queueExternalWrites(tx: Tx, p: {
  instanceId: string; definitionId: number; definitionKey: string; businessKey: string | null; at: string | null;
  fresh: NewExternal[]; gone: string[]; outcome: ExternalOutcome | null; conflict: () => Error;
}): void {
  const o = p.outcome;
  if (o && o.type === 'incident') {
    void tx.expectOne("UPDATE engine_external_tasks SET status = 'incident', retries = 0, worker_id = NULL, lock_expires_at = NULL, error_message = ?, error_details = ? WHERE id = ? AND worker_id = ? AND status = 'open'",
      [o.errorMessage.slice(0, 1000), o.errorDetails, o.taskId, o.workerId], p.conflict);
  } else if (o) {
    // Only the worker holding the lock may finish the task, and only once.
    void tx.expectOne("DELETE FROM engine_external_tasks WHERE id = ? AND worker_id = ? AND status = 'open'", [o.taskId, o.workerId], p.conflict);
  }
  const gone = p.gone.filter((id) => !(o && o.type !== 'incident' && o.executionId === id));
  if (gone.length) void tx.queue(`DELETE FROM engine_external_tasks WHERE instance_id = ? AND execution_id IN (${placeholders(gone.length)})`, [p.instanceId, ...gone]);
  const replaced = p.fresh.filter((f) => f.replace).map((f) => f.executionId);
  if (replaced.length) void tx.queue(`DELETE FROM engine_external_tasks WHERE execution_id IN (${placeholders(replaced.length)})`, replaced);
  insertRows(tx, 'engine_external_tasks', ['id', 'instance_id', 'definition_id', 'definition_key', 'business_key', 'element_id', 'execution_id', 'topic', 'priority', 'status', 'created_at'],
    p.fresh.map((f) => [crypto.randomUUID(), p.instanceId, p.definitionId, p.definitionKey, p.businessKey, f.elementId, f.executionId, f.topic, 0, 'open', p.at]));
}

// The engine's events that cause notifications. A new user task tells the people it names.
import { engineEvents } from '../engine/service.ts';
import type { EngineTask } from '../engine/models.ts';
import { taskRecipients } from './recipients.ts';
import { notifyRecipient } from './service.ts';
import { getConfig } from '../config.ts';
import { log } from '../log.ts';

/** Queues "task assigned" to every person a new task names; returns how many messages. */
export async function notifyTaskAssigned(task: EngineTask): Promise<number> {
  const people = await taskRecipients(task);
  let n = 0;
  for (const p of people) {
    const rows = await notifyRecipient(p, 'task-assigned', {
      taskName: task.name ?? task.elementId, businessKey: task.businessKey, dueAt: task.dueAt, link: `${getConfig().baseUrl}/tasks/${task.id}`,
    }, { reference: `task:${task.id}`, senderOrgCode: task.orgCode });
    n += rows.length;
  }
  return n;
}

let pending = Promise.resolve();
let subscribed = false;

/** Subscribes to the engine's events once per process. */
export function subscribeToEngine(): void {
  if (subscribed) return;
  subscribed = true;
  engineEvents.on('task.created', (task: EngineTask) => {
    // One after the other, so a burst of new tasks does not open many transactions at once.
    pending = pending.then(() => notifyTaskAssigned(task)).then(() => undefined, (err) => {
      log.error('task notification failed', { taskId: task.id, error: String((err as Error)?.stack ?? err) });
    });
  });
}

/** Resolves when the notifications of the tasks created so far are queued (tests, shutdown). */
export function notificationsQueued(): Promise<void> {
  return pending;
}

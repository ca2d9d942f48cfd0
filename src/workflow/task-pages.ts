// Tasks a domain works on its own pages: a form key prefix names the domain, and the generic task list
// sends people there, so that the domain's rules (checks, locks, signatures) are never skipped.
import type { EngineTask } from '../engine/models.ts';

type UrlFor = (task: Pick<EngineTask, 'id' | 'instanceId' | 'formKey'>) => Promise<string | null>;

const owners = new Map<string, UrlFor>();

/** Claims every task whose form key starts with `prefix` (e.g. `reporting:`) for a domain's own page. */
export function registerTaskPage(prefix: string, urlFor: UrlFor): void {
  owners.set(prefix, urlFor);
}

/** The domain page a task is worked on, or null when the generic task page serves it. */
export async function taskPageOf(task: Pick<EngineTask, 'id' | 'instanceId' | 'formKey'>): Promise<string | null> {
  const key = task.formKey ?? '';
  for (const [prefix, urlFor] of owners) {
    if (key.startsWith(prefix)) return (await urlFor(task)) ?? '/tasks';
  }
  return null;
}

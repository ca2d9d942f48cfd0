// Shared helpers of the engine's scenario tests: BPMN wrapped in definitions, a fresh database,
// and a way to run due jobs without a background worker.
import { freshDb, type TestDb } from '../helpers/db.ts';
import { EngineHistory, EngineInstance, EngineJob, EngineTask } from '../../src/engine/models.ts';
import { runDueJobs } from '../../src/engine/jobs.ts';

/** Wraps process content in a definitions element with the Camunda 7 namespace (or Zeebe). */
export function bpmn(id: string, body: string, opts: { dialect?: 'camunda' | 'zeebe'; head?: string; name?: string } = {}): string {
  const ns = opts.dialect === 'zeebe' ? 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"' : 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"';
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" ${ns} id="Defs_${id}" targetNamespace="http://govflow.local/test">
${opts.head ?? ''}
<process id="${id}" name="${opts.name ?? id}" isExecutable="true">
${body}
</process>
</definitions>`;
}

/** A fresh migrated database for one test file. */
export async function engineDb(env: Record<string, string> = {}): Promise<TestDb> {
  return freshDb(env);
}

/** Open tasks of an instance. */
export async function openTasks(instanceId: string): Promise<EngineTask[]> {
  return EngineTask.findAll({ where: { instanceId, status: 'open' }, order: [['id', 'ASC']] });
}

/** The instance row. */
export async function instance(id: string): Promise<EngineInstance> {
  return (await EngineInstance.findByPk(id))!;
}

/** Element ids with an `end` history row, in order. */
export async function ended(instanceId: string): Promise<string[]> {
  const rows = await EngineHistory.findAll({ where: { instanceId, event: 'end' }, order: [['id', 'ASC']] });
  return rows.map((r) => r.elementId!);
}

/** Pending jobs of an instance. */
export async function jobsOf(instanceId: string): Promise<EngineJob[]> {
  return EngineJob.findAll({ where: { instanceId }, order: [['runAt', 'ASC']] });
}

/** Sleeps. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs due jobs until none is left due (or the time limit passes). */
export async function drainJobs(untilMs = 0): Promise<number> {
  let total = 0;
  const until = Date.now() + untilMs;
  for (;;) {
    const n = await runDueJobs();
    total += n;
    if (n === 0 && Date.now() >= until) return total;
    if (n === 0) await sleep(50);
  }
}

/** Simulates a node restart: the connection is reopened and every in-memory cache is dropped. */
export async function restart(db: TestDb): Promise<void> {
  const { closeStore, initStore } = await import('../../src/store/index.ts');
  const { clearDefinitionCache } = await import('../../src/engine/definitions.ts');
  const { forgetLiveEngines } = await import('../../src/engine/runtime.ts');
  await closeStore();
  clearDefinitionCache();
  forgetLiveEngines();
  await initStore(db.url);
}

// Deploys every file of test/fixtures/bpmn/ and runs those with a none start event as far as they
// go with stubs: every service handler a file names answers {}, user tasks are completed as soon as
// they open, due and pending timers are fired, waiting messages and signals are delivered. Shared by
// the fixture test and `npm run bench:fixtures`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpmnModdle } from 'bpmn-moddle';
import { Op } from 'sequelize';
import { deployDefinition, type DeployProblem } from '../../src/engine/definitions.ts';
import { startProcess, correlateMessage, broadcastSignal } from '../../src/engine/runtime.ts';
import { completeTaskAsSystem } from '../../src/engine/tasks.ts';
import { runDueJobs } from '../../src/engine/jobs.ts';
import { registerServiceHandler, serviceHandler } from '../../src/engine/handlers.ts';
import { EngineIncident, EngineInstance, EngineJob, EngineSubscription, EngineTask } from '../../src/engine/models.ts';

/** The fixture folder. */
export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/bpmn');

/** What happened to one file. */
export interface FixtureOutcome {
  file: string;
  deployed: boolean;
  problems: DeployProblem[];
  warnings: number;
  /** Whether the process has a none start event (only those are started). */
  startable: boolean;
  /** The instance's status after the stubs did what they could (absent when not started). */
  status?: string;
  /** Where a started instance still waits, and its open incidents. */
  waitingAt?: string[];
  incidents?: string[];
}

/** What the fixture set is expected to do: files refused (with the problem codes) and files not started (with why). */
export interface FixtureExpectations {
  refused: Record<string, string[]>;
  notStarted: Record<string, string>;
}

/** The expectations kept next to the files. */
export function fixtureExpectations(): FixtureExpectations {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'expected.json'), 'utf8')) as FixtureExpectations;
}

/** Start variables some files' conditions read (file → variables); the stub values a tester would type. */
function startVariables(): Map<string, Record<string, unknown>> {
  const file = path.join(FIXTURE_DIR, 'variables.json');
  const raw = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>) : {};
  return new Map(Object.entries(raw));
}

async function hasNoneStart(xml: string): Promise<boolean> {
  const { rootElement } = (await new BpmnModdle().fromXML(xml)) as unknown as { rootElement: { rootElements?: Array<Record<string, any>> } };
  const proc = (rootElement.rootElements ?? []).find((e) => e.$type === 'bpmn:Process' && e.isExecutable);
  return ((proc?.flowElements ?? []) as Array<Record<string, any>>).some((e) => e.$type === 'bpmn:StartEvent' && !(e.eventDefinitions ?? []).length);
}

/** Pushes every instance on with the stubs until the root instance ends or nothing moves any more. */
async function drive(rootId: string, firstTaskId: number): Promise<void> {
  for (let round = 0; round < 25; round++) {
    const root = await EngineInstance.findByPk(rootId);
    if (!root || root.status !== 'active') return;
    let moved = 0;
    // Tasks of this run only (the instance and the children it called); an earlier file's leftovers stay.
    for (const task of await EngineTask.findAll({ where: { status: 'open', id: { [Op.gte]: firstTaskId } }, order: [['id', 'ASC']] })) {
      const done = await completeTaskAsSystem(task.id, {}).then(() => true, () => false);
      if (done) moved++;
    }
    const pending = await EngineJob.findAll({ where: { status: 'pending' } });
    if (pending.length) {
      await EngineJob.update({ runAt: new Date(Date.now() - 1000) }, { where: { status: 'pending' } });
      moved += await runDueJobs();
    }
    for (const sub of await EngineSubscription.findAll({ order: [['id', 'ASC']] })) {
      if (sub.kind === 'message') await correlateMessage(sub.name, sub.businessKey ?? null, {}).catch(() => undefined);
      else await broadcastSignal(sub.name, {}).catch(() => undefined);
      moved++;
    }
    if (!moved) return;
  }
}

/** Deploys every fixture (all files first, so call activities find their children), then runs the startable ones. */
export async function runFixtures(log: (line: string) => void = () => undefined): Promise<FixtureOutcome[]> {
  const files = fs.readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.bpmn')).sort();
  const variables = startVariables();
  const { notStarted } = fixtureExpectations();
  const outcomes: FixtureOutcome[] = [];
  const versions = new Map<string, { key: string; id: number }>();
  for (const file of files) {
    const xml = fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8');
    const outcome: FixtureOutcome = { file, deployed: false, problems: [], warnings: 0, startable: false };
    try {
      const result = await deployDefinition(xml, { sourceName: file });
      outcome.deployed = true;
      outcome.warnings = result.warnings.length;
      outcome.startable = await hasNoneStart(xml);
      versions.set(file, { key: result.key, id: result.id });
      const { loadDefinition } = await import('../../src/engine/definitions.ts');
      for (const el of Object.values((await loadDefinition(result.id)).meta.elements)) {
        const name = el.handler;
        if (name && !name.startsWith('=') && !serviceHandler(name)) registerServiceHandler(name, () => ({}));
      }
    } catch (err) {
      outcome.problems = ((err as { details?: DeployProblem[] }).details ?? [{ code: String((err as Error).message), params: {} }]);
    }
    outcomes.push(outcome);
  }
  for (const outcome of outcomes) {
    const version = versions.get(outcome.file);
    // A file whose loop cannot end here is not started: it would only spin until the runtime stops it.
    if (!outcome.startable || !version || Object.hasOwn(notStarted, outcome.file)) continue;
    try {
      // Several files share a process id (`Process_1`): each starts the version it deployed.
      const firstTaskId = Number((await EngineTask.max('id')) ?? 0) + 1;
      const started = await startProcess(version.key, { definitionId: version.id, variables: variables.get(outcome.file) ?? {} });
      await drive(started.id, firstTaskId);
      const row = (await EngineInstance.findByPk(started.id))!;
      outcome.status = row.status;
      outcome.waitingAt = (JSON.parse(row.activeElements) as Array<{ id: string }>).map((a) => a.id);
      outcome.incidents = (await EngineIncident.findAll({ where: { instanceId: started.id, status: 'open' } })).map((i) => `${i.elementId}: ${i.error}`);
    } catch (err) {
      outcome.status = `start failed: ${String((err as Error).message ?? err)} ${JSON.stringify((err as { params?: unknown }).params ?? {})}`;
    }
    log(`${outcome.file}: ${outcome.status}${outcome.waitingAt?.length ? ` at ${outcome.waitingAt.join(', ')}` : ''}${outcome.incidents?.length ? ` (${outcome.incidents.join('; ')})` : ''}`);
  }
  return outcomes;
}

/** The headline figures of a run. */
export function fixtureFigures(outcomes: FixtureOutcome[]) {
  const deployed = outcomes.filter((o) => o.deployed);
  const startable = deployed.filter((o) => o.startable);
  return {
    files: outcomes.length,
    deployed: deployed.length,
    withWarnings: deployed.filter((o) => o.warnings > 0).length,
    startable: startable.length,
    started: startable.filter((o) => o.status !== undefined).length,
    ranToEnd: startable.filter((o) => o.status === 'completed').length,
  };
}

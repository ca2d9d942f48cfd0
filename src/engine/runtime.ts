// The runtime: one action on one instance = recover its state, run the BPMN definition until every branch
// waits, and persist state, tasks, jobs, subscriptions, incidents and history in one transaction
// guarded by the instance's version column. Any node can run any action; the loser of a race gets 409.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as elements from 'bpmn-elements';
import type { Transaction } from 'sequelize';
import { Machine } from './machine.ts';
import { EngineIncident, EngineInstance, EngineJob, EngineSubscription, EngineTask } from './models.ts';
import { loadDefinition, latestDefinition, SERVICE_TYPES, type ElementMeta, type LoadedDefinition } from './definitions.ts';
import { isFeel, parseRetryPolicy, resolveDate, resolveList, resolveString, resolveValue, toPlain } from './feel.ts';
import { assignmentCheck, bpmnErrorOf, serviceHandler, type AssignmentProposal, type CandidateGroup } from './handlers.ts';
import { AppError, BadRequest, Conflict, Invalid, NotFound } from '../errors.ts';
import { dbTime, insertRows, isTransient, placeholders, selectRows, withBulkInserts, withTx, type Tx } from './sql.ts';
import { log } from '../log.ts';
import { getConfig } from '../config.ts';
import { budgetErrorOf, inBudgetPass, shorten } from '../feel/index.ts';
import { t } from '../i18n/index.ts';
import { ExternalBpmnError, externalWake, queueExternalWrites, type ExternalBook, type ExternalOutcome, type NewExternal } from './external-runtime.ts';

/** Job kinds the engine itself schedules. */
export const JOB_TIMER = 'engine.timer';
export const JOB_SERVICE = 'engine.service';
export const JOB_TIMER_START = 'engine.timerStart';
/** A call activity began waiting: start its child instance. */
export const JOB_CALL = 'engine.call';
/** A child instance completed: its caller moves on. */
export const JOB_CALL_DONE = 'engine.callDone';
/** A call activity stopped waiting without its child (interrupted, cancelled): cancel the child. */
export const JOB_CALL_CANCEL = 'engine.callCancel';
/** A child was cancelled by someone else than its caller: an incident on the caller's call activity. */
export const JOB_CALL_FAILED = 'engine.callFailed';

/** Engine events for domains: `task.created`, `task.completed`, `instance.ended` (emitted after commit). */
export const engineEvents = new EventEmitter();

/** Why an execution waits on an incident instead of moving on. */
type HoldReason = 'service' | 'gateway' | 'collection' | 'runaway' | 'completion' | 'callDone' | 'bpmnError' | 'input';

/** An execution that failed and waits for a retry job or an incident retry. */
interface HeldExecution {
  elementId: string;
  attempts: number;
  nextAt?: string;
  error?: string;
  incident?: boolean;
  /** What failed (absent on older rows: a service). */
  reason?: HoldReason;
  /** A task completion or a child's result whose output mappings failed: applied again on retry. */
  values?: Record<string, unknown>;
  /** The task's own inputs that the output mappings saw. */
  local?: Record<string, unknown> | null;
}

/** Per-instance runtime bookkeeping stored next to the engine state. */
interface RuntimeState {
  /** Executions that failed and wait for a retry job or an incident retry (services, gateways, mappings …). */
  services: Record<string, HeldExecution>;
  /** How many job and subscription rows the instance has (so an action reads them only when some exist). */
  rows?: { jobs: number; subscriptions: number };
  /** User tasks held by an assignment incident (no task row): execution id → the reason. */
  unassigned?: Record<string, string>;
  /** Completed instances per running multi-instance body (for its completion condition): body execution id → count. */
  loops?: Record<string, number>;
  /** Service executions that wait for an external worker (no in-process handler serves their topic). */
  external?: ExternalBook;
}

interface HistoryRow {
  instanceId: string;
  elementId: string | null;
  elementType: string | null;
  elementName: string | null;
  event: string;
  actor: string | null;
  outcome: string | null;
  comment: string | null;
  at: Date;
}

/** What an action does inside the running engine once the state is resumed. */
type Action =
  | { kind: 'start'; startElementId?: string; messageRefId?: string; fireStartTimers?: boolean }
  | { kind: 'resume' }
  | { kind: 'task'; task: EngineTask; variables: Record<string, unknown>; actor: string | null; comment: string | null; join?: Transaction }
  | { kind: 'message'; refId: string; variables: Record<string, unknown> }
  | { kind: 'signal'; refId: string; variables: Record<string, unknown> }
  | { kind: 'retryService'; executionId: string; actor?: string | null; fresh?: boolean }
  | { kind: 'callDone'; executionId: string; childId: string; variables: Record<string, unknown> }
  | { kind: 'callFailed'; executionId: string; childId: string }
  | { kind: 'cancel'; actor: string | null; reason: string | null; byCaller?: boolean }
  | { kind: 'variables'; changes: Record<string, unknown>; actor: string | null; maxBytes: number }
  | { kind: 'external'; outcome: ExternalOutcome };

/** Optional changes applied to the stored state before it is recovered (moving a timer). */
type StatePatch = (state: Record<string, unknown>) => void;

class Run {
  inflight = 0;
  private wake: (() => void) | null = null;
  history: HistoryRow[] = [];
  newIncidents: NewIncident[] = [];
  /** Element executions this action ran (a runaway loop is stopped at ENGINE_MAX_TRANSITIONS). */
  transitions = 0;
  /** Whether this action already opened the incident of a runaway loop. */
  runaway = false;
  /** When the action last let the event loop turn. */
  sliceStart: number | null = null;
  /** Element steps since the action last let the event loop turn. */
  sinceYield = 0;
  /** A multi-instance body whose collection incident is retried by this action. */
  releasedCollection: string | null = null;
  /** What each running instance of a multi-instance sub-process sees of its own (its item, its loopCounter), by execution id. */
  readonly scopes = new Map<string, Record<string, unknown>>();
  /** External tasks this action began. */
  newExternal: NewExternal[] = [];
  /** A worker's answer this action delivers, and whether the waiting service took it. */
  externalOutcome: ExternalOutcome | null = null;
  externalTaken = false;
  error: Error | null = null;
  /** The first expression of this action that ran out of its FEEL budget, and where. */
  feelFault: { elementId: string; executionId: string | null; message: string } | null = null;
  /** The situation last persisted: what rows exist for this instance. */
  prev: { active: Situation['active']; jobs: number; subscriptions: number } = { active: [], jobs: 0, subscriptions: 0 };
  /** Due times of the durable timers last persisted (a cached engine must not skip one that is due). */
  timerDue: number[] = [];
  ended = false;
  /** Timer handles armed for real (expired timers), to tell them from durable ones. */
  readonly realTimers = new Set<NodeJS.Timeout>();
  retryExecutionId: string | null = null;
  fireStartTimers = false;
  /** The call activity that started this instance, if one did. */
  parent: { instanceId: string; executionId: string } | null = null;
  /** The org unit the instance belongs to (set at start, inherited by called instances). */
  org: InstanceOrg | null = null;

  /** While true, any access to the variables marks the run as depending on its input (see `templateOf`). */
  observing = false;
  /** Whether the variables were read or replaced while observed. */
  varsTouched = false;
  private values: Record<string, unknown>;

  constructor(
    readonly instanceId: string,
    readonly def: LoadedDefinition,
    readonly businessKey: string | null,
    vars: Record<string, unknown>,
    public runtime: RuntimeState,
  ) {
    this.values = vars;
  }

  /** The process variables (every reader goes through here, so a batch start can tell whether a run read any). */
  get vars(): Record<string, unknown> {
    if (this.observing) this.varsTouched = true;
    return this.values;
  }

  set vars(next: Record<string, unknown>) {
    if (this.observing) this.varsTouched = true;
    this.values = next;
  }

  meta(id: string): ElementMeta | undefined {
    return this.def.meta.elements[id];
  }

  /** Clears what one action collected, before the next action on a cached engine. */
  reset(): void {
    this.history = [];
    this.newIncidents = [];
    this.error = null;
    this.feelFault = null;
    this.transitions = 0;
    this.runaway = false;
    this.sliceStart = null;
    this.sinceYield = 0;
    this.releasedCollection = null;
    this.retryExecutionId = null;
    this.fireStartTimers = false;
    this.newExternal = [];
    this.externalOutcome = null;
    this.externalTaken = false;
  }

  poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Waits until nothing runs any more: every branch waits on a task, a durable timer, a message or a retry. */
  async settle(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.inflight <= 0) {
        await new Promise((r) => setImmediate(r));
        if (this.inflight <= 0) return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  record(event: string, el: { id: string; type?: string } | null, extra: Partial<HistoryRow> = {}): void {
    this.history.push(historyRow(this, event, el, extra));
  }

  /** Runs an evaluation for an element; an expression over its budget is noted for an incident there, then rethrown. */
  guard<T>(elementId: string | undefined, executionId: string | null | undefined, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const fault = budgetErrorOf(err);
      if (fault && elementId) this.feelFault ??= { elementId, executionId: executionId ?? null, message: fault.message };
      throw err;
    }
  }
}

/** An incident to open in the action's transaction: its catalog code (`incidents.*`) and parameters. */
interface NewIncident {
  elementId: string;
  executionId: string;
  handler: string | null;
  error: string;
  attempts: number;
  code: string;
  params: Record<string, unknown>;
}

/**
 * Opens an incident on an element (written with the action) and, with `hold`, keeps the execution
 * waiting there until an admin retries it: the instance never ends in a state nobody can act on.
 */
function raise(run: Run, at: { elementId: string; executionId: string; handler?: string | null; attempts?: number; error?: string }, code: string, params: Record<string, unknown>, hold?: Omit<HeldExecution, 'elementId' | 'attempts' | 'incident' | 'error'>): string {
  const error = at.error ?? t('en', `incidents.${code}`, { id: at.elementId, ...params });
  const attempts = at.attempts ?? 1;
  if (hold) run.runtime.services[at.executionId] = { elementId: at.elementId, attempts, error, incident: true, ...hold };
  run.newIncidents.push({ elementId: at.elementId, executionId: at.executionId, handler: at.handler ?? null, error, attempts, code, params: { id: at.elementId, ...params } });
  run.record('incident', { id: at.elementId, type: run.meta(at.elementId)?.type }, { outcome: error });
  return error;
}

/** The message of anything thrown, for an incident. */
function messageOf(err: unknown): string {
  const fault = budgetErrorOf(err);
  if (fault) return fault.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * An expression that ran out of its budget where the runtime cannot hold the execution (a timer, a
 * correlation key) is an incident on its element: the instance is kept (failed, with its variables and
 * history) instead of stalling the node or being refused.
 */
function raiseFeelIncident(run: Run): void {
  const fault = run.feelFault;
  if (!fault) return;
  raise(run, { elementId: fault.elementId, executionId: fault.executionId ?? fault.elementId }, 'feel', { message: fault.message });
}

const DEFAULT_RETRY = { tries: 3, backoffMs: 10000, exponential: true };

function buildEngine(run: Run): { engine: Machine; timers: any } {
  const timers: any = new (elements as any).Timers({
    setTimeout: (fn: (...a: unknown[]) => void, delay: number, ...args: unknown[]) => {
      // Timers are durable job rows; only an already expired timer is armed in memory.
      if (delay > 0) return null;
      run.inflight++;
      const handle: NodeJS.Timeout = setTimeout(() => {
        run.realTimers.delete(handle);
        run.inflight--;
        try {
          fn(...args);
        } finally {
          run.poke();
        }
      }, 0);
      run.realTimers.add(handle);
      return handle;
    },
    clearTimeout: (handle: NodeJS.Timeout | null) => {
      if (handle && run.realTimers.delete(handle)) {
        clearTimeout(handle);
        run.inflight--;
        run.poke();
      }
    },
  });
  const baseSet = timers._setTimeout.bind(timers);
  timers._setTimeout = (owner: { id?: string } | null, cb: unknown, delay: number, ...args: unknown[]) => {
    const isStart = !!owner?.id && !!run.meta(owner.id)?.isStart;
    return baseSet(owner, cb, run.fireStartTimers && isStart ? 0 : delay, ...args);
  };
  const expressions = {
    resolveExpression(expression: unknown, message?: { content?: Record<string, unknown> & { id?: string; executionId?: string; output?: unknown } }) {
      if (!isFeel(expression)) return expression;
      const content = message?.content;
      const loop = content?.id ? run.meta(content.id)?.loop : undefined;
      if (loop?.completionCondition === expression && content?.isMultiInstance) return completionMet(run, loop, content);
      const output = content?.output;
      const outer = outerScope(run, content);
      const base = outer ? { ...run.vars, ...outer } : run.vars;
      const scope = output && typeof output === 'object' && !Array.isArray(output) ? { ...base, ...(output as object) } : base;
      return run.guard(content?.id, content?.executionId, () => resolveValue(expression, scope));
    },
    isExpression: (text: unknown) => isFeel(text),
    hasExpression: (text: unknown) => isFeel(text),
  };
  const extensions = {
    govflow(activity: GuardedActivity) {
      if (SERVICE_TYPES.has(activity.type)) activity.behaviour.Service = serviceFactory(run);
      guardActivity(run, activity);
      return undefined;
    },
  };
  const engine = new Machine(run.def.sourceContext, { timers, expressions, extensions, scripts: feelScripts(run) }, {
    onActivity(routingKey, message) {
      const { content } = message;
      if (routingKey === 'activity.start') {
        if (!content.isRecovered) run.record('start', content);
      } else if (routingKey === 'activity.end') run.record('end', content);
      else run.record('timer', content);
    },
    onEnd() {
      run.ended = true;
    },
    onError(err) {
      run.error = err;
    },
  });
  return { engine, timers };
}

/**
 * Script tasks run FEEL only (deploy refuses every other language): the expression is evaluated
 * under the FEEL budget and its value lands in the result variable.
 */
function feelScripts(run: Run) {
  return {
    register: () => undefined,
    getScript(_format: unknown, activity: { id: string }) {
      const meta = run.meta(activity.id);
      const script = meta?.script;
      if (!script) return undefined;
      return {
        execute(scope: { content?: { executionId?: string } & Record<string, unknown> }, callback: (err: Error | null, output?: unknown) => void) {
          const executionId = scope.content?.executionId;
          let value: unknown;
          try {
            const local = inputsOf(run.vars, meta, iterationScope(meta, scope.content));
            value = run.guard(activity.id, executionId, () => resolveValue(script.expression, local ? { ...run.vars, ...local } : run.vars));
            if (script.resultVariable) complete(run, meta, { [script.resultVariable]: value }, local);
          } catch (err) {
            callback(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          callback(null, value);
        },
      };
    },
  };
}

/** A service task names a handler nobody registered: retrying cannot help until one is. */
class MissingHandler extends Error {}

/** An activity as bpmn-elements builds it: the parts the guard uses. */
interface GuardedActivity {
  id: string;
  type: string;
  behaviour: Record<string, unknown>;
  Behaviour: new (activity: unknown, context: unknown) => { execute(message: ExecuteMessage): void };
  outbound: Array<{ id: string; isDefault?: boolean; behaviour?: { conditionExpression?: { body?: string } } }>;
  broker: {
    publish(exchange: string, routingKey: string, content: unknown): void;
    subscribeTmp(exchange: string, pattern: string, fn: (routingKey: string, message: { content: Record<string, unknown> }) => void, options: Record<string, unknown>): unknown;
    cancel(consumerTag: string): void;
  };
}

/** The message bpmn-elements hands a behaviour's execute. */
interface ExecuteMessage {
  content: Record<string, unknown> & { executionId: string };
  fields?: { redelivered?: boolean };
}

/** Milliseconds an action runs elements before it lets the event loop turn, so that a long action never starves the node. */
const YIELD_AFTER_MS = 10;
/** Element steps an action runs synchronously before it pauses at the next gateway or plain task. */
const STEPS_BEFORE_PAUSE = 100;
/**
 * Elements where an action may pause: they wait for nothing, so a turn of the event loop changes no outcome.
 * Joining gateways (parallel, inclusive) are left out: bpmn-elements counts their arriving tokens as they
 * come, and a token held back over a turn of the event loop can leave the join waiting for ever.
 */
const PAUSABLE = new Set(['bpmn:ExclusiveGateway', 'bpmn:Task', 'bpmn:ManualTask']);

/**
 * Whether the action has run enough steps to pause before this element. Counted in steps, not time, so that
 * a model's outcome never depends on how loaded the machine is: a short action never pauses.
 */
function shouldPause(run: Run): boolean {
  if (run.sinceYield < STEPS_BEFORE_PAUSE) return false;
  run.sinceYield = 0;
  run.sliceStart = performance.now();
  return true;
}
/** Holds that keep an execution from running again until an admin retries its incident. */
const BLOCKING: ReadonlySet<HoldReason> = new Set(['gateway', 'collection', 'runaway']);

/**
 * Wraps every activity's behaviour: counts the action's transitions (a runaway loop stops with an
 * incident and yields the event loop between batches), decides gateways before bpmn-elements does (a
 * condition that fails or a gateway where nothing matches waits as an incident instead of failing the
 * instance), and checks a multi-instance collection before the instances open.
 */
function guardActivity(run: Run, activity: GuardedActivity): void {
  const Inner = activity.Behaviour;
  const isDecision = activity.type === 'bpmn:ExclusiveGateway' || activity.type === 'bpmn:InclusiveGateway';
  const loop = run.meta(activity.id)?.loop;
  const canPause = PAUSABLE.has(activity.type);
  activity.Behaviour = function Guarded(a: unknown, context: unknown) {
    const inner = new Inner(a, context);
    const execute = inner.execute.bind(inner);
    inner.execute = (message: ExecuteMessage) => {
      // A loop of gateways and plain tasks runs synchronously inside bpmn-elements: pausing at one of them now
      // and then breaks the call stack and lets the event loop turn.
      if (canPause && shouldPause(run)) {
        run.inflight++;
        setImmediate(() => {
          run.inflight--;
          try {
            guarded(message);
          } catch (err) {
            run.error ??= err as Error;
          } finally {
            run.poke();
          }
        });
        return;
      }
      guarded(message);
    };
    const guarded = (message: ExecuteMessage) => {
      run.sinceYield++;
      const content = message.content;
      const executionId = content.executionId;
      const held = run.runtime.services[executionId];
      if (held?.incident && held.reason && BLOCKING.has(held.reason)) return;
      if (++run.transitions > getConfig().engineMaxTransitions) {
        stopRunaway(run, activity.id, executionId);
        return;
      }
      if (isDecision) {
        const decided = decide(run, activity, content);
        if ('code' in decided) {
          raise(run, { elementId: activity.id, executionId }, decided.code, decided.params, { reason: 'gateway' });
          return;
        }
        activity.broker.publish('execution', 'execute.completed', { ...content, outbound: decided.outbound });
        return;
      }
      if (loop && content.isMultiInstance && !content.isRootScope) {
        const own = iterationScope(run.meta(activity.id), content);
        if (own && activity.type === 'bpmn:SubProcess') run.scopes.set(executionId, { ...outerScope(run, content), ...own });
      }
      if (loop && content.isRootScope && activity.type === 'bpmn:SubProcess' && loop.outputCollection) collectSubProcessOutputs(run, activity, executionId);
      if (loop && content.isRootScope) {
        const problem = collectionProblem(run, loop);
        if (problem) {
          raise(run, { elementId: activity.id, executionId }, problem.code, problem.params, { reason: 'collection' });
          return;
        }
        // A body held before it opened any instance: bpmn-elements would only resume a redelivered one.
        if (run.releasedCollection === executionId && message.fields) message.fields.redelivered = false;
      }
      execute(message);
    };
    return inner;
  } as unknown as GuardedActivity['Behaviour'];
}

/**
 * What an element inside running instances of multi-instance sub-processes sees of them: the items and
 * loop counters of every enclosing instance, innermost last (null: none).
 */
function outerScope(run: Run, content: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!run.scopes.size || !content) return null;
  const parent = content.parent as { executionId?: string; path?: Array<{ executionId?: string }> } | undefined;
  if (!parent) return null;
  let merged: Record<string, unknown> | null = null;
  for (const p of [...(parent.path ?? [])].reverse().concat(parent)) {
    const scope = p?.executionId ? run.scopes.get(p.executionId) : undefined;
    if (scope) merged = Object.assign(merged ?? {}, scope);
  }
  return merged;
}

/**
 * A multi-instance completion condition, evaluated once per completed instance with the counts Camunda
 * offers (Camunda 8 `numberOfCompletedInstances` …, Camunda 7 `nrOfCompletedInstances` …). A condition
 * that cannot be evaluated does not complete the activity early.
 */
function completionMet(run: Run, loop: NonNullable<ElementMeta['loop']>, content: Record<string, unknown>): boolean {
  const body = String(content.executionId).replace(/_\d+$/, '');
  const loops = (run.runtime.loops ??= {});
  const done = (loops[body] = (loops[body] ?? 0) + 1);
  const total = Number(content.loopCardinality ?? 0) || done;
  const active = loop.sequential ? 0 : Math.max(0, total - done);
  const counts = { numberOfInstances: total, numberOfCompletedInstances: done, numberOfActiveInstances: active, nrOfInstances: total, nrOfCompletedInstances: done, nrOfActiveInstances: active };
  try {
    return resolveValue(loop.completionCondition, { ...run.vars, ...outerScope(run, content), ...counts }) === true;
  } catch (err) {
    log.warn('completion condition not evaluated', { instanceId: run.instanceId, elementId: String(content.id), error: messageOf(err) });
    return false;
  }
}

/**
 * Writes each finished instance of a multi-instance sub-process into its output collection (its
 * `outputElement`, seeing its item), before the body decides whether it is complete.
 */
function collectSubProcessOutputs(run: Run, activity: GuardedActivity, bodyExecutionId: string): void {
  const tag = `_govflow-mi-output-${bodyExecutionId}`;
  activity.broker.cancel(tag);
  activity.broker.subscribeTmp('execution', 'execute.completed', (_key, message) => {
    const c = message.content;
    if (!c.isMultiInstance || c.isRootScope || c.id !== activity.id || typeof c.index !== 'number') return;
    const own = iterationScope(run.meta(activity.id), c);
    try {
      complete(run, run.meta(activity.id), {}, own ? { ...outerScope(run, c), ...own } : null);
    } catch (err) {
      raise(run, { elementId: activity.id, executionId: String(c.executionId) }, 'mapping', { message: messageOf(err) });
    }
  }, { noAck: true, consumerTag: tag, priority: 1000 });
}

/**
 * Lets the event loop turn once the action has run for YIELD_AFTER_MS. Called only where the runtime
 * waits anyway (before a service handler), so that bpmn-elements' own synchronous steps keep their order.
 */
async function yieldIfLong(run: Run): Promise<void> {
  const now = performance.now();
  run.sliceStart ??= now;
  if (now - run.sliceStart < YIELD_AFTER_MS) return;
  await new Promise((resolve) => setImmediate(resolve));
  run.sliceStart = performance.now();
  run.sinceYield = 0;
}

/** Past ENGINE_MAX_TRANSITIONS every further step waits; one incident names the limit and where it was hit. */
function stopRunaway(run: Run, elementId: string, executionId: string): void {
  const limit = getConfig().engineMaxTransitions;
  if (run.runaway) {
    const error = t('en', 'incidents.runaway', { id: elementId, limit });
    run.runtime.services[executionId] = { elementId, attempts: 1, incident: true, reason: 'runaway', error };
    return;
  }
  run.runaway = true;
  log.warn('engine action stopped at its transition limit', { instanceId: run.instanceId, elementId, limit });
  raise(run, { elementId, executionId }, 'runaway', { limit }, { reason: 'runaway' });
}

/** The flows a gateway takes, decided on the process variables; or the incident when that cannot be done. */
function decide(run: Run, activity: GuardedActivity, content: Record<string, unknown>): { outbound: Array<{ id: string; action: 'take' | 'discard' }> } | { code: string; params: Record<string, unknown> } {
  const exclusive = activity.type === 'bpmn:ExclusiveGateway';
  const taken = new Set<string>();
  let fallback: string | null = null;
  for (const flow of activity.outbound) {
    if (flow.isDefault) {
      fallback = flow.id;
      continue;
    }
    if (exclusive && taken.size) break;
    const body = flow.behaviour?.conditionExpression?.body;
    if (body === undefined) {
      taken.add(flow.id);
      continue;
    }
    let value: unknown;
    try {
      const outer = outerScope(run, content);
      value = resolveValue(body, outer ? { ...run.vars, ...outer } : run.vars);
    } catch (err) {
      return { code: 'condition', params: { flow: flow.id, expression: shorten(body), message: messageOf(err) } };
    }
    // As in Camunda 8: a condition must say true or false; null (a missing variable) is an incident, not a silent false.
    if (typeof value !== 'boolean') return { code: 'conditionNotBoolean', params: { flow: flow.id, expression: shorten(body), value: JSON.stringify(value ?? null) } };
    if (value) taken.add(flow.id);
  }
  if (!taken.size && fallback) taken.add(fallback);
  if (!taken.size && activity.outbound.length) return { code: 'noFlow', params: {} };
  return { outbound: activity.outbound.map((f) => ({ id: f.id, action: taken.has(f.id) ? 'take' : 'discard' })) };
}

/** Why a multi-instance activity cannot open its instances (its collection is not a list), or null. */
function collectionProblem(run: Run, loop: NonNullable<ElementMeta['loop']>): { code: string; params: Record<string, unknown> } | null {
  const expression = loop.collection ?? loop.cardinality;
  if (!expression || !isFeel(expression)) return null;
  let value: unknown;
  try {
    value = resolveValue(expression, run.vars);
  } catch (err) {
    return { code: 'feel', params: { message: messageOf(err) } };
  }
  if (loop.collection && !Array.isArray(value)) return { code: 'collection', params: { expression: shorten(expression), value: JSON.stringify(value ?? null) } };
  if (!loop.collection && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) return { code: 'cardinality', params: { expression: shorten(expression), value: JSON.stringify(value ?? null) } };
  return null;
}

function serviceFactory(run: Run) {
  return function Service(activity: { id: string; type: string }) {
    return {
      execute(message: { content: { executionId: string } & Record<string, unknown> }, callback: (err: Error | null, output?: unknown) => void) {
        const executionId = message.content.executionId;
        const elementId = activity.id;
        const meta = run.meta(elementId);
        const iteration = localScope(run, meta, message.content);
        const pending = run.runtime.services[executionId];
        if (pending && run.retryExecutionId !== executionId) {
          // A failed try waits for its retry job (or for an admin after an incident).
          if (pending.incident || (pending.nextAt && Date.parse(pending.nextAt) > Date.now())) return;
        }
        const attempt = (pending?.attempts ?? 0) + 1;
        let local: Record<string, unknown> | null;
        let scope: Record<string, unknown>;
        let name: string | null;
        try {
          local = inputsOf(run.vars, meta, iteration);
          scope = local ? { ...run.vars, ...local } : run.vars;
          name = meta?.handler ? resolveString(meta.handler, scope) : null;
        } catch (err) {
          // Waits as a failed service does, so that an admin can retry it once the data or the budget allow.
          raise(run, { elementId, executionId, attempts: attempt }, 'input', { message: messageOf(err) }, { reason: 'input' });
          return;
        }
        // A Camunda 7 delegate without a handler first waits as an incident naming it; once an admin retries
        // and still none is registered, it is offered to external workers on that topic instead.
        if (name && !serviceHandler(name) && !(meta?.delegate && run.retryExecutionId !== executionId && !run.runtime.external?.[executionId])) {
          waitForWorker(run, executionId, elementId, name, meta, local, callback);
          return;
        }
        run.inflight++;
        yieldIfLong(run)
          .then(() => {
            const handler = name ? serviceHandler(name) : undefined;
            if (!handler) throw new MissingHandler(`no service handler registered as "${name ?? ''}"`);
            return handler({ instanceId: run.instanceId, businessKey: run.businessKey, definitionKey: run.def.key, elementId, variables: structuredClone(scope), attempt });
          })
          .then(
            (result) => {
              delete run.runtime.services[executionId];
              if (result && typeof result === 'object' && !Array.isArray(result)) complete(run, meta, toPlain(result) as Record<string, unknown>, local);
              callback(null, result ?? {});
            },
            (err: unknown) => {
              const thrown = bpmnErrorOf(err);
              if (thrown) {
                // A business outcome, not a failure: no retries. A boundary event that catches it takes the token.
                if (catchesError(run, elementId, thrown.code)) {
                  delete run.runtime.services[executionId];
                  Object.assign(run.vars, toPlain(thrown.variables));
                  run.record('bpmnError', { id: elementId, type: activity.type }, { outcome: thrown.code });
                  callback(Object.assign(new Error(thrown.message), { code: thrown.code }));
                } else {
                  raise(run, { elementId, executionId, handler: name, attempts: attempt }, 'bpmnError', { code: thrown.code, message: thrown.message }, { reason: 'bpmnError' });
                }
                return;
              }
              const error = err instanceof Error ? err.message : String(err);
              let policy = DEFAULT_RETRY;
              try {
                policy = (meta?.retries && parseRetryPolicy(resolveString(meta.retries, scope))) || DEFAULT_RETRY;
              } catch {
                // A retry policy expression that fails leaves the default policy.
              }
              if (attempt < policy.tries && !(err instanceof MissingHandler)) {
                const wait = policy.exponential ? policy.backoffMs * 2 ** (attempt - 1) : policy.backoffMs;
                run.runtime.services[executionId] = { elementId, attempts: attempt, nextAt: new Date(Date.now() + wait).toISOString(), error, reason: 'service' };
                run.record('serviceFailed', { id: elementId, type: activity.type }, { outcome: error });
              } else {
                // The handler's own words stay the incident's text for API readers; the cockpit shows the catalog's.
                raise(run, { elementId, executionId, handler: name, attempts: attempt, error }, 'service', { handler: name ?? '', attempts: attempt, message: error }, { reason: 'service' });
              }
            },
          )
          .finally(() => {
            run.inflight--;
            run.poke();
          });
      },
    };
  };
}

/**
 * Whether a BPMN error with this code thrown at an element is caught: by an error boundary event on it
 * or on a sub-process around it, with that code or without one (catch-all).
 */
function catchesError(run: Run, elementId: string, code: string): boolean {
  const scopes = new Set<string>();
  for (let id: string | undefined = elementId; id && !scopes.has(id); id = run.meta(id)?.parentId) scopes.add(id);
  return Object.values(run.def.meta.elements).some((m) => m.attachedTo && scopes.has(m.attachedTo) && m.catchError && (m.catchError.code === null || m.catchError.code === code));
}

/** A task's own multi-instance item and those of the sub-process instances around it (null: none). */
function localScope(run: Run, meta: ElementMeta | undefined, content: Record<string, unknown> | undefined): Record<string, unknown> | null {
  const own = iterationScope(meta, content);
  const outer = outerScope(run, content);
  return own || outer ? { ...outer, ...own } : null;
}

/**
 * A service task no in-process handler serves waits for an external worker: the first time (and after a
 * retried incident) it gets an external task row; when a worker's answer arrives in this action it
 * completes, or fails with the worker's BPMN error for an error boundary event to catch.
 */
function waitForWorker(run: Run, executionId: string, elementId: string, topic: string, meta: ElementMeta | undefined, local: Record<string, unknown> | null, callback: (err: Error | null, output?: unknown) => void): void {
  const book = (run.runtime.external ??= {});
  const answer = run.externalOutcome;
  if (answer && answer.executionId === executionId && answer.type !== 'incident') {
    run.externalTaken = true;
    delete book[executionId];
    delete run.runtime.services[executionId];
    if (answer.type === 'complete') {
      complete(run, meta, answer.variables, local);
      callback(null, answer.variables);
    } else if (catchesError(run, elementId, answer.errorCode)) {
      // As in Camunda, the error's variables are set on the process before a boundary event takes it.
      Object.assign(run.vars, answer.variables);
      run.record('bpmnError', { id: elementId, type: meta?.type }, { outcome: answer.errorCode });
      callback(new ExternalBpmnError(answer.errorMessage ?? answer.errorCode, answer.errorCode));
    } else {
      // As a handler's uncaught BPMN error: an incident; an admin's retry offers the task to workers again.
      raise(run, { elementId, executionId, handler: topic }, 'bpmnError', { code: answer.errorCode, message: answer.errorMessage ?? '' }, { reason: 'bpmnError' });
    }
    return;
  }
  const retried = run.retryExecutionId === executionId;
  if (book[executionId] && !retried) return;
  book[executionId] = { elementId, topic };
  run.newExternal.push({ executionId, elementId, topic, replace: retried });
}

/** What one instance of a multi-instance task sees of its own: its item and its 1-based `loopCounter`. */
function iterationScope(meta: ElementMeta | undefined, content: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!meta?.loop || !content?.isMultiInstance || content.isRootScope || typeof content.index !== 'number') return null;
  const scope: Record<string, unknown> = { loopCounter: content.index + 1 };
  if (meta.loop.collection) scope[meta.loop.elementVariable] = toPlain(content[meta.loop.elementVariable]);
  return scope;
}

/**
 * A task's local values: its multi-instance item (if any) and its input mappings, evaluated against the
 * process variables and that item (null: none).
 */
function inputsOf(vars: Record<string, unknown>, meta: ElementMeta | undefined, iteration: Record<string, unknown> | null = null): Record<string, unknown> | null {
  if (!meta?.inputs?.length) return iteration;
  const local: Record<string, unknown> = { ...iteration };
  // Later inputs may read earlier ones, as in Camunda 8.
  for (const i of meta.inputs) local[i.target] = resolveValue(i.source, { ...vars, ...local });
  return local;
}

/**
 * Puts what a finished task returned into the process: one instance of a multi-instance task with an
 * output collection writes its element at its index (and nothing else but its output mappings); any
 * other task goes through applyOutputs.
 */
function complete(run: Run, meta: ElementMeta | undefined, values: Record<string, unknown>, local: Record<string, unknown> | null): void {
  const loop = meta?.loop;
  const counter = typeof local?.loopCounter === 'number' ? local.loopCounter : null;
  if (!loop?.outputCollection || counter === null) {
    applyOutputs(run, meta, values, local);
    return;
  }
  const scope = { ...run.vars, ...local, ...values };
  const element = loop.outputElement ? resolveValue(loop.outputElement, scope) : values;
  const current = run.vars[loop.outputCollection];
  const list = Array.isArray(current) ? [...current] : [];
  while (list.length < counter - 1) list.push(null);
  list[counter - 1] = element;
  run.vars[loop.outputCollection] = list;
  if (meta?.outputs?.length) applyOutputs(run, meta, values, local);
}

/**
 * Puts a task's result into the process variables: through its output mappings (which see the
 * variables, the task's inputs and the result), or else every result value as is.
 */
function applyOutputs(run: Run, meta: ElementMeta | undefined, values: Record<string, unknown>, local: Record<string, unknown> | null = null): void {
  if (meta?.outputs?.length) {
    const scope = { ...run.vars, ...local, ...values };
    for (const o of meta.outputs) run.vars[o.target] = resolveValue(o.source, scope);
  } else {
    Object.assign(run.vars, values);
  }
}

/**
 * Moves a waiting task or call activity on with the values it finished with: outputs are applied and the
 * element is signalled. Output mappings that fail open an incident and the element keeps waiting with
 * those values, so that an admin can fix the variables and retry.
 */
function finishWith(run: Run, api: WaitingApi, values: Record<string, unknown>, local: Record<string, unknown> | null, reason: 'completion' | 'callDone'): void {
  const meta = run.meta(api.id);
  const vars = { ...run.vars };
  try {
    if (reason === 'completion' || meta?.loop?.outputCollection) complete(run, meta, values, local);
    else if (meta?.outputs?.length) applyOutputs(run, meta, values, local);
    else if (meta?.call?.propagateAll !== false) Object.assign(run.vars, values);
  } catch (err) {
    run.vars = vars;
    raise(run, { elementId: api.id, executionId: api.executionId }, 'mapping', { message: messageOf(err) }, { reason, values, local });
    return;
  }
  api.signal({ id: api.id, executionId: api.executionId });
}

/** Fires the durable timers of a kept engine whose time has come, exactly as their timeout would. */
function fireDueTimers(timers: any): void {
  const now = Date.now();
  const due = (timers.executing as Array<{ owner: { expireAt?: Date } | null; expireAt: Date; timerRef: unknown; callback: (...a: unknown[]) => void; args: unknown[] }>)
    .filter((ref) => !ref.timerRef && new Date(ref.owner?.expireAt ?? ref.expireAt).getTime() <= now);
  for (const ref of due) {
    timers.clearTimeout(ref);
    ref.callback(...ref.args);
  }
}

/** A waiting element as bpmn-elements hands it out. */
interface WaitingApi {
  id: string;
  type: string;
  executionId: string;
  content?: Record<string, unknown>;
  owner?: { isSubProcess?: boolean; execution?: { getPostponed(): WaitingApi[] } };
  getPostponed?: () => WaitingApi[];
  signal(message?: unknown): void;
}

/**
 * Every waiting element, including those inside running sub-processes. A multi-instance task is
 * represented by its running instances, not by the body that waits for them.
 */
function waitingApis(engine: Machine, run: Run): WaitingApi[] {
  const out: WaitingApi[] = [];
  const seen = new Set<string>();
  const visit = (apis: WaitingApi[]) => {
    for (const a of apis) {
      if (seen.has(a.executionId)) continue;
      seen.add(a.executionId);
      if (run.meta(a.id)?.loop && !iterationScope(run.meta(a.id), a.content) && a.owner?.execution) {
        const iterations = a.owner.execution.getPostponed().filter((x) => x.executionId !== a.executionId);
        // A body that opened no instance (held by an incident on its collection) waits itself.
        if (iterations.length) {
          visit(iterations);
          continue;
        }
      }
      out.push(a);
      if (a.owner?.isSubProcess && a.getPostponed) visit(a.getPostponed());
    }
  };
  visit(engine.getPostponed() as WaitingApi[]);
  return out;
}

/** The parts of the engine's situation after a run that are stored in rows. */
interface Situation {
  status: EngineInstance['status'];
  state: string | null;
  active: Array<{ id: string; type: string; executionId: string; iteration?: Record<string, unknown> }>;
  userTasks: Array<{ id: string; executionId: string; iteration: Record<string, unknown> | null }>;
  timers: Array<{ elementId: string; executionId: string; runAt: Date }>;
  subscriptions: Array<{ kind: 'message' | 'signal'; name: string; refId: string; elementId: string; businessKey?: string | null }>;
}

function situationOf(run: Run, engine: Machine, timers: any): Situation {
  const postponed = run.ended ? [] : waitingApis(engine, run);
  const active = postponed.map((a) => {
    const type = run.meta(a.id)?.type ?? a.type;
    // A called process of a multi-instance call activity (or one inside such a sub-process) starts with its item.
    const iteration = type === 'bpmn:CallActivity' ? localScope(run, run.meta(a.id), a.content) : null;
    return iteration ? { id: a.id, type, executionId: a.executionId, iteration } : { id: a.id, type, executionId: a.executionId };
  });
  // A multi-instance body that waits itself (held before opening its instances) is no task of its own.
  const userTasks = postponed.filter((a) => (run.meta(a.id)?.type ?? a.type) === 'bpmn:UserTask' && !(run.meta(a.id)?.loop && !iterationScope(run.meta(a.id), a.content)))
    .map((a) => ({ id: a.id, executionId: a.executionId, iteration: localScope(run, run.meta(a.id), a.content) }));
  const timerRows = (timers.executing as Array<{ owner: { id: string; executionId: string; expireAt: Date } | null; timerRef: unknown; expireAt: Date }>)
    .filter((ref) => ref.owner && !ref.timerRef)
    .map((ref) => ({ elementId: ref.owner!.id, executionId: ref.owner!.executionId, runAt: new Date(ref.owner!.expireAt ?? ref.expireAt) }));
  const subscriptions: Situation['subscriptions'] = [];
  for (const a of active) {
    const meta = run.meta(a.id);
    if (meta?.message && !meta.isStart) {
      const key = meta.message.correlationKey ? resolveString(meta.message.correlationKey, run.vars) : run.businessKey;
      subscriptions.push({ kind: 'message', name: meta.message.name, refId: meta.message.id, elementId: a.id, businessKey: key });
    }
    if (meta?.signal && !meta.isStart) subscriptions.push({ kind: 'signal', name: meta.signal.name, refId: meta.signal.id, elementId: a.id });
  }
  let status: EngineInstance['status'] = 'active';
  if (run.error) status = 'failed';
  else if (run.ended) status = 'completed';
  // The definition source is cached per version and not part of the state.
  const state = status === 'active' || status === 'failed' ? JSON.stringify(engine.getState()) : null;
  return { status, state, active, userTasks, timers: timerRows, subscriptions };
}

function listOf(values: string[]): string | null {
  return values.length ? `,${values.join(',')},` : null;
}

/** Characters a value may have to fill a part of a candidate group (a role or an org code): no separators. */
const GROUP_PART = /^[\p{L}\p{N}_.-]{1,64}$/u;
/** Characters of a username (an e-mail address is one too). */
const USERNAME = /^[\p{L}\p{N}_.@+-]{1,64}$/u;
/** A candidate group as stored: `role` or `role@orgCode`. */
const GROUP = /^([a-z][a-z_-]{0,31})(?:@([\p{L}\p{N}_.-]{1,40}))?$/u;

/**
 * Fills `{name}` placeholders of a literal from the variables (e.g. `leader@{orgCode}`). A value that
 * could smuggle in a separator (`79,officer`) or is missing leaves the result null: the parts of an
 * assignment are validated one by one, never concatenated blindly.
 */
function interpolate(text: string | null, vars: Record<string, unknown>, part: RegExp = GROUP_PART): string | null {
  if (!text) return text;
  let ok = true;
  const out = text.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
    const value = typeof v === 'string' || typeof v === 'number' ? String(v) : '';
    if (!part.test(value)) ok = false;
    return value;
  });
  return ok ? out : null;
}

/** Fills `{name}` placeholders of a form key, leaving unknown ones as they are (a form key grants nothing). */
function fillLoose(text: string | null, vars: Record<string, unknown>): string | null {
  if (!text) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (vars[name] === undefined || vars[name] === null ? m : String(vars[name])));
}

/** Whether an assignment attribute depends on the instance (FEEL or a placeholder) rather than being a literal of the definition. */
function isDynamic(value: unknown): boolean {
  return isFeel(value) || (typeof value === 'string' && /\{\w+\}/.test(value));
}

function taskRow(run: Run, t: Situation['userTasks'][number]) {
  const meta = run.meta(t.id) ?? { id: t.id, type: 'bpmn:UserTask', name: null };
  const local = inputsOf(run.vars, meta as ElementMeta, t.iteration);
  // Assignment, schedule and form see the task's inputs, as in Camunda 8.
  const v = local ? { ...run.vars, ...local } : run.vars;
  const problems: string[] = [];
  const groups: CandidateGroup[] = [];
  const dynamicGroups = isDynamic(meta.candidateGroups);
  for (const raw of resolveList(meta.candidateGroups, v)) {
    const g = interpolate(raw, v);
    const m = g ? GROUP.exec(g) : null;
    // A group computed from the instance's data must name its org unit; only the definition itself may name a bare role.
    if (!m || (dynamicGroups && !m[2])) problems.push(`candidate group "${g ?? raw}" is not of the form role@orgCode`);
    else groups.push({ role: m[1], orgCode: m[2] ?? null });
  }
  const users: string[] = [];
  for (const raw of resolveList(meta.candidateUsers, v)) {
    const u = interpolate(raw, v, USERNAME);
    if (!u || !USERNAME.test(u)) problems.push(`candidate user "${u ?? raw}" is not a username`);
    else users.push(u);
  }
  let assignee = interpolate(resolveString(meta.assignee, v), v, USERNAME);
  if (meta.assignee && (!assignee || !USERNAME.test(assignee))) {
    problems.push(`assignee "${assignee ?? String(meta.assignee)}" is not a username`);
    assignee = null;
  }
  const declared = !!(meta.candidateGroups || meta.candidateUsers || meta.assignee);
  if (declared && !problems.length && !groups.length && !users.length && !assignee) problems.push('the assignment yields nobody');
  const priority = meta.priority ? Number(resolveValue(meta.priority, v)) : 50;
  const orgCode = groups.map((g) => g.orgCode).find(Boolean) ?? run.org?.code ?? null;
  const proposal: AssignmentProposal = { instanceId: run.instanceId, elementId: t.id, assignee, candidateUsers: users, candidateGroups: groups, orgCode: run.org?.code ?? null };
  const row = {
    instanceId: run.instanceId,
    definitionKey: run.def.key,
    businessKey: run.businessKey,
    elementId: t.id,
    executionId: t.executionId,
    name: meta.name,
    formKey: fillLoose(resolveString(meta.formKey, v), v),
    assignee,
    candidateGroups: listOf(groups.map((g) => (g.orgCode ? `${g.role}@${g.orgCode}` : g.role))),
    candidateUsers: listOf(users),
    orgCode,
    dueAt: resolveDate(meta.dueDate, v),
    followUpAt: resolveDate(meta.followUpDate, v),
    priority: Number.isFinite(priority) ? priority : 50,
    status: 'open' as const,
    input: local ? JSON.stringify(local) : null,
  };
  return { row, proposal, problems };
}

type TaskRow = ReturnType<typeof taskRow>['row'];

/**
 * The task rows a persisted action creates: user tasks that began waiting (and one whose assignment
 * incident is retried). A task whose assignment yields nobody valid gets no row but an incident, so
 * that it is never open to everyone.
 */
async function newTaskRows(run: Run, sit: Situation, isEnded: boolean, retried: string | null): Promise<TaskRow[]> {
  if (isEnded) return [];
  const have = new Set(run.prev.active.filter((a) => a.type === 'bpmn:UserTask').map((a) => a.executionId));
  const held = run.runtime.unassigned ?? {};
  const rows: TaskRow[] = [];
  const hold = (u: Situation['userTasks'][number], problem: string) => {
    held[u.executionId] = problem;
    raise(run, { elementId: u.id, executionId: u.executionId, handler: 'assignment', error: problem }, 'assignment', { message: problem });
  };
  for (const u of sit.userTasks) {
    if (have.has(u.executionId) && !(u.executionId === retried && held[u.executionId])) continue;
    // An assignment expression over its FEEL budget is an incident on the task, like any other bad assignment.
    let built: ReturnType<typeof taskRow>;
    try {
      built = taskRow(run, u);
    } catch (err) {
      const fault = budgetErrorOf(err);
      if (!fault) throw err;
      hold(u, `FEEL budget exceeded: ${shorten(fault.expression)}`);
      continue;
    }
    let problem: string | null = built.problems[0] ?? null;
    const check = assignmentCheck();
    if (!problem && check) problem = await check(built.proposal);
    if (problem) {
      hold(u, problem);
      continue;
    }
    delete held[u.executionId];
    rows.push(built.row);
  }
  if (Object.keys(held).length) run.runtime.unassigned = held;
  else delete run.runtime.unassigned;
  return rows;
}

/** The org unit an instance belongs to: its code and materialized path (data the access side checks). */
export interface InstanceOrg {
  code: string;
  path: string | null;
}

/** A request to remember the answer of a start under a caller's idempotency key, in the start's own transaction. */
export interface IdempotencyRecord {
  userId: number;
  key: string;
  fingerprint: string;
}

interface PersistOptions {
  isNew: boolean;
  expectedVersion: number;
  startedBy?: string | null;
  /** The task this action completes; its row is updated only if still open. */
  completeTask?: { task: EngineTask; variables: Record<string, unknown>; actor: string | null; comment: string | null };
  resolveIncidentsOf?: { executionId: string; actor: string | null };
  cancelled?: boolean;
  /** The call activity execution this action completed with its child's result. */
  calledBack?: string;
  /** The instance is cancelled because its caller no longer waits for it (no incident for the caller). */
  cancelledByCaller?: boolean;
  /** A call activity whose incident is retried: its old child is let go and a new one started. */
  recall?: { executionId: string; elementId: string };
  /** Remember this start's answer under the caller's idempotency key (same transaction). */
  idempotency?: IdempotencyRecord;
  /** The caller's open transaction: the action's writes go into a savepoint of it and commit with it. */
  join?: Transaction;
}

interface Persisted {
  instance: EngineInstance;
  createdTasks: EngineTask[];
  /** The rows that now exist, for the next action on a cached engine. */
  next: Run['prev'];
}

async function persist(run: Run, sit: Situation, opts: PersistOptions): Promise<Persisted> {
  const prepared = await prepare(run, sit, opts);
  // A deadlock inside the caller's transaction undoes all of it: only the caller may retry then.
  const done = opts.join
    ? await withTx((tx) => queueWrite(tx, run, sit, opts, prepared), { join: opts.join })
    : await retryTransient(() => withTx((tx) => queueWrite(tx, run, sit, opts, prepared)));
  return committed(run, sit, opts, prepared, done);
}

/** Runs a transaction again after a deadlock or a busy database: everything was rolled back, the same rows can be written again. */
async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
    }
  }
}

/** What an action writes, worked out before its transaction opens (task rows, jobs, the instance's fields). */
async function prepare(run: Run, sit: Situation, opts: PersistOptions): Promise<Prepared> {
  const now = new Date();
  const status = opts.cancelled ? 'cancelled' : sit.status;
  const isEnded = status !== 'active' && status !== 'failed';
  const hadIncident = Object.values(run.runtime.services).some((x) => x.incident) || Object.keys(run.runtime.unassigned ?? {}).length > 0;
  // Forget retry bookkeeping of executions that are gone (interrupted or finished).
  const live = new Set(sit.active.map((a) => a.executionId));
  for (const id of Object.keys(run.runtime.services)) if (!live.has(id)) delete run.runtime.services[id];
  for (const id of Object.keys(run.runtime.unassigned ?? {})) if (!live.has(id)) delete run.runtime.unassigned![id];
  for (const body of Object.keys(run.runtime.loops ?? {})) {
    if (![...live].some((id) => id.startsWith(`${body}_`))) delete run.runtime.loops![body];
  }
  if (run.runtime.loops && !Object.keys(run.runtime.loops).length) delete run.runtime.loops;
  const goneExternal = Object.keys(run.runtime.external ?? {}).filter((id) => !live.has(id));
  for (const id of goneExternal) delete run.runtime.external![id];
  if (run.externalOutcome && run.externalOutcome.type !== 'incident') goneExternal.push(run.externalOutcome.executionId);
  if (run.runtime.external && !Object.keys(run.runtime.external).length) delete run.runtime.external;
  const freshTasks = await newTaskRows(run, sit, isEnded, opts.resolveIncidentsOf?.executionId ?? null);
  const desired = desiredJobs(run, sit, isEnded);
  const rows = { jobs: desired.length, subscriptions: isEnded ? 0 : sit.subscriptions.length };
  run.runtime.rows = rows;
  run.timerDue = desired.filter((d) => d.kind === JOB_TIMER).map((d) => d.runAt.getTime());
  const fields = {
    status,
    state: isEnded ? null : sit.state,
    variables: JSON.stringify(run.vars),
    runtime: JSON.stringify(run.runtime),
    activeElements: JSON.stringify(isEnded ? [] : sit.active),
    endedAt: isEnded ? now : null,
  };
  return { now, status, isEnded, hadIncident, desired, rows, fields, freshTasks, goneExternal };
}

interface Prepared {
  now: Date;
  status: EngineInstance['status'];
  isEnded: boolean;
  hadIncident: boolean;
  desired: DesiredJob[];
  rows: { jobs: number; subscriptions: number };
  fields: { status: EngineInstance['status']; state: string | null; variables: string; runtime: string; activeElements: string; endedAt: Date | null };
  freshTasks: TaskRow[];
  /** Executions whose external task rows go (finished, interrupted, or answered by a worker). */
  goneExternal: string[];
}

/** What a queued write hands back once its transaction committed. */
interface Written {
  version: number;
  taskIds: Array<Promise<{ insertId: number }>>;
  fresh: TaskRow[];
}

/** Queues every statement of one action in a transaction (several actions may share one: a batch start). */
async function queueWrite(tx: Tx, run: Run, sit: Situation, opts: PersistOptions, prepared: Prepared): Promise<Written> {
  const { now, status, isEnded, hadIncident, desired, fields, freshTasks } = prepared;
  const history = [...run.history];
  if (run.error) history.push(historyRow(run, 'failed', null, { outcome: run.error.message }));
  if (status === 'completed') history.push(historyRow(run, 'completed', null));
  const at = dbTime(now);
  {
    const version = opts.isNew ? 1 : opts.expectedVersion + 1;
    // Every statement is queued and travels with the COMMIT; a guarded update that changes no row fails the
    // whole transaction with its conflict.
    if (opts.isNew) {
      insertRows(tx, 'engine_instances',
        ['id', 'definition_id', 'definition_key', 'business_key', 'status', 'state', 'variables', 'runtime', 'active_elements', 'version', 'started_by', 'started_at', 'ended_at', 'updated_at', 'parent_instance_id', 'parent_execution_id', 'org_code', 'org_path'],
        [[run.instanceId, run.def.id, run.def.key, run.businessKey, fields.status, fields.state, fields.variables, fields.runtime, fields.activeElements, 1, opts.startedBy ?? null, at, dbTime(fields.endedAt), at, run.parent?.instanceId ?? null, run.parent?.executionId ?? null, run.org?.code ?? null, run.org?.path ?? null]]);
      if (opts.idempotency) {
        // A concurrent retry with the same key fails here on the unique index, and its start with it.
        insertRows(tx, 'engine_idempotency', ['user_id', 'idem_key', 'fingerprint', 'status', 'response_status', 'response_body', 'created_at'],
          [[opts.idempotency.userId, opts.idempotency.key, opts.idempotency.fingerprint, 'done', 201, JSON.stringify({ id: run.instanceId, status: fields.status }), at]]);
      }
    } else {
      void tx.expectOne(
        'UPDATE engine_instances SET status = ?, state = ?, variables = ?, runtime = ?, active_elements = ?, ended_at = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?',
        [fields.status, fields.state, fields.variables, fields.runtime, fields.activeElements, dbTime(fields.endedAt), version, at, run.instanceId, opts.expectedVersion],
        () => Conflict('engine.instanceChanged', { id: run.instanceId }));
    }
    if (opts.completeTask) {
      const { task, variables, actor, comment } = opts.completeTask;
      void tx.expectOne(
        "UPDATE engine_tasks SET status = 'completed', completed_at = ?, completed_by = ?, outcome = ?, updated_at = ? WHERE id = ? AND status = 'open'",
        [at, actor, JSON.stringify({ variables, comment }), at, task.id],
        () => Conflict('engine.taskAlreadyCompleted', { id: task.id }));
    }
    // The rows that exist follow from the situation persisted last time; no need to read them back.
    const prevTasks = run.prev.active.filter((a) => a.type === 'bpmn:UserTask').map((a) => a.executionId);
    const wanted = new Set(isEnded ? [] : sit.userTasks.map((u) => u.executionId));
    const gone = prevTasks.filter((id) => !wanted.has(id) && id !== opts.completeTask?.task.executionId);
    if (gone.length) {
      void tx.queue(`UPDATE engine_tasks SET status = 'cancelled', completed_at = ?, updated_at = ? WHERE instance_id = ? AND status = 'open' AND execution_id IN (${placeholders(gone.length)})`,
        [at, at, run.instanceId, ...gone]);
    }
    const fresh = freshTasks;
    const taskIds = fresh.map((row) => tx.queue(
      'INSERT INTO engine_tasks (instance_id, definition_key, business_key, element_id, execution_id, name, form_key, assignee, candidate_groups, candidate_users, org_code, due_at, follow_up_at, priority, status, input, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [row.instanceId, row.definitionKey, row.businessKey, row.elementId, row.executionId, row.name, row.formKey, row.assignee, row.candidateGroups, row.candidateUsers, row.orgCode, dbTime(row.dueAt), dbTime(row.followUpAt), row.priority, row.status, row.input, at, at]));

    await syncJobs(tx, run, desired, opts.isNew || run.prev.jobs === 0, at);
    if (run.newExternal.length || prepared.goneExternal.length || run.externalOutcome) {
      queueExternalWrites(tx, {
        instanceId: run.instanceId, definitionId: run.def.id, definitionKey: run.def.key, businessKey: run.businessKey, at,
        fresh: isEnded ? [] : run.newExternal.filter((f) => !prepared.goneExternal.includes(f.executionId)), gone: prepared.goneExternal, outcome: run.externalOutcome,
        conflict: () => Conflict('externaltasks.lockLost', { id: run.externalOutcome?.taskId ?? '' }),
      });
    }
    queueCallJobs(tx, run, sit, isEnded, status, opts, at);

    if (!opts.isNew && run.prev.subscriptions > 0) void tx.queue('DELETE FROM engine_subscriptions WHERE instance_id = ?', [run.instanceId]);
    if (!isEnded && sit.subscriptions.length) {
      insertRows(tx, 'engine_subscriptions', ['instance_id', 'kind', 'name', 'ref_id', 'element_id', 'business_key'],
        sit.subscriptions.map((s) => [run.instanceId, s.kind, s.name, s.refId, s.elementId, s.businessKey === undefined ? run.businessKey : s.businessKey]));
    }
    if (opts.resolveIncidentsOf) {
      void tx.queue("UPDATE engine_incidents SET status = 'resolved', resolved_at = ?, resolved_by = ? WHERE instance_id = ? AND execution_id = ? AND status = 'open'",
        [at, opts.resolveIncidentsOf.actor, run.instanceId, opts.resolveIncidentsOf.executionId]);
    }
    if (isEnded && hadIncident) {
      void tx.queue("UPDATE engine_incidents SET status = 'resolved', resolved_at = ? WHERE instance_id = ? AND status = 'open'", [at, run.instanceId]);
    }
    insertRows(tx, 'engine_incidents', ['instance_id', 'element_id', 'execution_id', 'handler', 'error', 'code', 'params', 'attempts', 'status', 'created_at'],
      run.newIncidents.map((i) => [run.instanceId, i.elementId, i.executionId, i.handler, i.error, `incidents.${i.code}`, JSON.stringify(i.params), i.attempts, 'open', at]));
    insertRows(tx, 'engine_history', ['instance_id', 'element_id', 'element_type', 'element_name', 'event', 'actor', 'outcome', 'comment', 'at'],
      history.map((h) => [h.instanceId, h.elementId, h.elementType, h.elementName, h.event, h.actor, h.outcome, h.comment, dbTime(h.at)]));
    return { version, taskIds, fresh };
  }
}

/** The instance and task models of a committed action, and the rows that now exist. */
async function committed(run: Run, sit: Situation, opts: PersistOptions, prepared: Prepared, done: Written): Promise<Persisted> {
  const { now, rows, fields } = prepared;
  const instance = EngineInstance.build({
    id: run.instanceId, definitionId: run.def.id, definitionKey: run.def.key, businessKey: run.businessKey, version: done.version, startedBy: opts.startedBy ?? null, startedAt: now, updatedAt: now,
    orgCode: run.org?.code ?? null, orgPath: run.org?.path ?? null, ...fields,
  }, { isNewRecord: false });
  const ids = await Promise.all(done.taskIds);
  const createdTasks = done.fresh.map((row, i) => EngineTask.build({ ...row, id: ids[i].insertId, createdAt: now, updatedAt: now }, { isNewRecord: false }));
  return { instance, createdTasks, next: { active: fields.activeElements === '[]' ? [] : sit.active, ...rows } };
}

/**
 * Call activities as durable jobs in the action's own transaction: one that began waiting gets its
 * child started, one that stopped waiting without its child (interrupted, cancelled) gets the child
 * cancelled, and a child that completed hands its result back to its caller.
 */
function queueCallJobs(tx: Tx, run: Run, sit: Situation, isEnded: boolean, status: string, opts: PersistOptions, at: string | null): void {
  const calledBack = opts.calledBack ?? null;
  const calls = (list: Array<{ type: string; executionId: string; id: string }>) => list.filter((a) => a.type === 'bpmn:CallActivity');
  const before = calls(run.prev.active);
  const now = isEnded ? [] : calls(sit.active);
  const had = new Set(before.map((a) => a.executionId));
  const has = new Set(now.map((a) => a.executionId));
  const job = (kind: string, instanceId: string, elementId: string | null, executionId: string, payload: unknown) => [kind, instanceId, elementId, executionId, payload === null ? null : JSON.stringify(payload), at, 'pending', 0, at];
  const rows = [
    ...now.filter((a) => !had.has(a.executionId)).map((a) => job(JOB_CALL, run.instanceId, a.id, a.executionId, null)),
    ...before.filter((a) => !has.has(a.executionId) && a.executionId !== calledBack).map((a) => job(JOB_CALL_CANCEL, run.instanceId, a.id, a.executionId, null)),
  ];
  if (status === 'completed' && run.parent) rows.push(job(JOB_CALL_DONE, run.parent.instanceId, null, run.parent.executionId, { childId: run.instanceId }));
  if (status === 'cancelled' && run.parent && !opts.cancelledByCaller) rows.push(job(JOB_CALL_FAILED, run.parent.instanceId, null, run.parent.executionId, { childId: run.instanceId }));
  if (opts.recall) {
    // The cancelled child stays linked to its caller for the record, but no longer to the waiting execution.
    void tx.queue('UPDATE engine_instances SET parent_execution_id = NULL WHERE parent_execution_id = ?', [opts.recall.executionId]);
    rows.push(job(JOB_CALL, run.instanceId, opts.recall.elementId, opts.recall.executionId, null));
  }
  insertRows(tx, 'engine_jobs', ['kind', 'instance_id', 'element_id', 'execution_id', 'payload', 'run_at', 'status', 'attempts', 'created_at'], rows);
}

function historyRow(run: Run, event: string, el: { id: string; type?: string } | null, extra: Partial<HistoryRow> = {}): HistoryRow {
  const meta = el ? run.meta(el.id) : undefined;
  return {
    instanceId: run.instanceId, elementId: el?.id ?? null, elementType: el?.type ?? meta?.type ?? null, elementName: meta?.name ?? null,
    event, actor: null, outcome: null, comment: null, at: new Date(), ...extra,
  };
}

type DesiredJob = { kind: string; elementId: string; executionId: string; runAt: Date };

function desiredJobs(run: Run, sit: Situation, isEnded: boolean): DesiredJob[] {
  const desired: DesiredJob[] = [];
  if (!isEnded) {
    for (const timer of sit.timers) desired.push({ kind: JOB_TIMER, ...timer });
    for (const [executionId, s] of Object.entries(run.runtime.services)) {
      if (s.nextAt && !s.incident) desired.push({ kind: JOB_SERVICE, elementId: s.elementId, executionId, runAt: new Date(s.nextAt) });
    }
  }
  return desired;
}

async function syncJobs(tx: Tx, run: Run, desired: DesiredJob[], hasNone: boolean, at: string | null): Promise<void> {
  const keyOf = (j: { kind: string; executionId: string | null; runAt: Date }) => `${j.kind}|${j.executionId}|${new Date(j.runAt).getTime()}`;
  const kinds = `kind IN ('${JOB_TIMER}', '${JOB_SERVICE}')`;
  if (!hasNone && desired.length === 0) {
    // The common case after a timer fired: nothing is wanted any more, so no need to read the rows first.
    void tx.queue(`DELETE FROM engine_jobs WHERE instance_id = ? AND ${kinds}`, [run.instanceId]);
    return;
  }
  const existing = hasNone ? [] : (await tx.all<{ id: number; kind: string; execution_id: string | null; run_at: Date | string }>(
    `SELECT id, kind, execution_id, run_at FROM engine_jobs WHERE instance_id = ? AND ${kinds}`, [run.instanceId]))
    .map((j) => ({ id: j.id, kind: j.kind, executionId: j.execution_id, runAt: new Date(j.run_at) }));
  const desiredKeys = new Set(desired.map(keyOf));
  const existingKeys = new Set(existing.map((j) => keyOf(j)));
  const stale = existing.filter((j) => !desiredKeys.has(keyOf(j))).map((j) => j.id);
  if (stale.length) void tx.queue(`DELETE FROM engine_jobs WHERE id IN (${placeholders(stale.length)})`, stale);
  const add = desired.filter((d) => !existingKeys.has(keyOf(d)));
  await insertRows(tx, 'engine_jobs', ['kind', 'instance_id', 'element_id', 'execution_id', 'run_at', 'status', 'attempts', 'created_at'],
    add.map((d) => [d.kind, run.instanceId, d.elementId, d.executionId, dbTime(d.runAt), 'pending', 0, at]));
}

/** Tells the domains what happened; a listener that fails must not undo a committed action. */
function emit(event: string, payload: unknown): void {
  try {
    engineEvents.emit(event, payload);
  } catch (err) {
    log.error('engine event listener failed', { event, error: String((err as Error)?.stack ?? err) });
  }
}

function emitAfterCommit(run: Run, persisted: Persisted): void {
  if (run.newExternal.length && persisted.instance.status === 'active') externalWake.emit('created', [...new Set(run.newExternal.map((f) => f.topic))]);
  for (const task of persisted.createdTasks) emit('task.created', task);
  if (persisted.instance.status !== 'active') emit('instance.ended', { id: run.instanceId, status: persisted.instance.status, definitionKey: run.def.key, businessKey: run.businessKey });
}

async function runEngine(run: Run, start: () => Promise<unknown>): Promise<void> {
  // One action is one FEEL budget pass (see src/feel).
  await inBudgetPass(async () => {
    try {
      await start();
    } catch (err) {
      run.error = err as Error;
    }
    await run.settle();
  });
}

/** Input of startProcess. */
export interface StartInput {
  businessKey?: string | null;
  variables?: Record<string, unknown>;
  startedBy?: string | null;
  /** Start a specific version instead of the latest. */
  definitionId?: number;
  /** The call activity starting this instance (the runtime's own call jobs set it). */
  parent?: { instanceId: string; executionId: string };
  /** The org unit the instance belongs to (validated by the caller; null: system-wide). */
  org?: InstanceOrg | null;
  /** Remember the answer under the caller's idempotency key, in the start's transaction. */
  idempotency?: IdempotencyRecord;
}

/** Starts an instance of the latest version of a process (by key) and runs it until every branch waits. */
export async function startProcess(key: string, input: StartInput = {}): Promise<EngineInstance> {
  const def = input.definitionId ? await loadDefinition(input.definitionId) : await latestDefinition(key);
  return startInstance(def, input, { kind: 'start' });
}

/** An engine kept in memory after an action, reused by the next action on the same node. */
interface Live {
  run: Run;
  engine: Machine;
  timers: any;
  version: number;
}

/** Engines kept per process, oldest first; the cache is only a shortcut and safe to lose. */
const live = new Map<string, Live>();

function remember(entry: Live): void {
  live.delete(entry.run.instanceId);
  const max = getConfig().engineCache;
  if (max <= 0) return;
  live.set(entry.run.instanceId, entry);
  while (live.size > max) live.delete(live.keys().next().value!);
}

/** How many engines this process keeps in memory now. */
export function keptEngineCount(): number {
  return live.size;
}

/** Drops every engine kept in memory (tests simulate a restart with it). */
export function forgetLiveEngines(): void {
  live.clear();
}

/** An instance run in memory up to its first wait states, not yet written. */
interface Started {
  run: Run;
  /** Null for an instance derived from a batch's template (nothing is kept in memory for it). */
  engine: Machine | null;
  timers: any;
  sit: Situation;
  opts: PersistOptions;
  /** Set when the start was observed as a batch's first: the template the others derive from, or null. */
  template?: Template | null;
}

/**
 * A batch's first start whose run read nothing of its input (no variable, no handler, no expression):
 * its state and situation, with the random parts of the ids bpmn-elements drew, from which the batch's
 * other instances are derived instead of being run.
 */
interface Template {
  /** The engine state as stored (JSON text). */
  state: string;
  /** The situation's active elements, user tasks, timers and subscriptions (JSON text). */
  situation: string;
  history: HistoryRow[];
  /** Matches every random id part of the template's state and situation. */
  ids: RegExp;
}

const nativeRandom = Math.random;
const randomRecorders = new Set<string[]>();

/**
 * Records, until the returned function is called, the id part every `Math.random()` call gives in the
 * form bpmn-elements and its broker make ids of (`random.toString(16).substring(2, 12)`). One wrapper is
 * installed however many runs record at once.
 */
function recordRandomIds(into: string[]): () => void {
  randomRecorders.add(into);
  if (randomRecorders.size === 1) {
    Math.random = () => {
      // A draw with 40 significant bits or fewer (about 1 in 4,000) would give a short id part, which no
      // template can replace safely (the whole batch then runs one by one): draw again instead.
      let r = nativeRandom();
      while (r.toString(16).length < 12) r = nativeRandom();
      const part = r.toString(16).substring(2, 12);
      for (const rec of randomRecorders) rec.push(part);
      return r;
    };
  }
  return () => {
    randomRecorders.delete(into);
    if (!randomRecorders.size) Math.random = nativeRandom;
  };
}

/** A fresh random id part, as bpmn-elements draws them. */
function freshIdPart(): string {
  return nativeRandom().toString(16).substring(2, 12).padEnd(10, '0');
}

/**
 * The template of an observed start, or null when deriving from it would not be exactly what running each
 * input gives: the run read or replaced the variables (expressions, gateways with conditions, handlers,
 * scripts, mappings, correlation keys and multi-instance collections all do), failed, ended, opened an
 * incident or an external task, kept retry bookkeeping, or drew an id part of an unexpected shape.
 */
function templateOf(run: Run, sit: Situation, drawn: string[]): Template | null {
  if (run.varsTouched || run.error || run.feelFault || run.ended || sit.status !== 'active' || !sit.state) return null;
  if (run.newIncidents.length || run.newExternal.length || run.scopes.size || run.realTimers.size) return null;
  if (JSON.stringify(run.runtime) !== '{"services":{}}') return null;
  if (drawn.some((part) => !/^[0-9a-f]{10}$/.test(part))) return null;
  const situation = JSON.stringify({ active: sit.active, userTasks: sit.userTasks, timers: sit.timers, subscriptions: sit.subscriptions });
  const used = [...new Set(drawn)].filter((part) => sit.state!.includes(part) || situation.includes(part));
  if (!used.length) return null;
  return { state: sit.state, situation, history: run.history.map((h) => ({ ...h })), ids: new RegExp(used.join('|'), 'g') };
}

/**
 * An instance derived from a batch's template for another input: the template's state and situation
 * with fresh random id parts (the same part maps to the same new part, so ids built from one another
 * stay consistent), its own instance id, business key, variables, org and caller. Task rows, assignment
 * and everything else the write works out from the variables are computed per instance as for any start.
 */
function deriveStart(t: Template, def: LoadedDefinition, input: StartInput): Started {
  const run = new Run(crypto.randomUUID(), def, input.businessKey ?? null, structuredClone(input.variables ?? {}), { services: {} });
  run.parent = input.parent ?? null;
  run.org = input.org ?? null;
  run.history = t.history.map((h) => ({ ...h, instanceId: run.instanceId }));
  const parts = new Map<string, string>();
  const swap = (text: string) => text.replace(t.ids, (part) => {
    let next = parts.get(part);
    if (!next) parts.set(part, (next = freshIdPart()));
    return next;
  });
  const derived = JSON.parse(swap(t.situation)) as Pick<Situation, 'active' | 'userTasks' | 'subscriptions'> & { timers: Array<{ elementId: string; executionId: string; runAt: string }> };
  const sit: Situation = {
    status: 'active',
    state: swap(t.state),
    active: derived.active,
    userTasks: derived.userTasks,
    timers: derived.timers.map((x) => ({ ...x, runAt: new Date(x.runAt) })),
    // Message subscriptions of a template carry no correlation key (it would have read the variables): the business key is the key.
    subscriptions: derived.subscriptions.map((x) => (x.kind === 'message' ? { ...x, businessKey: run.businessKey } : x)),
  };
  return { run, engine: null, timers: null, sit, opts: { isNew: true, expectedVersion: 0, startedBy: input.startedBy, idempotency: input.idempotency } };
}

/**
 * Runs a new instance until every branch waits (nothing is written yet); a start that fails is a 422.
 * With `observe`, the run is watched for what it reads, and the template of a batch is taken from it.
 */
async function runStart(def: LoadedDefinition, input: StartInput, action: Extract<Action, { kind: 'start' }>, observe = false): Promise<Started> {
  const vars = structuredClone(input.variables ?? {});
  const run = new Run(crypto.randomUUID(), def, input.businessKey ?? null, vars, { services: {} });
  run.fireStartTimers = !!action.fireStartTimers;
  run.parent = input.parent ?? null;
  run.org = input.org ?? null;
  const drawn: string[] = [];
  const stopRecording = observe ? recordRandomIds(drawn) : null;
  run.observing = observe;
  try {
    const { engine, timers } = buildEngine(run);
    await runEngine(run, async () => {
      engine.execute();
      if (action.messageRefId) {
        await run.settle();
        engine.signal({ id: action.messageRefId });
      }
    });
    raiseFeelIncident(run);
    if (run.error && !run.feelFault) {
      throw Invalid('engine.startFailed', { key: def.key, message: run.error.message });
    }
    const sit = situationOf(run, engine, timers);
    const started: Started = { run, engine, timers, sit, opts: { isNew: true, expectedVersion: 0, startedBy: input.startedBy, idempotency: input.idempotency } };
    if (observe) started.template = templateOf(run, sit, drawn);
    return started;
  } finally {
    run.observing = false;
    stopRecording?.();
  }
}

/** After the commit of a start: the engine is kept for the next action and the domains are told. */
function afterStart(s: Started, persisted: Persisted): EngineInstance {
  s.run.prev = persisted.next;
  if (s.engine && persisted.instance.status === 'active') remember({ run: s.run, engine: s.engine, timers: s.timers, version: persisted.instance.version });
  emitAfterCommit(s.run, persisted);
  return persisted.instance;
}

async function startInstance(def: LoadedDefinition, input: StartInput, action: Extract<Action, { kind: 'start' }>): Promise<EngineInstance> {
  const s = await runStart(def, input, action);
  return afterStart(s, await persist(s.run, s.sit, s.opts));
}

const batchCounts = { run: 0, derived: 0 };

/** How many instances of batch starts this process ran through bpmn-elements and how many it derived from a template. */
export function batchStartCounts(): { run: number; derived: number } {
  return { ...batchCounts };
}

/**
 * Starts one instance per input of the latest version of a process (by key; or of `definitionId`),
 * each up to where every branch waits, and writes them all (instances, tasks, jobs, subscriptions,
 * incidents, history) in ONE transaction with multi-row inserts. The parsed definition is shared.
 * When the first input's run read nothing of its input (see `templateOf`), the others are derived
 * from it instead of being run (`derive: false` runs each). All or nothing: a start that fails (422)
 * or a failed write leaves none of the batch. The answer is in the order of the inputs. Callers keep
 * batches to a few hundred instances (one transaction holds them all in memory and, on MariaDB/MySQL,
 * in one packet).
 */
export async function startProcesses(key: string, inputs: StartInput[], opts: { definitionId?: number; derive?: boolean } = {}): Promise<EngineInstance[]> {
  if (!inputs.length) return [];
  const def = opts.definitionId ? await loadDefinition(opts.definitionId) : await latestDefinition(key);
  const started: Started[] = [];
  let template: Template | null = null;
  for (const [i, input] of inputs.entries()) {
    if (template) {
      started.push(deriveStart(template, def, input));
      continue;
    }
    const s = await runStart(def, input, { kind: 'start' }, i === 0 && inputs.length > 1 && opts.derive !== false);
    template = s.template ?? null;
    started.push(s);
  }
  // Each instance's write is worked out on its own; their assignment checks may wait on reads side by side.
  const prepared = await Promise.all(started.map((s) => prepare(s.run, s.sit, s.opts)));
  const written = await retryTransient(() => withTx((tx) => withBulkInserts(tx, async () => {
    const out: Written[] = [];
    for (const [i, s] of started.entries()) out.push(await queueWrite(tx, s.run, s.sit, s.opts, prepared[i]));
    return out;
  })));
  for (const s of started) batchCounts[s.engine ? 'run' : 'derived']++;
  const instances: EngineInstance[] = [];
  for (const [i, s] of started.entries()) instances.push(afterStart(s, await committed(s.run, s.sit, s.opts, prepared[i], written[i])));
  return instances;
}

/** The engine of an instance: the one kept from this node's last action when still current, else recovered from its row. */
async function engineFor(instanceId: string, action: Action, patch?: StatePatch): Promise<{ entry: Live; fresh: boolean } | { cancelRun: Run; version: number }> {
  const cached = live.get(instanceId);
  live.delete(instanceId);
  // Only actions that do not depend on resuming (due timers firing, a service re-running) may skip it.
  // Due timers of a kept engine are fired in memory (fireDueTimers), as a resume would fire them.
  // The kept engine is trusted without reading the row: if another node moved the instance meanwhile,
  // the version guard refuses the write and act() runs the action again on the stored state.
  const reusable = cached && !patch && (action.kind === 'task' || action.kind === 'message' || action.kind === 'signal' || action.kind === 'resume' || action.kind === 'callDone' || action.kind === 'variables');
  if (cached && reusable) {
    cached.run.reset();
    return { entry: cached, fresh: false };
  }
  const [row] = await selectRows<{ id: string; definition_id: number; business_key: string | null; status: string; state: string | null; variables: string; runtime: string; active_elements: string; version: number; parent_instance_id: string | null; parent_execution_id: string | null; org_code: string | null; org_path: string | null }>(
    'SELECT id, definition_id, business_key, status, state, variables, runtime, active_elements, version, parent_instance_id, parent_execution_id, org_code, org_path FROM engine_instances WHERE id = ?', [instanceId]);
  if (!row) throw NotFound('engine.instanceNotFound', { id: instanceId });
  if (row.status !== 'active' && row.status !== 'failed') throw Conflict('engine.instanceNotActive', { id: instanceId, status: row.status });
  const def = await loadDefinition(Number(row.definition_id));
  const runtime = JSON.parse(row.runtime) as RuntimeState;
  const run = new Run(row.id, def, row.business_key, JSON.parse(row.variables), runtime);
  if (row.parent_instance_id && row.parent_execution_id) run.parent = { instanceId: row.parent_instance_id, executionId: row.parent_execution_id };
  if (row.org_code) run.org = { code: row.org_code, path: row.org_path };
  // Older rows without counts: read the job and subscription rows to be safe.
  run.prev = { active: JSON.parse(row.active_elements), jobs: runtime.rows?.jobs ?? 1, subscriptions: runtime.rows?.subscriptions ?? 1 };
  if (action.kind === 'cancel') return { cancelRun: run, version: Number(row.version) };
  const state = JSON.parse(row.state ?? 'null');
  if (!state) throw Conflict('engine.instanceNotActive', { id: instanceId, status: row.status });
  patch?.(state);
  const { engine, timers } = buildEngine(run);
  engine.recover(state);
  return { entry: { run, engine, timers, version: Number(row.version) }, fresh: true };
}

/** Runs one action against a stored instance and persists the outcome (409 when another action won). */
async function act(instanceId: string, action: Action, patch?: StatePatch): Promise<EngineInstance> {
  const kept = live.has(instanceId);
  try {
    return await actOnce(instanceId, action, patch);
  } catch (err) {
    // A kept engine that turned out stale (another node acted since) answers with a conflict of its
    // own; the stored state decides. Nothing of the refused attempt was written or announced.
    if (kept && err instanceof AppError && err.status === 409) return actOnce(instanceId, action, patch);
    throw err;
  }
}

async function actOnce(instanceId: string, action: Action, patch?: StatePatch): Promise<EngineInstance> {
  const got = await engineFor(instanceId, action, patch);
  if ('cancelRun' in got) {
    const run = got.cancelRun;
    if (action.kind === 'cancel') run.record('cancelled', null, { actor: action.actor, comment: action.reason });
    const persisted = await persist(run, { status: 'cancelled', state: null, active: [], userTasks: [], timers: [], subscriptions: [] }, { isNew: false, expectedVersion: got.version, cancelled: true, cancelledByCaller: action.kind === 'cancel' && !!action.byCaller });
    emitAfterCommit(run, persisted);
    return persisted.instance;
  }
  const { entry, fresh } = got;
  const { run, engine, timers } = entry;
  let retried: HeldExecution | undefined;
  if (action.kind === 'retryService') {
    run.retryExecutionId = action.executionId;
    retried = run.runtime.services[action.executionId];
    if (retried?.reason === 'collection') run.releasedCollection = action.executionId;
    // After an incident the next try starts a fresh retry budget; a stopped loop gets a fresh transition budget.
    if (action.fresh) {
      delete run.runtime.services[action.executionId];
      if (retried?.reason === 'runaway') {
        for (const [id, held] of Object.entries(run.runtime.services)) if (held.reason === 'runaway') delete run.runtime.services[id];
      }
    }
  }
  let mergedVariables: Record<string, unknown> | null = null;
  if (action.kind === 'variables') {
    mergedVariables = { ...run.vars };
    for (const [name, value] of Object.entries(action.changes)) {
      if (value === null) delete mergedVariables[name];
      else mergedVariables[name] = value;
    }
    if (Buffer.byteLength(JSON.stringify(mergedVariables)) > action.maxBytes) throw BadRequest('incidents.variables.tooLarge', { limit: action.maxBytes });
  }
  if (action.kind === 'external') run.externalOutcome = action.outcome;
  let notActive = false;
  const waitingOn = (executionId: string) => waitingApis(engine, run).find((a) => a.executionId === executionId);
  await runEngine(run, async () => {
    if (fresh) {
      engine.resume();
    } else {
      fireDueTimers(timers);
    }
    await run.settle();
    switch (action.kind) {
      case 'task': {
        const api = waitingOn(action.task.executionId);
        if (!api) {
          notActive = true;
          return;
        }
        run.record('complete', { id: action.task.elementId, type: 'bpmn:UserTask' }, { actor: action.actor, comment: action.comment, outcome: JSON.stringify(action.variables) });
        // Output mappings that fail keep the completed task's values at the element for an admin retry.
        finishWith(run, api, action.variables, action.task.input ? JSON.parse(action.task.input) : null, 'completion');
        break;
      }
      case 'callDone': {
        const api = waitingOn(action.executionId);
        if (!api) {
          notActive = true;
          return;
        }
        finishWith(run, api, action.variables, localScope(run, run.meta(api.id), api.content), 'callDone');
        break;
      }
      case 'external': {
        const o = action.outcome;
        if (o.type !== 'incident') break;
        const api = waitingOn(o.executionId);
        if (!api) {
          notActive = true;
          return;
        }
        // The worker gave up (no retries left): the instance waits there until an admin retries the incident.
        const topic = run.runtime.external?.[o.executionId]?.topic ?? null;
        // The worker's own words stay the incident's text for API readers, as a handler's do; the cockpit shows the catalog's.
        raise(run, { elementId: api.id, executionId: o.executionId, handler: topic, ...(o.errorMessage ? { error: o.errorMessage } : {}) }, 'external', { topic: topic ?? '', message: o.errorMessage || '' }, { reason: 'service' });
        break;
      }
      case 'callFailed': {
        const api = waitingOn(action.executionId);
        if (!api) {
          notActive = true;
          return;
        }
        // Waits as a failed service does: an admin retries the incident, which starts a new child.
        raise(run, { elementId: api.id, executionId: action.executionId }, 'callFailed', { child: action.childId }, { reason: 'service' });
        break;
      }
      case 'message':
      case 'signal': {
        Object.assign(run.vars, action.variables);
        run.record(action.kind, null, { outcome: action.refId });
        engine.signal({ id: action.refId });
        break;
      }
      case 'variables': {
        run.vars = mergedVariables!;
        run.record('variables', null, { actor: action.actor, outcome: JSON.stringify(action.changes) });
        break;
      }
      case 'retryService': {
        // A completion or a child's result held by failed output mappings is applied again with today's variables.
        if (retried?.values && (retried.reason === 'completion' || retried.reason === 'callDone')) {
          const api = waitingOn(action.executionId);
          if (api) finishWith(run, api, retried.values, localScope(run, run.meta(api.id), api.content) ?? retried.local ?? null, retried.reason);
        }
        break;
      }
      default:
        break;
    }
  });
  if (action.kind === 'external' && action.outcome.type !== 'incident' && !run.externalTaken) notActive = true;
  if (notActive) {
    throw Conflict('engine.taskNotActive', { id: action.kind === 'task' ? action.task.id : action.kind === 'external' ? action.outcome.taskId : '' });
  }
  raiseFeelIncident(run);
  if (run.error) log.warn('instance failed', { instanceId, error: run.error.message });
  const sit = situationOf(run, engine, timers);
  const persisted = await persist(run, sit, {
    isNew: false,
    expectedVersion: entry.version,
    ...(action.kind === 'task' ? { completeTask: { task: action.task, variables: action.variables, actor: action.actor, comment: action.comment }, join: action.join } : {}),
    ...(action.kind === 'retryService' ? { resolveIncidentsOf: { executionId: action.executionId, actor: action.actor ?? null } } : {}),
    ...(action.kind === 'callDone' ? { calledBack: action.executionId } : {}),
    ...(action.kind === 'retryService' && !retried?.values ? recallOf(run, action.executionId) : {}),
  });
  run.prev = persisted.next;
  const join = action.kind === 'task' ? action.join : undefined;
  if (join) {
    // Nothing is announced before the caller's transaction commits, and a kept engine could outlive a
    // rollback of it: the next action recovers the instance from its row instead.
    afterCommitOf(join, () => {
      emitAfterCommit(run, persisted);
      emit('task.completed', { taskId: (action as { task: EngineTask }).task.id, instanceId, actor: (action as { actor: string | null }).actor });
    });
    return persisted.instance;
  }
  if (persisted.instance.status === 'active') remember({ ...entry, version: persisted.instance.version });
  emitAfterCommit(run, persisted);
  if (action.kind === 'task') emit('task.completed', { taskId: action.task.id, instanceId, actor: action.actor });
  return persisted.instance;
}

/** Resumes an instance so that its due timers fire (what a timer job does). */
export async function resumeInstance(instanceId: string): Promise<EngineInstance> {
  return act(instanceId, { kind: 'resume' });
}

/** Delivers an external worker's answer to the service execution waiting for it (the lock check is in the write). */
export async function deliverExternal(instanceId: string, outcome: ExternalOutcome): Promise<EngineInstance> {
  return act(instanceId, { kind: 'external', outcome });
}

/** Where an engine action writes: by default its own transaction; `transaction` joins the caller's (a savepoint). */
export interface JoinOptions {
  /** An open transaction of the caller: the action commits or rolls back with it, and announces itself after its commit. */
  transaction?: Transaction;
}

/** Runs fn once the outermost transaction of t has committed (a savepoint's own commit is not the end). */
export function afterCommitOf(t: Transaction, fn: () => void): void {
  let root = t as Transaction & { parent?: Transaction };
  while (root.parent) root = root.parent as Transaction & { parent?: Transaction };
  root.afterCommit(() => fn());
}

/** Completes a user task row inside the engine (authorization is the caller's). */
export async function signalTask(task: EngineTask, variables: Record<string, unknown>, actor: string | null, comment: string | null, opts: JoinOptions = {}): Promise<EngineInstance> {
  return act(task.instanceId, { kind: 'task', task, variables, actor, comment, ...(opts.transaction ? { join: opts.transaction } : {}) });
}

/** Retries a failed service execution now (a retry job, or an admin after an incident). */
export async function retryServiceExecution(instanceId: string, executionId: string, actor?: string | null): Promise<EngineInstance> {
  const row = await EngineInstance.findByPk(instanceId, { attributes: ['runtime'] });
  if (row) {
    const rt = JSON.parse(row.runtime) as RuntimeState;
    if (!rt.services[executionId]) return resumeInstance(instanceId);
  }
  return act(instanceId, { kind: 'retryService', executionId, actor });
}

/** Retries every open incident of an instance after a fix, with a fresh retry budget. */
export async function retryIncident(incidentId: number, actor: string | null): Promise<EngineInstance> {
  const incident = await EngineIncident.findByPk(incidentId);
  if (!incident) throw NotFound('engine.incidentNotFound', { id: incidentId });
  if (incident.status !== 'open') throw Conflict('engine.incidentResolved', { id: incidentId });
  return act(incident.instanceId, { kind: 'retryService', executionId: incident.executionId ?? '', actor, fresh: true });
}

/**
 * Changes an instance's variables (a JSON merge: null removes a name), e.g. before an incident retry;
 * refused when the result would exceed maxBytes of JSON. Nothing else moves: the instance waits where it waited.
 */
export async function setInstanceVariables(instanceId: string, changes: Record<string, unknown>, actor: string | null, maxBytes: number): Promise<EngineInstance> {
  return act(instanceId, { kind: 'variables', changes: toPlain(changes) as Record<string, unknown>, actor, maxBytes });
}

/** Cancels an instance: its tasks are cancelled, its jobs and subscriptions removed. */
export async function cancelInstance(instanceId: string, actor: string | null, reason: string | null = null): Promise<EngineInstance> {
  return act(instanceId, { kind: 'cancel', actor, reason });
}

/** Moves a pending timer of an instance to a new due time (the engine state and the job row). */
export async function moveTimer(instanceId: string, timerExecutionId: string, dueAt: Date): Promise<EngineInstance> {
  const job = await EngineJob.findOne({ where: { instanceId, executionId: timerExecutionId, kind: JOB_TIMER } });
  if (!job) throw NotFound('engine.timerNotFound', { id: timerExecutionId });
  const iso = dueAt.toISOString();
  const patch: StatePatch = (state) => {
    const visit = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach(visit);
      const o = node as Record<string, unknown>;
      if (o.executionId === timerExecutionId && 'expireAt' in o) o.expireAt = iso;
      for (const v of Object.values(o)) visit(v);
    };
    visit(state);
  };
  return act(instanceId, { kind: 'resume' }, patch);
}

/** Correlates a named message to the instance waiting for it with this business key, or starts one by a message start event. */
export async function correlateMessage(name: string, businessKey: string | null, variables: Record<string, unknown> = {}, opts: { org?: InstanceOrg | null } = {}): Promise<{ instanceId: string; started: boolean }> {
  const sub = await EngineSubscription.findOne({ where: { kind: 'message', name, ...(businessKey ? { businessKey } : {}) }, order: [['id', 'ASC']] });
  if (sub) {
    await act(sub.instanceId, { kind: 'message', refId: sub.refId, variables });
    return { instanceId: sub.instanceId, started: false };
  }
  const { definitionsStartedBy } = await import('./definitions.ts');
  const starts = await definitionsStartedBy('message', name);
  if (!starts.length) throw NotFound('engine.messageNotCorrelated', { name, businessKey: businessKey ?? '' });
  const { def, elementId } = starts[0];
  const refId = def.meta.elements[elementId]?.message?.id;
  const instance = await startInstance(def, { businessKey, variables, org: opts.org ?? null }, { kind: 'start', messageRefId: refId });
  return { instanceId: instance.id, started: true };
}

/** Broadcasts a signal to every waiting instance and starts processes with a matching signal start event. */
export async function broadcastSignal(name: string, variables: Record<string, unknown> = {}): Promise<{ delivered: number; started: number }> {
  const subs = await EngineSubscription.findAll({ where: { kind: 'signal', name }, order: [['id', 'ASC']] });
  let delivered = 0;
  for (const instanceId of new Set(subs.map((s) => s.instanceId))) {
    const sub = subs.find((s) => s.instanceId === instanceId)!;
    try {
      await act(instanceId, { kind: 'signal', refId: sub.refId, variables });
      delivered++;
    } catch (err) {
      log.warn('signal not delivered', { instanceId, error: String(err) });
    }
  }
  const { definitionsStartedBy } = await import('./definitions.ts');
  const starts = await definitionsStartedBy('signal', name);
  for (const { def, elementId } of starts) {
    await startInstance(def, { variables }, { kind: 'start', messageRefId: def.meta.elements[elementId]?.signal?.id });
  }
  return { delivered, started: starts.length };
}

/** A retried incident on a waiting call activity starts a new child. */
function recallOf(run: Run, executionId: string): { recall?: PersistOptions['recall'] } {
  const call = run.prev.active.find((a) => a.executionId === executionId && a.type === 'bpmn:CallActivity');
  return call ? { recall: { executionId, elementId: call.id } } : {};
}

/** Raises an incident on the call activity whose child was cancelled by someone else (the `engine.callFailed` job). */
export async function callFailed(parentId: string, executionId: string, childId: string): Promise<void> {
  await actOnCaller(parentId, { kind: 'callFailed', executionId, childId });
}

/** Acts on a caller for its child; if the caller moved on meanwhile (a boundary event, a cancel), nothing waits any more. */
async function actOnCaller(parentId: string, action: Extract<Action, { kind: 'callDone' | 'callFailed' }>): Promise<void> {
  try {
    await act(parentId, action);
  } catch (err) {
    if (err instanceof AppError && (err.code === 'engine.taskNotActive' || err.code === 'engine.instanceNotActive')) return;
    throw err;
  }
}

/** Whether an error is a duplicate key (the child of a call activity exists already). */
function isDuplicate(err: unknown): boolean {
  const e = err as { code?: string; message?: string; parent?: { code?: string } };
  const code = e?.code ?? e?.parent?.code;
  return code === 'ER_DUP_ENTRY' || (code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(e?.message ?? ''));
}

/**
 * Starts the child instance of a call activity that waits (the `engine.call` job): the latest version
 * of the called process, with the caller's business key, its variables and the call activity's inputs.
 * At most one child per waiting execution, however often the job runs.
 */
export async function startCalledProcess(parentId: string, executionId: string): Promise<void> {
  const [parent] = await selectRows<{ status: string; definition_id: number; business_key: string | null; variables: string; active_elements: string; org_code: string | null; org_path: string | null }>(
    'SELECT status, definition_id, business_key, variables, active_elements, org_code, org_path FROM engine_instances WHERE id = ?', [parentId]);
  if (!parent || parent.status !== 'active') return;
  const call = (JSON.parse(parent.active_elements) as Array<{ id: string; executionId: string; iteration?: Record<string, unknown> }>).find((a) => a.executionId === executionId);
  if (!call) return;
  const [existing] = await selectRows<{ id: string }>('SELECT id FROM engine_instances WHERE parent_execution_id = ?', [executionId]);
  if (existing) return;
  const def = await loadDefinition(Number(parent.definition_id));
  const meta = def.meta.elements[call.id];
  const vars = JSON.parse(parent.variables) as Record<string, unknown>;
  const local = inputsOf(vars, meta, call.iteration ?? null);
  const key = resolveString(meta?.call?.processId, local ? { ...vars, ...local } : vars);
  if (!key) throw new Error(`call activity ${call.id} names no process`);
  // A process that is not deployed (yet) is a failure of the job, retried and then shown to admins as a
  // failed job to put back once it is deployed; not a 404, which would drop the job.
  const called = await latestDefinition(key).catch(() => {
    throw new Error(`call activity ${call.id}: no deployed process "${key}"`);
  });
  try {
    const org = parent.org_code ? { code: parent.org_code, path: parent.org_path } : null;
    await startInstance(called, { businessKey: parent.business_key, variables: { ...vars, ...local }, parent: { instanceId: parentId, executionId }, org }, { kind: 'start' });
  } catch (err) {
    if (!isDuplicate(err)) throw err;
  }
}

/** Hands a completed child's variables back to the call activity waiting for it (the `engine.callDone` job). */
export async function returnFromCall(parentId: string, executionId: string, childId: string): Promise<void> {
  const [child] = await selectRows<{ status: string; variables: string }>('SELECT status, variables FROM engine_instances WHERE id = ?', [childId]);
  if (!child || child.status !== 'completed') return;
  await actOnCaller(parentId, { kind: 'callDone', executionId, childId, variables: JSON.parse(child.variables) });
}

/** Cancels the child of a call activity that no longer waits for it (the `engine.callCancel` job). */
export async function cancelCalledProcess(executionId: string): Promise<void> {
  const [child] = await selectRows<{ id: string; status: string }>('SELECT id, status FROM engine_instances WHERE parent_execution_id = ?', [executionId]);
  if (child && (child.status === 'active' || child.status === 'failed')) await act(child.id, { kind: 'cancel', actor: null, reason: 'the calling process moved on', byCaller: true });
}

/** Starts an instance from a timer start event whose job is due. */
export async function startByTimer(definitionId: number): Promise<EngineInstance> {
  const def = await loadDefinition(definitionId);
  return startInstance(def, {}, { kind: 'start', fireStartTimers: true });
}

/** Instances of a definition key with a business key, or with one of several (for domains that look theirs up). */
export async function findInstances(where: { definitionKey?: string; businessKey?: string | string[]; status?: string }): Promise<EngineInstance[]> {
  if (Array.isArray(where.businessKey) && !where.businessKey.length) return [];
  return EngineInstance.findAll({ where: { ...where }, order: [['startedAt', 'DESC']], attributes: { exclude: ['state'] } });
}


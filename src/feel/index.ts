// Every FEEL evaluation on the server goes through here, under a budget. An expression whose cost is
// bounded by its input (see static.ts) runs inline, as before; any other runs on a worker thread
// with a heap limit, while the caller waits for it synchronously for at most FEEL_TIMEOUT_MS. A worker
// that runs out of time or memory is thrown away (a fresh one boots on next use) and the caller gets
// a FeelBudgetError naming the expression: never a stalled event loop or a dead process.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { evaluate, date, dateAndTime, duration, time, FeelDate, FeelDateTime, FeelDuration, FeelTime } from 'feelin';
import { getConfig } from '../config.ts';
import { FeelBudgetError, shapeOf } from './static.ts';

export { FeelBudgetError, budgetErrorOf, oversizedRange, shapeOf, shorten, syntaxErrorOf, DEFAULT_MAX_RANGE } from './static.ts';

/** What feelin's evaluate returns, with warnings reduced to what callers read. */
export interface FeelResult {
  value: unknown;
  warnings: Array<{ type: string; message: string }>;
}

/** The budget of one evaluation. */
export interface FeelBudget {
  /** Milliseconds an evaluation off the event loop may take. */
  timeoutMs: number;
  /** Megabytes of heap the evaluating worker may use. */
  maxMemoryMb: number;
}

/** The budget from the configuration (FEEL_TIMEOUT_MS, FEEL_MAX_MEMORY_MB). */
export function configuredBudget(): FeelBudget {
  const c = getConfig();
  return { timeoutMs: c.feelTimeoutMs, maxMemoryMb: c.feelMaxMemoryMb };
}

/** The largest number-literal range an expression may iterate over (FEEL_MAX_RANGE). */
export function maxRange(): number {
  return getConfig().feelMaxRange;
}

// Values cross the thread boundary by structured clone, which keeps plain data but not feelin's
// temporal classes: those travel as tagged text and are parsed again on the other side.
const TAG = '$feel';
const TEMPORALS: Array<[string, new (...a: never[]) => unknown, (text: string) => unknown]> = [
  ['date', FeelDate, date], ['dateTime', FeelDateTime, dateAndTime], ['time', FeelTime, time], ['duration', FeelDuration, duration],
];

function encode(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? null : value;
  if (depth > 64) return null;
  if (Array.isArray(value)) return value.map((v) => encode(v, depth + 1));
  for (const [kind, cls] of TEMPORALS) if (value instanceof cls) return { [TAG]: kind, text: String(value) };
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = encode(v, depth + 1);
  return out;
}

function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(decode);
  const o = value as Record<string, unknown>;
  if (typeof o[TAG] === 'string' && typeof o.text === 'string') {
    const t = TEMPORALS.find(([kind]) => kind === o[TAG]);
    if (t) return t[2](o.text);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = decode(v);
  return out;
}

// The worker is plain JavaScript run with `eval`: it needs no TypeScript loader (which Node 20 does
// not run in workers) and only feelin, imported by its resolved URL. It shares the codec above.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, signal, feelinUrl, tag } = workerData;
const flag = new Int32Array(signal);
import(feelinUrl).then((f) => {
  const temporals = [['date', f.FeelDate, f.date], ['dateTime', f.FeelDateTime, f.dateAndTime], ['time', f.FeelTime, f.time], ['duration', f.FeelDuration, f.duration]];
  const encode = (v, d = 0) => {
    if (v === null || typeof v !== 'object') return typeof v === 'function' ? null : v;
    if (d > 64) return null;
    if (Array.isArray(v)) return v.map((x) => encode(x, d + 1));
    for (const [kind, cls] of temporals) if (v instanceof cls) return { [tag]: kind, text: String(v) };
    if (v instanceof Date) return v;
    if (f.isRange(v) || f.isFunction(v)) return null;
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = encode(x, d + 1);
    return out;
  };
  const decode = (v) => {
    if (v === null || typeof v !== 'object' || v instanceof Date) return v;
    if (Array.isArray(v)) return v.map(decode);
    if (typeof v[tag] === 'string' && typeof v.text === 'string') {
      const t = temporals.find(([kind]) => kind === v[tag]);
      if (t) return t[2](v.text);
    }
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = decode(x);
    return out;
  };
  port.on('message', ({ seq, expression, context }) => {
    let reply;
    try {
      const r = f.evaluate(expression, decode(context));
      reply = { seq, ok: true, value: encode(r.value), warnings: r.warnings.map((w) => ({ type: w.type, message: w.message })) };
    } catch (err) {
      reply = { seq, ok: false, message: String((err && err.message) || err) };
    }
    port.postMessage(reply);
    Atomics.store(flag, 0, seq);
    Atomics.notify(flag, 0);
  });
  Atomics.store(flag, 1, 1);
  Atomics.notify(flag, 1);
});
`;

/** How long a fresh worker may take to load feelin before evaluations give up on it. */
const BOOT_MS = 10000;

interface Evaluator {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  seq: number;
  maxMemoryMb: number;
}

let current: Evaluator | null = null;

function boot(maxMemoryMb: number): Evaluator {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(8);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // The parent's loader flags (tsx) are not wanted in the worker.
    execArgv: [],
    workerData: { port: port2, signal, feelinUrl: pathToFileURL(createRequire(import.meta.url).resolve('feelin')).href, tag: TAG },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb, maxYoungGenerationSizeMb: Math.max(4, Math.ceil(maxMemoryMb / 8)), stackSizeMb: 4 },
    stdout: true,
    stderr: true,
  });
  worker.on('error', () => undefined);
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag: new Int32Array(signal), seq: 0, maxMemoryMb };
}

function discard(ev: Evaluator): void {
  if (current === ev) current = null;
  ev.port.close();
  void ev.worker.terminate();
}

function evaluator(maxMemoryMb: number): Evaluator {
  if (current && current.maxMemoryMb !== maxMemoryMb) discard(current);
  if (!current) current = boot(maxMemoryMb);
  const ev = current;
  if (Atomics.load(ev.flag, 1) !== 1) {
    Atomics.wait(ev.flag, 1, 0, BOOT_MS);
    if (Atomics.load(ev.flag, 1) !== 1) {
      discard(ev);
      throw new Error('FEEL evaluator did not start');
    }
  }
  return ev;
}

/** Evaluates an expression on the worker, waiting for it at most `budget.timeoutMs`. */
function evaluateOffThread(expression: string, context: Record<string, unknown>, budget: FeelBudget): FeelResult {
  const ev = evaluator(budget.maxMemoryMb);
  const seq = ++ev.seq;
  Atomics.store(ev.flag, 0, 0);
  ev.port.postMessage({ seq, expression, context: encode(context) });
  const started = performance.now();
  for (;;) {
    const left = budget.timeoutMs - (performance.now() - started);
    if (left <= 0 || Atomics.wait(ev.flag, 0, 0, left) === 'timed-out') break;
    if (Atomics.load(ev.flag, 0) === seq) break;
  }
  const got = Atomics.load(ev.flag, 0) === seq ? receiveMessageOnPort(ev.port) : undefined;
  const reply = got?.message as { seq: number; ok: boolean; value?: unknown; warnings?: FeelResult['warnings']; message?: string } | undefined;
  if (!reply || reply.seq !== seq) {
    // Still running, or killed by its heap limit (which only the event loop would hear of): either
    // way the worker is of no further use.
    discard(ev);
    // The replacement boots on its own thread now, so the next caller does not wait for it.
    current = boot(budget.maxMemoryMb);
    throw new FeelBudgetError(expression, budget);
  }
  if (!reply.ok) throw new Error(reply.message);
  return { value: decode(reply.value), warnings: reply.warnings ?? [] };
}

/** Evaluations that belong together (one action on one process instance). */
interface BudgetPass {
  stopped: FeelBudgetError | null;
}

const passes = new AsyncLocalStorage<BudgetPass>();

/**
 * Runs work as one pass: once an expression in it has been stopped at its budget, every further
 * expression of the pass that is not bounded by its input fails at once, so that a multi-instance
 * task over a hundred items costs one budget, not a hundred.
 */
export function inBudgetPass<T>(work: () => T): T {
  return passes.run({ stopped: null }, work);
}

/**
 * Evaluates a FEEL expression (without its leading `=`) under a budget. Malformed input throws
 * feelin's SyntaxError; an expression that exceeds the budget throws a FeelBudgetError.
 */
export function evaluateBounded(expression: string, context: Record<string, unknown>, budget?: FeelBudget): FeelResult {
  const shape = shapeOf(expression);
  if (shape.isBounded || shape.syntaxError) {
    const r = evaluate(expression, context);
    return { value: r.value, warnings: r.warnings };
  }
  const limits = budget ?? configuredBudget();
  const pass = passes.getStore();
  if (pass?.stopped) throw new FeelBudgetError(expression, limits);
  try {
    return evaluateOffThread(expression, context, limits);
  } catch (err) {
    if (pass && err instanceof FeelBudgetError) pass.stopped = err;
    throw err;
  }
}

/** Stops the evaluating worker (tests, shutdown); the next evaluation that needs one boots another. */
export async function stopFeelWorker(): Promise<void> {
  const ev = current;
  current = null;
  if (ev) {
    ev.port.close();
    await ev.worker.terminate();
  }
}

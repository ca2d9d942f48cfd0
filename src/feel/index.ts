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
    Atomics.store(flag, 2, seq);
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
  // A first evaluation compiles feelin's hot paths, so the first real one is not slowed by it.
  f.evaluate('count(for i in 1..3 return i) + 1 > 0 and date("2024-01-01") < today()', {});
  Atomics.store(flag, 1, 1);
  Atomics.notify(flag, 1);
});
`;

/** FEEL_MAX_MEMORY_MB's default: the heap of the worker booted when this module loads. */
const DEFAULT_MEMORY_MB = 64;

interface Evaluator {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  seq: number;
  maxMemoryMb: number;
}

/** The worker evaluations go to, and a booted spare that takes over at once when that one is thrown away. */
let current: Evaluator | null = null;
let spare: Evaluator | null = null;

function boot(maxMemoryMb: number): Evaluator {
  const { port1, port2 } = new MessageChannel();
  // [0]: the sequence number of the last answer, [1]: booted, [2]: the sequence number being evaluated.
  const signal = new SharedArrayBuffer(12);
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
  if (spare === ev) spare = null;
  ev.port.close();
  void ev.worker.terminate();
}

/** The worker evaluations go to (booting one when there is none, or when the heap size changed). */
function evaluator(maxMemoryMb: number): Evaluator {
  if (current && current.maxMemoryMb !== maxMemoryMb) discard(current);
  if (spare && spare.maxMemoryMb !== maxMemoryMb) discard(spare);
  if (!current) current = boot(maxMemoryMb);
  spare ??= boot(maxMemoryMb);
  return current;
}

/**
 * Evaluates an expression on the worker. The expression has `timeoutMs` from the moment the worker
 * takes it up; a worker that is busy booting or not scheduled on a loaded machine is waited for,
 * but no call blocks the event loop for more than twice `timeoutMs` in all.
 */
function evaluateOffThread(expression: string, context: Record<string, unknown>, budget: FeelBudget): FeelResult {
  const hardDeadline = performance.now() + 2 * budget.timeoutMs;
  const ev = evaluator(budget.maxMemoryMb);
  while (Atomics.load(ev.flag, 1) !== 1) {
    const left = hardDeadline - performance.now();
    if (left <= 0) throw new FeelBudgetError(expression, budget);
    Atomics.wait(ev.flag, 1, 0, left);
  }
  const seq = ++ev.seq;
  Atomics.store(ev.flag, 0, 0);
  ev.port.postMessage({ seq, expression, context: encode(context) });
  let startedAt: number | null = null;
  for (;;) {
    if (Atomics.load(ev.flag, 0) === seq) break;
    const now = performance.now();
    if (startedAt === null && Atomics.load(ev.flag, 2) === seq) startedAt = now;
    const deadline = startedAt === null ? hardDeadline : Math.min(startedAt + budget.timeoutMs, hardDeadline);
    if (now >= deadline) break;
    // Until the worker takes the expression up, look every 2 ms whether it has.
    Atomics.wait(ev.flag, 0, 0, startedAt === null ? Math.min(2, deadline - now) : deadline - now);
  }
  const got = Atomics.load(ev.flag, 0) === seq ? receiveMessageOnPort(ev.port) : undefined;
  const reply = got?.message as { seq: number; ok: boolean; value?: unknown; warnings?: FeelResult['warnings']; message?: string } | undefined;
  if (!reply || reply.seq !== seq) {
    // Still running, or killed by its heap limit (which only the event loop would hear of): either
    // way the worker is of no further use.
    discard(ev);
    // The spare takes over; its own replacement boots on its own thread meanwhile.
    current = spare;
    spare = boot(budget.maxMemoryMb);
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

current = boot(DEFAULT_MEMORY_MB);
spare = boot(DEFAULT_MEMORY_MB);

/** Resolves once the worker has booted (tests that measure evaluations start from a ready worker). */
export async function feelWorkerReady(): Promise<void> {
  current ??= boot(DEFAULT_MEMORY_MB);
  spare ??= boot(DEFAULT_MEMORY_MB);
  for (const ev of [current, spare]) {
    while (Atomics.load(ev.flag, 1) !== 1) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Stops the evaluating workers (tests, shutdown); the next evaluation that needs one boots another. */
export async function stopFeelWorker(): Promise<void> {
  const all = [current, spare].filter((ev): ev is Evaluator => !!ev);
  current = null;
  spare = null;
  for (const ev of all) {
    ev.port.close();
    await ev.worker.terminate();
  }
}

// Heavy form work off the event loop: one worker thread runs templates, PDFs and upload reads in turn,
// and templates of published versions are cached as files under DATA_DIR (safe to lose, shared by nodes).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.ts';
import { getConfig } from '../config.ts';
import type { FormDefinition, FormValues } from './definition.ts';
import type { RenderJob } from './render-worker.ts';
import type { TemplateOptions } from './xlsx.ts';
import type { PdfOptions } from './pdf.ts';
import type { Locale } from '../i18n/index.ts';

/** Longest a single job may run before the worker is stopped and the caller gets 503. */
export const JOB_TIMEOUT_MS = 120_000;

interface Pending {
  resolve: (v: { bytes?: Uint8Array; value?: unknown }) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

// The worker is a TypeScript module: it registers tsx itself, whether or not the parent was started with it.
function bootstrap(): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./render-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
}

function failAll(err: unknown): void {
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    p.reject(err);
    pending.delete(id);
  }
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(bootstrap(), { eval: true, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
  w.unref();
  w.on('message', (msg: { id: number; bytes?: Uint8Array; value?: unknown; error?: { code?: string; status?: number; params?: Record<string, unknown>; details?: unknown; message?: string } }) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(msg.error.code ? new AppError(msg.error.code, msg.error.status ?? 500, msg.error.params, msg.error.details) : new Error(msg.error.message));
    else p.resolve(msg);
  });
  const gone = (err?: unknown) => {
    if (worker === w) worker = null;
    failAll(err instanceof AppError ? err : new AppError('forms.render.failed', 503));
  };
  w.on('error', gone);
  w.on('exit', () => gone());
  worker = w;
  return w;
}

function runJob(job: RenderJob, transfer: ArrayBuffer[] = []): Promise<{ bytes?: Uint8Array; value?: unknown }> {
  const w = getWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new AppError('forms.render.timeout', 503));
      // A job that runs this long is stuck: the worker is replaced, the other jobs fail with it.
      void w.terminate();
    }, JOB_TIMEOUT_MS);
    timer.unref();
    pending.set(id, { resolve, reject, timer });
    if (pending.size === 1) w.ref();
    w.postMessage({ id, job }, transfer);
  }).finally(() => {
    if (!pending.size) w.unref();
  }) as Promise<{ bytes?: Uint8Array; value?: unknown }>;
}

/** Starts the worker and waits until its modules are loaded, so the first rendering does not pay for it. */
export async function warmRenderWorker(): Promise<void> {
  await runJob({ kind: 'ping' });
}

/** Stops the worker (jobs still running fail with 503); the next job starts a new one. */
export async function stopRenderWorker(): Promise<void> {
  const w = worker;
  worker = null;
  if (w) await w.terminate();
}

async function bytesOf(job: RenderJob): Promise<Buffer> {
  const r = await runJob(job);
  return Buffer.from(r.bytes!.buffer, r.bytes!.byteOffset, r.bytes!.byteLength);
}

function cachePath(versionId: number, kind: string, input: unknown): string {
  const sha = crypto.createHash('sha256').update(JSON.stringify(input)).digest('hex');
  return path.join(getConfig().dataDir, 'cache', 'forms', `${versionId}-${kind}-${sha}`);
}

/** A cached rendering when there is one; otherwise renders it and stores it (written to a temporary name, then renamed). */
async function cached(versionId: number | null, kind: string, input: unknown, render: () => Promise<Buffer>): Promise<Buffer> {
  if (versionId === null) return render();
  const file = cachePath(versionId, kind, input);
  try {
    return await fs.promises.readFile(file);
  } catch {
    // Not cached yet (or the cache was cleared): render.
  }
  const buf = await render();
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(tmp, buf);
    await fs.promises.rename(tmp, file);
  } catch {
    // The cache is an optimisation: a full disk or a read-only data dir only costs a render next time.
  }
  return buf;
}

/** The Excel template, rendered in the worker; cached when `cacheFor` (a published version's id) is given. */
export function templateXlsx(def: FormDefinition, opts: TemplateOptions, cacheFor: number | null = null): Promise<Buffer> {
  return cached(cacheFor, 'xlsx', { def, opts }, () => bytesOf({ kind: 'xlsx', def, opts }));
}

/**
 * A PDF, rendered in the worker (`sample`: with plausible numbers in every input, for designers);
 * cached when `cacheFor` (a published version's id) is given, for output that depends on nothing else.
 */
export function formPdf(def: FormDefinition, opts: PdfOptions, how: { sample?: boolean; cacheFor?: number | null } = {}): Promise<Buffer> {
  return cached(how.cacheFor ?? null, how.sample ? 'sample-pdf' : 'pdf', { def, opts }, () => bytesOf({ kind: 'pdf', def, opts, sample: how.sample }));
}

/** Reads a filled template in the worker (limits checked before it is inflated); see readXlsx. */
export async function readXlsxOffThread(def: FormDefinition, version: number, file: Buffer, locale: Locale): Promise<FormValues> {
  const copy = new Uint8Array(file.byteLength);
  copy.set(file);
  const r = await runJob({ kind: 'readXlsx', def, version, file: copy, locale }, [copy.buffer]);
  return r.value as FormValues;
}

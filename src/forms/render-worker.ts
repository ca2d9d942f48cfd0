// The worker side of heavy form work (Excel template, PDF, reading an upload): runs in a worker thread
// so a large form never blocks the event loop that serves other users.
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { compile, sampleValues } from './engine.ts';
import { readXlsx, renderXlsx, type TemplateOptions } from './xlsx.ts';
import { renderPdf, type PdfOptions } from './pdf.ts';
import type { FormDefinition } from './definition.ts';
import type { Locale } from '../i18n/index.ts';
import { AppError } from '../errors.ts';

/** A job the worker runs. */
export type RenderJob =
  | { kind: 'ping' }
  | { kind: 'xlsx'; def: FormDefinition; opts: TemplateOptions }
  | { kind: 'pdf'; def: FormDefinition; opts: PdfOptions; sample?: boolean }
  | { kind: 'readXlsx'; def: FormDefinition; version: number; file: Uint8Array; locale: Locale };

async function run(job: RenderJob): Promise<unknown> {
  if (job.kind === 'ping') return 'pong';
  const plan = compile(job.def);
  switch (job.kind) {
    case 'xlsx': return renderXlsx(job.def, job.opts, plan);
    case 'pdf': return renderPdf(job.def, job.sample ? { ...job.opts, values: sampleValues(plan) } : job.opts, plan);
    case 'readXlsx': return readXlsx(job.def, job.version, Buffer.from(job.file.buffer, job.file.byteOffset, job.file.byteLength), job.locale, plan);
  }
}

// On Linux a priority applies to the calling thread: renderings yield the CPU to the thread serving requests.
try {
  os.setPriority(19);
} catch {
  // Not permitted here (some containers): renderings then share the CPU evenly.
}

parentPort?.on('message', async (msg: { id: number; job: RenderJob }) => {
  try {
    const result = await run(msg.job);
    if (Buffer.isBuffer(result)) {
      const bytes = new Uint8Array(result.buffer, result.byteOffset, result.byteLength).slice();
      parentPort!.postMessage({ id: msg.id, bytes }, [bytes.buffer]);
    } else parentPort!.postMessage({ id: msg.id, value: JSON.parse(JSON.stringify(result)) });
  } catch (err) {
    const e = err instanceof AppError ? { code: err.code, status: err.status, params: err.params, details: err.details } : { message: err instanceof Error ? err.stack ?? err.message : String(err) };
    parentPort!.postMessage({ id: msg.id, error: e });
  }
});

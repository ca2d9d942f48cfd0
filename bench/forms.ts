// Benchmark of the forms renderers and reader on a 200-indicator × 5-column form.
// Prints one line per step and, last, a JSON line with the milliseconds and the read ratio.
import ExcelJS from 'exceljs';
import { bigForm } from './big-form.ts';
import { compile, evaluateForm } from '../src/forms/engine.ts';
import { renderXlsx, readXlsx, addressesOf } from '../src/forms/xlsx.ts';
import { renderPdf } from '../src/forms/pdf.ts';
import { configureFeel } from '../src/forms/feel.ts';
import { evaluateBounded, maxRange } from '../src/feel/index.ts';

// As on the server: formulas and rules run under the FEEL budget.
configureFeel({ evaluate: (expression, context) => evaluateBounded(expression, context), maxRange });


async function time<T>(fn: () => Promise<T> | T, runs: number): Promise<{ ms: number; value: T }> {
  const samples: number[] = [];
  let value!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    value = await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { ms: Math.round(samples[Math.floor(samples.length / 2)] * 10) / 10, value };
}

const def = bigForm();
const plan = compile(def);
if (plan.problems.length) throw new Error(`bench form has problems: ${JSON.stringify(plan.problems)}`);
const runs = Number(process.argv[2] ?? 7);

// Warm up each code path once (module loading, font parsing and JIT are not what is measured).
await renderXlsx(def, { version: 1 }, plan);
await renderPdf(def, {}, plan);
evaluateForm(compile(def), {});

const gen = await time(() => renderXlsx(def, { version: 1, period: 'Tháng 02/2025' }, plan), runs);

const wb = new ExcelJS.Workbook();
await wb.xlsx.load(gen.value as unknown as ArrayBuffer);
const addr = addressesOf(wb);
const ws = wb.getWorksheet('Biểu')!;
ws.getCell(addr.get('nguoiLap')!).value = 'Nguyễn Văn Đo';
let k = 0;
for (const c of plan.inputs) {
  if (c.kind !== 'cell') continue;
  k++;
  // Every seventh number is typed as Vietnamese text, as officers do.
  const v = 100 + (k % 37) * 3.25;
  const col = c.column!.id;
  const n = col === 'lk' ? v * 3 : col === 'kh' ? v * 12 : v;
  ws.getCell(addr.get(c.key)!).value = k % 7 === 0 ? n.toFixed(2).replace('.', ',') : n;
}
const filled = Buffer.from(await wb.xlsx.writeBuffer());

await readXlsx(def, 1, filled, 'vi', plan);
// Interleave bare and full reads so both see the same machine state.
const bareSamples: number[] = [];
const readSamples: number[] = [];
let values = {};
const bareRead = async () => {
  const t0 = performance.now();
  const bare = new ExcelJS.Workbook();
  await bare.xlsx.load(filled as unknown as ArrayBuffer);
  bareSamples.push(performance.now() - t0);
};
const fullRead = async () => {
  const t0 = performance.now();
  values = await readXlsx(def, 1, filled, 'vi', plan);
  readSamples.push(performance.now() - t0);
};
// Alternate which goes first so neither always runs right after the other's garbage.
for (let i = 0; i < Math.max(2 * runs, 15); i++) {
  if (i % 2) {
    await bareRead();
    await fullRead();
  } else {
    await fullRead();
    await bareRead();
  }
}
const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] * 10) / 10;
const bareMs = median(bareSamples);
const readMs = median(readSamples);

const validate = await time(() => evaluateForm(compile(def), values), runs);
const computed = validate.value.values;
const pdf = await time(() => renderPdf(def, { values, period: 'Tháng 02/2025' }, plan), runs);

const result = {
  indicators: 200,
  columns: 5,
  cells: plan.inputs.length,
  xlsxTemplateMs: gen.ms,
  xlsxReadMs: readMs,
  bareExceljsReadMs: bareMs,
  readRatio: Math.round((readMs / bareMs) * 100) / 100,
  validateMs: validate.ms,
  pdfMs: pdf.ms,
  pdfBytes: pdf.value.length,
  issues: validate.value.issues.length,
  total01: (computed.g1 as Record<string, number>).th,
};
console.log(`Excel template generation: ${result.xlsxTemplateMs} ms`);
console.log(`Excel read of a filled file: ${result.xlsxReadMs} ms (bare exceljs ${result.bareExceljsReadMs} ms, ratio ${result.readRatio})`);
console.log(`Full validation (compile, inputs, formulas, rules): ${result.validateMs} ms`);
console.log(`PDF rendering: ${result.pdfMs} ms (${result.pdfBytes} bytes)`);
console.log(JSON.stringify(result));

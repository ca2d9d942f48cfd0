// What the server accepts is bounded by what a real report needs: definitions by rows, columns and
// cells; uploads by their inflated size, entries and cells, checked before exceljs inflates them; and
// heavy renderings run off the event loop so other users are still served.
import test from 'ava';
import { Readable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import yazl from 'yazl';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../helpers/server.ts';
import { assertWorkbookWithinLimits, UPLOAD_LIMITS } from '../../src/forms/zip-limits.ts';
import { FORM_LIMITS, type FormDefinition } from '../../src/forms/definition.ts';
import { parseDefinition } from '../../src/forms/schema.ts';
import { warmRenderWorker } from '../../src/forms/render-pool.ts';

const json = (r: { payload: string }): any => JSON.parse(r.payload);

let app: TestApp;
let designer: Session;
let officer: Session;

/** A stream of `size` bytes of one repeated chunk, never held in memory at once. */
function repeated(chunk: Buffer, size: number): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      this.push(part);
    },
  });
}

/** A small xlsx-shaped zip whose worksheet inflates to `size` bytes of `chunk`. */
function bomb(chunk: Buffer, size: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'), '[Content_Types].xml');
  zip.addReadStream(repeated(chunk, size), 'xl/worksheets/sheet1.xml', { compress: true });
  zip.end();
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
  });
}

/** The same zip with every central-directory entry claiming to inflate to 100 bytes. */
function lying(zip: Buffer): Buffer {
  const out = Buffer.from(zip);
  for (let i = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i >= 0; i = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) out.writeUInt32LE(100, i + 24);
  return out;
}

function multipart(fields: Record<string, string>, file: { name: string; filename: string; type: string; data: Buffer }) {
  const boundary = '----govflowlimits' + Math.random().toString(16).slice(2);
  const head = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('');
  return {
    payload: Buffer.concat([Buffer.from(head + `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

function bigForm(key: string, tables: number, rows: number, columns: number): FormDefinition {
  return {
    key, code: `B-${key}`, name: 'Biểu lớn', periodKind: 'month',
    sections: [{ id: 's1', title: 'Chỉ tiêu', tables: Array.from({ length: tables }, (_, t) => ({
      id: `bang${t}`, title: `Bảng ${t + 1}`,
      columns: Array.from({ length: columns }, (_, c) => ({ id: `c${c}`, label: `Cột ${c + 1}`, type: 'number' as const, formula: c === columns - 1 ? 'c0 + c1' : undefined })),
      rows: Array.from({ length: rows }, (_, r) => ({ id: `r${t}_${r}`, code: String(r + 1), name: `Chỉ tiêu số ${r + 1} của bảng ${t + 1}`, unit: 'tỷ đồng' })),
    })) }],
  };
}

test.before(async () => {
  app = await startApp({ orgs: false });
  await makeUser('designer', null, { username: 'thietke.gh' });
  await makeUser('officer', null, { username: 'canbo.gh' });
  designer = await login(app.server, 'thietke.gh');
  officer = await login(app.server, 'canbo.gh');
  // The largest form the limits allow: fields plus rows × columns just under cellsPerForm.
  const rows = Math.floor(FORM_LIMITS.cellsPerForm / FORM_LIMITS.columnsPerTable);
  if ((await call(app.server, designer, 'POST', '/api/forms', bigForm('bieu-lon', 1, rows, FORM_LIMITS.columnsPerTable))).statusCode !== 201) throw new Error('create failed');
  const pub = await call(app.server, designer, 'POST', '/api/forms/bieu-lon/publish');
  if (pub.statusCode !== 200) throw new Error(`publish failed ${pub.payload.slice(0, 300)}`);
});
test.after.always(async () => {
  await app?.close();
});

test.serial('a definition over the limits is refused with a message naming the limit', async (t) => {
  const cases: Array<[FormDefinition, string, string]> = [
    [bigForm('qua-dong', 1, FORM_LIMITS.rowsPerTable + 100, 2), 'forms.limits.rows', String(FORM_LIMITS.rowsPerTable)],
    [bigForm('qua-cot', 1, 10, 30), 'forms.limits.columns', String(FORM_LIMITS.columnsPerTable)],
    [bigForm('qua-o', 2, 400, 10), 'forms.limits.cells', String(FORM_LIMITS.cellsPerForm)],
  ];
  for (const [def, code, max] of cases) {
    const res = await call(app.server, designer, 'POST', '/api/forms', def);
    t.is(res.statusCode, 422, code);
    t.is(json(res).code, code);
    t.true(json(res).message.replace(/\D/g, ' ').split(' ').includes(max), json(res).message);
    t.is(t.throws(() => parseDefinition(def))?.message, code);
  }
  // The definition of the issue (10 tables × 2,000 rows × 30 columns) does not even pass the edge check.
  const huge = await call(app.server, designer, 'POST', '/api/forms', bigForm('qua-lon', 10, 2000, 30));
  t.is(huge.statusCode, 400);
  t.is(json(huge).details[0].type, 'tooMany');
  t.is(t.throws(() => parseDefinition(bigForm('qua-lon', 10, 2000, 30)))?.message, 'forms.limits.rows');
  t.is((await call(app.server, designer, 'GET', '/api/forms/qua-o')).statusCode, 404);
});

test.serial('a zip bomb xlsx is refused with 413 quickly, before it is inflated, and memory stays bounded', async (t) => {
  const file = await bomb(Buffer.alloc(1 << 20, 0x20), 300 * 1024 * 1024);
  t.true(file.length < 1024 * 1024, `the bomb is ${file.length} bytes`);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const started = Date.now();
  const body = multipart({ crumb: officer.crumb, period: '2025-01' }, { name: 'file', filename: 'bao-cao.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', data: file });
  const res = await call(app.server, officer, 'POST', '/forms/bieu-lon/fill/upload', body.payload, body.headers);
  const ms = Date.now() - started;
  const grew = (process.memoryUsage().rss - rss0) / 1024 / 1024;
  t.log(`zip bomb: ${file.length} bytes → 300 MB; answered ${res.statusCode} in ${ms} ms; RSS grew ${grew.toFixed(0)} MB`);
  t.is(res.statusCode, 413);
  t.true(res.payload.includes('Tệp Excel khi giải nén lớn hơn'));
  t.true(grew < 200);
  t.is(json(await call(app.server, officer, 'GET', '/api/forms/bieu-lon/submissions/2025-01')).status, 'new');
  // Directly, and when the central directory lies about the size.
  const direct = await assertWorkbookWithinLimits(file).catch((e) => e);
  t.is(direct.status, 413);
  const lie = await assertWorkbookWithinLimits(lying(file)).catch((e) => e);
  t.is(lie.status, 413);
  t.is(lie.code, 'forms.xlsx.tooLarge');
});

test.serial('an upload with more cells than any form allows is refused with 422', async (t) => {
  const cell = Buffer.from('<c r="A1"/>');
  const file = await bomb(Buffer.concat(Array.from({ length: 1000 }, () => cell)), (UPLOAD_LIMITS.cells + 10) * cell.length);
  const err = await assertWorkbookWithinLimits(file).catch((e) => e);
  t.is(err.status, 422);
  t.is(err.code, 'forms.xlsx.tooManyCells');
});

test.serial('/healthz keeps answering while the template and PDFs of the largest allowed form are rendered', async (t) => {
  // A started server warms the render worker (onPostStart); this one is only injected into, so warm it here.
  await warmRenderWorker();
  // The machine's own noise (shared CPUs): the same probing for a while with nothing rendered.
  const idle = monitorEventLoopDelay({ resolution: 10 });
  idle.enable();
  for (let i = 0; i < 60; i++) {
    await app.server.inject('/healthz');
    await new Promise((r) => setTimeout(r, 20));
  }
  idle.disable();
  const noise = idle.max / 1e6;
  t.log(`idle probing: longest event-loop stall ${noise.toFixed(0)} ms`);
  for (const url of ['/forms/bieu-lon/template.xlsx', '/forms/bieu-lon/sample.pdf', '/forms/bieu-lon/fill.pdf?period=2025-01']) {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const started = Date.now();
    let finished = false;
    const render = call(app.server, designer, 'GET', url).finally(() => {
      finished = true;
    });
    let slowest = 0;
    let probes = 0;
    let answeredDuring = 0;
    while (!finished) {
      const t0 = Date.now();
      const res = await app.server.inject('/healthz');
      slowest = Math.max(slowest, Date.now() - t0);
      probes++;
      if (!finished) answeredDuring++;
      t.is(res.statusCode, 200);
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await render;
    h.disable();
    const stall = h.max / 1e6;
    t.log(`${url}: ${res.statusCode} in ${Date.now() - started} ms, ${res.rawPayload.length} bytes; longest event-loop stall ${stall.toFixed(0)} ms; slowest of ${probes} /healthz ${slowest} ms`);
    t.is(res.statusCode, 200);
    // Rendered on the event loop, this form blocks it for the whole rendering (over a second) and no
    // probe is answered before the file is; off it, probes keep being answered meanwhile. The stall
    // figures above are reported, not asserted: they depend on the machine's load.
    t.true(answeredDuring >= 2, `${answeredDuring} of ${probes} probes answered during the rendering of ${url}`);
  }
  // A published version's template is cached: the second download is the same file.
  const a = await call(app.server, designer, 'GET', '/forms/bieu-lon/template.xlsx');
  const b = await call(app.server, designer, 'GET', '/forms/bieu-lon/template.xlsx');
  t.true(a.rawPayload.equals(b.rawPayload));
});

// `govflow import procedures FILE`: the CSV format of the national procedures database export (docs/catalog.md).
// All or nothing: every bad line is listed and nothing is written; a file imported again changes nothing.
import { parseCsv } from '../orgs/csv.ts';
import { Procedure } from './models.ts';
import { parseFee, parseOnlineLevel, parseProcessingTime } from './parse.ts';
import { bumpCatalogVersion } from './version.ts';
import { inTransaction } from '../store/index.ts';
import { appendAudit, type Actor } from '../audit/service.ts';
import { Invalid } from '../errors.ts';

/** Columns every file must have. */
export const REQUIRED_COLUMNS = ['code', 'name', 'agency', 'field', 'implementation_level'] as const;
/** Columns read when present (the shipped export has the first ones; the seed files add the last five). */
export const OPTIONAL_COLUMNS = [
  'ministry_code', 'ministry_name', 'competent_authority', 'procedure_type', 'announcing_decision', 'submission_channels', 'processing_time',
  'processing_time_variants', 'fee_text', 'fee_vnd', 'target_subjects', 'result', 'online_level', 'documents', 'legal_basis', 'form_key', 'process_key',
] as const;

const CODE = /^\d{1,2}\.\d{6}$/;
const KEY = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const LIMITS: Record<string, number> = { code: 32, name: 1000, ministry_code: 40, ministry_name: 255, agency: 500, competent_authority: 500, field: 255, implementation_level: 255, procedure_type: 255, announcing_decision: 500, submission_channels: 255, form_key: 60, process_key: 120 };

/** One problem of a file, with the line it is on. */
export interface ImportProblem {
  line: number;
  message: string;
}

/** What an import did. */
export interface ImportResult {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  ms: number;
}

function rowValues(get: (c: string) => string): Record<string, unknown> {
  const time = parseProcessingTime(get('processing_time'));
  const fee = parseFee(get('fee_text'), get('fee_vnd'));
  const orNull = (s: string) => (s === '' ? null : s);
  return {
    code: get('code'), name: get('name'), ministryCode: orNull(get('ministry_code')), ministryName: orNull(get('ministry_name')),
    agency: get('agency'), competentAuthority: orNull(get('competent_authority')), field: get('field'), level: get('implementation_level'),
    procedureType: orNull(get('procedure_type')), announcingDecision: orNull(get('announcing_decision')), channels: orNull(get('submission_channels')),
    onlineLevel: parseOnlineLevel(get('online_level')) ?? null,
    processingText: orNull(time.text), processingAmount: time.amount, processingUnit: time.unit, processingVariants: orNull(get('processing_time_variants')),
    feeText: orNull(fee.text), feeMin: fee.min, feeMax: fee.max, targetSubjects: orNull(get('target_subjects')), documents: orNull(get('documents')),
    result: orNull(get('result')), legalBasis: orNull(get('legal_basis')), formKey: orNull(get('form_key')), processKey: orNull(get('process_key')),
  };
}

/** Checks a file and returns its rows as model values, or throws 422 listing every bad line. */
export function readProcedureFile(content: Buffer | string): Array<Record<string, unknown>> {
  const text = (Buffer.isBuffer(content) ? content.toString('utf8') : content).replace(/^\uFEFF/, '').normalize('NFC');
  const records = parseCsv(text).filter((r) => r.fields.some((f) => f.trim() !== ''));
  if (!records.length) throw Invalid('catalog.import.empty');
  const header = records[0].fields.map((h) => h.trim());
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw Invalid('catalog.import.missingColumns', { columns: missing.join(', ') }, [{ line: 1, message: `missing columns: ${missing.join(', ')}` }]);
  const index = new Map(header.map((h, i) => [h, i]));
  const problems: ImportProblem[] = [];
  const seen = new Map<string, number>();
  const rows: Array<Record<string, unknown>> = [];
  for (const rec of records.slice(1)) {
    const bad = (message: string) => problems.push({ line: rec.line, message });
    if (rec.fields.length !== header.length) {
      bad(`has ${rec.fields.length} fields, the header has ${header.length}`);
      continue;
    }
    const get = (c: string) => (index.has(c) ? rec.fields[index.get(c)!].trim() : '');
    const code = get('code');
    if (!CODE.test(code)) bad(`code "${code.slice(0, 40)}" is not a procedure code like 1.001193`);
    else if (seen.has(code)) bad(`code ${code} is already on line ${seen.get(code)}`);
    else seen.set(code, rec.line);
    for (const c of REQUIRED_COLUMNS) if (c !== 'code' && !get(c)) bad(`${c} is empty`);
    for (const [c, max] of Object.entries(LIMITS)) if (get(c).length > max) bad(`${c} is longer than ${max} characters`);
    if (parseOnlineLevel(get('online_level')) === undefined) bad(`online_level "${get('online_level').slice(0, 40)}" is not "toàn trình", "một phần", "full" or "partial"`);
    for (const c of ['form_key', 'process_key']) if (get(c) && !KEY.test(get(c))) bad(`${c} "${get(c).slice(0, 60)}" is not a key like dang-ky-khai-sinh`);
    if (get('fee_vnd') && !/^\d{1,15}(-\d{1,15})?$/.test(get('fee_vnd'))) bad(`fee_vnd "${get('fee_vnd').slice(0, 40)}" is not an amount or a range like 10000-20000`);
    rows.push(rowValues(get));
  }
  if (problems.length) throw Invalid('catalog.import.badLines', { count: problems.length, lines: problems.slice(0, 20).map((p) => p.line).join(', ') }, problems);
  return rows;
}

const COMPARED = ['name', 'ministryCode', 'ministryName', 'agency', 'competentAuthority', 'field', 'level', 'procedureType', 'announcingDecision', 'channels', 'onlineLevel', 'processingText', 'processingAmount', 'processingUnit', 'processingVariants', 'feeText', 'feeMin', 'feeMax', 'targetSubjects', 'documents', 'result', 'legalBasis', 'formKey', 'processKey'] as const;

/** Imports a procedure file: creates new codes, updates changed ones, leaves the rest; audited; bumps the catalog version when anything changed. */
export async function importProcedures(content: Buffer | string, actor: Actor | null = null, source = 'file'): Promise<ImportResult> {
  const started = Date.now();
  const rows = readProcedureFile(content);
  return inTransaction(async (t) => {
    const existing = new Map((await Procedure.findAll({ where: { code: rows.map((r) => r.code as string) }, transaction: t })).map((p) => [p.code, p]));
    let created = 0;
    let updated = 0;
    let unchanged = 0;
    const fresh: Array<Record<string, unknown>> = [];
    for (const r of rows) {
      const old = existing.get(r.code as string);
      if (!old) {
        fresh.push(r);
        created++;
        continue;
      }
      const changed = COMPARED.filter((k) => (old.get(k) ?? null) !== (r[k] ?? null));
      if (!changed.length) {
        unchanged++;
        continue;
      }
      await old.update(Object.fromEntries(changed.map((k) => [k, r[k]])), { transaction: t });
      updated++;
    }
    for (let i = 0; i < fresh.length; i += 200) await Procedure.bulkCreate(fresh.slice(i, i + 200) as never, { transaction: t });
    if (created || updated) await bumpCatalogVersion(t);
    await appendAudit(actor, { action: 'catalog.import', targetType: 'procedures', targetId: source.slice(0, 190), detail: { rows: rows.length, created, updated, unchanged } }, t);
    return { rows: rows.length, created, updated, unchanged, ms: Date.now() - started };
  });
}

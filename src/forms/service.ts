// The forms domain's rules: versioned definitions (draft → published), publish checks, exports,
// and the draft/submitted values a unit enters for a period.
import { Op, UniqueConstraintError } from 'sequelize';
import { FormSubmission, FormVersion } from './models.ts';
import { parseDefinition } from './schema.ts';
import { compile, evaluateForm, getValue, setValue, type Evaluation, type Issue, type Plan } from './engine.ts';
import { parseVnNumber } from './numbers.ts';
import { diffDefinitions, type Change } from './diff.ts';
import { loadShippedForms } from './shipped.ts';
import { readXlsx } from './xlsx.ts';
import type { FormDefinition, FormValues } from './definition.ts';
import { issueText } from './messages.ts';
import { checkUpload, hasUpload, storeUploads, type FileValue, type Upload } from './files.ts';
import { fieldsOf, isFileValue } from './definition.ts';
import { catalogProblems, resolveCatalogs, usesCatalogs, type CatalogContext } from './catalogs.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import { hasRole, type Viewer } from '../access/index.ts';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.ts';
import { db, inTransaction } from '../store/index.ts';
import { t, type Locale } from '../i18n/index.ts';
import { evaluateBounded, maxRange } from '../feel/index.ts';
import { configureFeel } from './feel.ts';

// On the server every formula and rule runs under the FEEL budget; the browser keeps plain feelin.
configureFeel({ evaluate: (expression, context) => evaluateBounded(expression, context), maxRange });

/** A form version as services hand it out. */
export interface FormVersionView {
  id: number;
  key: string;
  version: number;
  status: 'draft' | 'published';
  definition: FormDefinition;
  publishedAt: Date | null;
  updatedAt: Date;
}

const plans = new Map<number, { stamp: number; plan: Plan }>();

/** The compiled plan of a stored version (cached while the row is unchanged). */
export function planOf(v: FormVersionView): Plan {
  const stamp = v.updatedAt.getTime();
  const hit = plans.get(v.id);
  if (hit && hit.stamp === stamp) return hit.plan;
  const plan = compile(v.definition);
  plans.set(v.id, { stamp, plan });
  return plan;
}

/** Every publish-check problem of a definition: the engine's and unknown catalogs. */
export function definitionProblems(def: FormDefinition): Issue[] {
  return [...compile(def).problems, ...catalogProblems(def)];
}

/** The definition with catalog choice fields resolved for a context, and its plan. */
export async function resolveForm(form: FormVersionView, ctx: CatalogContext = {}): Promise<{ definition: FormDefinition; plan: Plan }> {
  if (!usesCatalogs(form.definition)) return { definition: form.definition, plan: planOf(form) };
  const definition = await resolveCatalogs(form.definition, ctx);
  return { definition, plan: compile(definition) };
}

function view(row: FormVersion): FormVersionView {
  return { id: row.id, key: row.key, version: row.version, status: row.status, definition: JSON.parse(row.definition), publishedAt: row.publishedAt, updatedAt: row.updatedAt };
}

function assertDesigner(viewer: Viewer | null): void {
  if (viewer && !hasRole(viewer, 'designer', 'admin')) throw Forbidden();
}

/** Localised sentences for engine issues. */
export function describeIssues(locale: Locale, issues: Issue[]): Array<Issue & { message: string }> {
  return issues.map((i) => ({ ...i, message: issueText(i, (k) => t(locale, k)) }));
}

const seeded = new WeakSet<object>();

/** Stores each shipped definition as published version 1 when its key is not in the database yet. */
export async function ensureShippedForms(): Promise<void> {
  const s = db();
  if (seeded.has(s)) return;
  for (const def of loadShippedForms()) {
    if (await FormVersion.count({ where: { key: def.key } })) continue;
    try {
      await FormVersion.create({ key: def.key, version: 1, status: 'published', code: def.code, name: def.name, periodKind: def.periodKind, definition: JSON.stringify(def), publishedAt: new Date() });
    } catch (err) {
      // Another node seeded it at the same moment.
      if (!(err instanceof UniqueConstraintError)) throw err;
    }
  }
  seeded.add(s);
}

/** One line of the form list: the latest version of each form and its latest published version. */
export interface FormSummary {
  key: string;
  code: string;
  name: string;
  periodKind: string;
  latestVersion: number;
  latestStatus: 'draft' | 'published';
  publishedVersion: number | null;
}

/** Every form, by code. */
export async function listForms(): Promise<FormSummary[]> {
  await ensureShippedForms();
  const rows = await FormVersion.findAll({ attributes: ['key', 'version', 'status', 'code', 'name', 'periodKind'], order: [['key', 'ASC'], ['version', 'ASC']] });
  const byKey = new Map<string, FormSummary>();
  for (const r of rows) {
    const s = byKey.get(r.key) ?? { key: r.key, code: r.code, name: r.name, periodKind: r.periodKind, latestVersion: 0, latestStatus: r.status, publishedVersion: null };
    s.code = r.code;
    s.name = r.name;
    s.periodKind = r.periodKind;
    s.latestVersion = r.version;
    s.latestStatus = r.status;
    if (r.status === 'published') s.publishedVersion = r.version;
    byKey.set(r.key, s);
  }
  return [...byKey.values()].sort((a, b) => a.code.localeCompare(b.code, 'vi'));
}

/** A version of a form (the latest when version is omitted). */
export async function getFormVersion(key: string, version?: number): Promise<FormVersionView> {
  await ensureShippedForms();
  const row = await FormVersion.findOne({ where: { key, ...(version ? { version } : {}) }, order: [['version', 'DESC']] });
  if (!row) throw NotFound('forms.definition.notFound');
  return view(row);
}

/** The latest published version of a form (or a given published version). */
export async function getPublished(key: string, version?: number): Promise<FormVersionView> {
  await ensureShippedForms();
  const row = await FormVersion.findOne({ where: { key, status: 'published', ...(version ? { version } : {}) }, order: [['version', 'DESC']] });
  if (!row) throw NotFound('forms.definition.notFound');
  return view(row);
}

/** Finds a form by key or printed code (the CLI accepts either). */
export async function findFormKey(keyOrCode: string): Promise<string> {
  await ensureShippedForms();
  const row = await FormVersion.findOne({ where: { [Op.or]: [{ key: keyOrCode }, { code: keyOrCode }] }, order: [['version', 'DESC']] });
  if (!row) throw NotFound('forms.definition.notFound');
  return row.key;
}

/** Every version of a form, newest first, each with its changes from the one before. */
export async function formHistory(key: string): Promise<Array<FormVersionView & { changes: Change[] }>> {
  const rows = (await FormVersion.findAll({ where: { key }, order: [['version', 'ASC']] })).map(view);
  if (!rows.length) throw NotFound('forms.definition.notFound');
  return rows.map((r, i) => ({ ...r, changes: i ? diffDefinitions(rows[i - 1].definition, r.definition) : [] })).reverse();
}

/** Creates a new form as draft version 1. */
export async function createForm(viewer: Viewer | null, input: unknown): Promise<FormVersionView> {
  assertDesigner(viewer);
  const def = parseDefinition(input);
  await ensureShippedForms();
  return inTransaction(async (tx) => {
    if (await FormVersion.count({ where: { key: def.key }, transaction: tx })) throw Conflict('forms.definition.exists', { key: def.key });
    const row = await FormVersion.create({ key: def.key, version: 1, status: 'draft', code: def.code, name: def.name, periodKind: def.periodKind, definition: JSON.stringify(def), createdBy: viewer?.userId ?? null }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: 'form.create', targetType: 'form', targetId: `${def.key}@1` }, tx);
    return view(row);
  });
}

/** Replaces the content of a form's draft; a published version never changes. Returns the draft and its problems. */
export async function saveDraft(viewer: Viewer | null, key: string, input: unknown): Promise<{ form: FormVersionView; problems: Issue[] }> {
  assertDesigner(viewer);
  const def = parseDefinition(input);
  if (def.key !== key) throw Invalid('forms.definition.keyChanged');
  return inTransaction(async (tx) => {
    const row = await FormVersion.findOne({ where: { key }, order: [['version', 'DESC']], transaction: tx, lock: tx.LOCK.UPDATE });
    if (!row) throw NotFound('forms.definition.notFound');
    if (row.status !== 'draft') throw Conflict('forms.definition.published');
    await row.update({ code: def.code, name: def.name, periodKind: def.periodKind, definition: JSON.stringify(def) }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: 'form.save', targetType: 'form', targetId: `${key}@${row.version}` }, tx);
    return { form: view(row), problems: definitionProblems(def) };
  });
}

/** Starts the next version as a draft copied from the latest one. */
export async function newVersion(viewer: Viewer | null, key: string): Promise<FormVersionView> {
  assertDesigner(viewer);
  return inTransaction(async (tx) => {
    const latest = await FormVersion.findOne({ where: { key }, order: [['version', 'DESC']], transaction: tx, lock: tx.LOCK.UPDATE });
    if (!latest) throw NotFound('forms.definition.notFound');
    if (latest.status === 'draft') throw Conflict('forms.definition.draftExists', { version: latest.version });
    const row = await FormVersion.create({ key, version: latest.version + 1, status: 'draft', code: latest.code, name: latest.name, periodKind: latest.periodKind, definition: latest.definition, createdBy: viewer?.userId ?? null }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: 'form.newVersion', targetType: 'form', targetId: `${key}@${row.version}` }, tx);
    return view(row);
  });
}

/** Publishes the draft when the definition has no problems; otherwise 422 with every problem. */
export async function publishForm(viewer: Viewer | null, key: string, locale: Locale = 'vi'): Promise<FormVersionView> {
  assertDesigner(viewer);
  return inTransaction(async (tx) => {
    const row = await FormVersion.findOne({ where: { key }, order: [['version', 'DESC']], transaction: tx, lock: tx.LOCK.UPDATE });
    if (!row) throw NotFound('forms.definition.notFound');
    if (row.status !== 'draft') throw Conflict('forms.definition.published');
    const def = parseDefinition(JSON.parse(row.definition));
    const problems = definitionProblems(def);
    if (problems.length) throw Invalid('forms.definition.hasErrors', { count: problems.length }, describeIssues(locale, problems));
    await row.update({ status: 'published', publishedAt: new Date(), publishedBy: viewer?.userId ?? null }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: 'form.publish', targetType: 'form', targetId: `${key}@${row.version}` }, tx);
    return view(row);
  });
}

/** Imports a definition file: a new form, or the content of the next draft of an existing one. */
export async function importDefinition(viewer: Viewer | null, input: unknown): Promise<FormVersionView> {
  assertDesigner(viewer);
  const def = parseDefinition(input);
  await ensureShippedForms();
  const latest = await FormVersion.findOne({ where: { key: def.key }, order: [['version', 'DESC']] });
  if (!latest) return createForm(viewer, def);
  if (latest.status === 'published') await newVersion(viewer, def.key);
  return (await saveDraft(viewer, def.key, def)).form;
}

/** A unit's values for one period of one form version. */
export interface SubmissionView {
  id: number | null;
  status: 'new' | 'draft' | 'submitted';
  values: FormValues;
  explanations: Record<string, string>;
  issues: Issue[];
  updatedAt: Date | null;
}

/** The draft or submitted values of a unit for a period (empty when nothing was saved). */
export async function getSubmission(form: FormVersionView, orgUnitId: number, period: string): Promise<SubmissionView> {
  const row = await FormSubmission.findOne({ where: { formDefinitionId: form.id, orgUnitId, period } });
  if (!row) return { id: null, status: 'new', values: {}, explanations: {}, issues: [], updatedAt: null };
  return { id: row.id, status: row.status, values: JSON.parse(row.values), explanations: JSON.parse(row.explanations), issues: JSON.parse(row.issues), updatedAt: row.updatedAt };
}

/** The period before a `YYYY-MM`, `YYYY-Qn`, `YYYY-Hn` or `YYYY` period; null for other (ad hoc) periods. */
export function previousPeriod(period: string): string | null {
  let m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`;
  }
  m = /^(\d{4})-([QH])(\d)$/.exec(period);
  if (m) {
    const y = Number(m[1]);
    const n = Number(m[3]);
    const last = m[2] === 'Q' ? 4 : 2;
    return n === 1 ? `${y - 1}-${m[2]}${last}` : `${y}-${m[2]}${n - 1}`;
  }
  m = /^(\d{4})$/.exec(period);
  return m ? String(Number(m[1]) - 1) : null;
}

/** The values a unit saved for the previous period of the same form (any version), for rules that read `prev`. */
export async function getPreviousValues(form: FormVersionView, orgUnitId: number, period: string): Promise<FormValues | null> {
  const before = previousPeriod(period);
  if (!before) return null;
  const row = await FormSubmission.findOne({ where: { formKey: form.key, orgUnitId, period: before }, order: [['version', 'DESC']] });
  return row ? JSON.parse(row.values) : null;
}

/** Options of a save. */
export interface SaveOptions {
  /** Submit (errors block it, warnings need an explanation) instead of keeping a draft. */
  submit?: boolean;
  explanations?: Record<string, string>;
  /** Values of the previous period for rules that read `prev`. */
  prev?: FormValues | null;
  locale?: Locale;
  /** Code of the unit the values are for (catalogs such as `communes` depend on it); the viewer's unit by default. */
  orgCode?: string | null;
}

function canFill(viewer: Viewer | null): boolean {
  return !viewer || hasRole(viewer, 'officer', 'designer', 'admin');
}

/** Saves a unit's values as a draft or submits them; computed cells are recomputed on the server. */
export async function saveSubmission(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string, input: FormValues, opts: SaveOptions = {}): Promise<{ submission: SubmissionView; evaluation: Evaluation }> {
  if (!canFill(viewer)) throw Forbidden();
  if (form.status !== 'published') throw Conflict('forms.entry.notPublished');
  const locale = opts.locale ?? 'vi';
  const { plan } = await resolveForm(form, { viewer, orgCode: opts.orgCode ?? viewer?.orgCode });
  // A file value must name bytes that were uploaded.
  for (const f of fieldsOf(form.definition)) {
    const v = input?.[f.id];
    if (f.type === 'file' && isFileValue(v) && !hasUpload(v.sha256)) throw Invalid('forms.file.unknown', { where: f.label, name: v.name });
  }
  const prev = opts.prev !== undefined ? opts.prev : await getPreviousValues(form, orgUnitId, period);
  const evaluation = evaluateForm(plan, prepareInput(plan, input), prev);
  const explanations = Object.fromEntries(Object.entries(opts.explanations ?? {}).filter(([, v]) => typeof v === 'string' && v.trim()).map(([k, v]) => [k, v.trim().normalize('NFC')]));
  if (opts.submit) {
    const errors = evaluation.issues.filter((i) => i.severity === 'error');
    if (errors.length) throw Invalid('forms.entry.hasErrors', { count: errors.length }, describeIssues(locale, errors));
    const unexplained = evaluation.issues.filter((i) => i.severity === 'warning' && i.rule && !explanations[i.rule]);
    if (unexplained.length) throw Invalid('forms.entry.needExplanation', { message: unexplained.map((i) => i.params.message).join('; ') }, describeIssues(locale, unexplained));
  }
  return inTransaction(async (tx) => {
    let row = await FormSubmission.findOne({ where: { formDefinitionId: form.id, orgUnitId, period }, transaction: tx, lock: tx.LOCK.UPDATE });
    if (row?.status === 'submitted') throw Conflict('forms.entry.alreadySubmitted');
    const data = {
      values: JSON.stringify(evaluation.values), explanations: JSON.stringify(explanations), issues: JSON.stringify(evaluation.issues),
      status: opts.submit ? 'submitted' : 'draft', submittedAt: opts.submit ? new Date() : null, updatedBy: viewer?.userId ?? null,
    };
    if (row) await row.update(data, { transaction: tx });
    else row = await FormSubmission.create({ formDefinitionId: form.id, formKey: form.key, version: form.version, orgUnitId, period, ...data }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: opts.submit ? 'form.submit' : 'form.saveDraft', targetType: 'formSubmission', targetId: row.id, detail: { form: `${form.key}@${form.version}`, orgUnitId, period } }, tx);
    return { submission: { id: row.id, status: row.status, values: evaluation.values, explanations, issues: evaluation.issues, updatedAt: row.updatedAt }, evaluation };
  });
}

/**
 * Saves values with uploaded files: every file is checked against its field first (a wrong type is a
 * 400, a file too large a 413, and then nothing is stored or saved), then stored by content, then the
 * values are saved with `{ sha256, name, size, type }` in each file field. File fields without a new
 * upload keep the file already saved.
 */
export async function saveSubmissionWithFiles(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string, input: FormValues, uploads: Record<string, Upload>, opts: SaveOptions = {}) {
  if (!canFill(viewer)) throw Forbidden();
  const fileFields = fieldsOf(form.definition).filter((f) => f.type === 'file' && !f.formula);
  const checked: Array<{ value: FileValue; data: Buffer; field: string }> = [];
  for (const [id, up] of Object.entries(uploads)) {
    const field = fileFields.find((f) => f.id === id);
    if (!field) throw Invalid('forms.file.noField', { name: id });
    checked.push({ value: checkUpload(field, up), data: up.data, field: id });
  }
  const values: FormValues = { ...input };
  const existing = await getSubmission(form, orgUnitId, period);
  for (const f of fileFields) if (!(f.id in values) && isFileValue(existing.values[f.id])) values[f.id] = existing.values[f.id];
  await storeUploads(checked);
  for (const c of checked) values[c.field] = c.value;
  return saveSubmission(viewer, form, orgUnitId, period, values, opts);
}

/** Reads a filled Excel template and saves its values as a draft; any problem rejects the whole file. */
export async function uploadSubmission(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string, file: Buffer, locale: Locale = 'vi') {
  if (!canFill(viewer)) throw Forbidden();
  const resolved = await resolveForm(form, { viewer, orgCode: viewer?.orgCode });
  const values = await readXlsx(resolved.definition, form.version, file, locale, resolved.plan);
  return saveSubmission(viewer, form, orgUnitId, period, values, { locale });
}

/** Submitted values as the engine expects them: NFC text, numbers parsed from Vietnamese text, empty cells missing. */
export function prepareInput(plan: Plan, input: FormValues): FormValues {
  return coerceInput(plan, normalizeInput(input));
}

/** Text typed into numeric and yes/no inputs (HTML forms without scripts) becomes numbers and booleans. */
function coerceInput(plan: Plan, values: FormValues): FormValues {
  for (const c of plan.inputs) {
    const v = getValue(values, c.key);
    if (typeof v !== 'string') continue;
    if (c.numeric) {
      const n = parseVnNumber(v);
      if (n !== null) setValue(values, c.key, n);
    } else if (c.field?.type === 'boolean' && (v === 'true' || v === 'false')) setValue(values, c.key, v === 'true');
  }
  return values;
}

/** Numbers sent as Vietnamese text by HTML forms become numbers; empty strings become missing. */
function normalizeInput(input: FormValues): FormValues {
  const out: FormValues = {};
  for (const [k, v] of Object.entries(input ?? {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = normalizeInput(v as FormValues);
    else out[k] = v === '' ? null : typeof v === 'string' ? v.normalize('NFC') : v;
  }
  return out;
}

// The forms domain's rules: versioned definitions (draft → published), publish checks, exports,
// and the draft/submitted values a unit enters for a period.
import { Op, UniqueConstraintError } from 'sequelize';
import type { Transaction } from 'sequelize';
import { FormSubmission, FormUpload, FormVersion } from './models.ts';
import { parseDefinition } from './schema.ts';
import { compile, emptyValues, evaluateForm, getValue, isSafeSegment, setValue, unknownValueKeys, type Evaluation, type Issue, type Plan } from './engine.ts';
import { parseVnNumber } from './numbers.ts';
import { diffDefinitions, type Change } from './diff.ts';
import { loadShippedForms } from './shipped.ts';
import { readXlsxOffThread } from './render-pool.ts';
import { assertWorkbookWithinLimits } from './zip-limits.ts';
import type { FormDefinition, FormValues } from './definition.ts';
import { issueText } from './messages.ts';
import { checkUpload, hasUpload, isInlineType, readUpload, servedType, storeUploads, type FileValue, type Upload } from './files.ts';
import { fieldsOf, isFileValue } from './definition.ts';
import { catalogProblems, resolveCatalogs, usesCatalogs, type CatalogContext } from './catalogs.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import { assertOrgAccess, assertSystemRole, hasRole, hasSystemRole, type Viewer } from '../access/index.ts';
import type { Role } from '../auth/models.ts';
import { getOrg } from '../orgs/service.ts';
import { BadRequest, Conflict, Forbidden, Invalid, NotFound } from '../errors.ts';
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

/** The definition with catalog choice fields resolved for a context, without compiling it (for work done in the render worker). */
export async function resolveDefinition(form: FormVersionView, ctx: CatalogContext = {}): Promise<FormDefinition> {
  return usesCatalogs(form.definition) ? resolveCatalogs(form.definition, ctx) : form.definition;
}

function view(row: FormVersion): FormVersionView {
  return { id: row.id, key: row.key, version: row.version, status: row.status, definition: JSON.parse(row.definition), publishedAt: row.publishedAt, updatedAt: row.updatedAt };
}

/** Forms are shared by every unit: changing one needs a system-wide designer or admin (no viewer: the system itself). */
function assertDesigner(viewer: Viewer | null): void {
  if (viewer) assertSystemRole(viewer, 'designer', 'admin');
}

/** Roles that fill and read submissions. */
const FILL_ROLES: readonly Role[] = ['officer', 'designer', 'admin'];

/**
 * Throws 403 unless the viewer may read or write the submissions of this unit: one of the viewer's
 * filling roles covers it (org id 0, no unit, is open to viewers who have no unit themselves and to
 * system-wide designers and admins). No viewer: the system itself.
 */
export async function assertUnitAccess(viewer: Viewer | null, orgUnitId: number): Promise<void> {
  if (!viewer) return;
  if (!orgUnitId) {
    if (viewer.orgUnitId && !hasSystemRole(viewer, 'designer', 'admin')) throw Forbidden('errors.outOfScope');
    return;
  }
  const org = await getOrg(orgUnitId).catch(() => null);
  if (!org) throw Forbidden('errors.outOfScope');
  assertOrgAccess(viewer, org.path, FILL_ROLES);
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
export async function createForm(viewer: Viewer | null, input: unknown, outer?: Transaction): Promise<FormVersionView> {
  assertDesigner(viewer);
  const def = parseDefinition(input);
  await ensureShippedForms();
  return inTransaction(async (tx) => {
    if (await FormVersion.count({ where: { key: def.key }, transaction: tx })) throw Conflict('forms.definition.exists', { key: def.key });
    const row = await FormVersion.create({ key: def.key, version: 1, status: 'draft', code: def.code, name: def.name, periodKind: def.periodKind, definition: JSON.stringify(def), createdBy: viewer?.userId ?? null }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: 'form.create', targetType: 'form', targetId: `${def.key}@1` }, tx);
    return view(row);
  }, outer);
}

/** Replaces the content of a form's draft; a published version never changes. Returns the draft and its problems. */
export async function saveDraft(viewer: Viewer | null, key: string, input: unknown, outer?: Transaction): Promise<{ form: FormVersionView; problems: Issue[] }> {
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
  }, outer);
}

/** Starts the next version as a draft copied from the latest one. */
export async function newVersion(viewer: Viewer | null, key: string, outer?: Transaction): Promise<FormVersionView> {
  assertDesigner(viewer);
  return inTransaction(async (tx) => {
    const latest = await FormVersion.findOne({ where: { key }, order: [['version', 'DESC']], transaction: tx, lock: tx.LOCK.UPDATE });
    if (!latest) throw NotFound('forms.definition.notFound');
    if (latest.status === 'draft') throw Conflict('forms.definition.draftExists', { version: latest.version });
    const row = await FormVersion.create({ key, version: latest.version + 1, status: 'draft', code: latest.code, name: latest.name, periodKind: latest.periodKind, definition: latest.definition, createdBy: viewer?.userId ?? null }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: 'form.newVersion', targetType: 'form', targetId: `${key}@${row.version}` }, tx);
    return view(row);
  }, outer);
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
  // One transaction: a new version and its content (and their audit rows) are saved together or not at all.
  return inTransaction(async (tx) => {
    const latest = await FormVersion.findOne({ where: { key: def.key }, order: [['version', 'DESC']], transaction: tx, lock: tx.LOCK.UPDATE });
    if (!latest) return createForm(viewer, def, tx);
    if (latest.status === 'published') await newVersion(viewer, def.key, tx);
    return (await saveDraft(viewer, def.key, def, tx)).form;
  });
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

/** The draft or submitted values of a unit for a period (empty when nothing was saved); 403 outside the viewer's scope. */
export async function getSubmission(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string): Promise<SubmissionView> {
  if (!canFill(viewer)) throw Forbidden();
  await assertUnitAccess(viewer, orgUnitId);
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
export async function getPreviousValues(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string): Promise<FormValues | null> {
  if (!canFill(viewer)) throw Forbidden();
  await assertUnitAccess(viewer, orgUnitId);
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
  /** Files checked and stored by this same call: recorded as uploads in the save's transaction. */
  uploads?: Array<{ value: FileValue; field: string }>;
}

function canFill(viewer: Viewer | null): boolean {
  return !viewer || hasRole(viewer, 'officer', 'designer', 'admin');
}

/** Saves a unit's values as a draft or submits them; computed cells are recomputed on the server. */
export async function saveSubmission(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string, input: FormValues, opts: SaveOptions = {}): Promise<{ submission: SubmissionView; evaluation: Evaluation }> {
  if (!canFill(viewer)) throw Forbidden();
  await assertUnitAccess(viewer, orgUnitId);
  if (form.status !== 'published') throw Conflict('forms.entry.notPublished');
  const locale = opts.locale ?? 'vi';
  const { plan } = await resolveForm(form, { viewer, orgCode: opts.orgCode ?? viewer?.orgCode });
  assertKnownKeys(plan, input);
  input = await ownFileValues(viewer, form, orgUnitId, input, opts.uploads ?? []);
  const prev = opts.prev !== undefined ? opts.prev : await getPreviousValues(viewer, form, orgUnitId, period);
  const evaluation = evaluateForm(plan, prepareInput(plan, input), prev);
  // Explanations are kept for the form's own rules only.
  const ruleIds = new Set((form.definition.rules ?? []).map((r) => r.id));
  const explanations = Object.fromEntries(Object.entries(opts.explanations ?? {}).filter(([k, v]) => ruleIds.has(k) && typeof v === 'string' && v.trim()).map(([k, v]) => [k, (v as string).trim().normalize('NFC')]));
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
    for (const u of opts.uploads ?? []) {
      await FormUpload.create({ sha256: u.value.sha256, orgUnitId, userId: viewer?.userId ?? null, formKey: form.key, field: u.field, name: u.value.name, size: u.value.size, type: u.value.type }, { transaction: tx });
    }
    const files = (opts.uploads ?? []).map((u) => ({ field: u.field, sha256: u.value.sha256, name: u.value.name, size: u.value.size }));
    await appendAudit(actorOf(viewer), { action: opts.submit ? 'form.submit' : 'form.saveDraft', targetType: 'formSubmission', targetId: row.id, detail: { form: `${form.key}@${form.version}`, orgUnitId, period, ...(files.length ? { files } : {}) } }, tx);
    return { submission: { id: row.id, status: row.status, values: evaluation.values, explanations, issues: evaluation.issues, updatedAt: row.updatedAt }, evaluation };
  });
}

/**
 * File values as stored: each must name an upload of the same unit (or the same user) made through
 * the upload routes, and its name, size and type are taken from that upload, never from the caller
 * (422 otherwise). Uploads of this very call count as made.
 */
async function ownFileValues(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, input: FormValues, fresh: Array<{ value: FileValue; field: string }>): Promise<FormValues> {
  const out = emptyValues();
  for (const [k, v] of Object.entries(input ?? {})) out[k] = v;
  for (const f of fieldsOf(form.definition)) {
    if (f.type !== 'file' || !Object.hasOwn(out, f.id)) continue;
    const v = out[f.id];
    if (!isFileValue(v)) continue;
    const made = fresh.find((u) => u.field === f.id && u.value.sha256 === v.sha256);
    if (made) {
      out[f.id] = { ...made.value };
      continue;
    }
    const owners = [{ orgUnitId }, ...(viewer ? [{ userId: viewer.userId }] : [])];
    const rows = await FormUpload.findAll({ where: { sha256: v.sha256, [Op.or]: owners }, order: [['id', 'DESC']] });
    const up = rows.find((r) => r.name === v.name) ?? rows[0];
    if (!up || !hasUpload(up.sha256)) throw Invalid('forms.file.unknown', { where: f.label, name: String(v.name).slice(0, 255) });
    out[f.id] = { sha256: up.sha256, name: up.name, size: up.size, type: servedType(up.type) };
  }
  return out;
}

/** The stored file of a file field in a unit's submission, with the type to serve it as; 404 when there is none. */
export async function getSubmissionFile(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string, field: string): Promise<{ value: FileValue; bytes: Buffer; type: string; isInline: boolean }> {
  const sub = await getSubmission(viewer, form, orgUnitId, period);
  const def = fieldsOf(form.definition).find((f) => f.id === field && f.type === 'file');
  const v = def && Object.hasOwn(sub.values, field) ? sub.values[field] : null;
  if (!isFileValue(v)) throw NotFound('forms.file.notFound');
  const bytes = await readUpload(v.sha256);
  const type = servedType(v.type);
  return { value: v, bytes, type, isInline: isInlineType(type) };
}

/**
 * Saves values with uploaded files: every file is checked against its field first (a wrong type is a
 * 400, a file too large a 413, and then nothing is stored or saved), then stored by content, then the
 * values are saved with `{ sha256, name, size, type }` in each file field. File fields without a new
 * upload keep the file already saved.
 */
export async function saveSubmissionWithFiles(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string, input: FormValues, uploads: Record<string, Upload>, opts: SaveOptions = {}) {
  if (!canFill(viewer)) throw Forbidden();
  await assertUnitAccess(viewer, orgUnitId);
  const fileFields = fieldsOf(form.definition).filter((f) => f.type === 'file' && !f.formula);
  const checked: Array<{ value: FileValue; data: Buffer; field: string }> = [];
  for (const [id, up] of Object.entries(uploads)) {
    const field = fileFields.find((f) => f.id === id);
    if (!field) throw Invalid('forms.file.noField', { name: id });
    checked.push({ value: checkUpload(field, up), data: up.data, field: id });
  }
  const values = emptyValues();
  for (const [k, v] of Object.entries(input ?? {})) if (isSafeSegment(k)) values[k] = v;
  const existing = await getSubmission(viewer, form, orgUnitId, period);
  for (const f of fileFields) if (!Object.hasOwn(values, f.id) && isFileValue(existing.values[f.id])) values[f.id] = existing.values[f.id];
  await storeUploads(checked);
  for (const c of checked) values[c.field] = c.value;
  return saveSubmission(viewer, form, orgUnitId, period, values, { ...opts, uploads: checked.map((c) => ({ value: c.value, field: c.field })) });
}

/** Reads a filled Excel template and saves its values as a draft; any problem rejects the whole file. */
export async function uploadSubmission(viewer: Viewer | null, form: FormVersionView, orgUnitId: number, period: string, file: Buffer, locale: Locale = 'vi') {
  if (!canFill(viewer)) throw Forbidden();
  await assertUnitAccess(viewer, orgUnitId);
  // Limits are checked on the zip before it is inflated (streaming, so the event loop is free), and the
  // workbook is read off the event loop.
  await assertWorkbookWithinLimits(file);
  const values = await readXlsxOffThread(await resolveDefinition(form, { viewer, orgCode: viewer?.orgCode }), form.version, file, locale);
  return saveSubmission(viewer, form, orgUnitId, period, values, { locale });
}

/** Throws 400 naming the keys of submitted values that are not fields or cells of the form. */
export function assertKnownKeys(plan: Plan, input: FormValues): void {
  const unknown = unknownValueKeys(plan, input);
  if (unknown.length) throw BadRequest('forms.entry.unknownField', { name: unknown.slice(0, 10).join(', ') }, unknown.map((name) => ({ path: name })));
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

/** Numbers sent as Vietnamese text by HTML forms become numbers; empty strings become missing. Own, safe keys only. */
function normalizeInput(input: FormValues): FormValues {
  const out = emptyValues();
  for (const [k, v] of Object.entries(input ?? {})) {
    if (!isSafeSegment(k)) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = normalizeInput(v as FormValues);
    else out[k] = v === '' ? null : typeof v === 'string' ? v.normalize('NFC') : v;
  }
  return out;
}

// The citizen's side of dossiers: starting a dossier for a procedure, filling its form, attaching a file per
// required document (or reusing one from the once-only store), saving drafts, submitting (code, due date and
// notification in one transaction), the dossier list, the document store and the receipt. docs/dossiers.md.
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { CitizenDocument, Dossier, DossierFile } from './models.ts';
import { addEvent, receiveDossier } from './core.ts';
import { assertCanSee, isOwner } from './access.ts';
import { getProcedure } from '../catalog/service.ts';
import type { Procedure } from '../catalog/models.ts';
import { fold, splitLevels } from '../catalog/parse.ts';
import { getPublished, prepareInput, assertKnownKeys, describeIssues } from '../forms/service.ts';
import { compile, evaluateForm, type Issue, type Plan } from '../forms/engine.ts';
import type { FieldDef, FormDefinition, FormValues } from '../forms/definition.ts';
import { checkUpload, hasUpload, readUpload, servedType, isInlineType, storeUploads, type FileValue, type Upload } from '../forms/files.ts';
import { getOrgByCode, listOrgsOfLevels } from '../orgs/service.ts';
import type { OrgUnit } from '../orgs/models.ts';
import { findUser } from '../auth/service.ts';
import { notifyRecipient } from '../notify/service.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import { hasRole, type Viewer } from '../access/index.ts';
import { inTransaction } from '../store/index.ts';
import { getConfig } from '../config.ts';
import { AppError, Conflict, Forbidden, Invalid, NotFound } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';

/** File types a dossier's attachments may have (scans and photos of papers). */
export const DOSSIER_ACCEPT = ['pdf', 'jpg', 'jpeg', 'png'];
/** Largest attachment: 10 MB (the shipped forms' limit for the same papers). */
export const DOSSIER_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** One document a procedure asks for (a line of the catalog's `documents`). */
export interface DocumentSlot {
  /** Stable id from the document's name: the type the once-only store files it under. */
  id: string;
  name: string;
  /** The declaration itself (`Tờ khai … theo mẫu`, `Giấy đề nghị …`): the online form takes its place. */
  isForm: boolean;
  /** Shown at the counter (`(xuất trình)`): an upload is welcome but not needed. */
  isPresented: boolean;
  /** Needed only in some cases (`(khi …)`, `(nếu có)`). */
  isConditional: boolean;
  /** Whether a dossier cannot be submitted without it. */
  isRequired: boolean;
}

/** The document type of a document's name: folded to ASCII words joined by `-`, at most 64 characters. */
export function docTypeOf(name: string): string {
  const slug = fold(name.replace(/\(.*?\)/g, ' ')).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return (slug.slice(0, 64).replace(/-+$/, '')) || 'giay-to';
}

/** The document slots of a procedure's `documents` text (` | ` separated). */
export function documentSlots(documents: string | null | undefined): DocumentSlot[] {
  const seen = new Set<string>();
  const out: DocumentSlot[] = [];
  for (const raw of (documents ?? '').split(' | ')) {
    const name = raw.trim().normalize('NFC');
    if (!name) continue;
    let id = docTypeOf(name);
    for (let i = 2; seen.has(id); i++) id = `${docTypeOf(name).slice(0, 60)}-${i}`;
    seen.add(id);
    const f = fold(name);
    const isForm = /^(to khai|giay de nghi|don de nghi|don dang ky)/.test(f);
    const isPresented = /\(xuat trinh\)/.test(f);
    const isConditional = /\((khi|neu|truong hop)\b/.test(f) || /neu co\)?$/.test(f);
    out.push({ id, name, isForm, isPresented, isConditional, isRequired: !isForm && !isPresented && !isConditional });
  }
  return out;
}

/** The field a slot's uploads are checked against (type and size limits). */
function slotField(slot: DocumentSlot): FieldDef {
  return { id: slot.id, label: slot.name, type: 'file', accept: DOSSIER_ACCEPT, maxBytes: DOSSIER_MAX_FILE_BYTES } as FieldDef;
}

/** The form without its file fields: a dossier's papers go in the procedure's document slots instead. */
function withoutFileFields(def: FormDefinition): FormDefinition {
  return { ...def, sections: def.sections.map((s) => ({ ...s, fields: (s.fields ?? []).filter((f) => f.type !== 'file') })) };
}

const plans = new Map<string, { stamp: number; definition: FormDefinition; plan: Plan }>();

/** A dossier's form (a published version of the procedure's form key) without file fields, and its plan. */
export async function dossierForm(formKey: string, version?: number): Promise<{ key: string; version: number; definition: FormDefinition; plan: Plan }> {
  const form = await getPublished(formKey, version).catch((err) => {
    if (err instanceof AppError && err.status === 404) throw Invalid('dossiers.citizen.noForm', { key: formKey });
    throw err;
  });
  const cacheKey = `${form.key}@${form.version}`;
  const hit = plans.get(cacheKey);
  if (hit && hit.stamp === form.updatedAt.getTime()) return { key: form.key, version: form.version, definition: hit.definition, plan: hit.plan };
  const definition = withoutFileFields(form.definition);
  const plan = compile(definition);
  plans.set(cacheKey, { stamp: form.updatedAt.getTime(), definition, plan });
  return { key: form.key, version: form.version, definition, plan };
}

/** A procedure a dossier can be filed for online: known, with a form key and an online level (422 otherwise). */
export async function onlineProcedure(code: string): Promise<Procedure> {
  const { procedure } = await getProcedure(code).catch((err) => {
    if (err instanceof AppError && err.status === 404) throw Invalid('dossiers.citizen.unknownProcedure', { code: String(code).slice(0, 40) });
    throw err;
  });
  if (!procedure.formKey || !procedure.onlineLevel) throw Invalid('dossiers.citizen.notOnline', { code: procedure.code, name: procedure.name });
  return procedure;
}

/** The org levels whose units may receive a procedure's dossiers (ministry-level ones go to the ministry). */
function unitLevels(procedure: Procedure): { levels: string[]; ministryCode: string | null } {
  const levels: string[] = [];
  let ministryCode: string | null = null;
  for (const l of splitLevels(procedure.level).map(fold)) {
    if (l.includes('xa')) levels.push('commune');
    else if (l.includes('huyen')) levels.push('district');
    else if (l.includes('tinh')) levels.push('province');
    else if (l.includes('bo') || l.includes('trung uong')) ministryCode = procedure.ministryCode;
  }
  return { levels: [...new Set(levels)], ministryCode };
}

/** A unit as the unit picker shows it. */
export interface UnitChoice {
  code: string;
  name: string;
  level: string;
  parentName: string | null;
}

/**
 * The units a citizen may send a procedure's dossier to whose name (or code) matches the query, with or
 * without diacritics; at most `limit`. The ministry itself for a ministry-level procedure.
 */
export async function receivingUnits(procedure: Procedure, q = '', limit = 30): Promise<{ units: UnitChoice[]; total: number }> {
  const { levels, ministryCode } = unitLevels(procedure);
  const out: UnitChoice[] = [];
  if (ministryCode) {
    const m = await getOrgByCode(ministryCode).catch(() => null);
    if (m) out.push({ code: m.code, name: m.name, level: m.level, parentName: null });
  }
  const rows = await listOrgsOfLevels(levels);
  const byId = new Map(rows.map((r) => [r.id, r] as const));
  const parents = new Map<number, string>();
  const provinces = await listOrgsOfLevels(['province']);
  for (const p of provinces) parents.set(p.id, p.name);
  const words = fold(q.trim()).split(/\s+/).filter(Boolean);
  const matches = rows.filter((r) => {
    if (!words.length) return true;
    const hay = `${fold(r.name)} ${r.code} ${fold(r.parentId ? (parents.get(r.parentId) ?? byId.get(r.parentId)?.name ?? '') : '')}`;
    return words.every((w) => hay.includes(w));
  });
  for (const r of matches.slice(0, limit)) out.push({ code: r.code, name: r.name, level: r.level, parentName: r.parentId ? (parents.get(r.parentId) ?? byId.get(r.parentId)?.name ?? null) : null });
  return { units: out, total: matches.length + (ministryCode ? 1 : 0) };
}

/** The receiving unit a citizen picked, checked against the procedure's levels (422 when it cannot receive it). */
async function receivingUnit(procedure: Procedure, orgCode: string | null | undefined): Promise<OrgUnit> {
  const { levels, ministryCode } = unitLevels(procedure);
  const code = orgCode || (!levels.length ? ministryCode : null);
  if (!code) throw Invalid('dossiers.citizen.unitRequired');
  const org = await getOrgByCode(String(code)).catch(() => null);
  const isAllowed = !!org && (levels.includes(org.level) || (!!ministryCode && org.code === ministryCode));
  if (!org || !isAllowed) throw Invalid('dossiers.citizen.badUnit', { code: String(code).slice(0, 40) });
  return org;
}

/** Whether an error is a conflict worth another try (a deadlock on MariaDB, a busy SQLite, a row another transaction just made). */
function isRetryable(err: unknown): boolean {
  if (err instanceof UniqueConstraintError) return true;
  const e = err as { parent?: { code?: string; errno?: number }; original?: { code?: string } };
  const code = e?.parent?.code ?? e?.original?.code ?? '';
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY';
}

/** Runs a transaction again (a few times, after a short random pause) when it lost a race. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 8 || !isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 60 * (attempt + 1)));
    }
  }
}

/**
 * Receiving transactions one process runs at once. Each also reads on a second pooled connection while it holds
 * its own (the calendar for the due date, the citizen's channels): unbounded, a burst of submissions takes every
 * connection of the pool and each waits for another that never frees.
 */
const MAX_RECEIVING = 4;
let receivingNow = 0;
const receivingQueue: Array<() => void> = [];

/** Runs fn when fewer than MAX_RECEIVING receiving transactions are open in this process. */
async function receiving<T>(fn: () => Promise<T>): Promise<T> {
  // A finishing transaction hands its slot straight to the next in line.
  if (receivingNow >= MAX_RECEIVING) await new Promise<void>((resolve) => receivingQueue.push(resolve));
  else receivingNow++;
  try {
    return await fn();
  } finally {
    const next = receivingQueue.shift();
    if (next) next();
    else receivingNow--;
  }
}

/** Only a citizen (or business) account files dossiers for itself. */
function assertApplicant(viewer: Viewer): void {
  if (!hasRole(viewer, 'citizen')) throw Forbidden('dossiers.citizen.applicantsOnly');
}

/** The viewer's own dossier, or 404 (another person's dossier is not admitted to exist). */
async function ownDossier(viewer: Viewer, id: number, t?: Transaction): Promise<Dossier> {
  const d = Number.isSafeInteger(id) ? await Dossier.findByPk(id, { transaction: t, ...(t ? { lock: t.LOCK.UPDATE } : {}) }) : null;
  if (!d || !isOwner(viewer, d)) throw NotFound('dossiers.citizen.notFound');
  return d;
}

function valuesOf(d: Dossier): FormValues {
  try {
    const v = JSON.parse(d.valuesJson) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as FormValues) : {};
  } catch {
    return {};
  }
}

/** Checks values against the form: 400 naming unknown keys; the evaluation (values and issues) otherwise. */
function evaluate(plan: Plan, values: FormValues | undefined | null): { values: FormValues; issues: Issue[] } {
  const input = values && typeof values === 'object' && !Array.isArray(values) ? values : {};
  assertKnownKeys(plan, input);
  const ev = evaluateForm(plan, prepareInput(plan, input));
  return { values: ev.values, issues: ev.issues };
}

/** What a new dossier needs. */
export interface NewDossierInput {
  procedure: string;
  orgCode?: string | null;
  values?: FormValues;
}

/** Starts a draft dossier for the viewer: the procedure must be online, the unit one that receives it. */
export async function createDraft(viewer: Viewer, input: NewDossierInput): Promise<Dossier> {
  assertApplicant(viewer);
  const procedure = await onlineProcedure(input.procedure);
  const org = await receivingUnit(procedure, input.orgCode);
  const form = await dossierForm(procedure.formKey!);
  const { values } = evaluate(form.plan, input.values ?? {});
  const user = await findUser({ userId: viewer.userId });
  return inTransaction(async (t) => {
    const d = await Dossier.create({
      code: null, procedureCode: procedure.code, procedureName: procedure.name, formKey: form.key, formVersion: form.version,
      ownerUserId: viewer.userId, applicantName: viewer.fullName, applicantPhone: user?.phone ?? null, applicantEmail: user?.email ?? null,
      orgUnitId: org.id, orgCode: org.code, orgPath: org.path, electronicId: null, channel: 'online', status: 'draft', stage: null,
      valuesJson: JSON.stringify(values), limitDays: procedure.processingUnit === 'workday' ? procedure.processingAmount : null,
    }, { transaction: t });
    await addEvent(d.id, 'created', { actor: viewer.username, actorName: viewer.fullName, orgCode: org.code, data: { procedure: procedure.code } }, t);
    return d;
  });
}

/** What saving a draft changes: the form's values, new files per slot, documents reused from the store, files removed. */
export interface SaveDraftInput {
  values?: FormValues;
  /** A new file for a slot (replaces the slot's file). */
  files?: Record<string, Upload>;
  /** A document of the viewer's store for a slot (replaces the slot's file). */
  reuse?: Record<string, number>;
  /** Ids of the dossier's files to take off. */
  remove?: number[];
}

/** Checked uploads of a save, before anything is written (400 wrong type, 413 too large, 400 unknown slot). */
export function checkSlotUploads(slots: DocumentSlot[], files: Record<string, Upload> | undefined): Array<{ slot: DocumentSlot; value: FileValue; data: Buffer }> {
  const out: Array<{ slot: DocumentSlot; value: FileValue; data: Buffer }> = [];
  for (const [slotId, up] of Object.entries(files ?? {})) {
    const slot = slots.find((s) => s.id === slotId && !s.isForm);
    if (!slot) throw Invalid('dossiers.citizen.unknownSlot', { name: slotId.slice(0, 64) });
    out.push({ slot, value: checkUpload(slotField(slot), up), data: up.data });
  }
  return out;
}

/** Attaches checked, stored uploads to a dossier and files each in the owner's store (in the caller's transaction). */
export async function attachUploads(dossier: Dossier, userId: number | null, checked: Array<{ slot: DocumentSlot; value: FileValue }>, addedBy: string, t: Transaction): Promise<DossierFile[]> {
  const out: DossierFile[] = [];
  for (const c of checked) {
    let doc: CitizenDocument | null = null;
    if (userId !== null) {
      doc = await CitizenDocument.findOne({ where: { userId, docType: c.slot.id, sha256: c.value.sha256 }, transaction: t });
      doc ??= await CitizenDocument.create({ userId, docType: c.slot.id, name: c.value.name, mime: c.value.type, size: c.value.size, sha256: c.value.sha256, source: 'upload', dossierId: dossier.id }, { transaction: t });
    }
    await DossierFile.destroy({ where: { dossierId: dossier.id, docType: c.slot.id, kind: 'attachment' }, transaction: t });
    out.push(await DossierFile.create({ dossierId: dossier.id, docType: c.slot.id, name: c.value.name, mime: c.value.type, size: c.value.size, sha256: c.value.sha256, documentId: doc?.id ?? null, kind: 'attachment', addedBy }, { transaction: t }));
  }
  return out;
}

/** Saves a draft: values (unknown keys 400), files checked before anything is written, reuse of own documents only. */
export async function saveDraft(viewer: Viewer, id: number, input: SaveDraftInput): Promise<Dossier> {
  assertApplicant(viewer);
  const d = await ownDossier(viewer, id);
  if (d.status !== 'draft') throw Conflict('dossiers.citizen.notDraft', { code: d.code ?? '' });
  const { procedure } = await getProcedure(d.procedureCode);
  const slots = documentSlots(procedure.documents);
  const form = await dossierForm(d.formKey, d.formVersion);
  const values = input.values !== undefined ? evaluate(form.plan, input.values).values : valuesOf(d);
  const checked = checkSlotUploads(slots, input.files);
  const reused: Array<{ slot: DocumentSlot; doc: CitizenDocument }> = [];
  for (const [slotId, docId] of Object.entries(input.reuse ?? {})) {
    const slot = slots.find((s) => s.id === slotId && !s.isForm);
    if (!slot) throw Invalid('dossiers.citizen.unknownSlot', { name: slotId.slice(0, 64) });
    if (checked.some((c) => c.slot.id === slotId)) continue;
    const doc = Number.isSafeInteger(docId) ? await CitizenDocument.findOne({ where: { id: docId, userId: viewer.userId } }) : null;
    if (!doc || !hasUpload(doc.sha256)) throw Invalid('dossiers.citizen.unknownDocument', { name: slot.name });
    reused.push({ slot, doc });
  }
  await storeUploads(checked);
  // Two saves of the same file by one citizen race for one store row: the loser tries again and finds it.
  return withRetry(() => inTransaction(async (t) => {
    const row = await ownDossier(viewer, id, t);
    if (row.status !== 'draft') throw Conflict('dossiers.citizen.notDraft', { code: row.code ?? '' });
    await row.update({ valuesJson: JSON.stringify(values), version: row.version + 1 }, { transaction: t });
    const remove = (input.remove ?? []).filter((n) => Number.isSafeInteger(n));
    if (remove.length) await DossierFile.destroy({ where: { id: { [Op.in]: remove }, dossierId: row.id, kind: 'attachment' }, transaction: t });
    await attachUploads(row, viewer.userId, checked, viewer.username, t);
    for (const r of reused) {
      await DossierFile.destroy({ where: { dossierId: row.id, docType: r.slot.id, kind: 'attachment' }, transaction: t });
      await DossierFile.create({ dossierId: row.id, docType: r.slot.id, name: r.doc.name, mime: r.doc.mime, size: r.doc.size, sha256: r.doc.sha256, documentId: r.doc.id, kind: 'attachment', addedBy: viewer.username }, { transaction: t });
    }
    return row;
  }));
}

/** What keeps a draft from being submitted: the form's errors and the required documents without a file. */
export async function submissionProblems(d: Dossier, locale: Locale = 'vi'): Promise<Array<{ code: string; target?: string; message?: string; params?: Record<string, unknown> }>> {
  const { procedure } = await getProcedure(d.procedureCode);
  const form = await dossierForm(d.formKey, d.formVersion);
  const ev = evaluateForm(form.plan, prepareInput(form.plan, valuesOf(d)));
  const errors = describeIssues(locale, ev.issues.filter((i) => i.severity === 'error'));
  const files = await DossierFile.findAll({ where: { dossierId: d.id, kind: 'attachment' } });
  const missing = documentSlots(procedure.documents).filter((s) => s.isRequired && !files.some((f) => f.docType === s.id));
  return [
    ...errors.map((e) => ({ code: e.code, target: e.target, message: e.message, params: e.params })),
    ...missing.map((s) => ({ code: 'dossiers.citizen.missingDocument', target: `doc-${s.id}`, params: { name: s.name } })),
  ];
}


/**
 * Submits a draft: 422 listing every problem (form errors, required documents missing); otherwise, in one
 * transaction, the dossier is received (code, due date, history, the job that starts its handling) and the
 * citizen is notified on the channels they chose.
 */
export async function submitDossier(viewer: Viewer, id: number, opts: { at?: Date; locale?: Locale } = {}): Promise<{ id: number; code: string; due: Date | null }> {
  assertApplicant(viewer);
  const d = await ownDossier(viewer, id);
  if (d.status !== 'draft') throw Conflict('dossiers.citizen.notDraft', { code: d.code ?? '' });
  const problems = await submissionProblems(d, opts.locale ?? viewer.locale);
  if (problems.length) throw Invalid('dossiers.citizen.cannotSubmit', { count: problems.length }, problems);
  const { procedure } = await getProcedure(d.procedureCode);
  const user = await findUser({ userId: viewer.userId });
  const org = await getOrgByCode(d.orgCode).catch(() => null);
  return withRetry(() => receiving(() => inTransaction(async (t) => {
        const row = await ownDossier(viewer, id, t);
        if (row.status !== 'draft') throw Conflict('dossiers.citizen.notDraft', { code: row.code ?? '' });
        await receiveDossier(row, {
          at: opts.at, channel: 'online', actor: viewer.username, actorName: viewer.fullName,
          limit: { amount: procedure.processingAmount, unit: procedure.processingUnit }, processKey: procedure.processKey,
        }, t);
        if (user) {
          await notifyRecipient({ userId: user.id, fullName: user.fullName, email: user.email, phone: user.phone, locale: user.locale === 'en' ? 'en' : 'vi' }, 'dossier-received', {
            dossierCode: row.code, procedureName: row.procedureName, agencyName: org?.name ?? row.orgCode, dueAt: row.dueAt, link: `${getConfig().baseUrl}/dossiers/${row.id}`,
          }, { transaction: t, reference: `dossier:${row.id}`, senderOrgCode: row.orgCode });
        }
        await appendAudit(actorOf(viewer), { action: 'dossier.submit', targetType: 'dossier', targetId: row.id, detail: { code: row.code, procedure: row.procedureCode, orgCode: row.orgCode } }, t);
        return { id: row.id, code: row.code!, due: row.dueAt };
  })));
}

/** Creates and submits a dossier in one call (the API's `submit: true`); nothing is kept when it cannot be submitted. */
export async function createAndSubmit(viewer: Viewer, input: NewDossierInput & { files?: Record<string, Upload>; reuse?: Record<string, number> }, opts: { locale?: Locale } = {}): Promise<{ id: number; code: string; due: Date | null }> {
  assertApplicant(viewer);
  const procedure = await onlineProcedure(input.procedure);
  await receivingUnit(procedure, input.orgCode);
  const form = await dossierForm(procedure.formKey!);
  const ev = evaluate(form.plan, input.values ?? {});
  const slots = documentSlots(procedure.documents);
  const checked = checkSlotUploads(slots, input.files);
  const reuse = input.reuse ?? {};
  const errors = describeIssues(opts.locale ?? viewer.locale, ev.issues.filter((i) => i.severity === 'error'));
  const reusedOk = new Set<string>();
  for (const [slotId, docId] of Object.entries(reuse)) {
    const doc = Number.isSafeInteger(docId) ? await CitizenDocument.findOne({ where: { id: docId, userId: viewer.userId } }) : null;
    if (doc && hasUpload(doc.sha256)) reusedOk.add(slotId);
  }
  const missing = slots.filter((s) => s.isRequired && !checked.some((c) => c.slot.id === s.id) && !reusedOk.has(s.id));
  const problems = [
    ...errors.map((e) => ({ code: e.code, target: e.target, message: e.message, params: e.params })),
    ...missing.map((s) => ({ code: 'dossiers.citizen.missingDocument', target: `doc-${s.id}`, params: { name: s.name } })),
  ];
  if (problems.length) throw Invalid('dossiers.citizen.cannotSubmit', { count: problems.length }, problems);
  const d = await createDraft(viewer, input);
  try {
    if (checked.length || Object.keys(reuse).length) await saveDraft(viewer, d.id, { files: input.files, reuse });
    return await submitDossier(viewer, d.id, opts);
  } catch (err) {
    // Keep no half-filed draft behind a failed one-call submission.
    await inTransaction(async (t) => {
      await DossierFile.destroy({ where: { dossierId: d.id }, transaction: t });
      await Dossier.destroy({ where: { id: d.id, status: 'draft' }, transaction: t });
    }).catch(() => {});
    throw err;
  }
}

/** A dossier with what its pages show. */
export interface OwnDossier {
  dossier: Dossier;
  procedure: Procedure;
  slots: DocumentSlot[];
  files: DossierFile[];
  values: FormValues;
  form: { key: string; version: number; definition: FormDefinition; plan: Plan };
}

/** The viewer's own dossier with its files and form (404 for anyone else's). */
export async function getOwnDossier(viewer: Viewer, id: number): Promise<OwnDossier> {
  const dossier = await ownDossier(viewer, id);
  const { procedure } = await getProcedure(dossier.procedureCode);
  const files = await DossierFile.findAll({ where: { dossierId: dossier.id }, order: [['id', 'ASC']] });
  const form = await dossierForm(dossier.formKey, dossier.formVersion);
  return { dossier, procedure, slots: documentSlots(procedure.documents), files, values: valuesOf(dossier), form };
}

/** The viewer's dossiers, the most recently changed first. */
export async function listOwnDossiers(viewer: Viewer, limit = 200): Promise<Dossier[]> {
  return Dossier.findAll({ where: { ownerUserId: viewer.userId }, order: [['updatedAt', 'DESC'], ['id', 'DESC']], limit });
}

/** The viewer's once-only store: every document they gave or received, newest first. */
export async function listDocuments(viewer: Viewer): Promise<CitizenDocument[]> {
  return CitizenDocument.findAll({ where: { userId: viewer.userId }, order: [['createdAt', 'DESC'], ['id', 'DESC']] });
}

/** The viewer's stored documents offered for each slot (same document type, bytes still stored). */
export async function offeredDocuments(viewer: Viewer, slots: DocumentSlot[]): Promise<Map<string, CitizenDocument[]>> {
  const types = slots.filter((s) => !s.isForm).map((s) => s.id);
  const out = new Map<string, CitizenDocument[]>();
  if (!types.length) return out;
  const docs = await CitizenDocument.findAll({ where: { userId: viewer.userId, docType: { [Op.in]: types } }, order: [['createdAt', 'DESC'], ['id', 'DESC']] });
  for (const d of docs) {
    if (!hasUpload(d.sha256)) continue;
    const list = out.get(d.docType) ?? [];
    if (!list.some((x) => x.sha256 === d.sha256)) list.push(d);
    out.set(d.docType, list);
  }
  return out;
}

/** A file of a dossier, for its owner and staff over its unit (404 otherwise). */
export async function getDossierFile(viewer: Viewer, dossierId: number, fileId: number): Promise<{ file: DossierFile; bytes: Buffer; type: string; isInline: boolean }> {
  const d = Number.isSafeInteger(dossierId) ? await Dossier.findByPk(dossierId) : null;
  assertCanSee(viewer, d);
  const file = Number.isSafeInteger(fileId) ? await DossierFile.findOne({ where: { id: fileId, dossierId: d.id } }) : null;
  if (!file) throw NotFound('dossiers.citizen.fileNotFound');
  // Officers' working files stay with the officers.
  if (file.kind === 'internal' && isOwner(viewer, d)) throw NotFound('dossiers.citizen.fileNotFound');
  const bytes = await readUpload(file.sha256);
  const type = servedType(file.mime);
  return { file, bytes, type, isInline: isInlineType(type) };
}

/** A dossier anyone who may see it can read (owner, staff in scope), or 404. */
export async function getVisibleDossier(viewer: Viewer, id: number): Promise<Dossier> {
  const d = Number.isSafeInteger(id) ? await Dossier.findByPk(id) : null;
  assertCanSee(viewer, d);
  return d;
}

/** Creates a draft with files and reused documents; every file is checked before anything is written. */
export async function createDraftWithFiles(viewer: Viewer, input: NewDossierInput & { files?: Record<string, Upload>; reuse?: Record<string, number> }): Promise<Dossier> {
  assertApplicant(viewer);
  const procedure = await onlineProcedure(input.procedure);
  checkSlotUploads(documentSlots(procedure.documents), input.files);
  const d = await createDraft(viewer, input);
  if (!Object.keys(input.files ?? {}).length && !Object.keys(input.reuse ?? {}).length) return d;
  try {
    return await saveDraft(viewer, d.id, { files: input.files, reuse: input.reuse });
  } catch (err) {
    await inTransaction(async (t) => {
      await DossierFile.destroy({ where: { dossierId: d.id }, transaction: t });
      await Dossier.destroy({ where: { id: d.id, status: 'draft' }, transaction: t });
    }).catch(() => {});
    throw err;
  }
}

/** The files of several dossiers (not officers' working files), by dossier id. */
export async function filesOfDossiers(ids: number[]): Promise<Map<number, DossierFile[]>> {
  const out = new Map<number, DossierFile[]>();
  if (!ids.length) return out;
  for (const f of await DossierFile.findAll({ where: { dossierId: { [Op.in]: ids }, kind: { [Op.ne]: 'internal' } }, order: [['id', 'ASC']] })) {
    out.set(f.dossierId, [...(out.get(f.dossierId) ?? []), f]);
  }
  return out;
}

/** Names of units by code (the code itself when a unit is gone). */
export async function unitNames(codes: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of new Set(codes)) {
    const org = await getOrgByCode(c).catch(() => null);
    out.set(c, org?.name ?? c);
  }
  return out;
}

/** Names of the document types of stored documents, from the procedures of the dossiers they came with. */
export async function documentTypeNames(docs: CitizenDocument[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = [...new Set(docs.flatMap((d) => (d.dossierId ? [d.dossierId] : [])))];
  const dossiers = ids.length ? await Dossier.findAll({ where: { id: { [Op.in]: ids } }, attributes: ['id', 'procedureCode'] }) : [];
  for (const code of new Set(dossiers.map((d) => d.procedureCode))) {
    const p = await getProcedure(code).catch(() => null);
    for (const s of documentSlots(p?.procedure.documents)) if (!out.has(s.id)) out.set(s.id, s.name);
  }
  return out;
}

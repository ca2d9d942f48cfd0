// The officers' side of a dossier on `processes/dossier-handling.bpmn`: receive and check completeness,
// ask for more (the clock stops), handle and transfer, approve or refuse, issue the result, hand it back;
// the citizen's resubmission and withdrawal; counter registration; the inbox; overdue steps.
// Each action is one transaction (dossier row with a version check, step rows, history, notification and
// the durable job that completes the engine's task), then the engine is moved at once. docs/dossier-handling.md.
import PDFDocument from 'pdfkit';
import crypto from 'node:crypto';
import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { CitizenDocument, Dossier, DossierEvent, DossierFile, DossierStep, type DossierEventKind, type DossierStatus } from './models.ts';
import { addEvent, businessKeyOf, historyOf, payments, receiveDossier, startHandling } from './core.ts';
import { canSee, isOwner } from './access.ts';
import { moveDue, pausedWorkingDays, stepDue, stepLimit, TIMED_STEPS } from './handling-steps.ts';
import {
  cancelInstance, completeTaskAsSystem, correlateMessage, engineEvents, enqueueJob, openTasksOf, reassignTask, registerJobKind, registerServiceHandler,
} from '../engine/service.ts';
import type { EngineTask } from '../engine/models.ts';
import { canAccessOrg, hasRole, scopePaths, type Viewer } from '../access/index.ts';
import type { Role } from '../auth/models.ts';
import { findUser, loadViewerByUsername } from '../auth/service.ts';
import { getChannels, queueMessage, type Recipient } from '../notify/service.ts';
import { taskRecipients } from '../notify/recipients.ts';
import { getProcedure } from '../catalog/service.ts';
import type { Procedure } from '../catalog/models.ts';
import { getOrgByCode } from '../orgs/service.ts';
import { getPublished } from '../forms/service.ts';
import { checkUpload, storeUploads, type Upload } from '../forms/files.ts';
import type { FieldDef } from '../forms/definition.ts';
import { FONTS } from '../forms/pdf.ts';
import { prepareStamp, signPdf } from '../signing/service.ts';
import { drawSignatureBlock } from '../signing/pdf.ts';
import { inTransaction } from '../store/index.ts';
import { getConfig } from '../config.ts';
import { t as tr, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';
import { AppError, BadRequest, Conflict, NotFound } from '../errors.ts';
import { log } from '../log.ts';

/** The job that completes an engine task or delivers a message after the dossier's transaction (the safety net of the inline move). */
export const JOB_ADVANCE = 'dossiers.advance';
/** The job at a step's due time that escalates it when it is still open. */
export const JOB_STEP_OVERDUE = 'dossiers.stepOverdue';
/** Delay of the safety-net job: the inline move normally wins; the job only acts when it failed. */
const ADVANCE_SAFETY_MS = 60_000;

/** What an officer can do, by the current step. */
export const ACTIONS_BY_STAGE: Readonly<Record<string, readonly string[]>> = {
  receive: ['accept', 'supplement', 'refuse-receipt'],
  handle: ['transfer', 'submit'],
  approve: ['approve', 'refuse'],
  issue: ['issue'],
  return: ['return'],
};
/** Every officer action name (`POST /officer/dossiers/{id}/{action}`). */
export const OFFICER_ACTIONS = ['accept', 'supplement', 'refuse-receipt', 'transfer', 'submit', 'approve', 'refuse', 'issue', 'return'] as const;
export type OfficerAction = (typeof OFFICER_ACTIONS)[number];

/** Who works on each step (the BPMN's candidate groups say the same). */
const STEP_ROLES: Readonly<Record<string, Role[]>> = { receive: ['officer'], handle: ['officer'], approve: ['leader'], issue: ['officer'], return: ['officer'] };
/** Statuses before a decision, when the citizen may still withdraw. */
const WITHDRAWABLE: DossierStatus[] = ['submitted', 'supplement', 'processing'];
/** Statuses the inbox shows by default (still in the agency's hands). */
const OPEN_STATUSES: DossierStatus[] = ['submitted', 'supplement', 'processing', 'approved'];
/** Return methods. */
export const RETURN_METHODS = ['online', 'counter', 'post'] as const;
const MAX_REASON = 2000;

// ---------------------------------------------------------------------------------------------------------
// Loading and access

/** The unit now handling a dossier (a transfer to another unit moves it there), from its open step. */
async function handlerOrgOf(dossier: Dossier, t?: Transaction): Promise<string> {
  const open = await DossierStep.findOne({ where: { dossierId: dossier.id, endedAt: null }, order: [['id', 'DESC']], transaction: t });
  return open?.orgCode ?? dossier.orgCode;
}

/** Whether a staff viewer covers the dossier: its receiving unit, or the unit it was transferred to. */
async function staffCovers(viewer: Viewer, dossier: Dossier, roles?: readonly Role[]): Promise<boolean> {
  if (canAccessOrg(viewer, dossier.orgPath, roles)) return true;
  const handler = await handlerOrgOf(dossier);
  if (handler === dossier.orgCode) return false;
  const path = (await getOrgByCode(handler).catch(() => null))?.path;
  return !!path && canAccessOrg(viewer, path, roles);
}

/** A dossier an officer may see (not a draft); 404 otherwise, never leaking that it exists. */
export async function getHandledDossier(viewer: Viewer, id: number): Promise<Dossier> {
  const d = await Dossier.findByPk(id);
  if (!d || d.status === 'draft' || !(await staffCovers(viewer, d))) throw NotFound('errors.notFound');
  return d;
}

/** The open engine task of a dossier's current step, or 409 when the process is not there (yet). */
async function taskAt(d: Dossier, step: string): Promise<EngineTask> {
  const task = d.instanceId ? (await openTasksOf(d.instanceId)).find((x) => x.elementId === step) : undefined;
  if (!task) throw Conflict('dossiers.handling.notReady', { code: d.code ?? String(d.id) });
  return task;
}

function checkVersion(d: Dossier, version: number | undefined): void {
  if (version !== undefined && version !== d.version) throw Conflict('dossiers.handling.changed', { code: d.code ?? String(d.id) });
}

function text(value: unknown, max = MAX_REASON): string {
  return String(value ?? '').trim().normalize('NFC').slice(0, max);
}

function requireReason(value: unknown): string {
  const s = text(value);
  if (!s) throw BadRequest('dossiers.handling.reasonRequired');
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Notifications to the citizen

/** The citizen to tell, with the channels they chose (read before the transaction). */
interface CitizenAudience {
  recipient: Recipient | null;
  channels: Array<'email' | 'sms' | 'inapp'>;
  /** Counter dossiers of someone without an account: the contact details they gave. */
  email: string | null;
  phone: string | null;
  name: string;
  locale: Locale;
}

async function citizenOf(d: Dossier): Promise<CitizenAudience> {
  if (d.ownerUserId) {
    const u = await findUser({ userId: d.ownerUserId });
    if (u) {
      const locale: Locale = u.locale === 'en' ? 'en' : 'vi';
      return { recipient: { userId: u.id, fullName: u.fullName, email: u.email, phone: u.phone, locale }, channels: await getChannels(u.id) as CitizenAudience['channels'], email: u.email, phone: u.phone, name: u.fullName, locale };
    }
  }
  return { recipient: null, channels: [], email: d.applicantEmail, phone: d.applicantPhone, name: d.applicantName ?? '', locale: 'vi' };
}

/** Queues the status message to the citizen in the caller's transaction, on each channel they chose. */
async function tellCitizen(a: CitizenAudience, d: Dossier, event: string, data: Record<string, unknown>, t: Transaction): Promise<void> {
  const base = { recipientName: a.name, dossierCode: d.code, procedureName: d.procedureName, link: `${getConfig().baseUrl}/dossiers/${d.id}`, ...data };
  const common = { event, locale: a.locale, reference: `dossier:${d.id}`, senderOrgCode: d.orgCode, data: base };
  if (a.recipient) {
    for (const channel of a.channels) {
      const to = channel === 'email' ? a.recipient.email : channel === 'sms' ? a.recipient.phone : String(a.recipient.userId);
      if (to) await queueMessage({ ...common, channel, to, recipientUserId: a.recipient.userId }, { transaction: t });
    }
    return;
  }
  if (a.email) await queueMessage({ ...common, channel: 'email', to: a.email }, { transaction: t });
  if (a.phone) await queueMessage({ ...common, channel: 'sms', to: a.phone }, { transaction: t });
}

/** The status words of a dossier in the citizen's language, for messages. */
function statusWords(locale: Locale, status: string, stage: string | null): string {
  return tr(locale, `dossiers.handling.stage.${status === 'processing' || status === 'submitted' ? (stage ?? status) : status}`);
}

// ---------------------------------------------------------------------------------------------------------
// Steps

/** Closes the dossier's open step rows. */
async function closeSteps(dossierId: number, at: Date, t: Transaction): Promise<void> {
  await DossierStep.update({ endedAt: at }, { where: { dossierId, endedAt: null }, transaction: t });
}

/** What opening a step needs, computed before the transaction (the calendar reads). */
interface StepPlan {
  step: string;
  orgCode: string;
  officer: string | null;
  limitDays: number | null;
  startedAt: Date;
  dueAt: Date | null;
}

async function planStep(d: Dossier, step: string, orgCode: string, officer: string | null, at: Date, dossierDue: Date | null = d.dueAt): Promise<StepPlan> {
  const limitDays = stepLimit(step, d.limitDays);
  return { step, orgCode, officer, limitDays, startedAt: at, dueAt: await stepDue(at, limitDays, dossierDue) };
}

/** Opens a step row and queues its overdue check at its due time. */
async function openStep(dossierId: number, p: StepPlan, t: Transaction): Promise<DossierStep> {
  const row = await DossierStep.create({ dossierId, step: p.step, orgCode: p.orgCode, officer: p.officer, limitDays: p.limitDays, startedAt: p.startedAt, dueAt: p.dueAt }, { transaction: t });
  if (p.dueAt) await enqueueJob(JOB_STEP_OVERDUE, { stepId: row.id }, p.dueAt, { transaction: t });
  return row;
}

// ---------------------------------------------------------------------------------------------------------
// Moving the engine

/** What the engine is told after the dossier's transaction: complete a task, or deliver a message. */
type Advance = { taskId: number; variables: Record<string, unknown>; actor: string } | { message: string; businessKey: string; variables: Record<string, unknown> };

async function queueAdvance(a: Advance, t: Transaction): Promise<void> {
  await enqueueJob(JOB_ADVANCE, a, new Date(Date.now() + ADVANCE_SAFETY_MS), { transaction: t });
}

/** Moves the engine; a task already completed (by the safety-net job or a second click) is no failure. */
async function advance(a: Advance): Promise<void> {
  try {
    if ('taskId' in a) await completeTaskAsSystem(a.taskId, a.variables, a.actor);
    else await correlateMessage(a.message, a.businessKey, a.variables);
  } catch (err) {
    if (err instanceof AppError && (err.code === 'engine.taskAlreadyCompleted' || err.code === 'engine.taskNotActive' || err.code === 'engine.taskNotFound')) return;
    throw err;
  }
}

/** Moves the engine now; when that fails the queued job tries again later, so the error is only logged. */
async function advanceNow(a: Advance): Promise<void> {
  try {
    await advance(a);
  } catch (err) {
    log.warn('dossier engine move deferred to its job', { error: String((err as Error)?.message ?? err) });
  }
}

registerJobKind(JOB_ADVANCE, async (job) => {
  await advance(job.payload as Advance);
});

// ---------------------------------------------------------------------------------------------------------
// The process's own service task

/** `dossiers.prepare`: the fee due (from the catalog) and the handling unit, and the first step row. */
registerServiceHandler('dossiers.prepare', async (call) => {
  const id = Number(call.variables.dossierId);
  const d = await Dossier.findByPk(id);
  if (!d) return { feeDue: 0, handlerOrg: call.variables.orgCode ?? null };
  const fee = await feeDueOf(d);
  const startedAt = d.receivedAt ?? new Date();
  const plan = await planStep(d, 'receive', d.orgCode, null, startedAt);
  await inTransaction(async (t) => {
    // A retried try finds the step already there.
    if (await DossierStep.count({ where: { dossierId: id }, transaction: t })) return;
    await openStep(id, plan, t);
  });
  return { feeDue: Number(fee) || 0, handlerOrg: d.orgCode };
});

// ---------------------------------------------------------------------------------------------------------
// One action

interface ActionSpec {
  /** The step the dossier must be at. */
  from: string;
  version?: number;
  /** The engine variables the task completes with; null: the task stays open (a transfer to an officer). */
  variables: Record<string, unknown> | null;
  /** The next step, opened in the same transaction; null when the process ends or waits for nobody's limit. */
  next: { step: string; orgCode?: string; officer?: string | null } | null;
  /** Whether the open step rows end (false for a transfer to an officer, which re-opens the same step). */
  closeSteps?: boolean;
  patch: Partial<Pick<Dossier, 'status' | 'stage' | 'officer' | 'decision' | 'decisionReason' | 'decidedAt' | 'finishedAt' | 'returnMethod' | 'pausedAt'>>;
  event: { kind: DossierEventKind; reason?: string | null; toOfficer?: string | null; toOrgCode?: string | null; data?: Record<string, unknown> };
  notify?: { event: string; data?: Record<string, unknown> };
  /** When it happens (now; tests and imports of past handling pass their own). */
  at?: Date;
  /** Extra writes in the transaction (result files). */
  also?: (d: Dossier, t: Transaction) => Promise<void>;
}

async function runAction(viewer: Viewer, id: number, spec: ActionSpec): Promise<Dossier> {
  const pre = await getHandledDossier(viewer, id);
  if (pre.stage !== spec.from) throw Conflict('dossiers.handling.wrongStep', { code: pre.code ?? String(pre.id), step: pre.stage ?? '' });
  if (!(await staffCovers(viewer, pre, STEP_ROLES[spec.from] ?? ['officer']))) throw AppErrorForbidden();
  checkVersion(pre, spec.version);
  const task = await taskAt(pre, spec.from);
  const at = spec.at ?? new Date();
  const handler = await handlerOrgOf(pre);
  const plan = spec.next ? await planStep(pre, spec.next.step, spec.next.orgCode ?? handler, spec.next.officer ?? null, at) : null;
  const audience = spec.notify ? await citizenOf(pre) : null;
  const saved = await inTransaction(async (t) => {
    const d = await Dossier.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!d || d.version !== pre.version || d.stage !== spec.from) throw Conflict('dossiers.handling.changed', { code: pre.code ?? String(pre.id) });
    const stage = spec.patch.stage !== undefined ? spec.patch.stage : plan ? plan.step : d.stage;
    const [n] = await Dossier.update({ ...spec.patch, stage, version: d.version + 1 }, { where: { id, version: d.version }, transaction: t });
    if (n !== 1) throw Conflict('dossiers.handling.changed', { code: pre.code ?? String(pre.id) });
    if (spec.closeSteps !== false) await closeSteps(id, at, t);
    if (plan) await openStep(id, plan, t);
    await addEvent(id, spec.event.kind, {
      at, step: spec.from, actor: viewer.username, actorName: viewer.fullName, orgCode: handler, toOrgCode: spec.event.toOrgCode ?? null, toOfficer: spec.event.toOfficer ?? null,
      reason: spec.event.reason ?? null, data: spec.event.data ?? null,
    }, t);
    await d.reload({ transaction: t });
    await spec.also?.(d, t);
    if (audience && spec.notify) await tellCitizen(audience, d, spec.notify.event, { statusText: statusWords(audience.locale, d.status, d.stage), ...(spec.notify.data ?? {}) }, t);
    if (spec.variables) await queueAdvance({ taskId: task.id, variables: spec.variables, actor: viewer.username }, t);
    return d;
  });
  if (spec.variables) await advanceNow({ taskId: task.id, variables: spec.variables, actor: viewer.username });
  return saved;
}

function AppErrorForbidden(): AppError {
  return new AppError('dossiers.handling.notYourStep', 403);
}

// ---------------------------------------------------------------------------------------------------------
// The actions

/** The one-stop desk accepts a complete dossier: it goes to payment (a fee is due) or to the department. */
export async function acceptDossier(viewer: Viewer, id: number, input: { version?: number; note?: string } = {}): Promise<Dossier> {
  const pre = await getHandledDossier(viewer, id);
  const fee = await feeDueOf(pre);
  const saved = await runAction(viewer, id, {
    from: 'receive', version: input.version, variables: { outcome: 'accept' },
    next: fee > 0 ? { step: 'payment' } : { step: 'handle' },
    patch: { status: 'processing' },
    event: { kind: 'received', reason: text(input.note) || null },
    notify: { event: 'dossier-received', data: { dueAt: pre.dueAt } },
  });
  // A citizen who paid while the dossier was still at the desk: the process hears of it at once.
  if (fee > 0) await payments()?.correlateIfPaid(id);
  return saved;
}

/** The fee still due for a dossier: the payments domain's figure, else the catalog's lowest fee. */
async function feeDueOf(d: Dossier): Promise<number> {
  const seam = payments();
  if (seam) return Number(await seam.amountDue(d.id)) || 0;
  return getProcedure(d.procedureCode).then((p) => Number(p.procedure.feeMin ?? 0), () => 0);
}

/**
 * The desk asks the citizen for what is missing (a list, and a note): status `supplement`, the clock
 * stops (`pausedAt`) until the citizen resubmits.
 */
export async function requestSupplement(viewer: Viewer, id: number, input: { missing: string[]; note?: string; version?: number; at?: Date }): Promise<Dossier> {
  const missing = (Array.isArray(input.missing) ? input.missing : []).map((m) => text(m, 500)).filter(Boolean).slice(0, 30);
  if (!missing.length) throw BadRequest('dossiers.handling.missingRequired');
  const note = text(input.note);
  const at = input.at ?? new Date();
  return runAction(viewer, id, {
    from: 'receive', version: input.version, at, variables: { outcome: 'supplement' },
    next: { step: 'supplement' },
    patch: { status: 'supplement', pausedAt: at },
    event: { kind: 'supplement-requested', reason: note || null, data: { missing } },
    notify: { event: 'dossier-needs-documents', data: { documents: missing, comment: note || null, link: `${getConfig().baseUrl}/dossiers/${id}/supplement` } },
    also: async (d, t) => {
      await addEvent(d.id, 'paused', { at, step: 'supplement', actor: viewer.username, actorName: viewer.fullName, orgCode: d.orgCode, reason: note || null, data: { missing } }, t);
    },
  });
}

/** The desk refuses to receive a dossier (with the reason the citizen is told). */
export async function refuseReceipt(viewer: Viewer, id: number, input: { reason: string; version?: number }): Promise<Dossier> {
  const reason = requireReason(input.reason);
  return runAction(viewer, id, {
    from: 'receive', version: input.version, variables: { outcome: 'refuse' }, next: null,
    patch: { status: 'refused', stage: null, decisionReason: reason, finishedAt: new Date() },
    event: { kind: 'refused', reason },
    notify: { event: 'dossier-status', data: { reason } },
  });
}

/**
 * Hands the department's step to another officer (the task is reassigned, the step goes on) or to
 * another unit (the step ends and starts again there); the reason is required and kept in the history.
 */
export async function transferDossier(viewer: Viewer, id: number, input: { toOfficer?: string; toOrgCode?: string; reason: string; version?: number }): Promise<Dossier> {
  const reason = requireReason(input.reason);
  const toOfficer = text(input.toOfficer, 64);
  const toOrg = text(input.toOrgCode, 40);
  if (!toOfficer === !toOrg) throw BadRequest('dossiers.handling.transferTarget');
  const pre = await getHandledDossier(viewer, id);
  if (toOrg) {
    const org = await getOrgByCode(toOrg).catch(() => null);
    if (!org) throw BadRequest('dossiers.handling.unknownUnit', { code: toOrg });
    if (org.code === (await handlerOrgOf(pre))) throw BadRequest('dossiers.handling.sameUnit');
    return runAction(viewer, id, {
      from: 'handle', version: input.version, variables: { outcome: 'transfer', handlerOrg: org.code },
      next: { step: 'handle', orgCode: org.code }, patch: { officer: null },
      event: { kind: 'transferred', reason, toOrgCode: org.code, data: { toOrgName: org.name } },
    });
  }
  const target = await loadViewerByUsername(toOfficer);
  const handlerPath = (await getOrgByCode(await handlerOrgOf(pre)).catch(() => null))?.path ?? pre.orgPath;
  if (!target || !target.isActive || !canAccessOrg(target.viewer, handlerPath, ['officer'])) throw BadRequest('dossiers.handling.unknownOfficer', { username: toOfficer });
  const task = await taskAt(pre, 'handle');
  const saved = await runAction(viewer, id, {
    from: 'handle', version: input.version, variables: null, closeSteps: true,
    next: { step: 'handle', officer: target.viewer.username }, patch: { officer: target.viewer.username },
    event: { kind: 'transferred', reason, toOfficer: target.viewer.username, data: { toOfficerName: target.viewer.fullName } },
  });
  await reassignTask(task, target.viewer.username, viewer.username, 'delegate');
  return saved;
}

/** The department finishes handling and sends the dossier (with its proposal) to the leader. */
export async function completeHandling(viewer: Viewer, id: number, input: { note?: string; version?: number } = {}): Promise<Dossier> {
  const pre = await getHandledDossier(viewer, id);
  return runAction(viewer, id, {
    from: 'handle', version: input.version, variables: { outcome: 'submit', proposal: text(input.note) || null },
    next: { step: 'approve', orgCode: pre.orgCode }, patch: { officer: viewer.username },
    event: { kind: 'step-started', reason: text(input.note) || null, data: { to: 'approve' } },
  });
}

/** The leader approves or refuses (a refusal needs its reasons, which the citizen is told). */
export async function decideDossier(viewer: Viewer, id: number, input: { decision: 'approved' | 'refused'; reason?: string; version?: number }): Promise<Dossier> {
  if (input.decision !== 'approved' && input.decision !== 'refused') throw BadRequest('dossiers.handling.badDecision');
  const reason = input.decision === 'refused' ? requireReason(input.reason) : text(input.reason) || null;
  const at = new Date();
  const isApproved = input.decision === 'approved';
  return runAction(viewer, id, {
    from: 'approve', version: input.version, variables: { decision: input.decision, decisionReason: reason },
    next: isApproved ? { step: 'issue' } : null,
    patch: isApproved
      ? { status: 'approved', decision: 'approved', decisionReason: reason, decidedAt: at }
      : { status: 'refused', stage: null, decision: 'refused', decisionReason: reason, decidedAt: at, finishedAt: at },
    event: { kind: isApproved ? 'approved' : 'refused', reason },
    notify: { event: 'dossier-status', data: { reason } },
  });
}

/**
 * Whether a procedure's result is issued as a signed PDF: procedures served fully online (online level
 * `full`) return an electronic result, which carries the agency's digital signature (Decree 45/2020 Art. 25);
 * for the others the paper original is handed over and the PDF is an unsigned notice of the result.
 */
export function needsSignedResult(p: Pick<Procedure, 'onlineLevel'> | null): boolean {
  return p?.onlineLevel === 'full';
}

/** The result document of a dossier as a PDF (Vietnamese, with the signature block when signed). */
async function resultPdf(d: Dossier, by: Viewer, stamp: Awaited<ReturnType<typeof prepareStamp>> | null): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `${d.code} — ${d.procedureName}` } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.registerFont('R', FONTS.regular);
  doc.registerFont('B', FONTS.bold);
  const vi = (key: string, params?: Record<string, unknown>) => tr('vi', `dossiers.handling.result.${key}`, params).normalize('NFC');
  doc.font('B').fontSize(12).text(vi('nation'), { align: 'center' });
  doc.font('R').fontSize(11).text(vi('motto'), { align: 'center' }).moveDown(1.5);
  doc.font('B').fontSize(15).text(vi('title'), { align: 'center' }).moveDown();
  doc.font('R').fontSize(11);
  const line = (k: string, v: string | null | undefined) => doc.font('B').text(`${vi(k)}: `, { continued: true }).font('R').text((v ?? '').normalize('NFC'));
  line('code', d.code);
  line('procedure', d.procedureName);
  line('applicant', d.applicantName);
  line('unit', d.orgCode);
  line('decision', vi(d.decision === 'refused' ? 'refused' : 'approved'));
  if (d.decisionReason) line('reason', d.decisionReason);
  line('decidedAt', formatVn(d.decidedAt));
  line('issuedBy', by.fullName);
  if (stamp) {
    doc.moveDown(2);
    drawSignatureBlock(doc, stamp, { x: 300, y: doc.y, width: 240, locale: 'vi' });
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

/**
 * The result is issued: a PDF, signed by the issuing officer through the signing service when the
 * procedure requires it (`needsSignedResult`), attached to the dossier and put in the citizen's document
 * store as `source: 'result'`; the dossier goes to the return step.
 */
export async function issueResult(viewer: Viewer, id: number, input: { pin?: string; note?: string; version?: number } = {}): Promise<Dossier> {
  const pre = await getHandledDossier(viewer, id);
  if (pre.stage !== 'issue') throw Conflict('dossiers.handling.wrongStep', { code: pre.code ?? String(pre.id), step: pre.stage ?? '' });
  if (!(await staffCovers(viewer, pre, ['officer']))) throw AppErrorForbidden();
  checkVersion(pre, input.version);
  const procedure = await getProcedure(pre.procedureCode).then((p) => p.procedure, () => null);
  const isSigned = needsSignedResult(procedure);
  let pdf: Buffer;
  let signatureId: string | null = null;
  if (isSigned) {
    const stamp = await prepareStamp({ userId: viewer.userId });
    const signed = await signPdf({ userId: viewer.userId, pin: input.pin || undefined, ip: viewer.ip }, await resultPdf(pre, viewer, stamp), {
      stamp, label: `${pre.code} — ${pre.procedureName}`, targetType: 'dossier', targetId: pre.id,
    });
    pdf = signed.pdf;
    signatureId = signed.signature.id;
  } else {
    pdf = await resultPdf(pre, viewer, null);
  }
  const sha256 = crypto.createHash('sha256').update(pdf).digest('hex');
  const name = `ket-qua-${pre.code ?? pre.id}.pdf`;
  await storeUploads([{ value: { sha256, name, size: pdf.length, type: 'application/pdf' }, data: pdf }]);
  return runAction(viewer, id, {
    from: 'issue', version: input.version, variables: { resultSha256: sha256, signatureId },
    next: { step: 'return' }, patch: {},
    event: { kind: 'result-issued', reason: text(input.note) || null, data: { file: name, sha256, signatureId, isSigned } },
    notify: { event: 'dossier-result-ready' },
    also: async (d, t) => {
      const docRow = d.ownerUserId
        ? await CitizenDocument.create({ userId: d.ownerUserId, docType: 'ket-qua', name, mime: 'application/pdf', size: pdf.length, sha256, source: 'result', dossierId: d.id, verifiedAt: new Date(), verifiedBy: viewer.username }, { transaction: t })
        : null;
      await DossierFile.create({ dossierId: d.id, docType: 'ket-qua', name, mime: 'application/pdf', size: pdf.length, sha256, documentId: docRow?.id ?? null, kind: 'result', addedBy: viewer.username }, { transaction: t });
    },
  });
}

/** The result is handed back (online, at the counter or by post): status `done`. */
export async function returnResult(viewer: Viewer, id: number, input: { method: 'online' | 'counter' | 'post'; note?: string; version?: number }): Promise<Dossier> {
  if (!RETURN_METHODS.includes(input.method)) throw BadRequest('dossiers.handling.badReturnMethod');
  const at = new Date();
  return runAction(viewer, id, {
    from: 'return', version: input.version, variables: { returnMethod: input.method }, next: null,
    patch: { status: 'done', stage: null, returnMethod: input.method, finishedAt: at },
    event: { kind: 'returned', reason: text(input.note) || null, data: { method: input.method } },
    notify: { event: 'dossier-status', data: { method: input.method } },
  });
}

/** One officer action by name (the route's `{action}`), with the form's fields. */
export async function runOfficerAction(viewer: Viewer, id: number, action: OfficerAction, body: Record<string, unknown>): Promise<Dossier> {
  const version = body.version === undefined || body.version === '' ? undefined : Number(body.version);
  const reason = typeof body.reason === 'string' ? body.reason : '';
  switch (action) {
    case 'accept': return acceptDossier(viewer, id, { version, note: reason });
    case 'supplement': {
      const raw = typeof body.missing === 'string' ? body.missing : Array.isArray(body.missing) ? (body.missing as unknown[]).join('\n') : '';
      return requestSupplement(viewer, id, { missing: raw.split(/\r?\n/), note: reason, version });
    }
    case 'refuse-receipt': return refuseReceipt(viewer, id, { reason, version });
    case 'transfer': return transferDossier(viewer, id, { toOfficer: String(body.toOfficer ?? ''), toOrgCode: String(body.toOrgCode ?? ''), reason, version });
    case 'submit': return completeHandling(viewer, id, { note: reason, version });
    case 'approve': return decideDossier(viewer, id, { decision: 'approved', reason, version });
    case 'refuse': return decideDossier(viewer, id, { decision: 'refused', reason, version });
    case 'issue': return issueResult(viewer, id, { pin: typeof body.pin === 'string' ? body.pin : undefined, note: reason, version });
    case 'return': return returnResult(viewer, id, { method: String(body.method ?? '') as 'online', note: reason, version });
  }
  throw BadRequest('dossiers.handling.badAction');
}

// ---------------------------------------------------------------------------------------------------------
// The citizen's side: supplement and withdrawal

/** What the desk asked for in its latest completeness request (for the citizen's supplement page). */
export async function supplementRequestOf(dossierId: number): Promise<{ missing: string[]; note: string | null; at: Date; by: string | null } | null> {
  const ev = await DossierEvent.findOne({ where: { dossierId, kind: 'supplement-requested' }, order: [['id', 'DESC']] });
  if (!ev) return null;
  const data = ev.dataJson ? JSON.parse(ev.dataJson) as { missing?: string[] } : {};
  return { missing: data.missing ?? [], note: ev.reason, at: ev.at, by: ev.actorName };
}

/** The owner's dossier (404 for anyone else, staff included: the citizen's pages are the owner's). */
export async function getOwnedDossier(viewer: Viewer, id: number): Promise<Dossier> {
  const d = await Dossier.findByPk(id);
  if (!d || !isOwner(viewer, d)) throw NotFound('errors.notFound');
  return d;
}

const SUPPLEMENT_FIELD = { key: 'supplement', id: 'supplement', type: 'file', label: 'supplement' } as unknown as FieldDef;

/**
 * The citizen answers a completeness request (new files and a note): the clock restarts, the due date moves
 * later by the working days the dossier was paused (`pausedWorkingDays`), and the desk checks it again.
 */
export async function resubmitDossier(viewer: Viewer, id: number, input: { note?: string; files?: Upload[]; version?: number; at?: Date } = {}): Promise<Dossier> {
  const pre = await getOwnedDossier(viewer, id);
  if (pre.status !== 'supplement' || !pre.pausedAt) throw Conflict('dossiers.handling.notWaiting', { code: pre.code ?? String(pre.id) });
  checkVersion(pre, input.version);
  const files = (input.files ?? []).filter((f) => f && f.data && f.data.length).slice(0, 20);
  const note = text(input.note);
  if (!files.length && !note) throw BadRequest('dossiers.handling.supplementEmpty');
  const checked = files.map((f) => ({ value: checkUpload(SUPPLEMENT_FIELD, f), data: f.data }));
  const at = input.at ?? new Date();
  const paused = await pausedWorkingDays(pre.pausedAt, at);
  const due = pre.dueAt ? await moveDue(pre.dueAt, paused) : null;
  const plan = await planStep(pre, 'receive', pre.orgCode, null, at, due);
  await storeUploads(checked);
  const saved = await inTransaction(async (t) => {
    const d = await Dossier.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!d || d.version !== pre.version || d.status !== 'supplement') throw Conflict('dossiers.handling.changed', { code: pre.code ?? String(pre.id) });
    await d.update({ status: 'submitted', stage: 'receive', pausedAt: null, pausedWorkingDays: d.pausedWorkingDays + paused, dueAt: due, version: d.version + 1 }, { transaction: t });
    for (const f of checked) {
      await DossierFile.create({ dossierId: id, docType: 'bo-sung', name: f.value.name, mime: f.value.type, size: f.value.size, sha256: f.value.sha256, documentId: null, kind: 'attachment', addedBy: viewer.username }, { transaction: t });
    }
    await closeSteps(id, at, t);
    await openStep(id, plan, t);
    await addEvent(id, 'resubmitted', { at, step: 'supplement', actor: viewer.username, actorName: viewer.fullName, reason: note || null, data: { files: checked.map((f) => f.value.name) } }, t);
    await addEvent(id, 'resumed', { at, step: 'supplement', actor: viewer.username, actorName: viewer.fullName, data: { pausedWorkingDays: paused, dueAt: due?.toISOString() ?? null, previousDueAt: pre.dueAt?.toISOString() ?? null } }, t);
    await queueAdvance({ message: 'dossier.resubmitted', businessKey: businessKeyOf(id), variables: { resubmittedAt: at.toISOString() } }, t);
    return d;
  });
  await advanceNow({ message: 'dossier.resubmitted', businessKey: businessKeyOf(id), variables: { resubmittedAt: at.toISOString() } });
  return saved;
}

/** The citizen withdraws a dossier before a decision (with a reason); the handling instance is cancelled. */
export async function withdrawDossier(viewer: Viewer, id: number, reason: string): Promise<Dossier> {
  const pre = await getOwnedDossier(viewer, id);
  if (!WITHDRAWABLE.includes(pre.status)) throw Conflict('dossiers.handling.notWithdrawable', { code: pre.code ?? String(pre.id) });
  const why = requireReason(reason);
  const at = new Date();
  const saved = await inTransaction(async (t) => {
    const d = await Dossier.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!d || !WITHDRAWABLE.includes(d.status)) throw Conflict('dossiers.handling.notWithdrawable', { code: pre.code ?? String(pre.id) });
    const step = d.stage;
    await d.update({ status: 'withdrawn', stage: null, pausedAt: null, finishedAt: at, version: d.version + 1 }, { transaction: t });
    await closeSteps(id, at, t);
    await addEvent(id, 'withdrawn', { at, step, actor: viewer.username, actorName: viewer.fullName, orgCode: d.orgCode, reason: why }, t);
    return d;
  });
  if (saved.instanceId) await cancelInstance(saved.instanceId, viewer.username, why).catch((err) => log.warn('withdrawn dossier instance not cancelled', { id, error: String(err) }));
  return saved;
}

// ---------------------------------------------------------------------------------------------------------
// Counter and post registration

/** What an officer types for a dossier handed in at the counter or sent by post. */
export interface CounterInput {
  procedure: string;
  channel: 'direct' | 'post';
  applicantName: string;
  applicantPhone?: string | null;
  applicantEmail?: string | null;
  /** The receiving unit (default: the officer's own). */
  orgCode?: string | null;
  note?: string | null;
}

/** Registers a dossier received at the counter (`direct`) or by post: code, due date, history, handling. */
export async function registerCounterDossier(viewer: Viewer, input: CounterInput): Promise<Dossier> {
  if (input.channel !== 'direct' && input.channel !== 'post') throw BadRequest('dossiers.handling.badChannel');
  const name = text(input.applicantName, 255);
  if (!name) throw BadRequest('dossiers.handling.applicantRequired');
  const { procedure } = await getProcedure(text(input.procedure, 32)).catch(() => { throw BadRequest('dossiers.handling.unknownProcedure', { code: input.procedure }); });
  const orgCode = text(input.orgCode, 40) || viewer.orgCode;
  const org = orgCode ? await getOrgByCode(orgCode).catch(() => null) : null;
  if (!org) throw BadRequest('dossiers.handling.unknownUnit', { code: orgCode ?? '' });
  if (!canAccessOrg(viewer, org.path, ['officer'])) throw BadRequest('dossiers.handling.unitOutOfScope', { code: org.code });
  const formKey = procedure.formKey ?? 'ho-so-truc-tiep';
  const formVersion = procedure.formKey ? await getPublished(procedure.formKey).then((f) => f.version, () => 1) : 1;
  const at = new Date();
  const d = await inTransaction(async (t) => {
    const row = await Dossier.create({
      procedureCode: procedure.code, procedureName: procedure.name, formKey, formVersion, ownerUserId: null,
      applicantName: name, applicantPhone: text(input.applicantPhone, 32) || null, applicantEmail: text(input.applicantEmail, 255) || null,
      orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: input.channel, status: 'draft', valuesJson: JSON.stringify({ note: text(input.note) || null }),
      limitDays: procedure.processingUnit === 'workday' ? procedure.processingAmount : null,
    }, { transaction: t });
    await addEvent(row.id, 'created', { at, actor: viewer.username, actorName: viewer.fullName, orgCode: org.code, data: { channel: input.channel } }, t);
    await receiveDossier(row, { at, channel: input.channel, actor: viewer.username, actorName: viewer.fullName, limit: { amount: procedure.processingAmount, unit: procedure.processingUnit }, processKey: procedure.processKey }, t);
    return row;
  });
  // The start job is queued too; starting here lets the desk act at once (a repeated start starts nothing).
  await startHandling(d.id, procedure.processKey || undefined).catch((err) => log.warn('counter dossier start deferred to its job', { id: d.id, error: String(err) }));
  return (await Dossier.findByPk(d.id))!;
}

// ---------------------------------------------------------------------------------------------------------
// Overdue steps

/** Escalates a step still open at its due time: marks it, writes `step-overdue` and tells the unit's leaders. */
export async function escalateStep(stepId: number, now = new Date()): Promise<boolean> {
  const step = await DossierStep.findByPk(stepId);
  if (!step || step.endedAt || step.escalatedAt || !step.dueAt || step.dueAt.getTime() > now.getTime()) return false;
  const d = await Dossier.findByPk(step.dossierId);
  if (!d || d.pausedAt || ['done', 'refused', 'withdrawn'].includes(d.status)) return false;
  const org = step.orgCode ?? d.orgCode;
  const leaders = await taskRecipients({ assignee: null, candidateUsers: null, candidateGroups: `leader@${org}`, orgCode: org });
  const channels = new Map(await Promise.all(leaders.map(async (l) => [l.userId, await getChannels(l.userId)] as const)));
  return inTransaction(async (t) => {
    const [n] = await DossierStep.update({ escalatedAt: now }, { where: { id: step.id, endedAt: null, escalatedAt: null }, transaction: t });
    if (n !== 1) return false;
    await addEvent(d.id, 'step-overdue', { at: now, step: step.step, orgCode: org, data: { dueAt: step.dueAt!.toISOString(), officer: step.officer } }, t);
    for (const l of leaders) {
      for (const channel of channels.get(l.userId) ?? []) {
        const to = channel === 'email' ? l.email : channel === 'sms' ? l.phone : String(l.userId);
        if (!to) continue;
        await queueMessage({
          channel, event: 'overdue', locale: l.locale, to, recipientUserId: l.userId, recipientOrgCode: l.orgCode ?? null, senderOrgCode: org, reference: `dossier:${d.id}`,
          data: { recipientName: l.fullName, title: tr(l.locale, 'dossiers.handling.overdueTitle', { code: d.code ?? '', step: tr(l.locale, `dossiers.handling.stage.${step.step}`) }), dueAt: step.dueAt, link: `${getConfig().baseUrl}/officer/dossiers/${d.id}` },
        }, { transaction: t });
      }
    }
    return true;
  });
}

registerJobKind(JOB_STEP_OVERDUE, async (job) => {
  await escalateStep(Number((job.payload as { stepId: number }).stepId));
});

// ---------------------------------------------------------------------------------------------------------
// Leaving the payment wait

/**
 * When the payment message moved the process on to `handle` (the payments side correlates it), the dossier
 * follows: its stage becomes `handle` and the department's step opens. Idempotent: an action that already
 * moved the dossier leaves nothing to do.
 */
export async function followPaidDossier(dossierId: number, at = new Date()): Promise<boolean> {
  const pre = await Dossier.findByPk(dossierId);
  if (!pre || pre.stage !== 'payment') return false;
  const plan = await planStep(pre, 'handle', pre.orgCode, null, at);
  return inTransaction(async (t) => {
    const [n] = await Dossier.update({ stage: 'handle', version: pre.version + 1 }, { where: { id: dossierId, stage: 'payment', version: pre.version }, transaction: t });
    if (n !== 1) return false;
    await closeSteps(dossierId, at, t);
    await openStep(dossierId, plan, t);
    await addEvent(dossierId, 'payment', { at, step: 'payment', orgCode: pre.orgCode, data: { to: 'handle' } }, t);
    return true;
  });
}

let following = Promise.resolve();
engineEvents.on('task.created', (task: EngineTask) => {
  const m = /^dossier:(\d+)$/.exec(task.businessKey ?? '');
  if (!m || task.elementId !== 'handle') return;
  following = following.then(() => followPaidDossier(Number(m[1]))).then(() => undefined, (err) => log.warn('paid dossier not followed', { error: String(err) }));
});

// ---------------------------------------------------------------------------------------------------------
// Reads for the pages

/** Inbox filters. */
export interface InboxQuery {
  procedure?: string;
  status?: string;
  page?: number;
  pageSize?: number;
}

/** Dossiers in the viewer's scope (and those transferred to their units), soonest due first, paged. */
export async function listInbox(viewer: Viewer, q: InboxQuery = {}): Promise<{ rows: Dossier[]; total: number; page: number; pageSize: number; steps: Map<number, DossierStep> }> {
  const pageSize = Math.min(Math.max(q.pageSize ?? 20, 1), 100);
  const page = Math.max(1, Math.min(q.page ?? 1, 10000));
  const scope = scopePaths(viewer, ['admin', 'officer', 'leader']);
  const ownCodes = viewer.roles.filter((r) => ['officer', 'leader'].includes(r.role) && r.orgCode).map((r) => r.orgCode as string);
  const transferred = ownCodes.length
    ? (await DossierStep.findAll({ where: { endedAt: null, orgCode: { [Op.in]: ownCodes } }, attributes: ['dossierId'] })).map((s) => s.dossierId)
    : [];
  const scopeWhere: WhereOptions[] = scope === null ? [{}] : [...scope.map((p) => ({ orgPath: { [Op.like]: `${p}%` } })), ...(transferred.length ? [{ id: { [Op.in]: transferred } }] : [])];
  if (!scopeWhere.length) return { rows: [], total: 0, page, pageSize, steps: new Map() };
  const where: Record<string | symbol, unknown> = { [Op.or]: scopeWhere };
  where.status = q.status ? q.status : { [Op.in]: OPEN_STATUSES };
  if (q.procedure) where.procedureCode = q.procedure;
  const { rows, count } = await Dossier.findAndCountAll({
    where, order: [[Dossier.sequelize!.literal('CASE WHEN due_at IS NULL THEN 1 ELSE 0 END'), 'ASC'], ['dueAt', 'ASC'], ['id', 'ASC']], limit: pageSize, offset: (page - 1) * pageSize,
  });
  const open = rows.length ? await DossierStep.findAll({ where: { dossierId: { [Op.in]: rows.map((r) => r.id) }, endedAt: null } }) : [];
  return { rows, total: count, page, pageSize, steps: new Map(open.map((s) => [s.dossierId, s])) };
}

/** The procedures that appear in the viewer's inbox (for the filter). */
export async function inboxProcedures(viewer: Viewer): Promise<Array<{ code: string; name: string }>> {
  const scope = scopePaths(viewer, ['admin', 'officer', 'leader']);
  const where: Record<string | symbol, unknown> = { status: { [Op.ne]: 'draft' } };
  if (scope !== null) {
    if (!scope.length) return [];
    where[Op.or] = scope.map((p) => ({ orgPath: { [Op.like]: `${p}%` } }));
  }
  const rows = await Dossier.findAll({ where, attributes: ['procedureCode', 'procedureName'], group: ['procedureCode', 'procedureName'], order: [['procedureCode', 'ASC']], limit: 500 });
  return rows.map((r) => ({ code: r.procedureCode, name: r.procedureName }));
}

/** Everything the officer's dossier page shows. */
export async function officerView(viewer: Viewer, id: number) {
  const d = await getHandledDossier(viewer, id);
  const [events, steps, files] = await Promise.all([
    historyOf(d.id),
    DossierStep.findAll({ where: { dossierId: d.id }, order: [['id', 'ASC']] }),
    DossierFile.findAll({ where: { dossierId: d.id }, order: [['id', 'ASC']] }),
  ]);
  const task = d.instanceId && d.stage ? (await openTasksOf(d.instanceId)).find((x) => x.elementId === d.stage) ?? null : null;
  const roles = d.stage ? STEP_ROLES[d.stage] : undefined;
  const mayAct = !!task && !!roles && (await staffCovers(viewer, d, roles)) && (!task.assignee || task.assignee === viewer.username || hasRole(viewer, 'leader'));
  const actions = mayAct && d.stage && Object.hasOwn(ACTIONS_BY_STAGE, d.stage) ? ACTIONS_BY_STAGE[d.stage] : [];
  const request = d.status === 'supplement' ? await supplementRequestOf(d.id) : null;
  return { dossier: d, events, steps, files, actions, task, request, isWaitingForEngine: !!d.stage && Object.hasOwn(ACTIONS_BY_STAGE, d.stage) && !task };
}

/** The business key's dossier page (for `/tasks/{id}` of a `dossiers:` task). */
export async function dossierPageOfInstance(instanceId: string): Promise<string | null> {
  const d = await Dossier.findOne({ where: { instanceId }, attributes: ['id'] });
  return d ? `/officer/dossiers/${d.id}` : null;
}

/** Whether a viewer may see a dossier at all (owner or staff in scope); re-exported for the pages. */
export { canSee };

/** Timed step ids, for the presenters. */
export { TIMED_STEPS };

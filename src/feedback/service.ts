// Feedback and petitions (phản ánh, kiến nghị): anyone sends a case to an agency; the agency's officers
// classify, assign, transfer, answer and publish it along processes/feedback-handling.bpmn; the submitter
// tracks it by code and a second factor and may ask once for it to be looked at again.
import crypto from 'node:crypto';
import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { FeedbackCase, FeedbackEvent, FeedbackFile, type CaseStatus } from './models.ts';
import { maskPersonalData, lastFourDigits } from './masking.ts';
import { getConfig } from '../config.ts';
import { inTransaction } from '../store/index.ts';
import { AppError, Conflict, Invalid, NotFound, TooMany } from '../errors.ts';
import { canAccessOrg, scopePaths, type Viewer } from '../access/index.ts';
import { getOrgByCode, listChildren, listRoots, CURRENT_TREE } from '../orgs/service.ts';
import type { OrgUnit } from '../orgs/models.ts';
import { dueDate, workingDaysBetween } from '../calendar/service.ts';
import { hitRateLimit } from '../auth/throttle.ts';
import { actorOf, loadViewerByUsername } from '../auth/service.ts';
import { appendAudit } from '../audit/service.ts';
import { notifyRecipient, queueMessage } from '../notify/service.ts';
import { checkUpload, storeUploads, readUpload, type FileValue, type Upload } from '../forms/files.ts';
import type { FieldDef } from '../forms/definition.ts';
import { completeTaskAsSystem, correlateMessage, deployShippedProcesses, openTasksOf, startProcess } from '../engine/service.ts';
import { log } from '../log.ts';
import type { Locale } from '../i18n/index.ts';

/** Key of the shipped process that drives every case. */
export const PROCESS_KEY = 'feedback-handling';
/** Message the process waits for when the submitter disagrees with the answer. */
export const REOPEN_MESSAGE = 'feedback-reopened';
/** Roles that handle cases over their org subtree. */
export const HANDLER_ROLES = ['admin', 'officer', 'leader'] as const;
/** Statuses that still need work from the agency. */
export const OPEN_STATUSES: CaseStatus[] = ['received', 'processing', 'answered', 'reopened'];
/** Attachments one case may carry. */
export const MAX_FILES = 5;
/** Extensions an attachment may have. */
export const FILE_ACCEPT = ['pdf', 'docx', 'png', 'jpg', 'jpeg'];
/** Size limit of one attachment: 10 MB. */
export const FILE_MAX_BYTES = 10 * 1024 * 1024;

const fileField = (label: string): FieldDef => ({ id: 'attachment', label, type: 'file', accept: FILE_ACCEPT, maxBytes: FILE_MAX_BYTES });

/** Contact details of the person who sends a case. */
export interface Contact {
  name: string;
  phone?: string | null;
  email?: string | null;
  /** The account of a logged-in submitter. */
  userId?: number | null;
}

/** What the public form (or the API) sends. */
export interface SubmitInput {
  subject: string;
  content: string;
  /** Org unit code picked from the tree, or empty for "not sure". */
  orgCode?: string | null;
  contact: Contact;
  files?: Upload[];
  locale?: Locale;
}

/** Who sends a request: the logged-in viewer (if any) and the client address. */
export interface Caller {
  viewer?: Viewer | null;
  ip?: string | null;
}

let shipped: Promise<unknown> | undefined;
function ensureDeployed(): Promise<unknown> {
  shipped ??= deployShippedProcesses().catch((err) => {
    shipped = undefined;
    throw err;
  });
  return shipped;
}

function clean(s: string | null | undefined): string {
  return (s ?? '').normalize('NFC').replace(/\r\n?/g, '\n').trim();
}

function normalizePhone(p: string | null | undefined): string | null {
  const v = clean(p);
  return v ? v.replace(/[^\d+]/g, '') : null;
}

const PHONE = /^(?:\+84|84|0)\d{8,10}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

/** The agencies the public form offers: the units right below the top of the org tree (ministries, agencies, provinces). */
export async function listAgencies(): Promise<Array<{ code: string; name: string }>> {
  const roots = await listRoots(CURRENT_TREE, null);
  const units: OrgUnit[] = [];
  for (const root of roots) {
    const children = await listChildren(root.id);
    // A tree without a national root offers its roots themselves.
    units.push(...(children.length ? children : [root]));
  }
  return units.map((o) => ({ code: o.code, name: o.name })).sort((a, b) => a.name.localeCompare(b.name, 'vi'));
}

async function agencyOf(code: string | null | undefined): Promise<OrgUnit> {
  const wanted = clean(code) || getConfig().feedbackDefaultOrg;
  try {
    return await getOrgByCode(wanted);
  } catch {
    throw Invalid('feedback.submit.unknownAgency', { code: wanted });
  }
}

async function limit(scope: 'fb-ip' | 'fb-contact' | 'fb-track', value: string | null | undefined, max: number): Promise<void> {
  if (!value) return;
  const wait = await hitRateLimit(scope, value, max, getConfig().feedbackRateWindowSeconds);
  if (wait !== null) throw TooMany('feedback.rateLimited', { minutes: Math.ceil(wait / 60), retryAfter: wait });
}

function newCode(now: Date): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.randomBytes(6);
  const tail = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  const day = new Date(now.getTime() + 7 * 3600000).toISOString().slice(2, 10).replace(/-/g, '');
  return `PAKN-${day}-${tail}`;
}

function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

async function addEvent(c: FeedbackCase, kind: string, actor: string | null, t: Transaction, extra: { from?: string | null; to?: string | null; note?: string | null } = {}): Promise<void> {
  await FeedbackEvent.create({ caseId: c.id, kind, actor, fromOrgCode: extra.from ?? null, toOrgCode: extra.to ?? null, note: extra.note ?? null, at: new Date() }, { transaction: t });
}

/** Queues a message to the submitter: through their account when they have one, else to the contact details given. */
async function tellSubmitter(c: FeedbackCase, event: string, data: Record<string, unknown>, t: Transaction): Promise<void> {
  const payload = { caseCode: c.code, subject: c.subject, agencyName: c.orgName, link: `${getConfig().baseUrl}/phan-anh-kien-nghi/tra-cuu?code=${encodeURIComponent(c.code)}`, ...data };
  const reference = `feedback:${c.code}`;
  if (c.submitterUserId) {
    await notifyRecipient({ userId: c.submitterUserId, fullName: c.contactName, email: c.contactEmail, phone: c.contactPhone, locale: c.locale }, event, payload, { transaction: t, reference, senderOrgCode: c.orgCode });
    return;
  }
  const channel = c.contactEmail ? 'email' : c.contactPhone ? 'sms' : null;
  if (!channel) return;
  await queueMessage({ channel, event, locale: c.locale, to: (c.contactEmail ?? c.contactPhone)!, senderOrgCode: c.orgCode, reference, data: { recipientName: c.contactName, ...payload } }, { transaction: t });
}

function reopenWindow(): string {
  return `P${getConfig().feedbackReopenDays}D`;
}

async function startFlow(c: FeedbackCase): Promise<void> {
  try {
    await ensureDeployed();
    const instance = await startProcess(PROCESS_KEY, {
      businessKey: c.code,
      variables: { orgCode: c.orgCode, caseCode: c.code, reopenCount: 0, reopenWindow: reopenWindow() },
      startedBy: 'feedback',
      org: { code: c.orgCode, path: c.orgPath },
    });
    await FeedbackCase.update({ instanceId: instance.id }, { where: { id: c.id } });
    c.instanceId = instance.id;
  } catch (err) {
    // The case is kept: its queue row shows it and the next action starts the flow again.
    log.error('feedback flow did not start', { code: c.code, error: String(err) });
  }
}

/** Completes the case's open task at this element (the engine moves the flow on). */
async function advance(c: FeedbackCase, elementId: string, variables: Record<string, unknown>, actor: string): Promise<void> {
  if (!c.instanceId) await startFlow(c);
  if (!c.instanceId) return;
  const task = (await openTasksOf(c.instanceId)).find((tk) => tk.elementId === elementId);
  if (task) await completeTaskAsSystem(task.id, variables, actor);
  else log.warn('feedback flow out of step', { code: c.code, instanceId: c.instanceId, elementId });
}

interface NewCase {
  subject: string;
  content: string;
  source: 'web' | 'rating';
  org: OrgUnit;
  chosenOrgCode: string | null;
  contact: { name: string; phone: string | null; email: string | null; userId: number | null };
  locale: Locale;
  files: Array<{ value: FileValue; data: Buffer }>;
  dossier?: { id: number | null; code: string | null };
}

/**
 * Creates a case and starts its flow. Inside an outer transaction the case is written there and its flow starts
 * once that transaction commits (the engine writes on connections of its own).
 */
async function createCase(n: NewCase, outer?: Transaction | null): Promise<{ case: FeedbackCase; trackingCode: string | null }> {
  const now = new Date();
  const due = await dueDate(now, getConfig().feedbackDays);
  // A six-digit code e-mailed to the submitter is the second factor when no phone number is given.
  const trackingCode = n.contact.email ? String(crypto.randomInt(0, 1_000_000)).padStart(6, '0') : null;
  await storeUploads(n.files);
  const created = await inTransaction(async (t) => {
    const c = await FeedbackCase.create({
      code: newCode(now), subject: n.subject, content: n.content, source: n.source, status: 'received',
      orgCode: n.org.code, orgPath: n.org.path, orgName: n.org.name, chosenOrgCode: n.chosenOrgCode,
      contactName: n.contact.name, contactPhone: n.contact.phone, contactEmail: n.contact.email, submitterUserId: n.contact.userId,
      locale: n.locale, trackingHash: trackingCode ? sha256(trackingCode) : null,
      dossierId: n.dossier?.id ?? null, dossierCode: n.dossier?.code ?? null,
      reopenCount: 0, receivedAt: now, dueAt: due.due,
    }, { transaction: t });
    for (const f of n.files) await FeedbackFile.create({ caseId: c.id, ...f.value }, { transaction: t });
    await addEvent(c, 'received', n.contact.userId ? `user:${n.contact.userId}` : null, t, { to: n.org.code, note: n.source === 'rating' ? n.dossier?.code ?? null : null });
    await tellSubmitter(c, 'feedback-received', { dueAt: c.dueAt.toISOString(), trackingCode }, t);
    return c;
  }, outer);
  if (outer) {
    outer.afterCommit(async () => {
      // A commit that failed still runs this hook: only a case that exists gets a flow.
      if (await FeedbackCase.count({ where: { id: created.id } })) await startFlow(created);
    });
  } else {
    await startFlow(created);
  }
  return { case: created, trackingCode };
}

/**
 * Receives a case from anyone: checks the fields and attachments, counts the request against the
 * per-IP and per-contact limits (instead of a CAPTCHA), routes it to the agency picked (or the default
 * receiving unit when "not sure") with a due date in working days, and tells the submitter its code.
 */
export async function submitFeedback(input: SubmitInput, caller: Caller = {}): Promise<{ case: FeedbackCase; trackingCode: string | null }> {
  const subject = clean(input.subject);
  const content = clean(input.content);
  const name = clean(input.contact.name);
  const phone = normalizePhone(input.contact.phone);
  const email = clean(input.contact.email).toLowerCase() || null;
  const problems: Array<{ field: string; code: string }> = [];
  if (subject.length < 5 || subject.length > 300) problems.push({ field: 'subject', code: 'feedback.submit.subjectLength' });
  if (content.length < 20 || content.length > 5000) problems.push({ field: 'content', code: 'feedback.submit.contentLength' });
  if (name.length < 2 || name.length > 200) problems.push({ field: 'name', code: 'feedback.submit.nameRequired' });
  if (!phone && !email) problems.push({ field: 'phone', code: 'feedback.submit.contactRequired' });
  if (phone && !PHONE.test(phone)) problems.push({ field: 'phone', code: 'feedback.submit.badPhone' });
  if (email && (!EMAIL.test(email) || email.length > 255)) problems.push({ field: 'email', code: 'feedback.submit.badEmail' });
  const uploads = (input.files ?? []).filter((f) => f.data.length || f.name);
  if (uploads.length > MAX_FILES) problems.push({ field: 'files', code: 'feedback.submit.tooManyFiles' });
  if (problems.length) throw Invalid(problems[0].code, { max: MAX_FILES }, problems);
  const files = uploads.map((u) => ({ value: checkUpload(fileField(u.name), u), data: u.data }));
  const org = await agencyOf(input.orgCode);
  await limit('fb-ip', caller.ip, getConfig().feedbackRatePerIp);
  await limit('fb-contact', phone ? `phone:${phone.replace(/^(\+84|84)/, '0')}` : null, getConfig().feedbackRatePerContact);
  await limit('fb-contact', email ? `email:${email}` : null, getConfig().feedbackRatePerContact);
  return createCase({
    subject, content, source: 'web', org, chosenOrgCode: clean(input.orgCode) || null,
    contact: { name, phone, email, userId: caller.viewer?.userId ?? null }, locale: input.locale ?? caller.viewer?.locale ?? 'vi', files,
  });
}

/**
 * Opens a case for a dossier whose rating was "not satisfied" (called by the ratings service); the case is
 * linked to the dossier by id and code and goes to the dossier's agency when given, else the default unit.
 * Given the rating's transaction, the case is written in it (and its flow starts after the commit).
 */
export async function openCaseFromRating(input: { dossierId: number; dossierCode: string; comment: string; contact: Contact; orgCode?: string | null; locale?: Locale }, t?: Transaction | null): Promise<FeedbackCase> {
  const existing = await FeedbackCase.findOne({ where: { dossierId: input.dossierId, source: 'rating' }, transaction: t ?? undefined });
  if (existing) return existing;
  const org = await agencyOf(input.orgCode);
  const comment = clean(input.comment);
  const { case: c } = await createCase({
    subject: clean(`Không hài lòng với kết quả giải quyết hồ sơ ${input.dossierCode}`).slice(0, 300),
    content: (comment || `Người dân đánh giá "không hài lòng" hồ sơ ${input.dossierCode}.`).slice(0, 5000),
    source: 'rating', org, chosenOrgCode: clean(input.orgCode) || null,
    contact: { name: clean(input.contact.name) || '—', phone: normalizePhone(input.contact.phone), email: clean(input.contact.email).toLowerCase() || null, userId: input.contact.userId ?? null },
    locale: input.locale ?? 'vi', files: [], dossier: { id: input.dossierId, code: input.dossierCode },
  }, t);
  return c;
}

// ---- The submitter: tracking and reopening ----

function factorMatches(c: FeedbackCase, factor: string): boolean {
  const f = factor.trim().toUpperCase();
  const eq = (a: string, b: string) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
  if (/^\d{4}$/.test(f)) {
    const last4 = lastFourDigits(c.contactPhone);
    return !!last4 && eq(last4, f);
  }
  return !!c.trackingHash && /^\d{6}$/.test(f) && eq(c.trackingHash, sha256(f));
}

/**
 * The case a submitter tracks: by code plus the last 4 digits of the phone given or the e-mailed code.
 * An unknown code and a wrong factor get the same answer; look-ups are limited per IP and per code.
 */
export async function trackCase(code: string, factor: string, caller: Caller = {}): Promise<FeedbackCase> {
  const normalized = clean(code).toUpperCase();
  await limit('fb-track', caller.ip, getConfig().feedbackTrackPerIp);
  await limit('fb-track', `code:${normalized}`, getConfig().feedbackTrackPerIp);
  const c = await FeedbackCase.findOne({ where: { code: normalized } });
  if (!c || !factorMatches(c, factor)) throw NotFound('feedback.track.notFound');
  return c;
}

/** Whether the submitter may still ask for the case to be looked at again (once, within the window after publication). */
export function canReopen(c: FeedbackCase, now = new Date()): boolean {
  if (c.status !== 'published' || c.reopenCount >= 1 || !c.publishedAt) return false;
  return now.getTime() <= c.publishedAt.getTime() + getConfig().feedbackReopenDays * 86400000;
}

/** The submitter disagrees with the answer: the case goes back to the agency once, with a new due date. */
export async function reopenCase(code: string, factor: string, reason: string, caller: Caller = {}): Promise<FeedbackCase> {
  const c = await trackCase(code, factor, caller);
  const why = clean(reason);
  if (why.length < 10 || why.length > 2000) throw Invalid('feedback.reopen.reasonRequired');
  if (c.reopenCount >= 1) throw Conflict('feedback.reopen.once');
  if (!canReopen(c)) throw Conflict('feedback.reopen.notNow');
  const now = new Date();
  const due = await dueDate(now, getConfig().feedbackDays);
  const changed = await inTransaction(async (t) => {
    const [n] = await FeedbackCase.update({ status: 'reopened', reopenCount: 1, reopenReason: why, dueAt: due.due }, { where: { id: c.id, status: 'published', reopenCount: 0 }, transaction: t });
    if (!n) return false;
    await addEvent(c, 'reopened', null, t, { note: why });
    return true;
  });
  if (!changed) throw Conflict('feedback.reopen.once');
  try {
    await correlateMessage(REOPEN_MESSAGE, c.code, { reopenCount: 1 });
  } catch (err) {
    log.warn('feedback reopen not correlated', { code: c.code, error: String(err) });
  }
  return (await FeedbackCase.findByPk(c.id))!;
}

// ---- Staff: queue, case page, actions ----

function scopeWhere(viewer: Viewer): WhereOptions | null {
  const paths = scopePaths(viewer, HANDLER_ROLES);
  if (paths === null) return {};
  if (!paths.length) return null;
  return { [Op.or]: paths.map((p) => ({ orgPath: { [Op.like]: `${p}%` } })) };
}

/** Filters of the staff queue. */
export interface QueueQuery {
  status?: 'open' | 'all' | CaseStatus;
  q?: string;
  page?: number;
  pageSize?: number;
}

/** The cases of the viewer's org subtrees, the most urgent first. */
export async function listQueue(viewer: Viewer, q: QueueQuery = {}): Promise<{ rows: FeedbackCase[]; total: number; page: number; pageSize: number }> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 50;
  const scope = scopeWhere(viewer);
  if (!scope) return { rows: [], total: 0, page, pageSize };
  const where: Record<string | symbol, unknown> = { ...scope };
  const status = q.status ?? 'open';
  if (status === 'open') where.status = { [Op.in]: OPEN_STATUSES };
  else if (status !== 'all') where.status = status;
  const text = clean(q.q);
  if (text) {
    const like = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    const match = { [Op.or]: [{ code: { [Op.like]: like } }, { subject: { [Op.like]: like } }] };
    where[Op.and] = [match];
  }
  const { rows, count } = await FeedbackCase.findAndCountAll({ where, order: [['dueAt', 'ASC'], ['id', 'ASC']], limit: pageSize, offset: (page - 1) * pageSize });
  return { rows, total: count, page, pageSize };
}

/** Working days left before a due date (negative when overdue), counted on the calendar, and its colour. */
export async function timeLeft(due: Date, now = new Date()): Promise<{ days: number; level: 'green' | 'amber' | 'red' }> {
  const vn = (d: Date) => new Date(d.getTime() + 7 * 3600000).toISOString().slice(0, 10);
  if (due.getTime() < now.getTime()) {
    const days = -Math.max(1, await workingDaysBetween(vn(due), vn(now)));
    return { days, level: 'red' };
  }
  const days = await workingDaysBetween(vn(now), vn(due));
  return { days, level: days <= 2 ? 'amber' : 'green' };
}

/** A case with its events and attachments, for staff covering its agency. */
export async function getCase(viewer: Viewer, id: number): Promise<{ case: FeedbackCase; events: FeedbackEvent[]; files: FeedbackFile[] }> {
  const c = await FeedbackCase.findByPk(id);
  // A case outside the viewer's scope is answered like a missing one.
  if (!c || !canAccessOrg(viewer, c.orgPath, HANDLER_ROLES)) throw NotFound('feedback.notFound');
  const [events, files] = await Promise.all([
    FeedbackEvent.findAll({ where: { caseId: c.id }, order: [['id', 'ASC']] }),
    FeedbackFile.findAll({ where: { caseId: c.id }, order: [['id', 'ASC']] }),
  ]);
  return { case: c, events, files };
}

/** The bytes of an attachment, for staff covering the case. */
export async function readCaseFile(viewer: Viewer, id: number, fileId: number): Promise<{ file: FeedbackFile; data: Buffer }> {
  const { files } = await getCase(viewer, id);
  const file = files.find((f) => f.id === fileId);
  if (!file) throw NotFound('feedback.fileNotFound');
  return { file, data: await readUpload(file.sha256) };
}

async function changeCase(viewer: Viewer, id: number, expected: CaseStatus[], fn: (c: FeedbackCase, t: Transaction) => Promise<Record<string, unknown>>, audit: string): Promise<FeedbackCase> {
  const { case: c } = await getCase(viewer, id);
  if (!expected.includes(c.status)) throw Conflict('feedback.wrongStatus', { status: c.status });
  await inTransaction(async (t) => {
    const changes = await fn(c, t);
    const [n] = await FeedbackCase.update(changes, { where: { id: c.id, status: c.status, updatedAt: c.updatedAt }, transaction: t });
    if (!n) throw Conflict('feedback.changedMeanwhile');
    await appendAudit(actorOf(viewer), { action: audit, targetType: 'feedback_case', targetId: c.code, detail: { status: c.status } }, t);
  });
  return (await FeedbackCase.findByPk(c.id))!;
}

/** Classifies a received case and assigns it to an officer of its agency (the viewer by default). */
export async function assignCase(viewer: Viewer, id: number, input: { assignee?: string | null; note?: string | null }): Promise<FeedbackCase> {
  const assignee = clean(input.assignee) || viewer.username;
  const updated = await changeCase(viewer, id, ['received'], async (c, t) => {
    if (assignee !== viewer.username) {
      const target = await loadViewerByUsername(assignee);
      if (!target?.isActive || !canAccessOrg(target.viewer, c.orgPath, ['officer', 'leader'])) throw Invalid('feedback.assign.notOfficer', { username: assignee });
    }
    await addEvent(c, 'assigned', viewer.username, t, { to: c.orgCode, note: [assignee, clean(input.note)].filter(Boolean).join(' — ') });
    return { status: 'processing', assignedTo: assignee };
  }, 'feedback.assign');
  await advance(updated, 'Task_classify', { decision: 'assign', assignee }, viewer.username);
  return updated;
}

/** Transfers a case to another agency competent for it, with the reason; its time limit starts again there. */
export async function transferCase(viewer: Viewer, id: number, input: { orgCode: string; reason: string }): Promise<FeedbackCase> {
  const reason = clean(input.reason);
  if (reason.length < 5 || reason.length > 2000) throw Invalid('feedback.transfer.reasonRequired');
  let target: OrgUnit;
  try {
    target = await getOrgByCode(clean(input.orgCode));
  } catch {
    throw Invalid('feedback.transfer.unknownAgency', { code: clean(input.orgCode) });
  }
  const before = await getCase(viewer, id);
  if (target.code === before.case.orgCode) throw Invalid('feedback.transfer.sameAgency');
  const elementId = before.case.status === 'received' ? 'Task_classify' : 'Task_answer';
  const due = await dueDate(new Date(), getConfig().feedbackDays);
  const updated = await changeCase(viewer, id, ['received', 'processing'], async (c, t) => {
    await addEvent(c, 'transferred', viewer.username, t, { from: c.orgCode, to: target.code, note: reason });
    return { status: 'received', orgCode: target.code, orgPath: target.path, orgName: target.name, assignedTo: null, receivedAt: new Date(), dueAt: due.due };
  }, 'feedback.transfer');
  await advance(before.case, elementId, { decision: 'transfer', orgCode: target.code }, viewer.username);
  return updated;
}

/** Answers a case (the officer assigned, or a leader over the agency); the submitter is told. */
export async function answerCase(viewer: Viewer, id: number, input: { answer: string }): Promise<FeedbackCase> {
  const answer = clean(input.answer);
  if (answer.length < 10 || answer.length > 10000) throw Invalid('feedback.answer.required');
  const updated = await changeCase(viewer, id, ['processing', 'reopened'], async (c, t) => {
    if (c.assignedTo && c.assignedTo !== viewer.username && !canAccessOrg(viewer, c.orgPath, ['leader', 'admin'])) throw new AppError('feedback.answer.notAssignee', 403, { username: c.assignedTo });
    await addEvent(c, 'answered', viewer.username, t);
    const now = new Date();
    await tellSubmitter(Object.assign(c, { answer }), 'feedback-answered', { answer }, t);
    return { status: 'answered', answer, answeredBy: viewer.username, answeredAt: now };
  }, 'feedback.answer');
  await advance(updated, 'Task_answer', { decision: 'answer' }, viewer.username);
  return updated;
}

/** The texts of a case as the public page would show them, personal data masked. */
export function maskedTexts(c: Pick<FeedbackCase, 'subject' | 'content' | 'answer' | 'contactName'>): { subject: string; content: string; answer: string } {
  const names = [c.contactName];
  return { subject: maskPersonalData(c.subject, names), content: maskPersonalData(c.content, names), answer: maskPersonalData(c.answer ?? '', names) };
}

/**
 * Publishes an answered case on the public page. The texts are masked again whatever the officer
 * edited, so a phone number typed into the edit is hidden too.
 */
export async function publishCase(viewer: Viewer, id: number, input: { subject?: string | null; content?: string | null; answer?: string | null } = {}): Promise<FeedbackCase> {
  const updated = await changeCase(viewer, id, ['answered'], async (c, t) => {
    const base = maskedTexts(c);
    const names = [c.contactName];
    const pick = (edited: string | null | undefined, fallback: string) => (clean(edited) ? maskPersonalData(clean(edited), names) : fallback);
    const texts = { subject: pick(input.subject, base.subject).slice(0, 300), content: pick(input.content, base.content), answer: pick(input.answer, base.answer) };
    await addEvent(c, 'published', viewer.username, t);
    const isFinal = c.reopenCount >= 1;
    await tellSubmitter(c, 'feedback-published', { publicLink: `${getConfig().baseUrl}/phan-anh-kien-nghi/${encodeURIComponent(c.code)}`, canReopen: !isFinal, reopenDays: getConfig().feedbackReopenDays }, t);
    const now = new Date();
    return { status: isFinal ? 'closed' : 'published', publicSubject: texts.subject, publicContent: texts.content, publicAnswer: texts.answer, publishedAt: now, closedAt: isFinal ? now : null };
  }, 'feedback.publish');
  await advance(updated, 'Task_publish', { decision: 'publish' }, viewer.username);
  return updated;
}

// ---- The public page ----

/** Published cases, newest first, searched in their masked texts. */
export async function listPublished(q: { q?: string; page?: number; pageSize?: number } = {}): Promise<{ rows: FeedbackCase[]; total: number; page: number; pageSize: number }> {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 20;
  const where: Record<string | symbol, unknown> = { publishedAt: { [Op.ne]: null } };
  const text = clean(q.q);
  if (text) {
    const like = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    where[Op.or] = [{ code: { [Op.like]: like } }, { publicSubject: { [Op.like]: like } }, { publicContent: { [Op.like]: like } }, { publicAnswer: { [Op.like]: like } }, { orgName: { [Op.like]: like } }];
  }
  const { rows, count } = await FeedbackCase.findAndCountAll({
    where, order: [['publishedAt', 'DESC'], ['id', 'DESC']], limit: pageSize, offset: (page - 1) * pageSize,
    attributes: ['id', 'code', 'orgCode', 'orgName', 'status', 'publicSubject', 'publicContent', 'publicAnswer', 'publishedAt', 'receivedAt', 'answeredAt', 'reopenCount'],
  });
  return { rows, total: count, page, pageSize };
}

/** One published case by code, or 404. */
export async function getPublished(code: string): Promise<FeedbackCase> {
  const c = await FeedbackCase.findOne({
    where: { code: clean(code).toUpperCase(), publishedAt: { [Op.ne]: null } },
    attributes: ['id', 'code', 'orgCode', 'orgName', 'status', 'publicSubject', 'publicContent', 'publicAnswer', 'publishedAt', 'receivedAt', 'answeredAt', 'reopenCount'],
  });
  if (!c) throw NotFound('feedback.notFound');
  return c;
}

/** The staff page of the case a process instance drives, or null. */
export async function casePageOfInstance(instanceId: string): Promise<string | null> {
  const c = await FeedbackCase.findOne({ where: { instanceId }, attributes: ['id'] });
  return c ? `/feedback/${c.id}` : null;
}

// Tracking of dossiers (tra cứu hồ sơ): the public lookup by dossier code behind a second factor the
// submitter knows (the last 4 digits of their phone, or a one-time code e-mailed to them), rate-limited
// per client IP and per submitted code; and the full view of the owner and of staff in scope, with each
// step's time against its limit, the pauses, the history and the live process diagram.
// docs/dossier-tracking.md.
import crypto from 'node:crypto';
import { Op } from 'sequelize';
import { Dossier, DossierStep, DossierTrackingCode, type DossierEvent } from './models.ts';
import { assertCanSee, isOwner } from './access.ts';
import { historyOf } from './core.ts';
import { hitRateLimits } from '../auth/throttle.ts';
import { dbTime, selectRows } from '../engine/sql.ts';
import { findUser } from '../auth/service.ts';
import { getOrgByCode } from '../orgs/service.ts';
import { workingDaysBetween } from '../calendar/service.ts';
import { enqueueJob, getDefinitionRow, getInstance, processFacts, registerJobKind } from '../engine/service.ts';
import { queueMessage } from '../notify/service.ts';
import { inTransaction } from '../store/index.ts';
import { getConfig } from '../config.ts';
import { AppError, NotFound, TooMany } from '../errors.ts';
import { log } from '../log.ts';
import type { Viewer } from '../access/index.ts';

/** The job that makes and e-mails a one-time tracking code (queued for known and unknown codes alike). */
export const JOB_SEND_TRACKING_CODE = 'dossiers.sendTrackingCode';
/** The one refusal of the public lookup: wrong factor and unknown code alike. */
export const TRACKING_REFUSED = 'dossiers.tracking.refused';

const VN_OFFSET_MS = 7 * 3600_000;

/** The Vietnam calendar date (`YYYY-MM-DD`) of an instant. */
export function vnDate(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** The HMAC key made from the configured secret once (remade only when the secret changes, as in tests). */
let hmacKey: { secret: string; key: crypto.KeyObject } | null = null;

function keyed(text: string): Buffer {
  const secret = getConfig().secret;
  if (hmacKey?.secret !== secret) hmacKey = { secret, key: crypto.createSecretKey(Buffer.from(secret, 'utf8')) };
  return crypto.createHmac('sha256', hmacKey.key).update(`dossier-tracking:${text}`).digest();
}

/** The stored hash of a one-time code issued for a dossier code. */
function codeLookup(dossierCode: string, otp: string): string {
  return keyed(`otp:${dossierCode}:${otp}`).toString('hex');
}

/** The last 4 digits of a phone number, or null when it has fewer. */
export function phoneFactor(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length >= 4 ? digits.slice(-4) : null;
}

/** Counts one public attempt against the per-IP and per-code limits; 429 when either is spent. */
async function countAttempt(dossierCode: string, ip: string): Promise<void> {
  const c = getConfig();
  // Both counters in one statement: an attempt past either limit counts on both.
  const waits = await hitRateLimits([
    { scope: 'track-ip', value: ip, limit: c.trackingRatePerIp },
    { scope: 'track-code', value: dossierCode, limit: c.trackingRatePerCode },
  ], c.trackingRateWindowSeconds);
  const wait = Math.max(waits[0] ?? 0, waits[1] ?? 0);
  if (wait > 0) {
    log.warn('tracking rate limit reached', { scope: waits[0] !== null ? 'track-ip' : 'track-code' });
    throw TooMany('dossiers.tracking.rateLimited', { minutes: Math.ceil(wait / 60), retryAfter: wait });
  }
}

/** What the public lookup reads: the dossier by its code and a live one-time code by its hash, each or both missing. */
interface LookupRow {
  id: number | null;
  code: string | null;
  status: Dossier['status'] | null;
  stage: string | null;
  due_at: Date | string | null;
  applicant_phone: string | null;
  otp_id: number | null;
  otp_dossier_id: number | null;
}

// One row whether or not either exists (the one-row derived table), found by the two unique-ish indexes alike.
const LOOKUP_SQL = `SELECT d.id, d.code, d.status, d.stage, d.due_at, d.applicant_phone, c.id AS otp_id, c.dossier_id AS otp_dossier_id
FROM (SELECT 1 AS one) k
LEFT JOIN dossiers d ON d.code = ?
LEFT JOIN dossier_tracking_codes c ON c.lookup = ? AND c.used_at IS NULL AND c.expires_at > ?`;

/** What an anonymous visitor learns after the second factor: status, stage and the expected date only. */
export interface PublicTracking {
  code: string;
  status: Dossier['status'];
  stage: string | null;
  dueAt: Date | null;
}

/**
 * The public view of a dossier by its code, when `factor` is the last 4 digits of the submitter's phone or
 * a live one-time code e-mailed for it. A wrong factor and an unknown code throw the same 401, after the
 * same queries and the same comparisons, so neither the answer nor its timing tells whether a code exists.
 */
export async function lookupPublic(dossierCode: string, factor: string, ip: string): Promise<PublicTracking> {
  // The read runs beside the counting (its answer is dropped when a limit is spent): one round trip of time.
  const read = selectRows<LookupRow>(LOOKUP_SQL, [dossierCode, codeLookup(dossierCode, factor), dbTime(new Date())]);
  read.catch(() => undefined);
  await countAttempt(dossierCode, ip);
  const rows = await read;
  const dossier = rows[0]?.id ? rows[0] : null;
  const otp = rows.find((r) => r.otp_id !== null && r.otp_dossier_id === dossier?.id) ?? null;
  // A dossier without a phone (or no dossier) compares against a value no 4-digit factor can equal.
  const expected = (dossier && phoneFactor(dossier.applicant_phone)) ?? 'none';
  const isPhone = crypto.timingSafeEqual(keyed(`phone:${expected}`), keyed(`phone:${factor}`));
  const isOtp = !!dossier && !!otp;
  if (!dossier || dossier.status === 'draft' || !(isPhone || isOtp)) throw new AppError(TRACKING_REFUSED, 401);
  if (isOtp) {
    // One-time: a second use of the same code (also one racing this) is refused like any wrong factor.
    const [isUsedHere] = await DossierTrackingCode.update({ usedAt: new Date() }, { where: { id: otp.otp_id!, usedAt: null } });
    if (!isUsedHere && !isPhone) throw new AppError(TRACKING_REFUSED, 401);
  }
  return { code: dossier.code!, status: dossier.status!, stage: dossier.stage, dueAt: dossier.due_at ? new Date(dossier.due_at) : null };
}

/**
 * Asks for a one-time code for a dossier code. The answer is the same whether or not the code exists or has
 * an e-mail address: the request only counts against the limits and queues a job, which sends the code.
 */
export async function requestTrackingCode(dossierCode: string, ip: string, locale: 'vi' | 'en'): Promise<void> {
  await countAttempt(dossierCode, ip);
  await enqueueJob(JOB_SEND_TRACKING_CODE, { code: dossierCode, locale });
}

/** Makes a one-time code for a dossier and queues the e-mail with it; returns false when there is nobody to send it to. */
export async function sendTrackingCode(dossierCode: string, locale: 'vi' | 'en' = 'vi', baseUrl = getConfig().baseUrl): Promise<boolean> {
  const dossier = await Dossier.findOne({ where: { code: dossierCode } });
  if (!dossier || dossier.status === 'draft') return false;
  const owner = dossier.ownerUserId ? await findUser({ userId: dossier.ownerUserId }) : null;
  const email = dossier.applicantEmail || owner?.email;
  if (!email) return false;
  const otp = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
  const minutes = getConfig().trackingCodeMinutes;
  const now = new Date();
  await inTransaction(async (t) => {
    await DossierTrackingCode.destroy({ where: { expiresAt: { [Op.lt]: now } }, transaction: t });
    await DossierTrackingCode.create({ dossierId: dossier.id, lookup: codeLookup(dossierCode, otp), expiresAt: new Date(now.getTime() + minutes * 60_000), usedAt: null, createdAt: now }, { transaction: t });
    await queueMessage({
      channel: 'email', event: 'dossier-tracking-code', locale: owner?.locale ?? locale, to: email, recipientUserId: owner?.id ?? null,
      reference: `dossier:${dossierCode}`, data: { recipientName: dossier.applicantName ?? owner?.fullName ?? '', dossierCode, otp, minutes, link: `${baseUrl}/tra-cuu-ho-so` },
    }, { transaction: t });
  });
  return true;
}

registerJobKind(JOB_SEND_TRACKING_CODE, async (job) => {
  const p = job.payload as { code: string; locale?: 'vi' | 'en' };
  await sendTrackingCode(p.code, p.locale === 'en' ? 'en' : 'vi');
});

/** One timed step with the working days it used against its limit. */
export interface StepView {
  step: string;
  name: string | null;
  orgCode: string | null;
  officer: string | null;
  startedAt: Date;
  endedAt: Date | null;
  dueAt: Date | null;
  limitDays: number | null;
  usedDays: number;
  isOverdue: boolean;
}

/** A time the clock stood still (the desk asked for more and waited for the citizen). */
export interface PauseView {
  from: Date;
  to: Date | null;
  reason: string | null;
}

/** A step of the process for the text list beside the diagram. */
export interface ProcessStepView {
  id: string;
  name: string | null;
  state: 'done' | 'current' | 'pending';
}

/** Everything the owner and staff in scope see of a dossier. */
export interface TrackingView {
  dossier: Dossier;
  isOwner: boolean;
  orgName: string | null;
  officerName: string | null;
  stageName: string | null;
  usedDays: number;
  isOverdue: boolean;
  steps: StepView[];
  pauses: PauseView[];
  history: DossierEvent[];
  processSteps: ProcessStepView[];
  hasDiagram: boolean;
}

/** The diagram data of a dossier's handling instance. */
export interface DiagramData {
  xml: string | null;
  current: string[];
  done: string[];
}

async function seeDossier(viewer: Viewer, id: number): Promise<Dossier> {
  const dossier = await Dossier.findByPk(id);
  assertCanSee(viewer, dossier);
  // A draft is the citizen's own unfinished form: nobody tracks it, and staff do not know of it.
  if (dossier.status === 'draft' && !isOwner(viewer, dossier)) throw NotFound('errors.notFound');
  return dossier;
}

/** Working days used from a start to an end (or now), the day of the start not counted. */
async function usedBetween(from: Date, to: Date | null): Promise<number> {
  return workingDaysBetween(vnDate(from), vnDate(to ?? new Date()));
}

/** The pauses of a dossier read from its history: a completeness request or a pause up to the resubmission or resumption. */
export function pausesOf(history: DossierEvent[]): PauseView[] {
  const out: PauseView[] = [];
  let open: PauseView | null = null;
  for (const e of history) {
    if ((e.kind === 'supplement-requested' || e.kind === 'paused') && !open) {
      open = { from: e.at, to: null, reason: e.reason };
      out.push(open);
    } else if ((e.kind === 'resubmitted' || e.kind === 'resumed') && open) {
      open.to = e.at;
      open = null;
    }
  }
  return out;
}

/** Diagram state of an instance: the elements waiting now and those finished (a step done and current again is current). */
async function instanceDiagram(instanceId: string | null): Promise<DiagramData & { names: Map<string, string | null>; order: string[]; userTasks: Array<{ id: string; name: string | null }> }> {
  const empty = { xml: null, current: [], done: [], names: new Map<string, string | null>(), order: [], userTasks: [] };
  if (!instanceId) return empty;
  let instance: Awaited<ReturnType<typeof getInstance>>;
  try {
    instance = await getInstance(instanceId);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return empty;
    throw err;
  }
  const [row, facts] = await Promise.all([getDefinitionRow({ id: instance.definitionId }), processFacts(instance.definitionId)]);
  const current = [...new Set(instance.activeElements.map((a) => a.id))];
  const done = instance.completedElements.filter((id) => !current.includes(id));
  const names = new Map<string, string | null>();
  const order: string[] = [];
  for (const h of instance.history) {
    if (!h.elementId || h.event !== 'start') continue;
    if (!/UserTask|IntermediateCatchEvent|ReceiveTask|ServiceTask|CallActivity|SubProcess|Task$/.test(h.elementType ?? '')) continue;
    if (!names.has(h.elementId)) order.push(h.elementId);
    names.set(h.elementId, h.elementName);
  }
  return { xml: row.xml, current, done, names, order, userTasks: [...facts.tasks.values()].map((t) => ({ id: t.id, name: t.name })) };
}

/** The diagram of a dossier's process with the current and finished steps (owner and staff in scope; others 404). */
export async function diagramOf(viewer: Viewer, id: number): Promise<DiagramData> {
  const dossier = await seeDossier(viewer, id);
  const d = await instanceDiagram(dossier.instanceId);
  return { xml: d.xml, current: d.current, done: d.done };
}

/** The full tracking view of a dossier (owner and staff in scope; others 404). */
export async function trackDossier(viewer: Viewer, id: number): Promise<TrackingView> {
  const dossier = await seeDossier(viewer, id);
  const [history, stepRows, diagram] = await Promise.all([
    historyOf(dossier.id),
    DossierStep.findAll({ where: { dossierId: dossier.id }, order: [['startedAt', 'ASC'], ['id', 'ASC']] }),
    instanceDiagram(dossier.instanceId),
  ]);
  const orgName = await getOrgByCode(dossier.orgCode).then((o) => o.name, () => null);
  const officerUser = dossier.officer ? await findUser({ username: dossier.officer }) : null;
  const now = new Date();
  const steps: StepView[] = [];
  for (const s of stepRows) {
    const usedDays = await usedBetween(s.startedAt, s.endedAt);
    const end = s.endedAt ?? now;
    steps.push({
      step: s.step, name: diagram.names.get(s.step) ?? diagram.userTasks.find((u) => u.id === s.step)?.name ?? null, orgCode: s.orgCode, officer: s.officer,
      startedAt: s.startedAt, endedAt: s.endedAt, dueAt: s.dueAt, limitDays: s.limitDays, usedDays, isOverdue: !!s.dueAt && end.getTime() > s.dueAt.getTime(),
    });
  }
  // Time used against the whole limit: from the start of counting to the end (or the pause, or now), less the paused days.
  const until = dossier.finishedAt ?? dossier.pausedAt ?? now;
  const counted = dossier.countedFrom ? Math.max(0, (await usedBetween(dossier.countedFrom, until)) - (dossier.pausedWorkingDays ?? 0)) : 0;
  const isOverdue = !!dossier.dueAt && !dossier.pausedAt && until.getTime() > dossier.dueAt.getTime();
  // The text list of steps: the ones the instance went through, in order, then the user tasks still ahead.
  const processSteps: ProcessStepView[] = diagram.order.map((sid) => ({ id: sid, name: diagram.names.get(sid) ?? null, state: diagram.current.includes(sid) ? 'current' : 'done' }));
  for (const u of diagram.userTasks) if (!diagram.names.has(u.id)) processSteps.push({ id: u.id, name: u.name, state: 'pending' });
  const stageName = dossier.stage ? diagram.names.get(dossier.stage) ?? diagram.userTasks.find((u) => u.id === dossier.stage)?.name ?? null : null;
  return {
    dossier, isOwner: isOwner(viewer, dossier), orgName, officerName: officerUser?.fullName ?? null, stageName,
    usedDays: counted, isOverdue, steps, pauses: pausesOf(history), history, processSteps, hasDiagram: !!diagram.xml,
  };
}

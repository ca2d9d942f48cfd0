// The core of dossiers every part builds on: the dossier code of Circular 01/2018 Art. 19, receiving a
// dossier (code, counted-from and due date on the working-day calendar, history), the history itself,
// and the job that starts a dossier's handling process. docs/dossiers.md.
import { QueryTypes, type Transaction } from 'sequelize';
import { Dossier, DossierEvent, type DossierChannel, type DossierEventKind } from './models.ts';
import { dueDate } from '../calendar/service.ts';
import { ensureShippedProcesses, enqueueJob, findInstances, registerJobKind, startProcess } from '../engine/service.ts';
import { db, inTransaction, isMysql } from '../store/index.ts';
import { getConfig } from '../config.ts';
import { BadRequest } from '../errors.ts';

/** The process every online dossier runs unless its procedure names another. */
export const DEFAULT_PROCESS = 'dossier-handling';
/** The job that starts a received dossier's handling instance (queued in the receiving transaction). */
export const JOB_START_HANDLING = 'dossiers.startHandling';

const VN_OFFSET_MS = 7 * 3600_000;

/** `YYMMDD` of an instant in Vietnam time. */
export function vnDay(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(2, 10).replace(/-/g, '');
}

/** `{electronic ID}-{YYMMDD}-{XXXX}` (Circular 01/2018/TT-VPCP Art. 19). */
export function formatDossierCode(electronicId: string, receivedAt: Date, seq: number): string {
  if (!Number.isInteger(seq) || seq < 1 || seq > 9999) throw BadRequest('dossiers.codeOverflow', { electronicId });
  return `${electronicId}-${vnDay(receivedAt)}-${String(seq).padStart(4, '0')}`;
}

/** The shape of a dossier code, for routes that take one. */
export const DOSSIER_CODE_RE = /^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}-\d{6}-\d{4}$/;

/**
 * The electronic ID code (mã định danh điện tử, QĐ 20/2020/QĐ-TTg) of a receiving unit: ministries and
 * central agencies (level-1 codes `Gxx`/`Hxx` of seed/agencies.csv) have `000.00.00.<code>`; other units use
 * the configured `DOSSIER_ELECTRONIC_ID` (their codes were not published with the data we hold).
 */
export function electronicIdOf(org: { code: string; level?: string | null }): string {
  if (/^[GH]\d{2}$/.test(org.code)) return `000.00.00.${org.code}`;
  return getConfig().dossierElectronicId;
}

/** The next sequence number of an electronic ID's day, in the caller's transaction (unique across nodes). */
export async function nextSequence(electronicId: string, day: string, t: Transaction): Promise<number> {
  const s = db();
  const upsert = isMysql()
    ? 'INSERT INTO dossier_counters (electronic_id, day, last) VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE last = last + 1'
    : 'INSERT INTO dossier_counters (electronic_id, day, last) VALUES (?, ?, 1) ON CONFLICT (electronic_id, day) DO UPDATE SET last = last + 1';
  await s.query(upsert, { replacements: [electronicId, day], transaction: t });
  // The upsert holds the row's lock until the transaction ends, so this reads our own number.
  const [row] = await s.query('SELECT last FROM dossier_counters WHERE electronic_id = ? AND day = ?', { replacements: [electronicId, day], type: QueryTypes.SELECT, transaction: t }) as Array<{ last: number }>;
  return Number(row.last);
}

/** What a history entry says besides its dossier and kind. */
export interface EventInput {
  step?: string | null;
  actor?: string | null;
  actorName?: string | null;
  orgCode?: string | null;
  toOrgCode?: string | null;
  toOfficer?: string | null;
  reason?: string | null;
  data?: Record<string, unknown> | null;
  at?: Date;
}

/** Appends one entry to a dossier's history (in the caller's transaction). */
export async function addEvent(dossierId: number, kind: DossierEventKind, input: EventInput, t: Transaction): Promise<DossierEvent> {
  return DossierEvent.create({
    dossierId, kind, at: input.at ?? new Date(), step: input.step ?? null, actor: input.actor ?? null, actorName: input.actorName ?? null,
    orgCode: input.orgCode ?? null, toOrgCode: input.toOrgCode ?? null, toOfficer: input.toOfficer ?? null, reason: input.reason ?? null,
    dataJson: input.data ? JSON.stringify(input.data) : null,
  }, { transaction: t });
}

/** A dossier's history, oldest first. */
export async function historyOf(dossierId: number): Promise<DossierEvent[]> {
  return DossierEvent.findAll({ where: { dossierId }, order: [['at', 'ASC'], ['id', 'ASC']] });
}

/** The due date of a limit in the catalog's unit from a receipt instant (null when the procedure has none). */
export async function dueFor(receivedAt: Date, amount: number | null, unit: 'workday' | 'day' | 'hour' | null, t?: Transaction | null): Promise<{ countedFrom: Date; due: Date | null }> {
  if (amount === null || unit === null) return { countedFrom: (await dueDate(receivedAt, 0, t)).countedFrom, due: null };
  if (unit === 'hour') return { countedFrom: receivedAt, due: new Date(receivedAt.getTime() + amount * 3600_000) };
  if (unit === 'day') {
    // Calendar days: the end of the Nth day after the day of receipt, in Vietnam time.
    const endOfDay = new Date(Date.parse(`${new Date(receivedAt.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10)}T23:59:59.999+07:00`));
    return { countedFrom: receivedAt, due: new Date(endOfDay.getTime() + Math.ceil(amount) * 86400_000) };
  }
  const r = await dueDate(receivedAt, amount, t);
  return { countedFrom: r.countedFrom, due: r.due };
}

/** What receiving a dossier needs besides the row. */
export interface ReceiveInput {
  at?: Date;
  channel?: DossierChannel;
  actor?: string | null;
  actorName?: string | null;
  /** The catalog's time limit of the procedure. */
  limit: { amount: number | null; unit: 'workday' | 'day' | 'hour' | null };
  /** The handling process's key (the procedure's, else `dossier-handling`). */
  processKey?: string | null;
}

/**
 * Receives a dossier in the caller's transaction: gives it its code, receipt time, counted-from and due date,
 * status `submitted`, writes the history entry and queues the job that starts its handling process. Every read
 * is in the transaction, so many receipts at once never wait on each other for pool connections.
 */
export async function receiveDossier(dossier: Dossier, input: ReceiveInput, t: Transaction): Promise<Dossier> {
  const at = input.at ?? new Date();
  const { countedFrom, due } = await dueFor(at, input.limit.amount, input.limit.unit, t);
  const electronicId = dossier.electronicId ?? electronicIdOf({ code: dossier.orgCode });
  const seq = await nextSequence(electronicId, vnDay(at), t);
  const code = formatDossierCode(electronicId, at, seq);
  await dossier.update({
    code, electronicId, status: 'submitted', stage: 'receive', channel: input.channel ?? dossier.channel,
    submittedAt: at, receivedAt: at, countedFrom, dueAt: due, limitDays: input.limit.unit === 'workday' ? input.limit.amount : dossier.limitDays,
    version: dossier.version + 1,
  }, { transaction: t });
  await addEvent(dossier.id, 'submitted', { at, actor: input.actor ?? null, actorName: input.actorName ?? null, orgCode: dossier.orgCode, data: { channel: dossier.channel, due: due?.toISOString() ?? null } }, t);
  await enqueueJob(JOB_START_HANDLING, { dossierId: dossier.id, processKey: input.processKey || DEFAULT_PROCESS }, at, { transaction: t });
  return dossier;
}

/** The business key of a dossier's handling instance. */
export function businessKeyOf(dossierId: number): string {
  return `dossier:${dossierId}`;
}

/** Starts a dossier's handling instance unless it has one (a repeated job or a second node starts none). */
export async function startHandling(dossierId: number, processKey = DEFAULT_PROCESS): Promise<string | null> {
  const dossier = await Dossier.findByPk(dossierId);
  if (!dossier || dossier.instanceId || dossier.status === 'withdrawn' || dossier.status === 'draft') return dossier?.instanceId ?? null;
  await ensureShippedProcesses();
  const businessKey = businessKeyOf(dossierId);
  const [already] = await findInstances({ definitionKey: processKey, businessKey });
  const instance = already ?? await startProcess(processKey, {
    businessKey,
    variables: { dossierId, dossierCode: dossier.code, procedure: dossier.procedureCode, orgCode: dossier.orgCode, channel: dossier.channel },
    org: { code: dossier.orgCode, path: dossier.orgPath },
  });
  await inTransaction(async (t) => {
    await Dossier.update({ instanceId: instance.id }, { where: { id: dossierId, instanceId: null }, transaction: t });
  });
  return instance.id;
}

registerJobKind(JOB_START_HANDLING, async (job) => {
  const p = job.payload as { dossierId: number; processKey?: string };
  await startHandling(p.dossierId, p.processKey || DEFAULT_PROCESS);
});

/** What the handling asks of the payments domain, which registers itself here (dossiers do not import it). */
export interface PaymentSeam {
  /** The fee still to pay for a dossier in VND (0: paid or free; null: the catalog names no amount). */
  amountDue(dossierId: number): Promise<number | null>;
  /** Tells the waiting process of a payment made before it waited; true when it did. */
  correlateIfPaid(dossierId: number): Promise<boolean>;
}

let paymentSeam: PaymentSeam | null = null;

/** Registers the payments domain's answers (src/payments/service.ts does at load). */
export function registerPaymentSeam(seam: PaymentSeam): void {
  paymentSeam = seam;
}

/** The registered payments domain, if any. */
export function payments(): PaymentSeam | null {
  return paymentSeam;
}

// The core of dossiers every part builds on: the dossier code of Circular 01/2018 Art. 19, receiving a
// dossier (code, counted-from and due date on the working-day calendar, history), the history itself,
// and the job that starts a dossier's handling process. docs/dossiers.md.
import { QueryTypes, type Transaction } from 'sequelize';
import { Dossier, DossierEvent, type DossierChannel, type DossierEventKind } from './models.ts';
import { dueDate } from '../calendar/service.ts';
import { cancelInstance, ensureShippedProcesses, enqueueJob, findInstances, registerBatchJobKind, startProcesses } from '../engine/service.ts';
import { db, inTransaction, isMysql, storedTime, txStatement } from '../store/index.ts';
import { getConfig } from '../config.ts';
import { factsOf, flagsOf, trackChange } from '../insight/track.ts';
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

/**
 * The next sequence number of an electronic ID's day, in the caller's transaction (unique across nodes): one upsert
 * that answers with the new number (`RETURNING` on SQLite; on MySQL/MariaDB `LAST_INSERT_ID(expr)`, which the
 * statement's own result reports). The upsert holds the row's lock until the transaction ends.
 */
export async function nextSequence(electronicId: string, day: string, t: Transaction): Promise<number> {
  if (isMysql()) {
    const r = await txStatement(t, 'run', 'INSERT INTO dossier_counters (electronic_id, day, last) VALUES (?, ?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE last = LAST_INSERT_ID(last + 1)', [electronicId, day]);
    return r.insertId;
  }
  const r = await txStatement<{ last: number }>(t, 'rows', 'INSERT INTO dossier_counters (electronic_id, day, last) VALUES (?, ?, 1) ON CONFLICT (electronic_id, day) DO UPDATE SET last = last + 1 RETURNING last', [electronicId, day]);
  return Number(r.rows[0].last);
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

const EVENT_COLUMNS = ['dossier_id', 'at', 'kind', 'step', 'actor', 'actor_name', 'org_code', 'to_org_code', 'to_officer', 'reason', 'data_json'];
const INSERT_EVENT = `INSERT INTO dossier_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`;

/** Appends one entry to a dossier's history (in the caller's transaction; one plain statement: it is on every receipt and step). */
export async function addEvent(dossierId: number, kind: DossierEventKind, input: EventInput, t: Transaction): Promise<DossierEvent> {
  const values = {
    dossierId, kind, at: input.at ?? new Date(), step: input.step ?? null, actor: input.actor ?? null, actorName: input.actorName ?? null,
    orgCode: input.orgCode ?? null, toOrgCode: input.toOrgCode ?? null, toOfficer: input.toOfficer ?? null, reason: input.reason ?? null,
    dataJson: input.data ? JSON.stringify(input.data) : null,
  };
  const r = await txStatement(t, 'run', INSERT_EVENT, [
    values.dossierId, storedTime(values.at), values.kind, values.step, values.actor, values.actorName, values.orgCode, values.toOrgCode, values.toOfficer, values.reason, values.dataJson,
  ]);
  return DossierEvent.build({ id: r.insertId, ...values }, { isNewRecord: false, raw: true });
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
 * is in the transaction, so many receipts at once never wait on each other for pool connections. The row must
 * be as created or read (locked) in `t`: its values are the statistics' "before" of the change.
 */
export async function receiveDossier(dossier: Dossier, input: ReceiveInput, t: Transaction): Promise<Dossier> {
  const at = input.at ?? new Date();
  const { countedFrom, due } = await dueFor(at, input.limit.amount, input.limit.unit, t);
  const electronicId = dossier.electronicId ?? electronicIdOf({ code: dossier.orgCode });
  const seq = await nextSequence(electronicId, vnDay(at), t);
  const code = formatDossierCode(electronicId, at, seq);
  // The statistics' change is applied here from the row in hand: the insight hooks would read the row before and
  // after the update (two SELECTs per receipt) to learn what the caller's transaction already holds.
  // Its files may have been attached in this transaction after the row was read: the flags they set are read anew.
  const flags = await flagsOf(dossier.id, t);
  const before = { ...factsOf(dossier.get({ plain: true })), ...flags };
  await updateReceived(dossier, {
    code, electronicId, status: 'submitted', stage: 'receive', channel: input.channel ?? dossier.channel,
    submittedAt: at, receivedAt: at, countedFrom, dueAt: due, limitDays: input.limit.unit === 'workday' ? input.limit.amount : dossier.limitDays,
    version: dossier.version + 1, updatedAt: new Date(),
  }, t);
  await trackChange(before, { ...factsOf(dossier.get({ plain: true })), ...flags }, t);
  await addEvent(dossier.id, 'submitted', { at, actor: input.actor ?? null, actorName: input.actorName ?? null, orgCode: dossier.orgCode, data: { channel: dossier.channel, due: due?.toISOString() ?? null } }, t);
  // The handling starts now, whatever the receipt time says (a desk entering a dossier received earlier).
  await enqueueJob(JOB_START_HANDLING, { dossierId: dossier.id, processKey: input.processKey || DEFAULT_PROCESS }, new Date(), { transaction: t });
  return dossier;
}

/** What receiving writes on the dossier row. */
type Received = Pick<Dossier, 'code' | 'electronicId' | 'status' | 'stage' | 'channel' | 'submittedAt' | 'receivedAt' | 'countedFrom' | 'dueAt' | 'limitDays' | 'version' | 'updatedAt'>;

/**
 * Writes the receipt's values on the row in one plain UPDATE and leaves the instance as a saved update would: the
 * values set, nothing left to save. Plain SQL on purpose: the statistics' change is applied by the caller from the
 * row in hand (the insight hooks would read the row before and after), and Sequelize's save pipeline costs more than
 * the statement.
 */
async function updateReceived(dossier: Dossier, v: Received, t: Transaction): Promise<void> {
  await txStatement(t, 'run',
    'UPDATE dossiers SET code = ?, electronic_id = ?, status = ?, stage = ?, channel = ?, submitted_at = ?, received_at = ?, counted_from = ?, due_at = ?, limit_days = ?, version = ?, updated_at = ? WHERE id = ?',
    [v.code, v.electronicId, v.status, v.stage, v.channel, storedTime(v.submittedAt), storedTime(v.receivedAt), storedTime(v.countedFrom), storedTime(v.dueAt), v.limitDays, v.version, storedTime(v.updatedAt), dossier.id]);
  const previous = (dossier as unknown as { _previousDataValues: Record<string, unknown> })._previousDataValues;
  for (const [key, value] of Object.entries(v)) {
    dossier.setDataValue(key as keyof Received, value as never);
    previous[key] = value;
    dossier.changed(key as keyof Received, false);
  }
}

/** The business key of a dossier's handling instance. */
export function businessKeyOf(dossierId: number): string {
  return `dossier:${dossierId}`;
}

/** What starting one dossier's handling gave: its instance id, null when it needs none, or why it failed. */
export type HandlingStart = { instanceId: string | null } | { error: unknown };

/** A received dossier whose handling is to start, as the start needs it. */
type ToStart = Pick<Dossier, 'id' | 'code' | 'procedureCode' | 'orgCode' | 'orgPath' | 'channel'>;

/**
 * Starts the handling instances of received dossiers of one process in one engine batch (one transaction) and
 * records them on the dossiers. An instance that a crashed run started but did not record is found by its
 * business key and recorded instead of starting a second one. All or nothing, as the engine's batch start.
 */
async function startGroup(processKey: string, dossiers: ToStart[]): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  const keys = dossiers.map((d) => businessKeyOf(d.id));
  // Newest first, so the newest of several instances with one business key wins (as startHandling always chose).
  const found = new Map<string, string>();
  for (const i of await findInstances({ definitionKey: processKey, businessKey: keys })) if (i.businessKey && !found.has(i.businessKey)) found.set(i.businessKey, i.id);
  const missing = dossiers.filter((d) => !found.has(businessKeyOf(d.id)));
  const started = await startProcesses(processKey, missing.map((d) => ({
    businessKey: businessKeyOf(d.id),
    variables: { dossierId: d.id, dossierCode: d.code, procedure: d.procedureCode, orgCode: d.orgCode, channel: d.channel },
    org: { code: d.orgCode, path: d.orgPath },
  })));
  for (const i of started) found.set(i.businessKey!, i.id);
  for (const d of dossiers) ids.set(d.id, found.get(businessKeyOf(d.id))!);
  await recordInstances(ids);
  // What the dossiers hold now. A start racing this one (the counter's direct start and its job) may have recorded
  // its instance first: ours is then a duplicate and is cancelled. A dossier withdrawn meanwhile had no instance to
  // cancel yet: its instance is cancelled now.
  const ours = new Set(started.map((i) => i.id));
  const now = await Dossier.findAll({ where: { id: [...ids.keys()] }, attributes: ['id', 'instanceId', 'status'] });
  for (const d of now) {
    const mine = ids.get(d.id)!;
    if (d.instanceId && d.instanceId !== mine) {
      if (ours.has(mine)) await cancelInstance(mine, null).catch(() => {});
      ids.set(d.id, d.instanceId);
    } else if (d.status === 'withdrawn') {
      await cancelInstance(mine, null).catch(() => {});
    }
  }
  return ids;
}

/**
 * Writes the instance ids of dossiers that have none, in one statement. Plain SQL on purpose: the instance id is
 * no figure of the statistics, so the insight hooks (two reads per row and an empty delta) have nothing to do.
 */
async function recordInstances(ids: Map<number, string>): Promise<void> {
  if (!ids.size) return;
  const entries = [...ids];
  await inTransaction(async (t) => {
    await db().query(
      `UPDATE dossiers SET instance_id = CASE id ${entries.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE instance_id IS NULL AND id IN (${entries.map(() => '?').join(', ')})`,
      { replacements: [...entries.flat(), ...entries.map(([id]) => id)], type: QueryTypes.UPDATE, transaction: t },
    );
  });
}

/**
 * Starts the handling instances of several received dossiers, each unless it has one (a repeated job or a second
 * node starts none), grouped by process into engine batch starts. When a batch fails, each of its dossiers is
 * started alone, so one bad dossier costs the others nothing. Answers per dossier id.
 */
export async function startHandlings(items: ReadonlyArray<{ dossierId: number; processKey?: string | null }>): Promise<Map<number, HandlingStart>> {
  const out = new Map<number, HandlingStart>();
  if (!items.length) return out;
  const rows = await Dossier.findAll({ where: { id: [...new Set(items.map((i) => i.dossierId))] }, attributes: ['id', 'code', 'procedureCode', 'orgCode', 'orgPath', 'channel', 'status', 'instanceId'] });
  const byId = new Map(rows.map((d) => [d.id, d]));
  const groups = new Map<string, ToStart[]>();
  for (const item of items) {
    if (out.has(item.dossierId)) continue;
    const d = byId.get(item.dossierId);
    if (!d || d.instanceId || d.status === 'withdrawn' || d.status === 'draft') {
      out.set(item.dossierId, { instanceId: d?.instanceId ?? null });
      continue;
    }
    out.set(d.id, { instanceId: null });
    const key = item.processKey || DEFAULT_PROCESS;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  if (!groups.size) return out;
  await ensureShippedProcesses();
  for (const [key, dossiers] of groups) {
    try {
      for (const [id, instanceId] of await startGroup(key, dossiers)) out.set(id, { instanceId });
    } catch (batchError) {
      if (dossiers.length === 1) {
        out.set(dossiers[0].id, { error: batchError });
        continue;
      }
      for (const d of dossiers) {
        try {
          out.set(d.id, { instanceId: (await startGroup(key, [d])).get(d.id)! });
        } catch (err) {
          out.set(d.id, { error: err });
        }
      }
    }
  }
  return out;
}

/** Starts a dossier's handling instance unless it has one (a repeated job or a second node starts none). */
export async function startHandling(dossierId: number, processKey = DEFAULT_PROCESS): Promise<string | null> {
  const r = (await startHandlings([{ dossierId, processKey }])).get(dossierId)!;
  if ('error' in r) throw r.error;
  return r.instanceId;
}

registerBatchJobKind(JOB_START_HANDLING, async (job) => {
  const p = job.payload as { dossierId: number; processKey?: string };
  await startHandling(p.dossierId, p.processKey || DEFAULT_PROCESS);
}, {
  max: 50,
  async runMany(jobs) {
    const items = jobs.map((j) => j.payload as { dossierId: number; processKey?: string });
    const results = await startHandlings(items);
    const failures = new Map<number, unknown>();
    for (const [i, j] of jobs.entries()) {
      const r = results.get(items[i].dossierId);
      if (r && 'error' in r) failures.set(j.id, r.error);
    }
    return failures;
  },
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

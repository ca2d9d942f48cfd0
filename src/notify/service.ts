// The notification outbox. A message is a row written in the transaction of the action that causes
// it, with the job that delivers it; delivery runs as the engine job kind `notify.deliver` on any node.
// One try is sent at most once: the messages of a job are marked `sending` by one guarded update that
// stamps a claim token (a row already `sending` or not due does not match, so only one node wins each
// try) before the channel is called, and each attempt is recorded as soon as its channel answers. The hold (`sending_until`) is
// renewed while the tries run, so only a try that a dead node left in `sending` is ever taken over.
import crypto from 'node:crypto';
import { Op, literal, type Transaction, type WhereOptions } from 'sequelize';
import { NotifyAttempt, NotifyMessage, NotifyPreference, CHANNELS, type Channel, type Status } from './models.ts';
import { isDeliverableAddress, sendEmail, sendSms, type SendResult } from './channels.ts';
import { renderMessage } from './templates.ts';
import { enqueueJob, registerJobKind } from '../engine/service.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import type { Viewer } from '../access/index.ts';
import { NotFound, BadRequest } from '../errors.ts';
import { getConfig } from '../config.ts';
import { db, inTransaction, isMysql, storedTime, txStatement } from '../store/index.ts';
import { dbTime, placeholders, selectRows, withTx } from '../engine/sql.ts';
import { log } from '../log.ts';
import type { Locale } from '../i18n/index.ts';

/** The engine job kind that delivers one message. */
export const JOB_NOTIFY_DELIVER = 'notify.deliver';

/** Statuses after which nothing more happens without a resend by hand. */
export const FAILURE_STATUSES: Status[] = ['temporary-failure', 'permanent-failure', 'technical-failure'];

/** What to send, to whom and why. */
export interface QueueInput {
  channel: Channel;
  /** The template's event, e.g. `task-assigned`. */
  event: string;
  locale?: Locale;
  /** E-mail address, phone number, or (in-app) the user id as text. */
  to: string;
  recipientUserId?: number | null;
  recipientOrgCode?: string | null;
  senderOrgCode?: string | null;
  /** What the message is about, e.g. `task:12`, `dossier:HS-1`. */
  reference?: string | null;
  /** Values for the template. */
  data?: Record<string, unknown>;
  /** Not sent (nor shown in the bell) before this instant: reminders and escalations are queued ahead. */
  notBefore?: Date | string | null;
}

/** Writes a message into the outbox inside the caller's transaction (or one of its own) and schedules its delivery there. */
export async function queueMessage(input: QueueInput, opts: { transaction?: Transaction | null } = {}): Promise<NotifyMessage> {
  return (await queueMessages([input], opts))[0];
}

/** Messages one delivery job carries at most. */
export const JOB_BATCH = 100;

/**
 * Writes many messages in one transaction (the caller's, or one of its own) with one delivery job per
 * JOB_BATCH of them: a cycle that notifies every unit pays one job, not one per message.
 */
export async function queueMessages(inputs: QueueInput[], opts: { transaction?: Transaction | null } = {}): Promise<NotifyMessage[]> {
  const now = new Date();
  const rows = inputs.map((input) => {
    if (!(CHANNELS as readonly string[]).includes(input.channel)) throw BadRequest('notify.unknownChannel', { channel: input.channel });
    const locale = input.locale ?? 'vi';
    const rendered = renderMessage(input.event, locale, { link: getConfig().baseUrl, ...(input.data ?? {}) });
    const dueAt = dueAtOf(input.notBefore, now);
    // A scheduled in-app message waits in the outbox like the others and reaches the bell when due.
    const isInApp = input.channel === 'inapp' && dueAt.getTime() <= now.getTime();
    return {
      channel: input.channel, event: input.event, locale, recipient: input.to, recipientUserId: input.recipientUserId ?? null,
      recipientOrgCode: input.recipientOrgCode ?? null, senderOrgCode: input.senderOrgCode ?? null, reference: input.reference ?? null,
      subject: rendered.subject.slice(0, 500), body: input.channel === 'sms' ? rendered.sms : rendered.text,
      status: (isInApp ? 'delivered' : 'created') as Status, attempts: 0, tries: 0, nextAttemptAt: isInApp ? null : dueAt, deliveredAt: isInApp ? now : null,
    };
  });
  return inTransaction(async (t) => {
    const created: NotifyMessage[] = [];
    for (const r of rows) created.push(await insertMessage(r, now, t));
    // One job per due instant and JOB_BATCH messages: a reminder's job wakes when the reminder is due.
    const byDue = new Map<number, number[]>();
    for (const m of created) {
      if (m.status === 'delivered') continue;
      const at = m.nextAttemptAt!.getTime();
      byDue.set(at, [...(byDue.get(at) ?? []), m.id]);
    }
    for (const [at, ids] of byDue) {
      for (let i = 0; i < ids.length; i += JOB_BATCH) await enqueueJob(JOB_NOTIFY_DELIVER, { ids: ids.slice(i, i + JOB_BATCH) }, new Date(at), { transaction: t });
    }
    return created;
  }, opts.transaction);
}

/** A new outbox row's values. */
type NewMessage = Pick<NotifyMessage, 'channel' | 'event' | 'locale' | 'recipient' | 'recipientUserId' | 'recipientOrgCode' | 'senderOrgCode' | 'reference'
  | 'subject' | 'body' | 'status' | 'attempts' | 'tries' | 'nextAttemptAt' | 'deliveredAt'>;

const MESSAGE_COLUMNS = ['channel', 'event', 'locale', 'recipient', 'recipient_user_id', 'recipient_org_code', 'sender_org_code', 'reference', 'subject', 'body',
  'status', 'attempts', 'tries', 'next_attempt_at', 'delivered_at', 'created_at', 'updated_at'];
const INSERT_MESSAGE = `INSERT INTO notify_messages (${MESSAGE_COLUMNS.join(', ')}) VALUES (${MESSAGE_COLUMNS.map(() => '?').join(', ')})`;

/**
 * Writes one outbox row with a plain statement and answers it as Sequelize's create would. Messages are queued in the
 * transactions of receipts and steps, where the model's save pipeline cost more than the statement.
 */
async function insertMessage(r: NewMessage, now: Date, t: Transaction): Promise<NotifyMessage> {
  const at = (d: Date | null) => storedTime(d, true);
  const { insertId } = await txStatement(t, 'run', INSERT_MESSAGE, [
    r.channel, r.event, r.locale, r.recipient, r.recipientUserId, r.recipientOrgCode, r.senderOrgCode, r.reference, r.subject, r.body,
    r.status, r.attempts, r.tries, at(r.nextAttemptAt), at(r.deliveredAt), at(now), at(now),
  ]);
  return NotifyMessage.build({
    id: insertId, ...r, sendingUntil: null, sendingOwner: null, lastError: null, readAt: null, createdAt: now, updatedAt: now,
  }, { isNewRecord: false, raw: true });
}

/** When a message is first due: now, or its notBefore when that is later; a bad instant is a 400. */
function dueAtOf(notBefore: Date | string | null | undefined, now: Date): Date {
  if (notBefore === null || notBefore === undefined) return now;
  const at = new Date(notBefore);
  if (Number.isNaN(at.getTime())) throw BadRequest('notify.badNotBefore', { value: String(notBefore) });
  return at.getTime() > now.getTime() ? at : now;
}

/** What cancelMessages matches: the messages about one thing, optionally of some events only. */
export interface CancelQuery {
  reference: string;
  events?: string[];
}

/**
 * Cancels the messages about a reference that have not been sent: queued ones (a reminder whose report
 * was submitted meanwhile) and failed ones still waiting for a retry. A try in flight (`sending`) is
 * left alone, so this never races a delivery; returns how many were cancelled.
 */
export async function cancelMessages(q: CancelQuery, opts: { transaction?: Transaction | null } = {}): Promise<number> {
  if (!q.reference) return 0;
  const where: WhereOptions = {
    reference: q.reference,
    status: { [Op.in]: ['created', 'temporary-failure', 'technical-failure'] },
    nextAttemptAt: { [Op.ne]: null },
    ...(q.events?.length ? { event: { [Op.in]: q.events } } : {}),
  };
  const [n] = await NotifyMessage.update({ status: 'cancelled', nextAttemptAt: null }, { where, transaction: opts.transaction ?? undefined });
  return n;
}

/** How long to wait before try number `attempt + 1`: NOTIFY_RETRY_MS doubled per try, between half and all of it (jitter spreads a burst of retries). */
export function retryDelayMs(attempt: number, base = getConfig().notifyRetryMs, random = Math.random()): number {
  const full = base * 2 ** Math.max(0, attempt - 1);
  return Math.round(full / 2 + (full / 2) * random);
}

/**
 * What delivery reads of a message: the columns it needs, as plain values. Delivery reads and writes
 * them with raw statements (no model instances, no Sequelize query pipeline) because those were the
 * largest part of its cost beyond SMTP itself (see the benchmark in docs/notify.md).
 */
interface Claimed {
  id: number;
  channel: Channel;
  recipient: string;
  subject: string;
  body: string;
  status: Status;
  attempts: number;
  tries: number;
  nextAttemptAt: Date | null;
  sendingUntil: Date | null;
  sendingOwner: string | null;
}

const CLAIMED_COLUMNS = 'id, channel, recipient, subject, body, status, attempts, tries, next_attempt_at, sending_until, sending_owner';

/** A raw DATE value as a Date: MariaDB's driver gives Dates, SQLite the stored text. */
function asDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(String(v));
}

async function readClaimed(where: string, params: unknown[]): Promise<Claimed[]> {
  const rows = await selectRows<Record<string, unknown>>(`SELECT ${CLAIMED_COLUMNS} FROM notify_messages WHERE ${where}`, params);
  return rows.map((r) => ({
    id: Number(r.id), channel: r.channel as Channel, recipient: String(r.recipient), subject: String(r.subject), body: String(r.body), status: r.status as Status,
    attempts: Number(r.attempts), tries: Number(r.tries), nextAttemptAt: asDate(r.next_attempt_at), sendingUntil: asDate(r.sending_until), sendingOwner: (r.sending_owner as string | null) ?? null,
  }));
}

/** Plain UPDATEs: the model has no validators or hooks, so update() need not build an instance to run them. */
const PLAIN = { validate: false, hooks: false } as const;

async function send(m: Claimed): Promise<SendResult> {
  if (!isDeliverableAddress(m.channel, m.recipient)) return { outcome: 'permanent-failure', response: `not a valid ${m.channel} address` };
  if (m.channel === 'email') return sendEmail({ id: m.id, to: m.recipient, subject: m.subject, body: m.body });
  if (m.channel === 'sms') return sendSms({ id: m.id, to: m.recipient, subject: m.subject, body: m.body });
  return { outcome: 'delivered', response: 'in-app' };
}

/** What one try came to, for one message held by a claim. */
interface Outcome {
  m: Claimed;
  result: SendResult;
  ms: number | null;
}

/** Writes attempt rows in one multi-row INSERT without model instances (plain facts, nothing reads them back here). */
async function insertAttempts(outcomes: Outcome[], node: string, at: Date): Promise<void> {
  await db().getQueryInterface().bulkInsert(NotifyAttempt.getTableName() as string, outcomes.map(({ m, result, ms }) => ({
    message_id: m.id, seq: m.tries, node, outcome: result.outcome, response: result.response.slice(0, 4000), ms, at,
  })));
}

/**
 * Applies the outcomes of tries whose attempt rows are written (failures at the end of a job, and a
 * takeover finishing a dead node's try from its row): deliveries and permanent failures are one UPDATE
 * per kind, without a transaction; a retry writes its status and its next job together. All guarded by
 * the claim's token.
 */
async function finishTries(token: string, outcomes: Outcome[], opts: { hasRows?: boolean } = {}): Promise<void> {
  if (!outcomes.length) return;
  const cfg = getConfig();
  const now = new Date();
  if (!opts.hasRows) await insertAttempts(outcomes, cfg.nodeName, now);
  const held = (ids: number[]) => ({ id: { [Op.in]: ids }, status: 'sending', sendingOwner: token });
  const delivered = outcomes.filter((o) => o.result.outcome === 'delivered').map((o) => o.m.id);
  if (delivered.length) await NotifyMessage.update({ status: 'delivered', sendingUntil: null, sendingOwner: null, nextAttemptAt: null, lastError: null, deliveredAt: now }, { where: held(delivered), ...PLAIN });
  for (const { m, result } of outcomes.filter((o) => o.result.outcome !== 'delivered')) {
    const retry = result.outcome !== 'permanent-failure' && m.attempts < cfg.notifyMaxAttempts;
    const nextAt = retry ? new Date(now.getTime() + retryDelayMs(m.attempts)) : null;
    const fields = { status: result.outcome, sendingUntil: null, sendingOwner: null, nextAttemptAt: nextAt, lastError: result.response.slice(0, 4000), deliveredAt: null };
    if (!nextAt) {
      await NotifyMessage.update(fields, { where: held([m.id]) });
      continue;
    }
    await inTransaction(async (t) => {
      const [count] = await NotifyMessage.update(fields, { where: held([m.id]), transaction: t });
      // Zero rows: the hold ran out and another node took the message over; it schedules what follows.
      if (count === 1) await enqueueJob(JOB_NOTIFY_DELIVER, { ids: [m.id] }, nextAt, { transaction: t });
    });
  }
}

/** An answer waiting for the group commit, with the claim that holds its message. */
interface Recording {
  token: string;
  outcome: Outcome;
  done: (err?: unknown) => void;
}

/** Answers per write at most (each binds 5 values; SQLite allows 999 values and 500 UNION terms per statement). */
const RECORD_BATCH = 100;

const recordQueue: Recording[] = [];
let recording: Promise<void> | null = null;

/**
 * Records the answer of one try and resolves when it is committed: its attempt row and, for a
 * delivery, the message's `delivered` status, in one transaction. Group commit: the answers that arrive
 * while a write is in flight (from every job of this process) go together in the next write, so a burst
 * costs one multi-row INSERT and one UPDATE per claim instead of a commit per message, and no answer
 * waits longer than about two writes. The caller starts no other try before this resolves, so a node
 * killed at any moment leaves at most its tries in flight without a recorded answer.
 */
function recordOutcome(token: string, outcome: Outcome): Promise<void> {
  return new Promise((resolve, reject) => {
    recordQueue.push({ token, outcome, done: (err) => (err ? reject(err) : resolve()) });
    recording ??= drainRecords();
  });
}

async function drainRecords(): Promise<void> {
  // The answers that arrive in the same turn of the event loop join the first write.
  await new Promise((r) => setImmediate(r));
  try {
    while (recordQueue.length) {
      const batch = recordQueue.splice(0, RECORD_BATCH);
      try {
        await writeOutcomes(batch);
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.done(err);
      }
    }
  } finally {
    recording = null;
  }
}

/**
 * One transaction: the attempt rows of the answers whose message its claim still holds (the row's
 * sequence is the message's current try; a message taken over meanwhile gets no row from the late
 * answer, and a row the takeover wrote first is kept), then per claim one UPDATE of the delivered ones,
 * guarded by the token and by their `delivered` row.
 */
async function writeOutcomes(batch: Recording[]): Promise<void> {
  const at = dbTime(new Date());
  const terms = batch.map(() => 'SELECT ? AS id, ? AS owner, ? AS outcome, ? AS response, ? AS ms').join(' UNION ALL ');
  const values = batch.flatMap(({ token, outcome: { m, result, ms } }) => [m.id, token, result.outcome, result.response.slice(0, 4000), ms]);
  const delivered = new Map<string, number[]>();
  for (const { token, outcome } of batch) if (outcome.result.outcome === 'delivered') delivered.set(token, [...(delivered.get(token) ?? []), outcome.m.id]);
  await withTx(async (tx) => {
    void tx.queue(
      `${isMysql() ? 'INSERT IGNORE' : 'INSERT OR IGNORE'} INTO notify_attempts (message_id, seq, node, outcome, response, ms, at) `
      + `SELECT m.id, m.tries, ?, v.outcome, v.response, v.ms, ? FROM notify_messages m JOIN (${terms}) v ON v.id = m.id AND v.owner = m.sending_owner WHERE m.status = 'sending'`,
      [getConfig().nodeName, at, ...values],
    );
    for (const [token, ids] of delivered) {
      void tx.queue(
        `UPDATE notify_messages SET status = 'delivered', sending_until = NULL, sending_owner = NULL, next_attempt_at = NULL, last_error = NULL, delivered_at = ?, updated_at = ? `
        + `WHERE id IN (${placeholders(ids.length)}) AND status = 'sending' AND sending_owner = ? `
        + `AND EXISTS (SELECT 1 FROM notify_attempts a WHERE a.message_id = notify_messages.id AND a.seq = notify_messages.tries AND a.outcome = 'delivered')`,
        [at, at, ...ids, token],
      );
    }
  });
}

/** Most tries of one job in flight at once (the SMTP pool has as many connections). */
const SEND_CONCURRENCY = 8;

async function sendAll(token: string, rows: Claimed[], stopAt: number): Promise<{ outcomes: Outcome[]; untried: Claimed[] }> {
  const out: Outcome[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, rows.length) }, async () => {
    // No try starts after stopAt: its outcome must be recorded while the claim still holds, or another
    // node would take the message over as interrupted and send it again.
    while (next < rows.length && Date.now() < stopAt) {
      const m = rows[next++];
      const started = Date.now();
      let result: SendResult;
      try {
        result = await send(m);
      } catch (err) {
        result = { outcome: 'technical-failure', response: String((err as Error)?.message ?? err) };
      }
      if (result.outcome !== 'delivered') log.warn('notification not delivered', { id: m.id, channel: m.channel, attempt: m.attempts, outcome: result.outcome, response: result.response });
      const outcome = { m, result, ms: Date.now() - started };
      // The answer is the fact of this try, committed (group commit) before this lane starts another:
      // a node that dies later in the job leaves it for the takeover, which then does not send the
      // message again.
      await recordOutcome(token, outcome);
      out.push(outcome);
    }
  }));
  return { outcomes: out, untried: rows.slice(next) };
}

/** Gives untried messages of a claim back to the queue, as they were before it, with a job to try them. */
async function releaseUntried(token: string, untried: Claimed[]): Promise<void> {
  if (!untried.length) return;
  const ids = untried.map((m) => m.id);
  await inTransaction(async (t) => {
    await NotifyMessage.update(
      { status: 'created', attempts: literal('attempts - 1'), tries: literal('tries - 1'), sendingUntil: null, sendingOwner: null, nextAttemptAt: new Date() },
      { where: { id: { [Op.in]: ids }, status: 'sending', sendingOwner: token }, transaction: t },
    );
    await enqueueJob(JOB_NOTIFY_DELIVER, { ids }, new Date(), { transaction: t });
  });
}

let claimSeq = 0;

/** Delivers the messages whose try is due (the `notify.deliver` job). Safe to run twice, on any node. */
export async function deliverMessages(ids: number[]): Promise<void> {
  if (!ids.length) return;
  const cfg = getConfig();
  const rows = await readClaimed(`id IN (${placeholders(ids.length)})`, ids);
  const now = Date.now();
  const heldElsewhere = rows.filter((m) => m.status === 'sending' && m.sendingUntil && m.sendingUntil.getTime() > now);
  if (heldElsewhere.length) {
    // Another node holds these tries; look again when the last of its holds ends.
    const until = Math.max(...heldElsewhere.map((m) => m.sendingUntil!.getTime()));
    await enqueueJob(JOB_NOTIFY_DELIVER, { ids: heldElsewhere.map((m) => m.id) }, new Date(until + 10));
  }
  for (const m of rows.filter((r) => r.status === 'sending' && !heldElsewhere.includes(r))) {
    // The node that held the try stopped. Its attempt row, when written, says how the try ended;
    // without one the try counts and its outcome is unknown.
    const row = await NotifyAttempt.findOne({ where: { messageId: m.id, seq: m.tries } });
    const result: SendResult = row
      ? { outcome: row.outcome as SendResult['outcome'], response: row.response ?? '' }
      : { outcome: 'technical-failure', response: 'interrupted: the node sending it stopped before recording the answer' };
    await finishTries(m.sendingOwner ?? '', [{ m, result, ms: null }], { hasRows: !!row });
  }
  // A resend by hand leaves the older retry job behind; it finds the try not due yet and does nothing.
  const due = rows.filter((m) => m.status !== 'sending' && m.status !== 'delivered' && m.status !== 'permanent-failure' && m.nextAttemptAt && m.nextAttemptAt.getTime() <= now + 1000);
  if (!due.length) return;
  const token = `${cfg.nodeName}#${++claimSeq}#${crypto.randomBytes(4).toString('hex')}`;
  const dueIds = due.map((m) => m.id);
  // One guarded UPDATE: a row already `sending` (another node's claim) or not due does not match.
  const claim = await withTx(async (tx) => ({
    result: tx.queue(
      `UPDATE notify_messages SET status = 'sending', attempts = attempts + 1, tries = tries + 1, sending_until = ?, sending_owner = ?, updated_at = ? `
      + `WHERE id IN (${placeholders(dueIds.length)}) AND status IN ('created', 'temporary-failure', 'technical-failure') AND next_attempt_at <= ?`,
      [dbTime(new Date(now + cfg.jobLeaseMs)), token, dbTime(new Date()), ...dueIds, dbTime(new Date(now + 1000))],
    ),
  }));
  const won = (await claim.result).changes;
  if (!won) return;
  // All won (the usual case): the rows in hand are the claimed ones, one try further. Otherwise
  // another node took some in between; read back exactly those carrying this claim's token.
  const mine = won === due.length
    ? due.map((m): Claimed => ({ ...m, status: 'sending', attempts: m.attempts + 1, tries: m.tries + 1, sendingOwner: token }))
    : await readClaimed('sending_owner = ?', [token]);
  // Tries start during the first half of the hold. While they run, the hold is renewed, so a slow try
  // (a loaded node, a slow mail server) is never taken over as interrupted and sent twice; only a node
  // that stopped lets its hold run out.
  const stopRenewing = renewHold(token, cfg.jobLeaseMs);
  try {
    const { outcomes, untried } = await sendAll(token, mine, now + cfg.jobLeaseMs / 2);
    // Deliveries are final with their recorded answer; failures get their status and retry here.
    await finishTries(token, outcomes.filter((o) => o.result.outcome !== 'delivered'), { hasRows: true });
    await releaseUntried(token, untried);
  } finally {
    stopRenewing();
  }
}

/** Extends a claim's hold every quarter of a lease until stopped; returns the stop function. */
function renewHold(token: string, leaseMs: number): () => void {
  let renewing: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = NotifyMessage.update({ sendingUntil: new Date(Date.now() + leaseMs) }, { where: { status: 'sending', sendingOwner: token }, ...PLAIN })
      .catch((err: unknown) => log.warn('could not renew the hold of notifications in flight', { error: String((err as Error)?.message ?? err) }))
      .finally(() => {
        renewing = null;
      });
  }, Math.max(50, Math.floor(leaseMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}

/** Delivers one message if its try is due. */
export async function deliverMessage(id: number): Promise<void> {
  return deliverMessages([id]);
}

registerJobKind(JOB_NOTIFY_DELIVER, async (job) => {
  const p = job.payload as { id?: number; ids?: number[] };
  await deliverMessages(p.ids ?? (p.id ? [p.id] : []));
});

/** Most messages a resend by hand tries at once in the request (more go to the queue only). */
export const RESEND_NOW_LIMIT = 20;

/**
 * Puts failed (or not yet tried) messages back in the queue with a fresh budget of tries; returns how
 * many. With `now`, a small batch is also tried at once, so the admin sees the outcome on the next page
 * (the queued job then finds it done: the guarded update lets only one of them send).
 */
export async function resendMessages(by: Viewer | null, ids: number[], opts: { now?: boolean } = {}): Promise<number> {
  let n = 0;
  const resent: number[] = [];
  for (const id of [...new Set(ids)]) {
    const done = await inTransaction(async (t) => {
      const now = new Date();
      const [count] = await NotifyMessage.update(
        { status: 'created', attempts: 0, nextAttemptAt: now, sendingUntil: null, sendingOwner: null },
        { where: { id, channel: { [Op.ne]: 'inapp' }, status: { [Op.in]: [...FAILURE_STATUSES, 'created'] } }, transaction: t },
      );
      if (count !== 1) return false;
      await enqueueJob(JOB_NOTIFY_DELIVER, { ids: [id] }, now, { transaction: t });
      await appendAudit(actorOf(by), { action: 'notify.resend', targetType: 'notify_message', targetId: String(id) }, t);
      return true;
    });
    if (done) {
      n++;
      resent.push(id);
    }
  }
  if (opts.now && resent.length && resent.length <= RESEND_NOW_LIMIT) await deliverMessages(resent);
  return n;
}

/** Filters of the failed-message desk and the message log. */
export interface MessageQuery {
  channel?: string;
  status?: string[];
  event?: string;
  recipient?: string;
  recipientOrgCode?: string;
  senderOrgCode?: string;
  from?: Date | null;
  to?: Date | null;
  /** Only these messages (the desk shows what it just resent). */
  ids?: number[];
  page?: number;
  pageSize?: number;
}

/** Messages matching the filters, newest first, with a total. */
export async function searchMessages(q: MessageQuery): Promise<{ rows: NotifyMessage[]; total: number; page: number; pageSize: number }> {
  const where: WhereOptions = {};
  const w = where as Record<string | symbol, unknown>;
  if (q.ids?.length) w.id = { [Op.in]: q.ids };
  if (q.channel) w.channel = q.channel;
  if (q.status?.length) w.status = { [Op.in]: q.status };
  if (q.event) w.event = q.event;
  if (q.recipient) w.recipient = { [Op.like]: `%${q.recipient.replace(/[%_\\]/g, (c) => `\\${c}`)}%` };
  if (q.recipientOrgCode) w.recipientOrgCode = q.recipientOrgCode;
  if (q.senderOrgCode) w.senderOrgCode = q.senderOrgCode;
  if (q.from || q.to) w.createdAt = { ...(q.from ? { [Op.gte]: q.from } : {}), ...(q.to ? { [Op.lt]: q.to } : {}) };
  const pageSize = Math.min(q.pageSize ?? 50, 500);
  const page = Math.max(1, q.page ?? 1);
  const { rows, count } = await NotifyMessage.findAndCountAll({ where, order: [['createdAt', 'DESC'], ['id', 'DESC']], limit: pageSize, offset: (page - 1) * pageSize });
  return { rows, total: count, page, pageSize };
}

/** One message with every attempt. */
export async function getMessage(id: number): Promise<{ message: NotifyMessage; attempts: NotifyAttempt[] }> {
  const message = await NotifyMessage.findByPk(id);
  if (!message) throw NotFound('notify.messageNotFound', { id });
  const attempts = await NotifyAttempt.findAll({ where: { messageId: id }, order: [['seq', 'ASC']] });
  return { message, attempts };
}

/** The attempts of several messages, by message id. */
export async function attemptsOf(ids: number[]): Promise<Map<number, NotifyAttempt[]>> {
  const out = new Map<number, NotifyAttempt[]>();
  if (!ids.length) return out;
  for (const a of await NotifyAttempt.findAll({ where: { messageId: ids }, order: [['seq', 'ASC']] })) out.set(a.messageId, [...(out.get(a.messageId) ?? []), a]);
  return out;
}

/** Counts of messages per status (for the desk's summary and the admin alerts). */
export async function countByStatus(): Promise<Record<string, number>> {
  const rows = (await NotifyMessage.count({ group: ['status'] })) as unknown as Array<{ status: string; count: number }>;
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}

/** A user's in-app notifications, newest first. */
export async function listInbox(userId: number, limit = 50): Promise<NotifyMessage[]> {
  return NotifyMessage.findAll({ where: { recipientUserId: userId, channel: 'inapp', status: 'delivered' }, order: [['createdAt', 'DESC'], ['id', 'DESC']], limit });
}

/** How many in-app notifications a user has not read. */
export async function unreadCount(userId: number): Promise<number> {
  return NotifyMessage.count({ where: { recipientUserId: userId, channel: 'inapp', status: 'delivered', readAt: null } });
}

/** Marks a user's in-app notifications read (all of them, or those ids). */
export async function markRead(userId: number, ids?: number[]): Promise<number> {
  const [n] = await NotifyMessage.update({ readAt: new Date() }, { where: { recipientUserId: userId, channel: 'inapp', status: 'delivered', readAt: null, ...(ids ? { id: ids } : {}) } });
  return n;
}

/** Channels a user gets by default: e-mail and the bell. */
export const DEFAULT_CHANNELS: Channel[] = ['email', 'inapp'];

/** The channels a user chose. */
export async function getChannels(userId: number): Promise<Channel[]> {
  const row = await NotifyPreference.findByPk(userId);
  if (!row) return [...DEFAULT_CHANNELS];
  return row.channels.split(',').filter((c): c is Channel => (CHANNELS as readonly string[]).includes(c));
}

/** Stores the channels a user chose. */
export async function setChannels(userId: number, channels: Channel[]): Promise<void> {
  const clean = CHANNELS.filter((c) => channels.includes(c));
  await NotifyPreference.upsert({ userId, channels: clean.join(',') });
}

/** A person to notify, as their user record says. */
export interface Recipient {
  userId: number;
  fullName: string;
  email: string | null;
  phone: string | null;
  locale: Locale;
  orgCode?: string | null;
}

/** Queues a message to a person on each channel they chose and can be reached by; returns the rows. */
export async function notifyRecipient(r: Recipient, event: string, data: Record<string, unknown>, opts: { transaction?: Transaction | null; reference?: string | null; senderOrgCode?: string | null; notBefore?: Date | string | null } = {}): Promise<NotifyMessage[]> {
  const channels = await getChannels(r.userId);
  const out: NotifyMessage[] = [];
  for (const channel of channels) {
    const to = channel === 'email' ? r.email : channel === 'sms' ? r.phone : String(r.userId);
    if (!to) continue;
    out.push(await queueMessage({
      channel, event, locale: r.locale, to, recipientUserId: r.userId, recipientOrgCode: r.orgCode ?? null, senderOrgCode: opts.senderOrgCode ?? null,
      reference: opts.reference ?? null, data: { recipientName: r.fullName, ...data }, notBefore: opts.notBefore ?? null,
    }, { transaction: opts.transaction }));
  }
  return out;
}

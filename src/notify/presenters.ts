// What leaves the notify domain: messages and attempts as JSON and as view rows, and the desk's filters.
import type { NotifyAttempt, NotifyMessage } from './models.ts';
import type { MessageQuery } from './service.ts';
import { toVnIso } from '../time.ts';

/** An attempt as JSON. */
export function presentAttempt(a: NotifyAttempt) {
  return { seq: a.seq, at: toVnIso(a.at), node: a.node, outcome: a.outcome, response: a.response, ms: a.ms };
}

/** A message as JSON (with its attempts when given). */
export function presentMessage(m: NotifyMessage, attempts?: NotifyAttempt[]) {
  return {
    id: m.id, channel: m.channel, event: m.event, locale: m.locale, recipient: m.recipient, recipientUserId: m.recipientUserId,
    recipientOrgCode: m.recipientOrgCode, senderOrgCode: m.senderOrgCode, reference: m.reference, subject: m.subject, status: m.status,
    attempts: m.attempts, nextAttemptAt: toVnIso(m.nextAttemptAt), lastError: m.lastError, createdAt: toVnIso(m.createdAt),
    deliveredAt: toVnIso(m.deliveredAt), readAt: toVnIso(m.readAt), ...(attempts ? { tries: attempts.map(presentAttempt) } : {}),
  };
}

/** The query-string filters of the desk, the log and the API. */
export interface MessageFilters {
  channel?: string;
  status?: string | string[];
  event?: string;
  recipient?: string;
  recipientOrg?: string;
  senderOrg?: string;
  from?: string;
  to?: string;
  ids?: string;
  page?: number;
  pageSize?: number;
}

/** A Vietnam-time date (`YYYY-MM-DD` or `YYYY-MM-DDTHH:mm`) as an instant; `end` moves a bare date to the next day. */
function vnInstant(s: string | undefined, end: boolean): Date | null {
  if (!s) return null;
  const hasTime = s.includes('T');
  const d = new Date(`${hasTime ? s : `${s}T00:00`}:00+07:00`);
  if (Number.isNaN(d.getTime())) return null;
  return end && !hasTime ? new Date(d.getTime() + 24 * 3600 * 1000) : d;
}

/** Filters as a service query. */
export function toMessageQuery(f: MessageFilters, defaults: { status?: string[] } = {}): MessageQuery & { ids?: number[] } {
  // No status in the query: the page's default; an empty one (the "any" choice): every status.
  const status = f.status === undefined ? defaults.status : (Array.isArray(f.status) ? f.status : [f.status]).filter(Boolean);
  return {
    channel: f.channel || undefined, status, event: f.event || undefined, recipient: f.recipient || undefined,
    recipientOrgCode: f.recipientOrg || undefined, senderOrgCode: f.senderOrg || undefined,
    from: vnInstant(f.from, false), to: vnInstant(f.to, true), page: f.page, pageSize: f.pageSize,
    ids: f.ids ? f.ids.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0) : undefined,
  };
}

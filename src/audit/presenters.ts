// What leaves the audit domain: log rows for JSON and pages, and the search form read into a query.
import type { AuditEntry } from './models.ts';
import type { AuditQuery } from './service.ts';
import { toVnIso } from '../time.ts';

/** A log row for JSON (times in Vietnam time with offset) and pages. */
export function presentAuditEntry(e: AuditEntry) {
  let detail: unknown = e.detail;
  try {
    detail = e.detail === null ? null : JSON.parse(e.detail);
  } catch {
    // A detail that is not JSON is shown as it was stored.
  }
  return {
    seq: Number(e.seq),
    at: toVnIso(e.at),
    actor: e.actorId === null && e.actorName === null ? null : { id: e.actorId, username: e.actorName },
    org: e.orgCode,
    action: e.action,
    target: e.targetType ? { type: e.targetType, id: e.targetId } : null,
    ip: e.ip,
    detail,
  };
}

/** The search form's fields as the reader typed them. */
export interface AuditFilters {
  actor?: string;
  org?: string;
  action?: string;
  target?: string;
  /** `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm`, Vietnam time. */
  from?: string;
  to?: string;
  page?: number;
  pageSize?: number;
}

const VN_OFFSET = '+07:00';

/**
 * A date or minute typed in Vietnam time as a UTC instant. `to` covers the whole day or minute typed,
 * so "to 2026-11-23" includes everything that happened on the 23rd in Hà Nội.
 */
export function vnInputToUtc(value: string, edge: 'start' | 'end'): Date {
  const isDay = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const start = new Date(isDay ? `${value}T00:00:00.000${VN_OFFSET}` : `${value}:00.000${VN_OFFSET}`);
  if (Number.isNaN(start.getTime())) throw new RangeError(`not a date: ${value}`);
  if (edge === 'start') return start;
  return new Date(start.getTime() + (isDay ? 24 * 3600 * 1000 : 60 * 1000) - 1);
}

/** Reads the search form into a service query. */
export function toAuditQuery(f: AuditFilters): AuditQuery {
  return {
    actor: f.actor || undefined,
    org: f.org || undefined,
    action: f.action || undefined,
    target: f.target || undefined,
    from: f.from ? vnInputToUtc(f.from, 'start') : undefined,
    to: f.to ? vnInputToUtc(f.to, 'end') : undefined,
    page: f.page,
    pageSize: f.pageSize,
  };
}

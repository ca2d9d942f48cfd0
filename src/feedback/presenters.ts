// What leaves the feedback domain: the public view (masked texts only) and the staff views.
import type { FeedbackCase, FeedbackEvent, FeedbackFile } from './models.ts';
import { toVnIso } from '../time.ts';

/** A published case as anyone may see it: masked texts, the agency, the dates; never contact details. */
export function presentPublic(c: FeedbackCase) {
  return {
    code: c.code,
    agency: { code: c.orgCode, name: c.orgName },
    subject: c.publicSubject ?? '',
    content: c.publicContent ?? '',
    answer: c.publicAnswer ?? '',
    receivedAt: toVnIso(c.receivedAt),
    answeredAt: toVnIso(c.answeredAt),
    publishedAt: toVnIso(c.publishedAt),
    isReopened: c.reopenCount > 0,
  };
}

/** What the submitter sees on the tracking page: the state of their own case. */
export function presentTracked(c: FeedbackCase, canReopen: boolean) {
  return {
    code: c.code,
    status: c.status,
    subject: c.subject,
    agencyName: c.orgName,
    dueAt: toVnIso(c.dueAt),
    answer: c.answer,
    answeredAt: toVnIso(c.answeredAt),
    publishedAt: toVnIso(c.publishedAt),
    isPublished: !!c.publishedAt,
    reopenCount: c.reopenCount,
    canReopen,
  };
}

/** A row of the staff queue. */
export function presentQueueRow(c: FeedbackCase, left: { days: number; level: 'green' | 'amber' | 'red' }) {
  return {
    id: c.id, code: c.code, subject: c.subject, status: c.status, orgCode: c.orgCode, orgName: c.orgName,
    assignedTo: c.assignedTo, source: c.source, dossierCode: c.dossierCode,
    receivedAt: toVnIso(c.receivedAt), dueAt: toVnIso(c.dueAt), daysLeft: left.days, level: left.level,
  };
}

/** A case with everything its agency's staff need. */
export function presentStaffCase(c: FeedbackCase, events: FeedbackEvent[], files: FeedbackFile[]) {
  return {
    id: c.id, code: c.code, subject: c.subject, content: c.content, status: c.status, source: c.source,
    orgCode: c.orgCode, orgName: c.orgName, chosenOrgCode: c.chosenOrgCode, assignedTo: c.assignedTo,
    contact: { name: c.contactName, phone: c.contactPhone, email: c.contactEmail },
    dossier: c.dossierId || c.dossierCode ? { id: c.dossierId, code: c.dossierCode } : null,
    answer: c.answer, answeredBy: c.answeredBy, answeredAt: toVnIso(c.answeredAt),
    publishedAt: toVnIso(c.publishedAt), reopenCount: c.reopenCount, reopenReason: c.reopenReason,
    receivedAt: toVnIso(c.receivedAt), dueAt: toVnIso(c.dueAt), closedAt: toVnIso(c.closedAt),
    events: events.map((e) => ({ kind: e.kind, actor: e.actor, from: e.fromOrgCode, to: e.toOrgCode, note: e.note, at: toVnIso(e.at) })),
    files: files.map((f) => ({ id: f.id, name: f.name, size: f.size, type: f.type })),
  };
}

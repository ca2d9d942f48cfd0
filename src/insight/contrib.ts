// What one dossier adds to the statistics, as a pure function of its row: the rollup rows are kept current by
// adding the difference between a dossier's contribution after and before each change (src/insight/track.ts),
// and rebuilt by summing the contributions of every dossier (src/insight/service.ts). docs/insight.md.

/** The columns of a dossier the statistics read. */
export interface DossierFacts {
  status: string;
  orgCode: string;
  orgPath: string;
  procedureCode: string;
  channel: string;
  receivedAt: Date | null;
  dueAt: Date | null;
  decidedAt: Date | null;
  finishedAt: Date | null;
  updatedAt?: Date | null;
  /** Kept on the dossier row from its files and payments (src/insight/track.ts). */
  hasAttachment?: boolean;
  hasResult?: boolean;
  paid?: boolean;
}

/** Counters of one day × unit × procedure. */
export interface DailyCounts {
  receivedOnline: number;
  receivedDirect: number;
  resolvedEarly: number;
  resolvedOnTime: number;
  resolvedLate: number;
  refused: number;
  withdrawn: number;
  handlingHours: number;
  /** Payments confirmed paid that day, and their sum in VND. */
  paymentsPaid: number;
  amountPaid: number;
  /** Satisfaction ratings given that day, by overall level. */
  rated: number;
  verySatisfied: number;
  satisfied: number;
  unsatisfied: number;
  /** Feedback cases answered that day within their due instant, and after it. */
  feedbackOnTime: number;
  feedbackLate: number;
  /** Dossiers received that day with an applicant's attachment (digitised dossiers, Decision 766). */
  withAttachment: number;
  /** Dossiers resolved with a result that day that have a result file (digitised results), and that were paid online. */
  withResult: number;
  donePaid: number;
}

export const DAILY_COLUMNS: ReadonlyArray<[keyof DailyCounts, string]> = [
  ['receivedOnline', 'received_online'], ['receivedDirect', 'received_direct'], ['resolvedEarly', 'resolved_early'],
  ['resolvedOnTime', 'resolved_on_time'], ['resolvedLate', 'resolved_late'], ['refused', 'refused'], ['withdrawn', 'withdrawn'],
  ['handlingHours', 'handling_hours'], ['paymentsPaid', 'payments_paid'], ['amountPaid', 'amount_paid'], ['rated', 'rated'],
  ['verySatisfied', 'very_satisfied'], ['satisfied', 'satisfied'], ['unsatisfied', 'unsatisfied'], ['feedbackOnTime', 'feedback_on_time'],
  ['feedbackLate', 'feedback_late'], ['withAttachment', 'with_attachment'], ['withResult', 'with_result'], ['donePaid', 'done_paid'],
];

/** All counters at zero. */
export function zeroCounts(): DailyCounts {
  return {
    receivedOnline: 0, receivedDirect: 0, resolvedEarly: 0, resolvedOnTime: 0, resolvedLate: 0, refused: 0, withdrawn: 0, handlingHours: 0,
    paymentsPaid: 0, amountPaid: 0, rated: 0, verySatisfied: 0, satisfied: 0, unsatisfied: 0, feedbackOnTime: 0, feedbackLate: 0,
    withAttachment: 0, withResult: 0, donePaid: 0,
  };
}

/** The statuses of a dossier still being handled (pending). */
export const OPEN_STATUSES = new Set(['submitted', 'supplement', 'processing', 'approved']);
/** The statuses of a resolved dossier (result returned, or refused with reasons). */
export const RESOLVED_STATUSES = new Set(['done', 'refused']);

/** The Vietnam calendar day of an instant. */
export function vnDate(at: Date): string {
  return new Date(at.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}

/** Early (before the due day), on time (by the due instant) or late; a dossier without a limit is on time. */
export function timeliness(resolvedAt: Date, dueAt: Date | null): 'early' | 'onTime' | 'late' {
  if (!dueAt) return 'onTime';
  if (resolvedAt.getTime() > dueAt.getTime()) return 'late';
  return vnDate(resolvedAt) < vnDate(dueAt) ? 'early' : 'onTime';
}

/** One dossier's part of the rollups. */
export interface Contribution {
  daily: Array<{ day: string; counts: Partial<DailyCounts> }>;
  /** The due day the dossier is open on ('' without a limit), or null when it is not open. */
  openDueDay: string | null;
}

/** What a dossier row adds to the statistics (nothing while it is a draft). */
export function contributionOf(d: DossierFacts): Contribution {
  const out: Contribution = { daily: [], openDueDay: null };
  if (!d.receivedAt || d.status === 'draft') return out;
  const received: Partial<DailyCounts> = d.channel === 'online' ? { receivedOnline: 1 } : { receivedDirect: 1 };
  if (d.hasAttachment) received.withAttachment = 1;
  out.daily.push({ day: vnDate(d.receivedAt), counts: received });
  if (OPEN_STATUSES.has(d.status)) out.openDueDay = d.dueAt ? vnDate(d.dueAt) : '';
  if (RESOLVED_STATUSES.has(d.status)) {
    const at = d.finishedAt ?? d.decidedAt ?? d.receivedAt;
    const kind = timeliness(at, d.dueAt);
    const counts: Partial<DailyCounts> = { handlingHours: Math.max(0, at.getTime() - d.receivedAt.getTime()) / 3600_000 };
    if (kind === 'early') counts.resolvedEarly = 1;
    else if (kind === 'onTime') counts.resolvedOnTime = 1;
    else counts.resolvedLate = 1;
    if (d.status === 'refused') counts.refused = 1;
    else {
      if (d.hasResult) counts.withResult = 1;
      if (d.paid) counts.donePaid = 1;
    }
    out.daily.push({ day: vnDate(at), counts });
  }
  if (d.status === 'withdrawn') out.daily.push({ day: vnDate(d.finishedAt ?? d.decidedAt ?? d.updatedAt ?? d.receivedAt), counts: { withdrawn: 1 } });
  return out;
}

/** What one row adds to one day × unit × procedure of the rollups. */
export interface RollupPart {
  day: string;
  orgCode: string;
  orgPath: string;
  procedureCode: string;
  counts: Partial<DailyCounts>;
}

/** The unit and procedure a payment counts for: those of its dossier. */
export interface DossierPlace {
  orgCode: string;
  orgPath: string;
  procedureCode: string;
}

/** What a payment adds: one paid payment and its amount on the Vietnam day it was confirmed, for its dossier's unit. */
export function paymentParts(p: { status: string; amount: number; paidAt: Date | null }, place: DossierPlace | null): RollupPart[] {
  if (p.status !== 'paid' || !p.paidAt || !place) return [];
  return [{ day: vnDate(p.paidAt), ...place, counts: { paymentsPaid: 1, amountPaid: Number(p.amount) || 0 } }];
}

const LEVEL_COUNTER: ReadonlyMap<string, keyof DailyCounts> = new Map([['very_satisfied', 'verySatisfied'], ['satisfied', 'satisfied'], ['unsatisfied', 'unsatisfied']]);

/** What a satisfaction rating adds: one rating of its level on its day, for the dossier's unit and procedure. */
export function ratingParts(r: { day: string; orgCode: string; orgPath: string; procedureCode: string; overall: string }): RollupPart[] {
  const level = LEVEL_COUNTER.get(r.overall);
  if (!level || !r.day) return [];
  return [{ day: r.day, orgCode: r.orgCode, orgPath: r.orgPath, procedureCode: r.procedureCode, counts: { rated: 1, [level]: 1 } }];
}

/** The statuses of a feedback case whose current answer stands (a reopened case waits for a new answer). */
export const ANSWERED_CASE_STATUSES = new Set(['answered', 'published', 'closed']);

/**
 * What a feedback case adds: once answered, one case on the Vietnam day of its answer for the agency handling it,
 * on time when answered by its due instant. Cases belong to no procedure (procedure code '').
 */
export function feedbackParts(c: { status: string; answeredAt: Date | null; dueAt: Date | null; orgCode: string; orgPath: string }): RollupPart[] {
  if (!ANSWERED_CASE_STATUSES.has(c.status) || !c.answeredAt) return [];
  const late = c.dueAt !== null && c.answeredAt.getTime() > c.dueAt.getTime();
  return [{ day: vnDate(c.answeredAt), orgCode: c.orgCode, orgPath: c.orgPath, procedureCode: '', counts: late ? { feedbackLate: 1 } : { feedbackOnTime: 1 } }];
}

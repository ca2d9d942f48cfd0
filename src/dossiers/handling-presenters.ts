// What the officers' pages and the citizen's supplement page show of a dossier: status words, time left
// against the due date (with a level that is also written out, never colour alone), history lines.
import type { Dossier, DossierEvent, DossierFile, DossierStep } from './models.ts';
import { t, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';

/** How close a dossier is to its due date: `ok` (green), `soon` (amber, under one day left), `late` (red), `paused`, `none`. */
export type TimeLevel = 'ok' | 'soon' | 'late' | 'paused' | 'none';

/** Time left until `due` at `now`, as a level and a sentence. */
export function timeLeft(locale: Locale, due: Date | null, now: Date, isPaused = false): { level: TimeLevel; text: string } {
  if (isPaused) return { level: 'paused', text: t(locale, 'dossiers.handling.time.paused') };
  if (!due) return { level: 'none', text: t(locale, 'dossiers.handling.time.none') };
  const ms = due.getTime() - now.getTime();
  const hours = Math.floor(Math.abs(ms) / 3600_000);
  const days = Math.floor(hours / 24);
  const span = days ? t(locale, 'dossiers.handling.time.days', { days, hours: hours % 24 }) : t(locale, 'dossiers.handling.time.hours', { hours: Math.max(hours, 0) });
  if (ms < 0) return { level: 'late', text: t(locale, 'dossiers.handling.time.late', { span }) };
  if (ms < 24 * 3600_000) return { level: 'soon', text: t(locale, 'dossiers.handling.time.soon', { span }) };
  return { level: 'ok', text: t(locale, 'dossiers.handling.time.left', { span }) };
}

/** The status of a dossier in words: the current step while it is being handled. */
export function statusText(locale: Locale, d: Pick<Dossier, 'status' | 'stage'>): string {
  const key = (d.status === 'processing' || d.status === 'submitted') && d.stage ? d.stage : d.status;
  return t(locale, `dossiers.handling.stage.${key}`);
}

/** One row of the inbox. */
export function presentInboxRow(locale: Locale, d: Dossier, step: DossierStep | undefined, now: Date) {
  const time = timeLeft(locale, d.dueAt, now, !!d.pausedAt);
  const stepTime = step?.dueAt ? timeLeft(locale, step.dueAt, now) : null;
  return {
    id: d.id, code: d.code, procedureCode: d.procedureCode, procedureName: d.procedureName, applicant: d.applicantName ?? '', channel: t(locale, `dossiers.handling.channel.${d.channel}`),
    status: d.status, statusText: statusText(locale, d), dueText: formatVn(d.dueAt), receivedText: formatVn(d.receivedAt), time, stepTime, officer: d.officer ?? step?.officer ?? '',
    href: `/officer/dossiers/${d.id}`,
  };
}

/** One history line: when, who, what, why. */
export function presentEvent(locale: Locale, e: DossierEvent) {
  const data = e.dataJson ? (JSON.parse(e.dataJson) as Record<string, unknown>) : {};
  const to = e.toOfficer ?? e.toOrgCode ?? null;
  const params: Record<string, unknown> = {
    step: e.step ? t(locale, `dossiers.handling.stage.${e.step}`) : '', to: to ?? '', days: data.pausedWorkingDays ?? 0, due: formatVn(data.dueAt as string | undefined),
    method: data.method ? t(locale, `dossiers.handling.method.${String(data.method)}`) : '',
  };
  return {
    at: formatVn(e.at), kind: e.kind, actor: e.actorName ?? e.actor ?? t(locale, 'dossiers.handling.history.system'),
    text: t(locale, `dossiers.handling.history.${e.kind}`, params), reason: e.reason, missing: Array.isArray(data.missing) ? (data.missing as string[]) : [],
  };
}

/** One step row with its limit and how it went against it. */
export function presentStep(locale: Locale, s: DossierStep, now: Date) {
  const end = s.endedAt ?? now;
  const isLate = !!s.dueAt && end.getTime() > s.dueAt.getTime();
  return {
    step: s.step, name: t(locale, `dossiers.handling.stage.${s.step}`), orgCode: s.orgCode ?? '', officer: s.officer ?? '', limit: s.limitDays === null ? '' : t(locale, 'dossiers.handling.limitDays', { n: s.limitDays }),
    started: formatVn(s.startedAt), due: formatVn(s.dueAt), ended: formatVn(s.endedAt), isOpen: !s.endedAt, isLate, isEscalated: !!s.escalatedAt,
    stateText: t(locale, `dossiers.handling.stepState.${!s.endedAt ? (isLate ? 'openLate' : 'open') : isLate ? 'doneLate' : 'done'}`),
  };
}

/** A file line. */
export function presentFile(f: DossierFile) {
  return { id: f.id, name: f.name, kind: f.kind, docType: f.docType, size: f.size, href: `/dossiers/${f.dossierId}/files/${f.id}` };
}

/** The form data of a dossier as label/value lines (nested objects flattened one level). */
export function presentValues(valuesJson: string): Array<{ label: string; value: string }> {
  let values: Record<string, unknown>;
  try {
    values = JSON.parse(valuesJson) as Record<string, unknown>;
  } catch {
    return [];
  }
  const out: Array<{ label: string; value: string }> = [];
  for (const [k, v] of Object.entries(values ?? {})) {
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) if (v2 !== null && v2 !== undefined && v2 !== '') out.push({ label: `${k}.${k2}`, value: typeof v2 === 'object' ? JSON.stringify(v2) : String(v2) });
    } else out.push({ label: k, value: Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') : String(v) });
  }
  return out.slice(0, 200);
}

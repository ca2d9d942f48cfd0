// What leaves the tracking side: the public view (JSON and the lookup page) and the full tracking page's view model.
import { formatNumber, hasMessage, t, type Locale } from '../i18n/index.ts';
import { formatVn, toVnIso } from '../time.ts';
import type { PublicTracking, TrackingView } from './tracking.ts';

/** A status as a person reads it. */
export function statusText(locale: Locale, status: string): string {
  const key = `dossiers.tracking.status.${status}`;
  return hasMessage(locale, key) ? t(locale, key) : status;
}

/** A stage (a step id of the handling process) as a person reads it: the catalog's words, else the model's name, else the id. */
export function stageText(locale: Locale, stage: string | null, modelName: string | null = null): string | null {
  if (!stage) return null;
  const key = `dossiers.tracking.stages.${stage}`;
  if (hasMessage(locale, key)) return t(locale, key);
  return modelName || stage;
}

/** The public view: status, stage and the expected date only. */
export function presentPublic(r: PublicTracking, locale: Locale) {
  return {
    code: r.code,
    status: r.status,
    statusText: statusText(locale, r.status),
    stage: r.stage,
    stageText: stageText(locale, r.stage),
    dueAt: toVnIso(r.dueAt),
    dueText: r.dueAt ? formatVn(r.dueAt) : null,
  };
}

function days(locale: Locale, n: number | null): string {
  return n === null ? t(locale, 'dossiers.tracking.noLimit') : t(locale, 'dossiers.tracking.days', { n: formatNumber(n, locale) });
}

/** The full tracking page's view model. */
export async function presentTracking(v: TrackingView, locale: Locale) {
  const d = v.dossier;
  return {
    id: d.id,
    code: d.code ?? '',
    procedureName: d.procedureName,
    procedureCode: d.procedureCode,
    status: d.status,
    statusText: statusText(locale, d.status),
    stage: d.stage,
    stageText: stageText(locale, d.stage, v.stageName),
    channelText: t(locale, `dossiers.tracking.channels.${d.channel}`),
    orgName: v.orgName ?? d.orgCode,
    officer: v.officerName ?? d.officer,
    receivedAt: formatVn(d.receivedAt),
    dueAt: d.dueAt ? formatVn(d.dueAt) : null,
    dueIso: toVnIso(d.dueAt),
    finishedAt: d.finishedAt ? formatVn(d.finishedAt) : null,
    isPaused: !!d.pausedAt,
    isOverdue: v.isOverdue,
    isOwner: v.isOwner,
    usedText: t(locale, 'dossiers.tracking.usedOf', { used: formatNumber(v.usedDays, locale), limit: days(locale, d.limitDays) }),
    decisionReason: d.decisionReason,
    steps: v.steps.map((s) => ({
      step: s.step,
      name: stageText(locale, s.step, s.name),
      unit: s.orgCode,
      officer: s.officer,
      startedAt: formatVn(s.startedAt),
      endedAt: s.endedAt ? formatVn(s.endedAt) : null,
      dueAt: s.dueAt ? formatVn(s.dueAt) : null,
      usedText: t(locale, 'dossiers.tracking.usedOf', { used: formatNumber(s.usedDays, locale), limit: days(locale, s.limitDays) }),
      isOverdue: s.isOverdue,
    })),
    pauses: v.pauses.map((p) => ({ from: formatVn(p.from), to: p.to ? formatVn(p.to) : null, reason: p.reason })),
    history: v.history.map((e) => ({
      at: formatVn(e.at),
      iso: toVnIso(e.at),
      kindText: hasMessage(locale, `dossiers.tracking.events.${e.kind}`) ? t(locale, `dossiers.tracking.events.${e.kind}`) : e.kind,
      step: stageText(locale, e.step),
      actor: e.actorName || e.actor,
      toOrgCode: e.toOrgCode,
      toOfficer: e.toOfficer,
      reason: e.reason,
    })),
    // The list beside the diagram uses the diagram's own names, so both speak of the same steps.
    processSteps: v.processSteps.map((s) => ({ id: s.id, name: s.name || stageText(locale, s.id), state: s.state, stateText: t(locale, `dossiers.tracking.stepState.${s.state}`) })),
    hasDiagram: v.hasDiagram,
  };
}

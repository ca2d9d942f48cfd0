// The timed steps of a dossier's handling: each step's own limit in working days (configurable, the
// department's step takes what the procedure's limit leaves), its due date on the working-day calendar,
// and how long a paused dossier's due date moves (docs/dossier-handling.md).
import { dueDate, workingDaysBetween } from '../calendar/service.ts';
import { getConfig } from '../config.ts';

/** The steps of `processes/dossier-handling.bpmn` that officers work on, in order. */
export const TIMED_STEPS = ['receive', 'handle', 'approve', 'issue', 'return'] as const;
export type TimedStep = (typeof TIMED_STEPS)[number];

/** The steps where the dossier waits for someone outside the agency (no limit of the agency's own). */
export const WAITING_STEPS = ['supplement', 'payment'] as const;

/** Limits of the fixed steps when `DOSSIER_STEP_LIMITS` does not name them. */
export const DEFAULT_STEP_LIMITS: Readonly<Record<Exclude<TimedStep, 'handle'>, number>> = { receive: 0.5, approve: 1, issue: 0.5, return: 0.5 };

/** The department's step when the procedure has no limit in working days. */
const HANDLE_WITHOUT_LIMIT = 3;

/** Parses `receive=0.5,approve=1` (working days, in half days) into a map; throws on a bad entry. */
export function parseStepLimits(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)\s*=\s*(\d+(?:\.5)?)$/.exec(part);
    if (!m || !TIMED_STEPS.includes(m[1] as TimedStep)) throw new Error(`bad step limit "${part}"`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

/**
 * The limit of one step in working days. The fixed steps take their configured limit; `handle` takes
 * what the procedure's limit leaves after the others (at least half a day). A procedure whose whole
 * limit is shorter than the steps' sum (same-day procedures) still gives each step its limit, and every
 * step's due date is capped by the dossier's own due date (see `stepDue`).
 */
export function stepLimit(step: string, procedureLimitDays: number | null): number | null {
  if (!TIMED_STEPS.includes(step as TimedStep)) return null;
  const configured = parseStepLimits(getConfig().dossierStepLimits);
  const fixed = (s: Exclude<TimedStep, 'handle'>) => configured.get(s) ?? DEFAULT_STEP_LIMITS[s];
  if (step !== 'handle') return fixed(step as Exclude<TimedStep, 'handle'>);
  if (procedureLimitDays === null || procedureLimitDays === undefined) return configured.get('handle') ?? HANDLE_WITHOUT_LIMIT;
  const others = fixed('receive') + fixed('approve') + fixed('issue') + fixed('return');
  return Math.max(0.5, Math.floor((procedureLimitDays - others) * 2) / 2);
}

/** The due date of a step started at `startedAt`, never after the dossier's own due date. */
export async function stepDue(startedAt: Date, limitDays: number | null, dossierDue: Date | null): Promise<Date | null> {
  if (limitDays === null) return null;
  const { due } = await dueDate(startedAt, limitDays);
  return dossierDue && dossierDue.getTime() < due.getTime() ? dossierDue : due;
}

/** `YYYY-MM-DD` of an instant in Vietnam time. */
export function vnDate(at: Date): string {
  return new Date(at.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}

/**
 * The working days a completeness request kept the dossier with the citizen: the working days after
 * the day of the request up to and including the day of resubmission (a request and a resubmission on
 * the same day pause no day; asked on Friday and resubmitted on Monday pauses one).
 */
export async function pausedWorkingDays(pausedAt: Date, resumedAt: Date): Promise<number> {
  return workingDaysBetween(vnDate(pausedAt), vnDate(resumedAt));
}

/** A due date moved later by whole working days (the end of the Nth working day after its own day). */
export async function moveDue(due: Date, days: number): Promise<Date> {
  if (days <= 0) return due;
  // One minute before the due instant lies inside the office hours of the due day, so that day is the one not counted.
  return (await dueDate(new Date(due.getTime() - 60_000), days)).due;
}

// The regime editor for designers: a regime as the fields of an HTML form and back, with every problem
// named by its field in the user's language before the regime is imported through `importRegime`, and
// import/export of a regime as JSON text.
import { exportRegime, importRegime, listRegimes, type RegimeJson, type RegimeView } from './service.ts';
import { listForms } from '../forms/service.ts';
import { getOrgByCode } from '../orgs/service.ts';
import { hasRole, type Viewer } from '../access/index.ts';
import { AppError, BadRequest, Forbidden } from '../errors.ts';
import { t, type Locale } from '../i18n/index.ts';

/** Levels a regime may name, top down. */
export const REGIME_LEVELS = ['central', 'ministry', 'province', 'district', 'commune'] as const;
/** Frequencies the editor offers. */
export const REGIME_FREQUENCIES = ['month', 'quarter', 'half-year', 'year'] as const;

/** The editor's fields as the browser posts them (all text; checkboxes absent when unticked). */
export type RegimeFormInput = Record<string, string | string[] | undefined>;

/** One problem of the editor's input: the field it belongs to and its message key. */
export interface FieldProblem { field: string; key: string; params?: Record<string, unknown> }

/** The form's fields filled from a regime (or empty for a new one). */
export function regimeFormValues(r: RegimeView | null): Record<string, unknown> {
  if (!r) return { code: '', name: '', legalBasis: '', form: '', processKey: 'report-cycle', frequency: 'month', levels: ['province', 'commune'], within: '', units: '', recipientCode: '', deadlines: { commune: 18, province: 22 }, openOffsetDays: 0, reminderDays: '5, 1', isLateAllowed: true, lateUntilDays: '' };
  return {
    code: r.code, name: r.name, legalBasis: r.legalBasis ?? '', form: `${r.formKey}@${r.formVersion}`, processKey: r.processKey, frequency: r.frequency,
    levels: r.reporters.levels ?? [], within: r.reporters.within ?? '', units: (r.reporters.units ?? []).join(', '), recipientCode: r.recipientCode ?? '',
    deadlines: r.deadlines, openOffsetDays: r.openOffsetDays, reminderDays: r.reminderDays.join(', '), isLateAllowed: r.isLateAllowed, lateUntilDays: r.lateUntilDays ?? '',
  };
}

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? v[0] ?? '' : v ?? '').trim();
const many = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((s) => s.trim()).filter(Boolean);
const INT = /^-?\d+$/;

/** Reads the editor's fields into regime JSON; problems name their field. Nothing is saved. */
export async function regimeFromForm(input: RegimeFormInput): Promise<{ regime: RegimeJson; problems: FieldProblem[] }> {
  const problems: FieldProblem[] = [];
  const code = one(input.code);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(code)) problems.push({ field: 'code', key: 'reporting.screens.regime.err.code' });
  const name = one(input.name);
  if (!name) problems.push({ field: 'name', key: 'reporting.screens.regime.err.name' });
  const [formKey, formVersionText] = one(input.form).split('@');
  if (!formKey || !formVersionText || !INT.test(formVersionText)) problems.push({ field: 'form', key: 'reporting.screens.regime.err.form' });
  const frequency = one(input.frequency);
  if (!(REGIME_FREQUENCIES as readonly string[]).includes(frequency)) problems.push({ field: 'frequency', key: 'reporting.screens.regime.err.frequency' });
  const levels = many(input.levels).filter((l) => (REGIME_LEVELS as readonly string[]).includes(l));
  const units = [...new Set(one(input.units).split(/[\s,;]+/).filter(Boolean))];
  if (!levels.length && !units.length) problems.push({ field: 'levels', key: 'reporting.screens.regime.err.reporters' });
  for (const u of units.slice(0, 2000)) {
    if (!/^[A-Za-z0-9._-]{1,40}$/.test(u)) {
      problems.push({ field: 'units', key: 'reporting.screens.regime.err.unitCode', params: { code: u.slice(0, 40) } });
      break;
    }
  }
  if (units.length > 2000) problems.push({ field: 'units', key: 'reporting.screens.regime.err.tooManyUnits', params: { max: 2000 } });
  const deadlines: Record<string, number> = Object.create(null);
  for (const level of REGIME_LEVELS) {
    const text = one(input[`deadline.${level}`]);
    if (!text) {
      if (levels.includes(level)) problems.push({ field: `deadline.${level}`, key: 'reporting.screens.regime.err.deadlineMissing', params: { level } });
      continue;
    }
    const day = Number(text);
    if (!INT.test(text) || day < 15 || day > 25) problems.push({ field: `deadline.${level}`, key: 'reporting.screens.regime.err.deadlineWindow' });
    else deadlines[level] = day;
  }
  if (!levels.length && !Object.keys(deadlines).length && !problems.some((p) => p.field.startsWith('deadline.'))) problems.push({ field: 'deadline.commune', key: 'reporting.screens.regime.err.deadlineOne' });
  const offsetText = one(input.openOffsetDays) || '0';
  if (!INT.test(offsetText) || Math.abs(Number(offsetText)) > 30) problems.push({ field: 'openOffsetDays', key: 'reporting.screens.regime.err.offset' });
  const reminderParts = one(input.reminderDays).split(/[\s,;]+/).filter(Boolean);
  if (reminderParts.some((d) => !INT.test(d) || Number(d) < 1 || Number(d) > 30) || reminderParts.length > 10) problems.push({ field: 'reminderDays', key: 'reporting.screens.regime.err.reminders' });
  const isLateAllowed = one(input.isLateAllowed) === '1';
  const lateText = one(input.lateUntilDays);
  if (lateText && (!INT.test(lateText) || Number(lateText) < 0 || Number(lateText) > 365)) problems.push({ field: 'lateUntilDays', key: 'reporting.screens.regime.err.lateUntil' });
  const within = one(input.within) || null;
  const recipientCode = one(input.recipientCode) || null;
  const processKey = one(input.processKey) || 'report-cycle';
  if (!/^[A-Za-z0-9._-]{1,120}$/.test(processKey)) problems.push({ field: 'processKey', key: 'reporting.screens.regime.err.processKey' });
  // Unit codes are checked against the tree only once the rest is well-formed (each is a lookup).
  if (!problems.length) {
    for (const [field, c] of [['within', within], ['recipientCode', recipientCode], ...units.map((u) => ['units', u])] as Array<[string, string | null]>) {
      if (!c) continue;
      const found = await getOrgByCode(c).then(() => true, () => false);
      if (!found) {
        problems.push({ field, key: 'reporting.screens.regime.err.unknownUnit', params: { code: c } });
        if (field === 'units') break;
      }
    }
  }
  const regime: RegimeJson = {
    code, name, legalBasis: one(input.legalBasis) || null, formKey: formKey ?? '', formVersion: Number(formVersionText) || undefined, processKey,
    frequency: frequency as RegimeJson['frequency'], reporters: { tree: 'current', levels, within, units }, recipientCode, deadlines: { ...deadlines },
    openOffsetDays: Number(offsetText) || 0, reminderDays: [...new Set(reminderParts.map(Number))].sort((a, b) => b - a), isLateAllowed, lateUntilDays: isLateAllowed && lateText ? Number(lateText) : null,
  };
  return { regime, problems };
}

/** Where a failure of `importRegime` belongs on the editor. */
function problemOf(err: AppError): FieldProblem {
  if (err.code === 'reporting.regime.formPeriodKind' || err.code === 'forms.definition.notFound') return { field: 'form', key: err.code, params: err.params };
  if (err.code === 'reporting.regime.unknownUnit') return { field: 'within', key: err.code, params: err.params };
  return { field: '', key: err.code, params: err.params };
}

/**
 * Saves a regime from the editor (designers only): creates it, or replaces the one of that code when
 * `originalCode` names it. Answers the problems by field instead of saving when there are any.
 */
export async function saveRegimeFromForm(viewer: Viewer, input: RegimeFormInput, originalCode: string | null): Promise<{ regime: RegimeView | null; isNew: boolean; problems: FieldProblem[] }> {
  if (!hasRole(viewer, 'designer', 'admin')) throw Forbidden();
  const { regime, problems } = await regimeFromForm(input);
  if (originalCode && regime.code && regime.code !== originalCode) problems.push({ field: 'code', key: 'reporting.screens.regime.err.codeChanged', params: { code: originalCode } });
  if (!originalCode && regime.code && !problems.some((p) => p.field === 'code')) {
    if ((await listRegimes()).some((r) => r.code === regime.code)) problems.push({ field: 'code', key: 'reporting.screens.regime.err.codeTaken', params: { code: regime.code } });
  }
  if (problems.length) return { regime: null, isNew: false, problems };
  try {
    const saved = await importRegime(viewer, regime);
    return { regime: saved.regime, isNew: saved.isNew, problems: [] };
  } catch (err) {
    if (err instanceof AppError && err.status < 500 && err.status !== 403) return { regime: null, isNew: false, problems: [problemOf(err)] };
    throw err;
  }
}

/** Imports a regime from JSON text (a file the designer chose on the page), through the same checks as the CLI. */
export async function importRegimeText(viewer: Viewer, text: string): Promise<{ regime: RegimeView; isNew: boolean }> {
  if (!hasRole(viewer, 'designer', 'admin')) throw Forbidden();
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw BadRequest('reporting.screens.regime.err.json');
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw BadRequest('reporting.screens.regime.err.json');
  return importRegime(viewer, data);
}

/** The regime as the JSON file the page downloads (the same shape `govflow regime import` reads). */
export function regimeFileText(r: RegimeView): string {
  return JSON.stringify(exportRegime(r), null, 2) + '\n';
}

/** Published form versions a regime may use, for the editor's list. */
export async function publishedFormChoices(): Promise<Array<{ value: string; label: string; periodKind: string }>> {
  return (await listForms()).filter((f) => f.publishedVersion !== null && f.periodKind !== 'adhoc').map((f) => ({ value: `${f.key}@${f.publishedVersion}`, label: `${f.code} — ${f.name} (v${f.publishedVersion})`, periodKind: f.periodKind }));
}

/** The messages of problems by field, in the user's language. */
export function problemMessages(locale: Locale, problems: FieldProblem[]): { byField: Record<string, string>; list: string[] } {
  const byField = Object.create(null) as Record<string, string>;
  const list: string[] = [];
  for (const p of problems) {
    const params = { ...(p.params ?? {}) };
    if (typeof params.level === 'string') params.level = t(locale, `reporting.screens.level.${params.level}`);
    const message = t(locale, p.key, params);
    list.push(message);
    if (p.field && !Object.hasOwn(byField, p.field)) byField[p.field] = message;
  }
  return { byField, list };
}

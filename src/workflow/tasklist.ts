// The task list as people work in it (Camunda Tasklist is the model): filters with a count each,
// sorting, processes and candidate groups shown by name and unit, the form a task links to (a
// deployed Camunda Form, a govflow form, or fields from the task's inputs), the decisions it offers,
// and completion with every value checked on the server. The start page's processes and start forms.
import { hasSystemRole, mayStartProcess, OrgPaths, type Viewer } from '../access/index.ts';
import { getOrgByCode } from '../orgs/service.ts';
import { getPublished, resolveDefinition } from '../forms/service.ts';
import { fieldsOf, type FormDefinition } from '../forms/definition.ts';
import { t, type Locale } from '../i18n/index.ts';
import { BadRequest, Forbidden, NotFound } from '../errors.ts';
import {
  getDefinitionRow, getInstance, instanceFacts, listDefinitions, processFacts, type ProcessFacts, type TaskDecision, type UserTaskFacts,
} from '../engine/service.ts';
import type { EngineTask } from '../engine/models.ts';
import { completeTask, getTask, listTasks, startProcessFor } from './service.ts';
import { resolveFormLink, type ResolvedForm } from './forms.ts';
import { formFields, validateFormData, type FieldProblem } from './formjs.ts';

/** The inbox's filters, in the order the page shows them. */
export const INBOX_FILTERS = ['all', 'mine', 'groups', 'unassigned', 'dueSoon', 'overdue', 'followUp'] as const;
export type InboxFilter = (typeof INBOX_FILTERS)[number];
/** How the inbox sorts. */
export const INBOX_SORTS = ['due', 'priority', 'created', 'followUp'] as const;
export type InboxSort = (typeof INBOX_SORTS)[number];
/** A task is due soon when its due date is less than this far away (and not past). */
export const DUE_SOON_MS = 3 * 24 * 3600 * 1000;
/** The most tasks one inbox reads before filtering (a person works on far fewer). */
const INBOX_LIMIT = 1000;

function matches(task: EngineTask, filter: InboxFilter, viewer: Viewer, now: number): boolean {
  const due = task.dueAt ? new Date(task.dueAt).getTime() : null;
  switch (filter) {
    case 'mine': return task.assignee === viewer.username;
    case 'groups': return !task.assignee && !!(task.candidateGroups ?? '').replace(/,/g, '');
    case 'unassigned': return !task.assignee;
    case 'overdue': return due !== null && due < now;
    case 'dueSoon': return due !== null && due >= now && due - now <= DUE_SOON_MS;
    // Camunda's follow-up date: the day a task should be looked at again; reached means it is due for a look.
    case 'followUp': return !!task.followUpAt && new Date(task.followUpAt).getTime() <= now;
    default: return true;
  }
}

function time(d: Date | null): number | null {
  return d ? new Date(d).getTime() : null;
}

function compare(sort: InboxSort) {
  // Tasks without a date come last, as in Camunda Tasklist.
  const byDate = (a: number | null, b: number | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a - b);
  return (a: EngineTask, b: EngineTask) => {
    let c = 0;
    if (sort === 'priority') c = b.priority - a.priority || byDate(time(a.dueAt), time(b.dueAt));
    else if (sort === 'created') c = (time(b.createdAt) ?? 0) - (time(a.createdAt) ?? 0);
    else if (sort === 'followUp') c = byDate(time(a.followUpAt), time(b.followUpAt));
    else c = byDate(time(a.dueAt), time(b.dueAt)) || b.priority - a.priority;
    return c || a.id - b.id;
  };
}

/** What the inbox shows: the tasks of a filter, sorted, with the count of every filter and the processes to pick from. */
export async function inboxFor(viewer: Viewer, q: { filter?: InboxFilter; processKey?: string; sort?: InboxSort }, now = Date.now()) {
  const all = await listTasks(viewer, { scope: 'all', limit: INBOX_LIMIT });
  const inProcess = q.processKey ? all.filter((x) => x.definitionKey === q.processKey) : all;
  const counts: Record<InboxFilter, number> = Object.create(null);
  for (const f of INBOX_FILTERS) counts[f] = inProcess.filter((x) => matches(x, f, viewer, now)).length;
  const filter = q.filter ?? 'all';
  const tasks = inProcess.filter((x) => matches(x, filter, viewer, now)).sort(compare(q.sort ?? 'due'));
  const names = await processNames();
  const processes = [...new Set(all.map((x) => x.definitionKey))].map((key) => ({ key, name: names.get(key) ?? key })).sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  return { tasks, counts, processes, overdue: new Set(tasks.filter((x) => matches(x, 'overdue', viewer, now)).map((x) => x.id)) };
}

/** The name of the latest version of every deployed process (its key when it has none). */
export async function processNames(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // Ordered by key, newest version first: the first row of a key names it.
  for (const d of await listDefinitions()) if (!out.has(d.key)) out.set(d.key, d.name || d.key);
  return out;
}

/** Candidate groups as people read them: role name and unit name (`Cán bộ nghiệp vụ · Hà Nội`). */
export async function groupLabels(locale: Locale, groups: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const units = new Map<string, string>();
  for (const g of new Set(groups)) {
    const [role, code] = g.split('@');
    const roleKey = `roles.${role}`;
    const roleName = t(locale, roleKey);
    const roleText = roleName === roleKey ? role : roleName;
    if (!code) {
      out.set(g, roleText);
      continue;
    }
    if (!units.has(code)) units.set(code, await getOrgByCode(code).then((o) => o.name, () => code));
    out.set(g, `${roleText} · ${units.get(code)}`);
  }
  return out;
}

/** A task's decision as a button: what it says and whether a comment must come with it. */
export interface DecisionButton {
  flowId: string;
  label: string;
  commentRequired: boolean;
  isReturn: boolean;
}

function truthy(v: string | undefined): boolean {
  return v === 'true' || v === 'yes' || v === '1';
}

/**
 * The buttons of a task's decisions. Convention: the exclusive gateway right after the task, whose
 * conditions test one variable (`=decision = "approve"`, `${approved}`, …); a flow's name is its
 * label (else its property `label`, else the value); a flow that leads back to the task, or whose
 * property `commentRequired` is true, needs a comment.
 */
export function decisionButtons(decisions: TaskDecision[]): DecisionButton[] {
  return decisions.map((d) => ({
    flowId: d.flowId,
    label: d.name ?? d.properties.label ?? (d.value === null ? d.flowId : String(d.value)),
    commentRequired: d.loopsBack || truthy(d.properties.commentRequired),
    isReturn: d.loopsBack,
  }));
}

/** A govflow form's fields as a form-js schema, so one renderer and one validator serve both (tables and files stay on the report pages). */
export function govflowFormSchema(def: FormDefinition): Record<string, unknown> {
  const components: Array<Record<string, unknown>> = [];
  for (const f of fieldsOf(def)) {
    if (f.formula || f.type === 'file') continue;
    const validate: Record<string, unknown> = { required: !!f.required };
    if (f.min !== undefined) validate.min = f.min;
    if (f.max !== undefined) validate.max = f.max;
    const base = { id: `Field_${f.id}`, key: f.id, label: f.unit ? `${f.label} (${f.unit})` : f.label, description: f.help, validate };
    if (['number', 'integer', 'percent'].includes(f.type)) components.push({ ...base, type: 'number', ...(f.type === 'integer' ? { decimalDigits: 0 } : {}) });
    else if (f.type === 'longtext') components.push({ ...base, type: 'textarea' });
    else if (f.type === 'date') components.push({ ...base, type: 'datetime', subtype: 'date', dateLabel: base.label });
    else if (f.type === 'boolean') components.push({ ...base, type: 'checkbox' });
    else if (f.type === 'choice') components.push({ ...base, type: 'select', values: (f.options ?? []).map((o) => ({ value: o.value, label: o.label })) });
    else components.push({ ...base, type: 'textfield' });
  }
  return { id: `govflow_${def.key}`, type: 'default', components, schemaVersion: 16 };
}

/** The form of a task or start event, ready for the page: a form-js schema, or none. */
export interface PageForm {
  kind: 'formjs' | 'govflow' | 'none';
  schema: Record<string, any> | null;
  /** The form's name or id (shown above it). */
  title: string | null;
  /** A form key that names nothing deployed (shown so a designer can fix the link). */
  missing: string | null;
}

async function pageForm(resolved: ResolvedForm): Promise<PageForm> {
  if (resolved.kind === 'formjs') return { kind: 'formjs', schema: resolved.form.schema, title: resolved.form.name ?? resolved.form.formId, missing: null };
  if (resolved.kind === 'govflow') {
    const form = await getPublished(resolved.key).catch(() => null);
    if (!form) return { kind: 'none', schema: null, title: null, missing: `govflow:form:${resolved.key}` };
    return { kind: 'govflow', schema: govflowFormSchema(await resolveDefinition(form)), title: form.definition.name, missing: null };
  }
  return { kind: 'none', schema: null, title: null, missing: resolved.reference };
}

/** Input values a task page may show as plain fields (text, numbers, yes/no), for tasks without a form. */
export function plainInputs(input: Record<string, unknown>): Array<{ key: string; value: string | number | boolean; kind: 'text' | 'number' | 'boolean' }> {
  return Object.entries(input)
    .filter(([k, v]) => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k) && ['string', 'number', 'boolean'].includes(typeof v))
    .map(([key, value]) => ({ key, value: value as string | number | boolean, kind: typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'text' }));
}

interface TaskContext {
  task: EngineTask;
  facts: UserTaskFacts | null;
  form: PageForm;
  decisions: TaskDecision[];
}

async function taskContext(task: EngineTask): Promise<TaskContext> {
  const facts: ProcessFacts | null = await instanceFacts(task.instanceId).catch(() => null);
  const el = facts?.tasks.get(task.elementId) ?? null;
  const def = await definitionOfInstance(task.instanceId);
  const form = await pageForm(await resolveFormLink(el?.form ?? null, task.formKey, def?.createdAt));
  return { task, facts: el, form, decisions: el?.decisions ?? [] };
}

async function definitionOfInstance(instanceId: string): Promise<{ createdAt: Date } | null> {
  try {
    const inst = await getInstance(instanceId);
    const row = await getDefinitionRow({ id: inst.definitionId });
    return { createdAt: row.createdAt };
  } catch {
    return null;
  }
}

/** Values a form starts with: the process's variables (and the task's inputs) for the form's own fields only. */
async function prefill(task: EngineTask, schema: Record<string, any> | null): Promise<Record<string, unknown>> {
  if (!schema) return {};
  const vars = await getInstance(task.instanceId).then((i) => i.variables, () => ({} as Record<string, unknown>));
  const input = task.input ? (JSON.parse(task.input) as Record<string, unknown>) : {};
  const all = { ...vars, ...input };
  const out: Record<string, unknown> = {};
  for (const f of formFields(schema)) {
    const top = f.key.split('.')[0];
    if (Object.hasOwn(all, top)) out[top] = all[top];
  }
  // Options a form reads from variables (`valuesKey`) come along.
  for (const f of formFields(schema)) if (f.valuesKey && Object.hasOwn(all, f.valuesKey)) out[f.valuesKey] = all[f.valuesKey];
  return out;
}

/** What the task page shows about a task: its form, the decisions, prefilled values. */
export async function taskPageModel(viewer: Viewer, id: number) {
  const task = await getTask(viewer, id);
  const ctx = await taskContext(task);
  return {
    task,
    form: ctx.form,
    documentation: ctx.facts?.documentation ?? null,
    decisions: decisionButtons(ctx.decisions),
    data: await prefill(task, ctx.form.schema),
  };
}

/** What a person sent from the task page or start page. */
export interface PageSubmission {
  /** The rendered form's values as the form island sends them (JSON text). */
  values?: string;
  /** Values of plain fields for tasks without a form, by input name. */
  inputs?: Record<string, string>;
  decision?: string;
  comment?: string;
}

/** A submission that failed the server's checks: every problem names its field. */
function invalid(problems: FieldProblem[]): never {
  throw BadRequest('tasklist.invalidValues', { count: problems.length }, problems);
}

function parseValues(text: string | undefined): unknown {
  if (!text || !text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    return invalid([{ field: 'values', label: 'values', code: 'tasklist.validation.unreadable', params: {} }]);
  }
}

/** Coerces plain fields back to the type of the input they came from. */
function plainValues(input: Record<string, unknown>, sent: Record<string, string> = {}): { values: Record<string, unknown>; problems: FieldProblem[] } {
  const values: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  const known = new Map(plainInputs(input).map((p) => [p.key, p]));
  for (const [key, raw] of Object.entries(sent)) {
    const p = known.get(key);
    if (!p) {
      problems.push({ field: key, label: key, code: 'tasklist.validation.unknown', params: {} });
      continue;
    }
    if (p.kind === 'number') {
      const n = Number(String(raw).trim().replace(',', '.'));
      if (raw.trim() === '' || !Number.isFinite(n)) problems.push({ field: key, label: key, code: 'tasklist.validation.number', params: {} });
      else values[key] = n;
    } else if (p.kind === 'boolean') values[key] = raw === 'true';
    else values[key] = raw.normalize('NFC');
  }
  return { values, problems };
}

function checkedValues(form: PageForm, sub: PageSubmission, variables: Record<string, unknown>, plainInput: Record<string, unknown>) {
  if (form.schema) return validateFormData(form.schema, parseValues(sub.values), variables);
  return plainValues(plainInput, sub.inputs);
}

function decisionOf(decisions: TaskDecision[], sub: PageSubmission, comment: string | null, problems: FieldProblem[]): Record<string, unknown> {
  if (!decisions.length) return {};
  const chosen = decisions.find((d) => d.flowId === sub.decision);
  if (!chosen) {
    problems.push({ field: 'decision', label: 'decision', code: 'tasklist.validation.decision', params: {} });
    return {};
  }
  const [button] = decisionButtons([chosen]);
  if (button.commentRequired && !comment) problems.push({ field: 'comment', label: 'comment', code: 'tasklist.validation.commentRequired', params: { decision: button.label } });
  return { [chosen.variable]: chosen.value };
}

/**
 * Completes a task from its page: the form's values checked against its schema, the decision's
 * variable set from the button pressed, the comment required where the decision asks for one.
 * Any problem is a 400 listing every field, and nothing is completed.
 */
export async function completeFromPage(viewer: Viewer, id: number, sub: PageSubmission) {
  const task = await getTask(viewer, id);
  const ctx = await taskContext(task);
  const comment = sub.comment?.trim() || null;
  const vars = ctx.form.schema ? await getInstance(task.instanceId).then((i) => i.variables, () => ({})) : {};
  const input = task.input ? (JSON.parse(task.input) as Record<string, unknown>) : {};
  const { values, problems } = checkedValues(ctx.form, sub, { ...vars, ...input }, input);
  const decided = decisionOf(ctx.decisions, sub, comment, problems);
  if (problems.length) invalid(problems);
  // The decision is the button pressed: a form field of the same name cannot override it.
  return { task, instance: await completeTask(viewer, id, { ...values, ...decided }, comment) };
}

// ---------------------------------------------------------------- starts

/** A process a person may start, as the start page lists it. */
export interface StartableProcess {
  key: string;
  name: string;
  version: number;
  documentation: string | null;
  hasForm: boolean;
}

async function startable(viewer: Viewer, key: string): Promise<{ facts: ProcessFacts; row: Awaited<ReturnType<typeof getDefinitionRow>> } | null> {
  const row = await getDefinitionRow({ key }).catch(() => null);
  if (!row) return null;
  const facts = await processFacts(row.id);
  if (!facts.hasNoneStart) return null;
  if (!(await mayStartProcess(viewer, { groups: facts.candidateStarterGroups, users: facts.candidateStarterUsers }, new OrgPaths()))) return null;
  return { facts, row };
}

/** The processes the viewer may start (the latest version of each), by name. */
export async function startableProcesses(viewer: Viewer): Promise<StartableProcess[]> {
  const keys = [...new Set((await listDefinitions()).map((d) => d.key))];
  const out: StartableProcess[] = [];
  for (const key of keys) {
    const s = await startable(viewer, key);
    if (s) out.push({ key, name: s.row.name || key, version: s.row.version, documentation: s.facts.documentation, hasForm: !!s.facts.startForm });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
}

/** The start page of one process: its name, documentation and start form; 404 when the viewer may not start it. */
export async function startPageModel(viewer: Viewer, key: string) {
  const s = await startable(viewer, key);
  if (!s) throw NotFound('tasklist.processNotStartable', { key });
  const form = await pageForm(await resolveFormLink(s.facts.startForm, null, s.row.createdAt));
  return { key, name: s.row.name || key, version: s.row.version, documentation: s.facts.documentation, form };
}

/** Whether a process's declared starters let the viewer start it (a process that declares none: yes). */
export async function assertMayStart(viewer: Viewer, key: string): Promise<void> {
  const row = await getDefinitionRow({ key }).catch(() => null);
  if (!row || hasSystemRole(viewer, 'admin')) return;
  const facts = await processFacts(row.id);
  if (!(await mayStartProcess(viewer, { groups: facts.candidateStarterGroups, users: facts.candidateStarterUsers }))) throw Forbidden('tasklist.notStarter');
}

/** Starts a process from the start page with the start form's values checked on the server. */
export async function startFromPage(viewer: Viewer, key: string, sub: { values?: string; businessKey?: string; orgCode?: string }) {
  const page = await startPageModel(viewer, key);
  let variables: Record<string, unknown> = {};
  if (page.form.schema) {
    const { values, problems } = validateFormData(page.form.schema, parseValues(sub.values), {});
    if (problems.length) invalid(problems);
    variables = values;
  }
  const { body } = await startProcessFor(viewer, key, { businessKey: sub.businessKey?.trim() || null, orgCode: sub.orgCode?.trim() || null, variables });
  return { ...body, name: page.name };
}

// Facts about a deployed definition that people-facing pages read from the BPMN itself: names and
// documentation, the form a user task or a start event links to, extension properties, who may
// start the process, and the decisions a user task offers (the exclusive gateway right after it).
// BPMN only: what the facts mean for people is decided by the caller.
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import { getDefinitionRow } from './definitions.ts';
import { selectRows } from './sql.ts';

const require = createRequire(import.meta.url);
const camundaSchema = require('camunda-bpmn-moddle/resources/camunda.json');
const zeebeSchema = require('zeebe-bpmn-moddle/resources/zeebe.json');

type Node = Record<string, any>;

/** How an element names its form: a form key (C7 `formKey`, C8 `formKey`) or a linked form id (C7 `formRef`, C8 `formId`). */
export interface FormLink {
  kind: 'key' | 'id';
  value: string;
  /** C7 `formRefBinding`: `latest` (default), `deployment` or `version` (with `version`). */
  binding?: string;
  version?: number;
}

/** One outgoing decision of a user task: a flow of the gateway after it and the value that takes it. */
export interface TaskDecision {
  flowId: string;
  /** The flow's name (what the button says), or null. */
  name: string | null;
  /** The variable the gateway's conditions test. */
  variable: string;
  /** The value that makes the flow's condition true (null for the default flow). */
  value: string | number | boolean | null;
  isDefault: boolean;
  /** The flow leads back to the task (a return for revision). */
  loopsBack: boolean;
  /** The flow's extension properties (`camunda:property` / `zeebe:property`). */
  properties: Record<string, string>;
}

/** What a page needs to know about one user task. */
export interface UserTaskFacts {
  id: string;
  name: string | null;
  documentation: string | null;
  form: FormLink | null;
  properties: Record<string, string>;
  decisions: TaskDecision[];
}

/** What a page needs to know about a deployed process. */
export interface ProcessFacts {
  key: string;
  name: string | null;
  documentation: string | null;
  candidateStarterGroups: string[];
  candidateStarterUsers: string[];
  startForm: FormLink | null;
  /** The process has a none start event (a person can start it). */
  hasNoneStart: boolean;
  tasks: Map<string, UserTaskFacts>;
}

const cache = new Map<number, Promise<ProcessFacts>>();

function dialectOf(xml: string): 'camunda' | 'zeebe' | 'bpmn' {
  const zeebe = xml.includes('http://camunda.org/schema/zeebe/1.0');
  const camunda = xml.includes('http://camunda.org/schema/1.0/bpmn');
  if (zeebe && camunda) return (xml.match(/camunda:/g)?.length ?? 0) > (xml.match(/zeebe:/g)?.length ?? 0) ? 'camunda' : 'zeebe';
  return zeebe ? 'zeebe' : camunda ? 'camunda' : 'bpmn';
}

function values(el: Node): Node[] {
  return (el?.extensionElements?.values ?? []) as Node[];
}

function propertiesOf(el: Node): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const v of values(el)) {
    if (v.$type !== 'camunda:Properties' && v.$type !== 'zeebe:Properties') continue;
    for (const p of (v.values ?? v.properties ?? []) as Node[]) if (typeof p.name === 'string') out[p.name] = String(p.value ?? '');
  }
  return out;
}

function docOf(el: Node): string | null {
  const d = (el.documentation ?? []) as Node[];
  const text = d.map((x) => String(x.text ?? '')).join('\n').trim();
  return text || null;
}

function list(s: unknown): string[] {
  return typeof s === 'string' ? s.split(',').map((x) => x.trim()).filter(Boolean) : [];
}

function formLinkOf(el: Node): FormLink | null {
  const zf = values(el).find((v) => v.$type === 'zeebe:FormDefinition');
  if (zf) {
    if (zf.formId) return { kind: 'id', value: String(zf.formId), binding: zf.bindingType ?? 'latest', ...(zf.versionTag ? {} : {}) };
    if (zf.formKey) return { kind: 'key', value: String(zf.formKey) };
    if (zf.externalReference) return { kind: 'key', value: String(zf.externalReference) };
  }
  if (el.formRef) {
    const version = Number(el.formRefVersion);
    return { kind: 'id', value: String(el.formRef), binding: el.formRefBinding ?? 'latest', ...(Number.isInteger(version) ? { version } : {}) };
  }
  if (el.formKey) return { kind: 'key', value: String(el.formKey) };
  return null;
}

/** A literal of a condition: a quoted text, a number, true or false. */
function literal(text: string): { ok: boolean; value?: string | number | boolean } {
  const s = text.trim();
  const q = /^"([^"\\]*)"$/.exec(s) ?? /^'([^'\\]*)'$/.exec(s);
  if (q) return { ok: true, value: q[1] };
  if (s === 'true' || s === 'false') return { ok: true, value: s === 'true' };
  if (/^-?\d+(\.\d+)?$/.test(s)) return { ok: true, value: Number(s) };
  return { ok: false };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The variable and value a simple condition tests: FEEL `=x = "a"`, `=x`, `=not(x)`, `=x = true`, or
 * Camunda 7 `${x == 'a'}`, `${x}`, `${!x}`, `${x eq 'a'}`; null for anything else.
 */
export function parseDecisionCondition(condition: string): { variable: string; value: string | number | boolean } | null {
  let s = condition.trim();
  let juel = false;
  if (s.startsWith('=')) s = s.slice(1).trim();
  else if (/^[$#]\{[\s\S]*\}$/.test(s)) {
    s = s.slice(2, -1).trim();
    juel = true;
  } else return null;
  if (NAME.test(s)) return { variable: s, value: true };
  const neg = juel ? /^!\s*([A-Za-z_][A-Za-z0-9_]*)$/.exec(s) : /^not\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(s);
  if (neg) return { variable: neg[1], value: false };
  const eq = (juel ? /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:==|eq)\s*(.+)$/ : /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/).exec(s);
  if (eq) {
    const lit = literal(eq[2]);
    if (lit.ok) return { variable: eq[1], value: lit.value! };
  }
  return null;
}

function conditionOf(flow: Node): string | null {
  const b = flow.conditionExpression?.body;
  return typeof b === 'string' && b.trim() ? b.trim() : null;
}

/** Whether `from` reaches `target` along sequence flows (a way back to the task). */
function reaches(from: Node, target: Node): boolean {
  const seen = new Set<Node>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === target) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const f of (n.outgoing ?? []) as Node[]) if (f.targetRef) stack.push(f.targetRef);
  }
  return false;
}

function decisionsOf(task: Node): TaskDecision[] {
  const out = (task.outgoing ?? []) as Node[];
  let flows: Node[] = [];
  let defaultFlow: Node | undefined;
  if (out.length === 1 && !conditionOf(out[0]) && out[0].targetRef?.$type === 'bpmn:ExclusiveGateway') {
    const gw = out[0].targetRef as Node;
    flows = (gw.outgoing ?? []) as Node[];
    defaultFlow = gw.default;
  } else if (out.some((f) => conditionOf(f))) {
    flows = out;
    defaultFlow = task.default;
  }
  if (flows.length < 2) return [];
  const decisions: TaskDecision[] = [];
  let variable: string | null = null;
  for (const f of flows) {
    const base = { flowId: String(f.id), name: f.name ? String(f.name) : null, loopsBack: !!f.targetRef && reaches(f.targetRef, task), properties: propertiesOf(f) };
    if (f === defaultFlow) {
      decisions.push({ ...base, variable: '', value: null, isDefault: true });
      continue;
    }
    const c = conditionOf(f);
    const parsed = c ? parseDecisionCondition(c) : null;
    // Conditions on several variables or of another shape are a routing rule, not a choice for a person.
    if (!parsed || (variable && parsed.variable !== variable)) return [];
    variable = parsed.variable;
    decisions.push({ ...base, variable: parsed.variable, value: parsed.value, isDefault: false });
  }
  if (!variable) return [];
  for (const d of decisions) if (d.isDefault) d.variable = variable;
  return decisions;
}

function walk(container: Node, visit: (el: Node) => void): void {
  for (const el of (container.flowElements ?? []) as Node[]) {
    visit(el);
    if (el.flowElements) walk(el, visit);
  }
}

/** Fills in `outgoing` from the sequence flows where a file leaves it out. */
function linkOutgoing(container: Node): void {
  for (const f of (container.flowElements ?? []) as Node[]) {
    if (f.$type === 'bpmn:SequenceFlow' && f.sourceRef) {
      const out = (f.sourceRef.outgoing ??= []) as Node[];
      if (!out.includes(f)) out.push(f);
    }
    if (f.flowElements) linkOutgoing(f);
  }
}

/** Reads the facts of a BPMN text (the executable process, or the first one). */
export async function factsOfXml(xml: string): Promise<ProcessFacts> {
  const dialect = dialectOf(xml);
  const moddle = dialect === 'zeebe' ? new BpmnModdle({ zeebe: zeebeSchema }) : dialect === 'camunda' ? new BpmnModdle({ camunda: camundaSchema }) : new BpmnModdle();
  const { rootElement } = (await moddle.fromXML(xml)) as { rootElement: Node };
  const processes = ((rootElement.rootElements ?? []) as Node[]).filter((r) => r.$type === 'bpmn:Process');
  const proc = processes.find((p) => p.isExecutable) ?? processes[0] ?? {};
  linkOutgoing(proc);
  const tasks = new Map<string, UserTaskFacts>();
  let startForm: FormLink | null = null;
  let hasNoneStart = false;
  walk(proc, (el) => {
    if (el.$type === 'bpmn:UserTask') {
      tasks.set(el.id, { id: el.id, name: el.name ?? null, documentation: docOf(el), form: formLinkOf(el), properties: propertiesOf(el), decisions: decisionsOf(el) });
    }
    // Only a none start event of the process itself is started by a person.
    if (el.$type === 'bpmn:StartEvent' && el.$parent === proc && !(el.eventDefinitions ?? []).length && !hasNoneStart) {
      hasNoneStart = true;
      startForm = formLinkOf(el);
    }
  });
  return {
    key: String(proc.id ?? ''), name: proc.name ?? null, documentation: docOf(proc),
    candidateStarterGroups: list(proc.candidateStarterGroups), candidateStarterUsers: list(proc.candidateStarterUsers),
    startForm, hasNoneStart, tasks,
  };
}

/** The facts of a deployed version (read once per version: a deployed version never changes). */
export function processFacts(definitionId: number): Promise<ProcessFacts> {
  let hit = cache.get(definitionId);
  if (!hit) {
    hit = getDefinitionRow({ id: definitionId }).then((row) => factsOfXml(row.xml));
    hit.catch(() => cache.delete(definitionId));
    if (cache.size > 500) cache.clear();
    cache.set(definitionId, hit);
  }
  return hit;
}

/** The facts of the version an instance runs (null when there is no such instance). */
export async function instanceFacts(instanceId: string): Promise<ProcessFacts | null> {
  const [row] = await selectRows<{ definition_id: number }>('SELECT definition_id FROM engine_instances WHERE id = ?', [instanceId]);
  return row ? processFacts(Number(row.definition_id)) : null;
}

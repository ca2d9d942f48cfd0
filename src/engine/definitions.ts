// Deployment: validate a BPMN file, extract what the runtime needs per element, parse it once into
// a serialized context, and store it as a new version when its SHA-256 changed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import * as elements from 'bpmn-elements';
import serializer, { TypeResolver, deserialize } from 'moddle-context-serializer';
import { layoutProcess } from 'bpmn-auto-layout';
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { EngineDefinition } from './models.ts';
import { isFeel, feelRangeProblem, feelSyntaxError, parseRetryPolicy } from './feel.ts';
import { isJuel, juelToFeel } from './juel.ts';
import { Invalid, NotFound } from '../errors.ts';
import { engineTransaction } from './write-lock.ts';
import { selectRows } from './sql.ts';
import { log } from '../log.ts';

const require = createRequire(import.meta.url);
const camundaSchema = require('camunda-bpmn-moddle/resources/camunda.json');
const zeebeSchema = require('zeebe-bpmn-moddle/resources/zeebe.json');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

/** One reason a deploy was rejected (or a lint warning), with where it is. */
export interface DeployProblem {
  /** Catalog key, e.g. `engine.problem.scriptTask`. */
  code: string;
  params: Record<string, unknown>;
  elementId?: string;
  line?: number;
  column?: number;
  /** The parser's or linter's own words, for designers who know them. */
  detail?: string;
}

/** What the runtime needs to know about one BPMN element, extracted at deploy time. */
export interface ElementMeta {
  id: string;
  type: string;
  name: string | null;
  assignee?: string;
  candidateGroups?: string;
  candidateUsers?: string;
  formKey?: string;
  dueDate?: string;
  followUpDate?: string;
  priority?: string;
  handler?: string;
  retries?: string;
  timer?: { kind: 'timeDuration' | 'timeDate' | 'timeCycle'; value: string };
  /** The message waited for; `correlationKey` (Camunda 8 `zeebe:subscription`) overrides the instance's business key. */
  message?: { id: string; name: string; correlationKey?: string };
  signal?: { id: string; name: string };
  /** A call activity: the process it starts (a key, or FEEL) and whether the child's variables come back. */
  call?: { processId?: string; propagateAll: boolean };
  /** Multi-instance: one task per item of a collection (or `cardinality` times), in parallel or one after another. */
  loop?: { sequential: boolean; collection?: string; elementVariable: string; cardinality?: string; outputCollection?: string; outputElement?: string; completionCondition?: string };
  /** Camunda 8 input mappings: local values of a task (the handler's call, the user task's row). */
  inputs?: Array<{ source: string; target: string }>;
  outputs?: Array<{ source: string; target: string }>;
  attachedTo?: string;
  cancelActivity?: boolean;
  /** An error boundary event: the error code it catches (null: any). */
  catchError?: { code: string | null };
  /** The sub-process the element is in (absent at the process level). */
  parentId?: string;
  isStart?: boolean;
  /** A FEEL script task: the expression it evaluates and the variable that receives the result. */
  script?: { expression: string; resultVariable?: string };
  /** How a Camunda 7 service task names its implementation (the handler must be registered under that name). */
  delegate?: 'class' | 'delegateExpression' | 'expression' | 'connector' | 'decisionRef';
}

/** A Camunda 7 JUEL expression and the FEEL it was translated to at deploy. */
export interface Translation {
  elementId: string;
  field: string;
  juel: string;
  feel: string;
}

/** Per-version facts the runtime reads instead of walking the model again. */
export interface DefinitionMeta {
  key: string;
  name: string | null;
  dialect: 'camunda' | 'zeebe' | 'bpmn';
  elements: Record<string, ElementMeta>;
  messageStarts: Array<{ elementId: string; name: string; id: string }>;
  signalStarts: Array<{ elementId: string; name: string; id: string }>;
  timerStarts: Array<{ elementId: string; kind: string; value: string }>;
  /** JUEL expressions of the file and the FEEL that runs in their place. */
  translations?: Translation[];
}

/** The result of analysing a file: problems block a deploy, warnings do not. */
export interface Analysis {
  problems: DeployProblem[];
  warnings: DeployProblem[];
  meta?: DefinitionMeta;
  xml: string;
  context?: string;
}

/** The namespace of BPMN 2.0 (final); drafts used others. */
const BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
/** Warnings kept with a definition; a file with more is summarized by its first ones. */
const MAX_WARNINGS = 200;

const SUPPORTED = new Set([
  'bpmn:StartEvent', 'bpmn:EndEvent', 'bpmn:IntermediateCatchEvent', 'bpmn:IntermediateThrowEvent', 'bpmn:BoundaryEvent',
  'bpmn:Task', 'bpmn:UserTask', 'bpmn:ManualTask', 'bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask', 'bpmn:ReceiveTask',
  'bpmn:ExclusiveGateway', 'bpmn:ParallelGateway', 'bpmn:InclusiveGateway', 'bpmn:EventBasedGateway',
  'bpmn:SequenceFlow', 'bpmn:SubProcess', 'bpmn:CallActivity', 'bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference',
]);
const SUPPORTED_EVENTS = new Set([
  'bpmn:TimerEventDefinition', 'bpmn:MessageEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:ErrorEventDefinition',
  'bpmn:TerminateEventDefinition', 'bpmn:EscalationEventDefinition', 'bpmn:LinkEventDefinition',
]);
/** Task types that call a registered service handler. */
export const SERVICE_TYPES = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask']);

type Node = Record<string, any>;

function dialectOf(xml: string): DefinitionMeta['dialect'] {
  const zeebe = xml.includes('http://camunda.org/schema/zeebe/1.0');
  const camunda = xml.includes('http://camunda.org/schema/1.0/bpmn');
  // Both declared (a Camunda 7 file touched by a Camunda 8 editor): the one the file uses more wins.
  if (zeebe && camunda) return (xml.match(/camunda:/g)?.length ?? 0) > (xml.match(/zeebe:/g)?.length ?? 0) ? 'camunda' : 'zeebe';
  if (zeebe) return 'zeebe';
  if (camunda) return 'camunda';
  return 'bpmn';
}

function moddleFor(dialect: DefinitionMeta['dialect']): BpmnModdle {
  if (dialect === 'zeebe') return new BpmnModdle({ zeebe: zeebeSchema });
  if (dialect === 'camunda') return new BpmnModdle({ camunda: camundaSchema });
  return new BpmnModdle();
}

function position(message: string): { line?: number; column?: number } {
  const line = /line: (\d+)/.exec(message);
  const column = /column: (\d+)/.exec(message);
  // The XML parser counts from zero; people count from one.
  return { ...(line ? { line: Number(line[1]) + 1 } : {}), ...(column ? { column: Number(column[1]) + 1 } : {}) };
}

function extensionValues(el: Node): Node[] {
  return (el.extensionElements?.values ?? []) as Node[];
}

function ext(el: Node, type: string): Node | undefined {
  return extensionValues(el).find((v) => v.$type === type);
}

function bodyOf(expr: Node | undefined): string | undefined {
  const b = expr?.body;
  return typeof b === 'string' ? b.trim() : undefined;
}

function messageOf(ref: Node): NonNullable<ElementMeta['message']> {
  const key = ext(ref, 'zeebe:Subscription')?.correlationKey as string | undefined;
  return { id: ref.id, name: ref.name ?? ref.id, ...(key ? { correlationKey: key } : {}) };
}

function elementMeta(el: Node, dialect: DefinitionMeta['dialect']): ElementMeta {
  const meta: ElementMeta = { id: el.id, type: el.$type, name: el.name ?? null };
  if (el.$type === 'bpmn:UserTask') {
    if (dialect === 'zeebe') {
      const a = ext(el, 'zeebe:AssignmentDefinition');
      const s = ext(el, 'zeebe:TaskSchedule');
      const f = ext(el, 'zeebe:FormDefinition');
      const p = ext(el, 'zeebe:PriorityDefinition');
      Object.assign(meta, {
        assignee: a?.assignee, candidateGroups: a?.candidateGroups, candidateUsers: a?.candidateUsers,
        dueDate: s?.dueDate, followUpDate: s?.followUpDate, formKey: f?.formKey ?? f?.formId ?? f?.externalReference,
        priority: p?.priority === undefined ? undefined : String(p.priority),
      });
    } else {
      Object.assign(meta, {
        assignee: el.assignee, candidateGroups: el.candidateGroups, candidateUsers: el.candidateUsers, formKey: el.formKey,
        dueDate: el.dueDate, followUpDate: el.followUpDate, priority: el.priority === undefined ? undefined : String(el.priority),
      });
    }
  }
  if (SERVICE_TYPES.has(el.$type)) {
    if (dialect === 'zeebe') {
      const td = ext(el, 'zeebe:TaskDefinition');
      meta.handler = td?.type;
      if (td?.retries !== undefined) meta.retries = String(td.retries);
    } else {
      meta.handler = el.topic ?? (el.type && el.type !== 'external' ? el.type : undefined);
      const connector = ext(el, 'camunda:Connector')?.connectorId as string | undefined;
      // Camunda 7 names Java code; govflow runs a handler registered under the same name instead.
      const delegates: Array<[NonNullable<ElementMeta['delegate']>, unknown]> = [
        ['class', el.class], ['delegateExpression', el.delegateExpression], ['expression', el.expression], ['connector', connector], ['decisionRef', el.decisionRef],
      ];
      for (const [kind, value] of delegates) {
        if (meta.handler || typeof value !== 'string' || !value.trim()) continue;
        meta.handler = delegateName(value);
        meta.delegate = kind;
      }
      meta.handler ??= el.implementation && el.implementation !== '##WebService' ? el.implementation : undefined;
      const cycle = ext(el, 'camunda:FailedJobRetryTimeCycle');
      if (cycle?.body) meta.retries = String(cycle.body).trim();
    }
  }
  const io = dialect === 'zeebe' ? ext(el, 'zeebe:IoMapping') : undefined;
  if (io?.inputParameters?.length) meta.inputs = (io.inputParameters as Node[]).map((p) => ({ source: p.source, target: p.target }));
  if (io?.outputParameters?.length) meta.outputs = (io.outputParameters as Node[]).map((p) => ({ source: p.source, target: p.target }));
  if (el.$type === 'bpmn:CallActivity') {
    const z = ext(el, 'zeebe:CalledElement');
    meta.call = { processId: z?.processId ?? el.calledElement, propagateAll: z?.propagateAllChildVariables !== false };
  }
  const lc = el.loopCharacteristics as Node | undefined;
  if (lc?.$type === 'bpmn:MultiInstanceLoopCharacteristics') {
    const z = ext(lc, 'zeebe:LoopCharacteristics');
    meta.loop = {
      sequential: !!lc.isSequential,
      collection: z?.inputCollection ?? lc.collection,
      elementVariable: z?.inputElement ?? lc.elementVariable ?? 'item',
      cardinality: bodyOf(lc.loopCardinality),
      outputCollection: z?.outputCollection,
      outputElement: z?.outputElement,
      completionCondition: bodyOf(lc.completionCondition),
    };
  }
  if (el.$type === 'bpmn:BoundaryEvent') {
    meta.attachedTo = el.attachedToRef?.id;
    meta.cancelActivity = el.cancelActivity !== false;
  }
  if (el.$type === 'bpmn:StartEvent') meta.isStart = true;
  if (el.$type === 'bpmn:ScriptTask') {
    const z = ext(el, 'zeebe:Script');
    if (z?.expression) meta.script = { expression: String(z.expression), resultVariable: z.resultVariable };
    else if (/^feel$/i.test(String(el.scriptFormat ?? '')) && typeof el.script === 'string') {
      // A Camunda 7 FEEL script is the expression itself, without the `=` Camunda 8 writes.
      const body = el.script.trim();
      meta.script = { expression: isFeel(body) ? body : `=${body}`, resultVariable: el.resultVariable };
    }
  }
  const refHolder = el.$type === 'bpmn:ReceiveTask' ? el : undefined;
  if (refHolder?.messageRef) meta.message = messageOf(refHolder.messageRef);
  for (const d of (el.eventDefinitions ?? []) as Node[]) {
    if (d.$type === 'bpmn:TimerEventDefinition') {
      for (const kind of ['timeDuration', 'timeDate', 'timeCycle'] as const) {
        const v = bodyOf(d[kind]);
        if (v) meta.timer = { kind, value: v };
      }
    }
    if (d.$type === 'bpmn:MessageEventDefinition' && d.messageRef) meta.message = messageOf(d.messageRef);
    if (d.$type === 'bpmn:SignalEventDefinition' && d.signalRef) meta.signal = { id: d.signalRef.id, name: d.signalRef.name ?? d.signalRef.id };
    if (d.$type === 'bpmn:ErrorEventDefinition' && el.$type === 'bpmn:BoundaryEvent') meta.catchError = { code: d.errorRef?.errorCode ?? null };
  }
  if (el.$parent?.$type === 'bpmn:SubProcess') meta.parentId = el.$parent.id;
  return meta;
}

/** The handler name a Camunda 7 delegate stands for: `${loggerDelegate}` → `loggerDelegate`, a class name as is. */
function delegateName(value: string): string {
  const v = value.trim();
  return isJuel(v) ? v.replace(/^[$#]\{\s*/, '').replace(/\s*\}$/, '') : v;
}

/** Attributes the runtime resolves as FEEL, which Camunda 7 files write in JUEL. */
const JUEL_FIELDS = ['assignee', 'candidateGroups', 'candidateUsers', 'dueDate', 'followUpDate', 'priority'] as const;

/**
 * Translates the JUEL of an element (its condition, its assignment and schedule, its loop) to FEEL in
 * place; what cannot be translated is a problem naming the element.
 */
function translateJuel(el: Node, meta: ElementMeta, problems: DeployProblem[], translations: Translation[]): string | undefined {
  const translate = (field: string, value: string): string | undefined => {
    const r = juelToFeel(value);
    if ('error' in r) {
      problems.push({ code: `bpmn.problem.juel.${r.error}`, params: { id: el.id, field, expression: value }, elementId: el.id });
      return undefined;
    }
    const err = feelSyntaxError(r.feel.slice(1));
    if (err) {
      problems.push({ code: 'bpmn.problem.juel.syntax', params: { id: el.id, field, expression: value }, elementId: el.id, detail: err.message });
      return undefined;
    }
    translations.push({ elementId: el.id, field, juel: value, feel: r.feel });
    return r.feel;
  };
  for (const field of JUEL_FIELDS) {
    const v = meta[field];
    if (isJuel(v)) meta[field] = translate(field, v) ?? v;
  }
  if (meta.loop) {
    if (isJuel(meta.loop.collection)) meta.loop.collection = translate('collection', meta.loop.collection) ?? meta.loop.collection;
    if (isJuel(meta.loop.cardinality)) meta.loop.cardinality = translate('loopCardinality', meta.loop.cardinality) ?? meta.loop.cardinality;
  }
  if (meta.call && isJuel(meta.call.processId)) meta.call.processId = translate('calledElement', meta.call.processId) ?? meta.call.processId;
  if (el.$type === 'bpmn:SequenceFlow' && el.conditionExpression) {
    const body = bodyOf(el.conditionExpression) ?? '';
    const lang = el.conditionExpression.language as string | undefined;
    if (isJuel(body) && (!lang || /^juel$/i.test(lang))) return translate('condition', body);
  }
  return undefined;
}

function feelProblems(el: Node, meta: ElementMeta, problems: DeployProblem[], condition?: string): void {
  const values: Array<[string, unknown]> = [
    ['assignee', meta.assignee], ['candidateGroups', meta.candidateGroups], ['candidateUsers', meta.candidateUsers],
    ['dueDate', meta.dueDate], ['followUpDate', meta.followUpDate], ['priority', meta.priority], ['formKey', meta.formKey],
    ['timer', meta.timer?.value], ['correlationKey', meta.message?.correlationKey], ['script', meta.script?.expression],
    ...(meta.inputs ?? []).map((o) => [`input ${o.target}`, o.source] as [string, unknown]),
    ['calledElement', meta.call?.processId], ['inputCollection', meta.loop?.collection], ['loopCardinality', meta.loop?.cardinality], ['outputElement', meta.loop?.outputElement], ['completionCondition', meta.loop?.completionCondition],
    ...(meta.outputs ?? []).map((o) => [`output ${o.target}`, o.source] as [string, unknown]),
  ];
  if (el.$type === 'bpmn:SequenceFlow') values.push(['condition', condition ?? bodyOf(el.conditionExpression)]);
  for (const [field, value] of values) {
    if (!isFeel(value)) continue;
    const expression = value.trimStart().slice(1);
    const err = feelSyntaxError(expression);
    if (err) {
      problems.push({ code: 'engine.problem.feelSyntax', params: { id: el.id, field, expression: value, from: err.from ?? '?' }, elementId: el.id, detail: err.message });
      continue;
    }
    const range = feelRangeProblem(expression);
    if (range) problems.push({ code: 'engine.problem.feelRange', params: { id: el.id, field, expression: value, size: range.size, limit: range.limit }, elementId: el.id });
  }
}

function walk(container: Node, visit: (el: Node) => void): void {
  for (const el of (container.flowElements ?? []) as Node[]) {
    visit(el);
    if (el.flowElements) walk(el, visit);
  }
}

/** Activities that may be multi-instance. */
const LOOPABLE = new Set(['bpmn:Task', 'bpmn:UserTask', 'bpmn:ManualTask', 'bpmn:SubProcess', 'bpmn:CallActivity', ...SERVICE_TYPES]);

/**
 * Multi-instance activities run when they loop over a FEEL collection or a FEEL count, with an optional
 * FEEL completion condition; standard loops are refused by id.
 */
function loopProblems(el: Node, loop: ElementMeta['loop'], problems: DeployProblem[]): void {
  const lc = el.loopCharacteristics as Node;
  const refuse = (type: string) => {
    problems.push({ code: 'engine.problem.unsupportedElement', params: { id: el.id, type }, elementId: el.id });
  };
  if (!loop || !LOOPABLE.has(el.$type)) return refuse(String(lc.$type).replace(/^bpmn:/, ''));
  if (loop.completionCondition && !isFeel(loop.completionCondition)) problems.push({ code: 'engine.problem.notFeel', params: { id: el.id, value: loop.completionCondition }, elementId: el.id });
  const { collection, cardinality } = loop;
  if (!collection && !cardinality) problems.push({ code: 'engine.problem.loopWithoutCollection', params: { id: el.id }, elementId: el.id });
  if (collection && !isFeel(collection)) problems.push({ code: 'engine.problem.notFeel', params: { id: el.id, value: collection }, elementId: el.id });
  if (cardinality && !isFeel(cardinality) && !/^\d+$/.test(cardinality)) problems.push({ code: 'engine.problem.notFeel', params: { id: el.id, value: cardinality }, elementId: el.id });
}

/**
 * Camunda 8 names the collection on an extension element, and bpmn-elements reads the attributes
 * Camunda 7 uses; JUEL translated at deploy replaces the original text, so what runs is FEEL.
 */
function adaptContext(context: string, metaElements: Record<string, ElementMeta>, conditions: Map<string, string>): string {
  type Behaviour = Record<string, unknown>;
  const ctx = JSON.parse(context) as {
    activities?: Array<{ id: string; behaviour?: { loopCharacteristics?: { behaviour?: Behaviour } } }>;
    sequenceFlows?: Array<{ id: string; behaviour?: { conditionExpression?: { language?: string; body?: string } } }>;
  };
  let changed = false;
  for (const a of ctx.activities ?? []) {
    const loop = metaElements[a.id]?.loop;
    const b = a.behaviour?.loopCharacteristics?.behaviour;
    if (!loop || !b) continue;
    if (loop.collection && b.collection !== loop.collection) {
      b.collection = loop.collection;
      changed = true;
    }
    if (b.elementVariable !== loop.elementVariable) {
      b.elementVariable = loop.elementVariable;
      changed = true;
    }
    if (loop.cardinality && typeof b.loopCardinality === 'string' && b.loopCardinality !== loop.cardinality) {
      b.loopCardinality = loop.cardinality;
      changed = true;
    }
    // The runtime evaluates the condition itself (with the instance counts Camunda offers), so it travels as the FEEL text.
    if (loop.completionCondition && b.completionCondition !== loop.completionCondition) {
      b.completionCondition = loop.completionCondition;
      changed = true;
    }
  }
  for (const f of ctx.sequenceFlows ?? []) {
    const feel = conditions.get(f.id);
    const c = f.behaviour?.conditionExpression;
    if (!feel || !c) continue;
    c.body = feel;
    delete c.language;
    changed = true;
  }
  return changed ? JSON.stringify(ctx) : context;
}

/** Ids of every element inside the given processes (the processes too), found through the model's containment. */
function idsWithin(processes: Node[]): Set<string> {
  const ids = new Set<string>();
  const visit = (el: Node) => {
    if (el.id) ids.add(el.id);
    for (const key of ['flowElements', 'artifacts', 'laneSets', 'lanes']) for (const child of (el[key] ?? []) as Node[]) visit(child);
    if (el.childLaneSet) visit(el.childLaneSet);
  };
  processes.forEach(visit);
  return ids;
}

/** Prefixes a file binds to the BPMN namespace (besides the `bpmn` moddle reports types with). */
function bpmnPrefixes(xml: string): Set<string> {
  const out = new Set(['bpmn']);
  for (const m of xml.matchAll(/xmlns:([\w.-]+)\s*=\s*["']http:\/\/www\.omg\.org\/spec\/BPMN\/20100524\/MODEL["']/g)) out.add(m[1]);
  return out;
}

/**
 * moddle warnings that leave the process as drawn: attributes it does not know, references only the
 * diagram or a name uses, an encoding it assumed, an extension or diagram element it could not read.
 * A BPMN element it could not read would be missing from what runs.
 */
function isHarmlessWarning(message: string, prefixes: Set<string>): boolean {
  if (/^unknown attribute </.test(message) || /^unresolved reference </.test(message) || /encoding/i.test(message)) return true;
  if (!/^unparsable content/.test(message)) return false;
  const name = /nested error: [^<]*<([^>]+)>/.exec(message)?.[1] ?? '';
  const prefix = name.includes(':') ? name.slice(0, name.indexOf(':')) : '';
  return prefix !== '' && !prefixes.has(prefix);
}

function xmlProblem(message: string, isWarning = false): DeployProblem {
  const at = position(message);
  const first = message.split('\n')[0];
  // A message without a position must not show placeholders, so it has its own wording.
  const code = isWarning
    ? (at.line === undefined ? 'bpmn.problem.parserWarning' : 'bpmn.problem.parserWarningAt')
    : (at.line === undefined ? 'engine.problem.xml' : 'bpmn.problem.xmlAt');
  return { code, params: { message: first, ...at }, ...at, detail: message };
}

/** Fills in missing incoming/outgoing references from the sequence flows; true when something changed. */
function linkFlows(root: Node): boolean {
  let changed = false;
  const visit = (container: Node) => {
    const flows = ((container.flowElements ?? []) as Node[]).filter((e) => e.$type === 'bpmn:SequenceFlow');
    for (const f of flows) {
      for (const [end, prop] of [[f.sourceRef, 'outgoing'], [f.targetRef, 'incoming']] as const) {
        if (!end) continue;
        const list = (end[prop] ??= []) as Node[];
        if (!list.includes(f)) {
          list.push(f);
          changed = true;
        }
      }
    }
    for (const el of (container.flowElements ?? []) as Node[]) if (el.flowElements) visit(el);
  };
  for (const r of (root.rootElements ?? []) as Node[]) if (r.$type === 'bpmn:Process') visit(r);
  return changed;
}

/**
 * bpmnlint's findings on the executable processes, as warnings: style rules (a label on every event,
 * an explicit end) inform the designer, and what truly cannot run is refused by the checks above.
 */
async function lint(root: Node, executable: Set<string>): Promise<DeployProblem[]> {
  const linter = new Linter({ config: { extends: 'bpmnlint:recommended' }, resolver: new NodeResolver() });
  const results = (await linter.lint(root)) as Record<string, Array<{ id: string; message: string; category: string }>>;
  const warnings: DeployProblem[] = [];
  for (const [rule, findings] of Object.entries(results)) {
    for (const r of findings) {
      // Other pools (a customer drawn as a collaborator) are documentation, not something that runs.
      if (r.id && !executable.has(r.id) && r.id !== root.id) continue;
      warnings.push({ code: 'engine.problem.lint', params: { rule, id: r.id, message: r.message, category: r.category }, elementId: r.id, detail: r.message });
    }
  }
  return warnings;
}

/** Checks a BPMN file without storing anything: every problem and warning, and the parsed artefacts. */
export async function analyzeXml(input: string): Promise<Analysis> {
  const problems: DeployProblem[] = [];
  const warnings: DeployProblem[] = [];
  let xml = input;
  const dialect = dialectOf(xml);
  let parsed: { rootElement: Node; warnings: Array<{ message: string }> };
  const prefixes = bpmnPrefixes(xml);
  const fatal = (p: typeof parsed) => p.warnings.filter((w) => !isHarmlessWarning(w.message, prefixes));
  try {
    const moddle = moddleFor(dialect);
    parsed = (await moddle.fromXML(xml)) as never;
    if (!fatal(parsed).length && parsed.rootElement?.$type === 'bpmn:Definitions' && linkFlows(parsed.rootElement)) {
      // Hand-written files often omit <incoming>/<outgoing>; the linter and the layout need them.
      xml = (await moddle.toXML(parsed.rootElement, { format: true })).xml;
      parsed = (await moddle.fromXML(xml)) as never;
    }
    if (!fatal(parsed).length && parsed.rootElement?.$type === 'bpmn:Definitions' && !parsed.rootElement?.diagrams?.length) {
      // Files written by hand or by scripts have no diagram; lay them out so every version can be shown.
      xml = await layoutProcess(xml);
      parsed = (await moddleFor(dialect).fromXML(xml)) as never;
    }
  } catch (err) {
    // A draft of BPMN 2.0 used other namespaces: the file is readable XML, just not the standard.
    if (!input.includes(BPMN_NS)) return { problems: [{ code: 'engine.problem.notBpmn', params: {} }], warnings: [], xml };
    problems.push(xmlProblem(String((err as Error).message ?? err)));
    return { problems, warnings: [], xml };
  }
  for (const w of parsed.warnings) {
    if (isHarmlessWarning(w.message, prefixes)) warnings.push(xmlProblem(w.message, true));
    else problems.push(xmlProblem(w.message));
  }
  const root = parsed.rootElement;
  // Serialize before anything reads the model: moddle creates empty collections on access,
  // and an empty `eventDefinitions` would turn a plain start event into a waiting one.
  let context: string | undefined;
  let unserializable: string | undefined;
  if (!problems.length && root?.$type === 'bpmn:Definitions') {
    try {
      context = JSON.stringify(JSON.parse(serializer(parsed as never, TypeResolver(elements as never)).serialize()));
    } catch (err) {
      // An element type bpmn-elements does not know (a complex gateway…): the walk below names it by id.
      unserializable = String((err as Error)?.message ?? err);
    }
  }
  if (!root || root.$type !== 'bpmn:Definitions') {
    return { problems: [{ code: 'engine.problem.notBpmn', params: {} }], warnings: [], xml };
  }
  const processes = ((root.rootElements ?? []) as Node[]).filter((e) => e.$type === 'bpmn:Process' && e.isExecutable);
  if (processes.length === 0) problems.push({ code: 'engine.problem.noExecutableProcess', params: {} });
  if (processes.length > 1) problems.push({ code: 'engine.problem.manyExecutableProcesses', params: { ids: processes.map((p) => p.id).join(', ') } });

  const metaElements: Record<string, ElementMeta> = {};
  const messageStarts: DefinitionMeta['messageStarts'] = [];
  const signalStarts: DefinitionMeta['signalStarts'] = [];
  const timerStarts: DefinitionMeta['timerStarts'] = [];
  const translations: Translation[] = [];
  const conditions = new Map<string, string>();
  for (const proc of processes) {
    walk(proc, (el) => {
      const type = el.$type as string;
      if (!SUPPORTED.has(type) && type !== 'bpmn:ScriptTask') {
        problems.push({ code: 'engine.problem.unsupportedElement', params: { id: el.id, type: type.replace(/^bpmn:/, '') }, elementId: el.id });
        return;
      }
      for (const d of (el.eventDefinitions ?? []) as Node[]) {
        if (!SUPPORTED_EVENTS.has(d.$type)) problems.push({ code: 'engine.problem.unsupportedElement', params: { id: el.id, type: String(d.$type).replace(/^bpmn:/, '') }, elementId: el.id });
      }
      const meta = elementMeta(el, dialect);
      if (type === 'bpmn:ScriptTask' && !meta.script) {
        // Only FEEL runs; JavaScript, Groovy and the rest would run user code on the server.
        const language = String(el.scriptFormat ?? '').trim();
        problems.push({ code: language ? 'bpmn.problem.scriptLanguage' : 'engine.problem.scriptTask', params: { id: el.id, language }, elementId: el.id });
        return;
      }
      if (meta.script && !isFeel(meta.script.expression)) problems.push({ code: 'engine.problem.notFeel', params: { id: el.id, value: meta.script.expression }, elementId: el.id });
      const condition = translateJuel(el, meta, problems, translations);
      if (condition) conditions.set(el.id, condition);
      if (type === 'bpmn:SequenceFlow' && el.conditionExpression && !condition) {
        // Without xsi:type the expression is a plain one, and moddle keeps `language` as an unknown attribute.
        const lang = (el.conditionExpression.language ?? el.conditionExpression.$attrs?.language) as string | undefined;
        const body = bodyOf(el.conditionExpression) ?? '';
        if (lang && !/^(feel|juel)$/i.test(lang)) {
          problems.push({ code: 'bpmn.problem.conditionLanguage', params: { id: el.id, language: lang }, elementId: el.id });
        } else if (!isFeel(body) && !isJuel(body)) {
          problems.push({ code: 'engine.problem.scriptCondition', params: { id: el.id, language: lang ?? '' }, elementId: el.id });
        }
      }
      if (el.loopCharacteristics) loopProblems(el, meta.loop, problems);
      if (meta.call && !meta.call.processId) problems.push({ code: 'engine.problem.callWithoutProcess', params: { id: el.id }, elementId: el.id });
      if (SERVICE_TYPES.has(type) && !meta.handler) problems.push({ code: 'engine.problem.serviceWithoutHandler', params: { id: el.id }, elementId: el.id });
      if (meta.delegate) warnings.push({ code: 'bpmn.problem.delegate', params: { id: el.id, kind: meta.delegate, handler: meta.handler }, elementId: el.id });
      if (meta.retries && !isFeel(meta.retries) && !parseRetryPolicy(meta.retries)) {
        problems.push({ code: 'engine.problem.retryPolicy', params: { id: el.id, value: meta.retries }, elementId: el.id });
      }
      feelProblems(el, meta, problems, condition);
      if (type !== 'bpmn:SequenceFlow') metaElements[el.id] = meta;
      if (type === 'bpmn:StartEvent' && el.$parent === proc) {
        if (meta.message) messageStarts.push({ elementId: el.id, ...meta.message });
        if (meta.signal) signalStarts.push({ elementId: el.id, ...meta.signal });
        if (meta.timer) timerStarts.push({ elementId: el.id, kind: meta.timer.kind, value: meta.timer.value });
      }
    });
  }
  warnings.push(...await lint(root, idsWithin(processes)));
  if (unserializable && !problems.length) problems.push(xmlProblem(unserializable));
  const kept = warnings.slice(0, MAX_WARNINGS);
  if (problems.length) return { problems, warnings: kept, xml };
  const proc = processes[0];
  return {
    problems,
    warnings: kept,
    xml,
    context: context && adaptContext(context, metaElements, conditions),
    meta: {
      key: proc.id, name: proc.name ?? null, dialect, elements: metaElements, messageStarts, signalStarts, timerStarts,
      ...(translations.length ? { translations } : {}),
    },
  };
}

/** What a deploy returns. */
export interface DeployResult {
  id: number;
  key: string;
  version: number;
  /** False when the same XML was deployed before and nothing changed. */
  isNew: boolean;
  warnings: DeployProblem[];
}

type DeployHook = (definition: EngineDefinition, meta: DefinitionMeta) => Promise<void>;
const deployHooks: DeployHook[] = [];

/** Runs after a new version is stored (the job module schedules timer start events here). */
export function onDeployed(hook: DeployHook): void {
  deployHooks.push(hook);
}

/** Validates and stores a BPMN file as the next version of its process; a rejected file changes nothing (422 with every problem). */
export async function deployDefinition(xml: string, opts: { sourceName?: string; deployedBy?: string | null; along?: (row: EngineDefinition, t: Transaction) => Promise<unknown> } = {}): Promise<DeployResult> {
  const sha256 = crypto.createHash('sha256').update(xml).digest('hex');
  const analysis = await analyzeXml(xml);
  if (analysis.problems.length || !analysis.meta || !analysis.context) {
    throw Invalid('engine.deployRejected', { count: analysis.problems.length }, analysis.problems);
  }
  const meta = analysis.meta;
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await engineTransaction(async (t) => {
        const latest = await EngineDefinition.findOne({ where: { key: meta.key }, order: [['version', 'DESC']], transaction: t });
        if (latest && latest.sha256 === sha256) return { row: latest, isNew: false };
        const row = await EngineDefinition.create({
          key: meta.key, version: (latest?.version ?? 0) + 1, name: meta.name, sha256, xml: analysis.xml,
          context: analysis.context, meta: JSON.stringify(meta), sourceName: opts.sourceName ?? null, deployedBy: opts.deployedBy ?? null,
          warnings: analysis.warnings.length ? JSON.stringify(analysis.warnings) : null,
        }, { transaction: t });
        // The caller's record of the deploy (its audit row) commits with the new version or not at all.
        await opts.along?.(row, t);
        return { row, isNew: true };
      });
      latestIds.delete(meta.key);
      if (result.isNew) for (const hook of deployHooks) await hook(result.row, meta);
      return { id: result.row.id, key: result.row.key, version: result.row.version, isNew: result.isNew, warnings: analysis.warnings };
    } catch (err) {
      // Two nodes deploying the same file at start-up race for the version number; the loser retries.
      if (err instanceof UniqueConstraintError && attempt < 3) continue;
      throw err;
    }
  }
}

/** Deploys every `*.bpmn` file of a folder (the shipped processes at start-up). */
export async function deployDirectory(dir: string): Promise<DeployResult[]> {
  if (!fs.existsSync(dir)) return [];
  const out: DeployResult[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.bpmn')).sort()) {
    try {
      out.push(await deployDefinition(fs.readFileSync(path.join(dir, file), 'utf8'), { sourceName: file }));
    } catch (err) {
      log.error('shipped process rejected', { file, problems: JSON.stringify((err as { details?: unknown }).details ?? String(err)) });
      throw err;
    }
  }
  return out;
}

/** A deployed version as the runtime uses it: the parsed context, shared by every instance. */
export interface LoadedDefinition {
  id: number;
  key: string;
  version: number;
  name: string | null;
  meta: DefinitionMeta;
  /** The deserialized moddle context, reused across engines. */
  sourceContext: unknown;
}

/**
 * bpmn-elements' types, except that a manual task passes straight through as an untyped task does:
 * the work happens outside the system, and as a wait state it would wait with nothing anyone can act on.
 */
function typeResolver() {
  const E = elements as unknown as Record<string, unknown>;
  return TypeResolver(E as never, (mapper: Record<string, unknown>) => {
    mapper['bpmn:ManualTask'] = E.Task;
  });
}

/** The warnings a stored definition was deployed with. */
export function definitionWarnings(row: EngineDefinition): DeployProblem[] {
  if (!row.warnings) return [];
  try {
    const list = JSON.parse(row.warnings) as unknown;
    return Array.isArray(list) ? (list as DeployProblem[]) : [];
  } catch {
    return [];
  }
}

const cache = new Map<number, LoadedDefinition>();
/** The latest version id per key as last read, and when: a start reads it again after LATEST_TTL_MS. */
const latestIds = new Map<string, { id: number; at: number }>();
/**
 * How long a start trusts the latest version it read. A deploy on this node takes effect at once;
 * one made on another node (or by the CLI) reaches new starts here within this time.
 */
const LATEST_TTL_MS = 1000;

/** Loads (once per process) the parsed context of a definition version. */
export async function loadDefinition(id: number): Promise<LoadedDefinition> {
  const hit = cache.get(id);
  if (hit) return hit;
  const row = await EngineDefinition.findByPk(id);
  if (!row) throw NotFound('engine.definitionNotFound', { id });
  return cacheRow(row);
}

function cacheRow(row: EngineDefinition): LoadedDefinition {
  const hit = cache.get(row.id);
  if (hit) return hit;
  const loaded: LoadedDefinition = {
    id: row.id, key: row.key, version: row.version, name: row.name, meta: JSON.parse(row.meta),
    sourceContext: deserialize(JSON.parse(row.context), typeResolver()),
  };
  cache.set(row.id, loaded);
  return loaded;
}

/** The latest version of a process by key. */
export async function latestDefinition(key: string): Promise<LoadedDefinition> {
  // Every start asks this: the id is remembered for a moment, the parsed version comes from the cache.
  const known = latestIds.get(key);
  if (known && Date.now() - known.at < LATEST_TTL_MS) return loadDefinition(known.id);
  const [latest] = await selectRows<{ id: number }>('SELECT id FROM engine_definitions WHERE `key` = ? ORDER BY version DESC LIMIT 1', [key]);
  if (!latest) throw NotFound('engine.definitionNotFound', { id: key });
  latestIds.set(key, { id: Number(latest.id), at: Date.now() });
  return loadDefinition(Number(latest.id));
}

/** The latest versions whose start event waits for a message (or signal) of this name. */
export async function definitionsStartedBy(kind: 'message' | 'signal', name: string): Promise<Array<{ def: LoadedDefinition; elementId: string }>> {
  const rows = await EngineDefinition.findAll({ attributes: ['id', 'key', 'version'], order: [['key', 'ASC'], ['version', 'DESC']] });
  const latestIds = new Map<string, number>();
  for (const r of rows) if (!latestIds.has(r.key)) latestIds.set(r.key, r.id);
  const out: Array<{ def: LoadedDefinition; elementId: string }> = [];
  for (const id of latestIds.values()) {
    const def = await loadDefinition(id);
    const starts = kind === 'message' ? def.meta.messageStarts : def.meta.signalStarts;
    for (const s of starts) if (s.name === name) out.push({ def, elementId: s.elementId });
  }
  return out;
}

/** Every definition version, newest first within each key (for the cockpit). */
export async function listDefinitions(): Promise<EngineDefinition[]> {
  return EngineDefinition.findAll({ attributes: { exclude: ['xml', 'context', 'meta', 'warnings'] }, order: [['key', 'ASC'], ['version', 'DESC']] });
}

/** One version with its XML. */
export async function getDefinitionRow(where: { id?: number; key?: string; version?: number }): Promise<EngineDefinition> {
  const row = where.id
    ? await EngineDefinition.findByPk(where.id)
    : await EngineDefinition.findOne({ where: { key: where.key!, ...(where.version ? { version: where.version } : {}) }, order: [['version', 'DESC']] });
  if (!row) throw NotFound('engine.definitionNotFound', { id: where.id ?? where.key });
  return row;
}

/** Ids of the definition versions of a key. */
export async function definitionIdsOf(key: string): Promise<number[]> {
  return (await EngineDefinition.findAll({ where: { key: { [Op.eq]: key } }, attributes: ['id'] })).map((r) => r.id);
}

/** Forgets the parsed definitions of this process (tests simulate a restart with it). */
export function clearDefinitionCache(): void {
  cache.clear();
  latestIds.clear();
}

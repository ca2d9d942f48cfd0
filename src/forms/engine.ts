// The form engine: compiles a definition into a plan of input and computed cells (in dependency order),
// reports definition problems, computes formulas and parent totals, checks entered values and runs rules.
// Pure and shared with the browser so live recomputation has exactly the server's semantics.
import { evaluate, parseExpression } from 'feelin';
import { analyse, budgetErrorOf, budgetPass, evalFeel, feelEvaluate, isBuiltin, rangeTooLarge, type BudgetPass, type FeelBudgetError, type Reference } from './feel.ts';
import {
  childrenOf, fieldsOf, isFileValue, isIsoDate, isMissing, rowLabel, tablesOf,
  type ColumnDef, type FieldDef, type FormDefinition, type FormValues, type RowDef, type RuleDef, type TableDef,
} from './definition.ts';

/** A problem with a definition or with submitted values; `code` is a catalog key, params fill it. */
export interface Issue {
  code: string;
  severity: 'error' | 'warning';
  /** Field id or `row.col` the problem belongs to. */
  target?: string;
  /** Human name of the target (indicator and measure, or field label). */
  where?: string;
  expression?: string;
  /** Rule id for rule results. */
  rule?: string;
  params: Record<string, unknown>;
}

/** Where a computed cell's names are resolved. */
type Scope =
  | { kind: 'full' }
  | { kind: 'row'; table: TableDef; row: string }
  | { kind: 'column'; table: TableDef; column: string };

/** One cell or field of the plan. */
export interface PlanCell {
  key: string;
  kind: 'field' | 'cell';
  where: string;
  /** `input`, `formula` or `total` (sum of children). */
  mode: 'input' | 'formula' | 'total';
  expression?: string;
  scope?: Scope;
  deps: string[];
  field?: FieldDef;
  table?: TableDef;
  row?: RowDef;
  column?: ColumnDef;
  /** Decimals used to round computed numbers. */
  decimals?: number;
  /** The formula has a problem reported on another cell of the same column formula. */
  isBroken?: boolean;
  numeric: boolean;
}

/** The compiled form. */
export interface Plan {
  def: FormDefinition;
  cells: Map<string, PlanCell>;
  /** Computed cells in evaluation order. */
  order: PlanCell[];
  inputs: PlanCell[];
  problems: Issue[];
  rowTable: Map<string, TableDef>;
}

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['prev', 'item', 'true', 'false', 'null', 'and', 'or', 'not', 'if', 'then', 'else', 'for', 'in', 'return', 'some', 'every', 'satisfies', 'function', 'between', 'instance', 'of']);

function cellKey(row: string, col: string): string {
  return `${row}.${col}`;
}

function fieldNumeric(f: FieldDef): boolean {
  return f.type === 'number' || f.type === 'integer' || f.type === 'percent';
}

/** Compiles a definition; never throws, every problem is in `problems`. */
export function compile(def: FormDefinition): Plan {
  const problems: Issue[] = [];
  const cells = new Map<string, PlanCell>();
  const rowTable = new Map<string, TableDef>();
  const names = new Map<string, string>();
  const add = (code: string, params: Record<string, unknown>, extra: Partial<Issue> = {}) =>
    problems.push({ code, severity: 'error', params, ...extra });
  const claim = (id: string, what: string) => {
    if (!ID.test(id) || RESERVED.has(id)) add('forms.check.badId', { id, what });
    else if (names.has(id)) add('forms.check.duplicateId', { id, what, other: names.get(id) });
    else names.set(id, what);
  };
  const sectionIds = new Set<string>();
  for (const s of def.sections ?? []) {
    if (sectionIds.has(s.id)) add('forms.check.duplicateId', { id: s.id, what: s.title, other: s.title });
    sectionIds.add(s.id);
    for (const f of s.fields ?? []) {
      claim(f.id, f.label);
      if (f.type === 'choice' && !f.options?.length && !f.catalog) add('forms.check.choiceWithoutOptions', { where: f.label }, { target: f.id, where: f.label });
      if (f.min !== undefined && f.max !== undefined && f.min > f.max) add('forms.check.minAboveMax', { where: f.label }, { target: f.id, where: f.label });
      cells.set(f.id, {
        key: f.id, kind: 'field', where: f.label, mode: f.formula ? 'formula' : 'input', expression: f.formula,
        scope: f.formula ? { kind: 'full' } : undefined, deps: [], field: f, numeric: fieldNumeric(f),
        decimals: f.type === 'integer' ? 0 : f.decimals,
      });
    }
    for (const t of s.tables ?? []) {
      claim(t.id, t.title ?? t.id);
      for (const r of t.rows) {
        claim(r.id, rowLabel(r));
        rowTable.set(r.id, t);
      }
    }
  }
  // Column ids are bare names inside column formulas, so they may not shadow fields or rows.
  for (const t of tablesOf(def)) {
    const seen = new Set<string>();
    for (const c of t.columns) {
      if (!ID.test(c.id) || RESERVED.has(c.id)) add('forms.check.badId', { id: c.id, what: c.label });
      else if (seen.has(c.id)) add('forms.check.duplicateId', { id: c.id, what: c.label, other: c.label });
      else if (names.has(c.id)) add('forms.check.duplicateId', { id: c.id, what: c.label, other: names.get(c.id) });
      seen.add(c.id);
    }
    const byId = new Map(t.rows.map((r) => [r.id, r]));
    const kids = childrenOf(t);
    for (const r of t.rows) {
      if (r.parent && !byId.has(r.parent)) add('forms.check.unknownParent', { where: rowLabel(r), parent: r.parent }, { target: r.id, where: rowLabel(r) });
      // A parent chain that returns to the row is a cycle in the indicator tree.
      let p = r.parent;
      const seenP = new Set<string>([r.id]);
      while (p && byId.has(p)) {
        if (seenP.has(p)) {
          add('forms.check.parentCycle', { where: rowLabel(r) }, { target: r.id, where: rowLabel(r) });
          break;
        }
        seenP.add(p);
        p = byId.get(p)!.parent;
      }
      if (r.total && !kids.get(r.id)?.length) add('forms.check.totalWithoutChildren', { where: rowLabel(r) }, { target: r.id, where: rowLabel(r) });
      if (r.rollup?.kind === 'weighted' && (!r.rollup.by || !rowTable.has(r.rollup.by))) add('forms.check.weightUnknown', { where: rowLabel(r), by: r.rollup.by ?? '' }, { target: r.id, where: rowLabel(r) });
      if (r.rollup?.kind === 'formula' && !r.rollup.formula) add('forms.check.rollupFormulaMissing', { where: rowLabel(r) }, { target: r.id, where: rowLabel(r) });
      for (const c of Object.keys(r.cells ?? {})) {
        if (!t.columns.some((x) => x.id === c)) add('forms.check.unknownColumn', { where: rowLabel(r), column: c }, { target: r.id, where: rowLabel(r) });
      }
      for (const c of t.columns) {
        if (r.blank?.includes(c.id)) continue;
        const key = cellKey(r.id, c.id);
        const where = `${rowLabel(r)} / ${c.label}`;
        const base = { key, kind: 'cell' as const, where, deps: [], table: t, row: r, column: c, numeric: true, decimals: c.type === 'integer' ? 0 : c.decimals };
        const own = r.cells?.[c.id];
        if (own) cells.set(key, { ...base, mode: 'formula', expression: own, scope: { kind: 'full' } });
        else if (c.formula) cells.set(key, { ...base, mode: 'formula', expression: c.formula, scope: { kind: 'row', table: t, row: r.id } });
        else if (r.formula) cells.set(key, { ...base, mode: 'formula', expression: r.formula, scope: { kind: 'column', table: t, column: c.id } });
        else if (r.total && kids.get(r.id)?.length) {
          cells.set(key, { ...base, mode: 'total', deps: kids.get(r.id)!.filter((k) => !k.blank?.includes(c.id)).map((k) => cellKey(k.id, c.id)) });
        } else cells.set(key, { ...base, mode: 'input' });
      }
    }
  }
  const plan: Plan = { def, cells, order: [], inputs: [], problems, rowTable };
  compilePasses.set(plan, budgetPass());
  // Resolve every formula's references.
  // A column formula is checked once, on its first row, so a bad one is reported once rather than per row.
  const checkedColumns = new Set<string>();
  for (const cell of cells.values()) {
    if (cell.mode !== 'formula' || !cell.expression) continue;
    const columnKey = cell.scope?.kind === 'row' ? `${cell.table!.id}.${cell.column!.id}` : null;
    const isRepeat = columnKey !== null && checkedColumns.has(columnKey);
    if (columnKey) checkedColumns.add(columnKey);
    const sink = isRepeat ? [] : problems;
    const deps = resolveExpression(plan, cell.expression, cell.scope!, cell.key, cell.where, sink);
    cell.deps = deps;
    if (!isRepeat && problemsFor(problems, cell.key).length === 0) checkType(plan, cell, problems);
    if (isRepeat && sink.length) cell.isBroken = true;
  }
  // Roll-up formulas name other rows of the same measure, like row formulas.
  for (const t of tablesOf(def)) {
    for (const r of t.rows) {
      if (r.rollup?.kind !== 'formula' || !r.rollup.formula || !t.columns.length) continue;
      resolveExpression(plan, r.rollup.formula, { kind: 'column', table: t, column: t.columns[0].id }, r.id, rowLabel(r), problems);
    }
  }
  for (const rule of def.rules ?? []) checkRule(plan, rule, problems);
  orderCells(plan);
  plan.inputs = [...cells.values()].filter((c) => c.mode === 'input');
  return plan;
}

function problemsFor(problems: Issue[], key: string): Issue[] {
  return problems.filter((p) => p.target === key);
}

/** Resolves the references of an expression in a scope; unknown names become problems. Returns the cells it reads. */
function resolveExpression(plan: Plan, expression: string, scope: Scope, target: string, where: string, problems: Issue[]): string[] {
  const a = analyse(expression);
  if (a.syntaxError) {
    problems.push({ code: 'forms.check.syntax', severity: 'error', target, where, expression, params: { where, expression, position: a.syntaxError.from + 1 } });
    return [];
  }
  const range = rangeTooLarge(expression);
  if (range) {
    problems.push({ code: 'forms.check.rangeTooLarge', severity: 'error', target, where, expression, params: { where, expression, ...range } });
    return [];
  }
  const deps = new Set<string>();
  for (const ref of a.refs) {
    const resolved = resolveRef(plan, ref, scope);
    if (resolved === 'unknown') {
      if (ref.isCall && ref.path.length === 1) {
        if (!isBuiltin(ref.path[0])) problems.push({ code: 'forms.check.unknownFunction', severity: 'error', target, where, expression, params: { where, expression, name: ref.path[0] } });
      } else {
        problems.push({ code: 'forms.check.unknownReference', severity: 'error', target, where, expression, params: { where, expression, name: expression.slice(ref.from, ref.to) } });
      }
    } else for (const d of resolved) deps.add(d);
  }
  return [...deps];
}

function resolveRef(plan: Plan, ref: Reference, scope: Scope): string[] | 'unknown' {
  const [head, ...rest] = ref.path;
  if (head === 'prev') {
    // Previous-period values exist for every input and computed cell; they create no dependency.
    if (rest.length === 0) return [];
    const inner = resolveRef(plan, { ...ref, path: rest }, { kind: 'full' });
    return inner === 'unknown' ? 'unknown' : [];
  }
  if (scope.kind === 'row' && rest.length === 0 && scope.table.columns.some((c) => c.id === head)) {
    return plan.cells.has(cellKey(scope.row, head)) ? [cellKey(scope.row, head)] : [];
  }
  if (scope.kind === 'column' && rest.length === 0 && plan.rowTable.get(head) === scope.table) {
    return plan.cells.has(cellKey(head, scope.column)) ? [cellKey(head, scope.column)] : [];
  }
  const cell = plan.cells.get(head);
  if (cell?.kind === 'field') return rest.length === 0 ? [head] : 'unknown';
  const table = plan.rowTable.get(head);
  if (table) {
    if (scope.kind === 'column' && table === scope.table) return 'unknown';
    if (rest.length === 0) return table.columns.map((c) => cellKey(head, c.id)).filter((k) => plan.cells.has(k));
    if (rest.length === 1 && table.columns.some((c) => c.id === rest[0])) return plan.cells.has(cellKey(head, rest[0])) ? [cellKey(head, rest[0])] : [];
    return 'unknown';
  }
  return 'unknown';
}

function sampleFor(cell: PlanCell | undefined): unknown {
  if (!cell) return null;
  if (cell.numeric) return 1;
  switch (cell.field?.type) {
    case 'boolean': return true;
    case 'date': return evaluate('date("2024-01-01")', {}).value;
    default: return 'a';
  }
}

/** A context with a typed sample value in every cell, to catch type mismatches before publishing. */
const samples = new WeakMap<Plan, Record<string, unknown>>();

function sampleContext(plan: Plan): Record<string, unknown> {
  const known = samples.get(plan);
  if (known) return known;
  const ctx: Record<string, unknown> = {};
  for (const c of plan.cells.values()) {
    if (c.kind === 'field') ctx[c.key] = sampleFor(c);
    else setValue(ctx, c.key, 1);
  }
  samples.set(plan, ctx);
  return ctx;
}

/**
 * The variables one expression reads, and nothing else: feelin walks every entry of the context it is
 * given, so passing the whole form would make each evaluation cost as much as the form is large.
 */
function contextFor(expression: string, values: FormValues, prev: FormValues | null | undefined, scope: Scope | undefined): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  for (const ref of analyse(expression).refs) {
    const head = ref.path[0];
    if (head in ctx && head !== 'prev') continue;
    if (head === 'prev') {
      const p = (ctx.prev ??= {}) as Record<string, unknown>;
      const name = ref.path[1];
      if (name !== undefined && !(name in p)) p[name] = (prev ?? {})[name] ?? null;
      continue;
    }
    if (scope?.kind === 'row' && scope.table.columns.some((c) => c.id === head)) ctx[head] = (values[scope.row] as Record<string, unknown> | undefined)?.[head] ?? null;
    else if (scope?.kind === 'column' && scope.table.rows.some((r) => r.id === head)) ctx[head] = (values[head] as Record<string, unknown> | undefined)?.[scope.column] ?? null;
    else if (head in values) ctx[head] = values[head];
  }
  return ctx;
}

const TYPE_WARNINGS = new Set(['INVALID_TYPE', 'INVALID_ARGUMENTS', 'NOT_COMPARABLE']);

type FeelType = 'number' | 'string' | 'boolean' | 'date' | 'null' | 'any';
interface TreeNode { name: string; from: number; to: number; firstChild: TreeNode | null; nextSibling: TreeNode | null }

function cellType(cell: PlanCell | undefined): FeelType {
  if (!cell) return 'any';
  if (cell.numeric) return 'number';
  switch (cell.field?.type) {
    case 'boolean': return 'boolean';
    case 'date': return 'date';
    case 'file': return 'any';
    default: return 'string';
  }
}

/**
 * A static type check of arithmetic, comparisons and logic. feelin compares a text with a number
 * without complaint (`"a" > 3` is false), so such slips are caught here before publishing.
 */
function staticTypeProblem(plan: Plan, expression: string, scope: Scope): string | null {
  let top: TreeNode;
  try {
    top = parseExpression(expression, {}, undefined).topNode as unknown as TreeNode;
  } catch {
    return null;
  }
  const kids = (n: TreeNode) => {
    const out: TreeNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  };
  const pathOf = (n: TreeNode): string[] | null => {
    if (n.name === 'VariableName') return [expression.slice(n.from, n.to)];
    if (n.name === 'PathExpression') {
      const [head, , name] = kids(n);
      const p = head ? pathOf(head) : null;
      return p && name?.name === 'PathName' ? [...p, expression.slice(name.from, name.to)] : null;
    }
    return null;
  };
  let problem: string | null = null;
  const text = (n: TreeNode) => expression.slice(n.from, n.to);
  const infer = (n: TreeNode): FeelType => {
    switch (n.name) {
      case 'NumericLiteral': return 'number';
      case 'StringLiteral': return 'string';
      case 'BooleanLiteral': return 'boolean';
      case 'null': return 'null';
      case 'VariableName':
      case 'PathExpression': {
        const p = pathOf(n);
        if (!p) return 'any';
        const path = p[0] === 'prev' ? p.slice(1) : p;
        const r = path.length ? resolveRef(plan, { path, from: 0, to: 0, isCall: false }, p[0] === 'prev' ? { kind: 'full' } : scope) : 'unknown';
        return r !== 'unknown' && r.length === 1 ? cellType(plan.cells.get(r[0])) : 'any';
      }
      case 'ParenthesizedExpression': {
        const inner = kids(n).find((c) => c.name !== '(' && c.name !== ')');
        return inner ? infer(inner) : 'any';
      }
      case 'ArithmeticExpression': {
        const parts = kids(n).filter((c) => c.name !== 'ArithOp');
        const types = parts.map(infer);
        if (types.some((x) => x === 'string' || x === 'boolean')) problem ??= text(n);
        return types.every((x) => x === 'number' || x === 'null' || x === 'any') ? 'number' : 'any';
      }
      case 'Comparison': {
        const parts = kids(n);
        if (parts.length === 3 && parts[1].name === 'CompareOp') {
          const a = infer(parts[0]);
          const b = infer(parts[2]);
          const op = text(parts[1]);
          const known = (x: FeelType) => x !== 'any' && x !== 'null';
          if (known(a) && known(b) && a !== b) problem ??= text(n);
          if (op !== '=' && op !== '!=' && (a === 'boolean' || b === 'boolean')) problem ??= text(n);
        } else parts.forEach(infer);
        return 'boolean';
      }
      case 'Disjunction':
      case 'Conjunction': {
        for (const c of kids(n)) {
          if (c.name === 'or' || c.name === 'and') continue;
          const x = infer(c);
          if (x === 'number' || x === 'string' || x === 'date') problem ??= text(c);
        }
        return 'boolean';
      }
      case 'IfExpression': {
        const parts = kids(n).filter((c) => !['if', 'then', 'else'].includes(c.name));
        if (parts.length !== 3) return 'any';
        const cond = infer(parts[0]);
        if (cond === 'number' || cond === 'string' || cond === 'date') problem ??= text(parts[0]);
        const a = infer(parts[1]);
        const b = infer(parts[2]);
        return a === b ? a : a === 'null' ? b : b === 'null' ? a : 'any';
      }
      default:
        kids(n).forEach(infer);
        return 'any';
    }
  };
  const body = top.firstChild;
  if (body) infer(body);
  return problem;
}

/** The FEEL budget pass of each plan's compile. */
const compilePasses = new WeakMap<Plan, BudgetPass>();

function checkType(plan: Plan, cell: PlanCell, problems: Issue[]): void {
  const ctx = sampleContext(plan);
  let r: { value: unknown; warnings: Array<{ type: string; message: string }> };
  try {
    r = feelEvaluate(cell.expression!, contextFor(cell.expression!, ctx, ctx, cell.scope), compilePasses.get(plan));
  } catch (err) {
    if (budgetErrorOf(err)) problems.push(budgetIssue(cell.key, cell.where, cell.expression!));
    return;
  }
  const staticProblem = staticTypeProblem(plan, cell.expression!, cell.scope ?? { kind: 'full' });
  const invalid = staticProblem ? { message: staticProblem } : r.warnings.find((w) => TYPE_WARNINGS.has(w.type));
  const wantsNumber = cell.numeric;
  const wantsText = cell.field && ['text', 'longtext', 'choice'].includes(cell.field.type);
  const wantsBool = cell.field?.type === 'boolean';
  const v = r.value;
  const wrong = v !== null && v !== undefined && ((wantsNumber && typeof v !== 'number') || (wantsText && typeof v !== 'string') || (wantsBool && typeof v !== 'boolean'));
  if (invalid || wrong) {
    problems.push({ code: 'forms.check.typeMismatch', severity: 'error', target: cell.key, where: cell.where, expression: cell.expression, params: { where: cell.where, expression: cell.expression, detail: invalid?.message ?? typeof v } });
  }
}

function ruleWhere(rule: RuleDef): string {
  return rule.message || rule.id;
}

function checkRule(plan: Plan, rule: RuleDef, problems: Issue[]): void {
  const where = ruleWhere(rule);
  const before = problems.length;
  let scope: Scope = { kind: 'full' };
  let table: TableDef | undefined;
  if (rule.forEachRow) {
    table = tablesOf(plan.def).find((t) => t.id === rule.forEachRow);
    if (!table) {
      problems.push({ code: 'forms.check.unknownTable', severity: 'error', rule: rule.id, where, params: { where, table: rule.forEachRow } });
      return;
    }
    scope = { kind: 'row', table, row: table.rows[0]?.id ?? '' };
  }
  resolveExpression(plan, rule.expression, scope, `rule:${rule.id}`, where, problems);
  for (const p of problems.slice(before)) p.rule = rule.id;
  if (rule.target && !plan.cells.has(rule.target)) problems.push({ code: 'forms.check.unknownTarget', severity: 'error', rule: rule.id, where, params: { where, target: rule.target } });
  if (problems.length > before) return;
  const ctx = sampleContext(plan);
  try {
    const r = feelEvaluate(rule.expression, contextFor(rule.expression, ctx, ctx, scope), compilePasses.get(plan));
    const staticProblem = staticTypeProblem(plan, rule.expression, scope);
    const invalid = staticProblem ? { message: staticProblem } : r.warnings.find((w) => TYPE_WARNINGS.has(w.type));
    if (invalid) problems.push({ code: 'forms.check.typeMismatch', severity: 'error', rule: rule.id, where, expression: rule.expression, params: { where, expression: rule.expression, detail: invalid.message } });
    else if (r.value !== null && typeof r.value !== 'boolean') problems.push({ code: 'forms.check.ruleNotBoolean', severity: 'error', rule: rule.id, where, expression: rule.expression, params: { where, expression: rule.expression } });
  } catch (err) {
    // Syntax problems are already reported.
    if (budgetErrorOf(err)) problems.push({ ...budgetIssue(`rule:${rule.id}`, where, rule.expression), rule: rule.id });
  }
}

/** An expression stopped at its FEEL budget (time or memory), as a problem of the cell or rule it belongs to. */
function budgetIssue(target: string, where: string, expression: string): Issue {
  return { code: 'forms.check.budget', severity: 'error', target, where, expression, params: { where, expression } };
}

/** Orders computed cells so each comes after what it reads; cells on a cycle become problems. */
function orderCells(plan: Plan): void {
  const computed = [...plan.cells.values()].filter((c) => c.mode !== 'input');
  const pending = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const c of computed) {
    const inner = c.deps.filter((d) => plan.cells.get(d)?.mode !== 'input' && plan.cells.has(d));
    pending.set(c.key, inner.length);
    for (const d of inner) (readers.get(d) ?? readers.set(d, []).get(d)!).push(c.key);
  }
  const queue = computed.filter((c) => pending.get(c.key) === 0).map((c) => c.key);
  const order: PlanCell[] = [];
  while (queue.length) {
    const k = queue.shift()!;
    order.push(plan.cells.get(k)!);
    for (const r of readers.get(k) ?? []) {
      const n = pending.get(r)! - 1;
      pending.set(r, n);
      if (n === 0) queue.push(r);
    }
  }
  plan.order = order;
  if (order.length === computed.length) return;
  // Report each cycle once, naming its cells in order.
  const left = new Set(computed.filter((c) => pending.get(c.key)! > 0).map((c) => c.key));
  const reported = new Set<string>();
  for (const start of left) {
    if (reported.has(start)) continue;
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let cur: string | undefined = start;
    while (cur && !onPath.has(cur)) {
      onPath.set(cur, path.length);
      path.push(cur);
      cur = plan.cells.get(cur)!.deps.find((d) => left.has(d));
    }
    if (!cur) continue;
    const cycle = path.slice(onPath.get(cur)!);
    if (cycle.some((k) => reported.has(k))) continue;
    for (const k of cycle) reported.add(k);
    const first = plan.cells.get(cycle[0])!;
    const names = [...cycle, cycle[0]].map((k) => plan.cells.get(k)!.where).join(' → ');
    plan.problems.push({ code: 'forms.check.cycle', severity: 'error', target: first.key, where: first.where, expression: first.expression, params: { where: first.where, cycle: names, expression: first.expression ?? '' } });
  }
}

function round(v: number, decimals: number | undefined): number {
  const d = decimals ?? 6;
  const f = 10 ** d;
  const r = Math.round((v + Number.EPSILON * Math.sign(v)) * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** Normalises submitted values into the plan's shape: every row an object, missing inputs null. */
export function normalizeValues(plan: Plan, input: FormValues): FormValues {
  const out = emptyValues();
  for (const c of plan.cells.values()) {
    if (c.kind === 'field') {
      const v = ownValue(input, c.key);
      out[c.key] = c.mode === 'input' ? (isMissing(v) ? null : v) : null;
    } else {
      let row = ownValue(out, c.row!.id) as Record<string, unknown> | undefined;
      if (!row) out[c.row!.id] = row = emptyValues();
      const v = ownValue(ownValue(input, c.row!.id), c.column!.id);
      row[c.column!.id] = c.mode === 'input' && !isMissing(v) ? v : null;
    }
  }
  return out;
}

/**
 * Computes every formula and total in dependency order; returns the full values (inputs kept). A
 * formula stopped at its FEEL budget gives null and, when `faults` is given, an issue there.
 */
export function computeValues(plan: Plan, input: FormValues, prev?: FormValues | null, faults?: Issue[]): FormValues {
  const values = normalizeValues(plan, input);
  const broken = new Set(plan.problems.map((p) => p.target));
  const pass = budgetPass();
  for (const c of plan.order) {
    let v: unknown = null;
    if (c.mode === 'total') {
      const parts = c.deps.map((d) => getValue(values, d)).filter((x): x is number => typeof x === 'number');
      v = parts.length ? parts.reduce((a, b) => a + b, 0) : null;
    } else if (c.expression && !c.isBroken && !broken.has(c.key)) {
      v = evalFeel(c.expression, contextFor(c.expression, values, prev, c.scope), faults && (() => {
        if (!faults.some((f) => f.expression === c.expression)) faults.push(budgetIssue(c.key, c.where, c.expression!));
      }), pass);
    }
    if (typeof v === 'number') v = Number.isFinite(v) ? round(v, c.decimals) : null;
    if (c.numeric && typeof v !== 'number') v = null;
    setValue(values, c.key, v);
  }
  return values;
}

/**
 * Path segments that never name a value: on a plain object they reach its prototype (and through it
 * every object of the process), so reads and writes refuse them whatever the definition says.
 */
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Whether a name is safe as one segment of a value path (a field id, row id or column id). */
export function isSafeSegment(name: string): boolean {
  return !UNSAFE_SEGMENTS.has(name);
}

/** An own property of an object, or undefined (inherited properties never count). */
function ownValue(o: unknown, name: string): unknown {
  if (!o || typeof o !== 'object' || !isSafeSegment(name) || !Object.hasOwn(o, name)) return undefined;
  return (o as Record<string, unknown>)[name];
}

/** Splits `id` or `row.col`; anything else (more dots, an unsafe segment) is null. */
function splitKey(key: string): [string] | [string, string] | null {
  const parts = String(key).split('.');
  if (parts.length > 2 || parts.some((p) => !p || !isSafeSegment(p))) return null;
  return parts as [string] | [string, string];
}

/** An empty values object: no prototype, so no key can reach shared objects. */
export function emptyValues(): FormValues {
  return Object.create(null) as FormValues;
}

/** Reads a value by field id or `row.col` (own properties only). */
export function getValue(values: FormValues, key: string): unknown {
  const parts = splitKey(key);
  if (!parts) return null;
  if (parts.length === 1) return ownValue(values, parts[0]) ?? null;
  return ownValue(ownValue(values, parts[0]), parts[1]) ?? null;
}

/**
 * A reader of one value path (field id or `row.col`), split and checked once: the same answers as
 * getValue, for loops that read one cell of many value sets (roll-ups).
 */
export function valueReader(key: string): (values: FormValues) => unknown {
  const parts = splitKey(key);
  if (!parts) return () => null;
  const own = (o: unknown, name: string): unknown => (o && typeof o === 'object' && Object.hasOwn(o, name) ? (o as Record<string, unknown>)[name] : undefined);
  if (parts.length === 1) {
    const [a] = parts;
    return (values) => own(values, a) ?? null;
  }
  const [a, b] = parts;
  return (values) => own(own(values, a), b) ?? null;
}

/** Writes a value by field id or `row.col`; a path with an unsafe segment is refused with a RangeError. */
export function setValue(values: FormValues, key: string, v: unknown): void {
  const parts = splitKey(key);
  if (!parts) throw new RangeError(`Unsafe value path: ${String(key).slice(0, 100)}`);
  if (parts.length === 1) {
    values[parts[0]] = v;
    return;
  }
  let row = ownValue(values, parts[0]);
  if (!row || typeof row !== 'object') {
    row = emptyValues();
    values[parts[0]] = row;
  }
  (row as Record<string, unknown>)[parts[1]] = v;
}

/**
 * The keys of submitted values that are not this form's own: top-level keys must be field or row ids,
 * the keys inside a row the columns of its table. Empty when every key is known.
 */
export function unknownValueKeys(plan: Plan, input: FormValues): string[] {
  const out: string[] = [];
  if (!input || typeof input !== 'object' || Array.isArray(input)) return ['values'];
  for (const k of Object.keys(input)) {
    if (!isSafeSegment(k)) {
      out.push(k);
      continue;
    }
    const table = plan.rowTable.get(k);
    if (plan.cells.has(k) && plan.cells.get(k)!.kind === 'field') continue;
    if (!table) {
      out.push(k);
      continue;
    }
    const row = (input as Record<string, unknown>)[k];
    if (row === null || row === undefined) continue;
    if (typeof row !== 'object' || Array.isArray(row)) {
      out.push(k);
      continue;
    }
    for (const c of Object.keys(row)) if (!isSafeSegment(c) || !table.columns.some((col) => col.id === c)) out.push(`${k}.${c}`);
  }
  return out;
}

/** Checks entered values against types, bounds, choices and required marks. */
export function checkInputs(plan: Plan, input: FormValues): Issue[] {
  const issues: Issue[] = [];
  for (const c of plan.inputs) {
    const v = getValue(input, c.key);
    const push = (code: string, params: Record<string, unknown> = {}) =>
      issues.push({ code, severity: 'error', target: c.key, where: c.where, params: { where: c.where, value: v === null ? '' : String(v), ...params } });
    if (isMissing(v)) {
      if (c.field?.required) push('forms.value.required');
      continue;
    }
    const f = c.field;
    const type = f?.type ?? c.column?.type;
    const min = f?.min ?? c.column?.min;
    const max = f?.max ?? c.column?.max;
    if (type === 'number' || type === 'integer' || type === 'percent') {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        push('forms.value.notNumber');
        continue;
      }
      if (type === 'integer' && !Number.isInteger(v)) push('forms.value.notInteger');
      if (min !== undefined && v < min) push('forms.value.belowMin', { min });
      if (max !== undefined && v > max) push('forms.value.aboveMax', { max });
    } else if (type === 'boolean') {
      if (typeof v !== 'boolean') push('forms.value.notBoolean');
    } else if (type === 'date') {
      if (!isIsoDate(v)) push('forms.value.notDate');
    } else if (type === 'choice') {
      // A catalog field resolved to an empty list refuses every value; an unresolved one is not checked here.
      if (f?.options && (f.options.length || f.catalog) && !f.options.some((o) => o.value === v)) push('forms.value.notChoice');
    } else if (type === 'file') {
      if (!isFileValue(v)) push('forms.value.notFile', { value: '' });
    } else if (typeof v !== 'string') push('forms.value.notText');
  }
  return issues;
}

/** Cells and fields a rule reads, resolved for one row when the rule runs per row. */
function ruleOperands(plan: Plan, rule: RuleDef, scope: Scope): Array<{ key: string; prev: boolean }> {
  const a = analyse(rule.expression);
  const out: Array<{ key: string; prev: boolean }> = [];
  for (const ref of a.refs) {
    if (ref.isCall) continue;
    const isPrev = ref.path[0] === 'prev';
    const path = isPrev ? ref.path.slice(1) : ref.path;
    if (!path.length) continue;
    const r = resolveRef(plan, { ...ref, path }, isPrev ? { kind: 'full' } : scope);
    if (r !== 'unknown') for (const key of r) out.push({ key, prev: isPrev });
  }
  return out;
}

/** Runs every rule over computed values; each failure is an issue with the rule's message and severity. */
export function runRules(plan: Plan, values: FormValues, prev?: FormValues | null): Issue[] {
  const issues: Issue[] = [];
  const pass = budgetPass();
  for (const rule of plan.def.rules ?? []) {
    if (plan.problems.some((p) => p.rule === rule.id)) continue;
    const table = rule.forEachRow ? tablesOf(plan.def).find((t) => t.id === rule.forEachRow) : undefined;
    const scopes: Scope[] = table ? table.rows.map((r) => ({ kind: 'row', table, row: r.id })) : [{ kind: 'full' }];
    for (const scope of scopes) {
      const operands = ruleOperands(plan, rule, scope);
      const read = (o: { key: string; prev: boolean }) => getValue(o.prev ? (prev ?? {}) : values, o.key);
      const missing = operands.filter((o) => isMissing(read(o)));
      const strategy = rule.missing ?? 'skipIfAnyMissing';
      if (strategy === 'skipIfAnyMissing' && missing.length > 0) continue;
      if (strategy === 'skipIfAllMissing' && operands.length > 0 && missing.length === operands.length) continue;
      let ctx = contextFor(rule.expression, values, prev, scope);
      if (missing.length) {
        // Missing operands count as zero (numbers) for the zero strategy and when only some are missing.
        const curr = overlay(values, missing.filter((o) => !o.prev).map((o) => o.key), plan);
        const prevZero = overlay(prev ?? {}, missing.filter((o) => o.prev).map((o) => o.key), plan);
        ctx = contextFor(rule.expression, curr, prevZero, scope);
      }
      const result = evalFeel(rule.expression, ctx, (err: FeelBudgetError) => {
        // Stopped once, stopped for every row: one issue per rule is enough.
        if (!issues.some((i) => i.rule === rule.id && i.code === 'forms.check.budget')) issues.push({ ...budgetIssue(`rule:${rule.id}`, ruleWhere(rule), err.expression), rule: rule.id });
      }, pass);
      // Null means the rule cannot be evaluated (e.g. a blank cell of this row): nothing to report.
      if (result !== false) continue;
      const row = scope.kind === 'row' ? scope.table.rows.find((r) => r.id === scope.row) : undefined;
      const target = rule.target ?? firstOperand(operands);
      const where = target ? plan.cells.get(target)?.where : undefined;
      issues.push({
        code: 'forms.rule.failed',
        severity: rule.severity,
        rule: rule.id,
        target,
        where,
        expression: rule.expression,
        params: { message: rule.message, where: where ?? '', row: row ? rowLabel(row) : '' },
      });
    }
  }
  return issues;
}

/** A shallow copy of values with the given numeric cells set to zero (rows copied only where touched). */
function overlay(values: FormValues, keys: string[], plan: Plan): FormValues {
  const out: FormValues = { ...values };
  for (const key of keys) {
    if (!plan.cells.get(key)?.numeric) continue;
    const dot = key.indexOf('.');
    if (dot < 0) out[key] = 0;
    else {
      const row = key.slice(0, dot);
      out[row] = { ...((out[row] as Record<string, unknown>) ?? {}), [key.slice(dot + 1)]: 0 };
    }
  }
  return out;
}

function firstOperand(ops: Array<{ key: string; prev: boolean }>): string | undefined {
  return ops.find((o) => !o.prev)?.key;
}

/** Result of checking a submission. */
export interface Evaluation {
  values: FormValues;
  issues: Issue[];
  hasErrors: boolean;
}

/** Checks inputs, computes formulas and runs rules: what a save or a submission sees. */
export function evaluateForm(plan: Plan, input: FormValues, prev?: FormValues | null): Evaluation {
  const inputIssues = checkInputs(plan, input);
  const bad = new Set(inputIssues.map((i) => i.target));
  const clean: FormValues = JSON.parse(JSON.stringify(input ?? {}));
  for (const k of bad) if (k) setValue(clean, k, null);
  const faults: Issue[] = [];
  const values = computeValues(plan, clean, prev, faults);
  const issues = [...inputIssues, ...faults, ...runRules(plan, values, prev)];
  for (const k of bad) if (k) setValue(values, k, getValue(input, k));
  return { values, issues, hasErrors: issues.some((i) => i.severity === 'error') };
}

/** Plan cells of one table in row-major order. */
export function tableCells(plan: Plan, table: TableDef): PlanCell[] {
  const out: PlanCell[] = [];
  for (const r of table.rows) for (const c of table.columns) {
    const cell = plan.cells.get(cellKey(r.id, c.id));
    if (cell) out.push(cell);
  }
  return out;
}

/** Fields of a definition as plan cells. */
export function fieldCells(plan: Plan): PlanCell[] {
  return fieldsOf(plan.def).map((f) => plan.cells.get(f.id)!).filter(Boolean);
}

/** Plausible numbers in every numeric input, for the designer's sample PDF and previews. */
export function sampleValues(plan: Plan): FormValues {
  const values: FormValues = {};
  let i = 0;
  for (const c of plan.inputs) {
    if (!c.numeric) continue;
    i++;
    const lo = c.column?.min ?? c.field?.min ?? 0;
    const hi = c.column?.max ?? c.field?.max;
    let v = lo + 10 + ((i * 37) % 90);
    if (hi !== undefined && v > hi) v = hi;
    setValue(values, c.key, c.decimals === 0 || c.column?.type === 'integer' || c.field?.type === 'integer' ? Math.round(v) : v);
  }
  return values;
}

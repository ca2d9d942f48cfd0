// What can be known of a FEEL expression from its parse tree alone, without evaluating it: its first
// syntax error, whether its cost is bounded by the size of its input, and literal ranges it would
// materialize. Shared by the server and the browser bundle, so nothing here may import node modules.
import { parseExpression } from 'feelin';

/** A syntax problem: feelin's own message and the span it points at. */
export interface FeelSyntaxProblem {
  message: string;
  from: number;
  to: number;
}

/** A range an expression iterates over, written with number literals as bounds. */
export interface LiteralRange {
  from: number;
  to: number;
  /** How many values the range holds. */
  size: number;
}

/** The shape of an expression, found once per text. */
export interface FeelShape {
  syntaxError: FeelSyntaxProblem | null;
  /**
   * Whether evaluating it costs no more than its input is large: no iteration over a range or over
   * anything but a variable or a written-out list, no nested or multiple iteration contexts, no function definitions, no
   * regular expressions (a pattern can backtrack for ever).
   */
  isBounded: boolean;
  /** Number-literal ranges it iterates over. */
  literalRanges: LiteralRange[];
}

/** feelin's built-ins that run a regular expression given by the expression. */
const REGEX_FUNCTIONS = new Set(['matches', 'replace', 'split']);
/** Nodes that evaluate their body once per element of a list. */
const ITERATING = new Set(['ForExpression', 'QuantifiedExpression', 'FilterExpression']);

const shapes = new Map<string, FeelShape>();
/** Shapes kept per text; an expression store is small, a flood of distinct texts must not grow memory. */
const MAX_SHAPES = 10000;

interface SyntaxNodeLike {
  name: string;
  from: number;
  to: number;
  type: { isError: boolean; isSkipped: boolean };
  parent: SyntaxNodeLike | null;
  firstChild: SyntaxNodeLike | null;
  lastChild: SyntaxNodeLike | null;
  nextSibling: SyntaxNodeLike | null;
  getChildren(name: string): SyntaxNodeLike[];
  enterUnfinishedNodesBefore(pos: number): SyntaxNodeLike | null;
}

// The message and span feelin's interpreter gives for an error node, so a check that only parses
// reports what evaluation would have reported.
function errorDetails(node: SyntaxNodeLike): FeelSyntaxProblem {
  const parent = node.parent;
  const parentName = parent?.name ?? 'Expression';
  if (node.from !== node.to) return { message: `Unrecognized token in <${parentName}>`, from: node.from, to: node.to };
  for (let cur: SyntaxNodeLike | null = node; cur; cur = cur.parent) {
    const next = cur.nextSibling;
    if (next) return { message: `Unrecognized token <${next.name}> in <${parentName}>`, from: next.from, to: next.to };
  }
  const unfinished = parent?.enterUnfinishedNodesBefore(node.to) ?? null;
  return { message: `Incomplete <${(unfinished ?? parent)?.name ?? parentName}>`, from: node.from, to: node.to };
}

function numberLiteral(text: string, node: SyntaxNodeLike | null): number | null {
  // A negative literal is one NumericLiteral node (`-5`) holding its sign.
  return node?.name === 'NumericLiteral' ? Number(text.slice(node.from, node.to)) : null;
}

/** The bounds of a range written `a..b` or `[a..b]` inside an iteration context, when both are number literals. */
function literalRange(text: string, context: SyntaxNodeLike): LiteralRange | null {
  let holder: SyntaxNodeLike = context;
  // `[a..b]` arrives wrapped: IterationContext > SimplePositiveUnaryTest > Interval.
  while (holder.firstChild && !holder.firstChild.nextSibling && ['SimplePositiveUnaryTest', 'Interval'].includes(holder.firstChild.name)) holder = holder.firstChild;
  const kids: SyntaxNodeLike[] = [];
  for (let c = holder.firstChild; c; c = c.nextSibling) if (!'[]()'.includes(c.name)) kids.push(c);
  if (kids.length !== 3 || kids[1].name !== '..') return null;
  const a = numberLiteral(text, kids[0]);
  const b = numberLiteral(text, kids[2]);
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return { from: context.from, to: context.to, size: Math.floor(Math.abs(b - a)) + 1 };
}

function analyse(text: string): FeelShape {
  const tree = parseExpression(text, {}, undefined);
  let syntaxError: FeelSyntaxProblem | null = null;
  let isBounded = true;
  const literalRanges: LiteralRange[] = [];
  // How many iterating nodes enclose the node being visited.
  let depth = 0;
  tree.iterate({
    enter(ref) {
      const { isError, isSkipped } = ref.type;
      if (isError) {
        syntaxError ??= errorDetails(ref.node as unknown as SyntaxNodeLike);
        return false;
      }
      if (isSkipped) return false;
      const node = ref.node as unknown as SyntaxNodeLike;
      switch (ref.name) {
        case 'FunctionDefinition':
          isBounded = false;
          break;
        case 'InExpressions':
          if (node.getChildren('InExpression').length > 1) isBounded = false;
          break;
        case 'IterationContext': {
          const range = literalRange(text, node);
          if (range) literalRanges.push(range);
          const only = node.firstChild;
          // A named list holds what the input holds; a list written out holds what the text holds.
          const overList = only && !only.nextSibling && ['VariableName', 'PathExpression', 'List'].includes(only.name);
          if (!overList) isBounded = false;
          break;
        }
        case 'FunctionInvocation': {
          const callee = node.firstChild;
          if (callee?.name !== 'VariableName' || REGEX_FUNCTIONS.has(text.slice(callee.from, callee.to).trim())) isBounded = false;
          break;
        }
        default:
          break;
      }
      if (ITERATING.has(ref.name)) {
        if (depth > 0) isBounded = false;
        depth++;
      }
      return undefined;
    },
    leave(ref) {
      if (!ref.type.isError && !ref.type.isSkipped && ITERATING.has(ref.name)) depth--;
    },
  });
  return { syntaxError, isBounded: isBounded && !syntaxError, literalRanges };
}

/** The shape of an expression (without a leading `=`), cached by its text. */
export function shapeOf(expression: string): FeelShape {
  let shape = shapes.get(expression);
  if (!shape) {
    shape = analyse(expression);
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(expression, shape);
  }
  return shape;
}

/** The first syntax error of an expression, found by parsing only; null when it parses. */
export function syntaxErrorOf(expression: string): FeelSyntaxProblem | null {
  return shapeOf(expression).syntaxError;
}

/** The first number-literal range an expression iterates over that holds more than `limit` values. */
export function oversizedRange(expression: string, limit: number): LiteralRange | null {
  return shapeOf(expression).literalRanges.find((r) => r.size > limit) ?? null;
}

/** Default largest literal range an expression may iterate over (the server's is `FEEL_MAX_RANGE`). */
export const DEFAULT_MAX_RANGE = 100000;

/** An expression ran out of its time or memory budget and was stopped. */
export class FeelBudgetError extends Error {
  /** Where the expression sits (a form cell, a BPMN element), when the caller knows. */
  where?: string;

  constructor(
    /** The expression, as written. */
    readonly expression: string,
    /** The budget it exceeded. */
    readonly budget: { timeoutMs: number; maxMemoryMb: number },
  ) {
    super(`FEEL expression exceeded its budget of ${budget.timeoutMs} ms and ${budget.maxMemoryMb} MB: ${shorten(expression)}`);
    this.name = 'FeelBudgetError';
  }
}

/** Whether an error (or the error it wraps, as bpmn-elements does) is a budget error. */
export function budgetErrorOf(err: unknown): FeelBudgetError | null {
  for (let e = err, i = 0; e && i < 5; i++) {
    if (e instanceof FeelBudgetError) return e;
    e = (e as { inner?: unknown; cause?: unknown }).inner ?? (e as { cause?: unknown }).cause;
  }
  return null;
}

/** An expression cut to a length that fits in a message. */
export function shorten(expression: string, max = 200): string {
  const flat = expression.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

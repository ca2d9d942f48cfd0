// FEEL helpers shared by the server and the browser: parse once, list references, evaluate safely.
// Checks only parse. Evaluation goes through an evaluator the server replaces with its budgeted one
// (src/feel/index.ts); in the browser it is feelin itself, running in the designer's own tab.
import { evaluate, parseExpression } from 'feelin';
import { budgetErrorOf, DEFAULT_MAX_RANGE, FeelBudgetError, oversizedRange, shapeOf, syntaxErrorOf } from '../feel/static.ts';

export { budgetErrorOf, FeelBudgetError } from '../feel/static.ts';

/** What an evaluation returns: the value and feelin's warnings. */
export interface FeelOutcome {
  value: unknown;
  warnings: Array<{ type: string; message: string }>;
}

/** How forms evaluate FEEL here: the evaluator and the largest literal range an expression may iterate over. */
export interface FeelSetup {
  evaluate: (expression: string, context: Record<string, unknown>) => FeelOutcome;
  maxRange: () => number;
}

let setup: FeelSetup = { evaluate: (e, c) => evaluate(e, c), maxRange: () => DEFAULT_MAX_RANGE };

/** Replaces how forms evaluate FEEL (the server installs its budgeted evaluator). */
export function configureFeel(next: FeelSetup): void {
  setup = next;
}

/**
 * One pass over a form (a compile, a computation, a run of the rules). Once an expression is stopped
 * at its budget, the pass skips every further expression that is not bounded by its input, so that a
 * form full of heavy formulas costs one budget, not one per cell.
 */
export interface BudgetPass {
  stopped: FeelBudgetError | null;
}

/** A fresh pass. */
export function budgetPass(): BudgetPass {
  return { stopped: null };
}

/** Evaluates an expression with the installed evaluator; throws on malformed input and on an exceeded (or spent) budget. */
export function feelEvaluate(expression: string, context: Record<string, unknown>, pass?: BudgetPass): FeelOutcome {
  if (pass?.stopped && !shapeOf(expression).isBounded) throw new FeelBudgetError(expression, pass.stopped.budget);
  try {
    return setup.evaluate(expression, context);
  } catch (err) {
    const budget = budgetErrorOf(err);
    if (budget && pass) pass.stopped ??= budget;
    throw err;
  }
}

/** A number-literal range the expression iterates over that is larger than allowed. */
export function rangeTooLarge(expression: string): { size: number; limit: number } | null {
  const limit = setup.maxRange();
  const range = oversizedRange(expression, limit);
  return range ? { size: range.size, limit } : null;
}

/** A name path an expression reads, e.g. `['r01', 'th']` for `r01.th`. */
export interface Reference {
  path: string[];
  from: number;
  to: number;
  /** Whether the name is called as a function. */
  isCall: boolean;
}

/** Result of analysing an expression. */
export interface Analysis {
  refs: Reference[];
  syntaxError?: { message: string; from: number; to: number };
}

const analysisCache = new Map<string, Analysis>();
const builtinCache = new Map<string, boolean>();

/** Whether a name is a FEEL built-in function (sum, abs, if-less helpers …). */
export function isBuiltin(name: string): boolean {
  let known = builtinCache.get(name);
  if (known === undefined) {
    known = false;
    // Only a text that parses as one bare name is looked up, and looking up a name runs nothing.
    const top = parseExpression(name, {}, undefined).topNode;
    const only = top.firstChild;
    if (only && only.name === 'VariableName' && !only.nextSibling && only.from === 0 && only.to === name.length && !syntaxErrorOf(name)) {
      try {
        const r = evaluate(name, {});
        known = typeof r.value === 'function' && r.warnings.length === 0;
      } catch {
        known = false;
      }
    }
    builtinCache.set(name, known);
  }
  return known;
}

/** Parses an expression and lists the free names it reads (locals of for/some/every and `item` excluded). */
export function analyse(expression: string): Analysis {
  const cached = analysisCache.get(expression);
  if (cached) return cached;
  const result: Analysis = { refs: [] };
  const syntaxError = syntaxErrorOf(expression);
  if (syntaxError) result.syntaxError = syntaxError;
  if (!result.syntaxError) {
    const tree = parseExpression(expression, {}, undefined);
    const bound = new Set<string>(['item']);
    tree.iterate({
      enter(n) {
        if (n.name === 'InExpression') {
          const name = n.node.firstChild;
          if (name) bound.add(expression.slice(name.from, name.to));
        }
      },
    });
    tree.iterate({
      enter(n) {
        if (n.name !== 'VariableName') return;
        const name = expression.slice(n.from, n.to);
        const parent = n.node.parent;
        const isCall = parent?.name === 'FunctionInvocation' && parent.firstChild?.from === n.from;
        const path = [name];
        let to = n.to;
        // Walk up nested PathExpressions: a.b.c is PathExpression(PathExpression(a, b), c).
        let cur = n.node.parent;
        let child = n.node;
        while (cur && cur.name === 'PathExpression' && cur.firstChild?.from === child.from && cur.firstChild?.to === child.to) {
          const last = cur.lastChild;
          if (!last || last.name !== 'PathName') break;
          path.push(expression.slice(last.from, last.to));
          to = last.to;
          child = cur;
          cur = cur.parent;
        }
        if (bound.has(name)) return;
        result.refs.push({ path, from: n.from, to, isCall });
      },
    });
  }
  analysisCache.set(expression, result);
  return result;
}

/**
 * Evaluates an expression; malformed input and runtime faults give null instead of throwing. An
 * expression stopped at its budget also gives null, and is handed to `onBudget` when given.
 */
export function evalFeel(expression: string, context: Record<string, unknown>, onBudget?: (err: FeelBudgetError) => void, pass?: BudgetPass): unknown {
  try {
    const v = feelEvaluate(expression, context, pass).value;
    return v === undefined ? null : v;
  } catch (err) {
    const budget = budgetErrorOf(err);
    if (budget) onBudget?.(budget);
    return null;
  }
}

// FEEL helpers shared by the server and the browser: parse once, list references, evaluate safely.
import { evaluate, parseExpression } from 'feelin';

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
    try {
      const r = evaluate(name, {});
      known = typeof r.value === 'function' && r.warnings.length === 0;
    } catch {
      known = false;
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
  try {
    evaluate(expression, {});
  } catch (err) {
    const e = err as { message?: string; position?: { from: number; to: number } };
    result.syntaxError = { message: String(e.message ?? err), from: e.position?.from ?? 0, to: e.position?.to ?? expression.length };
  }
  if (!result.syntaxError) {
    const tree = parseExpression(expression, {}, undefined);
    const bound = new Set<string>(['item']);
    tree.iterate({
      enter(n) {
        if (n.name === 'InExpression') {
          const name = n.node.firstChild;
          if (name) bound.add(expression.slice(name.from, name.to));
        }
        if (n.name === '⚠') {
          result.syntaxError ??= { message: 'syntax', from: n.from, to: n.to };
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

/** Evaluates an expression; malformed input and runtime faults give null instead of throwing. */
export function evalFeel(expression: string, context: Record<string, unknown>): unknown {
  try {
    const v = evaluate(expression, context).value;
    return v === undefined ? null : v;
  } catch {
    return null;
  }
}

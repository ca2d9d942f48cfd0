// Translates simple FEEL formulas into equivalent Excel formulas for the template's computed cells.
import { parseExpression } from 'feelin';

type Node = { name: string; from: number; to: number; firstChild: Node | null; nextSibling: Node | null };

/** Maps a FEEL name path (e.g. `['r01','th']`) to a cell address, or null when it has none. */
export type RefResolver = (path: string[]) => string | null;

const FUNCS: Record<string, string> = { sum: 'SUM', abs: 'ABS', min: 'MIN', max: 'MAX', mean: 'AVERAGE', floor: 'FLOOR.MATH', ceiling: 'CEILING.MATH' };

/** The Excel formula for a FEEL expression, or null when it uses something Excel cannot mirror. */
export function feelToExcel(expression: string, resolve: RefResolver): string | null {
  let tree;
  try {
    tree = parseExpression(expression, {}, undefined);
  } catch {
    return null;
  }
  const top = tree.topNode as unknown as Node;
  const body = top.firstChild;
  if (!body || body.nextSibling) return null;
  try {
    const f = walk(body, expression, resolve);
    return f === null ? null : `IFERROR(${f},"")`;
  } catch {
    return null;
  }
}

function children(n: Node): Node[] {
  const out: Node[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function pathOf(n: Node, src: string): string[] | null {
  if (n.name === 'VariableName') return [src.slice(n.from, n.to)];
  if (n.name === 'PathExpression') {
    const [head, , name] = children(n);
    const p = head && pathOf(head, src);
    if (!p || !name || name.name !== 'PathName') return null;
    return [...p, src.slice(name.from, name.to)];
  }
  return null;
}

function walk(n: Node, src: string, resolve: RefResolver): string | null {
  const text = () => src.slice(n.from, n.to);
  switch (n.name) {
    case 'NumericLiteral':
      return text();
    case 'NullLiteral':
    case 'null':
      return '""';
    case 'BooleanLiteral':
      return text() === 'true' ? 'TRUE' : 'FALSE';
    case 'StringLiteral':
      return text();
    case 'VariableName':
    case 'PathExpression': {
      const p = pathOf(n, src);
      return p ? resolve(p) : null;
    }
    case 'ParenthesizedExpression': {
      const inner = children(n).find((c) => c.name !== '(' && c.name !== ')');
      const f = inner ? walk(inner, src, resolve) : null;
      return f === null ? null : `(${f})`;
    }
    case 'ArithmeticExpression': {
      const parts = children(n);
      if (parts.length === 2) {
        const v = walk(parts[1], src, resolve);
        return v === null ? null : `-${v}`;
      }
      if (parts.length !== 3) return null;
      const op = src.slice(parts[1].from, parts[1].to);
      if (!['+', '-', '*', '/', '**'].includes(op)) return null;
      const a = walk(parts[0], src, resolve);
      const b = walk(parts[2], src, resolve);
      return a === null || b === null ? null : `${a}${op === '**' ? '^' : op}${b}`;
    }
    case 'Comparison': {
      const parts = children(n);
      if (parts.length !== 3) return null;
      const op = src.slice(parts[1].from, parts[1].to);
      const map: Record<string, string> = { '=': '=', '!=': '<>', '<': '<', '>': '>', '<=': '<=', '>=': '>=' };
      if (!map[op]) return null;
      const a = walk(parts[0], src, resolve);
      const b = walk(parts[2], src, resolve);
      return a === null || b === null ? null : `${a}${map[op]}${b}`;
    }
    case 'Disjunction':
    case 'Conjunction': {
      const parts = children(n).filter((c) => c.name !== 'or' && c.name !== 'and');
      const fs = parts.map((p) => walk(p, src, resolve));
      if (fs.some((f) => f === null)) return null;
      return `${n.name === 'Disjunction' ? 'OR' : 'AND'}(${fs.join(',')})`;
    }
    case 'IfExpression': {
      const parts = children(n).filter((c) => !['if', 'then', 'else'].includes(c.name));
      if (parts.length !== 3) return null;
      const fs = parts.map((p) => walk(p, src, resolve));
      if (fs.some((f) => f === null)) return null;
      return `IF(${fs[0]},${fs[1]},${fs[2]})`;
    }
    case 'FunctionInvocation': {
      const [callee, ...rest] = children(n);
      const name = src.slice(callee.from, callee.to);
      const fn = FUNCS[name];
      const params = rest.find((c) => c.name === 'PositionalParameters');
      if (!fn || !params) return null;
      let args = children(params);
      if (args.length === 1 && args[0].name === 'List') args = children(args[0]).filter((c) => c.name !== '[' && c.name !== ']');
      const fs = args.map((a) => walk(a, src, resolve));
      if (fs.some((f) => f === null)) return null;
      return `${fn}(${fs.join(',')})`;
    }
    default:
      return null;
  }
}

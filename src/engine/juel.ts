// Camunda 7 files carry JUEL (`${approved}`, `${amount > 1000}`) where govflow runs FEEL. The simple,
// side-effect-free part of JUEL — literals, property paths, `empty`, logic, comparison and arithmetic —
// has a FEEL equivalent, so it is translated once at deploy and the translation is what runs. Method
// calls and references to engine objects (`execution`, `task`, beans behind `services`) have none, and
// whoever deploys learns which element holds them.

/** The FEEL text of a translated JUEL expression (with its leading `=`), or why it cannot be translated. */
export type JuelTranslation = { feel: string } | { error: 'methodCall' | 'beanReference' | 'syntax' | 'composite'; at: number };

type Token =
  | { kind: 'num'; text: string; at: number }
  | { kind: 'str'; value: string; at: number }
  | { kind: 'id'; text: string; at: number }
  | { kind: 'op'; text: string; at: number }
  | { kind: 'end'; at: number };

type Ast =
  | { t: 'lit'; feel: string }
  | { t: 'path'; root: string; parts: string[] }
  | { t: 'not'; e: Ast }
  | { t: 'neg'; e: Ast }
  | { t: 'empty'; e: Ast }
  | { t: 'bin'; op: string; l: Ast; r: Ast }
  | { t: 'if'; c: Ast; a: Ast; b: Ast };

class JuelError extends Error {
  constructor(readonly reason: 'methodCall' | 'beanReference' | 'syntax', readonly at: number) {
    super(reason);
  }
}

/** Names JUEL reserves as operators and literals. */
const WORD_OPS = new Set(['and', 'or', 'not', 'eq', 'ne', 'lt', 'gt', 'le', 'ge', 'div', 'mod', 'empty', 'instanceof']);
const LITERALS: Record<string, string> = { true: 'true', false: 'false', null: 'null' };
/** Roots that are engine objects or beans in Camunda 7, never process variables. */
const BEANS = new Set(['execution', 'task', 'externalTask', 'authorization', 'services', 'beans', 'camunda', 'environment']);
const SYMBOLS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', '.', '?', ':', ','];

function tokenize(src: string, offset: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = offset + i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i))!;
      out.push({ kind: 'num', text: m[0], at });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        value += src[j];
      }
      if (j >= src.length) throw new JuelError('syntax', at);
      out.push({ kind: 'str', value, at });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      // `$` is legal in a Java identifier but not in a FEEL name.
      if (src[i + m[0].length] === '$') throw new JuelError('syntax', at);
      out.push({ kind: WORD_OPS.has(m[0]) ? 'op' : 'id', text: m[0], at });
      i += m[0].length;
      continue;
    }
    const sym = SYMBOLS.find((s) => src.startsWith(s, i));
    if (!sym) throw new JuelError('syntax', at);
    out.push({ kind: 'op', text: sym, at });
    i += sym.length;
  }
  out.push({ kind: 'end', at: offset + src.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i];
  }

  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && ops.includes(t.text);
  }

  private take(): Token {
    return this.tokens[this.i++];
  }

  private expect(op: string): void {
    if (!this.isOp(op)) throw new JuelError('syntax', this.peek().at);
    this.i++;
  }

  parse(): Ast {
    const e = this.ternary();
    if (this.peek().kind !== 'end') throw new JuelError('syntax', this.peek().at);
    return e;
  }

  private ternary(): Ast {
    const c = this.binary(0);
    if (!this.isOp('?')) return c;
    this.take();
    const a = this.ternary();
    this.expect(':');
    const b = this.ternary();
    return { t: 'if', c, a, b };
  }

  private static readonly LEVELS: Array<Record<string, string>> = [
    { '||': 'or', or: 'or' },
    { '&&': 'and', and: 'and' },
    { '==': '=', eq: '=', '!=': '!=', ne: '!=' },
    { '<': '<', lt: '<', '>': '>', gt: '>', '<=': '<=', le: '<=', '>=': '>=', ge: '>=' },
    { '+': '+', '-': '-' },
    { '*': '*', '/': '/', div: '/', '%': 'mod', mod: 'mod' },
  ];

  private binary(level: number): Ast {
    if (level >= Parser.LEVELS.length) return this.unary();
    const ops = Parser.LEVELS[level];
    let l = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !Object.hasOwn(ops, t.text)) return l;
      this.take();
      const r = this.binary(level + 1);
      l = { t: 'bin', op: ops[t.text], l, r };
    }
  }

  private unary(): Ast {
    if (this.isOp('!', 'not')) {
      this.take();
      return { t: 'not', e: this.unary() };
    }
    if (this.isOp('empty')) {
      this.take();
      return { t: 'empty', e: this.unary() };
    }
    if (this.isOp('-')) {
      this.take();
      return { t: 'neg', e: this.unary() };
    }
    return this.primary();
  }

  private primary(): Ast {
    const t = this.take();
    if (t.kind === 'num') return { t: 'lit', feel: t.text };
    if (t.kind === 'str') return { t: 'lit', feel: JSON.stringify(t.value) };
    if (t.kind === 'op' && t.text === '(') {
      const e = this.ternary();
      this.expect(')');
      return e;
    }
    if (t.kind !== 'id') throw new JuelError('syntax', t.at);
    if (Object.hasOwn(LITERALS, t.text)) return { t: 'lit', feel: LITERALS[t.text] };
    if (this.isOp('(')) throw new JuelError('methodCall', this.peek().at);
    const parts: string[] = [];
    while (this.isOp('.')) {
      this.take();
      const name = this.take();
      if (name.kind !== 'id') throw new JuelError('syntax', name.at);
      if (this.isOp('(')) throw new JuelError('methodCall', this.peek().at);
      parts.push(name.text);
    }
    if (this.isOp('[')) throw new JuelError('syntax', this.peek().at);
    // bpmn-engine writes process variables as `environment.variables.x`: that is the variable `x`.
    if (t.text === 'environment' && parts[0] === 'variables' && parts.length > 1) return { t: 'path', root: parts[1], parts: parts.slice(2) };
    if (BEANS.has(t.text)) throw new JuelError('beanReference', t.at);
    return { t: 'path', root: t.text, parts };
  }
}

const PRECEDENCE: Record<string, number> = { or: 1, and: 2, '=': 3, '!=': 3, '<': 4, '>': 4, '<=': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6 };

function emit(e: Ast): string {
  switch (e.t) {
    case 'lit':
      return e.feel;
    case 'path':
      return [e.root, ...e.parts].join('.');
    case 'not':
      return `not(${emit(e.e)})`;
    case 'neg':
      return `-${wrap(e.e, 7)}`;
    case 'empty': {
      const x = wrap(e.e, 7);
      // JUEL's `empty` is true for null, an empty string, an empty list and an empty map.
      return `(if ${x} = null then true else if ${x} instance of list then count(${x}) = 0 else if ${x} instance of string then ${x} = "" `
        + `else if ${x} instance of context then count(get entries(${x})) = 0 else false)`;
    }
    case 'if':
      return `(if ${emit(e.c)} then ${emit(e.a)} else ${emit(e.b)})`;
    case 'bin':
      if (e.op === 'mod') return `modulo(${emit(e.l)}, ${emit(e.r)})`;
      return `${wrap(e.l, PRECEDENCE[e.op])} ${e.op} ${wrap(e.r, PRECEDENCE[e.op] + 1)}`;
  }
}

function wrap(e: Ast, min: number): string {
  const text = emit(e);
  return e.t === 'bin' && e.op !== 'mod' && PRECEDENCE[e.op] < min ? `(${text})` : text;
}

/** Whether a value is written as one JUEL expression (`${…}` or `#{…}`). */
export function isJuel(value: unknown): value is string {
  return typeof value === 'string' && /^\s*[$#]\{[\s\S]*\}\s*$/.test(value);
}

/** Translates one JUEL expression `${…}` to FEEL (`=…`); never evaluates anything. */
export function juelToFeel(value: string): JuelTranslation {
  const start = value.search(/[$#]\{/);
  const end = value.lastIndexOf('}');
  const inner = value.slice(start + 2, end);
  // Text around or between expressions (`Hello ${name}`, `${a}${b}`) is a template, not a condition.
  if (/[$#]\{/.test(inner) || value.slice(0, start).trim() || value.slice(end + 1).trim()) return { error: 'composite', at: 0 };
  try {
    return { feel: `=${emit(new Parser(tokenize(inner, start + 2)).parse())}` };
  } catch (err) {
    if (err instanceof JuelError) return { error: err.reason, at: err.at };
    throw err;
  }
}

/**
 * The fast tier of templating: template-engine.ts tries compileFast on every template and hands
 * nunjucks only what this tier declines (or, at render time, a call canRenderFast cannot resolve).
 * It covers the most common model shapes: text with `{{ call(...) }}` expressions (ref, source,
 * config, var, macro calls with literal arguments), comments, `{% set name = … %}`, and
 * `{% if %}…{% elif %}…{% else %}…{% endif %}` on conditions made of those with comparisons,
 * `and`, `or`, `not` and parentheses (`{% if is_incremental() %}`, `{% if var('x') > 1 %}`).
 * Such templates skip nunjucks' lexer, parser and code generation, which dominate parse time on
 * large projects. Evaluation follows the JavaScript nunjucks compiles these to (`==` is
 * JavaScript's, truthiness is Python's as the patched nunjucks has it), so both paths print the same text. Anything else
 * (other statements, filters, arithmetic, attribute access) returns undefined from
 * `compileFast`, and nunjucks handles the template as usual.
 */

import { pyConcat, pyStr } from './context/python-repr.js';
import { pyEquals } from './py-set.js';
import { pyTruthy } from './py-truthy.js';
import { UNDEFINED_OUTPUT_MESSAGE } from './undefined-output-error.js';

type Expr =
  | { kind: 'lit'; value: unknown }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'name'; path: string[] }
  | { kind: 'call'; callee: string[]; args: Expr[]; kwargs: [string, Expr][] }
  | { kind: 'not'; expr: Expr }
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'cmp'; op: CompareOp; left: Expr; right: Expr; grouped?: true }
  | { kind: 'concat'; left: Expr; right: Expr; grouped?: true };

type CompareOp = '==' | '===' | '!=' | '!==' | '<' | '>' | '<=' | '>=';

/** `{% if %}` with its `elif` branches and `else`; `offset` is where each condition's tag starts. */
interface IfPart {
  branches: { cond: Expr; offset: number; body: Part[] }[];
  otherwise: Part[] | undefined;
}

/** `{% set name = value %}`. */
interface SetPart {
  assign: string;
  value: Expr;
  offset: number;
}

/** Text, an expression with the offset of its `{{` in the source (for error positions), an if, or a set. */
type Part = string | { expr: Expr; offset: number } | IfPart | SetPart;

export interface FastTemplate {
  readonly fast: true;
  readonly parts: Part[];
  /** Whether the template has `{% set %}`: renders then keep the set values. */
  readonly assigns: boolean;
  /** Each distinct name the template calls (`ref`, `adapter.dispatch`), once. */
  readonly callees: readonly (readonly string[])[];
}

/** Thrown to leave a template to nunjucks; not an Error, so throwing it captures no stack. */
class Unsupported {}

/** The characters nunjucks' lexer skips between tokens (fewer than JavaScript's `\s`). */
const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13 || c === 0xa0;

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** Source text of regular expressions: what isSpace accepts, and quoted text without backslashes. */
const SPACES = '[ \\n\\t\\r\\u00a0]*';
const QUOTED_TEXT = `(?:'[^'\\\\]*'|"[^"\\\\]*")`;

/**
 * `name('text', …)`: the commonest expression by far (ref, source, var, macro calls), matched
 * whole by one regular expression; arguments are quoted text without backslashes.
 */
const SIMPLE_CALL = new RegExp(
  `^${SPACES}([A-Za-z_][A-Za-z0-9_]*)${SPACES}\\(((?:${SPACES}${QUOTED_TEXT}${SPACES},)*${SPACES}${QUOTED_TEXT})${SPACES}\\)${SPACES}$`,
);
const QUOTED = /'([^'\\]*)'|"([^"\\]*)"/g;

/**
 * Expressions already parsed, by their text: a project repeats the same few (`config(...)`, a
 * macro call, a ref to a popular model) across hundreds of files. Parsed expressions are never
 * changed afterwards, so they can be shared; null marks one beyond the subset.
 */
const parsedExpressions = new Map<string, Expr | null>();

/** Parses one `{{ … }}` expression body; throws Unsupported for anything beyond the subset. */
function parseExpression(src: string): Expr {
  let e = parsedExpressions.get(src);
  if (e === undefined) {
    try {
      e = parseSimpleCall(src) ?? parseFullExpression(src);
    } catch (x) {
      if (!(x instanceof Unsupported)) throw x;
      e = null;
    }
    parsedExpressions.set(src, e);
  }
  if (e === null) throw new Unsupported();
  return e;
}

function parseSimpleCall(src: string): Expr | undefined {
  const m = SIMPLE_CALL.exec(src);
  if (!m) return undefined;
  const name = m[1]!;
  if (RESERVED.has(name) || LITERAL_NAMES.has(name)) return undefined;
  const args: Expr[] = [];
  for (const q of m[2]!.matchAll(QUOTED)) args.push({ kind: 'lit', value: q[1] ?? q[2] });
  return { kind: 'call', callee: [name], args, kwargs: [] };
}

const LITERAL_NAMES = new Set(['true', 'True', 'false', 'False', 'none', 'None']);

function parseFullExpression(src: string): Expr {
  let i = 0;
  const ws = () => {
    while (i < src.length && isSpace(src.charCodeAt(i))) i++;
  };
  const ident = (): string => {
    IDENT.lastIndex = i;
    const m = IDENT.exec(src);
    if (!m) throw new Unsupported();
    i = IDENT.lastIndex;
    return m[0];
  };
  const value = (): Expr => {
    ws();
    const c = src[i];
    if (c === "'" || c === '"') {
      const close = src.indexOf(c, i + 1);
      // The common case, no backslash: one slice.
      if (close !== -1 && src.lastIndexOf('\\', close) < i) {
        const value = src.slice(i + 1, close);
        i = close + 1;
        return { kind: 'lit', value };
      }
      let out = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') {
          // Keep escapes exotic enough to differ from nunjucks out of the fast path.
          const n = src[i + 1];
          if (n === c || n === '\\') {
            out += n;
            i += 2;
            continue;
          }
          throw new Unsupported();
        }
        out += src[i++];
      }
      if (src[i] !== c) throw new Unsupported();
      i++;
      return { kind: 'lit', value: out };
    }
    if (c === '[') {
      i++;
      const items: Expr[] = [];
      ws();
      if (src[i] === ']') {
        i++;
        return { kind: 'list', items };
      }
      for (;;) {
        items.push(or());
        ws();
        if (src[i] === ',') {
          i++;
          ws();
          if (src[i] === ']') {
            i++;
            break;
          }
          continue;
        }
        if (src[i] === ']') {
          i++;
          break;
        }
        throw new Unsupported();
      }
      return { kind: 'list', items };
    }
    if (c !== undefined && /[-\d]/.test(c)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      if (!m) throw new Unsupported();
      i = NUMBER.lastIndex;
      return { kind: 'lit', value: Number(m[0]) };
    }
    const path = [ident()];
    while (src[i] === '.') {
      i++;
      path.push(ident());
    }
    if (path.length === 1) {
      const w = path[0]!;
      if (w === 'true' || w === 'True') return { kind: 'lit', value: true };
      if (w === 'false' || w === 'False') return { kind: 'lit', value: false };
      if (w === 'none' || w === 'None') return { kind: 'lit', value: null };
    }
    if (RESERVED.has(path[0]!)) throw new Unsupported();
    ws();
    if (src[i] !== '(') {
      if (path.length > 1) throw new Unsupported();
      return { kind: 'name', path };
    }
    i++;
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    ws();
    if (src[i] === ')') {
      i++;
      return { kind: 'call', callee: path, args, kwargs };
    }
    for (;;) {
      ws();
      IDENT.lastIndex = i;
      const kw = IDENT.exec(src);
      let isKw = false;
      if (kw) {
        let j = IDENT.lastIndex;
        while (j < src.length && isSpace(src.charCodeAt(j))) j++;
        if (src[j] === '=' && src[j + 1] !== '=') {
          i = j + 1;
          kwargs.push([kw[0], or()]);
          isKw = true;
        }
      }
      if (!isKw) {
        if (kwargs.length) throw new Unsupported();
        args.push(or());
      }
      ws();
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === ')') {
        i++;
        break;
      }
      throw new Unsupported();
    }
    return { kind: 'call', callee: path, args, kwargs };
  };
  const keyword = (word: string): boolean => {
    ws();
    if (!src.startsWith(word, i)) return false;
    const next = src[i + word.length];
    if (next !== undefined && /[A-Za-z0-9_]/.test(next)) return false;
    i += word.length;
    return true;
  };
  const or = (): Expr => {
    let left = and();
    while (keyword('or')) left = { kind: 'or', left, right: and() };
    return left;
  };
  const and = (): Expr => {
    let left = not();
    while (keyword('and')) left = { kind: 'and', left, right: not() };
    return left;
  };
  const not = (): Expr => {
    if (!keyword('not')) return compare();
    const expr = not();
    // nunjucks prints `not a == b` as JavaScript's `!a == b`, which compares `!a` (and
    // `not a ~ b` as `!a + "" + b`): leave those surprises to nunjucks rather than imitate them.
    if ((expr.kind === 'cmp' || expr.kind === 'concat') && !expr.grouped) throw new Unsupported();
    return { kind: 'not', expr };
  };
  const compare = (): Expr => {
    const left = concat();
    ws();
    const op = compareOpAt(src, i);
    if (!op) return left;
    i += op.length;
    const right = concat();
    ws();
    // Chained comparisons (`a < b < c`) mean something else in JavaScript than in Python.
    if (compareOpAt(src, i)) throw new Unsupported();
    return { kind: 'cmp', op, left, right };
  };
  // `a ~ b`: Jinja's `str(a) + str(b)` (pyConcat).
  const concat = (): Expr => {
    let left = operand();
    for (;;) {
      ws();
      if (src[i] !== '~') return left;
      i++;
      left = { kind: 'concat', left, right: operand() };
    }
  };
  const operand = (): Expr => {
    ws();
    if (src[i] === '(') {
      i++;
      const e = or();
      ws();
      if (src[i] !== ')') throw new Unsupported();
      i++;
      return e.kind === 'cmp' || e.kind === 'concat' ? { ...e, grouped: true } : e;
    }
    return value();
  };
  const e = or();
  ws();
  if (i !== src.length) throw new Unsupported();
  return e;
}

function isBlank(text: string): boolean {
  for (let k = 0; k < text.length; k++) if (!isSpace(text.charCodeAt(k))) return false;
  return true;
}

function compareOpAt(src: string, i: number): CompareOp | undefined {
  const c = src[i];
  if (c !== '=' && c !== '!' && c !== '<' && c !== '>') return undefined;
  for (const op of COMPARE_OPS) if (src.startsWith(op, i)) return op;
  return undefined;
}

/** Longest first, so `===` is not read as `==` followed by `=`. */
const COMPARE_OPS: readonly CompareOp[] = ['===', '!==', '==', '!=', '<=', '>=', '<', '>'];

/** Words nunjucks reads as operators or statements, never as names. */
const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'elif', 'elseif']);

/** Every name the template calls, by its dotted text (what must resolve to a function). */
function collectCallees(parts: Part[], into: Map<string, string[]>): void {
  const inExpr = (e: Expr): void => {
    switch (e.kind) {
      case 'call':
        into.set(e.callee.join('.'), e.callee);
        e.args.forEach(inExpr);
        for (const [, v] of e.kwargs) inExpr(v);
        break;
      case 'list':
        e.items.forEach(inExpr);
        break;
      case 'not':
        inExpr(e.expr);
        break;
      case 'and':
      case 'or':
      case 'cmp':
      case 'concat':
        inExpr(e.left);
        inExpr(e.right);
        break;
    }
  };
  for (const p of parts) {
    if (typeof p === 'string') continue;
    if ('expr' in p) inExpr(p.expr);
    else if ('assign' in p) inExpr(p.value);
    else {
      for (const b of p.branches) {
        inExpr(b.cond);
        collectCallees(b.body, into);
      }
      if (p.otherwise) collectCallees(p.otherwise, into);
    }
  }
}

/** Splits a template into text, expressions and ifs, or returns undefined when it needs nunjucks. */
export function compileFast(source: string): FastTemplate | undefined {
  const root: Part[] = [];
  /** The list parts go into now, and the ifs that are open around it. */
  let current = root;
  const open: { part: IfPart; parent: Part[] }[] = [];
  /** Names the template sets: they are looked up in the template first, as in nunjucks' frame. */
  const assigned = new Set<string>();
  let text = '';
  let i = 0;
  let trimNext = false;
  const flush = () => {
    if (text) current.push(text);
    text = '';
  };
  try {
    while (i < source.length) {
      const start = source.indexOf('{', i);
      const kind = start === -1 ? undefined : source[start + 1];
      if (start === -1 || (kind !== '{' && kind !== '#' && kind !== '%')) {
        const end = start === -1 ? source.length : start + 1;
        let chunk = source.slice(i, end);
        if (trimNext) {
          chunk = chunk.replace(/^\s+/, '');
          trimNext = chunk.length === 0;
        }
        text += chunk;
        i = end;
        continue;
      }
      let chunk = source.slice(i, start);
      if (trimNext) {
        chunk = chunk.replace(/^\s+/, '');
        trimNext = false;
      }
      text += chunk;
      const close = kind === '{' ? '}}' : kind === '#' ? '#}' : '%}';
      const end = source.indexOf(close, start + 2);
      if (end === -1) return undefined;
      let body = source.slice(start + 2, end);
      if (body.startsWith('-')) {
        text = text.replace(/\s+$/, '');
        body = body.slice(1);
      }
      if (body.endsWith('-')) {
        trimNext = true;
        body = body.slice(0, -1);
      }
      i = end + 2;
      // A comment ends the text before it: a later `{%-` or `{{-` trims only the text after it.
      if (kind === '#') {
        flush();
        continue;
      }
      // A '}' inside the expression (a dict, or '}}' in a string) is beyond the subset.
      if (body.includes('{') || body.includes('}')) return undefined;
      flush();
      if (kind === '{') {
        current.push({ expr: parseExpression(body), offset: start });
        continue;
      }
      const tag = /^[ \n\t\r\u00a0]*([A-Za-z_]+)(?![A-Za-z0-9_])([\s\S]*)$/.exec(body);
      if (!tag) return undefined;
      const [, name, rest] = tag as unknown as [string, string, string];
      const top = open[open.length - 1];
      if (name === 'if') {
        const part: IfPart = { branches: [{ cond: parseExpression(rest), offset: start, body: [] }], otherwise: undefined };
        current.push(part);
        open.push({ part, parent: current });
        current = part.branches[0]!.body;
      } else if ((name === 'elif' || name === 'elseif') && top && !top.part.otherwise) {
        const branch = { cond: parseExpression(rest), offset: start, body: [] as Part[] };
        top.part.branches.push(branch);
        current = branch.body;
      } else if (name === 'else' && isBlank(rest) && top && !top.part.otherwise) {
        top.part.otherwise = [];
        current = top.part.otherwise;
      } else if (name === 'endif' && isBlank(rest) && top) {
        open.pop();
        current = top.parent;
      } else if (name === 'set') {
        // Only `{% set name = value %}`: no block sets, tuples or attributes.
        const m = /^[ \n\t\r\u00a0]*([A-Za-z_][A-Za-z0-9_]*)[ \n\t\r\u00a0]*=(?!=)([\s\S]*)$/.exec(rest);
        if (!m || RESERVED.has(m[1]!)) return undefined;
        current.push({ assign: m[1]!, value: parseExpression(m[2]!), offset: start });
        assigned.add(m[1]!);
      } else return undefined;
    }
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  if (open.length) return undefined;
  flush();
  const callees = new Map<string, string[]>();
  collectCallees(root, callees);
  // A set name that is also called: whether the call sees the global or the value is for
  // nunjucks to say (and its error to word), not this path.
  for (const path of callees.values()) if (assigned.has(path[0]!)) return undefined;
  return { fast: true, parts: root, assigns: assigned.size > 0, callees: [...callees.values()] };
}

export type Lookup = (name: string) => unknown;

/** Whether every name the template calls resolves, so rendering will not need nunjucks' errors. */
export function canRenderFast(t: FastTemplate, lookup: Lookup): boolean {
  for (const path of t.callees) {
    let fn: unknown = lookup(path[0]!);
    for (let k = 1; k < path.length; k++) fn = fn === null || fn === undefined ? undefined : (fn as Record<string, unknown>)[path[k]!];
    if (typeof fn !== 'function') return false;
  }
  return true;
}

type MakeKwargs = (o: Record<string, unknown>) => unknown;

function evaluate(e: Expr, lookup: Lookup, makeKwargs: MakeKwargs): unknown {
  switch (e.kind) {
    case 'lit':
      return e.value;
    case 'list':
      return e.items.map((x) => evaluate(x, lookup, makeKwargs));
    case 'name':
      return lookup(e.path[0]!);
    case 'call': {
      let target: unknown;
      let fn: unknown = lookup(e.callee[0]!);
      for (const k of e.callee.slice(1)) {
        target = fn;
        fn = (fn as Record<string, unknown>)[k];
      }
      const args = e.args.map((a) => evaluate(a, lookup, makeKwargs));
      if (e.kwargs.length) args.push(makeKwargs(Object.fromEntries(e.kwargs.map(([k, v]) => [k, evaluate(v, lookup, makeKwargs)]))));
      return (fn as (...a: unknown[]) => unknown).apply(target, args);
    }
    // As nunjucks-patches.ts compiles them: Python's truth value, `and`/`or` giving back an operand.
    case 'not':
      return !pyTruthy(evaluate(e.expr, lookup, makeKwargs));
    case 'and': {
      const left = evaluate(e.left, lookup, makeKwargs);
      return pyTruthy(left) ? evaluate(e.right, lookup, makeKwargs) : left;
    }
    case 'or': {
      const left = evaluate(e.left, lookup, makeKwargs);
      return pyTruthy(left) ? left : evaluate(e.right, lookup, makeKwargs);
    }
    case 'concat':
      // As the python-concat patch compiles `~` for nunjucks.
      return pyConcat(evaluate(e.left, lookup, makeKwargs), evaluate(e.right, lookup, makeKwargs));
    case 'cmp': {
      const a = evaluate(e.left, lookup, makeKwargs) as number;
      const b = evaluate(e.right, lookup, makeKwargs) as number;
      switch (e.op) {
        // Python's == as the python-equality patch gives it: lists, dicts and sets by value, the rest loosely as nunjucks.
        case '==':
          return pyEquals(a, b);
        case '===':
          return a === b;
        case '!=':
          return !pyEquals(a, b);
        case '!==':
          return a !== b;
        case '<':
          return a < b;
        case '>':
          return a > b;
        case '<=':
          return a <= b;
        case '>=':
          return a >= b;
      }
    }
  }
}

/** What printing an undefined value does: true to print nothing (Jinja's default Undefined), false to throw. */
export type OnUndefined = (offset: number) => boolean;

/** Renders like nunjucks does: null prints as nothing, lists, dicts and booleans as Python prints them. */
export function renderFast(t: FastTemplate, lookup: Lookup, makeKwargs: MakeKwargs, onUndefined: OnUndefined = () => false): string {
  if (!t.assigns) return renderParts(t.parts, lookup, makeKwargs, undefined, onUndefined);
  const locals = new Map<string, unknown>();
  return renderParts(t.parts, (name) => (locals.has(name) ? locals.get(name) : lookup(name)), makeKwargs, locals, onUndefined);
}

function renderParts(parts: Part[], lookup: Lookup, makeKwargs: MakeKwargs, locals: Map<string, unknown> | undefined, onUndefined: OnUndefined): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if ('assign' in p) {
      let v: unknown;
      try {
        v = evaluate(p.value, lookup, makeKwargs);
      } catch (e) {
        throw new FastRenderError(e, p.offset);
      }
      locals!.set(p.assign, v);
    } else if ('expr' in p) {
      let v: unknown;
      try {
        v = evaluate(p.expr, lookup, makeKwargs);
      } catch (e) {
        throw new FastRenderError(e, p.offset);
      }
      // What nunjucks' ensureDefined does with throwOnUndefined (the undefined-output patch).
      if (v === undefined) {
        if (!onUndefined(p.offset)) throw new FastRenderError(new Error(UNDEFINED_OUTPUT_MESSAGE), p.offset);
      } else if (v !== null) out += typeof v === 'string' ? v : pyStr(v);
    } else {
      let taken = p.otherwise;
      for (const b of p.branches) {
        let yes: unknown;
        try {
          yes = evaluate(b.cond, lookup, makeKwargs);
        } catch (e) {
          throw new FastRenderError(e, b.offset);
        }
        if (pyTruthy(yes)) {
          taken = b.body;
          break;
        }
      }
      if (taken) out += renderParts(taken, lookup, makeKwargs, locals, onUndefined);
    }
  }
  return out;
}

/** An error thrown while rendering an expression, with where that expression starts. */
export class FastRenderError extends Error {
  constructor(
    readonly inner: unknown,
    readonly offset: number,
  ) {
    super(inner instanceof Error ? inner.message : String(inner));
  }
}

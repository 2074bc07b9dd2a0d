/**
 * A fast path for the most common model shape: text with `{{ call(...) }}` expressions only
 * (ref, source, config, var, macro calls with literal arguments) and comments. Such templates
 * skip nunjucks' lexer, parser and code generation, which dominate parse time on large
 * projects. Anything else (statements, filters, operators, attribute access) returns
 * undefined from `compileFast`, and nunjucks handles the template as usual.
 */

type Expr =
  | { kind: 'lit'; value: unknown }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'name'; path: string[] }
  | { kind: 'call'; callee: string[]; args: Expr[]; kwargs: [string, Expr][] };

/** Text, or an expression with the offset of its `{{` in the source (for error positions). */
type Part = string | { expr: Expr; offset: number };

export interface FastTemplate {
  readonly fast: true;
  readonly parts: Part[];
  /** Every name the template looks up, checked before anything is called. */
  readonly names: string[];
}

class Unsupported extends Error {}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** Parses one `{{ … }}` expression body; throws Unsupported for anything beyond the subset. */
function parseExpression(src: string): Expr {
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
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
        items.push(value());
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
        while (j < src.length && /\s/.test(src[j]!)) j++;
        if (src[j] === '=' && src[j + 1] !== '=') {
          i = j + 1;
          kwargs.push([kw[0], value()]);
          isKw = true;
        }
      }
      if (!isKw) {
        if (kwargs.length) throw new Unsupported();
        args.push(value());
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
  const e = value();
  ws();
  if (i !== src.length) throw new Unsupported();
  return e;
}

function collectNames(e: Expr, into: Set<string>): void {
  if (e.kind === 'name') into.add(e.path[0]!);
  else if (e.kind === 'call') {
    into.add(e.callee[0]!);
    for (const a of e.args) collectNames(a, into);
    for (const [, v] of e.kwargs) collectNames(v, into);
  } else if (e.kind === 'list') for (const x of e.items) collectNames(x, into);
}

/** Splits a template into text and expressions, or returns undefined when it needs nunjucks. */
export function compileFast(source: string): FastTemplate | undefined {
  if (source.includes('{%')) return undefined;
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  let trimNext = false;
  try {
    while (i < source.length) {
      const open = source.indexOf('{', i);
      const kind = open === -1 ? undefined : source[open + 1];
      if (open === -1 || (kind !== '{' && kind !== '#')) {
        const end = open === -1 ? source.length : open + 1;
        let chunk = source.slice(i, end);
        if (trimNext) {
          chunk = chunk.replace(/^\s+/, '');
          trimNext = chunk.length === 0;
        }
        text += chunk;
        i = end;
        continue;
      }
      let chunk = source.slice(i, open);
      if (trimNext) {
        chunk = chunk.replace(/^\s+/, '');
        trimNext = false;
      }
      text += chunk;
      const close = kind === '{' ? '}}' : '#}';
      const end = source.indexOf(close, open + 2);
      if (end === -1) return undefined;
      let body = source.slice(open + 2, end);
      if (body.startsWith('-')) {
        text = text.replace(/\s+$/, '');
        body = body.slice(1);
      }
      if (body.endsWith('-')) {
        trimNext = true;
        body = body.slice(0, -1);
      }
      i = end + 2;
      if (kind === '#') continue;
      // A '}' inside the expression (a dict, or '}}' in a string) is beyond the subset.
      if (body.includes('{') || body.includes('}')) return undefined;
      if (text) parts.push(text);
      text = '';
      parts.push({ expr: parseExpression(body.trim()), offset: open });
    }
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  if (text) parts.push(text);
  const names = new Set<string>();
  for (const p of parts) if (typeof p !== 'string') collectNames(p.expr, names);
  return { fast: true, parts, names: [...names] };
}

export type Lookup = (name: string) => unknown;

/** Whether every name the template calls resolves, so rendering will not need nunjucks' errors. */
export function canRenderFast(t: FastTemplate, lookup: Lookup): boolean {
  return t.parts.every((p) => typeof p === 'string' || callablesResolve(p.expr, lookup));
}

function callablesResolve(e: Expr, lookup: Lookup): boolean {
  if (e.kind === 'call') {
    let fn: unknown = lookup(e.callee[0]!);
    for (const k of e.callee.slice(1)) fn = fn === null || fn === undefined ? undefined : (fn as Record<string, unknown>)[k];
    if (typeof fn !== 'function') return false;
    return e.args.every((a) => callablesResolve(a, lookup)) && e.kwargs.every(([, v]) => callablesResolve(v, lookup));
  }
  if (e.kind === 'list') return e.items.every((x) => callablesResolve(x, lookup));
  return true;
}

function evaluate(e: Expr, lookup: Lookup, makeKwargs: (o: Record<string, unknown>) => unknown): unknown {
  switch (e.kind) {
    case 'lit':
      return e.value;
    case 'list':
      return e.items.map((x) => evaluate(x, lookup, makeKwargs));
    case 'name':
      return lookup(e.path[0]!);
    case 'call': {
      let target: unknown = undefined;
      let fn: unknown = lookup(e.callee[0]!);
      for (const k of e.callee.slice(1)) {
        target = fn;
        fn = (fn as Record<string, unknown>)[k];
      }
      const args = e.args.map((a) => evaluate(a, lookup, makeKwargs));
      if (e.kwargs.length) args.push(makeKwargs(Object.fromEntries(e.kwargs.map(([k, v]) => [k, evaluate(v, lookup, makeKwargs)]))));
      return (fn as (...a: unknown[]) => unknown).apply(target, args);
    }
  }
}

/** Renders like nunjucks does: null and undefined print as nothing, everything else as text. */
export function renderFast(t: FastTemplate, lookup: Lookup, makeKwargs: (o: Record<string, unknown>) => unknown): string {
  let out = '';
  for (const p of t.parts) {
    if (typeof p === 'string') out += p;
    else {
      let v: unknown;
      try {
        v = evaluate(p.expr, lookup, makeKwargs);
      } catch (e) {
        throw new FastRenderError(e, p.offset);
      }
      if (v !== null && v !== undefined) out += v;
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

/**
 * Every change this engine makes to nunjucks' own behaviour, and every nunjucks internal it reads.
 * dbt templates are Jinja rendered by Python; nunjucks is close, and these patches close the gap.
 * Each patch is listed in NUNJUCKS_PATCHES under the name its test in
 * tests/unit/templating/nunjucks-patches.test.ts uses; most rely on nunjucks' internals (its
 * runtime functions, compiler methods, the shape of its compiled JavaScript), so an upgrade of
 * nunjucks can break them silently: those tests, and the pinned version there, are the alarm.
 */
import nunjucks from 'nunjucks';
import { isPlainObject } from '../core/util.js';
import { percentFormat } from './context/percent-format.js';
import { pyConcat, pyStr } from './context/python-repr.js';
import { pythonStringMethods } from './context/python-string-methods.js';
import { pyEquals } from './py-set.js';
import { pyTruthy } from './py-truthy.js';
import { UNDEFINED_OUTPUT_MESSAGE } from './undefined-output-error.js';

/** nunjucks' modules as this file reaches into them (its type definitions cover only the public API). */
interface NunjucksInternals {
  runtime: Record<string, unknown> & {
    memberLookup: (...a: unknown[]) => unknown;
    ensureDefined: (v: unknown, lineno: number, colno: number) => unknown;
    makeKeywordArgs: (o: Record<string, unknown>) => unknown;
    suppressValue: (v: unknown, autoescape: boolean) => unknown;
    callWrap: (obj: unknown, name: string, context: unknown, args: unknown[]) => unknown;
    makeMacro: (argNames: string[], kwargNames: string[], func: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown;
    SafeString: new (s: string) => unknown;
  };
  compiler: {
    Compiler: { prototype: Record<string, unknown> };
    compile: (src: string, asyncFilters: unknown, extensions: unknown, name: string, opts: unknown) => string;
  };
  parser: { Parser: { prototype: Record<string, any> } };
  lexer: Record<string, string> & { Tokenizer?: unknown };
  nodes: Record<string, any>;
  lib: { TemplateError: new (message: string, lineno: number, colno: number) => Error };
}

const internals = nunjucks as unknown as NunjucksInternals;

/** One change to nunjucks; `name` is what its test is called. */
export interface NunjucksPatch {
  readonly name: string;
  /** Changes nunjucks' runtime or compiler, once per process. */
  readonly install?: () => void;
  /** Tags added to every environment (createEnvironment), under a name the compiled code looks up. */
  readonly extension?: { readonly name: string; readonly create: () => nunjucks.Extension };
  /** Rewrites a template's source before nunjucks parses it (preprocess). */
  readonly rewrite?: (source: string) => string;
}

// ---- how patches hook into nunjucks ----------------------------------------------------

/** Adds a rewrite of the JavaScript nunjucks compiles each template to. */
function rewriteCompiledCode(rewrite: (code: string) => string): void {
  const original = internals.compiler.compile;
  internals.compiler.compile = (...args) => rewrite(original(...args));
}

/** Replaces how the compiler emits one node type (a method of nunjucks' Compiler). */
function compileNodeAs(method: string, emit: (this: any, node: any, frame: unknown) => void): void {
  internals.compiler.Compiler.prototype[method] = emit;
}

/** Emits `runtime.<fn>(left, right)` for a binary operator, so the runtime decides what it means. */
function binaryAsCall(fn: string) {
  return function (this: { _emit(s: string): void; compile(node: unknown, frame: unknown): void }, node: { left: unknown; right: unknown }, frame: unknown) {
    this._emit(`runtime.${fn}(`);
    this.compile(node.left, frame);
    this._emit(', ');
    this.compile(node.right, frame);
    this._emit(')');
  };
}

// ---- Jinja syntax nunjucks lacks --------------------------------------------------------

/** `{% do expr %}`: evaluate for its effect, print nothing (Jinja's `do` extension). */
class DoExtension {
  tags = ['do'];
  parse(parser: any, nodes: any): unknown {
    const tok = parser.nextToken();
    const expr = parser.parseExpression();
    parser.advanceAfterBlockEnd(tok.value);
    return new nodes.CallExtension(this, 'run', new nodes.NodeList(tok.lineno, tok.colno, [expr]));
  }
  run(): string {
    return '';
  }
}

/** `{% break %}` and `{% continue %}`: parsed here, turned into JavaScript's in the compiled code (installLoopControls). */
class LoopControlsExtension {
  tags = ['break', 'continue'];
  parse(parser: any, nodes: any): unknown {
    const tok = parser.nextToken();
    parser.advanceAfterBlockEnd(tok.value);
    return new nodes.CallExtension(this, tok.value, null, []);
  }
  break(): string {
    return '';
  }
  continue(): string {
    return '';
  }
}

/** `{% break %}` / `{% continue %}` (Jinja's loopcontrols, which dbt enables) become the JavaScript statements. */
function installLoopControls(): void {
  const loopControl = /[\w$]+ \+= runtime\.suppressValue\(env\.getExtension\("LoopControls"\)\["(break|continue)"\]\(context,?\)[^;\n]*\);/g;
  rewriteCompiledCode((code) => code.replace(loopControl, '$1;'));
}

// ---- dbt's early return from a macro ----------------------------------------------------

/** Thrown by `return()` inside a macro; caught by the macro itself (installMacroReturn) or the engine's wrapper of a macro. */
export class MacroReturn {
  /** What the compiled macros check: a duck type, as the compiled code cannot import the class. */
  readonly macroReturn = true;
  constructor(readonly value: unknown) {}
}

/** dbt's `return(value)`: ends the macro being run with that value. */
export function returnFromMacro(value: unknown): never {
  throw new MacroReturn(value);
}

/**
 * `return()` leaves a macro by throwing. Each compiled macro catches it itself: a macro calling
 * another of the same file calls it directly, not through the engine's wrapper, so without this the
 * value would end the caller too. The throw also skips the line nunjucks ends each macro with to
 * give the caller its variables back (`frame = callerFrame`), so that is moved into a `finally`.
 */
function installMacroReturn(): void {
  const open = /var callerFrame = frame;\n/g;
  const close = /frame = (?:callerFrame|frame\.pop\(\));\nreturn new runtime\.SafeString\((t_\d+)\);/g;
  const caught = '} catch (e) { if (e && e.macroReturn === true) return e.value; throw e; } finally { frame = callerFrame; }';
  // A `{% call %}` body (nunjucks compiles it as a macro keeping its frame) does not catch: as in dbt,
  // `return()` there ends the macro that called `caller()` (dbt_utils' get_column_values returns its default
  // from inside `{% call statement(...) %}`), not just the body.
  const passed = '} finally { frame = callerFrame; }';
  rewriteCompiledCode((code) => {
    const opens = code.match(open)?.length ?? 0;
    if (opens === 0 || opens !== (code.match(close)?.length ?? 0)) return code;
    return code
      .replace(open, 'var callerFrame = frame;\ntry {\n')
      .replace(close, (whole, buffer) =>
        whole.startsWith('frame = frame.pop()')
          ? `${passed}\nreturn new runtime.SafeString(${buffer});`
          : `${caught}\nreturn new runtime.SafeString(${buffer});`,
      );
  });
}

// ---- dbt's Undefined ---------------------------------------------------------------------

/**
 * What printing an undefined value does, for the render in progress: the engine sets it
 * (withUndefinedOutput). It returns true when the value prints as an empty string (Jinja's default
 * Undefined, which dbt renders with: the engine warns), false when it is an error (strict mode).
 */
export type UndefinedOutputHandler = (line: number, column: number) => boolean;
let undefinedOutput: UndefinedOutputHandler | undefined;

/** Runs `fn` with `handler` deciding what printing an undefined value does (renders are synchronous). */
export function withUndefinedOutput<T>(handler: UndefinedOutputHandler, fn: () => T): T {
  const previous = undefinedOutput;
  undefinedOutput = handler;
  try {
    return fn();
  } finally {
    undefinedOutput = previous;
  }
}

/**
 * dbt renders with Jinja's default Undefined: `{{ target.dbname }}` prints an empty string. nunjucks
 * calls ensureDefined on every printed value when throwOnUndefined is set; the handler of the render
 * decides (a warning, or an error in strict mode). A None prints as nothing, as before.
 */
function installUndefinedOutput(): void {
  internals.runtime.ensureDefined = (value, lineno, colno) => {
    if (value !== undefined) return value;
    if (undefinedOutput?.(lineno + 1, colno)) return '';
    // 1-based numbers keep nunjucks from re-wrapping it (it does so when lineno is 0) with the
    // position of another statement; where it is, exactly, travels beside.
    const error = new internals.lib.TemplateError(UNDEFINED_OUTPUT_MESSAGE, lineno + 1, colno + 1);
    throw Object.assign(error, { undefinedAt: { line: lineno + 1, column: colno } });
  };
}

/**
 * Reading an attribute or key of an undefined value is an error naming it (`'x' is undefined`), as
 * Jinja's Undefined raises on `__getattr__` (nunjucks gives undefined again); of None it gives
 * undefined, as Jinja does. The callee of a call stays lenient, so calling what is not there keeps
 * nunjucks' "Unable to call" error, which the engine turns into its own messages.
 */
function installUndefinedLookup(): void {
  const compiler = internals.compiler.Compiler.prototype;
  const compileFunCall = compiler.compileFunCall as (this: unknown, node: any, frame: unknown) => void;
  const compileLookupVal = compiler.compileLookupVal as (this: unknown, node: any, frame: unknown) => void;
  compileNodeAs('compileFunCall', function (this: unknown, node: any, frame) {
    if (node.name?.typename === 'LookupVal') node.name.callee = true;
    compileFunCall.call(this, node, frame);
  });
  compileNodeAs('compileLookupVal', function (this: any, node: any, frame) {
    if (node.callee) return compileLookupVal.call(this, node, frame);
    this._emit(`runtime.pyLookup(${JSON.stringify(this._getNodeName(node.target))}, (`);
    this._compileExpression(node.target, frame);
    this._emit('),');
    this._compileExpression(node.val, frame);
    this._emit(')');
  });
  internals.runtime.pyLookup = (name: string, ...args: unknown[]) => {
    if (args[0] === undefined)
      throw new Error(`'${name}' is undefined, so it has no ${typeof args[1] === 'number' ? `item [${args[1]}]` : `attribute '${String(args[1])}'`}`);
    return internals.runtime.memberLookup(...args);
  };
}

/** Printed values as Python prints them: lists, dicts and booleans (`[1, 'a']`, `{'a': True}`). */
function installPythonOutput(): void {
  const original = internals.runtime.suppressValue;
  internals.runtime.suppressValue = (value, autoescape) =>
    value !== null && (typeof value === 'boolean' || (typeof value === 'object' && !(value instanceof (internals.runtime.SafeString as never))))
      ? original(pyStr(value), autoescape)
      : original(value, autoescape);
}

/** Where nunjucks printed an undefined value (1-based line, 0-based column), if that is the error. */
export function undefinedAt(e: unknown): { line: number; column: number } | undefined {
  return (e as { undefinedAt?: { line: number; column: number } } | null)?.undefinedAt;
}

// ---- Python semantics on values -----------------------------------------------------------

/** Marks a function that also carries attributes (a Python class: `datetime(...)`, `datetime.now()`). */
export const PY_CLASS = Symbol('python class');

/** Python's `xs[start:stop:step]`: missing bounds are the ends, negative ones count from the end, all clamped. */
function pySlice<T>(items: readonly T[], start: unknown, stop: unknown, step: unknown): T[] {
  const n = items.length;
  const by = step === null || step === undefined ? 1 : Number(step);
  if (by === 0) throw new Error('slice step cannot be zero');
  const bound = (v: unknown, missing: number, lo: number, hi: number) => {
    if (v === null || v === undefined) return missing;
    const i = Number(v) < 0 ? Number(v) + n : Number(v);
    return Math.min(Math.max(i, lo), hi);
  };
  const out: T[] = [];
  if (by > 0) {
    const to = bound(stop, n, 0, n);
    for (let i = bound(start, 0, 0, n); i < to; i += by) out.push(items[i]!);
  } else {
    const to = bound(stop, -1, -1, n - 1);
    for (let i = bound(start, n - 1, -1, n - 1); i > to; i += by) out.push(items[i]!);
  }
  return out;
}

/** Attribute and index lookups as Python does them: string methods, string slices, negative indexes. */
function installPythonMemberLookup(): void {
  const original = internals.runtime.memberLookup;
  const hasOwn = (o: object, k: string) => Object.hasOwn(o, k);
  internals.runtime.memberLookup = (...args: unknown[]) => {
    const [obj, val] = args;
    if (args.length === 4) {
      // A slice (`x[1:3]`), with Python's bounds (jinja-compat's gave `None` past the end); a
      // string gives a string back.
      const [, start, stop, step] = args;
      const items = typeof obj === 'string' ? [...obj] : Array.isArray(obj) ? obj : undefined;
      if (!items) return original(...args);
      const out = pySlice(items, start, stop, step);
      return typeof obj === 'string' ? out.join('') : out;
    }
    // nunjucks wraps a function member in a closure, which would lose a Python class's attributes.
    if (obj !== null && typeof obj === 'object' && typeof val === 'string') {
      const member = (obj as Record<string, unknown>)[val];
      if (typeof member === 'function' && PY_CLASS in member) return member;
    }
    // An object's own methods (a run_query table's `columns[0].values()`) win over Python's dict methods.
    if (isPlainObject(obj) && typeof val === 'string' && hasOwn(obj, val) && typeof obj[val] === 'function') {
      return (obj[val] as (...a: unknown[]) => unknown).bind(obj);
    }
    // Python's negative indexes: `xs[-1]`.
    if (typeof val === 'number' && val < 0 && (typeof obj === 'string' || Array.isArray(obj))) return obj[obj.length + val];
    // A macro's output (a SafeString: `{% set t = type_timestamp() %}{{ t.lower() }}`) is a str in dbt.
    const text = typeof obj === 'string' ? obj : obj instanceof internals.runtime.SafeString ? String(obj) : undefined;
    if (text !== undefined && typeof val === 'string' && hasOwn(pythonStringMethods, val)) {
      const m = pythonStringMethods[val]!;
      return (...a: unknown[]) => m(text, ...a);
    }
    return original(...args);
  };
}

/** `'%s and %s' % (a, b)` formats, as Python's `%` does on a string (JavaScript gives NaN). */
function installPercentOperator(): void {
  internals.runtime.pyMod = (a: unknown, b: unknown) => {
    if (typeof a === 'string') return percentFormat(a, Array.isArray(b) ? b : [b]);
    // Python's modulo takes the sign of the divisor.
    const [x, y] = [a as number, b as number];
    return ((x % y) + y) % y;
  };
  compileNodeAs('compileMod', binaryAsCall('pyMod'));
}

/** `a ~ b` joins `str()` of each side, as Jinja does: `['y', 'z']`, `False`, `None` (JavaScript gave `y,z`, `false`, `null`). */
function installPythonConcat(): void {
  internals.runtime.pyConcat = pyConcat;
  compileNodeAs('compileConcat', binaryAsCall('pyConcat'));
}

/** `'-' * 3` repeats the string, as Python's `*` does (JavaScript gives NaN). */
function installRepeatOperator(): void {
  internals.runtime.pyMul = (a: unknown, b: unknown) => {
    if (typeof a === 'string' && typeof b === 'number') return a.repeat(Math.max(0, b));
    if (typeof b === 'string' && typeof a === 'number') return b.repeat(Math.max(0, a));
    return (a as number) * (b as number);
  };
  compileNodeAs('compileMul', binaryAsCall('pyMul'));
}

/**
 * `d - timedelta(days=1)`, `d + timedelta(…)`, `d1 - d2`: Python's arithmetic on `modules.datetime`
 * values (py-datetime.ts gives them `__add__`/`__sub__`), and `list + list` concatenating as Python's
 * `+` does (JavaScript joins them as text); everything else as before.
 */
function installPythonArithmetic(): void {
  type Arith = { __add__?(o: unknown): unknown; __sub__?(o: unknown): unknown };
  const arith = (v: unknown): Arith | undefined => (v !== null && typeof v === 'object' && '__sub__' in v ? (v as Arith) : undefined);
  internals.runtime.pyAdd = (a: unknown, b: unknown) => {
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    const r = arith(a)?.__add__?.(b) ?? arith(b)?.__add__?.(a);
    return r !== undefined ? r : (a as number) + (b as number);
  };
  internals.runtime.pySub = (a: unknown, b: unknown) => {
    const r = arith(a)?.__sub__?.(b);
    return r !== undefined ? r : (a as number) - (b as number);
  };
  compileNodeAs('compileAdd', binaryAsCall('pyAdd'));
  compileNodeAs('compileSub', binaryAsCall('pySub'));
}

/**
 * `==` and `!=` compare lists, dicts and sets by value, as Python does (JavaScript compares them by
 * identity, so two equal lists were unequal); a chain (`a < b < c`) keeps nunjucks' compilation.
 */
function installPythonEquality(): void {
  internals.runtime.pyEq = pyEquals;
  const compileCompare = internals.compiler.Compiler.prototype.compileCompare as (this: unknown, node: any, frame: unknown) => void;
  compileNodeAs('compileCompare', function (this: any, node: any, frame) {
    const op = node.ops.length === 1 ? node.ops[0].type : undefined;
    if (op !== '==' && op !== '!=') return compileCompare.call(this, node, frame);
    this._emit(op === '==' ? 'runtime.pyEq(' : '!runtime.pyEq(');
    this.compile(node.expr, frame);
    this._emit(', ');
    this.compile(node.ops[0].expr, frame);
    this._emit(')');
  });
}

/** A tuple `(a, b)` is a list, not JavaScript's comma operator (which keeps only `b`). */
function installTuples(): void {
  type Compiler = { _compileAggregate(node: unknown, frame: unknown, open: string, close: string): void };
  compileNodeAs('compileGroup', function (this: Compiler, node: { children: unknown[]; trailingComma?: boolean }, frame) {
    // `(x,)` (a trailing comma, installCallSyntax) is a one-item tuple.
    const tuple = node.children.length > 1 || node.trailingComma === true;
    this._compileAggregate(node, frame, tuple ? '[' : '(', tuple ? ']' : ')');
  });
}

/**
 * `{% set a, b = pair %}` unpacks the value as Jinja does (nunjucks gives every name the whole
 * value); a count that does not match is Python's "too many/not enough values to unpack".
 */
function installSetUnpacking(): void {
  internals.runtime.pyUnpack = (value: unknown, count: number) => {
    const items = typeof value === 'string' ? [...value] : Array.isArray(value) ? value : isPlainObject(value) ? Object.keys(value) : undefined;
    if (items === undefined) throw new Error(`cannot unpack non-iterable ${value === null || value === undefined ? 'None' : typeof value} object`);
    if (items.length > count) throw new Error(`too many values to unpack (expected ${count})`);
    if (items.length < count) throw new Error(`not enough values to unpack (expected ${count}, got ${items.length})`);
    return items;
  };
  const compiler = internals.compiler.Compiler.prototype as any;
  const compileSet = compiler.compileSet as (this: unknown, node: any, frame: unknown) => void;
  compiler.compileSet = function (this: any, node: any, frame: any) {
    if (node.targets.length < 2 || !node.value) return compileSet.call(this, node, frame);
    const tmp = this._tmpid();
    this._emit(`var ${tmp} = runtime.pyUnpack(`);
    this._compileExpression(node.value, frame);
    this._emitLine(`, ${node.targets.length});`);
    node.targets.forEach((target: { value: string }, i: number) => {
      const name = target.value;
      // A name the compiled code already holds in a JavaScript variable (a macro argument, a loop
      // variable) is assigned there, as nunjucks' own compileSet does.
      let id = frame.lookup(name);
      if (id === null || id === undefined) {
        id = this._tmpid();
        this._emitLine(`var ${id};`);
      }
      this._emitLine(`${id} = ${tmp}[${i}];`);
      this._emitLine(`frame.set("${name}", ${id}, true);`);
      this._emitLine(`if(frame.topLevel) { context.setVariable("${name}", ${id}); }`);
      if (name.charAt(0) !== '_') this._emitLine(`if(frame.topLevel) { context.addExport("${name}", ${id}); }`);
    });
  };
}

/** `{% for k in some_dict %}` walks the keys, as Python does (nunjucks walks nothing). */
function installDictLoops(): void {
  internals.runtime.pyKeys = (v: unknown) => (isPlainObject(v) ? Object.keys(v) : v);
  // A one-variable loop is the only one that reads `.length` right after fromIterator.
  const oneVarLoop = /(t_\d+) = runtime\.fromIterator\(\1\);\nvar (t_\d+) = \1\.length;/g;
  rewriteCompiledCode((code) => code.replace(oneVarLoop, '$1 = runtime.pyKeys(runtime.fromIterator($1));\nvar $2 = $1.length;'));
}

// ---- Jinja syntax nunjucks' parser lacks ------------------------------------------------

const VARARGS = Symbol('varargs');
const DECLARED = Symbol('declared arguments');

/** `*xs` in a call: the list's items become positional arguments (callWrap spreads them). */
class Splat {
  constructor(readonly items: unknown) {}
}

/**
 * Jinja's call and literal syntax that nunjucks' parser rejects: a trailing comma in a call, a
 * list or a dict (`config(materialized='table',)`); `*args` and `**kwargs` in a call; a dict key
 * that is an expression (`{col.column: col}`); `*varargs` and `**kwargs` in a macro's signature
 * (dropped there: every macro gets `varargs` and `kwargs`, installMacroVarargs).
 */
function installCallSyntax(): void {
  const { lexer, nodes } = internals;
  const Parser = internals.parser.Parser.prototype;
  const PySplat = nodes.Pos.extend('PySplat');
  const closers = new Set([lexer.TOKEN_RIGHT_PAREN, lexer.TOKEN_RIGHT_BRACKET, lexer.TOKEN_RIGHT_CURLY]);
  let splats = 0;

  Parser.parseSignature = function (this: any, tolerant: boolean, noParens: boolean) {
    let tok = this.peekToken();
    if (!noParens && tok.type !== lexer.TOKEN_LEFT_PAREN) {
      if (tolerant) return null;
      this.fail('expected arguments', tok.lineno, tok.colno);
    }
    if (tok.type === lexer.TOKEN_LEFT_PAREN) tok = this.nextToken();
    const args = new nodes.NodeList(tok.lineno, tok.colno);
    const kwargs = new nodes.KeywordArgs(tok.lineno, tok.colno);
    let first = true;
    while (true) {
      tok = this.peekToken();
      if (!noParens && tok.type === lexer.TOKEN_RIGHT_PAREN) {
        this.nextToken();
        break;
      }
      if (noParens && tok.type === lexer.TOKEN_BLOCK_END) break;
      if (!first) {
        if (!this.skip(lexer.TOKEN_COMMA)) this.fail('parseSignature: expected comma after expression', tok.lineno, tok.colno);
        const after = this.peekToken();
        if (!noParens && after.type === lexer.TOKEN_RIGHT_PAREN) {
          this.nextToken();
          break;
        }
      }
      first = false;
      const star = this.peekToken();
      if (star.type === lexer.TOKEN_OPERATOR && (star.value === '*' || star.value === '**')) {
        this.nextToken();
        const value = this.parseExpression();
        if (star.value === '*') args.addChild(new PySplat(star.lineno, star.colno, value));
        else kwargs.addChild(new nodes.Pair(star.lineno, star.colno, new nodes.Literal(star.lineno, star.colno, `__pysplat_${splats++}`), value));
        continue;
      }
      const arg = this.parseExpression();
      if (this.skipValue(lexer.TOKEN_OPERATOR, '=')) kwargs.addChild(new nodes.Pair(arg.lineno, arg.colno, arg, this.parseExpression()));
      else args.addChild(arg);
    }
    if (kwargs.children.length) args.addChild(kwargs);
    return args;
  };

  Parser.parseAggregate = function (this: any) {
    const tok = this.nextToken();
    let node: any;
    if (tok.type === lexer.TOKEN_LEFT_PAREN) node = new nodes.Group(tok.lineno, tok.colno);
    else if (tok.type === lexer.TOKEN_LEFT_BRACKET) node = new nodes.Array(tok.lineno, tok.colno);
    else if (tok.type === lexer.TOKEN_LEFT_CURLY) node = new nodes.Dict(tok.lineno, tok.colno);
    else return null;
    while (true) {
      if (closers.has(this.peekToken().type)) {
        this.nextToken();
        break;
      }
      if (node.children.length > 0) {
        if (!this.skip(lexer.TOKEN_COMMA)) this.fail('parseAggregate: expected comma after expression', tok.lineno, tok.colno);
        if (closers.has(this.peekToken().type)) {
          // `(x,)` is a one-item tuple in Python.
          if (node instanceof nodes.Group) node.trailingComma = true;
          this.nextToken();
          break;
        }
      }
      if (node instanceof nodes.Dict) {
        const key = this.parseExpression();
        if (!this.skip(lexer.TOKEN_COLON)) this.fail('parseAggregate: expected colon after dict key', tok.lineno, tok.colno);
        const value = this.parseExpression();
        node.addChild(new nodes.Pair(key.lineno, key.colno, key, value));
      } else {
        node.addChild(this.parseExpression());
      }
    }
    return node;
  };

  // A macro's `*varargs` / `**kwargs` parameters: nunjucks would read them as expressions; bind their names instead.
  const parseMacro = Parser.parseMacro as (this: any) => any;
  Parser.parseMacro = function (this: any) {
    const node = parseMacro.call(this);
    const binds: { name: string; from: string }[] = [];
    node.args.children = node.args.children.filter((arg: any) => {
      if (arg instanceof PySplat && arg.target instanceof nodes.Symbol) {
        binds.push({ name: arg.target.value, from: 'varargs' });
        return false;
      }
      if (arg instanceof nodes.KeywordArgs) {
        arg.children = arg.children.filter((pair: any) => {
          if (pair.key instanceof nodes.Literal && String(pair.key.value).startsWith('__pysplat_') && pair.value instanceof nodes.Symbol) {
            binds.push({ name: pair.value.value, from: 'kwargs' });
            return false;
          }
          return true;
        });
        return arg.children.length > 0;
      }
      return true;
    });
    for (const b of binds.filter((x) => x.name !== x.from)) {
      const target = new nodes.Symbol(node.lineno, node.colno, b.name);
      node.body.children.unshift(new nodes.Set(node.lineno, node.colno, [target], new nodes.Symbol(node.lineno, node.colno, b.from)));
    }
    return node;
  };

  const compiler = internals.compiler.Compiler.prototype;
  compileNodeAs('compilePySplat', function (this: any, node: any, frame) {
    this._emit('runtime.pySplat(');
    this.compile(node.target, frame);
    this._emit(')');
  });
  internals.runtime.pySplat = (v: unknown) => new Splat(v);
  const compilePair = compiler.compilePair as (this: any, node: any, frame: unknown) => void;
  const compileDict = compiler.compileDict as (this: any, node: any, frame: unknown) => void;
  // A bare name as a dict key is a variable in Jinja (`{relation: []}` keys by the relation), not
  // the string nunjucks makes it; keyword arguments (a Dict too, to nunjucks) keep their names.
  compileNodeAs('compileDict', function (this: any, node: any, frame) {
    if (node.typename === 'Dict') for (const pair of node.children) pair.keyIsExpression = true;
    compileDict.call(this, node, frame);
  });
  compileNodeAs('compilePair', function (this: any, node: any, frame) {
    const key = node.key;
    if ((key instanceof nodes.Symbol && !node.keyIsExpression) || (key instanceof nodes.Literal && typeof key.value === 'string'))
      return compilePair.call(this, node, frame);
    this._emit('[');
    this.compile(key, frame);
    this._emit(']: ');
    this._compileExpression(node.value, frame);
  });

  const makeKeywordArgs = internals.runtime.makeKeywordArgs;
  internals.runtime.makeKeywordArgs = (o: Record<string, unknown>) => {
    for (const k of Object.keys(o)) {
      if (!k.startsWith('__pysplat_')) continue;
      const spread = o[k];
      delete o[k];
      if (isPlainObject(spread)) for (const [name, v] of Object.entries(spread)) if (name !== '__keywords') o[name] = v;
    }
    return makeKeywordArgs(o);
  };
  const callWrap = internals.runtime.callWrap;
  internals.runtime.callWrap = (obj, name, context, args) => {
    if (!args.some((a) => a instanceof Splat)) return callWrap(obj, name, context, args);
    const flat = args.flatMap((a) =>
      a instanceof Splat ? (Array.isArray(a.items) ? a.items : isPlainObject(a.items) ? Object.keys(a.items) : [a.items]) : [a],
    );
    return callWrap(obj, name, context, flat);
  };
}

/**
 * Conditions test Python's truth value (py-truthy.ts): `if`, inline `if`, `not`, and `and`/`or`,
 * which also give back an operand as Python does (`a or b` is `a` when `a` is true, else `b`).
 */
function installPythonTruthiness(): void {
  internals.runtime.pyTruthy = pyTruthy;
  internals.runtime.pyAnd = (a: unknown, b: () => unknown) => (pyTruthy(a) ? b() : a);
  internals.runtime.pyOr = (a: unknown, b: () => unknown) => (pyTruthy(a) ? a : b());
  const compiler = internals.compiler.Compiler.prototype;
  const compileIf = compiler.compileIf as (this: unknown, node: any, frame: unknown, async?: boolean) => void;
  // _compileExpression checks the node's type, so the wrapper passes as the node it wraps.
  const truthOf = (cond: any) =>
    Object.defineProperties(Object.create(Object.getPrototypeOf(cond)), {
      typename: { value: 'PyTruth' },
      cond: { value: cond },
      lineno: { value: cond.lineno },
      colno: { value: cond.colno },
    });
  compileNodeAs('compilePyTruth', function (this: any, node: any, frame) {
    this._emit('runtime.pyTruthy(');
    this.compile(node.cond, frame);
    this._emit(')');
  });
  compiler.compileIf = function (this: unknown, node: any, frame: unknown, async?: boolean) {
    const cond = node.cond;
    node.cond = truthOf(cond);
    try {
      compileIf.call(this, node, frame, async);
    } finally {
      node.cond = cond;
    }
  };
  compileNodeAs('compileInlineIf', function (this: any, node: any, frame) {
    this._emit('(runtime.pyTruthy(');
    this.compile(node.cond, frame);
    this._emit(')?');
    this.compile(node.body, frame);
    this._emit(':');
    if (node.else_ !== null) this.compile(node.else_, frame);
    else this._emit('""');
    this._emit(')');
  });
  compileNodeAs('compileNot', function (this: any, node: any, frame) {
    this._emit('!runtime.pyTruthy(');
    this.compile(node.target, frame);
    this._emit(')');
  });
  for (const [method, fn] of [
    ['compileAnd', 'pyAnd'],
    ['compileOr', 'pyOr'],
  ] as const) {
    compileNodeAs(method, function (this: any, node: any, frame) {
      this._emit(`runtime.${fn}(`);
      this.compile(node.left, frame);
      this._emit(', function() { return ');
      this.compile(node.right, frame);
      this._emit('; })');
    });
  }
}

/**
 * Jinja's loop filter, `{% for x in xs if cond %}`: nunjucks read `xs if cond` as an inline if, so
 * the condition was tested once, outside the loop. The parser now keeps the condition apart and
 * the loop runs over the items it keeps, so `loop.index`, `loop.last` and `else` count only those.
 */
function installLoopFilters(): void {
  const parser = internals.parser.Parser.prototype;
  const parseFor = parser.parseFor as (this: any) => any;
  parser.parseFor = function (this: any) {
    const parseExpression = this.parseExpression;
    // Only the iterable (the first expression after `in`) stops before `if`.
    this.parseExpression = function (this: any) {
      this.parseExpression = parseExpression;
      const arr = this.parseOr();
      if (this.skipSymbol('if')) this.pendingLoopFilter = parseExpression.call(this);
      return arr;
    };
    try {
      const node = parseFor.call(this);
      if (this.pendingLoopFilter) node.loopFilter = this.pendingLoopFilter;
      return node;
    } finally {
      this.parseExpression = parseExpression;
      this.pendingLoopFilter = undefined;
    }
  };
  internals.runtime.pyLoopFilter = (items: unknown, frame: any, names: string[], keep: (f: unknown) => unknown) => {
    if (items === null || items === undefined) return items;
    const list: unknown[] = Array.isArray(items)
      ? items
      : typeof items === 'object'
        ? names.length > 1
          ? Object.entries(items as object)
          : Object.keys(items as object)
        : [...(items as Iterable<unknown>)];
    return list.filter((item) => {
      const f = frame.push();
      if (names.length === 1) f.set(names[0], item);
      else for (const [i, n] of names.entries()) f.set(n, (item as unknown[])[i]);
      return pyTruthy(keep(f));
    });
  };
  const compiler = internals.compiler.Compiler.prototype;
  const compileFor = compiler.compileFor as (this: unknown, node: any, frame: any) => void;
  compiler.compileFor = function (this: any, node: any, frame: any) {
    if (!node.loopFilter) return compileFor.call(this, node, frame);
    const names: string[] = node.name.children ? node.name.children.map((c: any) => c.value) : [node.name.value];
    const kept = this._tmpid();
    this._emit(`var ${kept} = runtime.pyLoopFilter(`);
    this._compileExpression(node.arr, frame);
    this._emit(`, frame, ${JSON.stringify(names)}, function(frame) { return `);
    // A fresh compile-time frame: every name in the condition is looked up in the runtime frame
    // the filter pushes, so the loop variable is the item being tested.
    this.compile(node.loopFilter, new (internals.runtime.Frame as new () => unknown)());
    this._emitLine('; });');
    const arr = node.arr;
    const loopFilter = node.loopFilter;
    const symbol = new (internals.nodes.Symbol as any)(arr.lineno, arr.colno, `__loop_filter_${kept}`);
    frame.set(symbol.value, kept);
    node.arr = symbol;
    node.loopFilter = undefined;
    try {
      compileFor.call(this, node, frame);
    } finally {
      node.arr = arr;
      node.loopFilter = loopFilter;
    }
  };
}

/**
 * Every Jinja macro has `varargs` (positional arguments beyond its parameters) and `kwargs`
 * (keyword arguments it does not name); nunjucks drops the first and hides the second.
 */
function installMacroVarargs(): void {
  const makeMacro = internals.runtime.makeMacro;
  internals.runtime.makeMacro = (argNames, kwargNames, func) => {
    const declared = new Set([...argNames, ...kwargNames, 'caller']);
    const inner = makeMacro(argNames, kwargNames, func);
    return function (this: unknown, ...macroArgs: unknown[]) {
      const last = macroArgs[macroArgs.length - 1];
      const hasKw = isKwargs(last);
      const positional = hasKw ? macroArgs.length - 1 : macroArgs.length;
      const kw = (hasKw ? last : makeKeywordArgs({})) as Record<string | symbol, unknown>;
      kw[VARARGS] = macroArgs.slice(argNames.length + kwargNames.length, positional);
      kw[DECLARED] = declared;
      return inner.apply(this, hasKw ? macroArgs : [...macroArgs, kw]);
    };
  };
  internals.runtime.macroVarargs = (kw: Record<symbol, unknown> | undefined) => (kw?.[VARARGS] as unknown[] | undefined) ?? [];
  internals.runtime.macroKwargs = (kw: Record<string | symbol, unknown> | undefined) => {
    const declared = kw?.[DECLARED] as Set<string> | undefined;
    return Object.fromEntries(Object.entries(kw ?? {}).filter(([k]) => k !== '__keywords' && !declared?.has(k)));
  };
  rewriteCompiledCode((code) =>
    code.replace(
      /kwargs = kwargs \|\| \{\};\n/g,
      'kwargs = kwargs || {};\nframe.set("varargs", runtime.macroVarargs(kwargs));\nframe.set("kwargs", runtime.macroKwargs(kwargs));\n',
    ),
  );
}

/** String literals as Python reads them: `\<newline>` continues the line, unknown escapes (`\d`) keep their backslash. */
function installPythonStrings(): void {
  const tokenizer = (internals.lexer as unknown as { lex(src: string, opts: unknown): { constructor: { prototype: Record<string, any> } } }).lex('', {});
  const proto = tokenizer.constructor.prototype;
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
  proto._parseString = function (this: any, delimiter: string) {
    this.forward();
    let str = '';
    while (!this.isFinished() && this.current() !== delimiter) {
      const cur = this.current();
      if (cur !== '\\') {
        str += cur;
        this.forward();
        continue;
      }
      this.forward();
      const c = this.current();
      const hex = (n: number) => {
        const digits = this.str.slice(this.index + 1, this.index + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) return undefined;
        for (let k = 0; k < n; k++) this.forward();
        return String.fromCodePoint(Number.parseInt(digits, 16));
      };
      if (c === '\n') str += '';
      else if (c in simple) str += simple[c];
      else if (c === 'x') str += hex(2) ?? '\\x';
      else if (c === 'u') str += hex(4) ?? '\\u';
      else if (c === 'U') str += hex(8) ?? '\\U';
      else str += `\\${c}`;
      this.forward();
    }
    this.forward();
    return str;
  };
}

/**
 * A call's name is pasted into the compiled JavaScript between double quotes with only `"` escaped,
 * so a method called on a string literal holding a newline or a backslash (dbt_utils' `safe_add`:
 * `'…\\<newline>…'.format(…)`) made invalid JavaScript. Literal names are escaped for that string.
 */
function installCallNames(): void {
  const compiler = internals.compiler.Compiler.prototype as unknown as { _getNodeName(node: any): string };
  const getNodeName = compiler._getNodeName;
  compiler._getNodeName = function (this: unknown, node: any) {
    if (node?.typename !== 'Literal') return getNodeName.call(this, node);
    return String(node.value).replace(/[\\\n\r\u2028\u2029]/g, (c) => (c === '\\' ? '\\\\' : JSON.stringify(c).slice(1, -1)));
  };
}

/** `{% set ns.x %}body{% endset %}` → `{% set __ns_block_N %}body{% endset %}{% do ns.update({'x': __ns_block_N}) %}`. */
function rewriteNamespaceSetBlocks(source: string): string {
  if (!/\{%-?\s*set\s+\w+\.\w+\s*-?%\}/.test(source)) return source;
  let n = 0;
  return source.replace(/\{%(-?)\s*set\s+(\w+)\.(\w+)\s*(-?)%\}([\s\S]*?)\{%(-?)\s*endset\s*(-?)%\}/g, (_m, a, ns, attr, b, body, c, d) => {
    const name = `__ns_block_${n++}`;
    return `{%${a} set ${name} ${b}%}${body}{%${c} endset %}{% do ${ns}.update({'${attr}': ${name}}) ${d}%}`;
  });
}

// ---- the list ---------------------------------------------------------------------------

/** In the order they are installed: later ones wrap what earlier ones installed. */
export const NUNJUCKS_PATCHES: readonly NunjucksPatch[] = [
  // Before jinja-compat, whose slices wrap this parseAggregate.
  { name: 'call-syntax', install: installCallSyntax },
  // True/False/None, slices, list and dict methods (`.append()`, `.items()`, `.update()`).
  { name: 'jinja-compat', install: () => nunjucks.installJinjaCompat() },
  // Wraps jinja-compat's memberLookup, so it comes after it.
  { name: 'python-member-lookup', install: installPythonMemberLookup },
  { name: 'macro-return', install: installMacroReturn },
  { name: 'undefined-output', install: installUndefinedOutput },
  { name: 'undefined-lookup', install: installUndefinedLookup },
  { name: 'python-output', install: installPythonOutput },
  { name: 'macro-varargs', install: installMacroVarargs },
  { name: 'python-truthiness', install: installPythonTruthiness },
  { name: 'loop-filters', install: installLoopFilters },
  { name: 'python-strings', install: installPythonStrings },
  { name: 'call-names', install: installCallNames },
  { name: 'percent-operator', install: installPercentOperator },
  { name: 'repeat-operator', install: installRepeatOperator },
  { name: 'python-concat', install: installPythonConcat },
  { name: 'python-arithmetic', install: installPythonArithmetic },
  { name: 'python-equality', install: installPythonEquality },
  { name: 'tuples', install: installTuples },
  { name: 'dict-loops', install: installDictLoops },
  { name: 'set-unpacking', install: installSetUnpacking },
  { name: 'do-tag', extension: { name: 'DoExtension', create: () => new DoExtension() } },
  { name: 'loop-controls', install: installLoopControls, extension: { name: 'LoopControls', create: () => new LoopControlsExtension() } },
  // `{% set ns.attr = value %}` (namespace attributes), which nunjucks cannot parse; keeps line numbers.
  { name: 'namespace-set', rewrite: (s) => s.replace(/\{%(-?)\s*set\s+(\w+)\.(\w+)\s*=([^%]*?)(-?)%\}/g, "{%$1 do $2.update({'$3': $4}) $5%}") },
  // `{% set ns.attr %}…{% endset %}`: captured into a name, then stored on the namespace; keeps line numbers.
  { name: 'namespace-set-block', rewrite: rewriteNamespaceSetBlocks },
  // dbt's `{% test name(...) %}` blocks are macros named `test_<name>`.
  {
    name: 'test-blocks',
    rewrite: (s) => s.replace(/\{%(-?)\s*test\s+(\w+)\s*\(/g, '{%$1 macro test_$2(').replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}'),
  },
];

let installed = false;

/** Installs the process-wide patches (once: nunjucks is a singleton). */
export function installNunjucksPatches(): void {
  if (installed) return;
  installed = true;
  for (const patch of NUNJUCKS_PATCHES) patch.install?.();
}

/** The Jinja syntax nunjucks cannot parse, rewritten to syntax it can, line numbers kept. */
export function preprocess(source: string): string {
  let text = source;
  for (const patch of NUNJUCKS_PATCHES) if (patch.rewrite) text = patch.rewrite(text);
  return text;
}

/** A nunjucks environment as dbt renders: no autoescape, undefined printed values are errors, the extra tags. */
export function createEnvironment(): nunjucks.Environment {
  installNunjucksPatches();
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  // Named here, not by class: the bundle is minified, and compiled templates (precompiled ones too) look tags up by name.
  for (const { extension } of NUNJUCKS_PATCHES) if (extension) env.addExtension(extension.name, extension.create());
  return env;
}

// ---- nunjucks internals the engine reads ------------------------------------------------

/** Tags an object as keyword arguments, as nunjucks' compiled calls do (`f(a, k=1)`). */
export const makeKeywordArgs = internals.runtime.makeKeywordArgs;

/** Whether `v` is the keyword arguments of a call: nunjucks passes them last, as an object tagged `__keywords`. */
export function isKwargs(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && '__keywords' in v;
}

/** Removes the keyword arguments from the end of `args` and returns them ({} when there are none). */
export function popKwargs(args: unknown[]): Record<string, unknown> {
  return isKwargs(args[args.length - 1]) ? stripKwargs(args.pop()) : {};
}

/** The keyword arguments in nunjucks' tagged object, without the tag; {} for anything else. */
export function stripKwargs(v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) return {};
  const { __keywords: _k, ...rest } = v;
  return rest;
}

/** The environment's globals, read and written directly (addGlobal cannot define getters). */
export function envGlobals(env: nunjucks.Environment): Record<string, unknown> {
  return (env as unknown as { globals: Record<string, unknown> }).globals;
}

/** Adds a Jinja test (`x is mapping`); nunjucks' type definitions lack addTest. */
export function addTest(env: nunjucks.Environment, name: string, fn: (v: unknown) => boolean): void {
  (env as unknown as { addTest(name: string, fn: (v: unknown) => boolean): void }).addTest(name, fn);
}

/** A Jinja test by name, if the environment has it. */
export function getTest(env: nunjucks.Environment, name: string): ((v: unknown, ...a: unknown[]) => boolean) | undefined {
  return (env as unknown as { getTest(n: string): ((v: unknown, ...a: unknown[]) => boolean) | undefined }).getTest(name);
}

/** What a template exports (its macros), computed synchronously: nunjucks calls back before returning. */
export function templateExports(template: nunjucks.Template): Record<string, unknown> {
  let exported: Record<string, unknown> = {};
  type RootRender = (env: unknown, context: { ctx: Record<string, unknown> }, ...rest: unknown[]) => unknown;
  const t = template as unknown as { getExported(ctx: object, frame: null, cb: (err: Error | null, exp: unknown) => void): void; rootRenderFunc: RootRender };
  // nunjucks exports no name that starts with '_' (Jinja's private names), but dbt makes every
  // macro of a file callable (dbt_utils calls `dbt_utils._is_relation`): those are read from the
  // template's context.
  const render = t.rootRenderFunc;
  let context: { ctx: Record<string, unknown> } | undefined;
  t.rootRenderFunc = function (this: unknown, env, ctx, ...rest) {
    context = ctx;
    return render.call(this, env, ctx, ...rest);
  };
  try {
    t.getExported({}, null, (err, exp) => {
      if (err) throw err;
      exported = (exp ?? {}) as Record<string, unknown>;
    });
  } finally {
    t.rootRenderFunc = render;
  }
  for (const [name, value] of Object.entries(context?.ctx ?? {})) {
    if (name.startsWith('_') && typeof value === 'function' && !(name in exported)) exported[name] = value;
  }
  return exported;
}

/** The JavaScript nunjucks compiles a (preprocessed) template to in `env`, patches applied. */
export function compileToCode(env: nunjucks.Environment, text: string, file: string): string {
  const e = env as unknown as { asyncFilters: unknown; extensionsList: unknown; opts: unknown };
  return internals.compiler.compile(text, e.asyncFilters, e.extensionsList, file, e.opts);
}

/** A template from code compileToCode gave (run as a function), without parsing. */
export function templateFromCode(code: Record<string, unknown>, env: nunjucks.Environment, file: string): nunjucks.Template {
  return new nunjucks.Template({ type: 'code', obj: code } as unknown as string, env, file, true);
}

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
import { pythonStringMethods } from './context/python-string-methods.js';
import { UNDEFINED_OUTPUT_MESSAGE } from './undefined-output-error.js';

/** nunjucks' modules as this file reaches into them (its type definitions cover only the public API). */
interface NunjucksInternals {
  runtime: Record<string, unknown> & {
    memberLookup: (...a: unknown[]) => unknown;
    ensureDefined: (v: unknown, lineno: number, colno: number) => unknown;
    makeKeywordArgs: (o: Record<string, unknown>) => unknown;
  };
  compiler: {
    Compiler: { prototype: Record<string, unknown> };
    compile: (src: string, asyncFilters: unknown, extensions: unknown, name: string, opts: unknown) => string;
  };
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
  rewriteCompiledCode((code) => {
    const opens = code.match(open)?.length ?? 0;
    if (opens === 0 || opens !== (code.match(close)?.length ?? 0)) return code;
    return code.replace(open, 'var callerFrame = frame;\ntry {\n').replace(close, `${caught}\nreturn new runtime.SafeString($1);`);
  });
}

// ---- dbt's StrictUndefined --------------------------------------------------------------

/**
 * dbt renders with Jinja's StrictUndefined: `{{ partiion }}` (a typo) or `{{ x.missing }}` is a
 * compile error, not an empty string. nunjucks calls ensureDefined on every printed value when
 * throwOnUndefined is set; it throws here for undefined only (a None prints as nothing, as before).
 */
function installStrictOutput(): void {
  internals.runtime.ensureDefined = (value, lineno, colno) => {
    if (value === undefined) {
      // 1-based numbers keep nunjucks from re-wrapping it (it does so when lineno is 0) with the
      // position of another statement; where it is, exactly, travels beside.
      const error = new internals.lib.TemplateError(UNDEFINED_OUTPUT_MESSAGE, lineno + 1, colno + 1);
      throw Object.assign(error, { undefinedAt: { line: lineno + 1, column: colno } });
    }
    return value;
  };
}

/** Where nunjucks printed an undefined value (1-based line, 0-based column), if that is the error. */
export function undefinedAt(e: unknown): { line: number; column: number } | undefined {
  return (e as { undefinedAt?: { line: number; column: number } } | null)?.undefinedAt;
}

// ---- Python semantics on values -----------------------------------------------------------

/** Marks a function that also carries attributes (a Python class: `datetime(...)`, `datetime.now()`). */
export const PY_CLASS = Symbol('python class');

/** Attribute and index lookups as Python does them: string methods, string slices, negative indexes. */
function installPythonMemberLookup(): void {
  const original = internals.runtime.memberLookup;
  const hasOwn = (o: object, k: string) => Object.hasOwn(o, k);
  internals.runtime.memberLookup = (...args: unknown[]) => {
    const [obj, val] = args;
    if (args.length === 4) {
      // A slice (`x[1:3]`): Python gives a string back for a string.
      const out = original(...args);
      return typeof obj === 'string' && Array.isArray(out) ? out.join('') : out;
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
    if (typeof obj === 'string' && typeof val === 'string' && hasOwn(pythonStringMethods, val)) {
      const m = pythonStringMethods[val]!;
      return (...a: unknown[]) => m(obj, ...a);
    }
    return original(...args);
  };
}

/** `'%s and %s' % (a, b)` formats, as Python's `%` does on a string (JavaScript gives NaN). */
function installPercentOperator(): void {
  internals.runtime.pyMod = (a: unknown, b: unknown) => (typeof a === 'string' ? percentFormat(a, Array.isArray(b) ? b : [b]) : (a as number) % (b as number));
  compileNodeAs('compileMod', binaryAsCall('pyMod'));
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

/** A tuple `(a, b)` is a list, not JavaScript's comma operator (which keeps only `b`). */
function installTuples(): void {
  type Compiler = { _compileAggregate(node: unknown, frame: unknown, open: string, close: string): void };
  compileNodeAs('compileGroup', function (this: Compiler, node: { children: unknown[] }, frame) {
    this._compileAggregate(node, frame, node.children.length > 1 ? '[' : '(', node.children.length > 1 ? ']' : ')');
  });
}

/** `{% for k in some_dict %}` walks the keys, as Python does (nunjucks walks nothing). */
function installDictLoops(): void {
  internals.runtime.pyKeys = (v: unknown) => (isPlainObject(v) ? Object.keys(v) : v);
  // A one-variable loop is the only one that reads `.length` right after fromIterator.
  const oneVarLoop = /(t_\d+) = runtime\.fromIterator\(\1\);\nvar (t_\d+) = \1\.length;/g;
  rewriteCompiledCode((code) => code.replace(oneVarLoop, '$1 = runtime.pyKeys(runtime.fromIterator($1));\nvar $2 = $1.length;'));
}

// ---- the list ---------------------------------------------------------------------------

/** In the order they are installed: later ones wrap what earlier ones installed. */
export const NUNJUCKS_PATCHES: readonly NunjucksPatch[] = [
  // True/False/None, slices, list and dict methods (`.append()`, `.items()`, `.update()`).
  { name: 'jinja-compat', install: () => nunjucks.installJinjaCompat() },
  // Wraps jinja-compat's memberLookup, so it comes after it.
  { name: 'python-member-lookup', install: installPythonMemberLookup },
  { name: 'macro-return', install: installMacroReturn },
  { name: 'strict-output', install: installStrictOutput },
  { name: 'percent-operator', install: installPercentOperator },
  { name: 'repeat-operator', install: installRepeatOperator },
  { name: 'tuples', install: installTuples },
  { name: 'dict-loops', install: installDictLoops },
  { name: 'do-tag', extension: { name: 'DoExtension', create: () => new DoExtension() } },
  { name: 'loop-controls', install: installLoopControls, extension: { name: 'LoopControls', create: () => new LoopControlsExtension() } },
  // `{% set ns.attr = value %}` (namespace attributes), which nunjucks cannot parse; keeps line numbers.
  { name: 'namespace-set', rewrite: (s) => s.replace(/\{%(-?)\s*set\s+(\w+)\.(\w+)\s*=([^%]*?)(-?)%\}/g, "{%$1 do $2.update({'$3': $4}) $5%}") },
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

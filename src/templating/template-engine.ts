/**
 * Templating's entry point: compiles and renders dbt's Jinja for one project and target. It picks
 * the tier for each template (the fast renderer of fast-template.ts, else nunjucks patched by
 * nunjucks-patches.ts), loads macros, installs the dbt context (context/) and turns every failure
 * into a ProjectError naming the file and line.
 */
import nunjucks from 'nunjucks';
import { ProjectError, positionOf, type SourceLocation, UpstreamCompileError } from '../core/errors.js';
import { didYouMean } from '../core/util.js';
import type { Dialect } from '../warehouse/dialect.js';
import { BUILTIN_MACROS, BUILTIN_MACROS_FILE } from './builtin-macros.js';
import type { ContextHost } from './context/context-host.js';
import { crossDatabaseGlobals } from './context/cross-database-globals.js';
import { introspectionGlobals } from './context/introspection-globals.js';
import { packageGlobals } from './context/package-globals.js';
import { jinjaFilters } from './context/jinja-filters.js';
import { jinjaTests } from './context/jinja-tests.js';
import { projectGlobals } from './context/project-globals.js';
import { pythonGlobals } from './context/python-globals.js';
import { relationGlobals } from './context/relation-globals.js';
import { escapeRe } from './escape-re.js';
import { canRenderFast, compileFast, FastRenderError, renderFast, type FastTemplate } from './fast-template.js';
import { MacroNamespaces, type MacroFn } from './macro-namespaces.js';
import { macroSignatures, type MacroSignature } from './macro-signatures.js';
import { macroChunks } from './macro-chunks.js';
import {
  addTest,
  compileToCode,
  createEnvironment,
  envGlobals,
  installNunjucksPatches,
  MacroReturn,
  makeKeywordArgs,
  preprocess,
  returnFromMacro,
  templateExports,
  templateFromCode,
  undefinedAt,
  withUndefinedOutput,
} from './nunjucks-patches.js';
import { PRECOMPILED } from './precompiled.js';
import { minimalHooks, type RenderHooks } from './render-hooks.js';
import type { TargetInfo } from './target-info.js';
import { unclosedBlock } from './unclosed-block.js';
import { offsetOf, UNDEFINED_OUTPUT_MESSAGE, undefinedOutputError, undefinedOutputWarning } from './undefined-output-error.js';

export type { RenderHooks } from './render-hooks.js';
export type { TargetInfo } from './target-info.js';

// nunjucks is one per process: patched once, as soon as templating is loaded.
installNunjucksPatches();

/** A compiled template: the fast path when the template allows it, else nunjucks (compiled on first need). */
export class CompiledTemplate {
  nunjucksTemplate: nunjucks.Template | undefined;
  constructor(
    readonly file: string,
    readonly source: string,
    readonly fast: FastTemplate | undefined,
  ) {}
}

export interface MacroInfo {
  name: string;
  file: string;
  /** Its parameters, when the `{% macro %}` tag could be read. */
  signature?: MacroSignature;
  /** The installed package it comes from (none for the root project's and the engine's own). */
  package?: string;
}

/**
 * The nunjucks environment of one project and target: every macro callable by name,
 * dbt's context functions, and errors turned into file:line messages.
 */
export class TemplateEngine {
  readonly env: nunjucks.Environment;
  /** Macros by name: the root project's and the engine's by their name, a package's as `package.name`. */
  readonly macros = new Map<string, MacroInfo>();
  /** Installed packages' macros under their package names. */
  readonly namespaces = new MacroNamespaces();
  /** Each installed package's vars (its nodes read these instead of the root project's). */
  private readonly packageVars = new Map<string, Record<string, unknown>>();
  /** Each macro file's text, to quote the expression when one prints an undefined value. */
  private readonly macroSources = new Map<string, string>();
  private current: RenderHooks | undefined;
  private callStack: MacroInfo[] = [];
  /** The first user-facing error thrown during a render, kept because nunjucks re-wraps errors. */
  private pending: { error: ProjectError; chain: MacroInfo[] } | undefined;
  private log: (msg: string) => void;
  private warn: (msg: string) => void;
  /** The project's name (dbt's `project_name`) and file, when rendering a project's templates. */
  private readonly project: { name: string; file: string } | undefined;
  /** The project file's `flags:` (dbt's behaviour flags), read as `adapter.behavior.<flag>`. */
  private readonly behaviorFlags: Readonly<Record<string, unknown>>;
  /** While set, the file of every macro called is added to it (what a parse cache keys a node's render on). */
  macroTrace: Set<string> | undefined;
  /** While set, every macro called is added to it. */
  macroCalls: Set<MacroInfo> | undefined;
  /** How many undefined values renders have printed (warned about or not): a render that printed one is not cached, so its warning is not lost. */
  undefinedPrints = 0;
  /** Printing an undefined value is an error (`--strict-undefined`), not a warning and an empty string as in dbt. */
  readonly strictUndefined: boolean;
  /** The undefined printed values already warned about (a template renders more than once). */
  private readonly warnedUndefined = new Set<string>();

  /** Prints a `log()` message where renders print theirs (one a redone render kept back). */
  emitLog(msg: string): void {
    this.log(msg);
  }

  /** Runs `fn` with whatever it logs or warns sent to `to` instead (a render whose output must not be printed). */
  redirected<T>(to: (msg: string) => void, fn: () => T): T {
    const { log, warn } = this;
    this.log = to;
    this.warn = to;
    try {
      return fn();
    } finally {
      this.log = log;
      this.warn = warn;
    }
  }

  constructor(
    private readonly vars: Record<string, unknown>,
    readonly target: TargetInfo,
    readonly dialect: Dialect,
    opts: {
      log?: (msg: string) => void;
      warn?: (msg: string) => void;
      project?: { name: string; file: string };
      strictUndefined?: boolean;
      behaviorFlags?: Record<string, unknown>;
    } = {},
  ) {
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.warn = opts.warn ?? ((m) => this.log(`warning: ${m}`));
    this.project = opts.project;
    this.behaviorFlags = opts.behaviorFlags ?? {};
    this.strictUndefined = opts.strictUndefined ?? false;
    this.env = createEnvironment();
    this.installContext();
    this.loadMacroSource(BUILTIN_MACROS_FILE, BUILTIN_MACROS);
  }

  // ---- compiling and rendering -------------------------------------------------------

  compile(file: string, source: string): CompiledTemplate {
    const fast = compileFast(source);
    const compiled = new CompiledTemplate(file, source, fast);
    if (!fast) compiled.nunjucksTemplate = this.compileNunjucks(file, source);
    return compiled;
  }

  private compileNunjucks(file: string, source: string): nunjucks.Template {
    try {
      const text = preprocess(source);
      const pre = PRECOMPILED.find((p) => p.file === file && p.source === text);
      if (pre) return templateFromCode(pre.code(), this.env, file);
      return new nunjucks.Template(text, this.env, file, true);
    } catch (e) {
      throw this.toProjectError(e, file, source, 'parse');
    }
  }

  render(template: CompiledTemplate, hooks: RenderHooks): string {
    const previous = this.current;
    this.current = hooks;
    this.pending = undefined;
    try {
      return withUndefinedOutput(this.onUndefinedOutput, () => {
        const ctx = hooks.extra ?? {};
        if (template.fast) {
          const globals = envGlobals(this.env);
          const lookup = (name: string) => (name in ctx ? ctx[name] : globals[name]);
          if (canRenderFast(template.fast, lookup)) {
            return renderFast(template.fast, lookup, makeKeywordArgs, (offset) => this.undefinedPrinted(hooks.file, hooks.source, offset));
          }
        }
        template.nunjucksTemplate ??= this.compileNunjucks(template.file, template.source);
        return template.nunjucksTemplate.render(ctx);
      });
    } catch (e) {
      throw this.toProjectError(e, hooks.file, hooks.source, 'render');
    } finally {
      this.current = previous;
    }
  }

  /** Renders a one-off string (profiles, property values) with vars and env vars only. */
  renderString(text: string, file: string, hooks?: Partial<RenderHooks>): string {
    if (!text.includes('{{') && !text.includes('{%')) return text;
    const t = this.compile(file, text);
    return this.render(t, { ...minimalHooks(file, text), ...hooks });
  }

  /** Loads a macro file: into the flat namespace, or, with `pkg` (an installed package), under that package's name. */
  loadMacroSource(file: string, source: string, pkg?: string): void {
    this.macroSources.set(file, source);
    const template = this.compileNunjucks(file, source);
    let exported: Record<string, unknown>;
    const previous = this.current;
    this.current = minimalHooks(file, source);
    try {
      exported = withUndefinedOutput(this.onUndefinedOutput, () => templateExports(template));
    } catch (e) {
      throw this.toProjectError(e, file, source, 'render');
    } finally {
      this.current = previous;
    }
    const signatures = macroSignatures(preprocess(source));
    const globals = envGlobals(this.env);
    for (const [name, fn] of Object.entries(exported)) {
      if (typeof fn !== 'function') continue;
      this.refuseDuplicate(name, file, source, pkg);
      const info: MacroInfo = { name, file, signature: signatures.get(name), ...(pkg ? { package: pkg } : {}) };
      const wrapped = this.wrapMacro(info, fn as MacroFn);
      if (!pkg) {
        this.macros.set(name, info);
        this.env.addGlobal(name, wrapped);
        if (this.project && !file.startsWith('<')) this.addToNamespace(this.project.name, name, wrapped);
        continue;
      }
      this.macros.set(`${pkg}.${name}`, info);
      this.addToNamespace(pkg, name, wrapped);
      // dbt resolves a bare name in a package's own macros and nodes to that package (its local
      // namespace); here a bare name falls back to a package macro when nothing else has it.
      if (!(name in globals)) this.env.addGlobal(name, wrapped);
    }
  }

  /**
   * Two macros of one name in one project (or package) are an error, as dbt-core's
   * DuplicateMacroInPackageError says (core/dbt/contracts/graph/manifest.py, add_macro); the
   * engine's own macros may be overridden, and a file loaded again replaces its macros.
   */
  private refuseDuplicate(name: string, file: string, source: string, pkg: string | undefined): void {
    if (file.startsWith('<')) return;
    const existing = this.macros.get(pkg ? `${pkg}.${name}` : name);
    if (!existing || existing.file === file || existing.file.startsWith('<') || existing.package !== pkg) return;
    const project = pkg ?? this.project?.name ?? 'this project';
    const at = new RegExp(`\\{%-?\\s*(?:macro|test|materialization)\\s+${name.replace(/^test_/, '(?:test_)?')}\\b`).exec(source);
    const pos = positionOf(source, at?.index ?? 0);
    throw new ProjectError(
      'project',
      `dbt found two macros named "${name}" in the project "${project}". To fix this error, rename or remove one of the following macros:\n - ${existing.file}\n - ${file}`,
      { location: { file, line: pos.line, column: pos.column }, source },
    );
  }

  private addToNamespace(pkg: string, name: string, fn: MacroFn): void {
    const isNew = !this.namespaces.has(pkg);
    this.namespaces.add(pkg, name, fn);
    if (isNew && !(pkg in envGlobals(this.env))) this.env.addGlobal(pkg, this.namespaces.namespace(pkg));
  }

  /** Sets the vars an installed package's nodes read, and the root project's `dispatch:` search orders. */
  configurePackages(vars: Map<string, Record<string, unknown>>, dispatch: Parameters<MacroNamespaces['setDispatch']>[0]): void {
    for (const [k, v] of vars) this.packageVars.set(k, v);
    this.namespaces.setDispatch(dispatch);
  }

  private varsFor(pkg: string | undefined): Record<string, unknown> {
    return (pkg && this.packageVars.get(pkg)) || this.vars;
  }

  /**
   * A macro as dbt's `get_from_package` finds it: `null` is the flat namespace (the package of the
   * node being rendered, then the root project, then the engine's own); a package name its macros;
   * the root project's name its own; `dbt` the engine's built-in ones.
   */
  findMacro(pkg: string | null, name: string): { fn: MacroFn; info: MacroInfo } | undefined {
    const flat = (keep: (info: MacroInfo) => boolean) => {
      const info = this.macros.get(name);
      return info && keep(info) ? { fn: this.env.getGlobal(name) as MacroFn, info } : undefined;
    };
    if (pkg === null) {
      const local = this.current?.packageName;
      if (local && local !== this.project?.name) {
        const own = this.namespaces.get(local, name);
        if (own) return { fn: own, info: this.macros.get(`${local}.${name}`)! };
      }
      return flat(() => true);
    }
    if (pkg === this.project?.name) return flat((i) => !i.file.startsWith('<'));
    if (pkg === 'dbt') return flat((i) => i.file.startsWith('<'));
    const fn = this.namespaces.get(pkg, name);
    return fn ? { fn, info: this.macros.get(`${pkg}.${name}`)! } : undefined;
  }

  /**
   * A generic test's macro (`test_<name>`), as dbt finds it: with a namespace, in that package;
   * without, the root project's, then the first package's, then the engine's. `call` is the
   * expression that calls it. A namespace that is no installed package falls back to the bare name.
   */
  findTestMacro(name: string, namespace?: string): { call: string; info: MacroInfo } | undefined {
    const macro = `test_${name}`;
    if (namespace && namespace !== this.project?.name && this.namespaces.has(namespace)) {
      const found = this.findMacro(namespace, macro);
      return found ? { call: `${namespace}.${macro}`, info: found.info } : undefined;
    }
    const flat = this.macros.get(macro);
    if (flat && !flat.file.startsWith('<')) return { call: macro, info: flat };
    const inPackage = this.namespaces.firstWith(macro);
    if (inPackage) return { call: `${inPackage.pkg}.${macro}`, info: this.macros.get(`${inPackage.pkg}.${macro}`)! };
    return flat ? { call: macro, info: flat } : undefined;
  }

  /** The file being rendered, if any. */
  get currentFile(): string | undefined {
    return this.current?.file;
  }

  /** The text of a loaded macro file (the project's or the engine's own). */
  macroFileSource(file: string): string | undefined {
    return this.macroSources.get(file);
  }

  private readonly chunks = new Map<string, Map<string, string> | undefined>();

  /** A macro's own text within its file (see macroChunks); undefined when the file cannot be split so. */
  macroOwnSource(info: MacroInfo): string | undefined {
    if (!this.chunks.has(info.file)) {
      const source = this.macroSources.get(info.file);
      this.chunks.set(info.file, source === undefined ? undefined : macroChunks(source));
    }
    return this.chunks.get(info.file)?.get(info.name);
  }

  hasMacro(name: string): boolean {
    return this.macros.has(name);
  }

  /**
   * dbt's default relation naming (generate_schema_name, generate_alias_name,
   * generate_database_name), computed directly while the project has overridden none of the
   * macros involved: the text rendering the built-in macro gives, without three renders per node.
   * Undefined when a project macro decides, or the value is not a plain string.
   */
  defaultName(kind: 'schema' | 'alias' | 'database', custom: unknown, nodeName: string): string | undefined {
    const builtin = (name: string) => this.macros.get(name)?.file === BUILTIN_MACROS_FILE;
    if (custom !== null && custom !== undefined && typeof custom !== 'string') return undefined;
    // What `{% if custom %}{{ custom | trim }}…` prints: nunjucks' trim is JavaScript's.
    const given = custom ? custom.trim() : undefined;
    switch (kind) {
      case 'schema':
        if (!builtin('generate_schema_name') || !builtin('default__generate_schema_name')) return undefined;
        if (this.macros.has(`${this.target.type}__generate_schema_name`)) return undefined;
        return given === undefined ? String(this.target.schema) : `${this.target.schema}_${given}`;
      case 'alias':
        if (!builtin('generate_alias_name')) return undefined;
        return given ?? nodeName;
      case 'database':
        if (!builtin('generate_database_name')) return undefined;
        return given ?? String(this.target.database);
    }
  }

  /** Calls a macro by name from engine code (e.g. generate_schema_name), returning its text or value. */
  callMacro(name: string, args: unknown[], hooks: RenderHooks): unknown {
    const fn = this.env.getGlobal(name) as (...a: unknown[]) => unknown;
    const previous = this.current;
    this.current = hooks;
    this.pending = undefined;
    try {
      return withUndefinedOutput(this.onUndefinedOutput, () => fn(...args));
    } catch (e) {
      throw this.toProjectError(e, hooks.file, hooks.source, 'render');
    } finally {
      this.current = previous;
    }
  }

  /**
   * nunjucks printed an undefined value at `line`/`column` of the innermost macro being run, or of
   * the template: an empty string and a warning, as dbt renders (Jinja's default Undefined), or an
   * error in strict mode (false).
   */
  private readonly onUndefinedOutput = (line: number, column: number): boolean => {
    if (this.strictUndefined) return false;
    const macro = this.callStack[this.callStack.length - 1];
    const file = macro ? macro.file : this.current?.file;
    const source = macro ? this.macroSources.get(macro.file) : this.current?.source;
    if (file === undefined || source === undefined) return true;
    return this.undefinedPrinted(file, source, offsetOf(source, line, column));
  };

  private undefinedPrinted(file: string, source: string, offset: number): boolean {
    if (this.strictUndefined) return false;
    this.undefinedPrints++;
    const { key, message } = undefinedOutputWarning(file, source, offset);
    if (!this.warnedUndefined.has(key)) {
      this.warnedUndefined.add(key);
      this.warn(message);
    }
    return true;
  }

  private wrapMacro(info: MacroInfo, fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    return (...args: unknown[]) => {
      // A unit test's `overrides: {macros: {name: value}}`: the macro answers that value.
      const over = this.current?.overrides?.macros;
      if (over) {
        const key = this.overrideKey(over, info);
        if (key !== undefined) return over[key];
      }
      this.macroTrace?.add(info.file);
      this.macroCalls?.add(info);
      this.callStack.push(info);
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof MacroReturn) return e.value;
        if (!this.pending) this.pending = { error: this.asProjectError(e), chain: [...this.callStack] };
        throw e;
      } finally {
        this.callStack.pop();
      }
    };
  }

  /**
   * Which `overrides: macros:` key stands in for this macro, as dbt-core's
   * generate_runtime_unit_test_context reads them (context/providers.py): a bare name replaces the
   * root project's or dbt's own macro of that name; `pkg.name` the macro of that package (the root
   * project's name for its own, `dbt.name` for dbt's built-ins, which also replaces the bare name).
   */
  private overrideKey(over: Record<string, unknown>, info: MacroInfo): string | undefined {
    const builtin = info.file.startsWith('<builtin>');
    if (info.package === undefined && Object.hasOwn(over, info.name)) return info.name;
    const pkg = info.package ?? (builtin ? 'dbt' : this.project?.name);
    if (pkg !== undefined && Object.hasOwn(over, `${pkg}.${info.name}`)) return `${pkg}.${info.name}`;
    return undefined;
  }

  /** Remembers a user error thrown by a context function, since nunjucks re-wraps what it catches. */
  private guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof ProjectError && !this.pending) this.pending = { error: e, chain: [...this.callStack] };
        throw e;
      }
    };
  }

  private fail(message: string, opts: { hint?: string; needle?: RegExp } = {}): never {
    const hooks = this.current;
    let location: SourceLocation | undefined;
    if (hooks) {
      location = { file: hooks.file };
      if (opts.needle) {
        const m = opts.needle.exec(hooks.source);
        if (m) location = { file: hooks.file, ...positionOf(hooks.source, m.index) };
      }
    }
    const error = new ProjectError('template', message, { location, hint: opts.hint, source: hooks?.source });
    if (!this.pending) this.pending = { error, chain: [...this.callStack] };
    throw error;
  }

  private asProjectError(e: unknown): ProjectError {
    if (e instanceof ProjectError) return e;
    const macro = this.callStack[this.callStack.length - 1];
    const at = undefinedAt(e);
    if (at && macro) {
      // The innermost macro printed it: point at the expression in the macro's own file.
      const source = this.macroSources.get(macro.file) ?? '';
      return undefinedOutputError(macro.file, source, offsetOf(source, at.line, at.column), true);
    }
    return new ProjectError('template', e instanceof Error ? e.message : String(e), {
      location: this.current ? { file: this.current.file } : undefined,
    });
  }

  private toProjectError(e: unknown, file: string, source: string, phase: 'parse' | 'render'): ProjectError {
    if (e instanceof FastRenderError && e.inner instanceof Error && e.inner.message === UNDEFINED_OUTPUT_MESSAGE && !this.pending) {
      this.pending = undefined;
      return undefinedOutputError(file, source, e.offset);
    }
    if (e instanceof FastRenderError) {
      // Same message as nunjucks would give, positioned at the expression that failed.
      const pos = positionOf(source, e.offset);
      e = Object.assign(new Error(`(${file}) [Line ${pos.line - 1}, Column ${pos.column}]\n  ${e.message}`), { inner: e.inner });
    }
    const pending = this.pending;
    this.pending = undefined;
    const raw = e instanceof Error ? e.message : String(e);
    // nunjucks: "(file) [Line L, Column C]\n  message"; runtime positions are 0-based lines.
    const m = /\(([^)]*)\)\s*\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/.exec(raw);
    let location: SourceLocation = { file };
    let message = raw.replace(/^Template render error:\s*/, '');
    if (m) {
      const line = Number(m[2]) + (phase === 'render' ? 1 : 0);
      location = { file, line, column: Number(m[3]) };
      message = m[4]!.trim().replace(/^Error:\s*/, '');
    } else {
      message = message
        .replace(/^\([^)]*\)\s*/, '')
        .trim()
        .replace(/^Error:\s*/, '');
    }
    if (pending) {
      const inner = pending.error;
      if (inner instanceof UpstreamCompileError) return inner;
      const chain = pending.chain.filter((c) => c.file !== BUILTIN_MACROS_FILE);
      const via = chain.length ? ` (in ${chain.map((c) => `macro '${c.name}' of ${c.file}`).join(' ← ')})` : '';
      const loc = inner.location?.line !== undefined && inner.location.file === file ? inner.location : location;
      return new ProjectError(inner.kind, `${inner.message}${via}`, { location: loc, hint: inner.hint, source });
    }
    if (phase === 'render' && message.includes(UNDEFINED_OUTPUT_MESSAGE)) {
      // nunjucks' message carries the 1-based line and column the strict-output patch gave it.
      return undefinedOutputError(file, source, m ? offsetOf(source, Number(m[2]), Number(m[3]) - 1) : source.length);
    }
    if (phase === 'parse') message = `template syntax error: ${message}`;
    const tag = /unknown block tag: (\w+)/.exec(message)?.[1];
    let hint = tag ? `'${tag}' is a Jinja feature this engine does not support${UNSUPPORTED_TAGS[tag] ? `: ${UNSUPPORTED_TAGS[tag]}` : ''}` : undefined;
    // A block left open: nunjucks reports the end of the file without a line, or the next `end…` tag.
    if (phase === 'parse' && (/end of file/.test(message) || tag?.startsWith('end'))) {
      const lineStart =
        location.line === undefined
          ? source.length
          : source
              .split('\n')
              .slice(0, location.line - 1)
              .join('\n').length;
      const open = unclosedBlock(source, lineStart);
      if (open && open.tag !== tag?.slice(3)) {
        const at = positionOf(source, open.offset);
        if (location.line === undefined) {
          location = { file, ...at };
          message = `template syntax error: {% ${open.tag} %} is never closed: the file ends before {% end${open.tag} %}`;
        } else {
          hint = `{% ${open.tag} %} at line ${at.line} is not closed before this tag`;
        }
      } else if (location.line === undefined) {
        location = { file, ...positionOf(source, source.length) };
      }
    }
    // nunjucks gives no position for a call to something undefined: find the name in the source.
    const uncallable = /Unable to call `([A-Za-z_]\w*)(?:\["(\w+)"\])?`, which is undefined or falsey/.exec(message);
    if (uncallable) {
      const [, root, member] = uncallable;
      const name = member ? `${root}.${member}` : root!;
      const at = new RegExp(`\\b${escapeRe(root!)}\\s*${member ? `\\.\\s*${escapeRe(member)}` : ''}\\s*\\(`).exec(source);
      if (at && location.line === undefined) location = { file, ...positionOf(source, at.index) };
      const known = envGlobals(this.env);
      if (member && (root === 'adapter' || root === 'api' || root === 'dbt') && root in known) {
        message = `'${name}()' is not supported by this engine`;
        const members = Object.keys((known[root] ?? {}) as object).filter((k) => !k.startsWith('_'));
        hint = members.length > 0 ? `supported: ${members.map((k) => `${root}.${k}`).join(', ')}` : undefined;
      } else if (member && !(root! in known)) {
        message = `'${name}()' is not defined: '${root}' is not a macro namespace of this project`;
        hint = 'dbt packages (packages.yml) are not installed here: copy the macros you need into a macro path and call them by name';
      } else {
        message = `'${name}()' is not a macro or function`;
        hint = didYouMean(
          member ?? root!,
          [...this.macros.keys()].filter((m) => !m.includes('__')),
        );
      }
    }
    return new ProjectError('template', message, { location, source: location.line !== undefined ? source : undefined, hint });
  }

  // ---- the context dbt models see ----------------------------------------------------

  private hooks(): RenderHooks {
    if (!this.current) throw new Error('no template is being rendered');
    return this.current;
  }

  /** The engine as the context's functions see it (context/context-host.ts). */
  private contextHost(): ContextHost {
    const varsFor = (pkg: string | undefined) => this.varsFor(pkg);
    const current = () => this.current;
    return {
      get vars() {
        return varsFor(current()?.packageName);
      },
      env: this.env,
      target: this.target,
      dialect: this.dialect,
      project: this.project,
      behaviorFlags: this.behaviorFlags,
      findMacro: (pkg, name) => this.findMacro(pkg, name)?.fn,
      dispatchOrder: (namespace) => this.namespaces.searchOrder(namespace, this.project?.name),
      current: () => this.current,
      hooks: () => this.hooks(),
      hasMacro: (name) => this.macros.has(name),
      renderString: (text, file) => this.renderString(text, file),
      log: (msg) => this.log(msg),
      fail: (message, opts) => this.fail(message, opts),
      guard: (fn) => this.guard(fn),
    };
  }

  /** dbt's context: globals by concern (context/), then filters and tests. */
  private installContext(): void {
    const host = this.contextHost();
    const globals = envGlobals(this.env);
    const crossDatabase = crossDatabaseGlobals(host);
    const introspection = introspectionGlobals(host);
    // Descriptors, not values: `this` and `execute` are getters, read at each use.
    for (const part of [relationGlobals(host), projectGlobals(host), crossDatabase, introspection, pythonGlobals(host), { return: returnFromMacro }]) {
      Object.defineProperties(globals, Object.getOwnPropertyDescriptors(part));
    }
    const forPackages = packageGlobals(host);
    Object.assign(globals, forPackages.globals);
    globals.adapter = { ...crossDatabase.adapter, ...introspection.adapter, ...forPackages.adapter, Relation: (globals.api as { Relation: unknown }).Relation };
    globals.modules = { ...(globals.modules as Record<string, unknown>), ...forPackages.modules };
    for (const [name, fn] of Object.entries(jinjaFilters(this.env, this.dialect))) this.env.addFilter(name, fn);
    for (const [name, fn] of Object.entries(jinjaTests)) addTest(this.env, name, fn);
  }
}

/** What to do instead, for dbt block tags this engine does not have. */
const UNSUPPORTED_TAGS: Record<string, string> = {
  materialization: 'custom materializations are not supported; use view, table, incremental or ephemeral',
  snapshot: '{% snapshot %} blocks belong in a .sql file under the snapshot paths (snapshots/)',
  docs: 'doc blocks belong in .md files under a model path',
  call: 'only {% call statement(...) %} and calls to macros that use caller() are supported',
};

/**
 * Compiles a template to the JavaScript nunjucks would generate for it in this engine's
 * environment (for `scripts/bundle.mjs`, which precompiles the built-in macro files).
 */
export function compileTemplateToCode(file: string, source: string): { source: string; code: string } {
  const text = preprocess(source);
  return { source: text, code: compileToCode(createEnvironment(), text, file) };
}

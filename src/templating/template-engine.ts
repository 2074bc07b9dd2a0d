import jsYaml from 'js-yaml';
import nunjucks from 'nunjucks';
import type { Dialect } from '../warehouse/dialect.js';
import { sqlLiteral } from '../warehouse/dialect.js';
import { Relation } from '../warehouse/relation.js';
import { ProjectError, positionOf, type SourceLocation } from '../core/errors.js';
import { isSecretName, registerSecret } from '../core/secrets.js';
import { didYouMean, isPlainObject } from '../core/util.js';
import type { QueryResult } from '../warehouse/adapter.js';
import { BUILTIN_MACROS, BUILTIN_MACROS_FILE } from './builtin-macros.js';
import { macroSignatures, type MacroSignature } from './macro-signatures.js';
import { agateTable, relationColumn, statementResult } from './query-table.js';
import { canRenderFast, compileFast, FastRenderError, renderFast, UNDEFINED_OUTPUT_MESSAGE, type FastTemplate } from './fast-template.js';
import { PRECOMPILED } from './precompiled.js';
import { datetimeModule, PY_CLASS, PyDateTime } from './py-datetime.js';
import { INVOCATION_ID } from '../core/invocation.js';
import { unclosedBlock } from './unclosed-block.js';

/** A compiled template: the fast path when the template allows it, else nunjucks (compiled on first need). */
export class CompiledTemplate {
  nunjucksTemplate: nunjucks.Template | undefined;
  constructor(
    readonly file: string,
    readonly source: string,
    readonly fast: FastTemplate | undefined,
  ) {}
}

const makeKeywordArgs = (nunjucks as unknown as { runtime: { makeKeywordArgs(o: object): unknown } }).runtime.makeKeywordArgs;

nunjucks.installJinjaCompat();
installStringMethods();
installMacroReturn();
installStrictOutput();
installPythonOperators();

/** What the node being rendered answers to `ref()`, `config()`, `this`, … */
export interface RenderHooks {
  file: string;
  source: string;
  ref(args: string[]): unknown;
  source_(sourceName: string, tableName: string): unknown;
  config(values: Record<string, unknown>): void;
  configGet(key: string, fallback: unknown): unknown;
  thisRelation(): unknown;
  isIncremental(): boolean;
  /** False while parsing (dbt's `execute`): queries are not run, only recorded. */
  execute: boolean;
  /** Extra names for this render only (e.g. a generic test's `model`, `column_name`). */
  extra?: Record<string, unknown>;
  /** Answers `run_query()`: the result, or undefined while the query has not run yet (see compile/run-queries.ts). */
  runQuery?(sql: string): QueryResult | undefined;
  /** Where `log()` goes for this render (renders that are redone keep quiet until the last). */
  log?(msg: string): void;
}

export interface TargetInfo {
  name: string;
  type: string;
  schema: string;
  database: string;
  threads: number;
  profile_name: string;
}

interface NunjucksTemplateInternals {
  getExported(ctx: object, frame: null, cb: (err: Error | null, exported: unknown) => void): void;
}
interface NunjucksEnvInternals {
  addTest(name: string, fn: (v: unknown) => boolean): void;
}

/** Thrown by `return()` inside a macro and caught by the macro's wrapper: dbt's early return. */
class MacroReturn {
  /** What the compiled macros check (see installMacroReturn). */
  readonly macroReturn = true;
  constructor(readonly value: unknown) {}
}

export interface MacroInfo {
  name: string;
  file: string;
  /** Its parameters, when the `{% macro %}` tag could be read. */
  signature?: MacroSignature;
}

/**
 * The nunjucks environment of one project and target: every macro callable by name,
 * dbt's context functions, and errors turned into file:line messages.
 */
export class TemplateEngine {
  readonly env: nunjucks.Environment;
  readonly macros = new Map<string, MacroInfo>();
  /** Each macro file's text, to quote the expression when one prints an undefined value. */
  private readonly macroSources = new Map<string, string>();
  private current: RenderHooks | undefined;
  private callStack: MacroInfo[] = [];
  /** The first user-facing error thrown during a render, kept because nunjucks re-wraps errors. */
  private pending: { error: ProjectError; chain: MacroInfo[] } | undefined;
  private readonly log: (msg: string) => void;
  /** The project's name (dbt's `project_name`) and file, when rendering a project's templates. */
  private readonly project: { name: string; file: string } | undefined;

  constructor(
    private readonly vars: Record<string, unknown>,
    readonly target: TargetInfo,
    readonly dialect: Dialect,
    opts: { log?: (msg: string) => void; project?: { name: string; file: string } } = {},
  ) {
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.project = opts.project;
    this.env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
    this.env.addExtension('DoExtension', new DoExtension());
    this.env.addExtension('LoopControls', new LoopControlsExtension());
    this.installGlobals();
    this.installFilters();
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
      if (pre) return new nunjucks.Template({ type: 'code', obj: pre.code() } as unknown as string, this.env, file, true);
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
      const ctx = hooks.extra ?? {};
      if (template.fast) {
        const globals = (this.env as unknown as { globals: Record<string, unknown> }).globals;
        const lookup = (name: string) => (name in ctx ? ctx[name] : globals[name]);
        if (canRenderFast(template.fast, lookup)) return renderFast(template.fast, lookup, makeKeywordArgs);
      }
      template.nunjucksTemplate ??= this.compileNunjucks(template.file, template.source);
      return template.nunjucksTemplate.render(ctx);
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

  loadMacroSource(file: string, source: string): void {
    this.macroSources.set(file, source);
    const template = this.compileNunjucks(file, source);
    let exported: Record<string, unknown> = {};
    const previous = this.current;
    this.current = minimalHooks(file, source);
    try {
      (template as unknown as NunjucksTemplateInternals).getExported({}, null, (err: Error | null, exp: unknown) => {
        if (err) throw err;
        exported = (exp ?? {}) as Record<string, unknown>;
      });
    } catch (e) {
      throw this.toProjectError(e, file, source, 'render');
    } finally {
      this.current = previous;
    }
    const signatures = macroSignatures(preprocess(source));
    for (const [name, fn] of Object.entries(exported)) {
      if (typeof fn !== 'function') continue;
      const info: MacroInfo = { name, file, signature: signatures.get(name) };
      this.macros.set(name, info);
      this.env.addGlobal(name, this.wrapMacro(info, fn as (...a: unknown[]) => unknown));
    }
  }

  /** The file being rendered, if any. */
  get currentFile(): string | undefined {
    return this.current?.file;
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
        if (!builtin('generate_schema_name') || !builtin('default__generate_schema_name') || this.macros.has(`${this.target.type}__generate_schema_name`)) return undefined;
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
      return fn(...args);
    } catch (e) {
      throw this.toProjectError(e, hooks.file, hooks.source, 'render');
    } finally {
      this.current = previous;
    }
  }

  private wrapMacro(info: MacroInfo, fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    return (...args: unknown[]) => {
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
    if (e instanceof FastRenderError && e.inner instanceof Error && e.inner.message === UNDEFINED_OUTPUT && !this.pending) {
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
      message = message.replace(/^\([^)]*\)\s*/, '').trim().replace(/^Error:\s*/, '');
    }
    if (pending) {
      const inner = pending.error;
      const chain = pending.chain.filter((c) => c.file !== BUILTIN_MACROS_FILE);
      const via = chain.length ? ` (in ${chain.map((c) => `macro '${c.name}' of ${c.file}`).join(' ← ')})` : '';
      const loc = inner.location?.line !== undefined && inner.location.file === file ? inner.location : location;
      return new ProjectError(inner.kind, `${inner.message}${via}`, { location: loc, hint: inner.hint, source });
    }
    if (phase === 'render' && message.includes(UNDEFINED_OUTPUT)) {
      // nunjucks' message carries the 1-based line and column that installStrictOutput gave it.
      return undefinedOutputError(file, source, m ? offsetOf(source, Number(m[2]), Number(m[3]) - 1) : source.length);
    }
    if (phase === 'parse') message = `template syntax error: ${message}`;
    const tag = /unknown block tag: (\w+)/.exec(message)?.[1];
    let hint = tag ? `'${tag}' is a Jinja feature this engine does not support${UNSUPPORTED_TAGS[tag] ? `: ${UNSUPPORTED_TAGS[tag]}` : ''}` : undefined;
    // A block left open: nunjucks reports the end of the file without a line, or the next `end…` tag.
    if (phase === 'parse' && (/end of file/.test(message) || tag?.startsWith('end'))) {
      const lineStart = location.line === undefined ? source.length : source.split('\n').slice(0, location.line - 1).join('\n').length;
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
      const known = (this.env as unknown as { globals: Record<string, unknown> }).globals;
      if (member && (root === 'adapter' || root === 'api' || root === 'dbt') && root in known) {
        message = `'${name}()' is not supported by this engine`;
        hint = root === 'adapter' ? 'supported: adapter.dispatch, adapter.quote, adapter.get_columns_in_relation, adapter.get_relation' : undefined;
      } else if (member && !(root! in known)) {
        message = `'${name}()' is not defined: '${root}' is not a macro namespace of this project`;
        hint = 'dbt packages (packages.yml) are not installed here: copy the macros you need into a macro path and call them by name';
      } else {
        message = `'${name}()' is not a macro or function`;
        hint = didYouMean(member ?? root!, [...this.macros.keys()].filter((m) => !m.includes('__')));
      }
    }
    return new ProjectError('template', message, { location, source: location.line !== undefined ? source : undefined, hint });
  }

  // ---- the context dbt models see ----------------------------------------------------

  private hooks(): RenderHooks {
    if (!this.current) throw new Error('no template is being rendered');
    return this.current;
  }

  private installGlobals(): void {
    const g = (this.env as unknown as { globals: Record<string, unknown> }).globals;
    const engine = this;
    g.ref = (...args: string[]) => {
      // ref('model', v=2): a model version is the model `<name>_v<version>`.
      const last = args[args.length - 1] as unknown;
      if (isPlainObject(last) && '__keywords' in last) {
        const { v, version } = stripKwargs(args.pop());
        const which = v ?? version;
        if (which !== undefined && which !== null && typeof args[args.length - 1] === 'string') args[args.length - 1] = `${args[args.length - 1]}_v${String(which)}`;
      }
      if (args.length === 0 || args.some((a) => typeof a !== 'string')) {
        return engine.fail('ref() takes a model or seed name as a string', { needle: /\bref\s*\(/ });
      }
      return engine.hooks().ref(args);
    };
    g.ref = engine.guard(g.ref as (...a: string[]) => unknown);
    g.source = (sourceName: unknown, tableName: unknown) => {
      if (typeof sourceName !== 'string' || typeof tableName !== 'string') {
        return engine.fail("source() takes two strings: source('source_name', 'table_name')", { needle: /\bsource\s*\(/ });
      }
      return engine.hooks().source_(sourceName, tableName);
    };
    g.source = engine.guard(g.source as (...a: unknown[]) => unknown);
    const config = engine.guard((values?: unknown) => {
      if (values !== undefined && !isPlainObject(values)) return engine.fail('config() takes named arguments, e.g. config(materialized="table")', { needle: /\bconfig\s*\(/ });
      engine.hooks().config(stripKwargs(values ?? {}));
      return '';
    });
    Object.assign(config, {
      get: (key: string, fallback?: unknown) => engine.hooks().configGet(key, fallback ?? null),
      require: (key: string) => {
        const v = engine.hooks().configGet(key, undefined);
        if (v === undefined) return engine.fail(`config '${key}' is required here`);
        return v;
      },
      set: (key: string, value: unknown) => engine.hooks().config({ [key]: value }),
    });
    g.config = config;
    g.var = (name: unknown, fallback?: unknown) => {
      if (typeof name !== 'string') return engine.fail('var() takes a var name as a string');
      if (Object.prototype.hasOwnProperty.call(engine.vars, name)) {
        const v = engine.vars[name];
        // dbt renders a var's Jinja when it is read (`start: "{{ env_var('START', '2020-01-01') }}"`).
        return typeof v === 'string' && (v.includes('{{') || v.includes('{%')) ? engine.renderString(v, engine.project?.file ?? 'project.yml') : v;
      }
      if (fallback !== undefined) return fallback;
      return engine.fail(`var '${name}' is not set and has no default`, {
        needle: new RegExp(`\\bvar\\s*\\(\\s*['"]${escapeRe(name)}['"]`),
        hint: `set it under 'vars:' in ${engine.project?.file ?? 'project.yml'}, or pass --vars '{${name}: ...}'`,
      });
    };
    g.env_var = (name: unknown, fallback?: unknown) => {
      if (typeof name !== 'string') return engine.fail('env_var() takes an environment variable name as a string');
      const v = process.env[name];
      if (v !== undefined) {
        if (isSecretName(name)) registerSecret(v);
        return v;
      }
      if (fallback !== undefined) return fallback;
      return engine.fail(`environment variable '${name}' is not set and has no default`, {
        needle: new RegExp(`\\benv_var\\s*\\(\\s*['"]${escapeRe(name)}['"]`),
        hint: `export ${name}=… before running, or give a default: env_var('${name}', 'value')`,
      });
    };
    g.is_incremental = engine.guard(() => engine.hooks().isIncremental());
    Object.defineProperty(g, 'this', { get: () => (engine.current ? engine.current.thisRelation() : undefined), enumerable: true });
    Object.defineProperty(g, 'execute', { get: () => engine.current?.execute ?? false, enumerable: true });
    g.target = this.target;
    g.project_name = this.project?.name ?? this.target.profile_name;
    g.run_started_at = new PyDateTime(Date.now(), true);
    g.invocation_id = INVOCATION_ID;
    g.adapter = {
      dispatch: (name: string, _namespace?: string) => engine.dispatch(name),
      quote: (id: string) => engine.dialect.quoteIdentifier(id),
      type: () => engine.target.type,
    };
    const dbt: Record<string, unknown> = {};
    for (const name of ['datediff', 'dateadd', 'safe_cast', 'current_timestamp', 'date_trunc', 'type_string', 'type_timestamp', 'type_int', 'type_bigint', 'type_float', 'type_numeric', 'type_boolean', 'concat', 'cast',
      'hash', 'split_part', 'position', 'right', 'length', 'replace', 'escape_single_quotes', 'cast_bool_to_text', 'any_value', 'bool_or', 'listagg', 'except', 'intersect']) {
      Object.defineProperty(dbt, name, { get: () => engine.env.getGlobal(name), enumerable: true });
    }
    dbt.string_literal = (v: unknown) => engine.dialect.stringLiteral(String(v));
    g.dbt = dbt;
    g.string_literal = dbt.string_literal;
    /** Any value (string, number, bool, list) as SQL literal text, quoted and escaped. */
    g.literal = (v: unknown) => {
      try {
        return sqlLiteral(engine.dialect, v);
      } catch (e) {
        return engine.fail(`literal(): ${(e as Error).message}`);
      }
    };
    g.log = (msg: unknown, info?: boolean) => {
      if (info || engine.current?.execute) (engine.current?.log ?? engine.log)(String(msg));
      return '';
    };
    g.print = (msg: unknown) => {
      engine.log(String(msg));
      return '';
    };
    g.exceptions = {
      raise_compiler_error: (msg: unknown) => engine.fail(String(msg)),
      warn: (msg: unknown) => {
        engine.log(`warning: ${String(msg)}`);
        return '';
      },
    };
    g.return = (value: unknown) => {
      throw new MacroReturn(value);
    };
    // dbt's run_query(): answered from the warehouse in run/build (queries run between renders).
    const runQuery = (sql: unknown, what = 'run_query()'): QueryResult | undefined | null => {
      const hooks = engine.hooks();
      if (!hooks.execute) return null; // the parse pass, where dbt's `execute` is false
      if (!hooks.runQuery) {
        return engine.fail(`${what} needs a warehouse connection, which this command does not open`, {
          needle: /\b(run_query|statement)\s*\(/,
          hint: 'it works in model run and model build; for compile and show, guard it with {% if execute %} or compute the value in SQL',
        });
      }
      return hooks.runQuery(String(sql).trim());
    };
    g.run_query = engine.guard((sql: unknown) => {
      const r = runQuery(sql);
      return r === null ? null : agateTable(r);
    });
    // dbt's introspection, answered like run_query(): a relation's columns (dbt_utils.star and
    // friends use it), and whether a relation exists.
    const adapter = g.adapter as Record<string, unknown>;
    adapter.get_columns_in_relation = engine.guard((relation: unknown) => {
      if (!(relation instanceof Relation)) return engine.fail('adapter.get_columns_in_relation() takes a relation, e.g. ref(\'x\') or source(\'s\', \'t\') (not an ephemeral model)');
      const r = runQuery(`select * from ${String(relation)} where 1 = 0`, 'adapter.get_columns_in_relation()');
      return (r?.columns ?? []).map((c) => relationColumn(c.name, c.type, (id) => engine.dialect.quoteIdentifier(id)));
    });
    adapter.get_relation = engine.guard((...args: unknown[]) => {
      const last = args[args.length - 1];
      const kw = isPlainObject(last) && '__keywords' in last ? stripKwargs(args.pop()) : {};
      const [database, schema, identifier] = [args[0] ?? kw.database, args[1] ?? kw.schema, args[2] ?? kw.identifier].map((v) => String(v ?? ''));
      const lit = (v: string) => engine.dialect.stringLiteral(v.toLowerCase());
      const r = runQuery(
        `select table_catalog, table_schema, table_name from information_schema.tables where lower(table_catalog) = ${lit(database!)} and lower(table_schema) = ${lit(schema!)} and lower(table_name) = ${lit(identifier!)}`,
        'adapter.get_relation()',
      );
      const row = r?.rows[0];
      return row ? new Relation(String(row[0]), String(row[1]), String(row[2]), engine.dialect) : null;
    });
    g.load_relation = engine.guard((relation: unknown) => {
      if (!(relation instanceof Relation)) return null;
      return (adapter.get_relation as (...a: unknown[]) => unknown)(relation.database, relation.schema, relation.identifier);
    });
    g.api = {
      Relation: {
        create: (kwargs?: unknown) => {
          const k = stripKwargs(kwargs);
          return new Relation(String(k.database ?? engine.target.database), String(k.schema ?? engine.target.schema), String(k.identifier ?? ''), engine.dialect);
        },
      },
    };
    const statements = new WeakMap<RenderHooks, Map<string, ReturnType<typeof statementResult>>>();
    // `{% call statement('name', fetch_result=True) %}sql{% endcall %}`, then `load_result('name')`.
    g.statement = engine.guard((...args: unknown[]) => {
      const last = args[args.length - 1];
      const kwargs = isPlainObject(last) && '__keywords' in last ? (args.pop() as Record<string, unknown>) : {};
      const name = args[0] ?? kwargs.name ?? 'main';
      const caller = kwargs.caller;
      if (typeof caller !== 'function') return engine.fail("statement() is called as a block: {% call statement('name', fetch_result=True) %} … {% endcall %}");
      const sql = String(caller());
      const r = runQuery(sql, 'statement()');
      if (r !== null) {
        const hooks = engine.hooks();
        if (!statements.has(hooks)) statements.set(hooks, new Map());
        statements.get(hooks)!.set(String(name), statementResult(r));
      }
      return '';
    });
    g.load_result = (name: unknown) => (engine.current ? (statements.get(engine.current)?.get(String(name)) ?? null) : null);
    const pyRegex = (pattern: unknown, flags = '') => {
      try {
        return new RegExp(String(pattern), flags);
      } catch (e) {
        return engine.fail(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
      }
    };
    const asMatch = (m: RegExpExecArray | null) => (m ? { group: (i = 0) => m[i] ?? null, groups: () => m.slice(1), toString: () => m[0] } : null);
    g.modules = {
      datetime: datetimeModule(),
      // Python's `re` as dbt exposes it, for validating vars and names in macros.
      re: {
        match: (p: unknown, s: unknown) => asMatch(pyRegex(`^(?:${String(p)})`).exec(String(s))),
        fullmatch: (p: unknown, s: unknown) => asMatch(pyRegex(`^(?:${String(p)})$`).exec(String(s))),
        search: (p: unknown, s: unknown) => asMatch(pyRegex(String(p)).exec(String(s))),
        sub: (p: unknown, repl: unknown, s: unknown) => String(s).replace(pyRegex(String(p), 'g'), String(repl)),
      },
    };
    g.dict = (kwargs?: unknown) => stripKwargs(kwargs ?? {});
    // Jinja's namespace(): `{% set ns.x = … %}` is rewritten to an update of it (see preprocess).
    g.namespace = (kwargs?: unknown) => ({ ...stripKwargs(kwargs ?? {}) });
    g.zip = (...lists: unknown[][]) => lists[0]?.map((_, i) => lists.map((l) => l[i])) ?? [];
    g.range = (a: number, b?: number, step = 1) => {
      const [start, end] = b === undefined ? [0, a] : [a, b];
      const out: number[] = [];
      for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
      return out;
    };
    g.tojson = (v: unknown) => JSON.stringify(v);
    g.fromjson = (s: string) => JSON.parse(s) as unknown;
    g.fromyaml = engine.guard((s: unknown) => {
      try {
        return jsYaml.load(String(s)) ?? null;
      } catch (e) {
        return engine.fail(`fromyaml(): ${(e as Error).message.split('\n')[0]}`);
      }
    });
    g.toyaml = (v: unknown) => jsYaml.dump(v);
  }

  private dispatch(name: string): (...a: unknown[]) => unknown {
    const candidates = [`${this.target.type}__${name}`, `default__${name}`];
    for (const c of candidates) {
      if (this.macros.has(c)) return this.env.getGlobal(c) as (...a: unknown[]) => unknown;
    }
    return this.fail(`adapter.dispatch('${name}') found no macro named ${candidates.join(' or ')}`);
  }

  private installJinjaFilters(): void {
    for (const [name, fn] of Object.entries(jinjaFilters(this.env))) this.env.addFilter(name, fn);
  }

  private installFilters(): void {
    this.env.addFilter('as_bool', (v: unknown) => v === true || v === 'true' || v === 'True');
    this.env.addFilter('as_number', (v: unknown) => Number(v));
    this.env.addFilter('as_text', (v: unknown) => String(v));
    this.env.addFilter('tojson', (v: unknown) => JSON.stringify(v));
    this.env.addFilter('literal', (v: unknown) => sqlLiteral(this.dialect, v));
    this.installJinjaFilters();
    (this.env as unknown as NunjucksEnvInternals).addTest('none', (v: unknown) => v === null || v === undefined);
    (this.env as unknown as NunjucksEnvInternals).addTest('string', (v: unknown) => typeof v === 'string');
    (this.env as unknown as NunjucksEnvInternals).addTest('mapping', (v: unknown) => isPlainObject(v));
    (this.env as unknown as NunjucksEnvInternals).addTest('sequence', (v: unknown) => Array.isArray(v) || typeof v === 'string');
    (this.env as unknown as NunjucksEnvInternals).addTest('iterable', (v: unknown) => Array.isArray(v) || typeof v === 'string' || isPlainObject(v));
  }
}

/** Jinja filters dbt projects use that nunjucks lacks or reads differently. */
function jinjaFilters(env: nunjucks.Environment): Record<string, (...a: any[]) => unknown> {
  const kw = (args: unknown[]): Record<string, unknown> => {
    const last = args[args.length - 1];
    return isPlainObject(last) && '__keywords' in last ? (args.pop() as Record<string, unknown>) : {};
  };
  const attr = (item: unknown, path: string): unknown =>
    String(path)
      .split('.')
      .reduce<unknown>((v, k) => (v === null || v === undefined ? undefined : (v as Record<string, unknown>)[/^\d+$/.test(k) && Array.isArray(v) ? Number(k) : k]), item);
  const test = (name: unknown, args: unknown[]) => {
    if (name === undefined) return (v: unknown) => !!v;
    const t = (env as unknown as { getTest(n: string): ((v: unknown, ...a: unknown[]) => boolean) | undefined }).getTest(String(name));
    if (!t) throw new Error(`no test named '${String(name)}'`);
    return (v: unknown) => t.call({}, v, ...args);
  };
  const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === null || v === undefined ? [] : isPlainObject(v) ? Object.keys(v) : [...(v as Iterable<unknown>)]);
  return {
    unique: (v: unknown) => [...new Set(items(v))],
    map: (v: unknown, ...args: unknown[]) => {
      const k = kw(args);
      if (k.attribute !== undefined) return items(v).map((x) => attr(x, String(k.attribute)) ?? k.default);
      const [name, ...rest] = args;
      const f = env.getFilter(String(name)) as (...a: unknown[]) => unknown;
      return items(v).map((x) => f(x, ...rest));
    },
    selectattr: (v: unknown, path: string, name?: unknown, ...args: unknown[]) => items(v).filter((x) => test(name, args)(attr(x, path))),
    rejectattr: (v: unknown, path: string, name?: unknown, ...args: unknown[]) => items(v).filter((x) => !test(name, args)(attr(x, path))),
    min: (v: unknown) => items(v).reduce((a, b) => ((b as number) < (a as number) ? b : a)),
    max: (v: unknown) => items(v).reduce((a, b) => ((b as number) > (a as number) ? b : a)),
    // Python's `'%s and %s' | format(a, b)`.
    format: (fmt: unknown, ...args: unknown[]) => percentFormat(fmt, args),
    count: (v: unknown) => (typeof v === 'string' ? v.length : items(v).length),
    d: env.getFilter('default') as (...a: unknown[]) => unknown,
    items: (v: unknown) => (isPlainObject(v) ? Object.entries(v) : []),
  };
}

function minimalHooks(file: string, source: string): RenderHooks {
  const nope = (what: string) => () => {
    throw new ProjectError('template', `${what} cannot be used here`, { location: { file } });
  };
  return {
    file,
    source,
    ref: nope('ref()'),
    source_: nope('source()'),
    config: () => undefined,
    configGet: (_k, f) => f,
    thisRelation: () => undefined,
    isIncremental: () => false,
    execute: false,
  };
}

/** nunjucks passes keyword arguments as an object tagged `__keywords`. */
function stripKwargs(v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) return {};
  const { __keywords: _k, ...rest } = v;
  return rest;
}

/** What to do instead, for dbt block tags this engine does not have. */
const UNSUPPORTED_TAGS: Record<string, string> = {
  materialization: 'custom materializations are not supported; use view, table, incremental or ephemeral',
  snapshot: 'snapshots are not supported; an incremental model with unique_key covers the simple cases',
  docs: "doc blocks belong in .md files under a model path",
  call: 'only {% call statement(...) %} and calls to macros that use caller() are supported',
};

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles a template to the JavaScript nunjucks would generate for it in this engine's
 * environment (for `scripts/bundle.mjs`, which precompiles the built-in macro files).
 */
export function compileTemplateToCode(file: string, source: string): { source: string; code: string } {
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  env.addExtension('DoExtension', new DoExtension());
  const text = preprocess(source);
  const compiler = (nunjucks as unknown as { compiler: { compile(src: string, asyncFilters: unknown, extensions: unknown, name: string, opts: unknown): string } }).compiler;
  const e = env as unknown as { asyncFilters: unknown; extensionsList: unknown; opts: unknown };
  return { source: text, code: compiler.compile(text, e.asyncFilters, e.extensionsList, file, e.opts) };
}

/** dbt's `{% test name(...) %}` blocks are macros named `test_<name>`; keep line numbers intact. */
function preprocess(source: string): string {
  return source
    // `{% set ns.attr = value %}` (namespace attributes), which nunjucks cannot parse.
    .replace(/\{%(-?)\s*set\s+(\w+)\.(\w+)\s*=([^%]*?)(-?)%\}/g, "{%$1 do $2.update({'$3': $4}) $5%}")
    .replace(/\{%(-?)\s*test\s+(\w+)\s*\(/g, '{%$1 macro test_$2(')
    .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}');
}

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

/**
 * `return()` leaves a macro by throwing. Each compiled macro catches it itself: a macro calling
 * another of the same file calls it directly, not through the engine's wrapper, so without this the
 * value would end the caller too. The throw also skips the line nunjucks ends each macro with to
 * give the caller its variables back (`frame = callerFrame`), so that is moved into a `finally`.
 */
/**
 * dbt renders with Jinja's StrictUndefined: `{{ partiion }}` (a typo) or `{{ x.missing }}` is a
 * compile error, not an empty string. nunjucks calls ensureDefined on every printed value when
 * throwOnUndefined is set; it throws here for undefined only (a None prints as nothing, as before).
 */
const UNDEFINED_OUTPUT = UNDEFINED_OUTPUT_MESSAGE;

function installStrictOutput(): void {
  const n = nunjucks as unknown as {
    runtime: { ensureDefined: (v: unknown, lineno: number, colno: number) => unknown };
    lib: { TemplateError: new (message: string, lineno: number, colno: number) => Error };
  };
  n.runtime.ensureDefined = (value, lineno, colno) => {
    if (value === undefined) {
      // 1-based numbers keep nunjucks from re-wrapping it (it does so when lineno is 0) with the
      // position of another statement; where it is, exactly, travels beside.
      const error = new n.lib.TemplateError(UNDEFINED_OUTPUT, lineno + 1, colno + 1);
      throw Object.assign(error, { undefinedAt: { line: lineno + 1, column: colno } });
    }
    return value;
  };
}

/** Where nunjucks printed an undefined value (1-based line, 0-based column), if that is the error. */
function undefinedAt(e: unknown): { line: number; column: number } | undefined {
  return (e as { undefinedAt?: { line: number; column: number } } | null)?.undefinedAt;
}

/** Offset of a 1-based line and 0-based column in `source`. */
function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf('\n', offset);
    if (nl === -1) return source.length;
    offset = nl + 1;
  }
  return Math.min(source.length, offset + column);
}

/** "'partiion' is undefined", at the `{{ … }}` around `offset`. */
function undefinedOutputError(file: string, source: string, offset: number, sayWhere = false): ProjectError {
  const open = source.lastIndexOf('{{', offset + 1);
  const close = open === -1 ? -1 : source.indexOf('}}', open + 2);
  const expr = open === -1 || close === -1 ? undefined : source.slice(open + 2, close).replace(/^-/, '').replace(/-$/, '').trim();
  const position = positionOf(source, open === -1 ? offset : open);
  // Inside a macro the error is shown at the model's call: say where in the macro file it is.
  const where = sayWhere ? ` at ${file}:${position.line}` : '';
  return new ProjectError('template', `${expr ? `'${expr}'` : 'a printed value'} is undefined${where}`, {
    location: { file, ...position },
    hint: "a name that is not set (a typo, or a {% set %} of another file) or an attribute the value does not have; `{{ x | default('') }}` prints nothing instead, and `{% if x is defined %}` tests for it",
    source,
  });
}

function installMacroReturn(): void {
  const compiler = (nunjucks as unknown as { compiler: { compile: (...a: unknown[]) => string } }).compiler;
  const original = compiler.compile;
  const open = /var callerFrame = frame;\n/g;
  const close = /frame = (?:callerFrame|frame\.pop\(\));\nreturn new runtime\.SafeString\((t_\d+)\);/g;
  compiler.compile = (...args: unknown[]) => {
    const code = original(...args);
    const opens = code.match(open)?.length ?? 0;
    if (opens === 0 || opens !== (code.match(close)?.length ?? 0)) return code;
    return code
      .replace(open, 'var callerFrame = frame;\ntry {\n')
      .replace(close, '} catch (e) { if (e && e.macroReturn === true) return e.value; throw e; } finally { frame = callerFrame; }\nreturn new runtime.SafeString($1);');
  };
}

/** Python's `'%s and %.2f' % (a, b)` formatting. */
function percentFormat(fmt: unknown, args: unknown[]): string {
  let i = 0;
  return String(fmt).replace(/%(\.\d+)?([sdif%])/g, (_m, prec: string | undefined, c: string) => {
    if (c === '%') return '%';
    const v = args[i++];
    if (c === 'd' || c === 'i') return String(Math.trunc(Number(v)));
    if (c === 'f') return Number(v).toFixed(prec ? Number(prec.slice(1)) : 6);
    return String(v);
  });
}

/**
 * Python semantics nunjucks' JavaScript output lacks: `'%s' % x` formats (JavaScript gives NaN),
 * `'-' * 3` repeats, `(a, b)` is a tuple, `{% break %}`/`{% continue %}` work, and `{% for k in some_dict %}` walks the keys (nunjucks walks nothing).
 */
function installPythonOperators(): void {
  const n = nunjucks as unknown as {
    compiler: { Compiler: { prototype: Record<string, unknown> }; compile: (...a: unknown[]) => string };
    runtime: Record<string, unknown>;
  };
  n.runtime.pyMod = (a: unknown, b: unknown) => (typeof a === 'string' ? percentFormat(a, Array.isArray(b) ? b : [b]) : (a as number) % (b as number));
  n.runtime.pyMul = (a: unknown, b: unknown) =>
    typeof a === 'string' && typeof b === 'number' ? a.repeat(Math.max(0, b)) : typeof b === 'string' && typeof a === 'number' ? b.repeat(Math.max(0, a)) : (a as number) * (b as number);
  n.runtime.pyKeys = (v: unknown) => (isPlainObject(v) ? Object.keys(v) : v);
  const asCall = (fn: string) =>
    function (this: { _emit(s: string): void; compile(node: unknown, frame: unknown): void }, node: { left: unknown; right: unknown }, frame: unknown) {
      this._emit(`runtime.${fn}(`);
      this.compile(node.left, frame);
      this._emit(', ');
      this.compile(node.right, frame);
      this._emit(')');
    };
  n.compiler.Compiler.prototype.compileMod = asCall('pyMod');
  n.compiler.Compiler.prototype.compileMul = asCall('pyMul');
  // A tuple `(a, b)` is a list, not JavaScript's comma operator (which keeps only `b`).
  n.compiler.Compiler.prototype.compileGroup = function (
    this: { _compileAggregate(node: unknown, frame: unknown, open: string, close: string): void },
    node: { children: unknown[] },
    frame: unknown,
  ) {
    this._compileAggregate(node, frame, node.children.length > 1 ? '[' : '(', node.children.length > 1 ? ']' : ')');
  };
  // A one-variable loop is the only one that reads `.length` right after fromIterator.
  const oneVarLoop = /(t_\d+) = runtime\.fromIterator\(\1\);\nvar (t_\d+) = \1\.length;/g;
  // `{% break %}` / `{% continue %}` (Jinja's loopcontrols, which dbt enables) become the JavaScript statements.
  const loopControl = /[\w$]+ \+= runtime\.suppressValue\(env\.getExtension\("LoopControls"\)\["(break|continue)"\]\(context,?\)[^;\n]*\);/g;
  const original = n.compiler.compile;
  n.compiler.compile = (...args: unknown[]) =>
    original(...args)
      .replace(oneVarLoop, '$1 = runtime.pyKeys(runtime.fromIterator($1));\nvar $2 = $1.length;')
      .replace(loopControl, '$1;');
}

/** `{% break %}` and `{% continue %}`: parsed here, turned into JavaScript's in the compiled code (see installPythonOperators). */
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

/** Python string methods that dbt Jinja uses (`"x".upper()`, `.split(',')`, …). */
function installStringMethods(): void {
  const runtime = (nunjucks as unknown as { runtime: { memberLookup: (o: unknown, v: unknown) => unknown } }).runtime;
  const original = runtime.memberLookup;
  const methods: Record<string, (s: string, ...a: any[]) => unknown> = {
    upper: (s) => s.toUpperCase(),
    lower: (s) => s.toLowerCase(),
    strip: (s, chars?: string) => (chars ? s.replace(new RegExp(`^[${escapeRe(chars)}]+|[${escapeRe(chars)}]+$`, 'g'), '') : s.trim()),
    lstrip: (s) => s.trimStart(),
    rstrip: (s) => s.trimEnd(),
    split: (s, sep?: string, max?: number) => {
      const parts = sep === undefined || sep === null ? s.trim().split(/\s+/) : s.split(sep);
      if (max === undefined || max < 0 || parts.length <= max + 1) return parts;
      return [...parts.slice(0, max), parts.slice(max).join(sep ?? ' ')];
    },
    replace: (s, a: string, b: string) => s.split(a).join(b),
    startswith: (s, p: string) => s.startsWith(p),
    endswith: (s, p: string) => s.endsWith(p),
    title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
    capitalize: (s) => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
    format: (s, ...a: unknown[]) => {
      let i = 0;
      return s.replace(/\{\}/g, () => String(a[i++]));
    },
    join: (s, items: unknown[]) => items.map(String).join(s),
    isdigit: (s) => /^\d+$/.test(s),
    count: (s, sub: string) => s.split(sub).length - 1,
    find: (s, sub: string) => s.indexOf(sub),
  };
  runtime.memberLookup = (...args: unknown[]) => {
    const [obj, val] = args;
    if (args.length === 4) {
      // A slice (`x[1:3]`): Python gives a string back for a string.
      const out = (original as (...a: unknown[]) => unknown)(...args);
      return typeof obj === 'string' && Array.isArray(out) ? out.join('') : out;
    }
    // nunjucks wraps a function member in a closure, which would lose a Python class's attributes.
    if (obj !== null && typeof obj === 'object' && typeof val === 'string' && typeof (obj as Record<string, unknown>)[val] === 'function' && PY_CLASS in ((obj as Record<string, object>)[val] as object)) {
      return (obj as Record<string, unknown>)[val];
    }
    // An object's own methods (a run_query table's `columns[0].values()`) win over Python's dict methods.
    if (isPlainObject(obj) && typeof val === 'string' && Object.prototype.hasOwnProperty.call(obj, val) && typeof obj[val] === 'function') {
      return (obj[val] as (...a: unknown[]) => unknown).bind(obj);
    }
    // Python's negative indexes: `xs[-1]`.
    if (typeof val === 'number' && val < 0 && (typeof obj === 'string' || Array.isArray(obj))) return obj[obj.length + val];
    if (typeof obj === 'string' && typeof val === 'string' && Object.prototype.hasOwnProperty.call(methods, val)) {
      const m = methods[val]!;
      return (...a: unknown[]) => m(obj, ...a);
    }
    return (original as (...a: unknown[]) => unknown)(...args);
  };
}

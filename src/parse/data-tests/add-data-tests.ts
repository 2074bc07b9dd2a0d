import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RelationName } from '../../warehouse/dialect.js';
import { ProjectError, type SourceLocation } from '../../core/errors.js';
import type { RefCall, SourceNode, TestNode } from '../nodes.js';
import { recordRefs } from '../record-refs.js';
import { asList, mergeConfig } from '../../project/folder-config.js';
import { unrenderedConfig } from '../unrendered-config.js';
import { folderConfigFor, inProject, type Project } from '../../project/load-project.js';
import { bareNames, lookupRefCall } from '../ref-lookup.js';
import type { ColumnDefinition, NodeConfig } from '../../project/schemas.js';
import type { YamlFile, YamlPath } from '../../project/yaml-file.js';
import { inertHooks } from '../../templating/render-hooks.js';
import { addDisabled, type ParseContext } from '../parse-context.js';
import type { CompiledTemplate, TemplateEngine } from '../../templating/template-engine.js';
import { didYouMean, isPlainObject } from '../../core/util.js';
import { safeParseRemembered } from '../../core/zod.js';
import { DATA_TEST_MACROS, DATA_TEST_MACROS_FILE } from './builtin-tests.js';
import { parseTestEntry, testConfigSchema, type TestDeclaration } from './test-declaration.js';
import { genericTestUniqueId, syntheticTestNames } from './test-names.js';

/** Each test node's compiled template, until the node is accepted (a duplicate id is refused). */
const compiledTemplates = new WeakMap<TestNode, CompiledTemplate>();

/** The parse context, with relation names for tests (generate_*_name sees `resource_type: test`). */
export type DataTestContext = Omit<ParseContext, 'nameFor'> & {
  nameFor(config: NodeConfig, name: string, file: string): RelationName;
};

/** dbt's default schema for stored test failures, passed through generate_schema_name. */
export const AUDIT_SCHEMA = 'dbt_test__audit';

/** Strings that dbt renders as Jinja expressions when passed to a test: `ref('x')`, `source('a', 'b')`, … */
const LOOKS_LIKE_CALL = /^\s*(env_var|ref|var|source|doc)\s*\(.+\)\s*$/s;

/** The expression of an argument that is one `{{ … }}` and nothing else: passed as its value, as dbt renders natively (`values: "{{ var('statuses') }}"` is a list). */
function singleExpression(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\s*\{\{-?([\s\S]*?)-?\}\}\s*$/.exec(v);
  return m && !/\{\{|\}\}|\{%|%\}/.test(m[1]!) ? m[1]!.trim() : undefined;
}

/** Whether a list or mapping argument holds a string dbt would render (Jinja, or `ref(...)`-like). */
function hasTemplatedString(v: unknown): boolean {
  if (typeof v === 'string') return LOOKS_LIKE_CALL.test(v) || /\{\{|\{%/.test(v);
  if (Array.isArray(v)) return v.some(hasTemplatedString);
  if (isPlainObject(v)) return Object.values(v).some(hasTemplatedString);
  return false;
}

/**
 * A list or mapping argument as a Jinja literal whose strings render as dbt renders them:
 * dbt-core's `add_rendered_test_kwargs` (core/dbt/clients/jinja.py) walks the kwargs with
 * `deep_map_render`, rendering every string natively, `ref(...)`-like ones as expressions. So
 * `column_type_list: [date, "{{ dbt_expectations.type_timestamp() }}"]` passes the type's name.
 * Text with Jinja inside is rendered by a `{% set %}` block added to `prelude`.
 */
function jinjaLiteral(v: unknown, name: string, prelude: string[]): string {
  if (Array.isArray(v)) return `[${v.map((x, i) => jinjaLiteral(x, `${name}_${i}`, prelude)).join(', ')}]`;
  if (isPlainObject(v)) {
    return `{${Object.entries(v)
      .map(([key, x], i) => `${JSON.stringify(key)}: ${jinjaLiteral(x, `${name}_${i}`, prelude)}`)
      .join(', ')}}`;
  }
  if (typeof v === 'string') {
    if (LOOKS_LIKE_CALL.test(v)) return `(${v.trim()})`;
    const single = singleExpression(v);
    if (single !== undefined) return `(${single})`;
    if (/\{\{|\{%/.test(v)) {
      prelude.push(`{% set ${name} %}${v}{% endset %}`);
      return name;
    }
    return JSON.stringify(v);
  }
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

/**
 * Loads the built-in generic tests and `get_where_subquery` before the project's macros, so
 * that a project can override them.
 */
export function installDataTestMacros(engine: TemplateEngine): void {
  engine.loadMacroSource(DATA_TEST_MACROS_FILE, DATA_TEST_MACROS);
  engine.env.addGlobal('get_where_subquery', (relation: unknown) => {
    const config = engine.env.getGlobal('config') as { get(k: string, f: unknown): unknown };
    let where = config.get('where', null);
    // dbt renders the Jinja in a test's `where` (`id > {{ var('min_id') }}`).
    if (typeof where === 'string' && /\{\{|\{%/.test(where)) where = engine.renderString(where, engine.currentFile ?? 'where');
    return typeof where === 'string' && where.trim() ? `(select * from ${String(relation)} where ${where}) dbt_subquery` : relation;
  });
}

/** The context names a generic test's arguments are passed under (never shadowing a global). */
export function kwargContextName(name: string): string {
  return `__dbt_test_kwarg_${name}`;
}

interface Target {
  kind: 'model' | 'seed' | 'source';
  name: string;
  /** Name used in generated test names (`orders`, or `raw_orders` for a source table). */
  testTargetName: string;
  uniqueId: string;
  /** The Jinja expression of the tested relation. */
  expression: string;
  yaml: YamlFile;
  /** YAML path of the target's entry. */
  path: YamlPath;
  tags: string[];
}

/** Turns the test declarations of every properties file, and every singular test, into test nodes. */
export function addDataTests(ctx: DataTestContext): void {
  const { project, errors } = ctx;
  const seen = new Map<string, SourceLocation>();
  const add = (node: TestNode) => {
    const prev = seen.get(node.uniqueId);
    if (prev) {
      errors.push(
        new ProjectError('project', `test '${node.name}' is declared twice (first at ${prev.file}${prev.line ? `:${prev.line}` : ''})`, {
          location: node.location,
          hint: "give one of them its own name with 'name:'",
        }),
      );
      return;
    }
    seen.set(node.uniqueId, node.location);
    ctx.nodes.set(node.uniqueId, node);
    ctx.templates.set(node.uniqueId, compiledTemplates.get(node)!);
  };

  const definedModels = new Set([...project.models.map((m) => m.name), ...project.seeds.map((s) => s.name)]);
  for (const { yaml, value } of project.properties) {
    for (const key of ['models', 'seeds', 'snapshots'] as const) {
      (value[key] ?? []).forEach((props, index) => {
        const targetPath = [key, index];
        const hasTests = (props.data_tests ?? props.tests ?? []).length > 0 || (props.columns ?? []).some((c) => (c.data_tests ?? c.tests ?? []).length > 0);
        if (!hasTests) return;
        const id = ctx.byName.get(`${project.name}.${props.name}`) ?? ctx.byName.get(props.name);
        const node = id ? ctx.nodes.get(id) : undefined;
        const expected = key === 'models' ? 'model' : key === 'seeds' ? 'seed' : 'snapshot';
        // Properties attach by name, as in dbt: a seed's tests may be declared under `models:` (and a
        // model's under `seeds:`); a snapshot's belong under `snapshots:`.
        const attaches = node && (key === 'snapshots' ? node.resourceType === 'snapshot' : node.resourceType === 'seed' || node.resourceType === 'model');
        if (!node || !attaches) {
          // A disabled model keeps its tests quiet, as in dbt. A snapshot entry without a node is
          // disabled or already reported by the snapshot parser.
          if ((definedModels.has(props.name) || key === 'snapshots') && !node) return;
          // As dbt (a patch without a node is a warning, core/dbt/parser/schemas.py): its tests are left out.
          const at = yaml.locate([...targetPath, 'name']);
          const hint = didYouMean(
            props.name,
            [...ctx.byName.keys()].filter((n) => !n.includes('.')),
          );
          ctx.warnings.push(
            `${at.file}:${at.line ?? 1}: tests are declared for '${props.name}', but no ${expected} has that name, so they are skipped${hint ? ` (${hint})` : ''}`,
          );
          return;
        }
        const target: Target = {
          kind: node.resourceType === 'seed' ? 'seed' : 'model',
          name: props.name,
          testTargetName: props.name,
          uniqueId: node.uniqueId,
          expression: `ref(${pyQuote(props.name)})`,
          yaml,
          path: targetPath,
          tags: asList(props.tags),
        };
        // A seed's columns are its CSV header unless a hook changes the table (a post-hook may add a column): then only the warehouse knows.
        const hooked = asList(node.config['pre-hook']).length + asList(node.config['post-hook']).length > 0;
        const seedColumns = node.resourceType === 'seed' && !hooked ? seedHeader(project, node.file, node.config.delimiter ?? ',') : undefined;
        addTargetTests(ctx, target, props, add, seedColumns);
      });
    }
    (value.sources ?? []).forEach((src, si) => {
      src.tables.forEach((table, ti) => {
        const id = ctx.sourcesByName.get(`${src.name}.${table.name}`);
        if (!id) return;
        const target: Target = {
          kind: 'source',
          name: `${src.name}.${table.name}`,
          testTargetName: `${src.name}_${table.name}`,
          uniqueId: id,
          expression: `source(${pyQuote(src.name)}, ${pyQuote(table.name)})`,
          yaml,
          path: ['sources', si, 'tables', ti],
          tags: [...asList(src.tags), ...asList(table.tags)],
        };
        addTargetTests(ctx, target, table, add);
      });
    });
  }

  for (const t of project.singularTests) {
    const node = singularTest(ctx, t);
    if (node) add(node);
  }
}

function addTargetTests(
  ctx: DataTestContext,
  target: Target,
  props: { data_tests?: unknown[]; tests?: unknown[]; columns?: ColumnDefinition[] },
  add: (n: TestNode) => void,
  knownColumns?: string[],
): void {
  const { yaml } = target;
  const listOf = (p: { data_tests?: unknown[]; tests?: unknown[] }, at: YamlPath): { entries: unknown[]; key: string } => {
    if (p.data_tests && p.tests) {
      ctx.errors.push(
        new ProjectError('project', "both 'data_tests' and 'tests' are given; use one ('tests' is the older name)", {
          location: yaml.locate([...at, 'tests']),
          source: yaml.source,
        }),
      );
    }
    return p.data_tests ? { entries: p.data_tests, key: 'data_tests' } : { entries: p.tests ?? [], key: 'tests' };
  };
  const model = listOf(props, target.path);
  model.entries.forEach((entry, i) => {
    const node = genericTest(ctx, target, entry, [...target.path, model.key, i]);
    if (node) add(node);
  });
  (props.columns ?? []).forEach((column, ci) => {
    const colPath = [...target.path, 'columns', ci];
    const list = listOf(column, colPath);
    if (list.entries.length && knownColumns && !knownColumns.some((c) => c.toLowerCase() === column.name.toLowerCase())) {
      ctx.errors.push(
        new ProjectError('project', `column '${column.name}' is not a column of ${target.kind} '${target.name}'`, {
          location: yaml.locate([...colPath, 'name']),
          source: yaml.source,
          hint: didYouMean(column.name, knownColumns) ?? `its columns: ${knownColumns.join(', ')}`,
        }),
      );
      return;
    }
    list.entries.forEach((entry, i) => {
      const node = genericTest(ctx, target, entry, [...colPath, list.key, i], column);
      if (node) add(node);
    });
  });
}

function genericTest(ctx: DataTestContext, target: Target, entry: unknown, at: YamlPath, column?: ColumnDefinition): TestNode | undefined {
  const { project, engine } = ctx;
  const yaml = target.yaml;
  const decl = parseTestEntry(entry, yaml, at, (text) => engine.renderString(text, yaml.file));
  if (Array.isArray(decl)) {
    ctx.errors.push(...decl);
    return undefined;
  }
  const err = (message: string, p: YamlPath = decl.path, hint?: string) => {
    ctx.errors.push(new ProjectError('project', message, { location: yaml.locate(p), source: yaml.source, hint }));
    return undefined;
  };
  const found = engine.findTestMacro(decl.name, decl.namespace);
  if (!found) {
    const known = [...engine.macros.keys()].filter((n) => /^(\w+\.)?test_/.test(n)).map((n) => n.replace('test_', ''));
    const custom = `a custom one is a {% test ${decl.name}(model, column_name) %} block in macros/ or tests/generic/`;
    if (decl.namespace && decl.namespace !== project.name && !engine.namespaces.has(decl.namespace)) {
      // A package's test: the package is not installed, and no local test of the same name answers to it.
      return err(
        `unknown test '${decl.namespace}.${decl.name}': the dbt package '${decl.namespace}' is not installed`,
        decl.path,
        `list it in packages.yml and run model deps, or ${custom}`,
      );
    }
    return err(
      `unknown test '${decl.namespace ? `${decl.namespace}.` : ''}${decl.name}'`,
      decl.path,
      didYouMean(decl.name, known) ?? `known tests: ${known.sort().join(', ')}; ${custom}`,
    );
  }

  const args: Record<string, unknown> = { ...decl.kwargs };
  const argPaths: Record<string, YamlPath> = { ...decl.kwargPaths };
  if (column) {
    args.column_name = column.quote ? ctx.dialect.quoteIdentifier(column.name) : column.name;
    argPaths.column_name = [...decl.path.slice(0, -2), 'name'];
  }
  // As dbt (Jinja) does: an argument the test macro does not take is a mistake, not a no-op.
  const macro = found.call;
  const signature = found.info.signature;
  if (signature && !signature.acceptsAny) {
    for (const k of Object.keys(decl.kwargs)) {
      if (!signature.params.includes(k)) {
        const takes = signature.params.filter((p) => p !== 'model');
        return err(
          `test '${decl.name}' takes no argument '${k}'`,
          argPaths[k] ?? decl.path,
          didYouMean(k, takes) ?? `its arguments: ${takes.join(', ') || 'none'}`,
        );
      }
    }
  }
  const problem = found.info.file.startsWith('<') ? checkBuiltinArgs(decl.name, args) : undefined;
  if (problem) return err(`test '${decl.name}': ${problem.message}`, argPaths[problem.arg] ?? decl.path);

  let testType = target.kind === 'source' ? `source_${decl.name}` : decl.name;
  if (decl.namespace) testType = `${decl.namespace}_${testType}`;
  const names = decl.customName ? { shortName: decl.customName, fullName: decl.customName } : syntheticTestNames(testType, target.testTargetName, args);
  const kwargs = { ...args, model: `{{ get_where_subquery(${target.expression}) }}` };
  const testMetadata = { name: decl.name, kwargs, ...(decl.namespace ? { namespace: decl.namespace } : {}) };
  const uniqueId = genericTestUniqueId(project.name, names.fullName, testMetadata);

  const dirs = path.posix.dirname(inProject(project, yaml.file)).split('/').slice(1);
  const fqn = [project.name, ...dirs, names.fullName];
  const base = folderConfigFor(project, 'dataTests', fqn);
  let config = mergeConfig(base, decl.config as NodeConfig);
  const folderProblem = checkFolderConfig(ctx, base, decl);
  if (folderProblem) return undefined;

  // The call: arguments from the context, ref()/source() strings as expressions, as dbt renders them.
  // Text with {{ }} in it is rendered first, as dbt renders string arguments.
  const callArgs = [`model=get_where_subquery(${target.expression})`];
  const prelude: string[] = [];
  for (const [k, v] of Object.entries(args)) {
    const templated = typeof v === 'string' && k !== 'column_name';
    if (templated && LOOKS_LIKE_CALL.test(v)) callArgs.push(`${k}=${v.trim()}`);
    else if (templated && singleExpression(v) !== undefined) callArgs.push(`${k}=(${singleExpression(v)})`);
    else if (k !== 'column_name' && typeof v === 'object' && v !== null && hasTemplatedString(v)) {
      callArgs.push(`${k}=${jinjaLiteral(v, kwargContextName(k), prelude)}`);
    } else {
      if (templated && /\{\{|\{%/.test(v)) prelude.push(`{% set ${kwargContextName(k)} %}${v}{% endset %}`);
      callArgs.push(`${k}=${kwargContextName(k)}`);
    }
  }
  const rawSql = `${prelude.join('')}{{ ${macro}(${callArgs.join(', ')}) }}`;
  const location = decl.location;
  const rendered = parseRender(ctx, rawSql, yaml.file, location, yaml.source, args, (values) => {
    config = mergeConfig(mergeConfig(base, values), decl.config as NodeConfig);
  });
  if (!rendered) return undefined;
  const unrendered = unrenderedConfig(project, 'dataTests', fqn, decl.config as NodeConfig, mergeConfig(base, decl.config as NodeConfig), config);
  // dbt-core's TestBuilder upper-cases a test entry's own severity (generic_test_builders.py `severity`),
  // and that is what its manifest writes in `config` and `unrendered_config`.
  if (decl.config.severity) unrendered.severity = decl.config.severity.toUpperCase();

  if (names.shortName !== names.fullName && !config.alias) config = { ...config, alias: names.shortName };
  const node: TestNode = {
    uniqueId,
    resourceType: 'test',
    name: names.fullName,
    packageName: project.name,
    file: yaml.file,
    fqn,
    config: { ...config, materialized: 'test' },
    unrenderedConfig: unrendered,
    tags: [...new Set([...asList(config.tags), ...target.tags, ...asList((column as { tags?: string | string[] } | undefined)?.tags)])],
    description: decl.description ?? '',
    columns: [],
    dependsOn: [],
    rawSql,
    testType: 'generic',
    testMetadata,
    attachedNode: target.uniqueId,
    columnName: column?.name,
    location,
    refs: rendered.refs,
    sources: rendered.sources,
  };
  if (config.enabled === false) {
    addDisabled(ctx, node);
    return undefined;
  }
  // Every ref()/source() the test reads must exist; say so at the argument that names it.
  const missing = missingDependencies(ctx, rendered.refs, rendered.sources);
  if (missing.length) {
    for (const m of missing) {
      const argKey = Object.keys(args).find((k) => typeof args[k] === 'string' && (args[k] as string).includes(m.needle));
      err(m.message, argKey ? argPaths[argKey] : decl.path, m.hint);
    }
    return undefined;
  }

  node.relation = auditRelation(ctx, node);
  compiledTemplates.set(node, rendered.template);
  return node;
}

function singularTest(ctx: DataTestContext, t: { file: string; name: string; source: string }): TestNode | undefined {
  const { project } = ctx;
  const dirs = inProject(project, t.file).split('/').slice(1, -1);
  const fqn = [project.name, ...dirs, t.name];
  const base = folderConfigFor(project, 'dataTests', fqn);
  let config = base;
  const location = { file: t.file, line: 1 };
  const rendered = parseRender(ctx, t.source, t.file, location, t.source, {}, (values) => {
    config = mergeConfig(base, values);
  });
  if (!rendered) return undefined;
  const unrendered = unrenderedConfig(project, 'dataTests', fqn, {}, base, config);
  const checked = safeParseRemembered(testConfigSchema, pickTestConfig(config));
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const at = /\bconfig\s*\(/.exec(t.source);
    ctx.errors.push(
      new ProjectError('project', `test config '${String(issue.path[0] ?? '')}': ${issue.message}`, {
        location: at
          ? { file: t.file, line: t.source.slice(0, at.index).split('\n').length }
          : project.yaml.locate([project.config.data_tests ? 'data_tests' : 'tests']),
        source: at ? t.source : undefined,
      }),
    );
    return undefined;
  }
  config = { ...config, ...checked.data } as NodeConfig;
  const node: TestNode = {
    uniqueId: `test.${project.name}.${t.name}`,
    resourceType: 'test',
    name: t.name,
    packageName: project.name,
    file: t.file,
    fqn,
    config: { ...config, materialized: 'test' },
    unrenderedConfig: unrendered,
    tags: asList(config.tags),
    description: '',
    columns: [],
    dependsOn: [],
    rawSql: t.source,
    testType: 'singular',
    location,
    refs: rendered.refs,
    sources: rendered.sources,
  };
  if (config.enabled === false) {
    addDisabled(ctx, node);
    return undefined;
  }
  const missing = missingDependencies(ctx, rendered.refs, rendered.sources);
  for (const m of missing) {
    const at = rendered.source.indexOf(m.needle);
    ctx.errors.push(
      new ProjectError('graph', m.message, {
        location: at >= 0 ? { file: t.file, line: t.source.slice(0, at).split('\n').length } : location,
        source: t.source,
        hint: m.hint,
      }),
    );
  }
  if (missing.length) return undefined;
  node.relation = auditRelation(ctx, node);
  compiledTemplates.set(node, rendered.template);
  return node;
}

/**
 * Whether a test keeps its failing rows, as dbt decides it: `store_failures_as` (table or view)
 * wins over `store_failures`, and `ephemeral` keeps nothing.
 */
export function storesFailuresAs(config: NodeConfig): 'table' | 'view' | undefined {
  const as = (config as { store_failures_as?: string | null }).store_failures_as;
  if (as === 'table' || as === 'view') return as;
  if (as === 'ephemeral') return undefined;
  return config.store_failures === true ? 'table' : undefined;
}

/** Where `store_failures` keeps a test's failing rows: the audit schema, named after the test. */
function auditRelation(ctx: DataTestContext, node: TestNode): RelationName | undefined {
  if (!storesFailuresAs(node.config)) return undefined;
  const config = { ...node.config, schema: node.config.schema ?? AUDIT_SCHEMA };
  try {
    const rel = ctx.nameFor(config, node.config.alias ?? node.name, node.file);
    return { ...rel, identifier: node.config.alias ?? shortNameOf(node) };
  } catch (e) {
    if (e instanceof ProjectError) ctx.errors.push(e);
    else throw e;
    return undefined;
  }
}

/** The test's name as files and tables see it: the generated short name, or its alias. */
export function shortNameOf(node: TestNode): string {
  return node.config.alias ?? node.name;
}

/** The test's compiled SQL path below `target/compiled/<project>/`, as dbt lays it out. */
export function testSqlFile(node: TestNode): string {
  return node.testType === 'generic' ? `${node.file}/${shortNameOf(node)}.sql` : node.file;
}

interface Rendered {
  template: CompiledTemplate;
  refs: RefCall[];
  sources: [string, string][];
  source: string;
}

/** The parse render of a test: learns its refs, sources and config() calls. */
function parseRender(
  ctx: DataTestContext,
  source: string,
  file: string,
  location: SourceLocation,
  fileSource: string,
  kwargs: Record<string, unknown>,
  onConfig: (values: NodeConfig) => void,
): Rendered | undefined {
  const { engine, dialect, database, target } = ctx;
  const generated = source !== fileSource;
  const relocate = (e: unknown): undefined => {
    if (!(e instanceof ProjectError)) throw e;
    // Errors in a generated call point at the YAML entry; errors in a macro file keep theirs.
    const keep = !generated || (e.location && e.location.file !== file);
    ctx.errors.push(keep ? e : new ProjectError(e.kind, e.message, { location, source: fileSource, hint: e.hint }));
    return undefined;
  };
  let template: Rendered['template'];
  try {
    template = engine.compile(file, source);
  } catch (e) {
    return relocate(e);
  }
  const recorded = recordRefs({
    database,
    schema: target.schema,
    dialect,
    sourceRelation: (s, t) => {
      const id = ctx.sourcesByName.get(`${s}.${t}`);
      return id ? (ctx.nodes.get(id) as SourceNode).relation : undefined;
    },
  });
  const { refs, sources } = recorded;
  const hooks = inertHooks(file, source, {
    packageName: ctx.project.name,
    extra: { ...Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [kwargContextName(k), v])) },
    ref: recorded.ref,
    source_: recorded.source_,
    config: (values) => onConfig(values as NodeConfig),
    configGet: () => null,
  });
  try {
    engine.render(template, hooks);
  } catch (e) {
    return relocate(e);
  }
  return { template, refs, sources, source };
}

function missingDependencies(ctx: DataTestContext, refs: RefCall[], sources: [string, string][]): { message: string; needle: string; hint?: string }[] {
  const out: { message: string; needle: string; hint?: string }[] = [];
  for (const r of refs) {
    if (!lookupRefCall(ctx.byName, r, ctx.project.name))
      out.push({ message: `ref('${r.name}') matches no model or seed`, needle: r.name, hint: didYouMean(r.name, bareNames(ctx.byName)) });
  }
  for (const [s, t] of sources) {
    if (!ctx.sourcesByName.has(`${s}.${t}`)) {
      out.push({ message: `source('${s}', '${t}') is not defined in any properties file`, needle: t, hint: didYouMean(`${s}.${t}`, ctx.sourcesByName.keys()) });
    }
  }
  return out;
}

/** Arguments the built-in tests need, checked before any query so a mistake names its line. */
function checkBuiltinArgs(name: string, args: Record<string, unknown>): { arg: string; message: string } | undefined {
  const needsColumn = ['not_null', 'unique', 'accepted_values', 'relationships'];
  if (needsColumn.includes(name) && typeof args.column_name !== 'string') {
    return { arg: 'column_name', message: 'needs a column: declare it under a column, or give column_name' };
  }
  if (name === 'accepted_values' && singleExpression(args.values) === undefined) {
    const values = args.values;
    if (!Array.isArray(values) || values.length === 0) return { arg: 'values', message: 'values must be a non-empty list, e.g. values: [placed, shipped]' };
    if (values.some((v) => v !== null && typeof v === 'object')) return { arg: 'values', message: 'values must be plain values (text, numbers, true/false)' };
    if ('quote' in args && typeof args.quote !== 'boolean') return { arg: 'quote', message: 'quote must be true or false' };
    if (args.quote === false) {
      const bad = values.find(
        (v) => !(typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && /^\s*(-?\d+(\.\d+)?|true|false|null)\s*$/i.test(v))),
      );
      if (bad !== undefined)
        return {
          arg: 'values',
          message: `with quote: false the values go into SQL as they are, so they must be numbers or true/false; ${JSON.stringify(bad)} is not (remove quote: false to compare text)`,
        };
    }
  }
  if (name === 'relationships') {
    if (typeof args.to !== 'string' || !args.to.trim()) return { arg: 'to', message: "needs 'to', the parent model, e.g. to: ref('customers')" };
    if (!LOOKS_LIKE_CALL.test(args.to) && singleExpression(args.to) === undefined)
      return { arg: 'to', message: `'to' must be ref('model') or source('source', 'table'), got ${JSON.stringify(args.to)}` };
    if (typeof args.field !== 'string' || !args.field.trim()) return { arg: 'field', message: "needs 'field', the parent's column, e.g. field: id" };
  }
  if (name === 'expression_is_true' && (typeof args.expression !== 'string' || !args.expression.trim())) {
    return { arg: 'expression', message: 'needs \'expression\', a SQL condition every row must meet, e.g. expression: "amount > 0"' };
  }
  return undefined;
}

/** Test configs from project.yml's `data_tests:` are checked like a test's own. */
function checkFolderConfig(ctx: DataTestContext, base: NodeConfig, decl: TestDeclaration): boolean {
  const picked = pickTestConfig(base);
  const r = safeParseRemembered(testConfigSchema, picked);
  if (r.success) return false;
  const { project } = ctx;
  for (const issue of r.error.issues) {
    const key = String(issue.path[0] ?? '');
    if (key in decl.config) continue;
    ctx.errors.push(
      new ProjectError('project', `data_tests config '${key}': ${issue.message}`, {
        location: project.yaml.locate([project.config.data_tests ? 'data_tests' : 'tests']),
        source: project.yaml.source,
      }),
    );
    return true;
  }
  return false;
}

function pickTestConfig(config: NodeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(testConfigSchema.shape))
    if ((config as Record<string, unknown>)[k] !== undefined) out[k] = (config as Record<string, unknown>)[k];
  return out;
}

function pyQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A seed's column names from its CSV header, so a test on a missing column fails before any query. */
function seedHeader(project: Project, file: string, delimiter: string): string[] | undefined {
  try {
    const first = readFileSync(path.join(project.dir, file), 'utf8').split(/\r?\n/, 1)[0] ?? '';
    return first
      .split(delimiter)
      .map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
      .filter(Boolean);
  } catch {
    return undefined;
  }
}

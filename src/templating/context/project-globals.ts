import { currentInvocation, INVOCATION_ID } from '../../core/invocation.js';
import { isSecretName, registerSecret } from '../../core/secrets.js';
import { isPlainObject } from '../../core/util.js';
import { escapeRe } from '../escape-re.js';
import { stripKwargs } from '../nunjucks-patches.js';
import type { ContextHost } from './context-host.js';
import { PyDateTime } from './py-datetime.js';

/**
 * The project and the node being rendered: `config()`, `var()`, `env_var()`, `is_incremental()`,
 * `target`, `project_name`, `run_started_at`, `invocation_id`, and `log()` / `print()` / `exceptions`.
 */
export function projectGlobals(host: ContextHost): Record<string, unknown> {
  const config = host.guard((values?: unknown) => {
    if (values !== undefined && !isPlainObject(values)) {
      return host.fail('config() takes named arguments, e.g. config(materialized="table")', { needle: /\bconfig\s*\(/ });
    }
    host.hooks().config(stripKwargs(values ?? {}));
    return '';
  });
  Object.assign(config, {
    get: (key: string, fallback?: unknown) => host.hooks().configGet(key, fallback ?? null),
    require: (key: string) => {
      const v = host.hooks().configGet(key, undefined);
      if (v === undefined) return host.fail(`config '${key}' is required here`);
      return v;
    },
    set: (key: string, value: unknown) => host.hooks().config({ [key]: value }),
    // dbt's RuntimeConfigObject.persist_relation_docs / persist_column_docs: the `persist_docs` config's `relation` / `columns`.
    persist_relation_docs: () => persistDocs(host.hooks().configGet('persist_docs', null)).relation === true,
    persist_column_docs: () => persistDocs(host.hooks().configGet('persist_docs', null)).columns === true,
  });
  const projectFile = host.project?.file ?? 'project.yml';
  return {
    config,
    // dbt's `database` and `schema`: the target's (snapshots' target_schema=schema reads them).
    database: host.target.database,
    schema: host.target.schema,
    var: (name: unknown, fallback?: unknown) => {
      if (typeof name !== 'string') return host.fail('var() takes a var name as a string');
      const over = host.current()?.overrides?.vars;
      if (over && Object.hasOwn(over, name)) return over[name];
      if (Object.hasOwn(host.vars, name)) {
        const v = host.vars[name];
        // dbt renders a var's Jinja when it is read (`start: "{{ env_var('START', '2020-01-01') }}"`).
        return typeof v === 'string' && (v.includes('{{') || v.includes('{%')) ? host.renderString(v, projectFile) : v;
      }
      if (fallback !== undefined) return fallback;
      return host.fail(`var '${name}' is not set and has no default`, {
        needle: new RegExp(`\\bvar\\s*\\(\\s*['"]${escapeRe(name)}['"]`),
        hint: `set it under 'vars:' in ${projectFile}, or pass --vars '{${name}: ...}'`,
      });
    },
    env_var: (name: unknown, fallback?: unknown) => {
      if (typeof name !== 'string') return host.fail('env_var() takes an environment variable name as a string');
      const over = host.current()?.overrides?.envVars;
      if (over && Object.hasOwn(over, name)) return over[name];
      const v = process.env[name];
      if (v !== undefined) {
        if (isSecretName(name)) registerSecret(v);
        return v;
      }
      if (fallback !== undefined) return fallback;
      return host.fail(`environment variable '${name}' is not set and has no default`, {
        needle: new RegExp(`\\benv_var\\s*\\(\\s*['"]${escapeRe(name)}['"]`),
        hint: `export ${name}=… before running, or give a default: env_var('${name}', 'value')`,
      });
    },
    is_incremental: host.guard(() => host.hooks().isIncremental()),
    target: host.target,
    project_name: host.project?.name ?? host.target.profile_name,
    run_started_at: new PyDateTime(Date.now(), true),
    invocation_id: INVOCATION_ID,
    // The worker running the node (`Thread-1`, as dbt names its threads), given per render; MainThread while parsing.
    thread_id: 'MainThread',
    // Quiet while parsing (dbt's `execute` is false then) unless `info=True`.
    log: (msg: unknown, info?: boolean) => {
      const current = host.current();
      if (info || current?.execute) (current?.log ?? host.log)(String(msg));
      return '';
    },
    // Where the render's log() goes, so a render redone for its queries prints once (dbt_utils' get_single_value).
    print: (msg: unknown) => {
      (host.current()?.log ?? host.log)(String(msg));
      return '';
    },
    // dbt's `graph`: the manifest's nodes, sources, exposures… as manifest.json lists them, once
    // the project is parsed (dbt-core's `flat_graph`, core/dbt/context/providers.py `graph`);
    // empty while parsing, as dbt's is before the manifest is built.
    get graph() {
      const g = host.current()?.graph;
      return g ? g() : { nodes: {}, sources: {}, exposures: {}, metrics: {}, groups: {}, semantic_models: {}, saved_queries: {} };
    },
    // dbt's flags: what the command was run with (dbt's names, upper case).
    get flags() {
      const inv = currentInvocation();
      return {
        WHICH: inv.which,
        FULL_REFRESH: inv.fullRefresh,
        STORE_FAILURES: inv.storeFailures,
        EMPTY: inv.empty,
        FAIL_FAST: inv.failFast,
        THREADS: inv.threads ?? host.target.threads,
        WARN_ERROR: false,
        WARN_ERROR_OPTIONS: {},
        DEBUG: false,
        QUIET: false,
        LOG_FORMAT: 'default',
        USE_COLORS: !process.env.NO_COLOR,
        PARTIAL_PARSE: true,
        INTROSPECT: true,
        STATE: null,
        DEFER: false,
        FAVOR_STATE: false,
        INDIRECT_SELECTION: 'eager',
        PRINTER_WIDTH: 80,
        SEND_ANONYMOUS_USAGE_STATS: false,
        VERSION_CHECK: true,
        STATIC_PARSER: true,
        USE_EXPERIMENTAL_PARSER: false,
        WRITE_JSON: true,
        CACHE_SELECTED_ONLY: false,
        POPULATE_CACHE: true,
        LOG_CACHE_EVENTS: false,
        STRICT_MODE: false,
      };
    },
    exceptions: {
      raise_compiler_error: (msg: unknown) => host.fail(String(msg)),
      warn: (msg: unknown) => {
        host.log(`warning: ${String(msg)}`);
        return '';
      },
    },
  };
}

function persistDocs(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

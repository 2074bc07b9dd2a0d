/**
 * `model run-operation MACRO --args '{...}'`: calls one macro with `execute` true on the target's
 * connection, as dbt-core's task/run_operation.py does, and writes run_results.json with one result
 * under the macro's unique_id (status success or error, failures 0 or 1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileWithQueries } from '../compile/run-queries.js';
import { ProjectError } from '../core/errors.js';
import { didYouMean } from '../core/util.js';
import { metadata, writeJsonAtomic } from '../execute/artifacts.js';
import { standInModel } from '../parse/nodes.js';
import { parseCliVars } from '../project/vars.js';
import { connect, openProject, type CommonOptions, type Session } from './session.js';

export interface RunOperationResult {
  session: Session;
  uniqueId: string;
  /** What the macro returned (`{{ return(...) }}`), undefined when it returned nothing. */
  returned: unknown;
  /** Why it failed, when it did: the run is then an error (exit code 1, as dbt). */
  error?: unknown;
  file: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads `--args` as YAML or JSON (dbt's parse_cli_yaml_string), a mapping of the macro's keyword arguments. */
export function parseOperationArgs(text: string | undefined): Record<string, unknown> {
  try {
    return parseCliVars(text);
  } catch (e) {
    const msg = e instanceof ProjectError ? e.message.replace(/^--vars/, '--args') : String(e);
    throw new ProjectError('usage', msg, { hint: `example: model run-operation grant_select --args '{role: reporter}'` });
  }
}

export async function runOperation(opts: CommonOptions & { macro: string; args?: string; log?: (m: string) => void }): Promise<RunOperationResult> {
  const args = parseOperationArgs(opts.args);
  for (const k of Object.keys(args)) {
    if (!IDENT.test(k)) throw new ProjectError('usage', `--args key '${k}' is not a macro argument name`, { hint: 'names are letters, digits and _' });
  }
  const session = await openProject(opts);
  const { engine, project } = session;
  // A bare name is the root project's macro, else an installed package's (dbt-core's
  // MacroResolver: root, then packages, then dbt's own), as `dbt run-operation generate_source` finds codegen's.
  let macroName = opts.macro;
  if (!engine.macros.has(macroName) && !macroName.includes('.')) {
    const inPackages = [...engine.macros.entries()].filter(([k, m]) => m.package && k === `${m.package}.${macroName}` && !m.file.startsWith('<'));
    if (inPackages.length > 1) {
      throw new ProjectError('usage', `macro '${macroName}' is defined in several packages: ${inPackages.map(([k]) => k).join(', ')}`, {
        hint: `name the package: model run-operation ${inPackages[0]![0]}`,
      });
    }
    if (inPackages.length === 1) macroName = inPackages[0]![0];
  }
  const info = engine.macros.get(macroName);
  if (!info || !IDENT.test(macroName.split('.').pop() ?? '')) {
    // dbt raises UndefinedMacroError before any run result is written.
    const names = [...engine.macros.keys()].filter((n) => !engine.macros.get(n)!.file.startsWith('<'));
    throw new ProjectError('usage', `no macro named '${opts.macro}' in the project or its packages`, { hint: didYouMean(opts.macro, names) });
  }
  const uniqueId = `macro.${info.package ?? project.name}.${info.name}`;
  const call = `${macroName}(${Object.keys(args)
    .map((k) => `${k}=__model_operation_args["${k}"]`)
    .join(', ')})`;
  const text = `{% do __model_operation_capture(${call}) %}`;
  const file = `<run-operation ${macroName}>`;
  const node = standInModel(project.name, {
    uniqueId: `operation.${project.name}.${info.name}`,
    name: info.name,
    file,
    config: { materialized: 'ephemeral' },
    materialized: 'ephemeral',
    rawSql: text,
  });
  let returned: unknown;
  let error: unknown;
  const started = new Date();
  const adapter = await connect(session);
  try {
    const template = engine.compile(file, text);
    await adapter.withConnection((conn) =>
      compileWithQueries(
        session,
        node,
        {
          template,
          log: opts.log,
          extra: {
            __model_operation_args: args,
            __model_operation_capture: (v: unknown) => {
              returned = v;
              return '';
            },
          },
        },
        conn,
      ),
    );
  } catch (e) {
    error = atMacro(e, file, project.dir, info.file, info.name);
  } finally {
    await adapter.close();
  }
  const completed = new Date();
  const out = path.join(project.targetDir, 'run_results.json');
  const message = error === undefined ? null : error instanceof Error ? error.message : String(error);
  writeJsonAtomic(out, {
    metadata: metadata('run-results'),
    results: [
      {
        unique_id: uniqueId,
        status: error === undefined ? 'success' : 'error',
        timing: [{ name: 'execute', started_at: started.toISOString(), completed_at: completed.toISOString() }],
        thread_id: 'main',
        execution_time: (completed.getTime() - started.getTime()) / 1000,
        adapter_response: {},
        message,
        failures: error === undefined ? 0 : 1,
        compiled: false,
        compiled_code: null,
        relation_name: null,
      },
    ],
    elapsed_time: (completed.getTime() - started.getTime()) / 1000,
    args: { which: 'run-operation', macro: opts.macro, args },
  });
  const value = macroOutputText(returned);
  return { session, uniqueId, returned: isNothing(value) ? undefined : value, error, file: out };
}

/** An error the render placed in the synthetic call is placed at the macro's `{% macro %}` line instead, so it names a real file:line. */
function atMacro(e: unknown, synthetic: string, projectDir: string, macroFile: string, name: string): unknown {
  if (!(e instanceof ProjectError) || (e.location && e.location.file !== synthetic)) return e;
  let source: string | undefined;
  let line: number | undefined;
  try {
    source = readFileSync(path.resolve(projectDir, macroFile), 'utf8');
    const at = new RegExp(`\\{%-?\\s*macro\\s+${name}\\s*\\(`).exec(source);
    if (at) line = source.slice(0, at.index).split('\n').length;
  } catch {
    source = undefined;
  }
  return new ProjectError(e.kind, `${e.message.replace(/\s*\(in macro '[^']*' of [^)]*\)$/, '')} (in macro '${name}')`, {
    location: { file: macroFile, line },
    hint: e.hint,
    source,
  });
}

/**
 * A macro that returns nothing gives its rendered output (a nunjucks SafeString, `{val, length}`):
 * that is text, and only whitespace when the body only ran statements or logged.
 */
function macroOutputText(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || typeof (v as { val?: unknown }).val !== 'string' || Array.isArray(v)) return v;
  if (Object.keys(v).some((k) => k !== 'val' && k !== 'length')) return v;
  return String((v as { val: string }).val).trim();
}

/** Jinja's none and an empty string are "no value": nothing to print. */
function isNothing(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

import { compileIntrospecting } from '../compile/run-queries.js';
import type { Adapter } from '../warehouse/adapter.js';
import { ProjectError, throwIfAny } from '../core/errors.js';
import { resolveDependencies } from '../graph/dependencies.js';
import { standInModel, type ModelNode } from '../parse/nodes.js';
import { inertHooks } from '../templating/render-hooks.js';
import type { CompiledTemplate } from '../templating/template-engine.js';
import { connect, openProject, type CommonOptions, type Session } from './session.js';
import { didYouMean } from '../core/util.js';
import { writeManifest } from '../execute/artifacts.js';

export interface QueryOutput {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** `model show`: a model's query (as dbt does, not its table) or inline SQL, limited. */
export async function show(
  opts: CommonOptions & { model?: string; inline?: string; limit?: number },
): Promise<{ session: Session; output: QueryOutput; sql: string }> {
  const session = await openProject(opts);
  const { manifest } = session;
  let node: ModelNode;
  let template: CompiledTemplate | undefined;
  if (opts.inline !== undefined) {
    ({ node, template } = inlineNode(session, opts.inline));
  } else {
    const id = opts.model ? manifest.byName.get(opts.model) : undefined;
    const found = id ? manifest.nodes.get(id) : undefined;
    if (!found || (found.resourceType !== 'model' && found.resourceType !== 'seed')) {
      throw new ProjectError('usage', `no model or seed named '${opts.model ?? ''}'`, { hint: didYouMean(opts.model ?? '', manifest.byName.keys()) });
    }
    if (found.resourceType === 'seed') {
      ({ node, template } = inlineNode(session, `select * from {{ ref('${found.name}') }}`));
    } else node = found;
  }
  // dbt show's default is 5 rows; -1 shows them all.
  const limit = opts.limit ?? 5;
  if (!Number.isInteger(limit) || limit < -1) throw new ProjectError('usage', '--limit must be a whole number of rows (-1 for all)');
  // Rendered offline; a render that asks the warehouse (dbt_utils' star…) is answered over the
  // connection show opens anyway, as dbt's show does.
  let opened: Promise<Adapter> | undefined;
  const adapter = () => (opened ??= connect(session));
  try {
    const { sql } = await compileIntrospecting(session, node, { template }, async (fn) => (await adapter()).withConnection(fn));
    // dbt's show is a compile: manifest.json with the shown model's compiled SQL (an inline query is in no manifest here).
    writeManifest(session, template === undefined ? new Map([[node.uniqueId, sql]]) : undefined);
    const limited = limit === -1 ? sql : `select * from (\n${sql}\n) as model_show limit ${limit}`;
    // config(sql_header=…) or {% call set_sql_header(config) %}: run first, on the same connection, as dbt does.
    const header = typeof node.config.sql_header === 'string' ? node.config.sql_header.trim() : '';
    const a = await adapter();
    try {
      const result = await a.withConnection(async (c) => {
        if (header) await c.execute(header.replace(/;\s*$/, ''));
        return c.execute(limited);
      });
      return { session, output: { columns: result.columns, rows: result.rows }, sql };
    } catch (e) {
      throw new ProjectError('database', e instanceof Error ? e.message : String(e), {
        location: { file: node.file },
        hint: opts.inline === undefined ? 'the model reads tables that must exist: run `model build` first' : undefined,
      });
    }
  } finally {
    if (opened) await (await opened.catch(() => undefined))?.close();
  }
}

function inlineNode(session: Session, sqlText: string): { node: ModelNode; template: CompiledTemplate } {
  const { manifest } = session;
  const file = '<inline>';
  const template = session.engine.compile(file, sqlText);
  const node = standInModel(session.project.name, {
    uniqueId: `sql_operation.${session.project.name}.inline`,
    name: 'inline',
    file,
    config: { materialized: 'ephemeral' },
    materialized: 'ephemeral',
    rawSql: sqlText,
  });
  session.engine.render(
    template,
    inertHooks(file, sqlText, {
      ref: (args) => {
        node.refs.push({ name: args[args.length - 1]! });
        return '';
      },
      source_: (s, t) => {
        node.sources.push([s, t]);
        return '';
      },
    }),
  );
  const errors: ProjectError[] = [];
  resolveDependencies(node, { byName: manifest.byName, sourcesByName: manifest.sourcesByName, project: session.project, errors });
  throwIfAny(errors);
  return { node, template };
}

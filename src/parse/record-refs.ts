import type { Dialect, RelationName } from '../warehouse/dialect.js';
import { Relation } from '../warehouse/relation.js';
import type { RenderHooks } from '../templating/template-engine.js';
import type { RefCall } from './nodes.js';

/**
 * The parse pass's `ref()` and `source()`: they record what a template reads and hand back a
 * stand-in relation (the real one is known only once the graph is built).
 */
export function recordRefs(opts: {
  database: string;
  schema: string;
  dialect: Dialect;
  /** The relation of a declared source table, if there is one. */
  sourceRelation: (sourceName: string, tableName: string) => RelationName | undefined;
}): Pick<RenderHooks, 'ref' | 'source_'> & { refs: RefCall[]; sources: [string, string][] } {
  const refs: RefCall[] = [];
  const sources: [string, string][] = [];
  return {
    refs,
    sources,
    ref: (args, version) => {
      const name = args[args.length - 1]!;
      // dbt records `ref('m', v=2)` as name m, version 2 (the version's model is `m_v2`).
      const base = version !== undefined ? name.slice(0, name.length - `_v${version}`.length) : name;
      refs.push({ name: base, ...(args.length > 1 ? { package: args[0] } : {}), ...(version !== undefined ? { version } : {}) });
      return new Relation(opts.database, opts.schema, name, opts.dialect);
    },
    source_: (s, t) => {
      sources.push([s, t]);
      const rel = opts.sourceRelation(s, t) ?? { database: opts.database, schema: s, identifier: t };
      return new Relation(rel.database, rel.schema, rel.identifier, opts.dialect);
    },
  };
}

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
    ref: (args) => {
      const name = args[args.length - 1]!;
      refs.push(args.length > 1 ? { name, package: args[0] } : { name });
      return new Relation(opts.database, opts.schema, name, opts.dialect);
    },
    source_: (s, t) => {
      sources.push([s, t]);
      const rel = opts.sourceRelation(s, t) ?? { database: opts.database, schema: s, identifier: t };
      return new Relation(rel.database, rel.schema, rel.identifier, opts.dialect);
    },
  };
}

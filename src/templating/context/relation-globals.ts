import { Relation } from '../../warehouse/relation.js';
import { isKwargs, stripKwargs } from '../nunjucks-patches.js';
import type { ContextHost } from './context-host.js';
import { relationColumn } from './query-table.js';

/** dbt's Column.TYPE_LABELS: the generic names `api.Column.translate_type` maps (dbt-adapters' base column.py). */
const TYPE_LABELS: Record<string, string> = { STRING: 'TEXT', TIMESTAMP: 'TIMESTAMP', FLOAT: 'FLOAT', INTEGER: 'INT', BOOLEAN: 'BOOLEAN' };

/** `ref()`, `source()`, `this` and `api.Relation`: the relations a template names. */
export function relationGlobals(host: ContextHost): Record<string, unknown> {
  const globals: Record<string, unknown> = {
    ref: host.guard((...args: unknown[]) => {
      // ref('model', v=2): a model version is the model `<name>_v<version>`.
      let asked: string | number | undefined;
      if (isKwargs(args[args.length - 1])) {
        const { v, version } = stripKwargs(args.pop());
        const which = v ?? version;
        const name = args[args.length - 1];
        if (which !== undefined && which !== null && typeof name === 'string') {
          args[args.length - 1] = `${name}_v${String(which)}`;
          asked = typeof which === 'number' ? which : String(which);
        }
      }
      if (args.length === 0 || args.some((a) => typeof a !== 'string')) {
        return host.fail('ref() takes a model or seed name as a string', { needle: /\bref\s*\(/ });
      }
      return host.hooks().ref(args as string[], asked);
    }),
    source: host.guard((sourceName: unknown, tableName: unknown) => {
      if (typeof sourceName !== 'string' || typeof tableName !== 'string') {
        return host.fail("source() takes two strings: source('source_name', 'table_name')", { needle: /\bsource\s*\(/ });
      }
      return host.hooks().source_(sourceName, tableName);
    }),
    api: {
      // dbt's Column class: its class methods, and columns made by create()/from_description().
      Column: {
        translate_type: (dtype: unknown) => TYPE_LABELS[String(dtype).toUpperCase()] ?? String(dtype),
        string_type: (size: unknown) => (host.target.type === 'snowflake' ? `varchar(${String(size)})` : `character varying(${String(size)})`),
        numeric_type: (dtype: unknown, precision?: unknown, scale?: unknown) =>
          precision === null || precision === undefined || scale === null || scale === undefined
            ? String(dtype)
            : `${String(dtype)}(${String(precision)},${String(scale)})`,
        create: (name: unknown, dtype: unknown) =>
          relationColumn(String(name), TYPE_LABELS[String(dtype).toUpperCase()] ?? String(dtype), (id) => host.dialect.quoteIdentifier(id)),
        from_description: (name: unknown, rawType: unknown) => relationColumn(String(name), String(rawType), (id) => host.dialect.quoteIdentifier(id)),
      },
      Relation: {
        create: (kwargs?: unknown) => {
          const k = stripKwargs(kwargs);
          const { database, schema } = host.target;
          const r = new Relation(String(k.database ?? database), String(k.schema ?? schema), String(k.identifier ?? ''), host.dialect);
          if (k.type === 'table' || k.type === 'view') r.type = k.type;
          return r;
        },
      },
    },
  };
  // A getter: `this` is the node being rendered, asked at each use.
  Object.defineProperty(globals, 'this', { get: () => host.current()?.thisRelation(), enumerable: true });
  return globals;
}

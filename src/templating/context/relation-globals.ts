import { Relation } from '../../warehouse/relation.js';
import { isKwargs, PY_CLASS, popKwargs, stripKwargs } from '../nunjucks-patches.js';
import type { ContextHost } from './context-host.js';
import { baseTypeName, relationColumn } from './query-table.js';

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
    api: { Column: columnClass(host), Relation: relationClass(host) },
  };
  // A getter: `this` is the node being rendered, asked at each use.
  Object.defineProperty(globals, 'this', { get: () => host.current()?.thisRelation(), enumerable: true });
  return globals;
}

/**
 * dbt's Column class: called (`api.Column("my_column", "varchar")`, with dbt's char_size,
 * numeric_precision and numeric_scale, positional or named), and its class methods.
 */
function columnClass(host: ContextHost) {
  const quote = (id: string) => host.dialect.quoteIdentifier(id);
  const construct = (...args: unknown[]) => {
    const kw = popKwargs(args);
    const [name, dtype, charSize, precision, scale] = [
      args[0] ?? kw.column ?? kw.name,
      args[1] ?? kw.dtype,
      args[2] ?? kw.char_size,
      args[3] ?? kw.numeric_precision,
      args[4] ?? kw.numeric_scale,
    ];
    const type = String(dtype ?? '');
    // dbt's Column.data_type: a size or precision given apart is part of the type.
    const sized =
      charSize !== undefined && charSize !== null
        ? `${type}(${String(charSize)})`
        : precision !== undefined && precision !== null && scale !== undefined && scale !== null
          ? `${type}(${String(precision)},${String(scale)})`
          : type;
    return relationColumn(String(name ?? ''), sized, quote);
  };
  return Object.assign(construct, {
    // A class with attributes: nunjucks' member lookup keeps it whole (nunjucks-patches.ts).
    [PY_CLASS]: true,
    translate_type: (dtype: unknown) => TYPE_LABELS[String(dtype).toUpperCase()] ?? String(dtype),
    string_type: (size: unknown) => (host.target.type === 'snowflake' ? `varchar(${String(size)})` : `character varying(${String(size)})`),
    numeric_type: (dtype: unknown, precision?: unknown, scale?: unknown) =>
      precision === null || precision === undefined || scale === null || scale === undefined
        ? String(dtype)
        : `${String(dtype)}(${String(precision)},${String(scale)})`,
    create: (name: unknown, dtype: unknown) => relationColumn(String(name), TYPE_LABELS[String(dtype).toUpperCase()] ?? String(dtype), quote),
    from_description: (name: unknown, rawType: unknown) => relationColumn(String(name), String(rawType), quote, baseTypeName(String(rawType))),
  });
}

/** dbt's Relation class (`api.Relation`, `adapter.Relation`): `create(database, schema, identifier, type)`, positional or named; parts not given are left out. */
function relationClass(host: ContextHost) {
  return {
    create: (...args: unknown[]) => {
      const kw = popKwargs(args);
      const [database, schema, identifier, type] = [args[0] ?? kw.database, args[1] ?? kw.schema, args[2] ?? kw.identifier, args[3] ?? kw.type];
      const given = (v: unknown) => v !== undefined && v !== null && v !== '';
      const r = new Relation(String(database ?? ''), String(schema ?? ''), String(identifier ?? ''), host.dialect);
      if (type === 'table' || type === 'view') r.type = type;
      // A part not given is not rendered, as dbt's (api.Relation.create(identifier=c) quotes a column name).
      return given(database) && given(schema) && given(identifier)
        ? r
        : r.include({ database: given(database), schema: given(schema), identifier: given(identifier) });
    },
  };
}

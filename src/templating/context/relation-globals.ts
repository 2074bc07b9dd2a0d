import { Relation } from '../../warehouse/relation.js';
import { isKwargs, stripKwargs } from '../nunjucks-patches.js';
import type { ContextHost } from './context-host.js';

/** `ref()`, `source()`, `this` and `api.Relation`: the relations a template names. */
export function relationGlobals(host: ContextHost): Record<string, unknown> {
  const globals: Record<string, unknown> = {
    ref: host.guard((...args: unknown[]) => {
      // ref('model', v=2): a model version is the model `<name>_v<version>`.
      if (isKwargs(args[args.length - 1])) {
        const { v, version } = stripKwargs(args.pop());
        const which = v ?? version;
        const name = args[args.length - 1];
        if (which !== undefined && which !== null && typeof name === 'string') args[args.length - 1] = `${name}_v${String(which)}`;
      }
      if (args.length === 0 || args.some((a) => typeof a !== 'string')) {
        return host.fail('ref() takes a model or seed name as a string', { needle: /\bref\s*\(/ });
      }
      return host.hooks().ref(args as string[]);
    }),
    source: host.guard((sourceName: unknown, tableName: unknown) => {
      if (typeof sourceName !== 'string' || typeof tableName !== 'string') {
        return host.fail("source() takes two strings: source('source_name', 'table_name')", { needle: /\bsource\s*\(/ });
      }
      return host.hooks().source_(sourceName, tableName);
    }),
    api: {
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

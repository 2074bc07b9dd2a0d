import { duckDbDialect } from '../../src/adapters/duckdb/duckdb-dialect.js';
import type { Dialect } from '../../src/warehouse/dialect.js';
import { TemplateEngine, type RenderHooks } from '../../src/templating/template-engine.js';

/** An engine for target `dev` of `dialect`, quiet (its warnings go to `opts.warnings` when given). */
export function engine(dialect: Dialect = duckDbDialect, vars: Record<string, unknown> = {}, opts: { strictUndefined?: boolean; warnings?: string[] } = {}) {
  return new TemplateEngine(vars, { name: 'dev', type: dialect.type, schema: 'main', database: 'db', threads: 1, profile_name: 'p' }, dialect, {
    log: () => undefined,
    warn: (m) => opts.warnings?.push(m),
    strictUndefined: opts.strictUndefined,
  });
}

/** Render hooks that answer ref(), source() and this with fixed text. */
export function hooks(file: string, source: string): RenderHooks {
  return {
    file,
    source,
    execute: true,
    ref: (a) => `"db"."main"."${a[a.length - 1]}"`,
    source_: (s, t) => `${s}.${t}`,
    config: () => undefined,
    configGet: (_k, f) => f,
    thisRelation: () => 'this_rel',
    isIncremental: () => false,
  };
}

/** Compiles and renders `source` as the model `file`. */
export function render(e: TemplateEngine, source: string, file = 'models/m.sql'): string {
  return e.render(e.compile(file, source), hooks(file, source));
}

import type { Project } from '../project/load-project.js';

/** One macro of the project's or an installed package's macro files, with its text, as dbt's manifest keeps it in `macro_sql`. */
export interface MacroSource {
  /** dbt's id: `macro.<package>.<name>`. */
  id: string;
  name: string;
  package: string;
  file: string;
  sql: string;
  /** Ids of the project and package macros its body calls directly. */
  calls: string[];
}

const MACRO_START = /\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
const MACRO_END = /\{%-?\s*endmacro\b[^%]*%\}/g;
const DISPATCH = /\badapter\s*\.\s*dispatch\s*\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*(?:,\s*(?:macro_namespace\s*=\s*)?['"]([A-Za-z_][A-Za-z0-9_]*)['"])?/g;
const CALL = /\b(?:([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

/**
 * The macros of the root project and of every installed package, with their text, from the macro
 * files. Read for artifacts and state comparison (`state:modified.macros`), never for rendering,
 * so a scan of the text is enough: each `{% macro name(…) %}` to its `{% endmacro %}`.
 */
export function projectMacroSources(project: Project): Map<string, MacroSource> {
  const out = new Map<string, MacroSource>();
  for (const p of [project, ...project.packages]) {
    for (const f of p.macroFiles) {
      for (const m of f.source.matchAll(MACRO_START)) {
        MACRO_END.lastIndex = m.index;
        const end = MACRO_END.exec(f.source);
        const sql = f.source.slice(m.index, end ? end.index + end[0].length : f.source.length);
        const id = `macro.${p.name}.${m[1]!}`;
        out.set(id, { id, name: m[1]!, package: p.name, file: f.file, sql, calls: [] });
      }
    }
  }
  for (const m of out.values()) m.calls = calledMacros(m.sql.slice(m.sql.indexOf('(')), out, m.package, project.name).filter((id) => id !== m.id);
  return out;
}

/**
 * The ids of `macros` a template of package `own` calls directly: `pkg.name(` is that package's
 * macro; a bare `name(` is the template's own package's, else the root project's (dbt's lookup
 * order for unqualified names). A name followed by `(` counts wherever it stands: this may find a
 * SQL function that shares a macro's name, never miss a call, the safe side for deciding what an
 * edit touched.
 */
export function calledMacros(source: string, macros: ReadonlyMap<string, MacroSource>, own: string, root: string): string[] {
  if (!macros.size || (!source.includes('{{') && !source.includes('{%'))) return [];
  const found = new Set<string>();
  for (const m of source.matchAll(CALL)) {
    const [, pkg, name] = m;
    const candidates = pkg ? [`macro.${pkg}.${name}`] : [`macro.${own}.${name}`, `macro.${root}.${name}`];
    const id = candidates.find((c) => macros.has(c));
    if (id) found.add(id);
  }
  // dbt's static extraction (clients/jinja_static.py) counts each implementation a dispatch may
  // pick (`<adapter>__name`, `default__name`) in the namespace it names, else the caller's package.
  for (const m of source.matchAll(DISPATCH)) {
    const [, name, ns] = m;
    const prefix = `macro.${ns ?? own}.`;
    for (const id of macros.keys())
      if (id.startsWith(prefix) && id.endsWith(`__${name}`) && !id.slice(prefix.length, -name!.length - 2).includes('.')) found.add(id);
  }
  return [...found].sort();
}

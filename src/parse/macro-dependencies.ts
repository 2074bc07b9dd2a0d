import type { Project } from '../project/load-project.js';

/** One macro of the project's macro files: its text, as dbt's manifest keeps it in `macro_sql`. */
export interface MacroSource {
  name: string;
  file: string;
  sql: string;
  /** Project macros its body calls (by name, directly). */
  calls: string[];
}

const MACRO_START = /\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
const MACRO_END = /\{%-?\s*endmacro\b[^%]*%\}/g;
const CALL = /\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

/**
 * The project's macros with their text, from the macro files. Read for artifacts and state
 * comparison (`state:modified.macros`), never for rendering, so a scan of the text is enough:
 * each `{% macro name(…) %}` to its `{% endmacro %}`.
 */
export function projectMacroSources(project: Project): MacroSource[] {
  const out: MacroSource[] = [];
  for (const f of project.macroFiles) {
    for (const m of f.source.matchAll(MACRO_START)) {
      MACRO_END.lastIndex = m.index;
      const end = MACRO_END.exec(f.source);
      const sql = f.source.slice(m.index, end ? end.index + end[0].length : f.source.length);
      out.push({ name: m[1]!, file: f.file, sql, calls: [] });
    }
  }
  const names = new Set(out.map((m) => m.name));
  for (const m of out) m.calls = calledMacros(m.sql.slice(m.sql.indexOf('(')), names).filter((n) => n !== m.name);
  return out;
}

/**
 * The names of `macros` a template calls directly. A name followed by `(` counts, wherever it
 * stands: this may find a SQL function that shares a macro's name, never miss a call, which is
 * the safe side for deciding what an edit touched.
 */
export function calledMacros(source: string, macros: ReadonlySet<string>): string[] {
  if (!macros.size || (!source.includes('{{') && !source.includes('{%'))) return [];
  const found = new Set<string>();
  for (const m of source.matchAll(CALL)) if (macros.has(m[1]!)) found.add(m[1]!);
  return [...found].sort();
}

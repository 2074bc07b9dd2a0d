import { ProjectError, positionOf } from '../core/errors.js';

/**
 * What printing an undefined value throws, on both tiers (nunjucks' patched ensureDefined and the
 * fast renderer); the engine recognises it by this message and turns it into undefinedOutputError.
 */
export const UNDEFINED_OUTPUT_MESSAGE = 'the printed value is undefined';

/** "'partiion' is undefined", at the `{{ … }}` around `offset`: dbt's StrictUndefined. */
export function undefinedOutputError(file: string, source: string, offset: number, sayWhere = false): ProjectError {
  const { expr, position } = printedExpression(source, offset);
  // Inside a macro the error is shown at the model's call: say where in the macro file it is.
  const where = sayWhere ? ` at ${file}:${position.line}` : '';
  return new ProjectError('template', `${expr ? `'${expr}'` : 'a printed value'} is undefined${where}`, {
    location: { file, ...position },
    hint:
      'a name that is not set (a typo, or a {% set %} of another file) or an attribute the value does not have; ' +
      "`{{ x | default('') }}` prints nothing instead, and `{% if x is defined %}` tests for it",
    source,
  });
}

/**
 * The warning for an undefined value printed as an empty string (Jinja's default Undefined, as dbt
 * renders): `file:line:col: '<expr>' is undefined and prints as an empty string`, with what to do.
 */
export function undefinedOutputWarning(file: string, source: string, offset: number): { key: string; message: string } {
  const { expr, position } = printedExpression(source, offset);
  const what = expr ? `'{{ ${expr} }}'` : 'a printed value';
  return {
    key: `${file}:${position.line}:${position.column}:${expr ?? ''}`,
    message:
      `${file}:${position.line}:${position.column}: ${what} is undefined and prints as an empty string, as in dbt ` +
      `(a typo, or an attribute or key the value does not have?). Use \`| default('')\` if that is meant; ` +
      '--strict-undefined (or `flags: {strict_undefined: true}` in the project file) makes this an error',
  };
}

/** The `{{ … }}` expression around `offset` and where it starts. */
function printedExpression(source: string, offset: number): { expr: string | undefined; position: { line: number; column: number } } {
  const open = source.lastIndexOf('{{', offset + 1);
  const close = open === -1 ? -1 : source.indexOf('}}', open + 2);
  const expr =
    open === -1 || close === -1
      ? undefined
      : source
          .slice(open + 2, close)
          .replace(/^-/, '')
          .replace(/-$/, '')
          .trim();
  return { expr, position: positionOf(source, open === -1 ? offset : open) };
}

/** Offset of a 1-based line and 0-based column in `source`. */
export function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf('\n', offset);
    if (nl === -1) return source.length;
    offset = nl + 1;
  }
  return Math.min(source.length, offset + column);
}

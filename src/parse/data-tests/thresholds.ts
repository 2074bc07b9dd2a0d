/** A `warn_if` / `error_if` condition such as `">10"` or `"!= 0"`, applied to the failure count. */
export interface Threshold {
  op: '==' | '!=' | '>' | '>=' | '<' | '<=';
  value: number;
  text: string;
}

const OPS: Record<string, Threshold['op']> = { '=': '==', '==': '==', '!=': '!=', '<>': '!=', '>': '>', '>=': '>=', '<': '<', '<=': '<=' };

/** Parses a threshold; returns an error message for a malformed one. */
export function parseThreshold(text: unknown): Threshold | string {
  if (typeof text === 'number') return { op: '==', value: text, text: `== ${text}` };
  if (typeof text !== 'string') return `must be a comparison such as ">10" or "!=0", got ${JSON.stringify(text)}`;
  const m = /^\s*(==|!=|<>|>=|<=|=|>|<)\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return `must be a comparison with a number, such as ">10" or "!=0", got ${JSON.stringify(text)}`;
  return { op: OPS[m[1]!]!, value: Number(m[2]), text: text.trim() };
}

export function holds(t: Threshold, n: number): boolean {
  switch (t.op) {
    case '==':
      return n === t.value;
    case '!=':
      return n !== t.value;
    case '>':
      return n > t.value;
    case '>=':
      return n >= t.value;
    case '<':
      return n < t.value;
    case '<=':
      return n <= t.value;
  }
}

export const DEFAULT_THRESHOLD = '!= 0';

/** dbt's test status from the failure count: error_if decides `fail`, warn_if `warn`. */
export function testStatus(failures: number, severity: 'error' | 'warn', warnIf: Threshold, errorIf: Threshold): 'pass' | 'warn' | 'fail' {
  if (severity === 'error' && holds(errorIf, failures)) return 'fail';
  if (holds(warnIf, failures)) return 'warn';
  return 'pass';
}

/** A macro's parameter names, read from its `{% macro name(...) %}` tag. */
export interface MacroSignature {
  params: string[];
  /** The body reads Jinja's `kwargs` or `varargs`, so any argument is accepted. */
  acceptsAny: boolean;
}

const OPEN = /\{%-?\s*macro\s+(\w+)\s*\(/g;
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * The signatures of the macros a (preprocessed) file defines. A macro whose parameter list cannot
 * be read is left out, so callers check only what they can read for sure.
 */
export function macroSignatures(source: string): Map<string, MacroSignature> {
  const out = new Map<string, MacroSignature>();
  for (const m of source.matchAll(OPEN)) {
    const start = m.index + m[0].length;
    const end = closingParen(source, start);
    if (end < 0) continue;
    const params = splitTopLevel(source.slice(start, end))
      .map((p) => p.split('=')[0]!.trim())
      .filter(Boolean);
    if (!params.every((p) => /^\w+$/.test(p))) continue;
    const bodyEnd = source.indexOf('endmacro', end);
    const body = source.slice(end, bodyEnd < 0 ? undefined : bodyEnd);
    out.set(m[1]!, { params, acceptsAny: /\b(kwargs|varargs)\b/.test(body) });
  }
  return out;
}

/** Index of the `)` that closes the list opened just before `from`, or -1. */
function closingParen(s: string, from: number): number {
  const stack = [')'];
  let quote: string | undefined;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (CLOSERS[c]) stack.push(CLOSERS[c]!);
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (!stack.length) return i;
    } else if (c === '%' && s[i + 1] === '}') return -1;
  }
  return -1;
}

/** Splits a parameter list at the commas outside brackets and strings. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') {
        cur += c + (s[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c in CLOSERS) depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/**
 * A reader for the plain shape nearly every properties file has: block mappings and sequences
 * indented with spaces, `- key: value` items, one-line plain, single- and double-quoted scalars,
 * one-line flow lists of such scalars (`[a, 'b']`) and comments. For such a file it gives exactly
 * what js-yaml's `load` with the core schema gives (plain scalars are typed by js-yaml's own
 * resolvers), several times faster on a cold process, where js-yaml's parser runs unoptimized.
 * For anything else (block scalars, anchors, tags, multi-line scalars, flow mappings, escapes,
 * tabs, several documents, duplicate or typed keys, anything it is not sure of) it returns
 * undefined and js-yaml reads the file as before, errors included.
 */
import jsYaml from 'js-yaml';

interface ImplicitType {
  resolve(data: string): boolean;
  construct(data: string): unknown;
}

const implicitTypes = (jsYaml.CORE_SCHEMA as unknown as { compiledImplicit: ImplicitType[] }).compiledImplicit;

/** Thrown to give the file back to js-yaml; not an Error, so it captures no stack. */
class NotSimple {}
const NOT_SIMPLE = new NotSimple();

interface Line {
  indent: number;
  /** The line after its indentation, comments still in. */
  text: string;
}

/** `key:` at the start of a line: a plain key without indicators, then `:` and a space or the end. */
const KEY = /^([A-Za-z0-9_][A-Za-z0-9_ .\-/$+()]*?) *:(?: +|$)/;
/** Characters js-yaml refuses (non-printable) or that need care (surrogates, BOM): js-yaml's. */
const UNUSUAL = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uD800-\uDFFF\uFEFF\uFFFE\uFFFF\t\r]/;
/** What may not start a plain scalar (YAML's indicators), checked with the character after it. */
const INDICATORS = new Set([...'-?:,[]{}#&*!|>\'"%@`']);

export function fastYaml(source: string): unknown {
  if (UNUSUAL.test(source)) return undefined;
  const lines: Line[] = [];
  let start = 0;
  while (start <= source.length) {
    let end = source.indexOf('\n', start);
    if (end === -1) end = source.length;
    let k = start;
    while (k < end && source.charCodeAt(k) === 32) k++;
    // Blank lines and whole-line comments carry nothing.
    if (k < end && source.charCodeAt(k) !== 35) {
      const text = source.slice(k, end);
      if (text.startsWith('---') || text.startsWith('...') || text.startsWith('%')) return undefined;
      lines.push({ indent: k - start, text });
    }
    start = end + 1;
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  try {
    const at = { i: 0 };
    const value = parseBlock(lines, at, 0);
    return at.i === lines.length ? value : undefined;
  } catch (e) {
    if (e instanceof NotSimple) return undefined;
    throw e;
  }
}

const isItem = (text: string) => text === '-' || text.startsWith('- ');

function parseBlock(lines: Line[], at: { i: number }, indent: number): unknown {
  return isItem(lines[at.i]!.text) ? parseSequence(lines, at, indent) : parseMapping(lines, at, indent);
}

function parseSequence(lines: Line[], at: { i: number }, indent: number): unknown[] {
  const out: unknown[] = [];
  while (at.i < lines.length) {
    const line = lines[at.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) throw NOT_SIMPLE;
    // A key at the sequence's indent ends it (`key:` followed by `- item` lines at its own indent).
    if (!isItem(line.text)) break;
    let k = 1;
    while (line.text.charCodeAt(k) === 32) k++;
    const rest = line.text.slice(k);
    if (rest === '' || rest.startsWith('#')) {
      at.i++;
      out.push(nested(lines, at, indent, true));
    } else if (KEY.test(rest)) {
      // `- key: value`: a mapping whose keys stand where this one does.
      lines[at.i] = { indent: indent + k, text: rest };
      out.push(parseMapping(lines, at, indent + k));
    } else {
      at.i++;
      out.push(scalar(rest));
      noContinuation(lines, at, indent);
    }
  }
  return out;
}

function parseMapping(lines: Line[], at: { i: number }, indent: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (at.i < lines.length) {
    const line = lines[at.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) throw NOT_SIMPLE;
    const m = KEY.exec(line.text);
    if (!m) throw NOT_SIMPLE;
    const key = m[1]!;
    // Keys js-yaml would type (true, 1, null) or treat specially are left to it, as are repeats.
    if (typedPlain(key) !== key || key === '__proto__' || Object.hasOwn(out, key)) throw NOT_SIMPLE;
    const rest = line.text.slice(m[0].length);
    at.i++;
    if (rest === '' || rest.startsWith('#')) {
      out[key] = nested(lines, at, indent, false);
    } else {
      out[key] = scalar(rest);
      noContinuation(lines, at, indent);
    }
  }
  return out;
}

/** The block under `key:` or `-`: deeper lines, a sequence at the key's own indent, or null. */
function nested(lines: Line[], at: { i: number }, indent: number, inSequence: boolean): unknown {
  const next = lines[at.i];
  if (next && next.indent > indent) return parseBlock(lines, at, next.indent);
  if (!inSequence && next && next.indent === indent && isItem(next.text)) return parseSequence(lines, at, indent);
  return null;
}

/** A deeper line after a scalar would continue it (a multi-line scalar): js-yaml's to read. */
function noContinuation(lines: Line[], at: { i: number }, indent: number): void {
  const next = lines[at.i];
  if (next && next.indent > indent) throw NOT_SIMPLE;
}

/** After a quoted scalar or a flow list: nothing, or spaces and a comment. */
function endsLine(text: string, from: number): void {
  if (from === text.length) return;
  if (text.charCodeAt(from) !== 32) throw NOT_SIMPLE;
  let k = from;
  while (text.charCodeAt(k) === 32) k++;
  if (k < text.length && text.charCodeAt(k) !== 35) throw NOT_SIMPLE;
}

/** A value to the end of its line. */
function scalar(text: string): unknown {
  const c = text[0]!;
  if (c === "'" || c === '"') {
    const [value, end] = quoted(text, 0);
    endsLine(text, end);
    return value;
  }
  if (c === '[') return flowList(text);
  const hash = text.indexOf(' #');
  const plain = (hash === -1 ? text : text.slice(0, hash)).trimEnd();
  if (!plainStart(plain) || plain.includes(': ') || plain.endsWith(':')) throw NOT_SIMPLE;
  return typedPlain(plain);
}

function plainStart(text: string): boolean {
  if (text === '') return false;
  if (!INDICATORS.has(text[0]!)) return true;
  // `-`, `?` and `:` start a plain scalar when something other than a space follows.
  return (text[0] === '-' || text[0] === '?' || text[0] === ':') && text.length > 1 && text[1] !== ' ';
}

/** First characters of the core schema's null, bool, int and float forms; any other is text. */
const TYPED_START = new Set([...'~nNtTfF0123456789+-.']);

function typedPlain(text: string): unknown {
  if (text !== '' && !TYPED_START.has(text[0]!)) return text;
  for (const t of implicitTypes) if (t.resolve(text)) return t.construct(text);
  return text;
}

/** A one-line quoted scalar starting at `from`: its value and the index after its closing quote. */
function quoted(text: string, from: number): [string, number] {
  const q = text[from]!;
  if (q === '"') {
    const close = text.indexOf('"', from + 1);
    if (close === -1) throw NOT_SIMPLE;
    const value = text.slice(from + 1, close);
    if (value.includes('\\')) throw NOT_SIMPLE;
    return [value, close + 1];
  }
  // In single quotes, '' is a quote.
  let out = '';
  let k = from + 1;
  for (;;) {
    const end = text.indexOf("'", k);
    if (end === -1) throw NOT_SIMPLE;
    out += text.slice(k, end);
    if (text[end + 1] !== "'") return [out, end + 1];
    out += "'";
    k = end + 2;
  }
}

/** `[a, 'b', "c"]` on one line: scalars only; nested lists, mappings and empty items are js-yaml's. */
function flowList(text: string): unknown[] {
  const out: unknown[] = [];
  let k = 1;
  const spaces = () => {
    while (text.charCodeAt(k) === 32) k++;
  };
  spaces();
  if (text[k] === ']') {
    endsLine(text, k + 1);
    return out;
  }
  for (;;) {
    spaces();
    const c = text[k];
    if (c === "'" || c === '"') {
      const [value, end] = quoted(text, k);
      out.push(value);
      k = end;
    } else {
      let end = k;
      while (end < text.length && !',[]{}#:'.includes(text[end]!)) end++;
      const item = text.slice(k, end).trimEnd();
      if (!plainStart(item)) throw NOT_SIMPLE;
      out.push(typedPlain(item));
      k = end;
    }
    spaces();
    if (text[k] === ',') {
      k++;
      spaces();
      if (text[k] === ']') throw NOT_SIMPLE;
      continue;
    }
    if (text[k] !== ']') throw NOT_SIMPLE;
    endsLine(text, k + 1);
    return out;
  }
}

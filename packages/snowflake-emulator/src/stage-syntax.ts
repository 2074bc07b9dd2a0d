// A scanner for the file-staging commands (PUT, LIST, REMOVE, COPY INTO, CREATE STAGE, CREATE
// FILE FORMAT). Their syntax does not tokenize as SQL: `file:///tmp/x` holds `//`, and stage
// references like `@db.s.stage/path/` run words, dots and slashes together. So these statements
// are read from their source text here, with Snowflake's `NAME = value` option lists.

import { TranslationError } from './translate.js';

const syntaxError = (detail: string): TranslationError => new TranslationError(`SQL compilation error:\nsyntax error ${detail}`, '001003', '42000');

/** An option value: a string literal, a bare word or number, a list, or nested options. */
export type OptionValue =
  | { kind: 'string'; text: string }
  | { kind: 'word'; text: string }
  | { kind: 'list'; items: OptionValue[] }
  | { kind: 'options'; options: Options };

/** Options by upper-cased name, in the order written. */
export type Options = Map<string, OptionValue>;

/** `@[db.][schema.]name[/path]`, `@~[/path]` or `@[db.][schema.]%table[/path]`. */
export interface StageRef {
  kind: 'named' | 'user' | 'table';
  /** name parts, normalised (unquoted upper-cased) */
  parts: string[];
  /** the path after the stage name, without leading slash ('' for the root) */
  path: string;
}

export class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  private skipSpace(): void {
    for (;;) {
      const rest = this.text.slice(this.pos);
      const m = /^(\s+|--[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
      if (!m) return;
      this.pos += m[0].length;
    }
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length || /^;\s*$/.test(this.text.slice(this.pos));
  }

  peekWord(): string | undefined {
    this.skipSpace();
    const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(this.text.slice(this.pos));
    return m?.[0].toUpperCase();
  }

  /** Consumes the words in order when all match (case-insensitively). */
  accept(...words: string[]): boolean {
    const start = this.pos;
    for (const w of words) {
      if (this.peekWord() !== w) {
        this.pos = start;
        return false;
      }
      this.pos += w.length;
    }
    return true;
  }

  expect(...words: string[]): void {
    if (!this.accept(...words)) throw syntaxError(`line 1 at position ${this.pos} unexpected '${this.snippet()}'. expected ${words.join(' ')}`);
  }

  acceptChar(c: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  expectChar(c: string): void {
    if (!this.acceptChar(c)) throw syntaxError(`line 1 at position ${this.pos} unexpected '${this.snippet()}'. expected '${c}'`);
  }

  snippet(): string {
    return this.text.slice(this.pos, this.pos + 20).split(/\s/)[0] || '<EOF>';
  }

  /** A string literal with Snowflake's escapes ('' and backslash sequences). */
  string(): string | undefined {
    this.skipSpace();
    if (this.text[this.pos] === '$' && this.text[this.pos + 1] === '$') {
      const end = this.text.indexOf('$$', this.pos + 2);
      if (end < 0) throw syntaxError('unterminated string');
      const value = this.text.slice(this.pos + 2, end);
      this.pos = end + 2;
      return value;
    }
    if (this.text[this.pos] !== "'") return undefined;
    let i = this.pos + 1;
    let out = '';
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' };
    for (;;) {
      if (i >= this.text.length) throw syntaxError('unterminated string literal');
      const ch = this.text[i]!;
      if (ch === "'" && this.text[i + 1] === "'") {
        out += "'";
        i += 2;
      } else if (ch === "'") {
        i++;
        break;
      } else if (ch === '\\' && i + 1 < this.text.length) {
        const e = this.text[i + 1]!;
        out += escapes[e] ?? e;
        i += 2;
      } else {
        out += ch;
        i++;
      }
    }
    this.pos = i;
    return out;
  }

  /** A dotted name of quoted or unquoted parts. */
  name(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpace();
      const rest = this.text.slice(this.pos);
      const quoted = /^"((?:[^"]|"")*)"/.exec(rest);
      const bare = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest);
      if (quoted) {
        parts.push(quoted[1]!.replaceAll('""', '"'));
        this.pos += quoted[0].length;
      } else if (bare) {
        parts.push(bare[0].toUpperCase());
        this.pos += bare[0].length;
      } else {
        throw syntaxError(`line 1 at position ${this.pos} unexpected '${this.snippet()}'. expected a name`);
      }
      if (this.text[this.pos] !== '.') return parts;
      this.pos++;
    }
  }

  /** A stage reference, bare or as a string literal ('@stage/path with spaces'). */
  stageRef(): StageRef {
    this.skipSpace();
    const literal = this.text[this.pos] === "'" ? this.string()! : undefined;
    const sub = literal !== undefined ? new Scanner(literal) : this;
    if (!sub.acceptChar('@')) throw syntaxError(`line 1 at position ${this.pos} unexpected '${this.snippet()}'. expected a stage ('@name')`);
    let ref: StageRef;
    if (sub.text[sub.pos] === '~') {
      sub.pos++;
      ref = { kind: 'user', parts: [], path: '' };
    } else {
      const parts: string[] = [];
      let table = false;
      for (;;) {
        if (sub.text[sub.pos] === '%') {
          table = true;
          sub.pos++;
        }
        const rest = sub.text.slice(sub.pos);
        const quoted = /^"((?:[^"]|"")*)"/.exec(rest);
        const bare = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest);
        if (quoted) {
          parts.push(quoted[1]!.replaceAll('""', '"'));
          sub.pos += quoted[0].length;
        } else if (bare) {
          parts.push(bare[0].toUpperCase());
          sub.pos += bare[0].length;
        } else throw syntaxError(`unexpected '${sub.snippet()}' in a stage name`);
        if (sub.text[sub.pos] !== '.') break;
        sub.pos++;
      }
      ref = { kind: table ? 'table' : 'named', parts, path: '' };
    }
    const path = /^\/[^\s;)']*/.exec(sub.text.slice(sub.pos));
    if (path) {
      ref.path = path[0].replace(/^\/+/, '');
      sub.pos += path[0].length;
    }
    return ref;
  }

  /** A value after `NAME =`. */
  value(): OptionValue {
    this.skipSpace();
    const s = this.string();
    if (s !== undefined) return { kind: 'string', text: s };
    if (this.acceptChar('(')) {
      const save = this.pos;
      const word = this.peekWord();
      if (word) {
        this.pos += word.length;
        const isOption = this.acceptChar('=');
        this.pos = save;
        if (isOption) {
          const options = this.options(')');
          this.expectChar(')');
          return { kind: 'options', options };
        }
      }
      const items: OptionValue[] = [];
      while (!this.acceptChar(')')) {
        items.push(this.value());
        this.acceptChar(',');
        if (this.pos >= this.text.length) throw syntaxError("missing ')'");
      }
      return { kind: 'list', items };
    }
    const m = /^[^\s,()=;]+/.exec(this.text.slice(this.pos));
    if (!m) throw syntaxError(`line 1 at position ${this.pos} unexpected '${this.snippet()}'`);
    this.pos += m[0].length;
    return { kind: 'word', text: m[0] };
  }

  /** `NAME = value …` until the end or `stop`; commas between options are allowed. */
  options(stop?: string): Options {
    const out: Options = new Map();
    for (;;) {
      this.acceptChar(',');
      if (this.atEnd()) return out;
      this.skipSpace();
      if (stop && this.text[this.pos] === stop) return out;
      const word = this.peekWord();
      if (!word) throw syntaxError(`line 1 at position ${this.pos} unexpected '${this.snippet()}'`);
      this.pos += word.length;
      this.expectChar('=');
      out.set(word, this.value());
    }
  }
}

/** The text of a scalar option (upper-cased unless it was a string literal). */
export function optionText(v: OptionValue | undefined): string | undefined {
  if (!v) return undefined;
  if (v.kind === 'string') return v.text;
  if (v.kind === 'word') return v.text.toUpperCase();
  return undefined;
}

export function optionBool(v: OptionValue | undefined, fallback: boolean): boolean {
  const t = optionText(v);
  if (t === undefined) return fallback;
  if (/^(TRUE|T|YES|Y|ON|1)$/i.test(t)) return true;
  if (/^(FALSE|F|NO|N|OFF|0)$/i.test(t)) return false;
  throw new TranslationError(`SQL compilation error:\ninvalid value '${t}' for a boolean option`, '002023', '22023');
}

/** Values of an option that takes one string or a list of them (NULL_IF, FILES). */
export function optionList(v: OptionValue | undefined): string[] | undefined {
  if (!v) return undefined;
  if (v.kind === 'list') return v.items.map((i) => (i.kind === 'string' || i.kind === 'word' ? i.text : ''));
  const t = v.kind === 'string' || v.kind === 'word' ? v.text : undefined;
  return t === undefined ? undefined : [t];
}

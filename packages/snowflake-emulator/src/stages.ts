// Internal stages for real: each stage is a folder under the emulator's stage root. PUT is
// answered with the snowflake-sdk's test-only LOCAL_FS location type, so the SDK's own
// file-transfer code copies (and gzips) the client's files into that folder; LIST, REMOVE and
// COPY INTO read it. Temporary stages and file formats belong to their session and go with it.
// Syntax and answers follow https://docs.snowflake.com/en/sql-reference/sql/put,
// …/sql/list, …/sql/remove, …/sql/create-stage and …/sql/create-file-format.

import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fixedColumn, textColumn, type RowSet, type RowType } from './encode.js';
import { optionText, Scanner, type Options, type StageRef } from './stage-syntax.js';
import { TranslationError } from './translate.js';

export interface StageAnswer {
  rowtype: RowType[];
  rowset: RowSet;
  statementTypeId: number;
  /** extra fields of the answer's `data` (PUT's file-transfer instructions) */
  data?: Record<string, unknown>;
}

/** What a stage command needs to know of the session that runs it. */
export interface StageSession {
  id: number;
  /** current database and schema, when they exist */
  database?: string;
  schema?: string;
}

export interface Stage {
  /** DATABASE.SCHEMA.NAME as stored */
  key: string;
  name: string;
  dir: string;
  temporary: boolean;
  sessionId?: number;
  fileFormat: Options;
  copyOptions: Options;
}

export interface FileFormat {
  key: string;
  temporary: boolean;
  sessionId?: number;
  options: Options;
}

export interface StagedFile {
  /** path relative to the stage root, with '/' */
  rel: string;
  abs: string;
  size: number;
  mtime: Date;
}

const STATUS_TYPE = 0x6000;
const RESULT_TYPE = 0x1000;

export const sqlError = (code: string, sqlState: string, message: string): TranslationError => new TranslationError(message, code, sqlState);
const unsupported = (what: string): TranslationError => new TranslationError(`Unsupported feature '${what}' (not emulated).`, '002000', '0A000');
const status = (message: string): StageAnswer => ({ rowtype: [textColumn('status')], rowset: [[message]], statementTypeId: STATUS_TYPE });

/** A regular expression of Snowflake's PATTERN option: it must match the whole path. */
export function patternMatcher(pattern: string | undefined): (rel: string) => boolean {
  if (pattern === undefined) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch {
    throw sqlError('100048', '2201B', `Invalid regular expression '${pattern}'`);
  }
  return (rel) => re.test(rel);
}

export class StageStore {
  private readonly stages = new Map<string, Stage>();
  private readonly formats = new Map<string, FileFormat>();
  /** table identity → staged file (name and checksum) → loaded: COPY's load metadata */
  readonly loaded = new Map<string, Set<string>>();

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  private qualify(session: StageSession, parts: string[], what: string): string[] {
    if (parts.length === 3) return parts;
    if (parts.length === 2) {
      if (!session.database) throw noDatabase(what);
      return [session.database, ...parts];
    }
    if (!session.database || !session.schema) throw noDatabase(what);
    return [session.database, session.schema, parts[0]!];
  }

  private scopedKey(key: string, sessionId: number): string {
    return `${sessionId}:${key}`;
  }

  stage(session: StageSession, ref: StageRef): Stage {
    if (ref.kind === 'user') return this.userStage(session);
    if (ref.kind === 'table') throw unsupported('table stages (@%table)');
    const key = this.qualify(session, ref.parts, 'stage').join('.');
    const found = this.stages.get(this.scopedKey(key, session.id)) ?? this.stages.get(key);
    if (!found) throw sqlError('002003', '02000', `SQL compilation error:\nStage '${key}' does not exist or not authorized.`);
    return found;
  }

  /** `@~`: one per emulator user session, kept for the emulator's life. */
  private userStage(session: StageSession): Stage {
    const key = `~${session.id}`;
    let s = this.stages.get(key);
    if (!s) {
      s = { key: '~', name: '~', dir: path.join(this.root, 'user'), temporary: false, fileFormat: new Map(), copyOptions: new Map() };
      mkdirSync(s.dir, { recursive: true });
      this.stages.set(key, s);
    }
    return s;
  }

  fileFormat(session: StageSession, name: string): Options {
    const parts = name.split('.').map((p) => (/^".*"$/.test(p) ? p.slice(1, -1) : p.toUpperCase()));
    const key = this.qualify(session, parts, 'file format').join('.');
    const found = this.formats.get(this.scopedKey(key, session.id)) ?? this.formats.get(key);
    if (!found) throw sqlError('002003', '02000', `SQL compilation error:\nFile format '${key}' does not exist or not authorized.`);
    return found.options;
  }

  /** Files under `prefix` in a stage, sorted by path. */
  files(stage: Stage, prefix: string): StagedFile[] {
    const out: StagedFile[] = [];
    const walk = (dir: string, rel: string): void => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs, r);
        else if (e.isFile()) {
          const st = statSync(abs);
          out.push({ rel: r, abs, size: st.size, mtime: st.mtime });
        }
      }
    };
    walk(stage.dir, '');
    return out.filter((f) => f.rel.startsWith(prefix)).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }

  /** The name LIST and COPY show for a staged file: `<stage name in lower case>/<path>`. */
  displayName(stage: Stage, rel: string): string {
    return stage.name === '~' ? rel : `${stage.name.toLowerCase()}/${rel}`;
  }

  /** Drops the temporary stages and file formats of a session that ended. */
  endSession(sessionId: number): void {
    for (const [k, s] of this.stages) {
      if (s.temporary && s.sessionId === sessionId) {
        rmSync(s.dir, { recursive: true, force: true });
        this.stages.delete(k);
      }
    }
    for (const [k, f] of this.formats) if (f.temporary && f.sessionId === sessionId) this.formats.delete(k);
  }

  /** Every file in every stage (for tests: what is left behind). */
  allFiles(): { stage: string; temporary: boolean; file: string; size: number }[] {
    const out: { stage: string; temporary: boolean; file: string; size: number }[] = [];
    for (const s of this.stages.values()) for (const f of this.files(s, '')) out.push({ stage: s.key, temporary: s.temporary, file: f.rel, size: f.size });
    return out;
  }

  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  // --- commands ---------------------------------------------------------------

  /** CREATE [OR REPLACE] [TEMPORARY] STAGE | FILE FORMAT, DROP STAGE | FILE FORMAT. */
  ddl(session: StageSession, source: string): StageAnswer {
    const s = new Scanner(source);
    if (s.accept('DROP')) {
      const format = s.accept('FILE', 'FORMAT');
      if (!format) s.expect('STAGE');
      const ifExists = s.accept('IF', 'EXISTS');
      const parts = this.qualify(session, s.name(), format ? 'file format' : 'stage');
      const key = parts.join('.');
      const map: Map<string, Stage | FileFormat> = format ? this.formats : this.stages;
      const k = map.has(this.scopedKey(key, session.id)) ? this.scopedKey(key, session.id) : key;
      const found = map.get(k);
      if (!found) {
        if (ifExists) return status(`Drop statement executed successfully (${parts[2]} already dropped).`);
        throw sqlError('002003', '02000', `SQL compilation error:\n${format ? 'File format' : 'Stage'} '${key}' does not exist or not authorized.`);
      }
      if (!format) rmSync((found as Stage).dir, { recursive: true, force: true });
      map.delete(k);
      return status(`${parts[2]} successfully dropped.`);
    }
    s.expect('CREATE');
    const orReplace = s.accept('OR', 'REPLACE');
    let temporary = false;
    for (;;) {
      if (s.accept('TEMPORARY') || s.accept('TEMP')) temporary = true;
      else if (!(s.accept('LOCAL') || s.accept('GLOBAL') || s.accept('VOLATILE') || s.accept('TRANSIENT'))) break;
    }
    const format = s.accept('FILE', 'FORMAT');
    if (!format) s.expect('STAGE');
    const ifNotExists = s.accept('IF', 'NOT', 'EXISTS');
    const parts = this.qualify(session, s.name(), format ? 'file format' : 'stage');
    const key = parts.join('.');
    const options = s.options();
    const mapKey = temporary ? this.scopedKey(key, session.id) : key;
    const map: Map<string, Stage | FileFormat> = format ? this.formats : this.stages;
    const existing = map.get(mapKey);
    if (existing && !orReplace) {
      if (ifNotExists) return status(`${parts[2]} already exists, statement succeeded.`);
      throw sqlError('002002', '42710', `SQL compilation error:\nObject '${parts[2]}' already exists.`);
    }
    if (format) {
      const known = new Set([...CSV_OPTIONS, ...PARQUET_OPTIONS, 'TYPE', 'COMMENT']);
      for (const name of options.keys()) if (!known.has(name)) throw invalidFormatOption(name);
      this.formats.set(mapKey, { key, temporary, ...(temporary ? { sessionId: session.id } : {}), options });
      return status(`File format ${parts[2]} successfully created.`);
    }
    if (options.has('URL')) throw unsupported('external stages (URL =)');
    const fileFormat = options.get('FILE_FORMAT');
    const copyOptions = options.get('COPY_OPTIONS');
    if (existing) rmSync((existing as Stage).dir, { recursive: true, force: true });
    const dir = path.join(this.root, randomUUID());
    mkdirSync(dir, { recursive: true });
    this.stages.set(mapKey, {
      key,
      name: parts[2]!,
      dir,
      temporary,
      ...(temporary ? { sessionId: session.id } : {}),
      fileFormat: fileFormat?.kind === 'options' ? fileFormat.options : new Map(),
      copyOptions: copyOptions?.kind === 'options' ? copyOptions.options : new Map(),
    });
    return status(`Stage area ${parts[2]} successfully created.`);
  }

  /**
   * PUT file://<path> @stage[/path]: answered with where the client is to write the files; the
   * snowflake-sdk copies them there itself (LOCAL_FS), compressing them when AUTO_COMPRESS says so.
   */
  put(session: StageSession, source: string): StageAnswer {
    const s = new Scanner(source);
    s.expect('PUT');
    const quoted = s.string();
    let file: string;
    if (quoted !== undefined) file = quoted;
    else {
      const m = /^\s*(\S+)/.exec(source.slice(s.pos));
      if (!m) throw sqlError('001003', '42000', 'SQL compilation error:\nsyntax error: PUT needs a file:// URI');
      file = m[1]!;
      s.pos += m[0].length;
    }
    if (!/^file:\/\//i.test(file)) throw sqlError('001003', '42000', `SQL compilation error:\nsyntax error line 1 at position 4 unexpected '${file}'.`);
    const ref = s.stageRef();
    const stage = this.stage(session, ref);
    const options = s.options();
    for (const name of options.keys()) {
      if (!['PARALLEL', 'AUTO_COMPRESS', 'SOURCE_COMPRESSION', 'OVERWRITE'].includes(name)) {
        throw sqlError('001003', '42000', `SQL compilation error:\ninvalid parameter '${name}'`);
      }
    }
    const parallel = Number(optionText(options.get('PARALLEL')) ?? 4);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 99)
      throw sqlError('002029', '22023', `SQL compilation error:\ninvalid value [${parallel}] for parameter 'PARALLEL'`);
    const target = path.join(stage.dir, ref.path.replace(/\/+$/, ''));
    mkdirSync(target, { recursive: true });
    const local = decodeURI(file.replace(/^file:\/\//i, ''));
    return {
      rowtype: [textColumn('source')],
      rowset: [],
      statementTypeId: RESULT_TYPE,
      data: {
        command: 'UPLOAD',
        src_locations: [local],
        autoCompress: optionBoolean(options, 'AUTO_COMPRESS', true),
        sourceCompression: (optionText(options.get('SOURCE_COMPRESSION')) ?? 'AUTO_DETECT').toLowerCase(),
        parallel,
        overwrite: optionBoolean(options, 'OVERWRITE', false),
        stageInfo: { locationType: 'LOCAL_FS', location: target, path: ref.path, region: null, creds: {}, isClientSideEncrypted: false },
        encryptionMaterial: null,
        presignedUrls: [],
      },
    };
  }

  /** LIST (LS) @stage[/path] [PATTERN = '…']: name, size, md5, last_modified. */
  list(session: StageSession, source: string): StageAnswer {
    const s = new Scanner(source);
    if (!s.accept('LIST')) s.expect('LS');
    const ref = s.stageRef();
    const stage = this.stage(session, ref);
    const options = s.options();
    const match = patternMatcher(optionText(options.get('PATTERN')));
    const rows = this.files(stage, ref.path)
      .filter((f) => match(this.displayName(stage, f.rel)) || match(f.rel))
      .map((f) => [this.displayName(stage, f.rel), String(f.size), createHash('md5').update(readFileSync(f.abs)).digest('hex'), f.mtime.toUTCString()]);
    return {
      rowtype: [textColumn('name'), fixedColumn('size'), textColumn('md5'), textColumn('last_modified')],
      rowset: rows,
      statementTypeId: RESULT_TYPE,
    };
  }

  /** REMOVE (RM) @stage[/path] [PATTERN = '…']: name, result. */
  remove(session: StageSession, source: string): StageAnswer {
    const s = new Scanner(source);
    if (!s.accept('REMOVE')) s.expect('RM');
    const ref = s.stageRef();
    const stage = this.stage(session, ref);
    const options = s.options();
    const match = patternMatcher(optionText(options.get('PATTERN')));
    const rows: string[][] = [];
    for (const f of this.files(stage, ref.path)) {
      if (!match(this.displayName(stage, f.rel)) && !match(f.rel)) continue;
      rmSync(f.abs, { force: true });
      rows.push([this.displayName(stage, f.rel), 'removed']);
    }
    return { rowtype: [textColumn('name'), textColumn('result')], rowset: rows, statementTypeId: RESULT_TYPE };
  }
}

function optionBoolean(options: Options, name: string, fallback: boolean): boolean {
  const t = optionText(options.get(name));
  if (t === undefined) return fallback;
  if (/^TRUE$/i.test(t)) return true;
  if (/^FALSE$/i.test(t)) return false;
  throw sqlError('002029', '22023', `SQL compilation error:\ninvalid value [${t}] for parameter '${name}'`);
}

const noDatabase = (what: string): TranslationError =>
  sqlError(
    '090105',
    '22000',
    `Cannot perform operation on ${what}. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.`,
  );

export const invalidFormatOption = (name: string): TranslationError =>
  sqlError('001003', '42000', `SQL compilation error:\ninvalid file format option '${name}'`);

/** CSV format options (https://docs.snowflake.com/en/sql-reference/sql/create-file-format). */
export const CSV_OPTIONS = [
  'COMPRESSION',
  'RECORD_DELIMITER',
  'FIELD_DELIMITER',
  'PARSE_HEADER',
  'SKIP_HEADER',
  'SKIP_BLANK_LINES',
  'DATE_FORMAT',
  'TIME_FORMAT',
  'TIMESTAMP_FORMAT',
  'BINARY_FORMAT',
  'ESCAPE',
  'ESCAPE_UNENCLOSED_FIELD',
  'TRIM_SPACE',
  'FIELD_OPTIONALLY_ENCLOSED_BY',
  'NULL_IF',
  'ERROR_ON_COLUMN_COUNT_MISMATCH',
  'REPLACE_INVALID_CHARACTERS',
  'EMPTY_FIELD_AS_NULL',
  'SKIP_BYTE_ORDER_MARK',
  'ENCODING',
  'FILE_EXTENSION',
];
/** Parquet format options (same page). */
export const PARQUET_OPTIONS = [
  'COMPRESSION',
  'BINARY_AS_TEXT',
  'USE_LOGICAL_TYPE',
  'TRIM_SPACE',
  'USE_VECTORIZED_SCANNER',
  'REPLACE_INVALID_CHARACTERS',
  'NULL_IF',
];

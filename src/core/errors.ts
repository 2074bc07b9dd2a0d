/** Where in a project file something happened. Lines and columns are 1-based. */
export interface SourceLocation {
  /** Path relative to the project directory (or absolute when outside it). */
  file: string;
  line?: number;
  column?: number;
}

export type ErrorKind = 'project' | 'yaml' | 'template' | 'graph' | 'seed' | 'source' | 'database' | 'connection' | 'usage' | 'selection' | 'vars' | 'contract';

/** A mistake in the user's project or command line: printed without a stack. */
export class ProjectError extends Error {
  readonly kind: ErrorKind;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;
  /** A few numbered lines of source around the location, when known. */
  readonly frame: string | undefined;

  constructor(kind: ErrorKind, message: string, opts: { location?: SourceLocation; hint?: string; source?: string } = {}) {
    super(message);
    this.name = 'ProjectError';
    this.kind = kind;
    this.location = opts.location;
    this.hint = opts.hint;
    this.frame = opts.source !== undefined && opts.location?.line !== undefined ? codeFrame(opts.source, opts.location.line, opts.location.column) : undefined;
  }

  /** `file:line:col: error [kind]: message` */
  get headline(): string {
    const loc = this.location;
    const where = loc
      ? `${loc.file}${loc.line !== undefined ? `:${loc.line}` : ''}${loc.line !== undefined && loc.column !== undefined ? `:${loc.column}` : ''}: `
      : '';
    return `${where}error [${this.kind}]: ${this.message}`;
  }
}

/**
 * A node's compile failed in a referenced ephemeral model: the node is skipped, and the run fails,
 * as dbt's BaseRunner.on_skip reports it ("Compilation Error in model X, caused by compilation
 * error in referenced ephemeral model Y"). Location and frame are the ephemeral model's.
 */
export class UpstreamCompileError extends ProjectError {
  readonly upstream: string;
  constructor(upstream: string, inner: ProjectError, message: string, source: string | undefined) {
    super(inner.kind, message, { location: inner.location, hint: inner.hint, source });
    this.upstream = upstream;
  }
}

/** Several project errors found in one pass (loading, rendering, graph checks). */
export class ProjectErrors extends Error {
  readonly errors: ProjectError[];
  constructor(errors: ProjectError[]) {
    super(errors.map((e) => e.headline).join('\n'));
    this.name = 'ProjectErrors';
    this.errors = errors;
  }
}

/** A broken invariant inside the engine: printed with its stack, as a bug. */
export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InternalError';
  }
}

export function isUserError(e: unknown): e is ProjectError | ProjectErrors {
  return e instanceof ProjectError || e instanceof ProjectErrors;
}

/** Throws all collected errors at once, if there are any. */
export function throwIfAny(errors: ProjectError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ProjectErrors(errors);
}

export function codeFrame(source: string, line: number, column?: number, context = 2): string {
  const lines = source.split(/\r?\n/);
  const start = Math.max(1, line - context);
  const end = Math.min(lines.length, line + context);
  const width = String(end).length;
  const out: string[] = [];
  for (let n = start; n <= end; n++) {
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`);
    if (n === line && column !== undefined && column > 0) {
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(column - 1)}^`);
    }
  }
  return out.join('\n');
}

/** 1-based line and column of a character offset. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

import { isUserError, type ProjectError, ProjectErrors } from '../core/errors.js';
import type { Node } from '../parse/nodes.js';
import type { Reporter } from '../execute/reporter.js';
import { countByStatus, INTERRUPTED_MESSAGE, type NodeResult, type RunSummary } from '../execute/results.js';
import { redact } from '../core/secrets.js';

type Stream = { write(s: string): unknown; isTTY?: boolean };

const LINE_WIDTH = 80;

/** dbt's log levels, lowest first; `none` prints no log at all (command output still prints). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'none'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ReporterOptions {
  /** `-q/--quiet`: errors only (and what the command prints, such as `ls` or `show` rows). */
  quiet?: boolean;
  color?: boolean;
  level?: LogLevel;
}

/** Owns all terminal output of the CLI. */
export class CliReporter implements Reporter {
  protected readonly color: boolean;
  /** The log level in effect (`--log-level`, `-q`, `-d` and their DBT_* variables). */
  readonly level: LogLevel;
  constructor(
    protected readonly out: Stream = process.stdout,
    protected readonly err: Stream = process.stderr,
    opts: ReporterOptions = {},
  ) {
    this.color = opts.color ?? (!!out.isTTY && !process.env.NO_COLOR);
    this.level = opts.quiet ? 'error' : (opts.level ?? 'info');
  }

  /** Whether a log line of `level` is shown. */
  protected shows(level: Exclude<LogLevel, 'none'>): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }

  private paint(code: number, s: string): string {
    return this.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  private stamp(): string {
    return new Date().toTimeString().slice(0, 8);
  }

  print(line = ''): void {
    this.out.write(`${redact(line)}\n`);
  }

  info(message: string): void {
    if (this.shows('info')) this.err.write(`${redact(message)}\n`);
  }

  warn(message: string): void {
    if (this.shows('warn')) this.err.write(`${this.paint(33, 'warning')}: ${redact(message)}\n`);
  }

  protected describe(node: Node): string {
    const rel = node.relation ? `${node.relation.schema}.${node.relation.identifier}` : node.name;
    switch (node.resourceType) {
      case 'model':
        return `${node.materialized} model ${rel}`;
      case 'seed':
        return `seed file ${rel}`;
      case 'snapshot':
        return `snapshot ${rel}`;
      case 'source':
        return `source file ${rel}`;
      case 'test':
        return `test ${node.name}`;
      case 'unit_test':
        // dbt's describe_node_name: model::test
        return `unit_test ${node.model}::${node.name}`;
    }
  }

  private dots(left: string, right: string): string {
    const pad = Math.max(3, LINE_WIDTH - left.length - right.length);
    return `${left} ${'.'.repeat(pad - 2)} ${right}`;
  }

  nodeStarted(node: Node, index: number, total: number): void {
    if (!this.shows('info')) return;
    this.print(this.dots(`${this.stamp()}  ${index} of ${total} START ${this.describe(node)}`, '[RUN]'));
  }

  nodeFinished(r: NodeResult, index: number, total: number): void {
    if (!this.shows('info') && r.status !== 'error' && r.status !== 'fail' && r.status !== 'partial success') return;
    const secs = ((r.completedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(2);
    const what = this.describe(r.node);
    let label: string;
    let right: string;
    switch (r.status) {
      case 'success':
        label = this.paint(32, 'OK');
        right = `[${this.paint(32, r.message || 'OK')} in ${secs}s]`;
        break;
      case 'pass':
        label = this.paint(32, 'PASS');
        right = `[${this.paint(32, 'PASS')} in ${secs}s]`;
        break;
      case 'warn':
        label = this.paint(33, 'WARN');
        right = `[${this.paint(33, `WARN ${r.failures ?? ''}`.trim())} in ${secs}s]`;
        break;
      case 'fail':
        label = this.paint(31, 'FAIL');
        right = `[${this.paint(31, `FAIL ${r.failures ?? ''}`.trim())} in ${secs}s]`;
        break;
      case 'error':
        label = this.paint(31, 'ERROR');
        right = `[${this.paint(31, 'ERROR')} in ${secs}s]`;
        break;
      case 'partial success':
        label = this.paint(31, 'PARTIAL');
        right = `[${this.paint(31, r.message)} in ${secs}s]`;
        break;
      case 'skipped':
        label = this.paint(33, 'SKIP');
        right = `[${this.paint(33, 'SKIP')}]`;
        break;
    }
    this.print(this.dots(`${this.stamp()}  ${index} of ${total} ${label} ${what}`, right));
  }

  runFinished(summary: RunSummary): void {
    const c = countByStatus(summary.results);
    const problems = summary.results.filter(
      (r) =>
        r.status === 'error' ||
        r.status === 'fail' ||
        r.status === 'warn' ||
        r.status === 'partial success' ||
        (r.status === 'skipped' && r.error !== undefined),
    );
    if (!this.shows('info')) {
      // Quiet: the failures only, each with its message.
      for (const p of problems.filter((r) => r.status !== 'warn' || this.shows('warn'))) {
        this.print(`${p.status === 'warn' ? 'Warning' : p.status === 'fail' ? 'Failure' : 'Error'} in ${p.node.resourceType} ${p.node.name} (${p.node.file})`);
        if (p.error) this.printError(p.error, '  ', this.out);
        else this.print(`  ${p.message}`);
        for (const d of p.details ?? []) this.print(`  ${d}`);
      }
      return;
    }
    this.print();
    this.print(`Finished running ${summary.results.length} node${summary.results.length === 1 ? '' : 's'} in ${summary.elapsedSeconds.toFixed(2)}s.`);
    const cancelled = summary.results.filter((r) => r.status === 'error' && r.message.startsWith(INTERRUPTED_MESSAGE));
    if (summary.interrupted) this.printInterruption(summary, cancelled);
    const reported = problems.filter((p) => !cancelled.includes(p));
    if (reported.length) {
      const errors = reported.filter((p) => p.status !== 'warn').length;
      const warns = reported.length - errors;
      this.print();
      this.print(
        `${errors ? this.paint(31, `Completed with ${errors} error${errors === 1 ? '' : 's'}`) : this.paint(33, 'Completed with warnings')} and ${warns} warning${warns === 1 ? '' : 's'}:`,
      );
      for (const p of reported) {
        this.print();
        const kind = p.status === 'warn' ? 'Warning' : p.status === 'fail' ? 'Failure' : p.status === 'partial success' ? `${p.message}, error` : 'Error';
        this.print(`  ${kind} in ${p.node.resourceType} ${p.node.name} (${p.node.file})`);
        if (p.error) this.printError(p.error, '    ', this.out);
        else this.print(`    ${p.message}`);
        for (const d of p.details ?? []) this.print(`    ${d}`);
      }
    } else if (!summary.interrupted) {
      this.print(this.paint(32, 'Completed successfully'));
    }
    this.print();
    this.print(
      `Done. PASS=${c.success + c.pass} WARN=${c.warn} ERROR=${c.error + c.fail + c['partial success']} SKIP=${c.skipped} TOTAL=${summary.results.length}`,
    );
  }

  /** After Ctrl-C: what was done, what was cancelled while running, what never started. */
  private printInterruption(summary: RunSummary, cancelled: NodeResult[]): void {
    // Models, seeds and sources by name; data tests only counted, they are many and rebuild nothing.
    const names = (rs: NodeResult[]) => {
      const built = rs.filter((r) => r.node.resourceType !== 'test' && r.node.resourceType !== 'unit_test').map((r) => r.node.name);
      const tests = rs.length - built.length;
      return [...built, ...(tests ? [`${tests} data test${tests === 1 ? '' : 's'}`] : [])].join(', ');
    };
    const done = summary.results.filter((r) => r.status !== 'skipped' && r.status !== 'error');
    const failed = summary.results.filter((r) => r.status === 'error' && !cancelled.includes(r));
    const notStarted = summary.results.filter((r) => r.status === 'skipped');
    this.print(this.paint(33, 'Interrupted: no new node was started and running queries were cancelled.'));
    this.print(`  done (${done.length}): ${names(done) || 'nothing'}`);
    if (failed.length) this.print(`  failed (${failed.length}): ${names(failed)}`);
    this.print(`  cancelled while running, previous tables kept (${cancelled.length}): ${names(cancelled) || 'none'}`);
    this.print(`  not started (${notStarted.length}): ${names(notStarted) || 'none'}`);
  }

  /** A user error: file:line headline, code frame, hint. No stack. */
  printError(e: ProjectError, indent = '', stream: Stream = this.err): void {
    const lines = [e.headline, ...(e.frame ? e.frame.split('\n') : []), ...(e.hint ? [`hint: ${e.hint}`] : [])];
    for (const l of lines) stream.write(`${indent}${redact(l)}\n`);
  }

  /** Prints whatever was thrown; returns the exit code it deserves. */
  fatal(e: unknown): number {
    if (e instanceof ProjectErrors) {
      for (const x of e.errors) this.printError(x);
      this.err.write(`${e.errors.length} errors found; nothing was run.\n`);
      return 2;
    }
    if (isUserError(e)) {
      this.printError(e as ProjectError);
      return 2;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    this.err.write(`internal error (a bug in model, please report it): ${redact(err.message)}\n${redact(err.stack ?? '')}\n`);
    return 3;
  }
}

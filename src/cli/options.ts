import type { Command } from 'commander';
import { ProjectError } from '../core/errors.js';
import type { RunOptions } from '../tasks/session.js';
import type { CliReporter } from './reporter.js';

/** What every command's action receives besides its flags. */
export interface CliContext {
  reporter: CliReporter;
  setExitCode(code: number): void;
}

export interface CommonFlags {
  projectDir?: string;
  target?: string;
  vars?: string;
  profilesDir?: string;
  threads?: string;
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  failFast?: boolean;
  /** false with `--no-partial-parse`. */
  partialParse?: boolean;
}

/** Options every project command takes. */
export function common(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'the project folder (default: the current folder)')
    .option('-t, --target <name>', 'the target (output) of the profile to use')
    .option('--vars <yaml>', "project vars as YAML or JSON, e.g. '{countries: [Peru]}'")
    .option('--profiles-dir <dir>', 'the folder holding profiles.yml')
    .option('--threads <n>', 'how many nodes to run at once')
    .option('--no-partial-parse', 'parse and render every file again, ignoring the parse cache in target/ (also DBT_PARTIAL_PARSE=false)');
}

/** dbt's node selection flags. */
export function selection(cmd: Command): Command {
  return cmd
    .option('-s, --select <selector...>', 'nodes to include: name, +name, name+, tag:x, path:models/stage, …')
    .option('--exclude <selector...>', 'nodes to leave out');
}

export function toOptions(flags: CommonFlags, reporter: CliReporter): RunOptions {
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new ProjectError('usage', `--threads must be a whole number from 1, got '${flags.threads}'`);
  }
  return {
    projectDir: flags.projectDir,
    target: flags.target,
    vars: flags.vars,
    profilesDir: flags.profilesDir,
    threads,
    select: flags.select,
    exclude: flags.exclude,
    fullRefresh: flags.fullRefresh,
    failFast: flags.failFast,
    partialParse: flags.partialParse,
    reporter,
  };
}

/**
 * Runs `fn` with an AbortSignal that Ctrl-C and SIGTERM (a cancelled CI job, `docker stop`)
 * trigger: running queries are cancelled and no new node starts.
 */
export async function withInterrupts<T>(reporter: CliReporter, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    reporter.info('\nInterrupted: cancelling running queries, starting nothing new… (press Ctrl-C again to stop at once)');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

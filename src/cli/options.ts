import { type Command, Option } from 'commander';
import { ProjectError } from '../core/errors.js';
import { INDIRECT_SELECTION, type IndirectSelection } from '../graph/selection.js';
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
  /** `-m/--models`: dbt's older name of --select. */
  models?: string[];
  exclude?: string[];
  /** `--selector NAME`: a selection of selectors.yml. */
  selector?: string;
  indirectSelection?: IndirectSelection;
  fullRefresh?: boolean;
  failFast?: boolean;
  /** false with `--no-partial-parse`. */
  partialParse?: boolean;
  state?: string;
  defer?: boolean;
  favorState?: boolean;
  strictUndefined?: boolean;
  storeFailures?: boolean;
  empty?: boolean;
  eventTimeStart?: string;
  eventTimeEnd?: string;
  resourceType?: string[];
  excludeResourceType?: string[];
}

/** Options every project command takes. */
export function common(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'the project folder (default: the current folder)')
    .option('-t, --target <name>', 'the target (output) of the profile to use')
    .option('--vars <yaml>', "project vars as YAML or JSON, e.g. '{countries: [Peru]}'")
    .option('--profiles-dir <dir>', 'the folder holding profiles.yml')
    .option('--threads <n>', 'how many nodes to run at once')
    .option('--strict-undefined', "printing an undefined name, attribute or key is an error, not a warning and '' as in dbt")
    .option('--no-partial-parse', 'parse and render every file again, ignoring the parse cache in target/ (also DBT_PARTIAL_PARSE=false)');
}

const RESOURCE_TYPES = ['model', 'seed', 'snapshot', 'source', 'test', 'unit_test'];

/** dbt's --resource-type / --exclude-resource-type (build and test): which kinds of selected nodes run. */
export function resourceTypeFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--resource-type <type...>', 'run only the selected nodes of these types').choices(RESOURCE_TYPES))
    .addOption(new Option('--exclude-resource-type <type...>', 'leave out the selected nodes of these types (e.g. unit_test)').choices(RESOURCE_TYPES));
}

/** dbt's node selection flags. */
export function selection(cmd: Command): Command {
  return cmd
    .option('-s, --select <selector...>', 'nodes to include: name, +name, name+, tag:x, path:models/stage, …')
    .option('-m, --models <selector...>', "the same as --select (dbt's older name)")
    .option('--exclude <selector...>', 'nodes to leave out')
    .option('--selector <name>', 'a named selection of selectors.yml (used instead of --select and --exclude)')
    .addOption(
      new Option(
        '--indirect-selection <mode>',
        'which tests come along with the selected nodes: when any parent is selected (eager), all (cautious), all or their ancestors (buildable), none (empty)',
      )
        .choices([...INDIRECT_SELECTION])
        .env('DBT_INDIRECT_SELECTION'),
    )
    .option('--state <dir>', "an earlier run's artifacts (manifest.json, run_results.json) for state:modified, state:new, result:<status> and --defer")
    .option('--defer', "read unselected parents that this target has not built from the --state manifest's relations")
    .option('--favor-state', 'with --defer: read the --state relations even where this target has built the parent');
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
    select: flags.select || flags.models ? [...(flags.select ?? []), ...(flags.models ?? [])] : undefined,
    exclude: flags.exclude,
    selector: flags.selector,
    indirectSelection: flags.indirectSelection,
    fullRefresh: flags.fullRefresh,
    failFast: flags.failFast,
    partialParse: flags.partialParse,
    state: flags.state,
    defer: flags.defer || process.env.DBT_DEFER === '1' || process.env.DBT_DEFER === 'true' || undefined,
    favorState: flags.favorState || process.env.DBT_FAVOR_STATE === '1' || process.env.DBT_FAVOR_STATE === 'true' || undefined,
    strictUndefined: flags.strictUndefined,
    storeFailures: flags.storeFailures,
    empty: flags.empty,
    eventTime: eventTimeRange(flags),
    resourceTypes: flags.resourceType,
    excludeResourceTypes: flags.excludeResourceType,
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

/** dbt's --event-time-start / --event-time-end: both or neither, start before end, UTC unless a zone is given. */
function eventTimeRange(flags: CommonFlags): { start: Date; end: Date } | undefined {
  if (flags.eventTimeStart === undefined && flags.eventTimeEnd === undefined) return undefined;
  if (flags.eventTimeStart === undefined || flags.eventTimeEnd === undefined) {
    throw new ProjectError('usage', '--event-time-start and --event-time-end go together', {
      hint: "give both, e.g. --event-time-start 2024-01-01 --event-time-end '2024-01-03 12:00:00'",
    });
  }
  const parse = (flag: string, text: string) => {
    const iso = text.trim().replace(' ', 'T');
    const d = new Date(/T/.test(iso) && !/([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? `${iso}Z` : iso);
    if (Number.isNaN(d.getTime()))
      throw new ProjectError('usage', `${flag} '${text}' is not a date or timestamp`, { hint: "write it as 2024-01-01 or '2024-01-01 06:00:00'" });
    return d;
  };
  const start = parse('--event-time-start', flags.eventTimeStart);
  const end = parse('--event-time-end', flags.eventTimeEnd);
  if (start >= end) throw new ProjectError('usage', '--event-time-start must be before --event-time-end');
  return { start, end };
}

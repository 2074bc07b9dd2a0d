/**
 * The CLI's entry and its public surface: `runCli`, and what a command added from outside the
 * engine needs (the segmentation app adds `model serve` this way; see app/main.ts). Outside
 * src/, import the CLI only from this file.
 */
import { Command, CommanderError } from 'commander';
import { ENGINE_VERSION } from '../execute/artifacts.js';
import { setInvocation } from '../core/invocation.js';
import { CliReporter } from './reporter.js';
import { JsonLogReporter } from './json-log-reporter.js';
import { takeGlobalFlags } from './global-flags.js';
import { COMMANDS, type CliCommand } from './commands/index.js';

export type { CliCommand } from './commands/index.js';
export { common, toOptions } from './options.js';
export type { CliContext, CommonFlags } from './options.js';
export type { CliReporter } from './reporter.js';

export interface CliOptions {
  /** Where output goes (default stdout). */
  out?: NodeJS.WritableStream;
  /** Where messages and errors go (default stderr). */
  err?: NodeJS.WritableStream;
  /** Commands to add after the engine's own, each registered as they are (`program.command(...)`). */
  commands?: readonly CliCommand[];
}

/**
 * A reader that stops early (`model profile x | head`) closes the pipe: stop quietly, as Unix
 * tools do, rather than print a stack for the write that found it closed.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
}

/** Runs the CLI and returns its exit code: 0 ok, 1 a node or test failed, 2 usage or project error. */
export async function runCli(argv: string[], io: CliOptions = {}): Promise<number> {
  const out = (io.out ?? process.stdout) as NodeJS.WriteStream;
  const err = (io.err ?? process.stderr) as NodeJS.WriteStream;
  if (!io.out) quietOnClosedPipe(process.stdout);
  let globals: ReturnType<typeof takeGlobalFlags>;
  try {
    globals = takeGlobalFlags(argv);
  } catch (e) {
    return new CliReporter(out, err).fatal(e);
  }
  const { logFormat, ...reporterOptions } = globals.flags;
  const reporter = logFormat === 'json' ? new JsonLogReporter(out, err, reporterOptions) : new CliReporter(out, err, reporterOptions);
  const program = new Command('model')
    .description('A fast engine for dbt-style SQL modeling projects')
    .version(ENGINE_VERSION, '-v, --version')
    // Taken out of the arguments before parsing (they may stand after the command too); listed here for --help.
    .option('--log-format <format>', "text, or json: one JSON object per event, with dbt's field names (DBT_LOG_FORMAT)")
    .option('--log-level <level>', 'debug, info, warn, error or none (DBT_LOG_LEVEL)')
    .option('-q, --quiet', 'errors only, and what the command prints (DBT_QUIET)')
    .option('--no-color', 'no colours (NO_COLOR)')
    .option('-d, --debug', 'log at debug level (DBT_DEBUG)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out.write(s),
      writeErr: (s) => err.write(s),
    });
  let code = 0;
  const ctx = {
    reporter,
    setExitCode: (c: number) => {
      code = c;
    },
  };
  for (const register of [...COMMANDS, ...(io.commands ?? [])]) register(program, ctx);
  // dbt's `flags` in templates: the command and the flags it was given.
  program.hook('preAction', (_program, action) => {
    const o = action.opts() as { fullRefresh?: boolean; storeFailures?: boolean; empty?: boolean; failFast?: boolean; threads?: string };
    const which = action.parent && action.parent !== program ? `${action.parent.name()} ${action.name()}` : action.name();
    setInvocation({
      which: which === 'docs generate' ? 'generate' : which,
      fullRefresh: o.fullRefresh === true,
      storeFailures: o.storeFailures === true,
      empty: o.empty === true,
      failFast: o.failFast === true,
      threads: o.threads === undefined ? undefined : Number(o.threads),
    });
  });
  try {
    await program.parseAsync(globals.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    return reporter.fatal(e);
  }
  return code;
}

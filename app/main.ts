/**
 * The `model` binary as shipped (bin/model.js runs the bundle built from this file): the engine's
 * CLI with the segmentation app's `model serve` added. Every other command is the engine's own.
 */
import { runCli as runEngineCli, type CliOptions } from '../src/cli/main.js';
import { registerServe } from './serve-command.js';

/** Runs the CLI and returns its exit code: 0 ok, 1 a node or test failed, 2 usage or project error. */
export function runCli(argv: string[], io: Omit<CliOptions, 'commands'> = {}): Promise<number> {
  return runEngineCli(argv, { ...io, commands: [registerServe] });
}

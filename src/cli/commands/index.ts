import type { Command } from 'commander';
import type { CliContext } from '../options.js';
import { registerClean } from './clean.js';
import { registerCompile } from './compile.js';
import { registerDebug } from './debug.js';
import { registerLs } from './ls.js';
import { registerRunCommands } from './run-commands.js';
import { registerServe } from './serve.js';
import { registerShow } from './show.js';

/** Every command, one file each; add a new one here. */
export const COMMANDS: ((program: Command, ctx: CliContext) => void)[] = [
  registerRunCommands,
  registerCompile,
  registerLs,
  registerShow,
  registerClean,
  registerDebug,
  registerServe,
];

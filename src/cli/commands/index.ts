import type { Command } from 'commander';
import type { CliContext } from '../options.js';
import { registerClean } from './clean.js';
import { registerCompile } from './compile.js';
import { registerDebug } from './debug.js';
import { registerDocs } from './docs.js';
import { registerLs } from './ls.js';
import { registerProfile } from './profile.js';
import { registerRunCommands } from './run-commands.js';
import { registerServe } from './serve.js';
import { registerShow } from './show.js';
import { registerTest } from './test.js';

/** Every command, one file each; add a new one here. */
export const COMMANDS: ((program: Command, ctx: CliContext) => void)[] = [
  registerRunCommands,
  registerTest,
  registerCompile,
  registerLs,
  registerShow,
  registerProfile,
  registerDocs,
  registerClean,
  registerDebug,
  registerServe,
];

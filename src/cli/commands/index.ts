import type { Command } from 'commander';
import type { CliContext } from '../options.js';
import { registerClean } from './clean.js';
import { registerCompile } from './compile.js';
import { registerDebug } from './debug.js';
import { registerDeps } from './deps.js';
import { registerDocs } from './docs.js';
import { registerInit } from './init.js';
import { registerLs } from './ls.js';
import { registerParse } from './parse.js';
import { registerProfile } from './profile.js';
import { registerRetry } from './retry.js';
import { registerRunOperation } from './run-operation.js';
import { registerRunCommands } from './run-commands.js';
import { registerShow } from './show.js';
import { registerSource } from './source.js';
import { registerTest } from './test.js';

/** Registers one command on the program. */
export type CliCommand = (program: Command, ctx: CliContext) => void;

/** Every command of the engine, one file each; add a new one here. Commands from outside the engine come through `runCli`'s `commands`. */
export const COMMANDS: CliCommand[] = [
  registerRunCommands,
  registerRetry,
  registerTest,
  registerCompile,
  registerLs,
  registerShow,
  registerProfile,
  registerDocs,
  registerClean,
  registerDebug,
  registerDeps,
  registerParse,
  registerRunOperation,
  registerSource,
  registerInit,
];

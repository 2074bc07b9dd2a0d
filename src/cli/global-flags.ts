import { ProjectError } from '../core/errors.js';
import { LOG_LEVELS, type LogLevel } from './reporter.js';

export interface GlobalFlags {
  logFormat: 'text' | 'json';
  level?: LogLevel;
  quiet: boolean;
  color?: boolean;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

/**
 * dbt's global logging flags, taken out of the arguments wherever they stand (dbt takes them
 * before or after the command): `--log-format text|json` (`default`/`debug` as text), `--log-level`,
 * `-q/--quiet`, `--no-color`/`--use-colors`, `-d/--debug`; and their environment variables
 * (`DBT_LOG_FORMAT`, `DBT_LOG_LEVEL`, `DBT_QUIET`, `DBT_DEBUG`, `DBT_USE_COLORS`, `NO_COLOR`).
 * Everything after a lone `--` is left alone.
 */
export function takeGlobalFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): { argv: string[]; flags: GlobalFlags } {
  const out: string[] = [];
  let format = env.DBT_LOG_FORMAT;
  let level = env.DBT_LOG_LEVEL;
  let quiet = truthy(env.DBT_QUIET);
  let debug = truthy(env.DBT_DEBUG);
  let color: boolean | undefined = env.NO_COLOR ? false : env.DBT_USE_COLORS !== undefined ? truthy(env.DBT_USE_COLORS) : undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('-')) throw new ProjectError('usage', `${name} needs a value`);
      return v;
    };
    if (name === '--log-format') format = value();
    else if (name === '--log-level') level = value();
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === '-d' || a === '--debug') debug = true;
    else if (a === '--no-color' || a === '--no-use-colors') color = false;
    else if (a === '--use-colors') color = true;
    else out.push(a);
  }
  if (format !== undefined && !['text', 'json', 'default', 'debug'].includes(format)) {
    throw new ProjectError('usage', `--log-format must be text or json, got '${format}'`);
  }
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ProjectError('usage', `--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  }
  return {
    argv: out,
    flags: {
      logFormat: format === 'json' ? 'json' : 'text',
      level: debug ? 'debug' : (level as LogLevel | undefined),
      quiet,
      color,
    },
  };
}

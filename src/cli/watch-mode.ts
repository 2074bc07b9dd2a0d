import { watchProject, type WatchCommand, type WatchEvent } from '../tasks/watch.js';
import type { RunOptions } from '../tasks/session.js';
import type { CliReporter } from './reporter.js';

export const WATCH_HELP = 'run again after every edit, on the nodes the edit touched and their descendants (Ctrl-C stops)';

/** `--watch`: runs the command, then again on each edit, printing every result, until Ctrl-C (or SIGTERM). */
export async function runWatch(command: WatchCommand, opts: RunOptions, reporter: CliReporter): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await watchProject({ ...opts, command, reporter, signal: controller.signal, onEvent: (e) => report(reporter, e) });
    reporter.info('Stopped watching.');
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function report(reporter: CliReporter, e: WatchEvent): void {
  switch (e.kind) {
    case 'watching':
      reporter.info(`Watching ${e.paths.join(', ')} for changes (Ctrl-C to stop)…`);
      return;
    case 'changed':
      reporter.info(`\nChanged: ${e.files.slice(0, 5).join(', ')}${e.files.length > 5 ? ` and ${e.files.length - 5} more` : ''}`);
      return;
    case 'compiled':
      for (const f of e.files) reporter.print(`compiled ${f.node.name} -> ${f.path}`);
      reporter.print(`Compiled ${plural(e.files.length, 'changed node')} of ${e.total} in ${Math.round(e.ms)} ms.`);
      return;
    case 'ran':
      if (!e.summary) reporter.print(`Nothing to run: no selected node's SQL, config or file changed (${Math.round(e.ms)} ms).`);
      else reporter.print(`Ran what ${plural(e.touched.length, 'changed node')} touched in ${(e.ms / 1000).toFixed(2)}s.`);
      return;
    case 'error':
      reporter.fatal(e.error);
      reporter.info('Fix it and save: the watch goes on.');
      return;
  }
}

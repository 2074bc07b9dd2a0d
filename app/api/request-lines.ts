/** The fast path's request log lines: `write` one, `flush` what is held. */
export interface RequestLines {
  write(id: number, url: string, status: number, ms: number): void;
  flush(): void;
}

/** Request lines held before they are written: at most this many characters (about 80 lines)… */
const HELD_CHARS = 16 * 1024;
/** …or this long. */
const HELD_MS = 100;

/**
 * The fast path's request lines, the same text pino writes for `logger.info(line, 'request')` (its
 * level, time and base `bindings`, then the fields, then msg), each built as one string. They are
 * held, as a web server's buffered access log is, and written to `stream` in one write per
 * `heldChars` (16 KiB) or 100 ms, and by `flush`: one write() a line cost the hot path more than
 * everything else it does. A line of a 5xx answer is an error line: it is written at once, after
 * the lines held before it.
 */
export function heldRequestLines(
  stream: { write(text: string): unknown },
  bindings: string,
  isLevelEnabled: (level: 'info' | 'error') => boolean,
  heldChars = HELD_CHARS,
): RequestLines {
  let held = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (held === '') return;
    const text = held;
    held = '';
    stream.write(text);
  };
  return {
    write(id, url, status, ms) {
      const error = status >= 500;
      // Checked per line, like pino does, in case the level is changed while serving.
      if (!isLevelEnabled(error ? 'error' : 'info')) return;
      // url is one of the two spellings of the route: nothing to escape; numbers print as JSON does.
      held += `{"level":${error ? 50 : 30},"time":${Date.now()}${bindings},"reqId":"v-${id}","method":"POST","url":"${url}","status":${status},"ms":${ms},"msg":"request"}\n`;
      if (error || held.length >= heldChars) flush();
      else if (!timer) timer = setTimeout(flush, HELD_MS).unref();
    },
    flush,
  };
}

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
      held += requestLine(bindings, id, url, status, ms);
      if (error || held.length >= heldChars) flush();
      else if (!timer) timer = setTimeout(flush, HELD_MS).unref();
    },
    flush,
  };
}

/** One request line: url is one of the two spellings of the route (nothing to escape); numbers print as JSON does. */
export function requestLine(bindings: string, id: number, url: string, status: number, ms: number): string {
  return `{"level":${status >= 500 ? 50 : 30},"time":${Date.now()}${bindings},"reqId":"v-${id}","method":"POST","url":"${url}","status":${status},"ms":${ms},"msg":"request"}\n`;
}

/**
 * At most this many bytes a write() of request lines written straight to the log's file descriptor
 * by the front thread, beside the main thread's own lines on the same descriptor: POSIX makes a write
 * of at most PIPE_BUF bytes to a pipe atomic, so the two threads' lines never interleave mid-line
 * (4096 on Linux, 512 the least POSIX allows). On a regular file each write() is atomic anyway.
 */
export const PIPE_BUF = process.platform === 'linux' ? 4096 : 512;

/** Header of the shared line buffer: a lock word and the number of bytes held. */
const LOCK = 0;
const USED = 1;
const HEADER = 8;

/**
 * The memory the front thread holds its request lines in before writing them: shared with the main
 * thread, which writes what is held when the process exits without closing the front
 * (flushSharedLines), so an exit loses no line. Room for PIPE_BUF bytes.
 */
export function sharedLineBuffer(size = PIPE_BUF): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + size);
}

function lock(state: Int32Array, timeoutMs: number): boolean {
  const until = Date.now() + timeoutMs;
  while (Atomics.compareExchange(state, LOCK, 0, 1) !== 0) {
    if (Date.now() > until) return false;
    Atomics.wait(state, LOCK, 1, 5);
  }
  return true;
}

function unlock(state: Int32Array): void {
  Atomics.store(state, LOCK, 0);
  Atomics.notify(state, LOCK);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `bytes` to `fd` with write(); on EAGAIN (a non-blocking pipe that is full) waits a
 * little and tries again, as pino's destination does. Returns the error it gave up on, if any.
 */
function writeAll(writeSync: WriteSync, fd: number, bytes: Uint8Array, length: number): NodeJS.ErrnoException | undefined {
  let done = 0;
  let waited = 0;
  while (done < length) {
    try {
      done += writeSync(fd, bytes, done, length - done);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'EAGAIN' || waited >= 10_000) return err;
      Atomics.wait(pause, 0, 0, 10);
      waited += 10;
    }
  }
  return undefined;
}

type WriteSync = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

/**
 * Writes what the front thread holds in `shared` to `fd`, from any thread: the main thread's exit
 * handler calls it. Waits at most `timeoutMs` for the front thread to finish a line it is writing.
 */
export function flushSharedLines(shared: SharedArrayBuffer, fd: number, writeSync: WriteSync, timeoutMs = 200): void {
  const state = new Int32Array(shared, 0, 2);
  if (!lock(state, timeoutMs)) return;
  try {
    const used = Atomics.load(state, USED);
    if (used > 0) writeAll(writeSync, fd, new Uint8Array(shared, HEADER), used);
    Atomics.store(state, USED, 0);
  } finally {
    unlock(state);
  }
}

/**
 * The front thread's request lines (the same text as heldRequestLines'), written by the thread
 * itself straight to the log's file descriptor: no message to the main thread, no work there. Lines
 * are held in `shared` (at most its size, PIPE_BUF: see there) and written, whole, in one write()
 * per full buffer or 100 ms, and by `flush`; the line of a 5xx answer at once. `line` builds the
 * text of one line without writing it (undefined when the level leaves it out), for a line that
 * goes to the main thread with its error (voucher-front-worker.ts). A write error is reported once
 * through `onError` and the log is then off.
 */
export function fdRequestLines(
  fd: number,
  shared: SharedArrayBuffer,
  writeSync: WriteSync,
  bindings: string,
  levels: { info: boolean; error: boolean },
  onError: (error: Error) => void,
): RequestLines & { line(id: number, url: string, status: number, ms: number): string | undefined } {
  const state = new Int32Array(shared, 0, 2);
  const bytes = Buffer.from(shared, HEADER);
  const room = bytes.length;
  let timer: NodeJS.Timeout | undefined;
  let broken = false;
  const out = (data: Uint8Array, length: number) => {
    const err = writeAll(writeSync, fd, data, length);
    if (err && !broken) {
      broken = true;
      onError(err);
    }
  };
  /** Writes what is held; the lock is held by the caller. */
  const writeHeld = () => {
    const used = Atomics.load(state, USED);
    if (used === 0) return;
    Atomics.store(state, USED, 0);
    out(bytes, used);
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    // The main thread takes the lock only while the process exits: wait for it as long as it takes.
    lock(state, Number.POSITIVE_INFINITY);
    try {
      writeHeld();
    } finally {
      unlock(state);
    }
  };
  const line = (id: number, url: string, status: number, ms: number) =>
    levels[status >= 500 ? 'error' : 'info'] ? requestLine(bindings, id, url, status, ms) : undefined;
  return {
    line,
    write(id, url, status, ms) {
      const text = line(id, url, status, ms);
      if (text === undefined || broken) return;
      lock(state, Number.POSITIVE_INFINITY);
      try {
        let used = Atomics.load(state, USED);
        // Up to 3 bytes a UTF-16 unit: only a line near the end of the room is measured exactly.
        const size = used + text.length * 3 <= room ? 0 : Buffer.byteLength(text);
        if (size > room - used) {
          writeHeld();
          used = 0;
        }
        if (size > room) {
          // Longer than the room (only with very long base bindings): written on its own.
          const whole = Buffer.from(text);
          out(whole, whole.length);
        } else Atomics.store(state, USED, used + bytes.write(text, used));
        if (status >= 500) writeHeld();
      } finally {
        unlock(state);
      }
      if (status < 500 && !timer) timer = setTimeout(flush, HELD_MS).unref();
    },
    flush,
  };
}

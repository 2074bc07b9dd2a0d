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
export function requestLine(bindings: string, id: number, url: string, status: number, ms: number, time = Date.now()): string {
  return `{"level":${status >= 500 ? 50 : 30},"time":${time}${bindings},"reqId":"v-${id}","method":"POST","url":"${url}","status":${status},"ms":${ms},"msg":"request"}\n`;
}

/** Writes the digits of a non-negative integer below 2^31 at `at`, in 32-bit arithmetic; returns where they end. */
function writeSmallDigits(out: Uint8Array, at: number, n: number): number {
  let end = at + 1;
  for (let m = n; m >= 10; m = (m / 10) | 0) end++;
  for (let i = end - 1, m = n; i >= at; i--, m = (m / 10) | 0) out[i] = 48 + (m % 10);
  return end;
}

/** Writes the digits of a non-negative safe integer at `at`; returns where they end. Nine digits at a time: division of a double is slow. */
function writeDigits(out: Uint8Array, at: number, n: number): number {
  if (n < 2147483648) return writeSmallDigits(out, at, n | 0);
  const high = Math.floor(n / 1e9);
  const end = writeDigits(out, at, high);
  for (let i = end + 8, m = (n - high * 1e9) | 0; i >= end; i--, m = (m / 10) | 0) out[i] = 48 + (m % 10);
  return end + 9;
}

/**
 * Writes `ms` as JSON (and String) print it, at `at`; returns where it ends. The fast path gives a
 * whole number of hundredths (Math.round(x * 100) / 100): below 1e13 the double is within far less
 * than 0.01 of that decimal, so the shortest text that reads back as it (what String gives) is the
 * decimal itself, its trailing zeros dropped. Anything else is printed by String.
 */
function writeMs(out: Uint8Array, at: number, ms: number): number {
  const hundredths = Math.round(ms * 100);
  if (!(ms >= 0 && hundredths < 1e15 && hundredths / 100 === ms))
    return at + Buffer.from(out.buffer, out.byteOffset, out.byteLength).write(String(ms), at, 'latin1');
  const whole = Math.floor(hundredths / 100);
  const fraction = hundredths - whole * 100;
  let end = writeDigits(out, at, whole);
  if (fraction === 0) return end;
  out[end++] = 46;
  out[end++] = 48 + Math.floor(fraction / 10);
  if (fraction % 10 !== 0) out[end++] = 48 + (fraction % 10);
  return end;
}

/**
 * requestLine's bytes written straight into a buffer, with no string built per line: the constant
 * parts encoded once (UTF-8), the numbers written digit by digit.
 */
export function requestLineEncoder(bindings: string) {
  const bytes = (text: string) => new Uint8Array(Buffer.from(text));
  const info = bytes('{"level":30,"time":');
  const error = bytes('{"level":50,"time":');
  const afterTime = bytes(`${bindings},"reqId":"v-`);
  const route = (url: string) => bytes(`","method":"POST","url":"${url}","status":`);
  const routes = new Map([
    ['/getVoucher/', route('/getVoucher/')],
    ['/getVoucher', route('/getVoucher')],
  ]);
  const msKey = bytes(',"ms":');
  const tail = bytes(',"msg":"request"}\n');
  // 16 digits: any safe integer (time, id, status); 24 characters: any number as String prints it.
  const fixed = info.length + 16 + afterTime.length + 16 + 16 + msKey.length + 24 + tail.length;
  return {
    /** The bytes of the middle part for a spelling of the route (made once for each of the two). */
    middle: (url: string) => routes.get(url) ?? route(url),
    /** The most bytes a line with this middle part can take. */
    most: (middle: Uint8Array) => fixed + middle.length,
    /** Writes a line at `at` (room for `most` bytes is there); returns where it ends. */
    encode(out: Uint8Array, at: number, id: number, middle: Uint8Array, status: number, ms: number, time = Date.now()): number {
      out.set(status >= 500 ? error : info, at);
      let end = writeDigits(out, at + info.length, time);
      out.set(afterTime, end);
      end = writeDigits(out, end + afterTime.length, id);
      out.set(middle, end);
      end = writeDigits(out, end + middle.length, status);
      out.set(msKey, end);
      end = writeMs(out, end + msKey.length, ms);
      out.set(tail, end);
      return end + tail.length;
    },
  };
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

/**
 * The lock on the shared line buffer: 0 free, 1 held, 2 held with a thread that may be waiting
 * (only the main thread at exit ever waits), so that an unlock wakes a waiter only when there is one.
 */
function lock(state: Int32Array, timeoutMs: number): boolean {
  if (Atomics.compareExchange(state, LOCK, 0, 1) === 0) return true;
  const until = Date.now() + timeoutMs;
  while (Atomics.exchange(state, LOCK, 2) !== 0) {
    if (Date.now() > until) return false;
    Atomics.wait(state, LOCK, 2, 5);
  }
  return true;
}

function unlock(state: Int32Array): void {
  if (Atomics.exchange(state, LOCK, 0) === 2) Atomics.notify(state, LOCK);
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
  const bytes = new Uint8Array(shared, HEADER);
  const room = bytes.length;
  const encoder = requestLineEncoder(bindings);
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
      if (!levels[status >= 500 ? 'error' : 'info'] || broken) return;
      const middle = encoder.middle(url);
      const most = encoder.most(middle);
      lock(state, Number.POSITIVE_INFINITY);
      try {
        let used = Atomics.load(state, USED);
        if (most > room - used) {
          writeHeld();
          used = 0;
        }
        if (most > room) {
          // Longer than the room (only with very long base bindings): written on its own.
          const whole = Buffer.from(requestLine(bindings, id, url, status, ms));
          out(whole, whole.length);
        } else Atomics.store(state, USED, encoder.encode(bytes, used, id, middle, status, ms));
        if (status >= 500) writeHeld();
      } finally {
        unlock(state);
      }
      if (status < 500 && !timer) timer = setTimeout(flush, HELD_MS).unref();
    },
    flush,
  };
}

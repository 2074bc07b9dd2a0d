/** The fast path's hand-built request log lines against what pino itself writes for the same fields. */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fdRequestLines,
  flushSharedLines,
  heldRequestLines,
  PIPE_BUF,
  requestLine,
  requestLineEncoder,
  sharedLineBuffer,
} from '../../../../app/api/request-lines.js';
import { requestLines } from '../../../../app/api/server.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  get lines(): string[] {
    return this.text.split('\n').filter(Boolean);
  }
}

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function logger(level: string) {
  const sink = new Sink();
  const app = Fastify({ logger: { level, stream: sink } });
  apps.push(app);
  return { sink, log: app.log };
}

describe('requestLines', () => {
  it('writes the line pino would write, field for field and in the same order', () => {
    const { sink, log } = logger('info');
    const lines = requestLines(log)!;
    lines.write(7, '/getVoucher/', 200, 1.25);
    lines.write(8, '/getVoucher', 422, 0.5);
    lines.flush();
    log.info({ reqId: 'v-7', method: 'POST', url: '/getVoucher/', status: 200, ms: 1.25 }, 'request');
    log.info({ reqId: 'v-8', method: 'POST', url: '/getVoucher', status: 422, ms: 0.5 }, 'request');
    const parsed = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(4);
    for (const [fast, pino] of [
      [parsed[0]!, parsed[2]!],
      [parsed[1]!, parsed[3]!],
    ] as const) {
      expect(Object.keys(fast)).toEqual(Object.keys(pino));
      expect({ ...fast, time: 0 }).toEqual({ ...pino, time: 0 });
      expect(Math.abs((fast.time as number) - (pino.time as number))).toBeLessThan(60_000);
    }
  });

  it('holds lines until flushed or until enough text is held, and then writes them in order', async () => {
    const { sink, log } = logger('info');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    expect(sink.lines).toHaveLength(0);
    for (let i = 2; i <= 300; i++) lines.write(i, '/getVoucher/', 200, 1);
    // More than 16 KiB: written without waiting.
    expect(sink.lines.length).toBeGreaterThan(0);
    lines.flush();
    expect(sink.lines.map((l) => (JSON.parse(l) as { reqId: string }).reqId)).toEqual(Array.from({ length: 300 }, (_, i) => `v-${i + 1}`));
    // A lone line is written after a short while, without a flush.
    lines.write(301, '/getVoucher/', 200, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.lines).toHaveLength(301);
  });

  it('writes the line of a 5xx answer at once, as an error, after the lines held before it', () => {
    const { sink, log } = logger('info');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    lines.write(2, '/getVoucher/', 503, 0.5);
    const parsed = sink.lines.map((l) => JSON.parse(l) as { reqId: string; level: number; status: number });
    expect(parsed.map((l) => [l.reqId, l.level, l.status])).toEqual([
      ['v-1', 30, 200],
      ['v-2', 50, 503],
    ]);
  });

  it('at level error keeps only the lines of 5xx answers', () => {
    const { sink, log } = logger('error');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    lines.write(2, '/getVoucher/', 422, 1);
    lines.write(3, '/getVoucher/', 500, 1);
    lines.flush();
    expect(sink.lines.map((l) => (JSON.parse(l) as { reqId: string }).reqId)).toEqual(['v-3']);
  });

  it('writes nothing below the logger level, and needs a pino logger', () => {
    const { sink, log } = logger('warn');
    const lines = requestLines(log)!;
    lines.write(1, '/getVoucher/', 200, 1);
    lines.flush();
    expect(sink.text).toBe('');
    const silent = Fastify({ logger: false });
    apps.push(silent);
    expect(requestLines(silent.log)).toBeUndefined();
  });
});

describe('fdRequestLines (the front thread writing its lines straight to the log file descriptor)', () => {
  const bindings = ',"pid":42,"hostname":"host"';
  /** A write() that records each call's bytes; `fail` decides, per call, to throw an errno code or write only part. */
  function recorder(fail: (call: number) => string | number | undefined = () => undefined) {
    const writes: string[] = [];
    let calls = 0;
    const writeSync = (_fd: number, buffer: Uint8Array, offset: number, length: number) => {
      const f = fail(++calls);
      if (typeof f === 'string') throw Object.assign(new Error(f), { code: f });
      const n = typeof f === 'number' ? Math.min(f, length) : length;
      writes.push(Buffer.from(buffer.subarray(offset, offset + n)).toString());
      return n;
    };
    return { writes, writeSync, text: () => writes.join('') };
  }
  const parse = (text: string) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { reqId: string; level: number; status: number });

  it('writes the same text as the batched lines, whole lines only, at most PIPE_BUF bytes a write, in order', () => {
    const out = recorder();
    const lines = fdRequestLines(9, sharedLineBuffer(), out.writeSync, bindings, { info: true, error: true }, () => {});
    for (let i = 1; i <= 500; i++) lines.write(i, i % 2 ? '/getVoucher/' : '/getVoucher', i % 3 ? 200 : 422, i / 100);
    lines.flush();
    expect(out.writes.length).toBeGreaterThan(10);
    for (const w of out.writes) {
      expect(Buffer.byteLength(w)).toBeLessThanOrEqual(PIPE_BUF);
      expect(w.endsWith('\n')).toBe(true);
    }
    expect(parse(out.text()).map((l) => l.reqId)).toEqual(Array.from({ length: 500 }, (_, i) => `v-${i + 1}`));
    // Field for field what heldRequestLines (and so pino) writes.
    const sink = new Sink();
    const held = heldRequestLines(sink, bindings, () => true);
    held.write(7, '/getVoucher/', 200, 1.25);
    held.flush();
    const direct = recorder();
    const fd = fdRequestLines(9, sharedLineBuffer(), direct.writeSync, bindings, { info: true, error: true }, () => {});
    fd.write(7, '/getVoucher/', 200, 1.25);
    fd.flush();
    expect(direct.text().replace(/"time":\d+/, '')).toBe(sink.text.replace(/"time":\d+/, ''));
  });

  it('holds lines until the buffer is full, 100 ms or flush; writes a 5xx line at once after those held; keeps to the levels', async () => {
    const out = recorder();
    const lines = fdRequestLines(9, sharedLineBuffer(), out.writeSync, bindings, { info: true, error: true }, () => {});
    lines.write(1, '/getVoucher/', 200, 1);
    expect(out.writes).toHaveLength(0);
    lines.write(2, '/getVoucher/', 503, 1);
    expect(parse(out.text()).map((l) => [l.reqId, l.level])).toEqual([
      ['v-1', 30],
      ['v-2', 50],
    ]);
    lines.write(3, '/getVoucher/', 200, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(parse(out.text()).map((l) => l.reqId)).toEqual(['v-1', 'v-2', 'v-3']);
    const errorsOnly = recorder();
    const quiet = fdRequestLines(9, sharedLineBuffer(), errorsOnly.writeSync, bindings, { info: false, error: true }, () => {});
    quiet.write(1, '/getVoucher/', 200, 1);
    quiet.write(2, '/getVoucher/', 500, 1);
    quiet.flush();
    expect(parse(errorsOnly.text()).map((l) => l.reqId)).toEqual(['v-2']);
    expect(quiet.line(1, '/getVoucher/', 200, 1)).toBeUndefined();
  });

  it('leaves what it holds to flushSharedLines, from another thread (at exit), exactly once', () => {
    const shared = sharedLineBuffer();
    const worker = recorder();
    const lines = fdRequestLines(9, shared, worker.writeSync, bindings, { info: true, error: true }, () => {});
    lines.write(1, '/getVoucher/', 200, 1);
    lines.write(2, '/getVoucher/', 200, 1);
    const exit = recorder();
    flushSharedLines(shared, 9, exit.writeSync);
    expect(parse(exit.text()).map((l) => l.reqId)).toEqual(['v-1', 'v-2']);
    lines.flush();
    flushSharedLines(shared, 9, exit.writeSync);
    expect(worker.writes).toHaveLength(0);
    expect(exit.writes).toHaveLength(1);
  });

  it('finishes partial writes, waits out EAGAIN, and reports another write error once, then stops', () => {
    const out = recorder((call) => (call === 1 ? 'EAGAIN' : call === 2 ? 100 : undefined));
    const lines = fdRequestLines(9, sharedLineBuffer(), out.writeSync, bindings, { info: true, error: true }, () => {});
    for (let i = 1; i <= 3; i++) lines.write(i, '/getVoucher/', 200, 1);
    lines.flush();
    expect(out.writes[0]).toHaveLength(100);
    expect(parse(out.text()).map((l) => l.reqId)).toEqual(['v-1', 'v-2', 'v-3']);
    const errors: Error[] = [];
    let calls = 0;
    const broken = fdRequestLines(
      9,
      sharedLineBuffer(),
      () => {
        calls++;
        throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
      },
      bindings,
      { info: true, error: true },
      (e) => errors.push(e),
    );
    broken.write(1, '/getVoucher/', 500, 1);
    broken.write(2, '/getVoucher/', 500, 1);
    broken.flush();
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['EPIPE']);
    expect(calls).toBe(1);
  });

  it('writes a line longer than its buffer on its own, whole, in one write', () => {
    const out = recorder();
    const wide = fdRequestLines(9, sharedLineBuffer(256), out.writeSync, `,"hostname":"${'h'.repeat(300)}"`, { info: true, error: true }, () => {});
    wide.write(1, '/getVoucher/', 200, 1);
    wide.write(2, '/getVoucher/', 200, 1);
    wide.flush();
    expect(out.writes.map((w) => (JSON.parse(w) as { reqId: string }).reqId)).toEqual(['v-1', 'v-2']);
  });
});

describe('requestLineEncoder', () => {
  it("writes requestLine's bytes exactly, for any id, status, time, ms and base bindings", () => {
    const out = new Uint8Array(8192);
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('/getVoucher/', '/getVoucher', '/other'),
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(
          // What the fast path gives: whole hundredths of a millisecond, small and large.
          fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => Math.round(x * 100) / 100),
          fc.double({ min: 0, max: 1e16, noNaN: true }).map((x) => Math.round(x * 100) / 100),
          fc.integer({ min: 0, max: 100_000 }).map((h) => h / 100),
          fc.double({ noNaN: false }),
          fc.constantFrom(0, -0, 0.01, 0.1, 0.5, 1, 9.99, 10, 99.9, 1e-7, 1e21, 5e-324),
        ),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        (bindings, id, url, status, ms, time) => {
          const encoder = requestLineEncoder(bindings);
          const middle = encoder.middle(url);
          const end = encoder.encode(out, 3, id, middle, status, ms, time);
          const expected = Buffer.from(requestLine(bindings, id, url, status, ms, time));
          expect(Buffer.from(out.subarray(3, end)).toString()).toBe(expected.toString());
          expect(end - 3).toBe(expected.length);
          expect(end - 3).toBeLessThanOrEqual(encoder.most(middle));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

import assert from "node:assert/strict";
import { offerDrain, offerTake } from "./direct.ts";
import { pipeCounting } from "./pump.ts";

/** A sink that records what happens to it; `slow` makes each write wait that many ms. */
function recorder(opts: { failAt?: number; slow?: number } = {}) {
  const seen = { chunks: [] as number[], closed: false, aborted: undefined as unknown };
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (opts.slow) await new Promise((r) => setTimeout(r, opts.slow));
      if (seen.chunks.length === opts.failAt) throw new Error("disk full");
      seen.chunks.push(chunk[0]!);
    },
    close() {
      seen.closed = true;
    },
    abort(reason) {
      seen.aborted = reason;
    },
  });
  return { stream, seen };
}

/** A source of `n` one-byte-tagged chunks; `stallAt` stops delivering there (never ends). */
function source(n: number, opts: { failAt?: number; stallAt?: number } = {}) {
  const seen = { cancelled: undefined as unknown };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (i === opts.failAt) throw new Error("connection lost");
      if (i === opts.stallAt) return await new Promise(() => {});
      if (i === n) return c.close();
      c.enqueue(new Uint8Array([i++, 0, 0]));
    },
    cancel(reason) {
      seen.cancelled = reason;
    },
  }, { highWaterMark: 1 });
  return { stream, seen };
}

Deno.test("pipeCounting: every chunk in order, each counted, the write closed at the end", async () => {
  const src = source(50);
  const dst = recorder();
  let bytes = 0;
  await pipeCounting(src.stream, dst.stream, undefined, (n) => bytes += n);
  assert.deepEqual(dst.seen.chunks, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(bytes, 150);
  assert.equal(dst.seen.closed, true);
  assert.equal(src.stream.locked, false, "the locks are released");
});

Deno.test("pipeCounting: a failed source aborts the write with its error, not closing it", async () => {
  const src = source(50, { failAt: 7 });
  const dst = recorder();
  await assert.rejects(
    pipeCounting(src.stream, dst.stream, undefined, () => {}),
    /connection lost/,
  );
  assert.equal(dst.seen.closed, false);
  assert.match(String(dst.seen.aborted), /connection lost/);
});

Deno.test("pipeCounting: a failed write cancels the source with its error", async () => {
  const src = source(50);
  const dst = recorder({ failAt: 3 });
  await assert.rejects(pipeCounting(src.stream, dst.stream, undefined, () => {}), /disk full/);
  assert.match(String(src.seen.cancelled), /disk full/);
  assert.deepEqual(dst.seen.chunks, [0, 1, 2]);
});

Deno.test("pipeCounting: an abort ends it at once while a read waits: source cancelled, write aborted", async () => {
  const src = source(50, { stallAt: 5 });
  const dst = recorder();
  const ctl = new AbortController();
  const done = pipeCounting(src.stream, dst.stream, ctl.signal, () => {});
  await new Promise((r) => setTimeout(r, 20));
  ctl.abort(new Error("halted"));
  await assert.rejects(done, /halted/);
  assert.match(String(src.seen.cancelled), /halted/);
  assert.match(String(dst.seen.aborted), /halted/);
  assert.equal(dst.seen.closed, false, "a write cut short is never closed as complete");
  assert.deepEqual(dst.seen.chunks, [0, 1, 2, 3, 4]);
});

Deno.test("pipeCounting: an abort during a slow write stops it after that write; an aborted signal moves nothing", async () => {
  const ctl = new AbortController();
  const dst = recorder({ slow: 30 });
  const done = pipeCounting(source(50).stream, dst.stream, ctl.signal, () => {});
  setTimeout(() => ctl.abort(new Error("halted")), 45);
  await assert.rejects(done, /halted/);
  assert.equal(dst.seen.closed, false);
  assert.ok(dst.seen.chunks.length < 5, `stopped early: ${dst.seen.chunks.length} written`);

  const src = source(5);
  const idle = recorder();
  await assert.rejects(
    pipeCounting(src.stream, idle.stream, AbortSignal.abort(new Error("before")), () => {}),
    /before/,
  );
  assert.deepEqual(idle.seen.chunks, []);
  assert.match(String(src.seen.cancelled), /before/);
  assert.equal(idle.seen.closed, false);
});

/**
 * A source and a sink that offer direct hand-offs (../direct.ts); their streams fail if used as
 * streams, so a test sees which way the chunks went. `failAt`/`stallAt` as for `source`;
 * `putFailAt` fails the put of that chunk (thrown, or rejected when `slow`).
 */
function direct(
  n: number,
  opts: { failAt?: number; stallAt?: number; putFailAt?: number; slow?: boolean } = {},
) {
  const seen = {
    chunks: [] as number[],
    cancelled: undefined as unknown,
    closed: false,
    aborted: undefined as unknown,
  };
  let interrupt: ((reason: unknown) => void) | undefined;
  const src = offerDrain(
    new ReadableStream<Uint8Array>({
      pull: () => Promise.reject(new Error("read as a stream")),
    }, { highWaterMark: 0 }),
    {
      async run(put) {
        for (let i = 0; i < n; i++) {
          if (i === opts.failAt) throw new Error("connection lost");
          if (i === opts.stallAt) {
            await new Promise((_, reject) => interrupt = reject);
          }
          const wait = put(new Uint8Array([i, 0, 0]));
          if (wait) await wait;
        }
      },
      cancel(reason) {
        seen.cancelled = reason;
        interrupt?.(reason);
      },
    },
  );
  const dst = offerTake(
    new WritableStream<Uint8Array>({
      write: () => Promise.reject(new Error("written as a stream")),
    }),
    {
      put(chunk) {
        if (seen.chunks.length === opts.putFailAt) {
          if (opts.slow) return Promise.reject(new Error("disk full"));
          throw new Error("disk full");
        }
        seen.chunks.push(chunk[0]!);
        return opts.slow ? new Promise((r) => setTimeout(r, 1)) : undefined;
      },
      close() {
        seen.closed = true;
        return Promise.resolve();
      },
      abort(reason) {
        seen.aborted = reason;
        return Promise.resolve();
      },
    },
  );
  return { src, dst, seen };
}

Deno.test("pipeCounting, direct: chunks handed straight over in order, each counted, the sink closed; streams untouched", async () => {
  for (const slow of [false, true]) {
    const d = direct(40, { slow });
    let bytes = 0;
    await pipeCounting(d.src, d.dst, undefined, (n) => bytes += n);
    assert.deepEqual(d.seen.chunks, Array.from({ length: 40 }, (_, i) => i));
    assert.equal(bytes, 120);
    assert.equal(d.seen.closed, true);
    assert.equal(d.seen.aborted, undefined);
  }
});

Deno.test("pipeCounting, direct: a failed source aborts the sink; a failed put (thrown or rejected) cancels the source", async () => {
  const a = direct(40, { failAt: 5 });
  await assert.rejects(pipeCounting(a.src, a.dst, undefined, () => {}), /connection lost/);
  assert.match(String(a.seen.aborted), /connection lost/);
  assert.equal(a.seen.closed, false);
  for (const slow of [false, true]) {
    const b = direct(40, { putFailAt: 3, slow });
    await assert.rejects(pipeCounting(b.src, b.dst, undefined, () => {}), /disk full/);
    assert.match(String(b.seen.cancelled), /disk full/);
    assert.match(String(b.seen.aborted), /disk full/);
    assert.equal(b.seen.closed, false);
    assert.deepEqual(b.seen.chunks, [0, 1, 2]);
  }
});

Deno.test("pipeCounting, direct: an abort while the source waits ends it at once, source cancelled, sink aborted", async () => {
  const d = direct(40, { stallAt: 6 });
  const ctl = new AbortController();
  const done = pipeCounting(d.src, d.dst, ctl.signal, () => {});
  await new Promise((r) => setTimeout(r, 20));
  ctl.abort(new Error("halted"));
  await assert.rejects(done, /halted/);
  assert.match(String(d.seen.cancelled), /halted/);
  assert.match(String(d.seen.aborted), /halted/);
  assert.equal(d.seen.closed, false);
  assert.deepEqual(d.seen.chunks, [0, 1, 2, 3, 4, 5]);

  const e = direct(5);
  await assert.rejects(
    pipeCounting(e.src, e.dst, AbortSignal.abort(new Error("before")), () => {}),
    /before/,
  );
  assert.deepEqual(e.seen.chunks, []);
  assert.equal(e.seen.closed, false);
});

Deno.test("pipeCounting: where only one end offers a direct hand-off, the streams carry the chunks", async () => {
  const d = direct(3);
  const dst = recorder();
  // The direct source's stream cannot be read: the pipe must not take its offer alone.
  await assert.rejects(pipeCounting(d.src, dst.stream, undefined, () => {}), /read as a stream/);
  const src = source(4);
  const e = direct(0);
  await assert.rejects(pipeCounting(src.stream, e.dst, undefined, () => {}), /written as a stream/);
});

import assert from "node:assert/strict";
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

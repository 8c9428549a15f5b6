import assert from "node:assert/strict";
import { isVfsError } from "../types.ts";
import { IdleWatch } from "./idle_watch.ts";
import type { ObjectSink } from "./store.ts";

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/** `n` chunks, one every `every` ms, then (with `stall`) nothing until cancelled. */
function trickle(n: number, every: number, stall = false) {
  let cancelled: unknown;
  let wake: () => void = () => {};
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (n-- > 0) {
        await sleep(every);
        c.enqueue(new Uint8Array(4));
      } else if (stall) {
        await new Promise<void>((ok) => wake = ok);
      } else c.close();
    },
    cancel(reason) {
      cancelled = reason;
      wake();
    },
  }, { highWaterMark: 0 });
  return { stream, cancelled: () => cancelled };
}

Deno.test("idle watch: calls and reads that keep coming pass however long in all; a stalled one fails with TIMEOUT and is cancelled", async () => {
  const watch = new IdleWatch(300, "GCS");
  assert.equal(await watch.call('reading "a"', sleep(100).then(() => 7)), 7);
  await assert.rejects(watch.call('reading "a"', Promise.reject(new Error("own"))), /own/);
  await assert.rejects(
    watch.call("listing the bucket", new Promise(() => {})),
    (e) =>
      isVfsError(e, "TIMEOUT") && e.retryable &&
      e.message ===
        "GCS made no progress for 0.3 s while listing the bucket (the idleTimeoutSeconds option)",
  );
  // A call that fails after its time is up fails nothing more (no unhandled rejection).
  await assert.rejects(watch.call("x", sleep(400).then(() => Promise.reject(new Error("late")))));
  await sleep(150);

  const steady = trickle(6, 150);
  assert.equal(
    (await new Response(watch.read('reading "s"', steady.stream)).arrayBuffer()).byteLength,
    24,
  );

  const stalled = trickle(2, 50, true);
  await assert.rejects(
    new Response(watch.read('reading "t"', stalled.stream)).arrayBuffer(),
    (e) => isVfsError(e, "TIMEOUT") && /while reading "t"/.test(e.message),
  );
  assert.ok(isVfsError(stalled.cancelled(), "TIMEOUT"), "the source is cancelled");
});

Deno.test("idle watch: a write or close the client does not take in time fails with TIMEOUT, and the sink is aborted at once", async () => {
  const watch = new IdleWatch(200, "GCS");
  let aborted: unknown;
  let writes = 0;
  const sink: ObjectSink = {
    write: () => ++writes < 3 ? sleep(50) : new Promise<void>(() => {}),
    close: () => Promise.resolve(),
    abort: (reason) => {
      aborted = reason;
      return new Promise<void>(() => {}); // as a stream's abort behind a write that never ends
    },
  };
  const watched = watch.sink('writing "w"', sink);
  await watched.write(new Uint8Array(1));
  await watched.write(new Uint8Array(1));
  await assert.rejects(
    watched.write(new Uint8Array(1)),
    (e) => isVfsError(e, "TIMEOUT") && /while writing "w"/.test(e.message),
  );
  assert.ok(isVfsError(aborted, "TIMEOUT"));

  const closing = watch.sink('writing "c"', { ...sink, close: () => new Promise<void>(() => {}) });
  await assert.rejects(closing.close(), (e) => isVfsError(e, "TIMEOUT"));
});

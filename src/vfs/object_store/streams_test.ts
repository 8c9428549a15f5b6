import assert from "node:assert/strict";
import { isVfsError, VfsError } from "../types.ts";
import { guardStream, parallel, sinkStream } from "./streams.ts";

const mapped = (err: unknown) => new VfsError("CONNECTION", `mapped: ${(err as Error).message}`);

Deno.test("parallel() runs every item, never more than n at once", async () => {
  let running = 0;
  let most = 0;
  const seen: number[] = [];
  await parallel(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, i % 4));
    seen.push(i);
    running--;
  });
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  assert.equal(most, 3);
});

Deno.test("sinkStream() hands chunks on in order and maps a failed write or close", async () => {
  const got: string[] = [];
  const ok = sinkStream({
    write: (c) => Promise.resolve(void got.push(new TextDecoder().decode(c))),
    close: () => Promise.resolve(void got.push("closed")),
    abort: () => Promise.resolve(),
  }, mapped);
  const w = ok.getWriter();
  await w.write(new TextEncoder().encode("a"));
  await w.write(new TextEncoder().encode("b"));
  await w.close();
  assert.deepEqual(got, ["a", "b", "closed"]);

  const failing = sinkStream({
    write: () => Promise.reject(new Error("reset")),
    close: () => Promise.reject(new Error("late")),
    abort: () => Promise.reject(new Error("ignored")),
  }, mapped);
  await assert.rejects(
    failing.getWriter().write(new Uint8Array(1)),
    (e) => isVfsError(e, "CONNECTION") && e.message === "mapped: reset",
  );
  const closing = sinkStream({
    write: () => Promise.resolve(),
    close: () => Promise.reject(new Error("late")),
    abort: () => Promise.resolve(),
  }, mapped);
  await assert.rejects(closing.getWriter().close(), (e) => isVfsError(e) && /late/.test(e.message));
});

Deno.test("guardStream() maps a body that fails mid-read and passes a cancel on", async () => {
  let n = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (n++ < 2) c.enqueue(new Uint8Array([n]));
      else c.error(new Error("dropped"));
    },
  });
  const r = guardStream(body, mapped).getReader();
  assert.deepEqual((await r.read()).value, new Uint8Array([1]));
  assert.deepEqual((await r.read()).value, new Uint8Array([2]));
  await assert.rejects(r.read(), (e) => isVfsError(e, "CONNECTION") && /dropped/.test(e.message));

  let cancelled: unknown;
  const endless = new ReadableStream<Uint8Array>({
    pull: (c) => c.enqueue(new Uint8Array(1)),
    cancel: (reason) => void (cancelled = reason),
  });
  await guardStream(endless, mapped).cancel("enough");
  assert.equal(cancelled, "enough");
});

Deno.test("sinkStream() with a size stores nothing when another number of bytes arrived", async () => {
  const calls: string[] = [];
  const sink = {
    write: () => Promise.resolve(),
    close: () => (calls.push("close"), Promise.resolve()),
    abort: () => (calls.push("abort"), Promise.resolve()),
  };
  let stored: number | undefined;
  const exact = sinkStream(sink, mapped, { size: 3, path: "/a", onStored: (n) => stored = n });
  let w = exact.getWriter();
  await w.write(new Uint8Array(2));
  await w.write(new Uint8Array(1));
  await w.close();
  assert.deepEqual([calls, stored], [["close"], 3]);

  calls.length = 0;
  for (const n of [2, 4]) {
    w = sinkStream(sink, mapped, { size: 3, path: "/dir/b.bin" }).getWriter();
    await w.write(new Uint8Array(n));
    await assert.rejects(
      w.close(),
      (e) =>
        isVfsError(e, "VERIFY_FAILED") &&
        /"\/dir\/b\.bin".*expected 3 bytes, written/.test(e.message),
    );
  }
  assert.deepEqual(calls, ["abort", "abort"]);
});

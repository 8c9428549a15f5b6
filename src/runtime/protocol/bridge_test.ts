import assert from "node:assert/strict";
import {
  CHUNK_BYTES,
  createSharedBuffer,
  decodeValue,
  encodeValue,
  readReply,
  STATE,
  views,
  WAITING,
  writeReply,
} from "./bridge.ts";

Deno.test("encodeValue() round-trips JSON values with byte arrays at any depth", () => {
  const bytes = new Uint8Array([0, 1, 2, 255]);
  const value = { ok: true, bytes, nested: [{ b: new Uint8Array(0) }, "x", null, 3.5] };
  assert.deepEqual(decodeValue(encodeValue(value)), value);
  assert.equal(decodeValue(encodeValue(undefined)), null);
});

Deno.test("writeReply()/readReply() carry a reply larger than the shared buffer in chunks", async () => {
  const sab = createSharedBuffer();
  const payload = new Uint8Array(CHUNK_BYTES * 3 + 123).map((_, i) => i % 251);
  // The real reader blocks in Atomics.wait, which would stall this thread's writer: take the
  // worker's part by hand, one chunk per event-loop turn.
  const { ctrl } = views(sab);
  Atomics.store(ctrl, STATE, WAITING);
  const writing = writeReply(sab, payload);
  const received: Uint8Array[] = [];
  let total = 0;
  while (total < payload.length) {
    await new Promise((r) => setTimeout(r, 0));
    const chunk = readReplyOnce(sab);
    if (chunk) {
      received.push(chunk);
      total += chunk.length;
    }
  }
  await writing;
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of received) {
    all.set(c, at);
    at += c.length;
  }
  assert.deepEqual(all, payload);
});

/** Takes one READY chunk like the worker does, without blocking. */
function readReplyOnce(sab: SharedArrayBuffer): Uint8Array | undefined {
  const { ctrl, data } = views(sab);
  if (Atomics.load(ctrl, STATE) !== 2) return undefined;
  const n = Atomics.load(ctrl, 1);
  const chunk = data.slice(0, n);
  const more = Atomics.load(ctrl, 2) === 1;
  Atomics.store(ctrl, STATE, more ? WAITING : 0);
  Atomics.notify(ctrl, STATE);
  return chunk;
}

Deno.test("readReply() gives up when the host is gone", () => {
  const sab = createSharedBuffer();
  Atomics.store(views(sab).ctrl, STATE, WAITING);
  assert.throws(() => readReply(sab, () => false), /stopped answering/);
});

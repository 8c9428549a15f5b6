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
import { encodeFrame, FrameWriter, readFrames } from "./frames.ts";

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

Deno.test("readFrames() reassembles frames split across chunks and rejects a truncated one", async () => {
  const msgs = [{ t: "a", n: 1 }, { t: "b", s: "é".repeat(1000) }, { t: "c" }];
  const bytes = new Uint8Array(msgs.flatMap((m) => [...encodeFrame(m)]));
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
      c.close();
    },
  });
  const got = [];
  for await (const m of readFrames(stream)) got.push(m);
  assert.deepEqual(got, msgs);
  const cut = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(encodeFrame({ t: "x" }).slice(0, 6));
      c.close();
    },
  });
  await assert.rejects(async () => {
    for await (const _ of readFrames(cut)) { /* drain */ }
  }, /ended inside a frame/);
});

Deno.test("FrameWriter keeps messages in order", async () => {
  const chunks: Uint8Array[] = [];
  const w = new FrameWriter(new WritableStream({ write: (c) => void chunks.push(c) }));
  await Promise.all([w.send({ i: 1 }), w.send({ i: 2 }), w.send({ i: 3 })]);
  await w.close();
  const got = [];
  for await (const m of readFrames(ReadableStream.from(chunks))) got.push(m);
  assert.deepEqual(got, [{ i: 1 }, { i: 2 }, { i: 3 }]);
});

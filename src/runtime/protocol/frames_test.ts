import assert from "node:assert/strict";
import { encodeFrame, FrameWriter, readFrames } from "./frames.ts";

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

Deno.test("FrameWriter sends frames queued during a write in one write, each send settling once written", async () => {
  const chunks: Uint8Array[] = [];
  let release!: () => void;
  const first = new Promise<void>((r) => release = r);
  const w = new FrameWriter(
    new WritableStream({
      write: async (c) => {
        chunks.push(c);
        if (chunks.length === 1) await first; // the reader is behind on the first write
      },
    }),
  );
  const settled: number[] = [];
  const send = (i: number) => w.send({ i }).then(() => void settled.push(i));
  const sends = [send(1)];
  await new Promise((r) => setTimeout(r, 10)); // frame 1 is being written
  sends.push(send(2), send(3), send(4));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(chunks.length, 1);
  assert.deepEqual(settled, []);
  release();
  await Promise.all(sends);
  await w.close();
  assert.equal(chunks.length, 2, "frames 2 to 4 went out together");
  assert.deepEqual(settled, [1, 2, 3, 4]);
  const got = [];
  for await (const m of readFrames(ReadableStream.from(chunks))) got.push(m);
  assert.deepEqual(got, [{ i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
});

Deno.test("readFrames() refuses a frame longer than the limit", async () => {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, 512 * 1024 * 1024);
  await assert.rejects(async () => {
    for await (const _ of readFrames(ReadableStream.from([head]))) { /* drain */ }
  }, /exceeds the limit/);
});

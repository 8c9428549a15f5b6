import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskVfs } from "../disk/disk.ts";
import { VfsError } from "../types.ts";
import { withTempDir } from "../../../tests/fixtures/temp_dir.ts";
import { FILL_BUFFERS, fillWrites, type WriteRequests } from "./fill_writes.ts";

/** A disk file of `size` patterned bytes, opened as the byte stream the copy engine reads. */
async function diskSource(dir: string, size: number) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  await Deno.writeFile(join(dir, "src.bin"), data);
  const disk = await DiskVfs.open(dir);
  const stream = await disk.openRead("/src.bin");
  return { data, reader: stream.getReader({ mode: "byob" }) };
}

/**
 * A stand-in for the upload's requests: keeps each part until `release` sends the oldest
 * (copying it out then, as the channel does) and answers it; `ready` throws `failure` once set.
 */
function channel() {
  const held: { part: Uint8Array; onSent: () => void; answer: () => void }[] = [];
  const out: Uint8Array[] = [];
  let most = 0;
  const state: { failure?: VfsError } = {};
  const requests: WriteRequests = {
    ready: () => state.failure ? Promise.reject(state.failure) : Promise.resolve(),
    send: (part, onSent) => {
      const answered = Promise.withResolvers<void>();
      held.push({ part, onSent, answer: answered.resolve });
      most = Math.max(most, held.length);
      return answered.promise;
    },
  };
  const release = () => {
    const h = held.shift();
    if (!h) return false;
    out.push(h.part.slice());
    h.onSent();
    h.answer();
    return true;
  };
  return { requests, release, out, held, state, most: () => most };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("fillWrites: a file goes out whole, in order, through at most FILL_BUFFERS buffers, none read into before its bytes are sent", async () => {
  await withTempDir("aft-fill-", async (dir) => {
    const size = 10 * 1000 + 3;
    const { data, reader } = await diskSource(dir, size);
    const ch = channel();
    let counted = 0;
    // Parts are released slowly, a tick after each, so every buffer ends up held at once.
    let done = false;
    const filling = fillWrites(reader, 1000, ch.requests, (n) => counted += n)
      .finally(() => done = true);
    while (!done) {
      await tick();
      ch.release();
    }
    await filling;
    while (ch.release());
    const joined = new Uint8Array(ch.out.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of ch.out) joined.set(p, (at += p.length) - p.length);
    assert.deepEqual(joined, data, "every byte as in the file, each part intact when sent");
    assert.equal(counted, size);
    assert.equal(ch.most(), FILL_BUFFERS);
    assert.ok(ch.out.every((p) => p.length <= 1000));
  });
});

Deno.test("fillWrites: an empty file sends nothing", async () => {
  await withTempDir("aft-fill-", async (dir) => {
    const { reader } = await diskSource(dir, 0);
    const ch = channel();
    await fillWrites(reader, 1000, ch.requests, () => {});
    assert.equal(ch.out.length + ch.held.length, 0);
  });
});

Deno.test("fillWrites: an abort while every buffer waits in the channel rejects at once with its reason", async () => {
  await withTempDir("aft-fill-", async (dir) => {
    const { reader } = await diskSource(dir, 100_000);
    const ch = channel();
    const ac = new AbortController();
    const filling = fillWrites(reader, 1000, ch.requests, () => {}, ac.signal);
    while (ch.held.length < FILL_BUFFERS) await tick();
    await tick();
    assert.equal(ch.held.length, FILL_BUFFERS, "nothing more read while no buffer is free");
    ac.abort(new Error("halted"));
    await assert.rejects(filling, /halted/);
  });
});

Deno.test("fillWrites: the upload's failure ends it with that error; so does the source's", async () => {
  await withTempDir("aft-fill-", async (dir) => {
    const { reader } = await diskSource(dir, 100_000);
    const ch = channel();
    const filling = fillWrites(reader, 1000, ch.requests, () => {});
    while (ch.held.length < FILL_BUFFERS) await tick();
    const failure = ch.state.failure = new VfsError("CONNECTION", "Connection lost");
    // The channel fails its queued writes: their buffers come back, the next loop throws.
    while (ch.release());
    await assert.rejects(filling, (e) => e === failure);

    const broken = new ReadableStream({
      type: "bytes",
      pull(c) {
        c.error(new VfsError("IO", "Input/output error"));
      },
    });
    await assert.rejects(
      fillWrites(broken.getReader({ mode: "byob" }), 1000, channel().requests, () => {}),
      /Input\/output error/,
    );
  });
});

Deno.test("fillWrites: a source cancelled by an abort (as the engine's pipe cancels it) does not end as a complete file", async () => {
  // A source that has nothing yet: the read waits until the cancel makes it read as the end.
  const waiting = new ReadableStream({ type: "bytes", pull: () => new Promise(() => {}) });
  const reader = waiting.getReader({ mode: "byob" });
  const ch = channel();
  const ac = new AbortController();
  const filling = fillWrites(reader, 1000, ch.requests, () => {}, ac.signal);
  ac.abort(new Error("halted"));
  await reader.cancel(ac.signal.reason);
  await assert.rejects(filling, /halted/);
});

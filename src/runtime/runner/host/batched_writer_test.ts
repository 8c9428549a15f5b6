import assert from "node:assert/strict";
import { join } from "node:path";
import { BatchedWriter, PIECE } from "./batched_writer.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";

async function withFile(fn: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aft-batched-" });
  try {
    await fn(join(dir, "out"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes `sizes` chunks through one reused buffer, changed after every write. */
async function writeChunks(path: string, sizes: number[], expected?: number): Promise<Uint8Array> {
  const want = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  const scratch = new Uint8Array(Math.max(1, ...sizes));
  const file = await Deno.open(path, { write: true, createNew: true });
  const out = new BatchedWriter(file, expected);
  let at = 0;
  for (const n of sizes) {
    for (let i = 0; i < n; i++) scratch[i] = (at + i * 7) & 0xff;
    want.set(scratch.subarray(0, n), at);
    await out.write(scratch.subarray(0, n));
    scratch.fill(0xee); // the writer copied: what it writes must not change
    at += n;
  }
  await out.flush();
  file.close();
  return want;
}

Deno.test("BatchedWriter writes every chunk in order when the caller reuses its buffer", async () => {
  const cases: [string, number[], number?][] = [
    ["nothing", []],
    ["one byte", [1]],
    ["exactly one piece", [PIECE]],
    ["one piece and a byte", [PIECE, 1]],
    ["small chunks over three pieces", Array(3 * 64 + 1).fill(16384 + 3)],
    ["one chunk of several pieces", [3 * PIECE + 5]],
    ["a small expected size, then more than that", [10, 100, 1000], 10],
    ["an expected size of 0, then data", [5], 0],
  ];
  for (const [what, sizes, expected] of cases) {
    await withFile(async (path) => {
      const want = await writeChunks(path, sizes, expected);
      assertSameBytes(await Deno.readFile(path), want, what);
    });
  }
});

Deno.test("BatchedWriter reports a failed write at flush or at the next piece", async () => {
  await withFile(async (path) => {
    await Deno.writeFile(path, new Uint8Array(0));
    const file = await Deno.open(path, { read: true }); // writes to it fail
    const out = new BatchedWriter(file);
    await out.write(new Uint8Array(10));
    await assert.rejects(() => out.flush());
    file.close();
  });
  await withFile(async (path) => {
    await Deno.writeFile(path, new Uint8Array(0));
    const file = await Deno.open(path, { read: true });
    const out = new BatchedWriter(file);
    await assert.rejects(async () => {
      for (let i = 0; i < 4; i++) await out.write(new Uint8Array(PIECE));
    });
    file.close();
  });
});

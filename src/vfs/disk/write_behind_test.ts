/**
 * Writing behind the caller: every byte lands in order whatever the chunk sizes, a chunk may be
 * reused as soon as its write resolves, the file is whole when `close` resolves, and a failed
 * write (a full disk: /dev/full) fails the stream with the caller's error, the file closed once.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../../../tests/fixtures/temp_dir.ts";
import { mapDiskError } from "./_map_error.ts";
import { VfsError } from "../types.ts";
import { DiskVfs } from "./disk.ts";
import { SLOW_WRITE_MS, WRITE_BEHIND_BYTES, writeBehind } from "./write_behind.ts";

function closer(file: Deno.FsFile): { close: () => void; count: () => number } {
  let n = 0;
  return {
    close: () => {
      if (n++ === 0) file.close();
    },
    count: () => n,
  };
}

/**
 * `real`'s writes, each recorded in `calls` ("write N" or "writeSync N"); the call numbered
 * `slowAt` (1-based, a synchronous one) takes longer than SLOW_WRITE_MS.
 */
function recording(real: Deno.FsFile, slowAt?: number) {
  const calls: string[] = [];
  const file = {
    write: (b: Uint8Array) => (calls.push(`write ${b.length}`), real.write(b)),
    writeSync: (b: Uint8Array) => {
      calls.push(`writeSync ${b.length}`);
      if (calls.length === slowAt) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SLOW_WRITE_MS + 5);
      }
      return real.writeSync(b);
    },
  };
  return { file, calls };
}

Deno.test("write behind: chunks of any size land in order, each reusable once written", async () => {
  await withTempDir("aft-write-behind-", async (dir) => {
    const path = join(dir, "out.bin");
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const c = closer(file);
    const size = 1000;
    const w = writeBehind(file, (e) => mapDiskError(e, "/out.bin"), c.close, size).getWriter();
    // One buffer for every chunk, refilled straight after each write resolves: a writer that
    // wrote from the caller's memory later would put the later bytes in the earlier places.
    const reused = new Uint8Array(5000);
    const sizes = [1, 999, 1000, 0, 1001, 2500, 7, 4096, 3, 1000, 5000];
    const expected: number[] = [];
    sizes.forEach((n, k) => {
      for (let i = 0; i < n; i++) reused[i] = (i * 31 + k * 7) & 0xff;
      for (let i = 0; i < n; i++) expected.push(reused[i]!);
    });
    for (const [k, n] of sizes.entries()) {
      for (let i = 0; i < n; i++) reused[i] = (i * 31 + k * 7) & 0xff;
      await w.write(reused.subarray(0, n));
      reused.fill(0xee);
    }
    await w.close();
    assert.equal(c.count(), 1);
    assert.deepEqual(await Deno.readFile(path), new Uint8Array(expected));
  });
});

Deno.test({
  name: "write behind: a full disk fails the stream with the caller's error, the file closed",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const file = await Deno.open("/dev/full", { write: true });
    const c = closer(file);
    const w = writeBehind(file, (e) => mapDiskError(e, "/full.bin"), c.close, 1000).getWriter();
    // The first full buffer's write fails (here, or on the other thread after a slow write):
    // the stream says so at the latest when it is closed.
    const err = await w.write(new Uint8Array(1500))
      .then(() => w.write(new Uint8Array(1500)))
      .then(() => w.close())
      .then(() => undefined, (e) => e);
    assert.ok(err instanceof VfsError, String(err));
    assert.equal(err.code, "IO");
    assert.match(err.message, /No space left on the device: "\/full\.bin"/);
    assert.equal(c.count(), 1);

    // Fewer bytes than a buffer: the only write is made at close, which fails with it.
    const file2 = await Deno.open("/dev/full", { write: true });
    const c2 = closer(file2);
    const w2 = writeBehind(file2, (e) => mapDiskError(e, "/last.bin"), c2.close, 1000)
      .getWriter();
    await w2.write(new Uint8Array(500));
    await assert.rejects(() => w2.close(), /No space left on the device: "\/last\.bin"/);
    assert.equal(c2.count(), 1);

    // A write behind the caller (after a slow one here) that fails: the stream says so too.
    const full3 = await Deno.open("/dev/full", { write: true });
    const c3 = closer(full3);
    const slowOnce = {
      write: (b: Uint8Array) => full3.write(b),
      writeSync: (b: Uint8Array) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SLOW_WRITE_MS + 5);
        return b.length; // taken (slowly) by a disk that fills up right after
      },
    };
    const w3 = writeBehind(slowOnce, (e) => mapDiskError(e, "/behind.bin"), c3.close, 1000)
      .getWriter();
    const err3 = await (async () => {
      for (let k = 0; k < 5; k++) await w3.write(new Uint8Array(1000));
      await w3.close();
    })().then(() => undefined, (e) => e);
    assert.ok(err3 instanceof VfsError, String(err3));
    assert.match(err3.message, /No space left on the device: "\/behind\.bin"/);
    assert.equal(c3.count(), 1);
  },
});

Deno.test("write behind: a file that fits in one buffer is written once, at close, synchronously", async () => {
  await withTempDir("aft-write-behind-", async (dir) => {
    const path = join(dir, "small.bin");
    const real = await Deno.open(path, { write: true, create: true });
    const { file, calls } = recording(real);
    const c = closer(real);
    // Exactly one buffer's worth, in two chunks: no hand-off to the other thread.
    const w = writeBehind(file, (e) => mapDiskError(e, "/small.bin"), c.close, 1000).getWriter();
    await w.write(new Uint8Array(600).fill(1));
    await w.write(new Uint8Array(400).fill(2));
    assert.deepEqual(calls, []);
    await w.close();
    assert.deepEqual(calls, ["writeSync 1000"]);
    assert.equal(c.count(), 1);
    const got = await Deno.readFile(path);
    assert.equal(got.length, 1000);
    assert.equal(got[599], 1);
    assert.equal(got[600], 2);
  });
});

Deno.test("write behind: full buffers are written on the caller's thread until one write is slow, then behind it", async () => {
  await withTempDir("aft-write-behind-", async (dir) => {
    const path = join(dir, "slow.bin");
    const real = await Deno.open(path, { write: true, create: true });
    // The third synchronous write is slow (a disk under pressure).
    const { file, calls } = recording(real, 3);
    const c = closer(real);
    const w = writeBehind(file, (e) => mapDiskError(e, "/slow.bin"), c.close, 1000).getWriter();
    for (let k = 0; k < 6; k++) await w.write(new Uint8Array(1000).fill(k));
    await w.write(new Uint8Array(10).fill(6));
    await w.close();
    assert.deepEqual(calls, [
      "writeSync 1000",
      "writeSync 1000",
      "writeSync 1000", // slow: the later ones go to the other thread
      "write 1000",
      "write 1000",
      "write 1000",
      "write 10",
    ]);
    assert.equal(c.count(), 1);
    const got = await Deno.readFile(path);
    assert.equal(got.length, 6010);
    for (let k = 0; k <= 6; k++) assert.equal(got[k * 1000], k, `byte ${k * 1000}`);
  });
});

Deno.test("write behind: abort waits for the write under way, then closes", async () => {
  await withTempDir("aft-write-behind-", async (dir) => {
    const file = await Deno.open(join(dir, "a.bin"), { write: true, create: true });
    const c = closer(file);
    const w = writeBehind(file, (e) => mapDiskError(e, "/a.bin"), c.close, 1000).getWriter();
    await w.write(new Uint8Array(2500).fill(1));
    await w.abort(new Error("cancelled"));
    assert.equal(c.count(), 1);
    // Whole buffers handed off before the abort are on the file; the gathered rest is not.
    assert.equal((await Deno.stat(join(dir, "a.bin"))).size, 2000);
  });
});

Deno.test("disk VFS: a file written through openWrite is whole once the stream is closed", async () => {
  await withTempDir("aft-write-behind-", async (dir) => {
    const vfs = await DiskVfs.open(dir);
    const w = (await vfs.openWrite("/.big.part")).getWriter();
    const piece = new Uint8Array(21 * 1024);
    const pieces = Math.ceil((3 * WRITE_BEHIND_BYTES + 123) / piece.length);
    for (let k = 0; k < pieces; k++) {
      piece.fill(k & 0xff);
      await w.write(piece);
    }
    await w.close();
    const got = await Deno.readFile(join(dir, ".big.part"));
    assert.equal(got.length, pieces * piece.length);
    for (let k = 0; k < pieces; k++) assert.equal(got[k * piece.length + 100], k & 0xff);
  });
});

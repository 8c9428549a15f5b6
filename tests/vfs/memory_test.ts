import { MemoryVfs } from "../../src/vfs/memory/memory.ts";
import assert from "node:assert/strict";
import { copyToVfs, LIST_AT, SMALL_FILES_FACTOR, WHOLE_MAX } from "../../src/vfs/copy.ts";
import { fingerprint, tempName } from "../../src/vfs/temp_name.ts";
import { VfsError, type WriteOptions } from "../../src/vfs/types.ts";
import { thisWriter } from "../../src/vfs/writer_id.ts";
import { conformance, firstBytes, readOffsets } from "./conformance.ts";
import { failingReads, names, patternStream, sha256 } from "./_util.ts";

conformance(
  "memory",
  () => Promise.resolve({ vfs: new MemoryVfs(), cleanup: () => Promise.resolve() }),
);

Deno.test("copy: stopOnError starts no further files after one fails; without it all are tried", async () => {
  for (const stopOnError of [true, false]) {
    const src = new MemoryVfs();
    const dst = new MemoryVfs();
    await src.mkdir("/in", { recursive: true });
    for (const name of ["a.txt", "b.txt", "c.txt"]) {
      await ReadableStream.from([new TextEncoder().encode(name)]).pipeTo(
        await src.openWrite(`/in/${name}`),
      );
    }
    // A folder where the first file should go makes that file fail.
    await dst.mkdir("/out/a.txt", { recursive: true });
    const r = await copyToVfs(src, "/in/*.txt", dst, "/out", { concurrency: 1, stopOnError });
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors.map((e) => e.path), ["/in/a.txt"]);
    assert.equal(r.files, stopOnError ? 0 : 2);
  }
});

Deno.test("copy: a folder receiving many files is listed once, not asked about each file; a single file after a recent listing gets a stat", async () => {
  const src = new MemoryVfs();
  const dst = new MemoryVfs();
  await src.mkdir("/in");
  const n = LIST_AT + 8;
  for (let i = 0; i < n; i++) {
    await ReadableStream.from([new TextEncoder().encode(`file ${i}`)]).pipeTo(
      await src.openWrite(`/in/f${i}.txt`),
    );
  }
  await dst.mkdir("/out");
  const calls = { stat: 0, list: 0 };
  const counted = new Proxy(dst, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === "list") {
        return (p: string) => (calls.list++, target.list(p));
      }
      if (prop === "stat") {
        // Stats of the temporary files (the size check) are not existence checks.
        return (p: string) => (p.includes(".aft-") || calls.stat++, target.stat(p));
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const r = await copyToVfs(src, "/in", counted, "/out");
  assert.deepEqual([r.ok, r.files], [true, n]);
  assert.deepEqual(calls, { stat: 0, list: 1 });
  // A single file into a folder: listed once (for leftover temporary files), then, as that
  // folder was listed a moment ago, a stat is enough: a folder of many entries costs a listing.
  calls.stat = calls.list = 0;
  await copyToVfs(src, "/in/f1.txt", counted, "/one");
  assert.deepEqual(calls, { stat: 0, list: 1 });
  calls.stat = calls.list = 0;
  await copyToVfs(src, "/in/f2.txt", counted, "/one");
  assert.deepEqual(calls, { stat: 1, list: 0 });
  // Many files are listed at once all the same.
  calls.stat = calls.list = 0;
  await copyToVfs(src, "/in", counted, "/out", { overwrite: "always" });
  assert.deepEqual(calls, { stat: 0, list: 1 });
});

Deno.test("copy: the temporary file of a failed copy is removed even when the first remove fails", async () => {
  const src = new MemoryVfs();
  const dst = new MemoryVfs();
  await ReadableStream.from([new Uint8Array(4096)]).pipeTo(await src.openWrite("/a.bin"));
  let removes = 0;
  // The first remove goes out on a connection that has just dropped.
  const flaky = new Proxy(dst, {
    get(target, prop, receiver) {
      if (prop === "remove") {
        return (p: string, o?: { recursive?: boolean }) =>
          ++removes === 1
            ? Promise.reject(new VfsError("CONNECTION", "connection lost"))
            : target.remove(p, o);
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const r = await copyToVfs(failingReads(src, 1000), "/a.bin", flaky, "/", { retries: 0 });
  assert.equal(r.ok, false);
  assert.equal(removes, 2);
  assert.deepEqual((await dst.list("/")).map((f) => f.name), []);
});

Deno.test({
  name:
    "copy: two copies that find one crashed temporary file at once: one continues it, the other starts anew",
  ignore: Deno.build.os !== "linux", // a gone process is told from Linux's /proc
}, async () => {
  const MiB = 1024 * 1024;
  const src = new MemoryVfs();
  const dst = new MemoryVfs();
  await patternStream(2 * MiB, 3).pipeTo(await src.openWrite("/big.bin"));
  await dst.mkdir("/in");
  const gone = { ...thisWriter(), start: "zzzzzz" };
  const crashed = tempName("big.bin", fingerprint("big.bin", await src.stat("/big.bin")), gone);
  await patternStream(2 * MiB, 3).pipeThrough(firstBytes(MiB)).pipeTo(
    await dst.openWrite(`/in/${crashed}`),
  );
  const offsets: number[] = [];
  // Two VFSs over one tree: two jobs, each listing the folder and finding the leftover.
  const results = await Promise.all(
    [dst, new MemoryVfs(dst)].map((to) =>
      copyToVfs(readOffsets(src, offsets), "/big.bin", to, "/in", { overwrite: "always" })
    ),
  );
  assert.deepEqual(results.map((r) => r.ok), [true, true]);
  assert.deepEqual(offsets.sort((a, b) => a - b), [0, MiB]);
  assert.deepEqual(await names(dst, "/in"), ["big.bin"]);
  assert.equal(
    await sha256(await dst.openRead("/in/big.bin")),
    await sha256(patternStream(2 * MiB, 3)),
  );
});

Deno.test("copy: MoveToVFS keeps a source file that the overwrite policy skipped", async () => {
  const src = new MemoryVfs();
  const dst = new MemoryVfs();
  const put = async (vfs: MemoryVfs, path: string, text: string) =>
    await ReadableStream.from([new TextEncoder().encode(text)]).pipeTo(await vfs.openWrite(path));
  await src.mkdir("/in");
  await dst.mkdir("/out");
  await put(dst, "/out/kept.txt", "BBBB");
  for (const overwrite of ["never", "ifDiffSize"] as const) {
    // Same size, other content: both policies skip it.
    await put(src, "/in/kept.txt", "AAAA");
    await put(src, "/in/moved.txt", "moved");
    await dst.remove("/out/moved.txt").catch(() => {});
    const r = await copyToVfs(src, "/in/*.txt", dst, "/out", { move: true, overwrite });
    assert.ok(r.ok, JSON.stringify(r.errors));
    assert.deepEqual([r.files, r.skipped], [1, 1]);
    // A move deletes only what arrived: the skipped file stays at the source.
    assert.deepEqual(await names(src, "/in"), ["kept.txt"]);
  }
  const kept = await new Response(await dst.openRead("/out/kept.txt")).text();
  assert.equal(kept, "BBBB");
});

Deno.test("copy: between multiplexed VFSs small files go SMALL_FILES_FACTOR times `concurrency` at once, larger ones never more than `concurrency`; elsewhere, and at a concurrency of 1, `concurrency` in all", async () => {
  const src = new MemoryVfs();
  await src.mkdir("/in");
  const sizes = Array.from({ length: 60 }, (_, i) => i % 5 === 0 ? WHOLE_MAX + 1 : 1024);
  for (const [i, size] of sizes.entries()) {
    await src.writeWhole(`/in/f${i}.bin`, new Uint8Array(size).fill(i));
  }
  for (
    const [multiplexed, concurrency] of [[true, 2], [false, 2], [true, 1]] as [boolean, number][]
  ) {
    const dst = new MemoryVfs();
    const peak = { all: 0, large: 0 };
    const now = { all: 0, large: 0 };
    const start = (large: boolean) => {
      now.all++;
      if (large) now.large++;
      peak.all = Math.max(peak.all, now.all);
      peak.large = Math.max(peak.large, now.large);
    };
    const end = (large: boolean) => {
      now.all--;
      if (large) now.large--;
    };
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    // Each file's write takes a while, from its start to its end, so that files overlap.
    const slow = new Proxy(dst, {
      get(target, prop, receiver) {
        if (prop === "features") return { ...target.features, multiplexed };
        if (prop === "writeWhole") {
          return async (p: string, data: Uint8Array) => {
            start(false);
            await pause();
            end(false);
            return target.writeWhole(p, data);
          };
        }
        if (prop === "openWrite") {
          return async (p: string, o: WriteOptions) => {
            const w = (await target.openWrite(p, o)).getWriter();
            start(true);
            let ended = false;
            const done = () => ended || (ended = true, end(true));
            return new WritableStream<Uint8Array>({
              write: async (c) => (await pause(), w.write(c)),
              close: () => (done(), w.close()),
              abort: (r) => (done(), w.abort(r)),
            });
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const r = await copyToVfs(src, "/in", slow, "/out", { concurrency });
    assert.deepEqual([r.ok, r.files], [true, sizes.length], JSON.stringify(r.errors));
    for (const [i, size] of sizes.entries()) {
      assert.equal((await dst.stat(`/out/in/f${i}.bin`)).size, size);
    }
    assert.ok(peak.large <= concurrency, `large files at once: ${peak.large}`);
    assert.equal(peak.large > 0, true);
    if (multiplexed && concurrency > 1) {
      assert.ok(peak.all > concurrency, `files at once: ${peak.all}`);
      assert.ok(peak.all <= concurrency * SMALL_FILES_FACTOR, `files at once: ${peak.all}`);
    } else {
      assert.ok(peak.all <= concurrency, `files at once: ${peak.all}`);
    }
  }
});

Deno.test("copy: a source name with glob characters that is itself there is that file; one that is not there is a mask", async () => {
  const src = new MemoryVfs();
  await src.mkdir("/in", { recursive: true });
  for (const name of ["[br].txt", "b.txt", "back\\slash.txt"]) {
    await ReadableStream.from([new TextEncoder().encode(name)]).pipeTo(
      await src.openWrite(`/in/${name}`),
    );
  }
  const copied = async (path: string, move = false) => {
    const dst = new MemoryVfs();
    const r = await copyToVfs(src, path, dst, "/out", { move });
    assert.equal(r.ok, true, JSON.stringify(r.errors));
    return (await dst.list("/out")).map((i) => i.name).sort();
  };
  assert.deepEqual(await copied("/in/[br].txt"), ["[br].txt"]);
  assert.deepEqual(await copied("/in/back\\slash.txt"), ["back\\slash.txt"]);
  assert.deepEqual(await copied("/in/[ab].txt"), ["b.txt"]);
  // A move of the exact name moves that file, and leaves b.txt.
  assert.deepEqual(await copied("/in/[br].txt", true), ["[br].txt"]);
  assert.deepEqual((await src.list("/in")).map((i) => i.name).sort(), ["b.txt", "back\\slash.txt"]);
});

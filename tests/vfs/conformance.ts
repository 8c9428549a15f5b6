/**
 * The shared VFS conformance suite. Every backend's test file hands it a factory; what a
 * backend declares it cannot do (`features`) is skipped with the reason, not caught.
 *
 * @example
 * ```ts
 * conformance("memory", () => Promise.resolve({ vfs: new MemoryVfs(), cleanup: async () => {} }));
 * ```
 * @module
 */

import assert from "node:assert/strict";
import { copyToVfs, LIST_AT } from "../../src/vfs/copy.ts";
import { MemoryVfs } from "../../src/vfs/memory/memory.ts";
import { isVfsError, type Vfs, type VfsErrorCode } from "../../src/vfs/types.ts";
import { failingReads, names, patternStream, put, sha256, text } from "./_util.ts";

export interface Subject {
  vfs: Vfs;
  cleanup(): Promise<void>;
}

export interface SuiteOptions {
  /** Size of the large-file case in MiB (default 110: over 100 MiB). */
  largeMiB?: number;
}

const MiB = 1024 * 1024;

/** File names that break naive code: spaces, unicode, quotes, URL and shell specials. */
export function hostileNames(vfs: Vfs): string[] {
  const all = [
    " leading and trailing spaces .txt",
    "résumé ☃ 日本語 𝄞.txt",
    'it\'s a "quoted" name.txt',
    "#%&+=;@!$,~ (1) [2] {3}.csv",
    "-starts-with-dash",
    "x".repeat(200),
    "percent %20 and %2F.bin",
  ];
  // Windows forbids some characters in file names; the local disk there cannot hold them.
  return vfs.type === "disk" && Deno.build.os === "windows"
    ? all.filter((n) => !/["*?<>|:]/.test(n))
    : all;
}

async function rejectsWith(p: Promise<unknown>, code: VfsErrorCode): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(isVfsError(e), `expected VfsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Registers the suite for one backend. */
export function conformance(
  name: string,
  factory: () => Promise<Subject>,
  opts: SuiteOptions = {},
): void {
  Deno.test(`VFS conformance: ${name}`, async (t) => {
    const { vfs, cleanup } = await factory();
    const step = (label: string, fn: () => Promise<void>, skip?: string) =>
      skip ? t.step({ name: `${label} (skipped: ${skip})`, ignore: true, fn }) : t.step(label, fn);
    try {
      await step("mkdir, stat and list a folder", async () => {
        await vfs.mkdir("/basic");
        const info = await vfs.stat("/basic");
        assert.equal(info.isDir, true);
        assert.equal(info.name, "basic");
        assert.equal(info.path, "/basic");
        assert.deepEqual(await names(vfs, "/basic"), []);
        await vfs.mkdir("/basic/a/b/c", { recursive: true });
        await vfs.mkdir("/basic/a/b/c", { recursive: true });
        await rejectsWith(vfs.mkdir("/basic/a"), "ALREADY_EXISTS");
        await rejectsWith(vfs.mkdir("/basic/missing/x"), "NOT_FOUND");
      });

      await step("concurrent recursive mkdirs of one new path all succeed", async () => {
        // Two jobs making the same dated folder at once, say.
        await Promise.all(
          Array.from({ length: 6 }, () => vfs.mkdir("/race/2026/11/23", { recursive: true })),
        );
        assert.equal((await vfs.stat("/race/2026/11/23")).isDir, true);
        await put(vfs, "/race/file", "x");
        await rejectsWith(vfs.mkdir("/race/file/sub", { recursive: true }), "NOT_DIR");
      });

      await step("write, read, stat and list files", async () => {
        await put(vfs, "/basic/hello.txt", "hello, world");
        assert.equal(await text(vfs, "/basic/hello.txt"), "hello, world");
        const info = await vfs.stat("/basic/hello.txt");
        assert.equal(info.size, 12);
        assert.equal(info.isDir, false);
        assert.ok(Math.abs(info.modTime.getTime() - Date.now()) < 120_000, "modTime is recent");
        assert.deepEqual(await names(vfs, "/basic"), ["a", "hello.txt"]);
        await put(vfs, "/basic/hello.txt", "short");
        assert.equal(await text(vfs, "/basic/hello.txt"), "short", "a new write truncates");
      });

      await step("empty files", async () => {
        await put(vfs, "/basic/empty", "");
        assert.equal((await vfs.stat("/basic/empty")).size, 0);
        assert.equal(await text(vfs, "/basic/empty"), "");
      });

      await step("errors have stable codes", async () => {
        await rejectsWith(vfs.stat("/nope"), "NOT_FOUND");
        await rejectsWith(vfs.openRead("/nope"), "NOT_FOUND");
        await rejectsWith(vfs.list("/nope"), "NOT_FOUND");
        await rejectsWith(vfs.remove("/nope"), "NOT_FOUND");
        await rejectsWith(vfs.openWrite("/nope/x.txt"), "NOT_FOUND");
        await rejectsWith(vfs.stat("/../etc/passwd"), "INVALID_PATH");
        await rejectsWith(vfs.openRead("/a/../../x"), "INVALID_PATH");
        await rejectsWith(vfs.remove("/basic"), "NOT_EMPTY");
        if (vfs.features.realDirs) {
          await rejectsWith(vfs.openRead("/basic"), "IS_DIR");
          await rejectsWith(vfs.list("/basic/hello.txt"), "NOT_DIR");
        }
      });

      await step("hostile names survive every operation", async () => {
        await vfs.mkdir("/hostile");
        for (const n of hostileNames(vfs)) {
          const p = `/hostile/${n}`;
          await put(vfs, p, `content of ${n}`);
          assert.equal(await text(vfs, p), `content of ${n}`);
          assert.equal((await vfs.stat(p)).name, n);
          await vfs.rename(p, `${p}.renamed`);
          await vfs.mkdir(`/hostile/dir ${n.slice(0, 40)}`);
        }
        const listed = await names(vfs, "/hostile");
        for (const n of hostileNames(vfs)) {
          assert.ok(listed.includes(`${n}.renamed`), `listing has ${JSON.stringify(n)}`);
        }
      });

      await step("a deep tree (20 levels)", async () => {
        const deep = "/deep/" + Array.from({ length: 20 }, (_, i) => `level ${i}`).join("/");
        await vfs.mkdir(deep, { recursive: true });
        await put(vfs, `${deep}/leaf.txt`, "leaf");
        assert.equal(await text(vfs, `${deep}/leaf.txt`), "leaf");
        await vfs.remove("/deep", { recursive: true });
        await rejectsWith(vfs.stat("/deep"), "NOT_FOUND");
      });

      await step("rename moves files and folders, and replaces an existing file", async () => {
        await vfs.mkdir("/ren");
        await put(vfs, "/ren/a", "A");
        await put(vfs, "/ren/b", "B");
        await vfs.rename("/ren/a", "/ren/b");
        assert.equal(await text(vfs, "/ren/b"), "A");
        await rejectsWith(vfs.stat("/ren/a"), "NOT_FOUND");
        await vfs.mkdir("/ren/d1");
        await put(vfs, "/ren/d1/x", "x");
        await vfs.rename("/ren/d1", "/ren/d2");
        assert.equal(await text(vfs, "/ren/d2/x"), "x");
      });

      await step("ranged reads", async () => {
        await put(vfs, "/basic/digits", "0123456789");
        assert.equal(await text(vfs, "/basic/digits", { offset: 3 }), "3456789");
        assert.equal(await text(vfs, "/basic/digits", { offset: 3, length: 4 }), "3456");
        assert.equal(await text(vfs, "/basic/digits", { offset: 20 }), "");
      }, vfs.features.rangedRead ? undefined : "no ranged reads");

      await step("append", async () => {
        await put(vfs, "/basic/log", "one;");
        const w = (await vfs.openWrite("/basic/log", { append: true })).getWriter();
        await w.write(new TextEncoder().encode("two;"));
        await w.close();
        assert.equal(await text(vfs, "/basic/log"), "one;two;");
      }, vfs.features.append ? undefined : "no append");

      await step("setTimes", async () => {
        const when = new Date("2024-02-29T12:34:56Z");
        await vfs.setTimes!("/basic/hello.txt", when, when);
        assert.equal((await vfs.stat("/basic/hello.txt")).modTime.getTime(), when.getTime());
      }, vfs.features.setTimes ? undefined : "setTimes not supported");

      await step("chmod", async () => {
        await vfs.chmod!("/basic/hello.txt", 0o600);
        assert.equal((await vfs.stat("/basic/hello.txt")).mode & 0o777, 0o600);
      }, vfs.features.chmod ? undefined : "chmod not supported");

      await step("truncate", async () => {
        await vfs.truncate!("/basic/digits", 4);
        assert.equal(await text(vfs, "/basic/digits"), "0123");
      }, vfs.features.truncate ? undefined : "truncate not supported");

      await step("server-side copy", async () => {
        await vfs.copy!("/basic/hello.txt", "/basic/hello-copy.txt");
        assert.equal(await text(vfs, "/basic/hello-copy.txt"), await text(vfs, "/basic/hello.txt"));
      }, vfs.features.serverSideCopy ? undefined : "no server-side copy");

      await step("hash", async () => {
        const want = await sha256(await vfs.openRead("/basic/hello.txt"));
        assert.equal(await vfs.hash!("/basic/hello.txt", "sha256"), want);
      }, vfs.features.hashes.includes("sha256") ? undefined : "no sha256");

      const large = (opts.largeMiB ?? 110) * MiB;
      await step(`a ${large / MiB} MiB file streams in and out intact`, async () => {
        await patternStream(large, 42).pipeTo(await vfs.openWrite("/large.bin"));
        assert.equal((await vfs.stat("/large.bin")).size, large);
        assert.equal(
          await sha256(await vfs.openRead("/large.bin")),
          await sha256(patternStream(large, 42)),
        );
      });

      const mem = new MemoryVfs();
      await step("copy engine: a single file, both directions, with progress", async () => {
        await mem.mkdir("/src");
        await put(mem, "/src/one.csv", "a,b\n1,2\n");
        const seen: boolean[] = [];
        const r = await copyToVfs(mem, "/src/one.csv", vfs, "/copy/in", {
          onProgress: (p) => seen.push(p.done),
        });
        assert.deepEqual([r.ok, r.files, r.bytes, r.errors], [true, 1, 8, []]);
        assert.equal(await text(vfs, "/copy/in/one.csv"), "a,b\n1,2\n");
        assert.equal(seen.at(-1), true);
        const back = await copyToVfs(vfs, "/copy/in/one.csv", mem, "/back");
        assert.ok(back.ok);
        assert.equal(await text(mem, "/back/one.csv"), "a,b\n1,2\n");
      });

      await step("copy engine: a tree and a glob", async () => {
        await mem.mkdir("/tree/sub/empty", { recursive: true });
        await put(mem, "/tree/a.csv", "A");
        await put(mem, "/tree/b.txt", "B");
        await put(mem, "/tree/sub/c.csv", "C");
        const r = await copyToVfs(mem, "/tree", vfs, "/copy/tree");
        assert.equal(r.files, 3);
        assert.equal(await text(vfs, "/copy/tree/sub/c.csv"), "C");
        if (vfs.features.realDirs) {
          assert.equal((await vfs.stat("/copy/tree/sub/empty")).isDir, true);
        }
        const g = await copyToVfs(mem, "/tree/*.csv", vfs, "/copy/glob");
        assert.deepEqual([g.ok, g.files], [true, 1]);
        assert.deepEqual(await names(vfs, "/copy/glob"), ["a.csv"]);
        const none = await copyToVfs(mem, "/tree/*.none", vfs, "/copy/glob");
        assert.deepEqual([none.ok, none.files], [true, 0]);
        const missing = await copyToVfs(mem, "/tree/missing.csv", vfs, "/copy/glob");
        assert.equal(missing.ok, false);
        assert.equal(missing.errors[0]?.code, "NOT_FOUND");
      });

      await step("copy engine: overwrite policies", async () => {
        await put(mem, "/ow.txt", "new content");
        await put(vfs, "/copy/ow.txt", "old");
        let r = await copyToVfs(mem, "/ow.txt", vfs, "/copy", { overwrite: "never" });
        assert.deepEqual([r.files, r.skipped], [0, 1]);
        assert.equal(await text(vfs, "/copy/ow.txt"), "old");
        r = await copyToVfs(mem, "/ow.txt", vfs, "/copy", { overwrite: "ifDiffSize" });
        assert.deepEqual([r.files, r.skipped], [1, 0]);
        r = await copyToVfs(mem, "/ow.txt", vfs, "/copy", { overwrite: "ifDiffSize" });
        assert.deepEqual([r.files, r.skipped], [0, 1]);
        await mem.setTimes("/ow.txt", new Date(0), new Date("2000-01-01"));
        r = await copyToVfs(mem, "/ow.txt", vfs, "/copy", { overwrite: "ifNewer" });
        assert.deepEqual([r.files, r.skipped], [0, 1]);
        await put(mem, "/ow.txt", "newer!");
        await mem.setTimes("/ow.txt", new Date(), new Date(Date.now() + 60_000));
        r = await copyToVfs(mem, "/ow.txt", vfs, "/copy", { overwrite: "ifNewer" });
        assert.deepEqual([r.files, r.skipped], [1, 0]);
        r = await copyToVfs(mem, "/ow.txt", vfs, "/copy", { overwrite: "always" });
        assert.deepEqual([r.files, r.skipped], [1, 0]);
        assert.equal(await text(vfs, "/copy/ow.txt"), "newer!");
      });

      await step("copy engine: overwrite policies across a folder of many files", async () => {
        // Enough files that the engine lists the destination folder once instead of a stat per
        // file: the decisions must come out the same.
        await mem.mkdir("/many");
        await vfs.mkdir("/copy/many", { recursive: true });
        const n = LIST_AT + 4;
        for (let i = 0; i < n; i++) await put(mem, `/many/f${i}.txt`, `new ${i}`);
        for (let i = 0; i < 6; i++) await put(vfs, `/copy/many/f${i}.txt`, "old");
        await vfs.mkdir(`/copy/many/f${n - 1}.txt`);
        let r = await copyToVfs(mem, "/many", vfs, "/copy/many", { overwrite: "never" });
        assert.deepEqual([r.files, r.skipped, r.errors.map((e) => e.code)], [n - 7, 6, ["IS_DIR"]]);
        assert.equal(await text(vfs, "/copy/many/f0.txt"), "old");
        assert.equal(await text(vfs, "/copy/many/f6.txt"), "new 6");
        await vfs.remove(`/copy/many/f${n - 1}.txt`);
        r = await copyToVfs(mem, "/many", vfs, "/copy/many", { overwrite: "ifDiffSize" });
        assert.deepEqual([r.files, r.skipped, r.ok], [7, n - 7, true]);
        assert.equal(await text(vfs, "/copy/many/f0.txt"), "new 0");
        assert.deepEqual(
          (await names(vfs, "/copy/many")).filter((n) => n.includes(".aft-")),
          [],
          "no temporary files left",
        );
      });

      await step("copy engine: verify, preserveTime and move", async () => {
        const when = new Date("2023-05-06T07:08:09Z");
        await mem.mkdir("/mv");
        await put(mem, "/mv/x.bin", new Uint8Array(5000).fill(7));
        await mem.setTimes("/mv/x.bin", when, when).catch(() => {});
        const r = await copyToVfs(mem, "/mv", vfs, "/copy/mv", {
          verify: true,
          preserveTime: true,
          move: true,
        });
        assert.ok(r.ok, JSON.stringify(r.errors));
        assert.equal((await vfs.stat("/copy/mv/x.bin")).size, 5000);
        if (vfs.features.setTimes) {
          assert.equal((await vfs.stat("/copy/mv/x.bin")).modTime.getTime(), when.getTime());
        }
        await rejectsWith(mem.stat("/mv/x.bin"), "NOT_FOUND");
        assert.equal((await mem.stat("/mv")).isDir, true, "the source folder itself stays");
      });

      await step(
        "copy engine: a source that fails mid-stream leaves no partial or temp file",
        async () => {
          await patternStream(6 * MiB, 7).pipeTo(await mem.openWrite("/big.bin"));
          await vfs.mkdir("/intr", { recursive: true });
          const r = await copyToVfs(failingReads(mem, 3 * MiB), "/big.bin", vfs, "/intr", {
            retries: 0,
          });
          assert.equal(r.ok, false);
          assert.match(r.errors[0]!.message, /connection reset/);
          assert.deepEqual(await names(vfs, "/intr"), [], "nothing left behind");
          const again = await copyToVfs(mem, "/big.bin", vfs, "/intr");
          assert.ok(again.ok);
          assert.equal(
            await sha256(await vfs.openRead("/intr/big.bin")),
            await sha256(patternStream(6 * MiB, 7)),
          );
        },
      );

      await step("copy engine: an abort leaves no partial or temp file", async () => {
        const ctl = new AbortController();
        await vfs.mkdir("/abort", { recursive: true });
        const r = await copyToVfs(mem, "/big.bin", vfs, "/abort", {
          signal: ctl.signal,
          onProgress: (p) => p.bytes > 0 && ctl.abort(),
        });
        if (!r.ok) {
          assert.equal(r.errors[0]!.code, "CANCELLED");
          assert.deepEqual(await names(vfs, "/abort"), []);
        } else {
          // The whole file went through before the abort landed: then it is complete.
          assert.equal((await vfs.stat("/abort/big.bin")).size, 6 * MiB);
        }
      });
    } finally {
      await cleanup();
    }
  });
}

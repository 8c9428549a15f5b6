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
import { fingerprint, tempName } from "../../src/vfs/temp_name.ts";
import { isVfsError, type ReadOptions, type Vfs, type VfsErrorCode } from "../../src/vfs/types.ts";
import { thisWriter } from "../../src/vfs/writer_id.ts";
import { failingReads, names, patternStream, put, randomBytes, sha256, text } from "./_util.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";

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
    ...DOT_NAMES,
  ];
  // Windows forbids some characters in file names, and a name ending in a dot; the local disk
  // there cannot hold them.
  return vfs.type === "disk" && Deno.build.os === "windows"
    ? all.filter((n) => !/["*?<>|:]|\.$/.test(n))
    : all;
}

/**
 * Names that start with dots: hidden files, and names whose first characters look like `..` but
 * are not the parent folder (a containment check on string prefixes refuses them).
 */
export const DOT_NAMES = [".env", "..x", "...", "..hidden.tmp"];

/** Passes on the first `n` bytes of a stream and ends it. */
export function firstBytes(n: number): TransformStream<Uint8Array, Uint8Array> {
  let left = n;
  return new TransformStream({
    transform(chunk, c) {
      if (left > 0) c.enqueue(chunk.subarray(0, Math.min(left, chunk.length)));
      left -= chunk.length;
    },
  });
}

/** `inner`, recording the offset of every read it opens (every read a stream). */
export function readOffsets(inner: Vfs, offsets: number[]): Vfs {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "readWhole") return undefined;
      if (prop === "openRead") {
        return (p: string, o?: ReadOptions) => {
          offsets.push(o?.offset ?? 0);
          return target.openRead(p, o);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
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

      await step("names starting with dots, at the root and below", async () => {
        const paths = [
          ...DOT_NAMES.filter((n) => hostileNames(vfs).includes(n)).map((n) => `/${n}`),
          "/.hidden dir/.x",
          "/..x dir/..y",
        ];
        for (const p of paths) {
          await vfs.mkdir(p.slice(0, p.lastIndexOf("/")) || "/", { recursive: true });
          await put(vfs, p, `content of ${p}`);
          assert.equal(await text(vfs, p), `content of ${p}`);
          assert.equal((await vfs.stat(p)).path, p);
          await vfs.rename(p, `${p}.renamed`);
          assert.equal(await text(vfs, `${p}.renamed`), `content of ${p}`);
          await vfs.rename(`${p}.renamed`, p);
        }
        const top = await names(vfs, "/");
        for (const p of paths) {
          const first = p.split("/")[1]!;
          assert.ok(top.includes(first), `root listing has ${JSON.stringify(first)}`);
        }
        assert.deepEqual(await names(vfs, "/.hidden dir"), [".x"]);
        // The copy engine's temporary names start with a dot too: `..env...tmp` at the root.
        const mem = new MemoryVfs();
        await mem.mkdir("/dots/.hidden dir", { recursive: true });
        for (const p of paths) await put(mem, `/dots/${p.slice(1).replace("/", "-")}`, p);
        await put(mem, "/dots/.hidden dir/.x", "nested");
        for (const p of paths) {
          const name = p.slice(1).replace("/", "-");
          const r = await copyToVfs(mem, `/dots/${name}`, vfs, "/", { overwrite: "always" });
          assert.ok(r.ok, JSON.stringify(r.errors));
          assert.equal(await text(vfs, `/${name}`), p);
        }
        const tree = await copyToVfs(mem, "/dots/*", vfs, "/dotcopy");
        assert.ok(tree.ok, JSON.stringify(tree.errors));
        assert.equal(await text(vfs, "/dotcopy/.hidden dir/.x"), "nested");
        const back = await copyToVfs(vfs, "/dotcopy/*", mem, "/dotback");
        assert.ok(back.ok, JSON.stringify(back.errors));
        assert.deepEqual(await names(mem, "/dotback"), await names(mem, "/dots"));
        for (const p of paths) await vfs.remove(p);
        assert.deepEqual(
          (await names(vfs, "/")).filter((n) => n.includes(".aft-")),
          [],
          "no temporary files left",
        );
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

      await step("whole small files: writeWhole and readWhole", async () => {
        await vfs.mkdir("/whole");
        const sizes = [0, 1, 4096, 300 * 1024]; // 300 KiB: more than one SFTP request
        for (const n of sizes) {
          const data = randomBytes(n);
          if (vfs.writeWhole) assert.equal(await vfs.writeWhole(`/whole/${n}`, data), n);
          else await put(vfs, `/whole/${n}`, data);
          assert.equal((await vfs.stat(`/whole/${n}`)).size, n);
          assertSameBytes(await bytes(await vfs.openRead(`/whole/${n}`)), data);
          if (!vfs.readWhole) continue;
          assertSameBytes(await vfs.readWhole(`/whole/${n}`, n), data);
          assertSameBytes(await vfs.readWhole(`/whole/${n}`, n + 10), data);
          if (n > 0) assert.equal(await vfs.readWhole(`/whole/${n}`, n - 1), undefined, "too big");
        }
        if (vfs.readWhole) {
          await rejectsWith(vfs.readWhole("/whole/nope", 10), "NOT_FOUND");
          if (vfs.features.realDirs) await rejectsWith(vfs.readWhole("/whole", 10), "IS_DIR");
        }
        if (vfs.writeWhole) {
          const short = new TextEncoder().encode("short");
          assert.equal(await vfs.writeWhole("/whole/4096", short), 5, "truncates");
          assert.equal(await text(vfs, "/whole/4096"), "short");
          await rejectsWith(vfs.writeWhole("/whole/nope/x", short), "NOT_FOUND");
          if (vfs.features.realDirs) {
            await vfs.mkdir("/whole/dir");
            await rejectsWith(vfs.writeWhole("/whole/dir", short), "IS_DIR");
          }
        }
        await vfs.remove("/whole", { recursive: true });
      }, vfs.readWhole || vfs.writeWhole ? undefined : "neither readWhole nor writeWhole");

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
        // A folder keeps its name under the destination folder, as a file does.
        const r = await copyToVfs(mem, "/tree", vfs, "/copy");
        assert.deepEqual([r.ok, r.files], [true, 3]);
        assert.equal(await text(vfs, "/copy/tree/sub/c.csv"), "C");
        assert.equal(await text(vfs, "/copy/tree/a.csv"), "A");
        if (vfs.features.realDirs) {
          assert.equal((await vfs.stat("/copy/tree/sub/empty")).isDir, true);
        }
        // `/tree/*` is its contents, folders with their trees.
        const c = await copyToVfs(mem, "/tree/*", vfs, "/copy/contents");
        assert.deepEqual([c.ok, c.files], [true, 3]);
        assert.deepEqual(await names(vfs, "/copy/contents"), ["a.csv", "b.txt", "sub"]);
        assert.equal(await text(vfs, "/copy/contents/sub/c.csv"), "C");
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
        let r = await copyToVfs(mem, "/many", vfs, "/copy", { overwrite: "never" });
        assert.deepEqual([r.files, r.skipped, r.errors.map((e) => e.code)], [n - 7, 6, ["IS_DIR"]]);
        assert.equal(await text(vfs, "/copy/many/f0.txt"), "old");
        assert.equal(await text(vfs, "/copy/many/f6.txt"), "new 6");
        await vfs.remove(`/copy/many/f${n - 1}.txt`);
        r = await copyToVfs(mem, "/many", vfs, "/copy", { overwrite: "ifDiffSize" });
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
        await mem.mkdir("/mv/sub");
        await put(mem, "/mv/sub/y.txt", "y");
        const r = await copyToVfs(mem, "/mv", vfs, "/copy", {
          verify: true,
          preserveTime: true,
          move: true,
        });
        assert.ok(r.ok, JSON.stringify(r.errors));
        assert.equal((await vfs.stat("/copy/mv/x.bin")).size, 5000);
        assert.equal(await text(vfs, "/copy/mv/sub/y.txt"), "y");
        if (vfs.features.setTimes) {
          assert.equal((await vfs.stat("/copy/mv/x.bin")).modTime.getTime(), when.getTime());
        }
        await rejectsWith(mem.stat("/mv"), "NOT_FOUND"); // the folder moved, with its name
        // Moving `/folder/*` moves the contents: the folder itself stays.
        await mem.mkdir("/mv2/sub", { recursive: true });
        await put(mem, "/mv2/a.txt", "a");
        await put(mem, "/mv2/sub/b.txt", "b");
        const c = await copyToVfs(mem, "/mv2/*", vfs, "/copy/mv2", { move: true });
        assert.deepEqual([c.ok, c.files], [true, 2]);
        assert.equal(await text(vfs, "/copy/mv2/sub/b.txt"), "b");
        assert.deepEqual(await names(mem, "/mv2"), []);
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

      await step(
        "copy engine: a crashed copy's temporary files are continued or removed by the next copy into the folder",
        async () => {
          await vfs.mkdir("/crash", { recursive: true });
          await patternStream(3 * MiB, 9).pipeTo(await mem.openWrite("/crash.bin"));
          const from = await mem.stat("/crash.bin");
          // Writers: this process under another start time (a process that is gone), and a
          // process of another host (cannot be asked).
          const gone = { ...thisWriter(), start: "zzzzzz" };
          const far = {
            host: thisWriter().host === "00000000" ? "00000001" : "00000000",
            pid: 1,
            start: "1",
          };
          const fp = fingerprint("crash.bin", from);
          const crashed = `/crash/${tempName("crash.bin", fp, gone)}`;
          await patternStream(3 * MiB, 9).pipeThrough(firstBytes(MiB)).pipeTo(
            await vfs.openWrite(crashed),
          );
          const keep = [
            tempName("live.csv"), // this process: a copy under way
            tempName("far.csv", undefined, far), // another host's, and recent
            ".older.csv.aft-1a2b3c4d.tmp", // an older name, recent
          ];
          const drop = [
            tempName("other.csv", undefined, gone),
            tempName("crash.bin", fingerprint("crash.bin", { ...from, size: 1 }), gone),
          ];
          const old = vfs.features.setTimes
            ? [tempName("far-old.csv", undefined, far), ".older-old.csv.aft-1a2b3c4e.tmp"]
            : [];
          for (const n of [...keep, ...drop, ...old]) await put(vfs, `/crash/${n}`, "partial");
          const ago = new Date(Date.now() - 2 * 24 * 3600 * 1000);
          for (const n of old) await vfs.setTimes!(`/crash/${n}`, ago, ago);
          const offsets: number[] = [];
          const r = await copyToVfs(readOffsets(mem, offsets), "/crash.bin", vfs, "/crash");
          assert.ok(r.ok, JSON.stringify(r.errors));
          assert.equal(
            await sha256(await vfs.openRead("/crash/crash.bin")),
            await sha256(patternStream(3 * MiB, 9)),
          );
          // Continued where the crashed copy ended, where the backend can append.
          assert.deepEqual(offsets, [vfs.features.append ? MiB : 0]);
          assert.deepEqual(await names(vfs, "/crash"), ["crash.bin", ...keep].sort());
          await vfs.remove("/crash", { recursive: true });
        },
        Deno.build.os === "linux" ? undefined : "a gone process is told from Linux's /proc",
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

/** A stream's bytes, whole. */
async function bytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * What the object-store base (src/vfs/object_store/) promises beyond the conformance suite,
 * run by the S3, Azure and GCS tests against their servers: folders emulated over key prefixes
 * (markers, a file shadowing a folder of its name, times), the refusals a file system makes
 * (into itself, onto a folder, the root), names with leading dots, a prefix as the root; and
 * each store's side of the surface (paged listings, missing objects, ranges past the end).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ObjectStore } from "../../src/vfs/object_store/mod.ts";
import { ObjectStoreVfs } from "../../src/vfs/object_store/mod.ts";
import { copyToVfs } from "../../src/vfs/copy.ts";
import { MemoryVfs } from "../../src/vfs/memory/memory.ts";
import { isVfsError, type Vfs, type VfsErrorCode } from "../../src/vfs/types.ts";
import { names, put, text } from "./_util.ts";
import { DOT_NAMES } from "./conformance.ts";

/** One new, empty bucket of the store under test. */
export interface Bucket {
  /** A VFS rooted at `prefix` of the bucket (`""`: its root). */
  open(prefix?: string): Promise<Vfs>;
  /** The store surface of the same bucket. */
  store: ObjectStore;
  cleanup(): Promise<void>;
}

async function rejectsWith(p: Promise<unknown>, code: VfsErrorCode): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(isVfsError(e), `expected VfsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** The suite's names that start with dots, and a few that end with them. */
const DOTTED = [...DOT_NAMES, ".a.", "x..", ". leading dot and space"];

/** Registers the cases for one backend; `bucket` makes a new, empty bucket each call. */
export function objectStoreCases(name: string, bucket: () => Promise<Bucket>): void {
  Deno.test(`object-store base: ${name}`, async (t) => {
    const b = await bucket();
    const vfs = await b.open();
    try {
      await t.step("a prefix root sees only its own keys", async () => {
        const sub = await b.open("team a");
        try {
          await vfs.mkdir("/team a");
          await put(vfs, "/outside.txt", "no");
          await put(sub, "/inside.txt", "yes");
          assert.equal(await text(vfs, "/team a/inside.txt"), "yes");
          assert.deepEqual(await names(sub, "/"), ["inside.txt"]);
          assert.ok(sub instanceof ObjectStoreVfs && sub.prefix === "team a/");
        } finally {
          await sub.close();
        }
      });

      await t.step(
        "the copy engine writes objects in place; a size that changed stores nothing",
        async () => {
          // Writes are whole or nothing here, so no temporary name and no rename (a whole
          // server-side copy of the object) is needed.
          const renames: string[] = [];
          const seen = new Proxy(vfs, {
            get(target, prop) {
              const v = Reflect.get(target, prop, target);
              if (prop === "rename") {
                return (
                  a: string,
                  b: string,
                ) => (renames.push(`${a} -> ${b}`), target.rename(a, b));
              }
              return typeof v === "function" ? v.bind(target) : v;
            },
          });
          const mem = new MemoryVfs();
          await mem.mkdir("/in");
          await put(mem, "/in/a.bin", "0123456789");
          const r = await copyToVfs(mem, "/in/a.bin", seen, "/inplace", { overwrite: "always" });
          assert.deepEqual([r.ok, r.files, r.bytes, renames], [true, 1, 10, []]);
          assert.equal(await text(vfs, "/inplace/a.bin"), "0123456789");
          // The source grew after its size was taken: the object keeps its old content, and no
          // other key appears.
          const grown = new Proxy(mem, {
            get(target, prop) {
              const v = Reflect.get(target, prop, target);
              if (prop === "stat") {
                return async (p: string) => ({ ...await target.stat(p), size: 4 });
              }
              return typeof v === "function" ? v.bind(target) : v;
            },
          });
          await put(mem, "/in/a.bin", "new content, longer");
          const bad = await copyToVfs(grown, "/in/a.bin", seen, "/inplace", {
            overwrite: "always",
            retries: 0,
          });
          assert.equal(bad.ok, false);
          assert.equal(bad.errors[0]?.code, "VERIFY_FAILED", bad.errors[0]?.message);
          assert.match(bad.errors[0]?.message ?? "", /"\/inplace\/a\.bin"/);
          assert.equal(await text(vfs, "/inplace/a.bin"), "0123456789");
          assert.deepEqual(await names(vfs, "/inplace"), ["a.bin"]);
        },
      );

      await t.step("a file and a folder of one name: the file wins in stat and list", async () => {
        await vfs.mkdir("/shadow");
        await put(vfs, "/shadow/a", "file a");
        // Another client stores "shadow/a/b" too: a VFS rooted at "shadow/a/" can.
        const under = await b.open("shadow/a");
        try {
          await put(under, "/b", "b");
          assert.deepEqual(await names(under, "/"), ["b"]);
        } finally {
          await under.close();
        }
        const st = await vfs.stat("/shadow/a");
        assert.deepEqual([st.isDir, st.size], [false, 6]);
        const listed = await vfs.list("/shadow");
        assert.deepEqual(listed.map((i) => [i.name, i.isDir]), [["a", false]]);
      });

      await t.step(
        "a folder's time is its marker's; mkdir -p leaves a marker per level",
        async () => {
          await vfs.mkdir("/timed/p/q", { recursive: true });
          for (const d of ["/timed", "/timed/p", "/timed/p/q"]) {
            const st = await vfs.stat(d);
            assert.ok(st.isDir, d);
            assert.ok(Math.abs(st.modTime.getTime() - Date.now()) < 120_000, `${d}: recent time`);
          }
          await vfs.remove("/timed/p/q");
          assert.equal((await vfs.stat("/timed/p")).isDir, true, "the parent stays");
          await vfs.remove("/timed/p");
          assert.deepEqual(await names(vfs, "/timed"), []);
        },
      );

      await t.step(
        "refusals: into itself, onto a folder, the root, a folder as a file",
        async () => {
          await vfs.mkdir("/no/dir/sub", { recursive: true });
          await put(vfs, "/no/dir/sub/f", "f");
          await put(vfs, "/no/file", "x");
          await vfs.mkdir("/no/full");
          await put(vfs, "/no/full/g", "g");
          await rejectsWith(vfs.rename("/no/dir", "/no/dir/sub/inner"), "INVALID_PATH");
          await rejectsWith(vfs.rename("/no/dir", "/"), "INVALID_PATH");
          await rejectsWith(vfs.rename("/no/file", "/no/dir"), "IS_DIR");
          await rejectsWith(vfs.rename("/no/dir", "/no/file"), "NOT_DIR");
          await rejectsWith(vfs.rename("/no/dir", "/no/full"), "NOT_EMPTY");
          await rejectsWith(vfs.rename("/no/missing", "/no/other"), "NOT_FOUND");
          await rejectsWith(vfs.rename("/no/file", "/no/missing/file"), "NOT_FOUND");
          await rejectsWith(vfs.rename("/", "/elsewhere"), "PERMISSION_DENIED");
          await rejectsWith(vfs.copy!("/no/file", "/no/dir"), "IS_DIR");
          await rejectsWith(vfs.copy!("/no/dir", "/no/copy"), "IS_DIR");
          await rejectsWith(vfs.copy!("/no/missing", "/no/copy"), "NOT_FOUND");
          await rejectsWith(vfs.remove("/"), "PERMISSION_DENIED");
          await rejectsWith(vfs.remove("/no/dir"), "NOT_EMPTY");
          await rejectsWith(vfs.openWrite("/no/dir"), "IS_DIR");
          await rejectsWith(vfs.openWrite("/"), "IS_DIR");
          await rejectsWith(vfs.openWrite("/no/new", { append: true }), "NOT_SUPPORTED");
          await rejectsWith(vfs.openRead("/no/dir"), "IS_DIR");
          await rejectsWith(vfs.list("/no/file"), "NOT_DIR");
          await rejectsWith(vfs.mkdir("/no/file"), "ALREADY_EXISTS");
          await rejectsWith(vfs.mkdir("/no/file", { recursive: true }), "NOT_DIR");
          await rejectsWith(vfs.mkdir("/no/file/sub", { recursive: true }), "NOT_DIR");
          await rejectsWith(vfs.mkdir("/no/file/sub"), "NOT_DIR");
          // Nothing was changed by any of them.
          assert.deepEqual(await names(vfs, "/no"), ["dir", "file", "full"]);
          assert.equal(await text(vfs, "/no/dir/sub/f"), "f");
        },
      );

      await t.step("a folder rename moves every key, empty folders too", async () => {
        await vfs.mkdir("/mv/from/empty", { recursive: true });
        await vfs.mkdir("/mv/from/deep");
        await put(vfs, "/mv/from/a", "A");
        await put(vfs, "/mv/from/deep/b", "B");
        await vfs.rename("/mv/from", "/mv/to");
        assert.deepEqual(await names(vfs, "/mv"), ["to"]);
        assert.deepEqual(await names(vfs, "/mv/to"), ["a", "deep", "empty"]);
        assert.equal((await vfs.stat("/mv/to/empty")).isDir, true);
        assert.equal(await text(vfs, "/mv/to/deep/b"), "B");
        await rejectsWith(vfs.stat("/mv/from"), "NOT_FOUND");
        // Onto an existing empty folder.
        await vfs.mkdir("/mv/empty");
        await vfs.rename("/mv/to", "/mv/empty");
        assert.deepEqual(await names(vfs, "/mv/empty"), ["a", "deep", "empty"]);
        await vfs.remove("/mv", { recursive: true });
        await rejectsWith(vfs.stat("/mv"), "NOT_FOUND");
      });

      await t.step("names with leading and doubled dots", async () => {
        await vfs.mkdir("/dots");
        for (const n of DOTTED) {
          await put(vfs, `/dots/${n}`, n);
          await vfs.mkdir(`/dots/dir ${n}/${n}`, { recursive: true });
          await put(vfs, `/dots/dir ${n}/${n}/${n}`, `in ${n}`);
        }
        const want = DOTTED.flatMap((n) => [n, `dir ${n}`]).sort();
        assert.deepEqual(await names(vfs, "/dots"), want);
        for (const n of DOTTED) {
          assert.equal(await text(vfs, `/dots/dir ${n}/${n}/${n}`), `in ${n}`);
          await vfs.copy!(`/dots/${n}`, `/dots/${n}.copy`);
          await vfs.rename(`/dots/${n}.copy`, `/dots/dir ${n}/${n}.moved`);
          assert.equal(await text(vfs, `/dots/dir ${n}/${n}.moved`), n);
          await vfs.rename(`/dots/dir ${n}/${n}`, `/dots/dir ${n}/.${n}`);
          assert.deepEqual(await names(vfs, `/dots/dir ${n}`), [`.${n}`, `${n}.moved`].sort());
          await vfs.remove(`/dots/dir ${n}`, { recursive: true });
        }
        assert.deepEqual(await names(vfs, "/dots"), [...DOTTED].sort());
      });

      await t.step("the store: paged listings, by folder level", async () => {
        const s = b.store;
        for (const k of ["pg/1", "pg/2", "pg/3", "pg/4", "pg/5", "pg/sub/6", "pg/sub/7"]) {
          await s.put(k, new TextEncoder().encode(k));
        }
        const flat: string[] = [];
        let token: string | undefined;
        do {
          const page = await s.list({ prefix: "pg/", max: 2, token });
          assert.ok(page.objects.length <= 2, "at most the page size");
          flat.push(...page.objects.map((o) => o.key));
          token = page.next;
        } while (token);
        assert.deepEqual(flat, ["pg/1", "pg/2", "pg/3", "pg/4", "pg/5", "pg/sub/6", "pg/sub/7"]);
        // One folder level, page by page: every file once; the folder at least once.
        const files: string[] = [];
        const folders = new Set<string>();
        do {
          const page = await s.list({ prefix: "pg/", delimited: true, max: 2, token });
          files.push(...page.objects.map((o) => o.key));
          for (const d of page.prefixes) folders.add(d);
          token = page.next;
        } while (token);
        assert.deepEqual(files, ["pg/1", "pg/2", "pg/3", "pg/4", "pg/5"]);
        assert.deepEqual([...folders], ["pg/sub/"]);
        const level = await s.list({ prefix: "pg/", delimited: true });
        assert.deepEqual(level.objects.map((o) => [o.key, o.size]), [
          ["pg/1", 4],
          ["pg/2", 4],
          ["pg/3", 4],
          ["pg/4", 4],
          ["pg/5", 4],
        ]);
        assert.deepEqual(level.prefixes, ["pg/sub/"]);
        assert.equal(level.next, undefined);
      });

      await t.step("the store: what a missing object and a range past the end say", async () => {
        const s = b.store;
        await s.put("edge/five", new TextEncoder().encode("12345"));
        assert.deepEqual((await s.head("edge/five")).size, 5);
        const missing = await s.head("edge/none").then(() => undefined, (e) => e);
        assert.ok(s.isMissing(missing), String(missing));
        assert.equal(s.mapError(missing, "/edge/none").code, "NOT_FOUND");
        const read = await s.read("edge/none", { offset: 0 }).then(() => undefined, (e) => e);
        assert.ok(s.isMissing(read), String(read));
        const past = await s.read("edge/five", { offset: 5 }).then(
          async (body) => await new Response(body).text(),
          (e) => e,
        );
        assert.ok(past === "" || s.isPastEnd(past), String(past));
        const part = await s.read("edge/five", { offset: 1, length: 3 });
        assert.equal(await new Response(part).text(), "234");
        await s.copy("edge/five", "edge/copy", 5);
        assert.equal((await s.head("edge/copy")).size, 5);
        await s.delete("edge/copy");
        assert.ok(s.isMissing(await s.head("edge/copy").then(() => undefined, (e) => e)));
      });
    } finally {
      await vfs.close();
      await b.cleanup();
    }
  });
}

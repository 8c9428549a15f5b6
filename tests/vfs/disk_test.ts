import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskVfs } from "../../src/vfs/disk/disk.ts";
import { copyToVfs } from "../../src/vfs/copy.ts";
import { runAft } from "../e2e/_cli.ts";
import { openVfs } from "../../src/vfs/registry.ts";
import { isVfsError, type VfsDefinition } from "../../src/vfs/types.ts";
import { conformance } from "./conformance.ts";

conformance("disk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-vfs-disk-" });
  return { vfs: await DiskVfs.open(dir), cleanup: () => Deno.remove(dir, { recursive: true }) };
});

Deno.test("disk VFS refuses a link that leads outside its root", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const root = await Deno.makeTempDir({ prefix: "aft-root-" });
  const outside = await Deno.makeTempDir({ prefix: "aft-outside-" });
  try {
    await Deno.writeTextFile(join(outside, "secret.txt"), "secret");
    await Deno.symlink(outside, join(root, "escape"));
    await Deno.symlink(join(outside, "secret.txt"), join(root, "file-link"));
    const vfs = await DiskVfs.open(root);
    for (const p of ["/escape/secret.txt", "/file-link"]) {
      await assert.rejects(vfs.openRead(p), (e) => isVfsError(e, "PERMISSION_DENIED"));
    }
    await assert.rejects(
      vfs.openWrite("/escape/new.txt"),
      (e) => isVfsError(e, "PERMISSION_DENIED"),
    );
    await assert.rejects(vfs.list("/escape"), (e) => isVfsError(e, "PERMISSION_DENIED"));
    // A link to a missing place outside is refused the same way (as localRoots does): a
    // NOT_FOUND would tell that the place outside does not exist.
    await Deno.symlink(join(outside, "missing.txt"), join(root, "dangling-out"));
    await assert.rejects(vfs.stat("/dangling-out"), (e) => isVfsError(e, "PERMISSION_DENIED"));
    // The listing tells those links as links (their own size and time), not what they lead
    // to outside; a link that stays inside is followed.
    await Deno.writeTextFile(join(root, "inside.txt"), "12345");
    await Deno.symlink(join(root, "inside.txt"), join(root, "inside-link"));
    const listed = new Map((await vfs.list("/")).map((f) => [f.name, f]));
    for (const name of ["escape", "file-link"]) {
      const link = await Deno.lstat(join(root, name));
      const f = listed.get(name)!;
      assert.deepEqual(
        [f.isDir, f.isSymlink, f.size, f.modTime.getTime()],
        [false, true, link.size, link.mtime!.getTime()],
        name,
      );
    }
    const inside = listed.get("inside-link")!;
    assert.deepEqual([inside.isDir, inside.size], [false, 5]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("openVfs() keeps a disk VFS inside the localRoots setting", async () => {
  const allowed = await Deno.makeTempDir({ prefix: "aft-allowed-" });
  const other = await Deno.makeTempDir({ prefix: "aft-other-" });
  try {
    const ctx = { getSecret: () => Promise.resolve(undefined), localRoots: [allowed] };
    await Deno.mkdir(join(allowed, "in"));
    const ok = await openVfs(
      { name: "in", type: "disk", target: join(allowed, "in"), options: {} },
      ctx,
    );
    assert.equal(ok.type, "disk");
    await assert.rejects(
      openVfs({ name: "x", type: "disk", target: other, options: {} }, ctx),
      (e) => isVfsError(e, "PERMISSION_DENIED") && /localRoots/.test(e.message),
    );
    // Links inside that lead out, to a folder that is there and to one that is not: the same
    // answer, so it does not tell whether a place outside exists.
    await Deno.symlink(other, join(allowed, "out"));
    await Deno.symlink(join(other, "missing"), join(allowed, "gone"));
    for (const name of ["out", "gone", "out/missing"]) {
      await assert.rejects(
        openVfs({ name: "x", type: "disk", target: join(allowed, name), options: {} }, ctx),
        (e) => isVfsError(e, "PERMISSION_DENIED") && /localRoots/.test(e.message),
        name,
      );
    }
    await assert.rejects(
      // A type no backend is registered for.
      openVfs({
        name: "x",
        type: "webdav" as VfsDefinition["type"],
        target: "https://dav.example.com/",
        options: {},
      }, ctx),
      (e) => isVfsError(e, "NOT_SUPPORTED"),
    );
  } finally {
    await Deno.remove(allowed, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("openVfs() allows a disk VFS in a folder whose name starts with dots inside localRoots", async () => {
  const allowed = await Deno.makeTempDir({ prefix: "aft-allowed-" });
  try {
    const ctx = { getSecret: () => Promise.resolve(undefined), localRoots: [allowed] };
    for (const name of ["..x", "...", ".in"]) {
      await Deno.mkdir(join(allowed, name));
      const vfs = await openVfs({
        name: "in",
        type: "disk",
        target: join(allowed, name),
        options: {},
      }, ctx);
      assert.equal(vfs.type, "disk");
    }
    await assert.rejects(
      openVfs(
        { name: "x", type: "disk", target: join(allowed, "..x", "..", ".."), options: {} },
        ctx,
      ),
      (e) => isVfsError(e, "PERMISSION_DENIED"),
    );
  } finally {
    await Deno.remove(allowed, { recursive: true });
  }
});

Deno.test("a file moved or copied onto itself is refused and kept (a move deleted the only copy), through the same VFS or another over the same folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-self-" });
  try {
    await Deno.mkdir(join(dir, "d"));
    await Deno.writeTextFile(join(dir, "d", "f.txt"), "the only copy");
    const v = await DiskVfs.open(dir);
    const inner = await DiskVfs.open(join(dir, "d"));
    for (
      const [name, run] of [
        [
          "move, same VFS",
          () => copyToVfs(v, "/d/f.txt", v, "/d", { move: true, overwrite: "always" }),
        ],
        [
          "move of the folder",
          () => copyToVfs(v, "/d", v, "/", { move: true, overwrite: "always" }),
        ],
        [
          "move, another VFS",
          () => copyToVfs(v, "/d/f.txt", inner, "/", { move: true, overwrite: "always" }),
        ],
        ["copy, same VFS", () => copyToVfs(v, "/d/f.txt", v, "/d", { overwrite: "always" })],
      ] as const
    ) {
      const r = await run();
      assert.equal(r.ok, false, name);
      assert.match(r.errors[0]?.message ?? "", /is itself at the destination/, name);
      assert.equal(await Deno.readTextFile(join(dir, "d", "f.txt")), "the only copy", name);
    }
    assert.deepEqual([...Deno.readDirSync(join(dir, "d"))].map((e) => e.name), ["f.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a FIFO is refused at once, not opened (the open waited for a writer where nothing reaches), as is a script file that is one",
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-fifo-" });
  try {
    const mk = await new Deno.Command("mkfifo", { args: [join(dir, "p")] }).output();
    assert.equal(mk.code, 0);
    const v = await DiskVfs.open(dir);
    const notRegular = (e: unknown) =>
      isVfsError(e, "NOT_SUPPORTED") && /Not a regular file: "\/p" is a FIFO/.test(e.message);
    await assert.rejects(v.openRead("/p"), notRegular);
    await assert.rejects(v.readWhole!("/p", 1024), notRegular);
    const r = await copyToVfs(v, "/p", v, "/out");
    assert.equal(r.ok, false);
    assert.match(r.errors[0]?.message ?? "", /Not a regular file/);
    // aft run -f on a FIFO: one clear usage error, not a process blocked in the read.
    const run = await runAft(["run", "-f", join(dir, "p")]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /Cannot read script file ".*p": not a regular file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CopyToVFS() halted mid-copy between disk folders keeps no temporary file and no partial file", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "aft-halt-" });
  try {
    await Deno.mkdir(join(dir, "src"));
    // Large enough that the kernel's copy takes a while (some 100 ms or more here).
    const big = await Deno.open(join(dir, "src", "big.bin"), { write: true, create: true });
    const block = crypto.getRandomValues(new Uint8Array(64 * 1024));
    const buf = new Uint8Array(8 << 20);
    for (let at = 0; at < buf.length; at += block.length) buf.set(block, at);
    for (let i = 0; i < 64; i++) await big.write(buf);
    big.close();
    const src = await DiskVfs.open(join(dir, "src"));
    for (
      const [name, to] of [
        ["another disk VFS (the copy's own kernel copy)", "out"],
        ["the same disk VFS (its server-side copy)", "src/out"],
      ] as const
    ) {
      await t.step(name, async () => {
        await Deno.mkdir(join(dir, to));
        const dst = to === "out" ? await DiskVfs.open(join(dir, "out")) : src;
        const ac = new AbortController();
        const copying = copyToVfs(src, "/big.bin", dst, to === "out" ? "/" : "/out", {
          signal: ac.signal,
        });
        let settled = false;
        copying.finally(() => settled = true);
        // Halted once the temporary file shows.
        while (!settled && [...Deno.readDirSync(join(dir, to))].length === 0) {
          await new Promise((r) => setTimeout(r, 1));
        }
        ac.abort(new Error("The job was halted"));
        const r = await copying;
        assert.equal(r.ok, false);
        assert.deepEqual(r.errors.map((e) => e.code), ["CANCELLED"], JSON.stringify(r.errors));
        assert.deepEqual([...Deno.readDirSync(join(dir, to))].map((e) => e.name), []);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

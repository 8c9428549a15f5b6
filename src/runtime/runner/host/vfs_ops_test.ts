/**
 * The `VirtualFS` host operations over real backends (memory and disk), called as the
 * script host calls them: `vfs.open` for a handle, then `vfs.op` with the script's arguments.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { testContext } from "./_test_context.ts";
import { ScriptCallError } from "./context.ts";
import { VfsHandles } from "./vfs.ts";
import { vfsOp } from "./vfs_ops.ts";

async function withHandles(
  fn: (
    op: (h: number, name: string, ...args: unknown[]) => Promise<unknown>,
    h: VfsHandles,
  ) => Promise<void>,
  localRoots: string[] = [],
) {
  const ctx = testContext({ limits: { localRoots } });
  const ends: (() => Promise<void>)[] = [];
  ctx.onEnd = (f) => void ends.push(f);
  const handles = new VfsHandles(ctx);
  try {
    await fn((h, name, ...args) => vfsOp(ctx, handles, h, name, args), handles);
  } finally {
    for (const f of ends) await f();
  }
}

Deno.test("vfs.op writes, reads, stats, lists and removes files on a memory VFS", async () => {
  await withHandles(async (op, handles) => {
    const h = await handles.open({ type: "memory", target: `ops-${crypto.randomUUID()}` });
    assert.deepEqual(await op(h, "mkdirAll", "/a/b"), { ok: true });
    assert.deepEqual(await op(h, "writeFileAsText", "/a/b/x.txt", "héllo"), { ok: true });
    assert.deepEqual(await op(h, "readFileAsText", "/a/b/x.txt"), { ok: true, text: "héllo" });
    const stat = await op(h, "stat", "/a/b/x.txt") as { ok: boolean; info: { Size: number } };
    assert.equal(stat.info.Size, 6);
    const list = await op(h, "listFilesR", "/a", "*.txt") as { infos: { Path: string }[] };
    assert.deepEqual(list.infos.map((i) => i.Path), ["/a/b/x.txt"]);
    const notDir = await op(h, "rmdir", "/a/b/x.txt") as { ok: boolean; error: string };
    assert.equal(notDir.ok, false);
    assert.match(notDir.error, /Not a directory/);
    assert.deepEqual(await op(h, "remove", "/a/b/x.txt"), { ok: true });
    const gone = await op(h, "stat", "/a/b/x.txt") as { ok: boolean; error: string };
    assert.equal(gone.ok, false, "a missing file is a failed result, not an exception");
  });
});

Deno.test("vfs.op copy moves a file between two VFSs and reports what it moved", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-vfsops-" });
  try {
    await withHandles(async (op, handles) => {
      const src = await handles.open({ type: "memory", target: `src-${crypto.randomUUID()}` });
      const dst = await handles.open({ type: "disk", target: dir, payload: "" });
      assert.deepEqual(await op(src, "mkdirAll", "/in"), { ok: true });
      assert.deepEqual(
        await op(src, "writeFileAsBytes", "/in/data.bin", new Uint8Array([1, 2, 3])),
        { ok: true },
      );
      const r = await op(src, "copy", "/in/data.bin", dst, "/out", {}) as {
        ok: boolean;
        files: number;
        bytesCopied: number;
      };
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(r.files, 1);
      assert.equal(r.bytesCopied, 3);
      assert.deepEqual(
        await Deno.readFile(join(dir, "out", "data.bin")),
        new Uint8Array([1, 2, 3]),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vfs.op throws into the script for an unknown operation, a bad path or a foreign handle", async () => {
  await withHandles(async (op, handles) => {
    const h = await handles.open({ type: "memory", target: `bad-${crypto.randomUUID()}` });
    await assert.rejects(op(h, "format"), ScriptCallError);
    await assert.rejects(
      op(h, "stat", 42),
      { message: "VirtualFS.Stat: the first argument must be a path (text), not a number" },
    );
    await assert.rejects(op(999, "stat", "/"), /Not a VirtualFS handle/);
    await assert.rejects(
      handles.open({ type: "nfs", target: "/" }),
      /Unknown VFS type "nfs"/,
    );
  });
});

Deno.test("vfs.op keeps ImportFile and ExportFile inside localRoots", async () => {
  const root = await Deno.makeTempDir({ prefix: "aft-vfsops-root-" });
  try {
    await withHandles(async (op, handles) => {
      const h = await handles.open({ type: "memory", target: `roots-${crypto.randomUUID()}` });
      await Deno.writeTextFile(join(root, "in.txt"), "inside");
      assert.deepEqual(await op(h, "importFile", join(root, "in.txt"), "/in.txt"), { ok: true });
      await assert.rejects(op(h, "exportFile", "/in.txt", "/etc/aft-should-not-exist"), /outside/);
    }, [root]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("WriteFileAsText and WriteFileAsBytes into a missing folder are the same failed result on memory and disk, leaving nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-vfsops-" });
  try {
    await withHandles(async (op, handles) => {
      const mem = await handles.open({ type: "memory", target: `miss-${crypto.randomUUID()}` });
      const disk = await handles.open({ type: "disk", target: dir, payload: "" });
      const errors: string[] = [];
      for (const h of [mem, disk]) {
        for (
          const [name, data] of [
            ["writeFileAsText", "x"],
            ["writeFileAsBytes", new Uint8Array([1])],
          ] as const
        ) {
          const r = await op(h, name, "/missing/x.bin", data) as { ok: boolean; error: string };
          assert.equal(r.ok, false, `${name} on handle ${h}: ${JSON.stringify(r)}`);
          errors.push(r.error);
        }
        const root = await op(h, "listFiles", "/", "*") as { infos: unknown[] };
        assert.deepEqual(root.infos, [], "no folder or temporary file is left");
      }
      // The folder is named, not the temporary file the write went to.
      assert.deepEqual(errors, Array(4).fill('No such folder: "/missing"'));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vfs.open refuses a key, credentials or CA file a script names outside localRoots", async () => {
  const root = await Deno.makeTempDir({ prefix: "aft-vfsops-" });
  try {
    const allowed = join(root, "allowed");
    await Deno.mkdir(allowed);
    await Deno.writeTextFile(join(root, "key.json"), "{}");
    await Deno.writeTextFile(join(allowed, "key.json"), "{}");
    const kinds = [
      { type: "gcs", target: "gcs://b/", key: "credentialsFile" },
      { type: "sftp", target: "sftp://u@127.0.0.1:1/", key: "keyFile" },
      { type: "ftps", target: "ftps://u@127.0.0.1:1/", key: "caFile" },
    ];
    await withHandles(async (_op, handles) => {
      for (const k of kinds) {
        await assert.rejects(
          handles.open({
            type: k.type,
            target: k.target,
            payload: JSON.stringify({ [k.key]: join(root, "key.json") }),
          }),
          (e) => e instanceof ScriptCallError && /outside the allowed folders/.test(e.message),
          `${k.type} ${k.key}`,
        );
        const h = await handles.open({
          type: k.type,
          target: k.target,
          payload: JSON.stringify({ [k.key]: join(allowed, "key.json") }),
        });
        assert.equal(typeof h, "number");
      }
    }, [allowed]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("vfs.open takes a VFS Library entry's key file outside localRoots (an administrator's)", async () => {
  const ctx = testContext({ limits: { localRoots: ["/nowhere"] } });
  ctx.request = (req) =>
    Promise.resolve(
      req.op === "vfs"
        ? { name: "g", type: "gcs", target: "gcs://b/", options: { credentialsFile: "/etc/k" } }
        : null,
    );
  const handles = new VfsHandles(ctx);
  assert.equal(typeof await handles.open({ name: "g" }), "number");
});

Deno.test({
  name: "Chmod() refuses the setuid, setgid and sticky bits and changes nothing",
  ignore: Deno.build.os === "windows",
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "aft-vfsops-" });
    try {
      await Deno.writeTextFile(join(dir, "f.sh"), "#!/bin/sh\n");
      await Deno.chmod(join(dir, "f.sh"), 0o644);
      await withHandles(async (op, handles) => {
        const disk = await handles.open({ type: "disk", target: dir, payload: "" });
        for (const mode of [0o4755, 0o2755, 0o1777, 0o7777, "4755", "0o4755"]) {
          await t.step(typeof mode === "number" ? `0o${mode.toString(8)}` : mode, async () => {
            await assert.rejects(
              op(disk, "chmod", "/f.sh", mode),
              (e) => e instanceof ScriptCallError && /setuid, setgid or sticky/.test(e.message),
            );
            assert.equal((await Deno.stat(join(dir, "f.sh"))).mode! & 0o7777, 0o644);
          });
        }
        // Text other than octal digits (with or without "0o") is refused, not read in part:
        // parseInt read "0o644" as 0 (mode 000) and "755abc" as 0o755.
        for (const mode of ["0x1ff", "755abc", "", "8", "0o"]) {
          await assert.rejects(
            op(disk, "chmod", "/f.sh", mode),
            (e) => e instanceof ScriptCallError && /invalid mode/.test(e.message),
            mode,
          );
        }
        assert.equal((await Deno.stat(join(dir, "f.sh"))).mode! & 0o7777, 0o644);
        assert.deepEqual(await op(disk, "chmod", "/f.sh", "0o640"), { ok: true });
        assert.equal((await Deno.stat(join(dir, "f.sh"))).mode! & 0o7777, 0o640);
        assert.deepEqual(await op(disk, "chmod", "/f.sh", 0o755), { ok: true });
        assert.equal((await Deno.stat(join(dir, "f.sh"))).mode! & 0o7777, 0o755);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Writes a file of `mib` MiB of random-looking bytes. */
async function bigFile(path: string, mib: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  const block = crypto.getRandomValues(new Uint8Array(64 * 1024));
  const buf = new Uint8Array(8 << 20);
  for (let at = 0; at < buf.length; at += block.length) buf.set(block, at);
  for (let i = 0; i < mib / 8; i++) await file.write(buf);
  file.close();
}

/** Runs `start`, halts the job once `dir` holds a file, and answers what `start` gave. */
async function haltWhenWriting<T>(
  ctx: { abort: AbortController },
  dir: string,
  start: () => Promise<T>,
): Promise<T> {
  const running = start();
  let settled = false;
  running.finally(() => settled = true).catch(() => {});
  while (!settled && [...Deno.readDirSync(dir)].length === 0) {
    await new Promise((r) => setTimeout(r, 1));
  }
  ctx.abort.abort(new Error("The job was halted"));
  return await running;
}

Deno.test("ImportFile() and ExportFile() halted mid-file keep no temporary file", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "aft-vfsops-" });
  try {
    for (const d of ["local", "vfs", "export"]) await Deno.mkdir(join(root, d));
    await bigFile(join(root, "local", "big.bin"), 512);
    await Deno.copyFile(join(root, "local", "big.bin"), join(root, "export", "big.bin"));
    await t.step("ImportFile", async () => {
      const ctx = testContext();
      const handles = new VfsHandles(ctx);
      const h = await handles.open({ type: "disk", target: join(root, "vfs") });
      const r = await haltWhenWriting(
        ctx,
        join(root, "vfs"),
        () => vfsOp(ctx, handles, h, "importFile", [join(root, "local", "big.bin"), "/big.bin"]),
      );
      assert.deepEqual(r, { ok: false, error: "The job was halted" });
      assert.deepEqual([...Deno.readDirSync(join(root, "vfs"))], []);
      await handles.closeAll();
    });
    await t.step("ExportFile", async () => {
      const ctx = testContext();
      const handles = new VfsHandles(ctx);
      const h = await handles.open({ type: "disk", target: join(root, "export") });
      const r = await haltWhenWriting(
        ctx,
        join(root, "vfs"),
        () => vfsOp(ctx, handles, h, "exportFile", ["/big.bin", join(root, "vfs", "big.bin")]),
      );
      assert.deepEqual(r, { ok: false, error: "The job was halted" });
      assert.deepEqual([...Deno.readDirSync(join(root, "vfs"))], []);
      await handles.closeAll();
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ImportFile and ExportFile failures name the script's local path, never aft's temporary file; a FIFO is refused at once", async () => {
  const root = await Deno.makeTempDir({ prefix: "aft-vfsops-names-" });
  try {
    await withHandles(async (op, handles) => {
      const h = await handles.open({ type: "memory", target: `names-${crypto.randomUUID()}` });
      const missing = join(root, "nowhere", "in.txt");
      assert.deepEqual(await op(h, "importFile", missing, "/in.txt"), {
        ok: false,
        error: `No such file or folder: "${missing}"`,
      });
      assert.deepEqual(await op(h, "writeFileAsText", "/f.txt", "x"), { ok: true });
      const out = join(root, "nowhere", "out.txt");
      assert.deepEqual(await op(h, "exportFile", "/f.txt", out), {
        ok: false,
        error: `No such file or folder: "${out}"`,
      });
      if (Deno.build.os !== "windows") {
        const fifo = join(root, "fifo");
        await new Deno.Command("mkfifo", { args: [fifo] }).output();
        assert.deepEqual(await op(h, "importFile", fifo, "/p.txt"), {
          ok: false,
          error: `Not a regular file: "${fifo}" (a FIFO, socket or device)`,
        });
      }
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

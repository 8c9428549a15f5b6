import assert from "node:assert/strict";
import { join } from "node:path";
import { rejectsWith, withEngine } from "./_test_engine.ts";

Deno.test("vfs: entries are checked, shown with credentials masked, replaced only when asked", async () => {
  await withEngine(async (engine) => {
    const dir = await Deno.makeTempDir();
    try {
      const { vfs, replaced } = await engine.vfs.add({
        name: "outbox",
        type: "disk",
        target: dir,
        options: { pass: "p4ss", passSecret: "name" },
      });
      assert.equal(replaced, false);
      assert.deepEqual(vfs.options, { pass: "***", passSecret: "name" });
      assert.deepEqual((await engine.vfs.get("OUTBOX")).options, vfs.options);
      assert.doesNotMatch(JSON.stringify(await engine.vfs.list()), /p4ss/);
      await rejectsWith(
        engine.vfs.add({ name: "Outbox", type: "disk", target: dir, options: {} }),
        "ALREADY_EXISTS",
      );
      // A bad replacement leaves the entry as it was.
      await rejectsWith(
        engine.vfs.add({ name: "outbox", type: "disk", target: join(dir, "nope"), options: {} }, {
          replace: true,
        }),
        "INVALID_REQUEST",
      );
      assert.equal((await engine.vfs.get("outbox")).target, dir);
      const again = await engine.vfs.add(
        { name: "outbox", type: "disk", target: dir, options: {} },
        { replace: true },
      );
      assert.equal(again.replaced, true);
      assert.deepEqual(again.vfs.options, {});
      for (
        const [type, target] of [
          ["disk", "relative/dir"],
          ["sftp", "not a url"],
          ["sftp", "ftp://host/x"],
          ["nope", "/tmp"],
        ]
      ) {
        await rejectsWith(
          // deno-lint-ignore no-explicit-any
          engine.vfs.add({ name: "x", type: type as any, target: target!, options: {} }),
          "INVALID_REQUEST",
        );
      }
      await rejectsWith(
        engine.vfs.add({ name: "x\u001b", type: "disk", target: dir, options: {} }),
        "INVALID_NAME",
      );
      await engine.vfs.remove("OUTBOX");
      await rejectsWith(engine.vfs.remove("outbox"), "VFS_NOT_FOUND");
      await rejectsWith(engine.vfs.get("outbox"), "VFS_NOT_FOUND");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("vfs.test() lists the root, and names the cause when the entry does not answer", async () => {
  await withEngine(async (engine) => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(join(dir, "a.txt"), "a");
      await engine.vfs.add({ name: "here", type: "disk", target: dir, options: {} });
      assert.deepEqual(await engine.vfs.test("here"), { name: "here", entries: 1 });
      await engine.vfs.add({
        name: "nowhere",
        type: "sftp",
        target: "sftp://u@127.0.0.1:1/x",
        options: { pass: "p" },
      });
      const msg = await rejectsWith(engine.vfs.test("nowhere"), "VFS_FAILED");
      assert.match(msg, /^VFS "nowhere" failed: connection refused/i);
      await rejectsWith(engine.vfs.test("missing"), "VFS_NOT_FOUND");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteStore } from "../store/sqlite.ts";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { createCore } from "./engine.ts";
import { testIdleSeconds } from "./vfs_ops.ts";
import { startSilentServer } from "../../tests/fixtures/silent_server.ts";
import { within } from "../../tests/fixtures/within.ts";

Deno.test("vfs: entries are checked, shown with credentials masked, replaced only when asked", async () => {
  await withEngine(async (engine) => {
    const dir = await Deno.makeTempDir();
    try {
      const { vfs, replaced } = await engine.vfs.add({
        name: "outbox",
        type: "sftp",
        target: "sftp://u@127.0.0.1/out",
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
      assert.equal((await engine.vfs.get("outbox")).target, "sftp://u@127.0.0.1/out");
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
      // Options: a misspelt name (read by nobody: the default would apply unseen) and a value
      // refused only when a job opened the VFS are refused when it is added.
      for (
        const [type, target, options, message] of [
          [
            "azure",
            "azure://a/c",
            { idleTimeoutSecond: "30" },
            /did you mean "idleTimeoutSeconds"/,
          ],
          ["s3", "s3://b", { partSizeMiB: "2" }, /"partSizeMiB" option must be a whole number/],
          ["ftps", "ftps://u@h/", { tls: "implict" }, /"tls" option takes none, explicit/],
          ["disk", dir, { pass: "x" }, /VFS type disk takes no options/],
        ] as const
      ) {
        await assert.rejects(
          engine.vfs.add({ name: "x", type, target, options }),
          (e: Error & { code?: string }) => e.code === "INVALID_REQUEST" && message.test(e.message),
        );
      }
      await engine.vfs.remove("OUTBOX");
      await rejectsWith(engine.vfs.remove("outbox"), "VFS_NOT_FOUND");
      await rejectsWith(engine.vfs.get("outbox"), "VFS_NOT_FOUND");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("vfs.update(): an option stored before options were checked that the type does not read goes at the next change, instead of refusing it", async () => {
  await withEngine(async (engine, dataDir) => {
    // As an older aft stored it (no check then): a misspelt option beside a real one.
    const core = createCore(dataDir, new SqliteStore(join(dataDir, "aft.db")));
    try {
      await core.store.vfs.create({
        name: "old",
        type: "sftp",
        target: "sftp://u@127.0.0.1/a",
        optionsEnc: await core.secrets.encrypt(
          JSON.stringify({ pass: "p", idleTimeoutSecond: "30", pasword: "typo" }),
        ),
      });
    } finally {
      await core.close();
    }
    const renamed = await engine.vfs.update("old", { name: "renamed" });
    assert.deepEqual(renamed.options, { pass: "***" });
    // One given in the change itself is still refused.
    await assert.rejects(
      engine.vfs.update("renamed", { options: { idleTimeoutSecond: "30" } }),
      (e: Error & { code?: string }) =>
        e.code === "INVALID_REQUEST" && /did you mean "idleTimeoutSeconds"/.test(e.message),
    );
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

Deno.test("vfs.test() of an entry whose server takes the connection and sends nothing answers within its test limit, not the job's idle limit", async () => {
  const silent = startSilentServer();
  try {
    await withEngine(async (engine) => {
      const endpoint = encodeURIComponent(`http://127.0.0.1:${silent.port}`);
      await engine.vfs.add({
        name: "mute",
        type: "gcs",
        target: `gcs://b/p?endpoint=${endpoint}`,
        options: { idleTimeoutSeconds: "600" },
      });
      const started = performance.now();
      const msg = await rejectsWith(
        within(engine.vfs.test("mute"), "the test's answer", 60_000),
        "VFS_FAILED",
      );
      const limit = testIdleSeconds("gcs");
      assert.match(msg, new RegExp(`made no progress for ${limit} s`));
      const waited = performance.now() - started;
      assert.ok(waited >= limit * 1000 - 100, `${waited} ms`);
      // What a job reads is the entry as stored.
      assert.equal((await engine.vfs.get("mute")).options.idleTimeoutSeconds, "600");
    });
  } finally {
    await silent.close();
  }
});

Deno.test("vfs.update(): credentials are kept unless given or cleared, other options are replaced", async () => {
  await withEngine(async (engine, dataDir) => {
    const dir = await Deno.makeTempDir();
    try {
      await engine.vfs.add({
        name: "box",
        type: "sftp",
        target: "sftp://u@127.0.0.1/a",
        options: { pass: "old-secret", hostKeySHA256: "SHA256:abc", idleTimeoutSeconds: "60" },
      });
      await engine.vfs.add({ name: "taken", type: "disk", target: dir, options: {} });
      const v = await engine.vfs.update("BOX", {
        target: "sftp://u@127.0.0.1/b",
        options: { pass: "", hostKeySHA256: "SHA256:def" },
      });
      assert.equal(v.target, "sftp://u@127.0.0.1/b");
      assert.deepEqual(v.options, { pass: "***", hostKeySHA256: "SHA256:def" });
      // What a job would read: the credential left empty kept its value.
      const core = createCore(dataDir, new SqliteStore(join(dataDir, "aft.db")));
      try {
        assert.deepEqual((await core.vfs.get("box"))!.options, {
          pass: "old-secret",
          hostKeySHA256: "SHA256:def",
        });
      } finally {
        await core.close();
      }
      assert.deepEqual((await engine.vfs.update("box", { clear: ["pass"] })).options, {
        hostKeySHA256: "SHA256:def",
      });
      const renamed = await engine.vfs.update("box", { name: "Box 2", options: { pass: "new" } });
      assert.equal(renamed.name, "Box 2");
      assert.deepEqual(renamed.options, { pass: "***" });
      await rejectsWith(engine.vfs.get("box"), "VFS_NOT_FOUND");
      await rejectsWith(engine.vfs.update("box 2", { name: "TAKEN" }), "ALREADY_EXISTS");
      await rejectsWith(engine.vfs.update("box 2", { target: "relative" }), "INVALID_REQUEST");
      await rejectsWith(engine.vfs.update("box 2", { name: "a\u0007" }), "INVALID_NAME");
      await rejectsWith(engine.vfs.update("nope", {}), "VFS_NOT_FOUND");
      assert.equal((await engine.vfs.get("box 2")).target, "sftp://u@127.0.0.1/b");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { testContext } from "./_test_context.ts";
import { localCall } from "./local.ts";
import { zipCall } from "./zip.ts";
import { withTempDir } from "../../../../tests/fixtures/temp_dir.ts";

Deno.test("CopyFile() halted mid-copy keeps no temporary file and no partial file", async () => {
  await withTempDir("aft-local-", async (dir) => {
    await Deno.mkdir(join(dir, "in"));
    await Deno.mkdir(join(dir, "out"));
    const file = await Deno.open(join(dir, "in", "big.bin"), { write: true, create: true });
    const block = crypto.getRandomValues(new Uint8Array(64 * 1024));
    const buf = new Uint8Array(8 << 20);
    for (let at = 0; at < buf.length; at += block.length) buf.set(block, at);
    for (let i = 0; i < 64; i++) await file.write(buf);
    file.close();
    const ctx = testContext();
    const copying = localCall(ctx, "copyFile", [
      join(dir, "in", "big.bin"),
      join(dir, "out", "big.bin"),
    ]);
    let settled = false;
    copying.finally(() => settled = true).catch(() => {});
    // Halted once the temporary file shows.
    while (!settled && [...Deno.readDirSync(join(dir, "out"))].length === 0) {
      await new Promise((r) => setTimeout(r, 1));
    }
    ctx.abort.abort(new Error("The job was halted"));
    assert.deepEqual(await copying, { ok: false, error: "The job was halted" });
    assert.deepEqual([...Deno.readDirSync(join(dir, "out"))], []);
  });
});

Deno.test("local helpers' failures name the script's path (the missing one of two), never aft's temporary file; FIFOs are refused at once", async () => {
  await withTempDir("aft-local-", async (dir) => {
    const ctx = testContext();
    const call = (op: string, ...args: unknown[]) => localCall(ctx, op, args);
    const gone = join(dir, "nowhere");
    await Deno.writeTextFile(join(dir, "a.txt"), "a");
    assert.deepEqual(await call("writeTextFile", join(gone, "x.txt"), "x"), {
      ok: false,
      error: `No such file or folder: "${join(gone, "x.txt")}"`,
    });
    assert.deepEqual(await call("copyFile", join(gone, "a.txt"), join(dir, "b.txt")), {
      ok: false,
      error: `No such file or folder: "${join(gone, "a.txt")}"`,
    });
    assert.deepEqual(await call("copyFile", join(dir, "a.txt"), join(gone, "b.txt")), {
      ok: false,
      error: `No such file or folder: "${join(gone, "b.txt")}"`,
    });
    assert.deepEqual(await call("copyFile", dir, join(dir, "c.txt")), {
      ok: false,
      error: `Is a folder: "${dir}"`,
    });
    assert.deepEqual(await call("moveFile", join(gone, "a.txt"), join(dir, "b.txt")), {
      ok: false,
      error: `No such file or folder: "${join(gone, "a.txt")}"`,
    });
    if (Deno.build.os !== "windows") {
      const fifo = join(dir, "fifo");
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      const refused = {
        ok: false,
        error: `Not a regular file: "${fifo}" (a FIFO, socket or device)`,
      };
      assert.deepEqual(await call("copyFile", fifo, join(dir, "f.txt")), refused);
      assert.deepEqual(await call("readTextFile", fifo), refused);
      assert.deepEqual(await zipCall(ctx, [fifo, join(dir, "f.zip")]), refused);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "a.txt",
      ...(Deno.build.os !== "windows" ? ["fifo"] : []),
    ]);
  });
});

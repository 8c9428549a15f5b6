import assert from "node:assert/strict";
import { join } from "node:path";
import { testContext } from "./_test_context.ts";
import { localCall } from "./local.ts";
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

/**
 * Temporary files of the runner's local-disk writes: named as the copy engine names them, and
 * leftovers of crashed writers removed by the next write into the folder, through the handlers
 * scripts call (`WriteTextFile`, `CopyFile`, `ExportFile`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseTempName, tempName } from "../../../vfs/temp_name.ts";
import { thisWriter } from "../../../vfs/writer_id.ts";
import { testContext } from "./_test_context.ts";
import { localCall } from "./local.ts";
import { sweepLeftovers, tempBeside } from "./local_temp.ts";
import { VfsHandles } from "./vfs.ts";
import { vfsOp } from "./vfs_ops.ts";
import { withTempDir } from "../../../../tests/fixtures/temp_dir.ts";

/** Temporary files as crashes and running writers leave them, in `dir`. */
async function plant(dir: string) {
  const me = thisWriter();
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  const files = {
    // This host, this process ID, another start time: a process that is gone.
    dead: tempName("a.txt", undefined, { ...me, start: me.start + "0" }),
    // Another host: cannot be asked; old, and new.
    foreignOld: tempName("b.txt", undefined, { ...me, host: "00000000" }),
    foreignNew: tempName("c.txt", undefined, { ...me, host: "00000000" }),
    // The older format, without a writer: old, and new.
    olderOld: ".d.txt.aft-1234abcd.tmp",
    olderNew: ".e.txt.aft-5678abcd.tmp",
    // A writer that runs (this process).
    live: tempName("f.txt"),
    // Not aft's.
    other: ".g.txt.tmp",
  };
  for (const name of Object.values(files)) await Deno.writeTextFile(join(dir, name), "part");
  for (const name of [files.foreignOld, files.olderOld]) {
    await Deno.utime(join(dir, name), twoDaysAgo, twoDaysAgo);
  }
  return files;
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir("aft-local-temp-", fn);

const writes: [string, (dir: string) => Promise<unknown>][] = [
  ["WriteTextFile", (dir) => localCall(testContext(), "writeTextFile", [join(dir, "out"), "x"])],
  ["CopyFile", async (dir) => {
    const src = await Deno.makeTempFile();
    await Deno.writeTextFile(src, "x");
    try {
      return await localCall(testContext(), "copyFile", [src, join(dir, "out")]);
    } finally {
      await Deno.remove(src);
    }
  }],
  ["ExportFile", async (dir) => {
    const ctx = testContext();
    const handles = new VfsHandles(ctx);
    const h = await handles.open({ type: "memory", target: `export-${crypto.randomUUID()}` });
    await vfsOp(ctx, handles, h, "writeFileAsText", ["/in.txt", "x"]);
    return await vfsOp(ctx, handles, h, "exportFile", ["/in.txt", join(dir, "out")]);
  }],
];

for (const [what, write] of writes) {
  Deno.test(`${what} removes leftover temporary files of gone writers from its folder, and no other`, async () => {
    await withDir(async (dir) => {
      const f = await plant(dir);
      assert.deepEqual(await write(dir), { ok: true });
      assert.deepEqual(
        await names(dir),
        [f.foreignNew, f.olderNew, f.live, f.other, "out"].sort(),
      );
      assert.equal(await Deno.readTextFile(join(dir, "out")), "x");
    });
  });
}

Deno.test("tempBeside() names a file as the copy engine does, writer included", async () => {
  await withDir(async (dir) => {
    const tmp = await tempBeside(join(dir, "report.csv"));
    assert.equal(tmp.slice(0, dir.length), dir);
    const parsed = parseTempName(tmp.slice(dir.length + 1));
    assert.equal(parsed?.target, "report.csv");
    assert.deepEqual(parsed?.writer, thisWriter());
  });
});

Deno.test("sweepLeftovers() lists a folder once in ten minutes, and never fails", async () => {
  await withDir(async (dir) => {
    const now = Date.now();
    await plant(dir);
    assert.equal(await sweepLeftovers(dir, now), 3);
    await plant(dir);
    assert.equal(await sweepLeftovers(dir, now + 60_000), 0); // swept a minute ago
    assert.equal(await sweepLeftovers(dir, now + 11 * 60_000), 3);
    assert.equal(await sweepLeftovers(join(dir, "missing"), now), 0);
  });
});

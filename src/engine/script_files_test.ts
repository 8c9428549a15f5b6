import assert from "node:assert/strict";
import { join } from "node:path";
import { jobSource } from "./job_source.ts";
import { checkScriptSize, isScriptName, isWithin, MAX_SCRIPT_FILE_BYTES } from "./script_files.ts";
import type { JobRecord } from "../store/types.ts";
import type { EngineCore } from "./types.ts";

Deno.test("isWithin() compares folders segment by segment, not as text", () => {
  assert.ok(isWithin("/opt/scripts", "/opt/scripts"));
  assert.ok(isWithin("/opt/scripts", "/opt/scripts/a/b.syncjs"));
  assert.ok(isWithin("/opt/scripts/", "/opt/scripts/..x.syncjs"));
  assert.ok(isWithin("/", "/etc/passwd"));
  assert.ok(!isWithin("/opt/scripts", "/opt/scripts2/b.syncjs"));
  assert.ok(!isWithin("/opt/scripts", "/opt/scripts/../etc/passwd"));
  assert.ok(!isWithin("/opt/scripts", "/opt"));
});

Deno.test("only .syncjs, .js and .ts files are scripts", () => {
  for (const ok of ["a.syncjs", "/x/b.js", "c.TS", "d.SyncJS"]) assert.ok(isScriptName(ok), ok);
  for (const no of ["shadow", "environ", "service.token", "a.syncjs.txt", "a.json", ".syncjs"]) {
    assert.ok(!isScriptName(no), no);
  }
});

Deno.test("a script file over MAX_SCRIPT_FILE_BYTES is refused before it is read, with its size", async () => {
  checkScriptSize(MAX_SCRIPT_FILE_BYTES);
  assert.throws(
    () => checkScriptSize(200 * 1048576),
    { message: "the file is 200.0 MiB, and a script file may be at most 16 MiB" },
  );
  // The queue's read of a file job (trigger cli: no folder rules, so no engine is consulted).
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "big.syncjs");
    await Deno.writeFile(file, new Uint8Array(MAX_SCRIPT_FILE_BYTES + 1).fill(0x20));
    const job = { scriptId: null, filePath: file, trigger: "cli" } as unknown as JobRecord;
    assert.equal(
      await jobSource({} as EngineCore, job),
      `Cannot read script file "${file}": the file is 16.0 MiB, and a script file may be at most 16 MiB`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { isScriptName, isWithin } from "./script_files.ts";

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

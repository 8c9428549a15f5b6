import * as assert from "node:assert/strict";
import { privilegeProblem } from "./privilege.ts";

Deno.test("privilegeProblem() names root and sudo on Linux and macOS, an elevated PowerShell on Windows", () => {
  assert.equal(privilegeProblem("svc install", "linux", true), undefined);
  assert.match(
    privilegeProblem("svc install", "linux", false)!,
    /needs root: run "sudo aft svc install"/,
  );
  assert.match(
    privilegeProblem("svc stop", "darwin", false)!,
    /needs root: run "sudo aft svc stop"/,
  );
  assert.match(
    privilegeProblem("svc install", "windows", false)!,
    /needs an elevated administrator: run it from an elevated PowerShell/,
  );
});

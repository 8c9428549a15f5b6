import assert from "node:assert/strict";
import { EngineError } from "./engine/errors.ts";
import { describeError, RefusedError, UsageError } from "./errors.ts";

Deno.test("every kind of engine error has its exit code; not found is 5", () => {
  const cases: [EngineError, number][] = [
    [new EngineError("INVALID_NAME", "m"), 2],
    [new EngineError("UNAUTHORIZED", "m"), 3],
    [new EngineError("PATH_NOT_ALLOWED", "m"), 3],
    [new EngineError("SHUTTING_DOWN", "m"), 3],
    [new EngineError("CLI_RUN_OFF", "m"), 4],
    [new EngineError("SCRIPT_NOT_FOUND", "m"), 5],
    [new EngineError("JOB_NOT_FOUND", "m"), 5],
    [new EngineError("ALREADY_EXISTS", "m"), 1],
    [new EngineError("STORAGE_FULL", "The disk is full: free some space"), 1],
    [new EngineError("VFS_FAILED", "m"), 1],
    // What a service answered, by code, or by status for a code this build does not know.
    [EngineError.remote("SCRIPT_NOT_FOUND", "m", "failed"), 5],
    [EngineError.remote("FILE_JOBS_OFF", "m", "forbidden"), 4],
    [EngineError.remote("TOO_MANY_FAILURES", "m", "unavailable"), 3],
  ];
  for (const [err, code] of cases) {
    assert.deepEqual(describeError(err), { exitCode: code, message: err.message }, err.code);
  }
  assert.equal(describeError(new UsageError("u")).exitCode, 2);
  assert.equal(describeError(new RefusedError("r")).exitCode, 4);
  assert.deepEqual(describeError(new Error("plain")), { exitCode: 1, message: "plain" });
});

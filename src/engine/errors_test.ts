import assert from "node:assert/strict";
import { StoreError } from "../store/types.ts";
import { EngineError, ERROR_KINDS, fromStoreError, guarded, kindOfCode } from "./errors.ts";

Deno.test("every code has one kind, and an error carries its code's kind", () => {
  for (const [code, kind] of Object.entries(ERROR_KINDS)) {
    const e = new EngineError(code as keyof typeof ERROR_KINDS, "x");
    assert.equal(e.kind, kind);
    assert.equal(kindOfCode(code), kind);
  }
  assert.equal(kindOfCode("SOMETHING_NEW"), undefined);
  const remote = EngineError.remote("SCRIPT_NOT_FOUND", "m", "failed");
  assert.equal(remote.kind, "not_found");
  assert.equal(EngineError.remote("FROM_A_NEWER_SERVICE", "m", "unavailable").kind, "unavailable");
});

Deno.test("store failures become engine errors: a full disk STORAGE_FULL, an unreachable store STORE_UNAVAILABLE, a newer schema a refusal", async () => {
  const full = fromStoreError(new StoreError("FULL", "disk full")) as EngineError;
  assert.equal(full.code, "STORAGE_FULL");
  assert.equal(full.kind, "storage_full");
  assert.equal(
    (fromStoreError(new StoreError("ALREADY_EXISTS", "x")) as EngineError).kind,
    "conflict",
  );
  assert.equal((fromStoreError(new StoreError("INVALID", "x")) as EngineError).kind, "invalid");
  const down = fromStoreError(new StoreError("UNAVAILABLE", "cannot connect")) as EngineError;
  assert.equal(down.code, "STORE_UNAVAILABLE");
  assert.equal(down.kind, "unavailable");
  const newer = fromStoreError(new StoreError("NEWER_SCHEMA", "upgrade aft")) as EngineError;
  assert.equal(newer.code, "NEWER_SCHEMA");
  assert.equal(newer.kind, "refused");
  assert.equal(newer.message, "upgrade aft");
  const other = new Error("plain");
  assert.equal(fromStoreError(other), other);
  const ops = guarded({
    fail: () => Promise.reject(new StoreError("FULL", "disk full")),
    ok: (x: number) => Promise.resolve(x + 1),
  });
  assert.equal(await ops.ok(1), 2);
  await assert.rejects(
    ops.fail(),
    (e: unknown) => e instanceof EngineError && e.code === "STORAGE_FULL",
  );
});

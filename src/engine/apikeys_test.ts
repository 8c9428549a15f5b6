import assert from "node:assert/strict";
import { hashKey, newApiKey, sameHash } from "./apikeys.ts";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { createEngine } from "./engine.ts";

Deno.test("API keys are 256-bit base58 and compared by hash", async () => {
  const a = newApiKey();
  const b = newApiKey();
  assert.equal(a.length, 44);
  assert.match(a, /^[1-9A-HJ-NP-Za-km-z]{44}$/);
  assert.notEqual(a, b);
  const h = await hashKey(a);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.ok(sameHash(h, await hashKey(a)));
  assert.ok(!sameHash(h, await hashKey(b)));
  assert.ok(!sameHash(h, h.slice(1)));
});

Deno.test("apikeys.create() gives the key once, with defaults; bad ranges and scopes are refused", async () => {
  await withEngine(async (engine) => {
    const { key, record } = await engine.apikeys.create({ name: "ci" });
    assert.equal(key.length, 44);
    assert.ok(key.startsWith(record.prefix));
    assert.deepEqual(record.scopes, ["jobs:start", "jobs:read"]);
    assert.deepEqual(record.allow, ["127.0.0.1", "::1"]);
    assert.equal("hash" in record, false);
    assert.doesNotMatch(JSON.stringify(await engine.apikeys.list()), new RegExp(key));
    await rejectsWith(
      engine.apikeys.create({ name: "x", allow: ["10.0.0.0/33"] }),
      "INVALID_REQUEST",
    );
    await rejectsWith(engine.apikeys.create({ name: "x", scopes: ["root"] }), "INVALID_REQUEST");
    // Lists given empty (every scope unticked in the console, `--allow ''`) are refused, not
    // taken for the defaults.
    await rejectsWith(engine.apikeys.create({ name: "x", scopes: [] }), "INVALID_REQUEST");
    await rejectsWith(engine.apikeys.create({ name: "x", allow: [] }), "INVALID_REQUEST");
    await rejectsWith(engine.apikeys.create({ name: "CI" }), "ALREADY_EXISTS");
    await rejectsWith(engine.apikeys.create({ name: "c\u0000i" }), "INVALID_NAME");
    await engine.apikeys.remove("CI");
    await rejectsWith(engine.apikeys.remove("ci"), "APIKEY_NOT_FOUND");
  });
});

Deno.test("apikeys.authenticate() knows a key by hash and checks the caller's address", async () => {
  await withEngine(async (engine) => {
    const { key } = await engine.apikeys.create({ name: "lan", allow: ["10.0.0.0/8", "::1"] });
    assert.equal((await engine.apikeys.authenticate(key, "10.1.2.3")).name, "lan");
    assert.equal((await engine.apikeys.authenticate(` ${key} `, "::1")).name, "lan");
    await rejectsWith(engine.apikeys.authenticate(key, "192.168.1.1"), "ADDRESS_NOT_ALLOWED");
    await rejectsWith(engine.apikeys.authenticate("x".repeat(44), "10.1.2.3"), "UNAUTHORIZED");
    // "Last used" is recorded.
    for (let i = 0; i < 50 && !(await engine.apikeys.list())[0]!.lastUsedAt; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok((await engine.apikeys.list())[0]!.lastUsedAt);
  });
});

Deno.test("apikeys.authenticate() records the last caller's address, at once when it changes", async () => {
  await withEngine(async (engine) => {
    const { key } = await engine.apikeys.create({ name: "lan", allow: ["10.0.0.0/8"] });
    const lastCaller = async (want: string) => {
      for (let i = 0; i < 100; i++) {
        if ((await engine.apikeys.list())[0]!.lastCallerIp === want) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.fail(`last caller never became ${want}`);
    };
    assert.equal((await engine.apikeys.list())[0]!.lastCallerIp, null);
    await engine.apikeys.authenticate(key, "10.0.0.1");
    await lastCaller("10.0.0.1");
    // Within the minute, from another address: recorded anyway.
    await engine.apikeys.authenticate(key, "10.0.0.2");
    await lastCaller("10.0.0.2");
    // A refused address is not a caller of the key.
    await rejectsWith(engine.apikeys.authenticate(key, "192.168.0.9"), "ADDRESS_NOT_ALLOWED");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await engine.apikeys.list())[0]!.lastCallerIp, "10.0.0.2");
  });
});

Deno.test("a removed key is refused at once, though keys found are kept a moment", async () => {
  await withEngine(async (engine, dataDir) => {
    const a = await engine.apikeys.create({ name: "a" });
    const b = await engine.apikeys.create({ name: "b" });
    for (const k of [a.key, b.key]) await engine.apikeys.authenticate(k, "127.0.0.1");
    // Removed through this engine (the service's REST API or console).
    await engine.as({ kind: "admin", name: "ada" }).apikeys.remove("a");
    await rejectsWith(engine.apikeys.authenticate(a.key, "127.0.0.1"), "UNAUTHORIZED");
    // Removed by another process on the same database (`aft apikey remove`).
    assert.equal((await engine.apikeys.authenticate(b.key, "127.0.0.1")).name, "b");
    const other = await createEngine({ dataDir, log: () => {} });
    try {
      await other.apikeys.remove("b");
    } finally {
      await other.close();
    }
    await rejectsWith(engine.apikeys.authenticate(b.key, "127.0.0.1"), "UNAUTHORIZED");
    // A key created by another process works at once.
    const later = await createEngine({ dataDir, log: () => {} });
    const c = await later.apikeys.create({ name: "c" }).finally(() => later.close());
    assert.equal((await engine.apikeys.authenticate(c.key, "127.0.0.1")).name, "c");
  });
});

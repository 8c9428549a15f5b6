import assert from "node:assert/strict";
import { join } from "node:path";
import { decrypt, encrypt, loadMasterKey, parseMasterKey } from "./crypto.ts";
import { EngineError } from "./errors.ts";

const isMasterKeyError = (e: unknown) => e instanceof EngineError && e.code === "MASTER_KEY";

Deno.test("encrypt() and decrypt() round-trip, with a fresh IV each time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const key = await loadMasterKey(dir);
    const a = await encrypt(key, "s3cr3t ✓");
    const b = await encrypt(key, "s3cr3t ✓");
    assert.match(a, /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    assert.notEqual(a, b);
    assert.doesNotMatch(a, /s3cr3t/);
    assert.equal(await decrypt(key, a), "s3cr3t ✓");
    assert.equal(await decrypt(key, await encrypt(key, "")), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tampering, another key or an unknown format fail with a clear error", async () => {
  const d1 = await Deno.makeTempDir();
  const d2 = await Deno.makeTempDir();
  try {
    const k1 = await loadMasterKey(d1);
    const k2 = await loadMasterKey(d2);
    const c = await encrypt(k1, "value");
    const [v, iv, ct] = c.split(":");
    const flipped = ct!.slice(0, 4) + (ct![4] === "A" ? "B" : "A") + ct!.slice(5);
    await assert.rejects(decrypt(k1, `${v}:${iv}:${flipped}`), isMasterKeyError);
    await assert.rejects(decrypt(k2, c), /master key does not match/);
    await assert.rejects(decrypt(k1, "v2:x:y"), /unknown format/);
  } finally {
    await Deno.remove(d1, { recursive: true });
    await Deno.remove(d2, { recursive: true });
  }
});

Deno.test("the master key file is made once, private, and shared by processes starting together", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadMasterKey(dir)));
    const c = await encrypt(keys[0]!, "x");
    for (const k of keys) assert.equal(await decrypt(k, c), "x");
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(join(dir, "master.key"))).mode! & 0o777, 0o600);
    }
    const files = [];
    for await (const e of Deno.readDir(dir)) files.push(e.name);
    assert.deepEqual(files, ["master.key"]); // no temporary file left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a master key is 32 bytes as base64 or 64 hex digits", () => {
  const hex = "00".repeat(31) + "ff";
  assert.equal(parseMasterKey(hex)[31], 255);
  assert.equal(parseMasterKey(btoa(String.fromCharCode(...new Uint8Array(32).fill(7))))[0], 7);
  for (const bad of ["", "abc", "00".repeat(31), btoa("short")]) {
    assert.throws(() => parseMasterKey(bad), isMasterKeyError);
  }
});

import assert from "node:assert/strict";
import { APIKEY_CACHE_MS, ApiKeyCache } from "./apikey_cache.ts";
import type { ApiKeyRecord } from "../store/types.ts";

const rec = (name: string): ApiKeyRecord => ({
  id: name,
  name,
  prefix: "x",
  hash: `h-${name}`,
  allow: ["127.0.0.1"],
  scopes: ["jobs:start"],
  createdAt: "2026-01-01T00:00:00.000Z",
  lastUsedAt: null,
  lastCallerIp: null,
});

Deno.test("ApiKeyCache keeps a key for APIKEY_CACHE_MS, then asks the store again", () => {
  let now = 1_000;
  const cache = new ApiKeyCache(undefined, () => now);
  cache.set("h", rec("a"), cache.begin());
  assert.equal(cache.get("h")?.name, "a");
  now += APIKEY_CACHE_MS - 1;
  assert.equal(cache.get("h")?.name, "a");
  now += 1;
  assert.equal(cache.get("h"), undefined);
  assert.equal(cache.get("other"), undefined);
});

Deno.test("ApiKeyCache does not keep a lookup that was under way when the keys changed", () => {
  const cache = new ApiKeyCache();
  const lookup = cache.begin();
  cache.clear(); // a key is removed while the store is read
  cache.set("h", rec("a"), lookup);
  assert.equal(cache.get("h"), undefined);
  cache.set("h", rec("a"), cache.begin());
  assert.equal(cache.get("h")?.name, "a");
  cache.clear();
  assert.equal(cache.get("h"), undefined);
});

Deno.test("ApiKeyCache empties when the store's change mark moves (another process wrote)", () => {
  let mark = 1;
  const cache = new ApiKeyCache(() => mark);
  const lookup = cache.begin();
  mark = 2; // another process commits after the lookup began: its answer may be stale
  cache.set("h", rec("a"), lookup);
  assert.equal(cache.get("h"), undefined);
  cache.set("h", rec("a"), cache.begin());
  assert.equal(cache.get("h")?.name, "a");
  mark = 3;
  assert.equal(cache.get("h"), undefined);
});

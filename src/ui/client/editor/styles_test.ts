import assert from "node:assert/strict";
import { mergeModules } from "./styles.ts";

Deno.test("mergeModules() keeps the mounted order: new ones at their place, out-of-order ones moved", () => {
  const cur: string[] = [];
  assert.equal(mergeModules(cur, ["a", "b", "c"]), true);
  assert.deepEqual(cur, ["a", "b", "c"]);
  assert.equal(mergeModules(cur, ["a", "b", "c"]), false, "nothing new");
  assert.equal(mergeModules(cur, ["a", "x", "b"]), true);
  assert.deepEqual(cur, ["a", "x", "b", "c"]);
  assert.equal(mergeModules(cur, ["c", "a"]), true, "a must now follow c");
  assert.deepEqual(cur, ["x", "b", "c", "a"]);
});

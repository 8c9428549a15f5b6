import assert from "node:assert/strict";
import { joinBytes } from "./bytes.ts";

Deno.test("joinBytes puts the parts one after the other in a new array", () => {
  const a = Uint8Array.of(1, 2);
  const b = new Uint8Array([9, 3, 4, 9]).subarray(1, 3);
  const out = joinBytes([a, new Uint8Array(0), b]);
  assert.deepEqual(out, Uint8Array.of(1, 2, 3, 4));
  assert.notEqual(out.buffer, a.buffer);
  assert.deepEqual(joinBytes([]), new Uint8Array(0));
  // A copy even of one part: the caller may change the result.
  const one = joinBytes([a]);
  one[0] = 7;
  assert.equal(a[0], 1);
});

import assert from "node:assert/strict";
import { yazlCrc32Module, zlibCrc32 } from "./zip_crc.ts";

Deno.test("zlibCrc32() gives the standard CRC-32, whole and continued chunk by chunk", () => {
  assert.equal(zlibCrc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(zlibCrc32("123456789"), 0xcbf43926);
  assert.equal(zlibCrc32(new Uint8Array(0)), 0);
  const data = new Uint8Array(200_000);
  for (let i = 0; i < data.length; i += 65536) {
    crypto.getRandomValues(data.subarray(i, Math.min(i + 65536, data.length)));
  }
  const whole = zlibCrc32(data);
  let sum = 0;
  for (let i = 0; i < data.length; i += 7000) sum = zlibCrc32(data.subarray(i, i + 7000), sum);
  assert.equal(sum, whole);
});

Deno.test("the buffer-crc32 instance yazl uses sums with zlibCrc32 once zip_crc.ts is loaded", () => {
  const mod = yazlCrc32Module();
  assert.ok(mod, "yazl's buffer-crc32 is reachable");
  assert.equal(mod.unsigned, zlibCrc32);
});

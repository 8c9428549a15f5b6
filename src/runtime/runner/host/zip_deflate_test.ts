import assert from "node:assert/strict";
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { DeflatePool, liveDeflateWorkers } from "./zip_deflate.ts";
import { deflateBlock, outputRoom } from "./zip_deflate_worker.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";
import { joinBytes } from "../../../bytes.ts";

function sample(n: number): Uint8Array {
  const line = new TextEncoder().encode("2026-12-02;ACME;order;1234.50;SHIPPED\n");
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = line[i % line.length]!;
  crypto.getRandomValues(out.subarray(n >> 1, (n >> 1) + 4096));
  return out;
}

Deno.test("deflateBlock() ends a block that is not the last with a byte-aligned sync flush", () => {
  const a = deflateBlock(sample(100_000), false);
  assert.deepEqual(Array.from(a.subarray(-4)), [0x00, 0x00, 0xff, 0xff]);
  const b = deflateBlock(sample(100_000), true);
  assert.notDeepEqual(Array.from(b.subarray(-4)), [0x00, 0x00, 0xff, 0xff]);
});

Deno.test("deflateRawSync() in Deno ignores the dictionary option, so blocks start unprimed", () => {
  // Should this fail one day, Deno honours `dictionary`: blocks could then be primed with the
  // previous block's last 32 KiB, as pigz does, for a slightly smaller archive.
  const data = crypto.getRandomValues(new Uint8Array(16384));
  const primed = deflateRawSync(data, {
    level: 6,
    dictionary: data,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  assert.ok(primed.length > data.length, `${primed.length} bytes`);
});

Deno.test("DeflatePool blocks, in order, make one deflate stream whatever lane took them", async () => {
  for (const [workers, mainLane] of [[0, true], [1, true], [2, false], [3, true]] as const) {
    const pool = new DeflatePool(workers, mainLane);
    try {
      const data = sample(10 * 65536 + 123);
      const parts: Promise<{ data: Uint8Array }>[] = [];
      for (let o = 0; o < data.length; o += 65536) {
        const n = Math.min(65536, data.length - o);
        const buf = new ArrayBuffer(65536);
        new Uint8Array(buf).set(data.subarray(o, o + n));
        parts.push(
          pool.deflate(
            new Uint8Array(buf, 0, n),
            new ArrayBuffer(outputRoom(n)),
            o + n === data.length,
          ),
        );
      }
      const stream = joinBytes((await Promise.all(parts)).map((p) => p.data.slice()));
      assertSameBytes(new Uint8Array(inflateRawSync(stream)), data, `${workers} Workers`);
    } finally {
      pool.close();
    }
  }
  assert.equal(liveDeflateWorkers(), 0);
});

Deno.test("DeflatePool.close() fails the blocks still out and stops its Workers", async () => {
  const pool = new DeflatePool(1, false);
  const buf = new ArrayBuffer(1 << 20);
  const p = pool.deflate(new Uint8Array(buf), new ArrayBuffer(outputRoom(1 << 20)), true);
  pool.close();
  await assert.rejects(p, /The deflate pool was closed/);
  assert.equal(liveDeflateWorkers(), 0);
  await assert.rejects(
    pool.deflate(new Uint8Array(4), new ArrayBuffer(outputRoom(4)), true),
    /closed/,
  );
});

import assert from "node:assert/strict";
import { bigintBytes, bytesBigint, mpintBody, SshReader, SshWriter, WireError } from "./wire.ts";

Deno.test("wire: every field survives the writer growing its buffer, and reads back", () => {
  // A 1-byte start: each field below makes the buffer grow while it is written.
  const w = new SshWriter(1);
  w.u32(1).byte(7).bool(true).u64(2 ** 40 + 3).string("héllo").mpint(0x80n).nameList(["a", "b"])
    .raw(new Uint8Array([9, 9]));
  const r = new SshReader(w.finish());
  assert.equal(r.u32(), 1);
  assert.equal(r.byte(), 7);
  assert.equal(r.bool(), true);
  assert.equal(r.u64(), 2 ** 40 + 3);
  assert.equal(r.text(), "héllo");
  assert.equal(r.mpint(), 0x80n);
  assert.deepEqual(r.nameList(), ["a", "b"]);
  assert.deepEqual([...r.raw(2)], [9, 9]);
  assert.equal(r.remaining, 0);
});

Deno.test("wire: mpints are canonical (RFC 4251 5): no leading zeros, a zero byte before a set top bit", () => {
  assert.deepEqual([...mpintBody(new Uint8Array([0, 0, 0x7f]))], [0x7f]);
  assert.deepEqual([...mpintBody(new Uint8Array([0x80, 1]))], [0, 0x80, 1]);
  assert.deepEqual([...mpintBody(new Uint8Array([0, 0]))], []);
  assert.deepEqual([...new SshWriter().mpint(0n).finish()], [0, 0, 0, 0]);
  assert.equal(new SshReader(new Uint8Array([0, 0, 0, 1, 0xff])).mpint(), -1n);
  const n = 2n ** 521n - 1n;
  assert.equal(bytesBigint(bigintBytes(n)), n);
});

Deno.test("wire: a field past the end of the message, or a value out of range, is a WireError", () => {
  assert.throws(() => new SshReader(new Uint8Array([0, 0, 0, 9, 1])).string(), WireError);
  assert.throws(() => new SshReader(new Uint8Array([0, 0])).u32(), WireError);
  assert.throws(() => new SshReader(new Uint8Array(8).fill(0xff)).u64(), WireError);
  assert.throws(() => new SshWriter().u32(-1), WireError);
  assert.throws(() => new SshWriter().u32(2 ** 32), WireError);
  assert.throws(() => new SshWriter().u64(-1), WireError);
});

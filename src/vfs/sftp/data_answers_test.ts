import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { dataAnswers } from "./data_answers.ts";
import { assertSameBytes } from "../../../tests/fixtures/same_bytes.ts";
import { joinChunks } from "../../../tests/vfs/_util.ts";

const u32 = (v: number) => [v >>> 24 & 255, v >>> 16 & 255, v >>> 8 & 255, v & 255];

/** An SFTP packet: length, type, then the body. */
function packet(type: number, body: number[]): Uint8Array {
  return new Uint8Array([...u32(body.length + 1), type, ...body]);
}

const bytes = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const dataPacket = (id: number, data: number[], trailing: number[] = []) =>
  packet(103, [...u32(id), ...u32(data.length), ...data, ...trailing]);
const status = (id: number, code: number) =>
  packet(101, [...u32(id), ...u32(code), ...u32(2), 111, 107, ...u32(0)]);

/** Expected answers (id, length asked), the stream, and what must reach ssh2 and the callers. */
function scenario() {
  const big = bytes(70_000, 7);
  const taken = new Map<number, number[]>([
    [2, bytes(100, 1)],
    [4, []],
    [6, bytes(40, 3)],
    [7, big],
  ]);
  const asked = new Map<number, number>([[1, 10], [2, 100], [4, 10], [5, 10], [6, 64], [
    7,
    70_000,
  ]]);
  const stream: { p: Uint8Array; taken: boolean }[] = [
    { p: status(1, 1), taken: false }, // EOF for an expected read: ssh2's to handle
    { p: dataPacket(2, taken.get(2)!), taken: true },
    { p: dataPacket(3, bytes(50, 2)), taken: false }, // nobody expects id 3
    { p: dataPacket(4, []), taken: true },
    { p: dataPacket(5, bytes(20, 4)), taken: false }, // more than the 10 bytes asked for
    { p: dataPacket(6, taken.get(6)!, [9, 9, 9]), taken: true }, // bytes after the data
    { p: packet(102, [...u32(8), ...u32(4), 1, 2, 3, 4]), taken: false }, // a HANDLE
    { p: dataPacket(7, big), taken: true },
    { p: new Uint8Array([...u32(3), 103, 0, 0]), taken: false }, // too short for a DATA answer
  ];
  return { taken, asked, stream };
}

function run(split: (total: number) => number[]) {
  const { taken, asked, stream } = scenario();
  const forwarded: Uint8Array[] = [];
  const got = new Map<number, Uint8Array[]>();
  const a = dataAnswers((d) => {
    if (d !== null) forwarded.push(new Uint8Array(d)); // a copy: ssh2 may keep its own
  }, () => 256 * 1024);
  for (const [id, len] of asked) {
    a.expect(id, len, (err, parts) => {
      assert.equal(err, undefined);
      assert.ok(!got.has(id), `answer ${id} given once`);
      got.set(id, parts!);
    });
  }
  const all = joinChunks(stream.map((s) => s.p));
  let at = 0;
  for (const n of split(all.length)) {
    a.push(Buffer.from(all.subarray(at, at + n)));
    at += n;
  }
  assert.equal(at, all.length);
  assertSameBytes(
    joinChunks(forwarded),
    joinChunks(stream.filter((s) => !s.taken).map((s) => s.p)),
    "forwarded to ssh2",
  );
  assert.deepEqual([...got.keys()].sort(), [...taken.keys()].sort());
  for (const [id, data] of taken) {
    assertSameBytes(joinChunks(got.get(id)!), new Uint8Array(data), `answer ${id}`);
  }
  assert.equal(a.taken, taken.size);
}

Deno.test("dataAnswers() takes the expected DATA answers and forwards every other packet intact, however the channel splits them", () => {
  for (const size of [1, 2, 3, 4, 5, 7, 9, 12, 13, 14, 100, 4096, 32 * 1024, 1 << 20]) {
    run((total) => {
      const out: number[] = [];
      for (let at = 0; at < total; at += size) out.push(Math.min(size, total - at));
      return out;
    });
  }
  let seed = 1;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < 50; i++) {
    run((total) => {
      const out: number[] = [];
      for (let at = 0; at < total;) {
        const n = Math.min(total - at, 1 + Math.floor(random() * (random() < 0.5 ? 20 : 40_000)));
        out.push(n);
        at += n;
      }
      return out;
    });
  }
});

Deno.test("dataAnswers() hands data over as views of the channel's bytes, not copies", () => {
  const data = bytes(1000, 5);
  const chunk = Buffer.from(dataPacket(9, data));
  let parts: Uint8Array[] = [];
  const a = dataAnswers(() => assert.fail("nothing to forward"), () => 256 * 1024);
  a.expect(9, 1000, (_err, p) => parts = p!);
  a.push(chunk);
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.buffer, chunk.buffer);
  assert.equal(parts[0]!.byteOffset, chunk.byteOffset + 13);
  assertSameBytes(parts[0], new Uint8Array(data));
});

Deno.test("dataAnswers() forwards a packet longer than ssh2 takes, and an answer no longer expected", () => {
  const forwarded: Uint8Array[] = [];
  const a = dataAnswers((d) => void (d && forwarded.push(new Uint8Array(d))), () => 1000);
  a.expect(1, 2000, () => assert.fail("too long to take"));
  a.expect(2, 10, () => assert.fail("forgotten"));
  a.forget(2);
  const long = dataPacket(1, bytes(1500, 1));
  const late = dataPacket(2, bytes(10, 2));
  a.push(Buffer.from(joinChunks([long, late])));
  assertSameBytes(joinChunks(forwarded), joinChunks([long, late]));
  assert.equal(a.taken, 0);
});

Deno.test("dataAnswers() fails the answer being taken when the channel ends mid-packet", () => {
  let ended = false;
  const failures: (Error | undefined)[] = [];
  const a = dataAnswers((d) => void (d === null && (ended = true)), () => 256 * 1024);
  a.expect(3, 100, (err) => failures.push(err));
  a.push(Buffer.from(dataPacket(3, bytes(100, 3)).subarray(0, 60)));
  assert.equal(failures.length, 0);
  a.push(null);
  assert.ok(ended);
  assert.equal(failures.length, 1);
  assert.match(failures[0]?.message ?? "", /No response from server/);
});

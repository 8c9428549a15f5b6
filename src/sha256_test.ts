import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { sha256, sha256Hex } from "./sha256.ts";

const node = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

Deno.test("sha256Hex gives the FIPS 180-4 digests of the standard test messages", () => {
  assertEquals(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assertEquals(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256Hex equals node:crypto at every length around the block and padding edges", () => {
  for (let n = 0; n <= 200; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    assertEquals(sha256Hex(bytes), node(bytes), `length ${n}`);
  }
  const big = new Uint8Array(70_000).fill(0xa5);
  assertEquals(sha256Hex(big), node(big));
});

Deno.test("sha256Hex hashes a string as UTF-8, as node:crypto does (non-ASCII, NUL, emoji)", () => {
  for (const s of ["é", "\0", "ключ", "🔑 key\u0000\n", "a".repeat(55), "a".repeat(56)]) {
    assertEquals(sha256Hex(s), node(s));
  }
  fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (s) => {
    assertEquals(sha256Hex(s), node(s));
  }));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    assertEquals(sha256Hex(b), node(b));
  }));
});

Deno.test("sha256 gives the 32 bytes of the digest", () => {
  const d = sha256("abc");
  assertEquals(d.length, 32);
  assertEquals(d[0], 0xba);
  assertEquals(d[31], 0xad);
});

import assert from "node:assert/strict";
import crypto from "node:crypto";
import { EcbCtr, OpenSslCtr, systemOpenSsl } from "./aes_ctr.ts";

/** The reference: WebCrypto's AES-CTR with the whole 128-bit block as the counter. */
async function reference(
  key: Uint8Array<ArrayBuffer>,
  iv: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
) {
  const k = await crypto.subtle.importKey("raw", key, "AES-CTR", false, ["encrypt"]);
  return new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-CTR", counter: iv, length: 128 }, k, data),
  );
}

async function matchesWebCrypto(
  make: (bits: 128 | 192 | 256, key: Uint8Array, iv: Uint8Array) => EcbCtr | OpenSslCtr,
) {
  const ivs = [
    new Uint8Array(16),
    // Low words about to wrap: the carry must reach the higher words.
    Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0]),
    new Uint8Array(16).fill(0xff),
  ];
  for (const bits of [128, 192, 256] as const) {
    for (const iv of ivs) {
      const key = crypto.getRandomValues(new Uint8Array(bits / 8));
      const data = crypto.randomBytes(70_000);
      const want = await reference(key, iv, new Uint8Array(data));
      const ctr = make(bits, key, iv);
      const parts: Uint8Array[] = [];
      let off = 0;
      // Odd sizes and offsets: partial blocks, unaligned views, empty updates.
      for (const n of [0, 1, 3, 15, 16, 17, 4093, 32768, 5, 0]) {
        parts.push(ctr.update(data.subarray(off, off + n)));
        off += n;
      }
      parts.push(ctr.update(data.subarray(off)));
      const got = new Uint8Array(data.length);
      let at = 0;
      for (const p of parts) {
        got.set(p, at);
        at += p.length;
      }
      assert.equal(at, data.length);
      assert.deepEqual(got, want, `aes-${bits}-ctr, iv ${iv.join(",")}`);
      assert.equal(ctr.final().length, 0);
    }
  }
}

Deno.test("EcbCtr gives WebCrypto's AES-CTR bytes over any split, across counter carries", () =>
  matchesWebCrypto((bits, key, iv) => new EcbCtr(bits, key, iv)));

Deno.test({
  name: "OpenSslCtr (system libcrypto through FFI) gives WebCrypto's AES-CTR bytes likewise",
  // Linux with libcrypto: CI's machines. Elsewhere EcbCtr is what runs.
  ignore: systemOpenSsl() === null,
  fn: () => matchesWebCrypto((bits, key, iv) => new OpenSslCtr(systemOpenSsl()!, bits, key, iv)),
});

Deno.test("node:crypto's aes-*-ctr goes through the fast path and decrypts what it encrypted", () => {
  const key = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const c = crypto.createCipheriv("aes-128-ctr", key, iv);
  assert.ok(c instanceof (systemOpenSsl() ? OpenSslCtr : EcbCtr));
  const data = crypto.getRandomValues(new Uint8Array(1000));
  const enc = c.update(data);
  const d = crypto.createDecipheriv("aes-128-ctr", key, iv);
  assert.deepEqual(new Uint8Array(d.update(enc)), data);
  assert.throws(() => crypto.createCipheriv("aes-128-ctr", new Uint8Array(5), iv), RangeError);
  // Other ciphers are untouched.
  const cbc = crypto.createCipheriv("aes-128-cbc", key, iv);
  assert.ok(!(cbc instanceof EcbCtr) && !(cbc instanceof OpenSslCtr));
});

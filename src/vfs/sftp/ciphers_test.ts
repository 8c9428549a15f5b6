import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  EcbCtr,
  fastCreateCipheriv,
  fastCreateDecipheriv,
  OpenSslCtr,
  OpenSslGcm,
  preferredSshCiphers,
  systemOpenSsl,
} from "./ciphers.ts";
import "./ssh2.ts";
import { assertSameBytes } from "../../../tests/fixtures/same_bytes.ts";

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

/** Joins the outputs of `update` over odd split points, as ssh2 may split a packet. */
function updateInPieces(c: { update(d: Uint8Array): Uint8Array }, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  let off = 0;
  for (const n of [0, 1, 3, 15, 16, 17, 4093, 5]) {
    out.set(c.update(data.subarray(off, off + n)), off);
    off += n;
  }
  out.set(c.update(data.subarray(off)), off);
  return out;
}

Deno.test({
  name: "OpenSslGcm gives WebCrypto's AES-GCM bytes and tag, and refuses a wrong tag",
  ignore: systemOpenSsl() === null,
  fn: async () => {
    const ssl = systemOpenSsl()!;
    for (const bits of [128, 192, 256] as const) {
      const key = crypto.getRandomValues(new Uint8Array(bits / 8));
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const aad = Uint8Array.from([0, 0, 0x80, 0x10]); // an SSH packet length
      const data = crypto.getRandomValues(new Uint8Array(40_000));
      const k = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
      const want = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, k, data),
      ); // ciphertext, then the 16-byte tag

      // The IV buffer may change once the cipher is made (ssh2 counts it up in place).
      const ivBuf = iv.slice();
      const enc = new OpenSslGcm(ssl, bits, key, ivBuf, true).setAAD(aad);
      ivBuf.fill(0);
      const input = data.slice();
      const sealed = updateInPieces(enc, input);
      // In place, by design (see the class comment).
      assert.deepEqual(input, sealed);
      assert.equal(enc.final().length, 0);
      assertSameBytes(sealed, want.subarray(0, data.length), `aes-${bits}-gcm ciphertext`);
      assert.deepEqual(new Uint8Array(enc.getAuthTag()), want.subarray(data.length));
      assert.throws(() => enc.update(data), /finalized/);

      const tag = want.slice(data.length);
      const dec = new OpenSslGcm(ssl, bits, key, iv, false).setAAD(aad);
      const opened = updateInPieces(dec, sealed.slice());
      dec.setAuthTag(tag);
      assert.equal(dec.final().length, 0);
      assertSameBytes(opened, data);

      // One bit off in the tag, the data or the additional data: final refuses.
      const badTag = tag.slice();
      badTag[3]! ^= 1;
      const badData = sealed.slice();
      badData[100]! ^= 1;
      for (
        const [t, d, a] of [[badTag, sealed, aad], [tag, badData, aad], [
          tag,
          sealed,
          badTag.subarray(0, 4),
        ]]
      ) {
        const bad = new OpenSslGcm(ssl, bits, key, iv, false).setAAD(a!);
        bad.update(d!.slice());
        bad.setAuthTag(t!);
        assert.throws(() => bad.final(), /unable to authenticate/);
      }
    }
    // Misuse is an error, not a wrong answer.
    const key = new Uint8Array(16);
    const iv = new Uint8Array(12);
    assert.throws(() => new OpenSslGcm(ssl, 128, key, new Uint8Array(16), true), RangeError);
    assert.throws(() => new OpenSslGcm(ssl, 128, key, iv, true).getAuthTag(), /after final/);
    assert.throws(() => new OpenSslGcm(ssl, 128, key, iv, false).final(), /no authentication tag/);
  },
});

Deno.test({
  name:
    "OpenSslGcm: contexts kept from finished messages serve the next ones right (another key size, the other direction, after a refused tag, under AES-CTR)",
  ignore: systemOpenSsl() === null,
  fn: async () => {
    const ssl = systemOpenSsl()!;
    for (let i = 0; i < 24; i++) {
      const bits = ([128, 192, 256] as const)[i % 3]!;
      const key = crypto.getRandomValues(new Uint8Array(bits / 8));
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const aad = Uint8Array.from([0, 0, 0, i]);
      const data = crypto.getRandomValues(new Uint8Array(1000 + i));
      const k = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
      const want = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, k, data),
      );
      if (i % 2 === 0) {
        const enc = new OpenSslGcm(ssl, bits, key, iv, true).setAAD(aad);
        const sealed = new Uint8Array(enc.update(data.slice()));
        enc.final();
        assert.deepEqual([...sealed, ...enc.getAuthTag()], [...want], `message ${i}`);
      } else {
        const dec = new OpenSslGcm(ssl, bits, key, iv, false).setAAD(aad);
        const opened = new Uint8Array(dec.update(want.slice(0, data.length)));
        const tag = want.slice(data.length);
        if (i % 4 === 1) tag[0]! ^= 1; // refused: its context is kept all the same
        dec.setAuthTag(tag);
        if (i % 4 === 1) assert.throws(() => dec.final(), /unable to authenticate/);
        else {
          dec.final();
          assertSameBytes(opened, data, `message ${i}`);
        }
      }
      if (i % 5 === 0) {
        // An AES-CTR cipher may take a kept context too.
        const ctrKey = crypto.getRandomValues(new Uint8Array(16));
        const ctrIv = crypto.getRandomValues(new Uint8Array(16));
        const plain = crypto.getRandomValues(new Uint8Array(333));
        const got = new OpenSslCtr(ssl, 128, ctrKey, ctrIv).update(plain);
        assertSameBytes(new Uint8Array(got), await reference(ctrKey, ctrIv, plain));
      }
    }
  },
});

Deno.test("ssh2's createCipheriv makes AES-CTR and AES-GCM fast and leaves the rest to node:crypto", () => {
  const key = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const c = fastCreateCipheriv("aes-128-ctr", key, iv);
  assert.ok(c instanceof (systemOpenSsl() ? OpenSslCtr : EcbCtr));
  const data = crypto.getRandomValues(new Uint8Array(1000));
  const enc = (c as OpenSslCtr).update(data);
  const d = fastCreateDecipheriv("aes-128-ctr", key, iv) as OpenSslCtr;
  assertSameBytes(new Uint8Array(d.update(enc)), data);
  assert.throws(() => fastCreateCipheriv("aes-128-ctr", new Uint8Array(5), iv), RangeError);
  const gcm = fastCreateCipheriv("aes-128-gcm", key, iv.subarray(0, 12));
  assert.equal(gcm instanceof OpenSslGcm, systemOpenSsl() !== null);
  // Other ciphers, and calls with options, are node:crypto's own.
  for (
    const other of [
      fastCreateCipheriv("aes-128-cbc", key, iv),
      fastCreateCipheriv("aes-128-gcm", key, iv.subarray(0, 12), { authTagLength: 16 }),
    ]
  ) {
    assert.ok(
      !(other instanceof EcbCtr || other instanceof OpenSslCtr || other instanceof OpenSslGcm),
    );
  }
});

Deno.test("once ssh2 has loaded, node:crypto is its own again for the rest of the process", () => {
  const c = crypto.createCipheriv("aes-128-ctr", new Uint8Array(16), new Uint8Array(16));
  assert.ok(!(c instanceof EcbCtr || c instanceof OpenSslCtr));
  assert.ok(
    !(crypto.createCipheriv("aes-128-gcm", new Uint8Array(16), new Uint8Array(12)) instanceof
      OpenSslGcm),
  );
});

Deno.test("GCM is offered first only where OpenSSL does it", () => {
  const first = preferredSshCiphers()[0];
  assert.equal(first, systemOpenSsl() ? "aes128-gcm@openssh.com" : "aes128-ctr");
});

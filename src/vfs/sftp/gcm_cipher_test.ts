import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { assertSameBytes } from "../../../tests/fixtures/same_bytes.ts";
import { joinChunks, randomBytes } from "../../../tests/vfs/_util.ts";
import { systemOpenSsl } from "./ciphers.ts";
import { GcmCipher } from "./gcm_cipher.ts";
import { GcmDecipher } from "./gcm_decipher.ts";

const ssl = systemOpenSsl();

if (Deno.build.os !== "linux" || !ssl) {
  Deno.test({ name: "gcm cipher (runs on Linux with OpenSSL)", ignore: true, fn() {} });
} else {
  /** An SSH packet frame for `payload` in `buf` (length, padding length, payload, padding). */
  const frame = (buf: Uint8Array, payload: Uint8Array): Uint8Array => {
    let pad = 16 - ((1 + payload.length) & 15);
    if (pad < 4) pad += 16;
    const len = 1 + payload.length + pad;
    const p = buf.subarray(0, 4 + len);
    new DataView(p.buffer, p.byteOffset).setUint32(0, len);
    p[4] = pad;
    p.set(payload, 5);
    crypto.getRandomValues(p.subarray(5 + payload.length));
    return p;
  };

  class PacketReader {
    read(d: Buffer) {
      return d;
    }
  }

  for (const [bits, own] of [[128, true], [256, true], [128, false]] as const) {
    Deno.test(`gcm cipher: AES-${bits} packets ${own ? "with room for the tag leave in one write" : "without room leave in two writes"} and decipher to what was sent`, () => {
      const key = crypto.getRandomValues(new Uint8Array(bits / 8));
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const writes: Uint8Array[] = [];
      const c = new GcmCipher(
        ssl,
        bits,
        key,
        iv,
        7,
        (d) => writes.push(new Uint8Array(d)),
        (n) => new Uint8Array(n),
        () => own,
      );
      const payloads = [randomBytes(1), randomBytes(32_777), randomBytes(300)];
      for (const p of payloads) {
        const buf = new Uint8Array(p.length + 64);
        c.encrypt(frame(buf, p));
      }
      assert.equal(c.outSeqno, 10);
      assert.equal(writes.length, own ? 3 : 6);
      const got: Uint8Array[] = [];
      const proto = {
        _decipher: undefined,
        _onPayload: (p: Buffer) => void got.push(new Uint8Array(p)),
        _onPacket() {},
        _packetRW: { read: new PacketReader() },
        session() {},
      };
      const d: GcmDecipher = new GcmDecipher(ssl, proto, bits, key, iv, 7, proto._onPayload);
      const wire = Buffer.from(joinChunks(writes));
      d.decrypt(wire, 0, wire.length);
      assert.equal(got.length, 3);
      for (let i = 0; i < 3; i++) assertSameBytes(got[i]!, payloads[i]!, `packet ${i}`);
      c.free();
      c.encrypt(frame(new Uint8Array(64), randomBytes(3)));
      assert.equal(writes.length, own ? 3 : 6, "nothing is sent after free");
    });
  }
}

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { systemOpenSsl } from "./ciphers.ts";
import "./ssh2.ts";
import { gcmPackets, paddingFor } from "./gcm_packets.ts";

/** ssh2's own packet ciphers (lib/protocol/crypto.js): the reference the packets must meet. */
const ssh2Crypto = createRequire(import.meta.resolve("ssh2"))("ssh2/lib/protocol/crypto.js");

const CHANNEL_DATA = 94;

/** ssh2's cipher and a decipher with the same key and IV, and what passes between them. */
function pair(name: string) {
  const info = ssh2Crypto.CIPHER_INFO[name];
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(info.keyLen)));
  // A GCM IV's counter near a carry into its higher bytes.
  const iv = info.ivLen === 12
    ? Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff, 0xff, 0xfe])
    : Buffer.from(crypto.getRandomValues(new Uint8Array(info.ivLen)));
  // AES-GCM has its own tag; other ciphers come with HMAC-SHA-256.
  const mac = info.authLen > 0 ? null : ssh2Crypto.MAC_INFO["hmac-sha2-256"];
  const macKey = mac ? Buffer.alloc(32, 1) : null;
  const wire: Uint8Array[] = [];
  const payloads: Uint8Array[] = [];
  const cipher = ssh2Crypto.createCipher({
    outbound: {
      onWrite: (d: Uint8Array) => wire.push(Uint8Array.from(d)),
      cipherInfo: info,
      cipherKey: Buffer.from(key),
      cipherIV: Buffer.from(iv),
      seqno: 5,
      macInfo: mac,
      macKey,
    },
  });
  const decipher = ssh2Crypto.createDecipher({
    inbound: {
      onPayload: (p: Uint8Array) => void payloads.push(Uint8Array.from(p)),
      decipherInfo: info,
      decipherKey: Buffer.from(key),
      decipherIV: Buffer.from(iv),
      seqno: 5,
      macInfo: mac,
      macKey,
    },
  });
  /** Feeds what was written to the decipher, in pieces that do not follow packet bounds. */
  const deliver = () => {
    const all = Buffer.concat(wire.splice(0));
    for (let at = 0; at < all.length; at += 7_001) {
      const piece = Buffer.from(all.subarray(at, Math.min(at + 7_001, all.length)));
      decipher.decrypt(piece, 0, piece.length);
    }
  };
  return { cipher, wire, payloads, deliver };
}

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at);

Deno.test({
  name:
    "gcmPackets: ssh2's own decipher reads the channel data back whole and in order, at sizes around packet and AES block bounds, and ssh2's cipher carries on after",
  ignore: systemOpenSsl() === null,
}, () => {
  const packetSize = 32 * 1024;
  const heads = [0, 29, 40_000];
  const bodies = [0, 1, 15, 16, 17, packetSize - 29, packetSize, packetSize + 1, 256 * 1024 + 3];
  for (const name of ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]) {
    const { cipher, wire, payloads, deliver } = pair(name);
    const gcm = gcmPackets(cipher);
    assert.ok(gcm, name);
    let sent = 0;
    for (const h of heads) {
      for (const b of bodies) {
        const head = crypto.getRandomValues(new Uint8Array(h));
        const body = new Uint8Array(b).map((_, i) => i * 7 + b);
        gcm.send(77, packetSize, head, body);
        if (h + b === 0) {
          assert.equal(wire.length, 0, "nothing to send sends nothing");
          continue;
        }
        assert.equal(wire.length, 1, "one socket write for all the packets");
        deliver();
        const want = new Uint8Array(h + b);
        want.set(head);
        want.set(body, h);
        const got = new Uint8Array(h + b);
        let at = 0;
        for (const p of payloads.splice(0)) {
          assert.equal(p[0], CHANNEL_DATA);
          assert.equal(u32(p, 1), 77);
          const n = u32(p, 5);
          assert.equal(p.length, 9 + n);
          assert.ok(n > 0 && n <= packetSize, `${n} bytes in a packet`);
          got.set(p.subarray(9), at);
          at += n;
          sent++;
        }
        assert.equal(at, h + b, `${name} ${h}+${b}`);
        assert.deepEqual(got, want, `${name} ${h}+${b}`);
      }
    }
    assert.equal(cipher.outSeqno, (5 + sent) >>> 0);
    // ssh2's own next packet uses the IV and sequence number the sealed packets left.
    const packet = cipher.allocPacket(3);
    packet.set([1, 2, 3], 5);
    cipher.encrypt(packet);
    deliver();
    assert.deepEqual(payloads.splice(0), [Uint8Array.from([1, 2, 3])]);
  }
});

Deno.test({
  name: "gcmPackets: a packet changed on the way fails ssh2's tag check",
  ignore: systemOpenSsl() === null,
}, () => {
  const { cipher, wire, deliver } = pair("aes128-gcm@openssh.com");
  gcmPackets(cipher)!.send(1, 32 * 1024, new Uint8Array(10), new Uint8Array(100));
  wire[0]![40]! ^= 1;
  assert.throws(deliver);
});

Deno.test("gcmPackets: none for ciphers other than AES-GCM, which ssh2 frames itself", () => {
  const { cipher } = pair("aes128-ctr");
  assert.equal(gcmPackets(cipher), undefined);
  assert.equal(gcmPackets({}), undefined);
  assert.equal(gcmPackets(null), undefined);
});

Deno.test("paddingFor: 4 to 19 bytes, making the encrypted part a multiple of 16", () => {
  for (let payload = 0; payload < 100; payload++) {
    const pad = paddingFor(payload);
    assert.ok(pad >= 4 && pad < 20, `${pad}`);
    assert.equal((1 + payload + pad) % 16, 0);
  }
});

/**
 * SSH packets of channel data sealed with AES-GCM (RFC 5647, `aes*-gcm@openssh.com`) by the
 * system's OpenSSL, straight from the caller's bytes into one buffer per burst.
 *
 * ssh2 frames each SSH packet of a WRITE request on its own: a fresh buffer per packet (at most
 * 32 KiB: OpenSSH's packet size for a session channel), the data copied into it, a new cipher
 * context, then three socket writes (length, ciphertext, tag). Here all the packets of one
 * request go into one buffer, the data is encrypted from where it lies into that buffer (one
 * pass over it, not a copy and then an encryption), one EVP context is kept per connection and
 * only given the next IV, and the buffer leaves in one socket write.
 *
 * The packets are the same bytes ssh2 would send, and they use ssh2's own cipher state: its IV
 * is counted up and its sequence number advanced as its own cipher does per packet, so ssh2's
 * next packet follows on. {@linkcode gcmPackets} answers undefined where that state is not as
 * expected (another cipher, no OpenSSL, another ssh2), and the caller then frames through ssh2.
 *
 * @module
 */

import { type OpenSsl, systemOpenSsl } from "./ciphers.ts";

/** SSH_MSG_CHANNEL_DATA. */
const CHANNEL_DATA = 94;
const GCM_TAG = 16;
const GCM_IV = 12;
/** EVP_CIPHER_CTX_ctrl's command for the tag (openssl/evp.h). */
const EVP_CTRL_GCM_GET_TAG = 0x10;

/** The state of ssh2's `AESGCMCipherNative` (lib/protocol/crypto.js) this module uses. */
interface Ssh2GcmCipher {
  outSeqno: number;
  _onWrite: (data: Uint8Array) => void;
  _encSSLName: string;
  _encKey: Uint8Array;
  _encIV: Uint8Array;
  _dead: boolean;
}

/** Seals CHANNEL_DATA packets for one of ssh2's AES-GCM ciphers. */
export interface GcmPackets {
  /**
   * Sends `head` then `body` as CHANNEL_DATA on channel `channel`, in packets of at most
   * `packetSize` bytes of data, in one socket write. The caller's bytes may be reused after.
   */
  send(channel: number, packetSize: number, head: Uint8Array, body: Uint8Array): void;
}

const GCM = /^aes-(128|256)-gcm$/;

const sealers = new WeakMap<object, GcmPackets | null>();

const freed = new FinalizationRegistry<{ ssl: OpenSsl; ctx: Deno.PointerValue }>((c) => {
  c.ssl.EVP_CIPHER_CTX_free(c.ctx);
});

/**
 * The sealer for ssh2's current outgoing cipher `cipher` (`protocol._cipher`), or undefined
 * when it is not an AES-GCM cipher this module can drive. One per cipher: a re-key brings a new
 * cipher, and so a new sealer.
 */
export function gcmPackets(cipher: unknown): GcmPackets | undefined {
  if (typeof cipher !== "object" || cipher === null) return undefined;
  let s = sealers.get(cipher);
  if (s === undefined) {
    const ssl = systemOpenSsl();
    s = ssl && usable(cipher) ? create(ssl, cipher) : null;
    sealers.set(cipher, s);
  }
  return s ?? undefined;
}

function usable(c: object): c is Ssh2GcmCipher {
  const g = c as Partial<Ssh2GcmCipher>;
  return typeof g.outSeqno === "number" && typeof g._onWrite === "function" &&
    typeof g._encSSLName === "string" && GCM.test(g._encSSLName) &&
    g._encKey instanceof Uint8Array &&
    g._encKey.length === Number(GCM.exec(g._encSSLName)![1]) / 8 &&
    g._encIV instanceof Uint8Array && g._encIV.length === GCM_IV && g._dead === false;
}

function writeU32(b: Uint8Array, v: number, at: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** Counts the 64-bit invocation counter of a GCM IV (its last 8 bytes) up by one, as ssh2. */
function ivIncrement(iv: Uint8Array): void {
  for (let i = 11; i >= 4; i--) {
    iv[i] = (iv[i]! + 1) & 0xff;
    if (iv[i] !== 0) return;
  }
}

/** The padding length of a packet with `payload` bytes (at least 4, to a multiple of 16). */
export function paddingFor(payload: number): number {
  const pad = 16 - ((1 + payload) & 15);
  return pad < 4 ? pad + 16 : pad;
}

function create(ssl: OpenSsl, c: Ssh2GcmCipher): GcmPackets {
  const bits = c._encKey.length * 8 as 128 | 256;
  const ctx = ssl.EVP_CIPHER_CTX_new();
  if (ctx === null) throw new Error("OpenSSL could not make a cipher context");
  const outLen = new Int32Array(1);
  // The key once; each packet then only sets its IV.
  if (ssl.EVP_CipherInit_ex(ctx, ssl[`EVP_aes_${bits}_gcm`](), null, c._encKey, null, 1) !== 1) {
    ssl.EVP_CIPHER_CTX_free(ctx);
    throw new Error("OpenSSL refused the AES key");
  }
  const self: GcmPackets = { send };
  freed.register(self, { ssl, ctx });

  const update = (dst: Uint8Array | null, src: Uint8Array) => {
    if (src.length === 0) return;
    if (ssl.EVP_CipherUpdate(ctx, dst, outLen, src, src.length) !== 1) {
      throw new Error("OpenSSL AES-GCM update failed");
    }
  };

  function send(channel: number, packetSize: number, head: Uint8Array, body: Uint8Array): void {
    const total = head.length + body.length;
    if (total === 0) return;
    // Sizes first: one buffer for every packet, and one draw of random bytes for the padding.
    let size = 0;
    let pads = 0;
    for (let at = 0; at < total; at += packetSize) {
      const n = Math.min(total - at, packetSize);
      const pad = paddingFor(9 + n);
      size += 4 + 1 + 9 + n + pad + GCM_TAG;
      pads += pad;
    }
    const out = new Uint8Array(size);
    const random = crypto.getRandomValues(new Uint8Array(pads));
    let o = 0;
    let r = 0;
    for (let at = 0; at < total; at += packetSize) {
      const n = Math.min(total - at, packetSize);
      const pad = paddingFor(9 + n);
      const len = 1 + 9 + n + pad;
      writeU32(out, len, o);
      out[o + 4] = pad;
      out[o + 5] = CHANNEL_DATA;
      writeU32(out, channel, o + 6);
      writeU32(out, n, o + 10);
      const data = o + 14;
      out.set(random.subarray(r, r + pad), data + n);
      r += pad;
      if (ssl.EVP_CipherInit_ex(ctx, null, null, null, c._encIV, 1) !== 1) {
        throw new Error("OpenSSL refused the AES-GCM IV");
      }
      update(null, out.subarray(o, o + 4)); // the length: additional authenticated data
      update(out.subarray(o + 4, data), out.subarray(o + 4, data));
      // The data from where it lies: the part in `head`, then the part in `body`.
      const inHead = Math.max(0, Math.min(head.length - at, n));
      if (inHead > 0) update(out.subarray(data, data + inHead), head.subarray(at, at + inHead));
      if (n > inHead) {
        const from = at + inHead - head.length;
        update(out.subarray(data + inHead, data + n), body.subarray(from, from + n - inHead));
      }
      update(out.subarray(data + n, data + n + pad), out.subarray(data + n, data + n + pad));
      const end = o + 4 + len;
      if (ssl.EVP_CipherFinal_ex(ctx, out.subarray(end, end + GCM_TAG), outLen) !== 1) {
        throw new Error("OpenSSL AES-GCM final failed");
      }
      const tag = out.subarray(end, end + GCM_TAG);
      if (ssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG, tag) !== 1) {
        throw new Error("OpenSSL gave no AES-GCM tag");
      }
      ivIncrement(c._encIV);
      c.outSeqno = (c.outSeqno + 1) >>> 0;
      o = end + GCM_TAG;
    }
    c._onWrite(out);
  }
  return self;
}

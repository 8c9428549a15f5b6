/**
 * Outgoing AES-GCM SSH packets sealed by one OpenSSL context per key, each leaving in one
 * socket write.
 *
 * ssh2's `AESGCMCipherNative` makes a new cipher object (and so an OpenSSL context keyed afresh)
 * per packet, and writes each packet as three pieces (length, body, tag), each a socket write
 * through Node's stream machinery. {@linkcode GcmCipher} keeps one context and only sets the IV
 * per packet, and a packet built in a slot of ./packet_pool.ts gets its tag written right after
 * it in the slot, so it leaves as one piece. ./packet_pool.ts installs it in place of ssh2's
 * AES-GCM cipher where OpenSSL serves (./ciphers.ts), now and after every key exchange.
 * Eight alternating 256 MiB uploads to OpenSSH on 127.0.0.1 (load average 8 on 2 cores), CPU
 * seconds of the transfer: 1.57 to 2.44 (mean 2.06) with ssh2's cipher, 1.54 to 1.91 (mean
 * 1.73) with this one, lower in each of the four pairs.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { OpenSsl } from "./ciphers.ts";

const TAG = 16;
const EVP_CTRL_GCM_GET_TAG = 0x10;

const contexts = new FinalizationRegistry<{ ssl: OpenSsl; ctx: Deno.PointerValue }>((c) => {
  c.ssl.EVP_CIPHER_CTX_free(c.ctx);
});

/**
 * AES-GCM packets out (RFC 5647 with OpenSSH's `aes*-gcm@openssh.com`), with ssh2's cipher
 * interface: `allocPacket`, `encrypt` (in place, then to `onWrite`), `outSeqno` and `free`.
 */
export class GcmCipher {
  outSeqno: number;
  _dead = false;
  readonly #ssl: OpenSsl;
  #ctx: Deno.PointerValue;
  readonly #iv: Uint8Array;
  readonly #onWrite: (data: Buffer) => void;
  readonly #room: (packet: Uint8Array) => boolean;
  readonly #outLen = new Int32Array(1);
  readonly #scratch = new Uint8Array(TAG);

  /**
   * `allocPacket` builds a packet's frame (as ssh2's does); `room` answers whether the 16 bytes
   * after a packet in its buffer are the packet's own to use (a pool slot's).
   */
  constructor(
    ssl: OpenSsl,
    bits: 128 | 256,
    key: Uint8Array,
    iv: Uint8Array,
    seqno: number,
    onWrite: (data: Buffer) => void,
    readonly allocPacket: (payloadLen: number) => Uint8Array,
    room: (packet: Uint8Array) => boolean,
  ) {
    if (key.length !== bits / 8) throw new RangeError(`Invalid key length ${key.length}`);
    if (iv.length !== 12) throw new RangeError(`Invalid IV length ${iv.length}`);
    this.#ssl = ssl;
    this.#iv = new Uint8Array(iv);
    this.outSeqno = seqno;
    this.#onWrite = onWrite;
    this.#room = room;
    const ctx = ssl.EVP_CIPHER_CTX_new();
    if (ctx === null) throw new Error("OpenSSL could not make a cipher context");
    if (ssl.EVP_CipherInit_ex(ctx, ssl[`EVP_aes_${bits}_gcm`](), null, key, null, 1) !== 1) {
      ssl.EVP_CIPHER_CTX_free(ctx);
      throw new Error("OpenSSL refused the AES key");
    }
    this.#ctx = ctx;
    contexts.register(this, { ssl, ctx }, this);
  }

  /** Stops sending and frees the OpenSSL context (ssh2 calls this at a key exchange). */
  free(): void {
    this._dead = true;
    if (this.#ctx === null) return;
    contexts.unregister(this);
    this.#ssl.EVP_CIPHER_CTX_free(this.#ctx);
    this.#ctx = null;
  }

  /** Seals `packet` (length, then the rest, from `allocPacket`) in place and sends it. */
  encrypt(packet: Uint8Array): void {
    if (this._dead || this.#ctx === null) return;
    const ssl = this.#ssl;
    const ctx = this.#ctx;
    const n = packet.length;
    const body = packet.subarray(4);
    const out = this.#outLen;
    const own = this.#room(packet);
    const tag = own
      ? new Uint8Array(packet.buffer, packet.byteOffset + n, TAG)
      : new Uint8Array(TAG);
    if (
      ssl.EVP_CipherInit_ex(ctx, null, null, null, this.#iv, 1) !== 1 ||
      ssl.EVP_CipherUpdate(ctx, null, out, packet.subarray(0, 4), 4) !== 1 ||
      ssl.EVP_CipherUpdate(ctx, body, out, body, body.length) !== 1 || out[0] !== body.length ||
      ssl.EVP_CipherFinal_ex(ctx, this.#scratch, out) !== 1 ||
      ssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, tag) !== 1
    ) throw new Error("OpenSSL could not seal an SSH packet with AES-GCM");
    for (let i = 11; i >= 4; i--) {
      this.#iv[i] = (this.#iv[i]! + 1) & 0xff;
      if (this.#iv[i] !== 0) break;
    }
    this.outSeqno = (this.outSeqno + 1) >>> 0;
    if (own) this.#onWrite(Buffer.from(packet.buffer, packet.byteOffset, n + TAG));
    else {
      this.#onWrite(Buffer.from(packet.buffer, packet.byteOffset, n));
      this.#onWrite(Buffer.from(tag.buffer, 0, TAG));
    }
  }
}

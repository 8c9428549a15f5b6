/**
 * Incoming AES-GCM SSH packets of up to 256 KiB of channel data, deciphered in place and handed
 * on as views of the socket's chunks.
 *
 * ssh2's deciphers refuse SSH packets over 35,000 bytes (RFC 4253's minimum), so it announces
 * channels of 32 KiB packets, and a 256 MiB download arrives as 8,000+ packets. Under Deno the
 * socket's chunks hold 64 KiB, so about every other packet spans two of them, and ssh2's
 * `AESGCMDecipherNative` assembles each such packet in a new buffer (new, zeroed memory, then a
 * copy): a sixth of a download's CPU time in a profile. {@linkcode largePackets} puts
 * {@linkcode GcmDecipher} in its place for AES-GCM (by OpenSSL, ./ciphers.ts), now and after
 * every key exchange, and while it serves, the session channels ssh2 opens announce a maximum
 * packet of {@linkcode CHANNEL_MAX_PACKET} (RFC 4254 5.1; the server may send smaller ones:
 * OpenSSH 9.2's sshd, which reads its sftp-server's output 32 KiB at a time, sent a 256 MiB
 * download as 7,255 packets of 32 to 64 KiB, 946 smaller and 4 larger). The gain is the copy:
 * ten alternating 256 MiB downloads to disk from OpenSSH on 127.0.0.1 (loaded machine), CPU
 * seconds of the transfer: 1.22 to 1.63 (mean 1.48) with ssh2's decipher, 1.21 to 1.38 (mean
 * 1.31) with this one; peak RSS 125 to 136 MiB, then 116 to 120.
 *
 * {@linkcode GcmDecipher} checks each packet's tag before anything of it goes on (the GCM tag
 * covers the length, as additional data, and the whole packet), counts the sequence number and
 * IV as ssh2 does, and refuses a packet over {@linkcode MAX_SSH_PACKET} with a clear error (the
 * connection then closes). A CHANNEL_DATA packet for a channel that {@linkcode routeChannelData}
 * gave a sink goes to that sink as the pieces it arrived in, with no copy; every other packet
 * goes to ssh2 as one buffer, as before. Other ciphers, no OpenSSL, or ssh2 internals not as
 * expected: nothing changes (ssh2's decipher, 32 KiB packets).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type OpenSsl, systemOpenSsl } from "./ciphers.ts";
import { onEachKey } from "./key_hook.ts";

/** The maximum packet size announced for session channels while {@linkcode GcmDecipher} serves. */
export const CHANNEL_MAX_PACKET = 256 * 1024;
/**
 * The largest packet length accepted: a CHANNEL_DATA packet of {@linkcode CHANNEL_MAX_PACKET}
 * bytes of data with its message header and the most padding (RFC 4253 6: up to 255 bytes).
 */
export const MAX_SSH_PACKET = CHANNEL_MAX_PACKET + 1024;

const CHANNEL_DATA = 94;
/** Padding length byte, message type, recipient channel, data length. */
const HEAD = 10;
const TAG = 16;
const EVP_CTRL_GCM_SET_TAG = 0x11;

/**
 * Takes a CHANNEL_DATA packet's data (views, in order, `total` bytes); answers false where the
 * channel is not the sink's any more (the packet then goes to ssh2).
 */
export type ChannelSink = (pieces: Uint8Array[], total: number) => boolean;

/** The parts of ssh2's protocol object used here. */
interface Protocol {
  _decipher: unknown;
  _onPayload: (payload: Buffer) => unknown;
  _onPacket: () => void;
  _packetRW: { read: { constructor: { name: string } } };
  session(chan: number, initWindow: number, maxPacket: number): unknown;
}

/** ssh2's AES-GCM decipher, the fields it is rebuilt from. */
interface SshGcmDecipher {
  inSeqno: number;
  _onPayload: (payload: Buffer) => unknown;
  _decipherSSLName: string;
  _decipherKey: Uint8Array;
  _decipherIV: Uint8Array;
  _lenBytes: number;
}

const sinks = new WeakMap<object, Map<number, ChannelSink>>();

/** CHANNEL_DATA for local channel `id` of ssh2 protocol object `proto` goes to `sink`. */
export function routeChannelData(proto: object, id: number, sink: ChannelSink): void {
  let m = sinks.get(proto);
  if (!m) sinks.set(proto, m = new Map());
  m.set(id, sink);
}

const contexts = new FinalizationRegistry<{ ssl: OpenSsl; ctx: Deno.PointerValue }>((c) => {
  c.ssl.EVP_CIPHER_CTX_free(c.ctx);
});

/**
 * AES-GCM packets in (RFC 5647 with OpenSSH's `aes*-gcm@openssh.com`), with ssh2's decipher
 * interface: `decrypt(chunk, from, to)`, `inSeqno`, `_onPayload` (which ssh2 swaps during a key
 * exchange) and `free`. One OpenSSL context serves every packet (only the IV changes).
 */
export class GcmDecipher {
  inSeqno: number;
  _onPayload: (payload: Buffer) => unknown;
  readonly #ssl: OpenSsl;
  readonly #proto: Protocol;
  #ctx: Deno.PointerValue;
  readonly #iv: Uint8Array;
  readonly #max: number;
  readonly #outLen = new Int32Array(1);
  readonly #scratch = new Uint8Array(TAG);
  readonly #len = new Uint8Array(4);
  #lenHave = 0;
  #pktLen = 0;
  #got = 0;
  #pieces: Uint8Array[] = [];
  readonly #head = new Uint8Array(HEAD);
  readonly #tag = new Uint8Array(TAG);
  #tagHave = 0;
  #routed = 0;

  constructor(
    ssl: OpenSsl,
    proto: Protocol,
    bits: 128 | 256,
    key: Uint8Array,
    iv: Uint8Array,
    seqno: number,
    onPayload: (payload: Buffer) => unknown,
    max = MAX_SSH_PACKET,
  ) {
    if (key.length !== bits / 8) throw new RangeError(`Invalid key length ${key.length}`);
    if (iv.length !== 12) throw new RangeError(`Invalid IV length ${iv.length}`);
    this.#ssl = ssl;
    this.#proto = proto;
    this.#iv = new Uint8Array(iv);
    this.#max = max;
    this.inSeqno = seqno;
    this._onPayload = onPayload;
    const ctx = ssl.EVP_CIPHER_CTX_new();
    if (ctx === null) throw new Error("OpenSSL could not make a cipher context");
    if (ssl.EVP_CipherInit_ex(ctx, ssl[`EVP_aes_${bits}_gcm`](), null, key, null, 0) !== 1) {
      ssl.EVP_CIPHER_CTX_free(ctx);
      throw new Error("OpenSSL refused the AES key");
    }
    this.#ctx = ctx;
    contexts.register(this, { ssl, ctx }, this);
  }

  /** Packets handed to a channel's sink so far (for tests). */
  get routed(): number {
    return this.#routed;
  }

  /** Frees the OpenSSL context (ssh2 calls this when a key exchange replaces the decipher). */
  free(): void {
    if (this.#ctx === null) return;
    contexts.unregister(this);
    this.#ssl.EVP_CIPHER_CTX_free(this.#ctx);
    this.#ctx = null;
  }

  /**
   * Deciphers `data` from `p` to `end`, in place; answers where ssh2 must go on reading (after
   * a packet that changed the decipher) or undefined when all was taken.
   */
  decrypt(data: Uint8Array, p: number, end: number): number | undefined {
    const ssl = this.#ssl;
    while (p < end) {
      if (this.#lenHave < 4) {
        while (this.#lenHave < 4 && p < end) this.#len[this.#lenHave++] = data[p++]!;
        if (this.#lenHave < 4) return;
        const len = readU32(this.#len, 0);
        if (len > this.#max) {
          throw new Error(
            `The SSH server sent a packet of ${len} bytes: more than the ${this.#max} allowed`,
          );
        }
        if (len < 16 || len % 16 !== 0) throw new Error(`Bad SSH packet length ${len}`);
        if (this.#ctx === null) throw new Error("The SSH decipher was freed");
        this.#pktLen = len;
        this.#got = 0;
        this.#tagHave = 0;
        this.#pieces = [];
        const ctx = this.#ctx;
        if (
          ssl.EVP_CipherInit_ex(ctx, null, null, null, this.#iv, 0) !== 1 ||
          ssl.EVP_CipherUpdate(ctx, null, this.#outLen, this.#len, 4) !== 1
        ) throw new Error("OpenSSL refused the AES-GCM IV or additional data");
      }
      if (this.#got < this.#pktLen) {
        if (p >= end) return;
        const n = Math.min(this.#pktLen - this.#got, end - p);
        const piece = new Uint8Array(data.buffer, data.byteOffset + p, n);
        if (
          ssl.EVP_CipherUpdate(this.#ctx, piece, this.#outLen, piece, n) !== 1 ||
          this.#outLen[0] !== n
        ) throw new Error("OpenSSL AES-GCM update failed");
        if (this.#got < HEAD) {
          this.#head.set(piece.subarray(0, HEAD - this.#got), this.#got);
        }
        this.#pieces.push(piece);
        this.#got += n;
        p += n;
        if (this.#got < this.#pktLen || p >= end) return;
      }
      const t = Math.min(TAG - this.#tagHave, end - p);
      this.#tag.set(data.subarray(p, p + t), this.#tagHave);
      this.#tagHave += t;
      p += t;
      if (this.#tagHave < TAG) return;
      const ctx = this.#ctx;
      if (
        ssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, this.#tag) !== 1 ||
        ssl.EVP_CipherFinal_ex(ctx, this.#scratch, this.#outLen) !== 1
      ) throw new Error("An SSH packet failed its AES-GCM authentication");
      this.inSeqno = (this.inSeqno + 1) >>> 0;
      ivIncrement(this.#iv);
      this.#lenHave = 0;
      const ret = this.#deliver();
      if (ret !== undefined) return ret === false ? p : ret as number;
    }
  }

  /** Hands the packet just checked on: to a channel's sink, or to ssh2 in one buffer. */
  #deliver(): unknown {
    const pieces = this.#pieces;
    this.#pieces = [];
    const len = this.#pktLen;
    const head = this.#head;
    const payloadLen = len - 1 - head[0]!;
    if (head[0]! < 4 || payloadLen < 0) throw new Error(`Bad SSH packet padding ${head[0]}`);
    const proto = this.#proto;
    if (
      payloadLen >= HEAD - 1 && head[1] === CHANNEL_DATA &&
      readU32(head, 6) === payloadLen - (HEAD - 1) &&
      this._onPayload === proto._onPayload &&
      proto._packetRW.read.constructor.name === "PacketReader"
    ) {
      const sink = sinks.get(proto)?.get(readU32(head, 2));
      const total = payloadLen - (HEAD - 1);
      if (sink) {
        const data = slice(pieces, HEAD, HEAD + total);
        proto._onPacket();
        if (sink(data, total)) {
          this.#routed++;
          return undefined;
        }
      }
    }
    let payload: Buffer;
    if (pieces.length === 1) {
      const p = pieces[0]!;
      payload = Buffer.from(p.buffer, p.byteOffset + 1, payloadLen);
    } else {
      payload = Buffer.allocUnsafe(payloadLen);
      let at = 0;
      for (const part of slice(pieces, 1, 1 + payloadLen)) {
        payload.set(part, at);
        at += part.length;
      }
    }
    return this._onPayload(payload);
  }
}

/** The bytes `from` to `to` of the concatenation of `pieces`, as views. */
function slice(pieces: Uint8Array[], from: number, to: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of pieces) {
    const a = Math.max(from - at, 0);
    const b = Math.min(to - at, p.length);
    if (a < b) out.push(p.subarray(a, b));
    at += p.length;
    if (at >= to) break;
  }
  return out;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Counts the IV's last 8 bytes up by one, big-endian (RFC 5647 7.1). */
function ivIncrement(iv: Uint8Array): void {
  for (let i = 11; i >= 4; i--) {
    iv[i] = (iv[i]! + 1) & 0xff;
    if (iv[i] !== 0) break;
  }
}

function isSshGcm(d: unknown): d is SshGcmDecipher {
  if (typeof d !== "object" || d === null) return false;
  const x = d as Partial<SshGcmDecipher>;
  return d.constructor?.name === "AESGCMDecipherNative" && typeof x.inSeqno === "number" &&
    typeof x._onPayload === "function" && x._lenBytes === 0 &&
    (x._decipherSSLName === "aes-128-gcm" || x._decipherSSLName === "aes-256-gcm") &&
    x._decipherKey instanceof Uint8Array && x._decipherIV instanceof Uint8Array;
}

/**
 * Installs {@linkcode GcmDecipher} for the connection's AES-GCM, now and after every key
 * exchange, and the larger maximum packet (`announce` bytes of data) for the session channels
 * opened while it serves; packets longer than `accept` are refused (tests make these smaller).
 * Answers false (and changes nothing) without OpenSSL or where ssh2's protocol object is not as
 * expected.
 */
export function largePackets(
  client: unknown,
  { announce = CHANNEL_MAX_PACKET, accept = MAX_SSH_PACKET } = {},
): boolean {
  const ssl = systemOpenSsl();
  const proto = (client as { _protocol?: Protocol })._protocol;
  if (!ssl || typeof proto !== "object" || proto === null) return false;
  if (typeof proto.session !== "function" || typeof proto._onPacket !== "function") return false;

  const installed = onEachKey(proto, "_decipher", (v) => {
    if (!isSshGcm(v)) return v;
    const bits = v._decipherSSLName === "aes-128-gcm" ? 128 : 256;
    return new GcmDecipher(
      ssl,
      proto,
      bits,
      v._decipherKey,
      v._decipherIV,
      v.inSeqno,
      v._onPayload,
      accept,
    );
  });
  if (!installed) return false;
  const session = proto.session.bind(proto);
  proto.session = (chan, initWindow, maxPacket) =>
    session(chan, initWindow, proto._decipher instanceof GcmDecipher ? announce : maxPacket);
  return true;
}

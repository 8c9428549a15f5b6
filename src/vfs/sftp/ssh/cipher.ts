/**
 * SSH binary packet protection: the packet format of RFC 4253 section 6 and its encryption and
 * integrity, as {@linkcode Sealer} (outgoing) and {@linkcode Opener} (incoming) for one direction
 * of one set of keys.
 *
 * Modes, by the specifications they follow:
 *
 * - `aes128-gcm@openssh.com`, `aes256-gcm@openssh.com` (RFC 5647 as OpenSSH's PROTOCOL amends
 *   it): the 4-byte length travels in clear as additional authenticated data; the rest of the
 *   packet is enciphered; the 16-byte tag follows. The 12-byte nonce is a 4-byte fixed part and
 *   an 8-byte invocation counter that goes up by one per packet.
 * - `aes128-ctr`, `aes192-ctr`, `aes256-ctr` (RFC 4344) with an HMAC (RFC 4253 6.4, RFC 6668):
 *   the whole packet, length included, is enciphered, and the MAC covers the sequence number and
 *   the plaintext packet; the keystream continues from one packet to the next.
 * - The same with a `*-etm@openssh.com` MAC (OpenSSH's PROTOCOL, "encrypt then MAC"): the length
 *   travels in clear, the rest is enciphered, and the MAC covers the sequence number, the length
 *   and the ciphertext, so it is checked before anything is deciphered.
 * - `chacha20-poly1305@openssh.com` (OpenSSH's PROTOCOL.chacha20poly1305): a 64-byte key, the
 *   second half enciphering the length and the first half the rest, both with the sequence
 *   number as nonce; Poly1305 over the enciphered length and packet, keyed by the first 32 bytes
 *   of the payload key's keystream block 0 (the payload starts at block 1).
 * - No cipher (before the first NEWKEYS): block size 8, no MAC.
 *
 * Two implementations (a {@linkcode Backend}):
 *
 * - `"openssl"`: the system's libcrypto through FFI (./openssl.ts): AES-GCM, AES-CTR, ChaCha20
 *   by EVP, HMAC by HMAC_CTX, Poly1305 by EVP_MAC; synchronous and in place, with no memory
 *   allocated per packet beyond small views.
 * - `"webcrypto"`: AES-GCM, AES-CTR and HMAC by WebCrypto (asynchronous, so each packet costs a
 *   promise and a fresh result buffer). WebCrypto has no synchronous AES, but a CTR opener
 *   without etm must decipher a packet's first block to learn its length before the rest has
 *   arrived, so that one block per packet is enciphered by `@noble/ciphers`'s AES. ChaCha20-Poly1305
 *   uses `@noble/ciphers` too. Both are loaded on first use (about 5 ms): an opener of those
 *   modes is usable once its `ready` has settled, since it deciphers a length synchronously.
 *
 * The default is OpenSSL where {@linkcode systemOpenSsl} has it (Linux, FFI allowed,
 * `AFT_OPENSSL` not `0`); tests pass a backend to {@linkcode newSealer}/{@linkcode newOpener} to
 * run both.
 *
 * Sequence numbers are the caller's (uint32, wrapping). The GCM invocation counter is derived
 * from them, as the initial counter plus the packets since the first one these keys protected,
 * so the nonce of a packet does not depend on how many calls came before, and a packet opened
 * with the wrong sequence number fails its tag check under every mode.
 *
 * After an Opener throws, the connection must end: for CTR the keystream position is then
 * undefined.
 *
 * @module
 */

import { EvpCipher, type EvpCipherName, Hmac, Poly1305, systemOpenSsl } from "./openssl.ts";

/**
 * The ciphers offered, in the order used when OpenSSL's AES-GCM is available: GCM does
 * encryption and integrity in one pass. See {@linkcode preferredCiphers}.
 */
export const CIPHERS: readonly string[] = Object.freeze([
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
  "chacha20-poly1305@openssh.com",
]);

/** The MACs offered (for CTR), best first: encrypt-then-MAC, then SHA-2, then SHA-1. */
export const MACS: readonly string[] = Object.freeze([
  "hmac-sha2-256-etm@openssh.com",
  "hmac-sha2-512-etm@openssh.com",
  "hmac-sha2-256",
  "hmac-sha2-512",
  "hmac-sha1-etm@openssh.com",
  "hmac-sha1",
]);

/** Which code protects the packets: the system's libcrypto or WebCrypto (+ @noble/ciphers). */
export type Backend = "openssl" | "webcrypto";

/** The backend used when none is given: OpenSSL where it loads, else WebCrypto. */
export function defaultBackend(): Backend {
  return systemOpenSsl() ? "openssl" : "webcrypto";
}

/**
 * Loads OpenSSL and sets up its AES-GCM once, so that the first sealer and opener do not pay
 * for it (about 10 ms in a fresh process: the library's loading, its first use of a cipher,
 * the FFI bindings). The transport calls it while it waits for the server's first answer.
 */
export function warmUp(): void {
  const ssl = systemOpenSsl();
  if (!ssl) return;
  new EvpCipher(ssl, "aes-128-gcm", new Uint8Array(16), new Uint8Array(12), true).free();
}

/**
 * The ciphers in the best order for this process: {@linkcode CIPHERS}'s order either way.
 *
 * With OpenSSL (32 KiB payloads, one core of a loaded 2-core AMD EPYC VM), AES-GCM seals and
 * opens at 3 to 4 GB/s, ChaCha20-Poly1305 at about 3 GB/s, AES-CTR with HMAC-SHA-256 at about
 * 1.3 GB/s. Without it, WebCrypto's AES-GCM (270 to 440 MB/s each way over several runs) was at
 * least as fast as AES-CTR with HMAC-SHA-256, etm or not (250 to 380 MB/s), so GCM stays first:
 * one WebCrypto call per packet instead of two and a copy, and no JavaScript AES for CTR's
 * first block.
 * ChaCha20-Poly1305 by @noble/ciphers runs at about 210 MB/s and stays last.
 */
export function preferredCiphers(): string[] {
  return [...CIPHERS];
}

type Kind = "gcm" | "ctr" | "chacha";

interface CipherInfo {
  kind: Kind;
  keyLength: number;
  ivLength: number;
  blockSize: number;
}

const CIPHER_INFO: Record<string, CipherInfo> = {
  "aes128-gcm@openssh.com": { kind: "gcm", keyLength: 16, ivLength: 12, blockSize: 16 },
  "aes256-gcm@openssh.com": { kind: "gcm", keyLength: 32, ivLength: 12, blockSize: 16 },
  "aes128-ctr": { kind: "ctr", keyLength: 16, ivLength: 16, blockSize: 16 },
  "aes192-ctr": { kind: "ctr", keyLength: 24, ivLength: 16, blockSize: 16 },
  "aes256-ctr": { kind: "ctr", keyLength: 32, ivLength: 16, blockSize: 16 },
  // No IV: the nonce is the sequence number.
  "chacha20-poly1305@openssh.com": { kind: "chacha", keyLength: 64, ivLength: 0, blockSize: 8 },
};

/** Key, IV and block sizes of an SSH cipher; `aead`: integrity is its own (no MAC is used). */
export function cipherSpec(
  name: string,
): { keyLength: number; ivLength: number; blockSize: number; aead: boolean } | undefined {
  const c = Object.hasOwn(CIPHER_INFO, name) ? CIPHER_INFO[name] : undefined;
  if (!c) return undefined;
  return {
    keyLength: c.keyLength,
    ivLength: c.ivLength,
    blockSize: c.blockSize,
    aead: c.kind !== "ctr",
  };
}

type Digest = "sha1" | "sha256" | "sha512";

interface MacInfo {
  digest: Digest;
  keyLength: number;
  tagLength: number;
  etm: boolean;
}

const MAC_INFO: Record<string, MacInfo> = {
  "hmac-sha2-256-etm@openssh.com": { digest: "sha256", keyLength: 32, tagLength: 32, etm: true },
  "hmac-sha2-512-etm@openssh.com": { digest: "sha512", keyLength: 64, tagLength: 64, etm: true },
  "hmac-sha2-256": { digest: "sha256", keyLength: 32, tagLength: 32, etm: false },
  "hmac-sha2-512": { digest: "sha512", keyLength: 64, tagLength: 64, etm: false },
  "hmac-sha1-etm@openssh.com": { digest: "sha1", keyLength: 20, tagLength: 20, etm: true },
  "hmac-sha1": { digest: "sha1", keyLength: 20, tagLength: 20, etm: false },
};

/** Key and tag sizes of an SSH MAC; `etm`: encrypt-then-MAC (length in clear). */
export function macSpec(
  name: string,
): { keyLength: number; tagLength: number; etm: boolean } | undefined {
  const m = Object.hasOwn(MAC_INFO, name) ? MAC_INFO[name] : undefined;
  return m ? { keyLength: m.keyLength, tagLength: m.tagLength, etm: m.etm } : undefined;
}

/** The keys of one direction, as the key exchange derived them (RFC 4253 7.2). */
export interface DirectionKeys {
  /** The negotiated cipher (one of {@linkcode CIPHERS}). */
  cipher: string;
  /** The negotiated MAC (one of {@linkcode MACS}); ignored for AEAD ciphers. */
  mac?: string;
  /** The encryption key, {@linkcode cipherSpec}'s keyLength bytes (longer: the start is used). */
  key: Uint8Array;
  /** The initial IV, ivLength bytes (longer: the start is used). */
  iv: Uint8Array;
  /** The integrity key for a MAC, keyLength bytes (longer: the start is used). */
  macKey?: Uint8Array;
}

/** Outgoing packets. */
export interface Sealer {
  /**
   * Wire bytes of the packet for a payload of `payloadLength` bytes (length field, padding
   * length, payload, padding, MAC or tag).
   */
  sealedLength(payloadLength: number): number;
  /**
   * Writes the packet for `payload` (the concatenation of the parts) with sequence number `seq`
   * into `out` (exactly sealedLength bytes): random padding per RFC 4253 (at least 4 bytes,
   * aligned as each mode requires), then encryption and MAC/tag. May complete synchronously
   * (OpenSSL) or return a promise (WebCrypto); callers await it. Calls are made in sequence
   * order, one at a time.
   */
  seal(payload: readonly Uint8Array[], seq: number, out: Uint8Array): void | Promise<void>;
}

/** Incoming packets. */
export interface Opener {
  /**
   * Where present, settles once the opener can be used: the JavaScript fallbacks for CTR
   * without etm and for ChaCha20-Poly1305 load `@noble/ciphers` first (wireLength is
   * synchronous). Await it before the first wireLength.
   */
  readonly ready?: Promise<unknown>;
  /**
   * Bytes needed at the start of a packet to learn its length: 4 where the length is in clear
   * or enciphered alone (none, GCM, etm, ChaCha20), 16 (the block) for CTR without etm.
   */
  readonly headLength: number;
  /**
   * The packet's total length on the wire (including MAC/tag) from its first headLength bytes;
   * throws a clear Error for an impossible length (not aligned to the block size, under the
   * mode's minimum, or a packet_length field over `maxPacket`). May decipher the head into
   * private memory (CTR without etm, ChaCha20's length); `head` itself is left as it is, and the
   * packet later passed to open starts with the same bytes.
   */
  wireLength(head: Uint8Array, seq: number): number;
  /**
   * Checks and deciphers the whole packet (`packet` is exactly wireLength bytes and MAY be
   * modified in place); answers the payload (padding removed) as a view into `packet` (OpenSSL,
   * none) or into WebCrypto's result buffer. Throws "Bad packet MAC" / "Bad packet
   * authentication tag" on a failed check, and nothing of a bad packet is returned.
   */
  open(packet: Uint8Array, seq: number): Uint8Array | Promise<Uint8Array>;
}

/**
 * The sealer for one direction's keys; null: no encryption yet (before the first NEWKEYS).
 * `backend` defaults to {@linkcode defaultBackend}; "openssl" where OpenSSL is missing throws.
 */
export function newSealer(k: DirectionKeys | null, backend: Backend = defaultBackend()): Sealer {
  if (k === null) return new NoneSealer();
  const p = prepare(k, backend);
  switch (p.cipher.kind) {
    case "gcm":
      return p.ssl ? new SslGcmSealer(p) : new WebGcmSealer(p);
    case "ctr":
      return p.ssl ? new SslCtrSealer(p) : new WebCtrSealer(p);
    case "chacha":
      return p.ssl ? new SslChachaSealer(p) : new JsChachaSealer(p);
  }
}

/**
 * The opener for one direction's keys (null: no encryption yet). `maxPacket` bounds the
 * packet_length field (the bytes after it, before the MAC). `backend` as for
 * {@linkcode newSealer}.
 */
export function newOpener(
  k: DirectionKeys | null,
  maxPacket: number,
  backend: Backend = defaultBackend(),
): Opener {
  if (k === null) return new NoneOpener(maxPacket);
  const p = prepare(k, backend);
  switch (p.cipher.kind) {
    case "gcm":
      return p.ssl ? new SslGcmOpener(p, maxPacket) : new WebGcmOpener(p, maxPacket);
    case "ctr":
      return p.ssl ? new SslCtrOpener(p, maxPacket) : new WebCtrOpener(p, maxPacket);
    case "chacha":
      return p.ssl ? new SslChachaOpener(p, maxPacket) : new JsChachaOpener(p, maxPacket);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

type Ssl = NonNullable<ReturnType<typeof systemOpenSsl>>;

/** Checked keys, cut to size, and the library to use. */
interface Prepared {
  name: string;
  cipher: CipherInfo;
  key: Uint8Array<ArrayBuffer>;
  iv: Uint8Array<ArrayBuffer>;
  mac: MacInfo | null;
  macKey: Uint8Array<ArrayBuffer>;
  ssl: Ssl | null;
}

function cut(b: Uint8Array | undefined, n: number, what: string): Uint8Array<ArrayBuffer> {
  if (!b || b.length < n) throw new RangeError(`${what} needs ${n} bytes, got ${b?.length ?? 0}`);
  // A copy: the caller may wipe or reuse its key material.
  return b.slice(0, n) as Uint8Array<ArrayBuffer>;
}

function prepare(k: DirectionKeys, backend: Backend): Prepared {
  const cipher = Object.hasOwn(CIPHER_INFO, k.cipher) ? CIPHER_INFO[k.cipher] : undefined;
  if (!cipher) throw new Error(`Unsupported SSH cipher: ${k.cipher}`);
  let mac: MacInfo | null = null;
  if (cipher.kind === "ctr") {
    const m = k.mac !== undefined && Object.hasOwn(MAC_INFO, k.mac) ? MAC_INFO[k.mac] : undefined;
    if (!m) throw new Error(`Unsupported SSH MAC: ${k.mac ?? "(none)"}`);
    mac = m;
  }
  let ssl: Ssl | null = null;
  if (backend === "openssl") {
    ssl = systemOpenSsl();
    if (!ssl) throw new Error("OpenSSL is not available in this process");
  }
  return {
    name: k.cipher,
    cipher,
    key: cut(k.key, cipher.keyLength, `${k.cipher} key`),
    iv: cut(k.iv, cipher.ivLength, `${k.cipher} IV`),
    mac,
    macKey: mac ? cut(k.macKey, mac.keyLength, `${k.mac} key`) : new Uint8Array(0),
    ssl,
  };
}

/** Random padding bytes come from a pool, refilled 4 KiB at a time (not one call per packet). */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

/**
 * Padding for a payload of `p` bytes: at least 4 bytes, so that the aligned part (with or
 * without the 4-byte length, per mode) is a multiple of `block`.
 */
function padding(p: number, block: number, lengthAligned: boolean): number {
  const covered = (lengthAligned ? 5 : 1) + p;
  let pad = block - (covered % block);
  if (pad < 4) pad += block;
  return pad;
}

/**
 * Writes the plaintext packet (length, padding length, payload, random padding) at the start of
 * `out` and answers packet_length. `out` must have room for it and `total` bytes in all.
 */
function writePlain(
  out: Uint8Array,
  total: number,
  payload: readonly Uint8Array[],
  block: number,
  lengthAligned: boolean,
  tagLength: number,
): number {
  let p = 0;
  for (const part of payload) p += part.length;
  const pad = padding(p, block, lengthAligned);
  const len = 1 + p + pad;
  if (out.length !== total || total !== 4 + len + tagLength) {
    throw new RangeError(`Sealed packet needs ${4 + len + tagLength} bytes, got ${out.length}`);
  }
  out[0] = len >>> 24;
  out[1] = (len >>> 16) & 0xff;
  out[2] = (len >>> 8) & 0xff;
  out[3] = len & 0xff;
  out[4] = pad;
  let at = 5;
  for (const part of payload) {
    out.set(part, at);
    at += part.length;
  }
  if (poolAt + pad > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  for (let i = 0; i < pad; i++) out[at + i] = pool[poolAt + i]!;
  poolAt += pad;
  return len;
}

function readU32(b: Uint8Array, at = 0): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, n: number, at = 0): void {
  b[at] = n >>> 24;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
}

/** Constant-time comparison of `a` with `b` (same lengths expected). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** The length rules of one mode, for openers. */
class Framing {
  constructor(
    readonly block: number,
    /** Whether the 4-byte length is part of the aligned (and, for CTR, enciphered) bytes. */
    readonly lengthAligned: boolean,
    readonly tagLength: number,
    readonly maxPacket: number,
  ) {}

  /** The wire length for a packet_length field of `len`, or a clear Error. */
  wire(len: number): number {
    if (len > this.maxPacket) {
      throw new Error(`Bad packet length ${len}: over the maximum of ${this.maxPacket}`);
    }
    const aligned = this.lengthAligned ? len + 4 : len;
    if (aligned % this.block !== 0) {
      throw new Error(`Bad packet length ${len}: not a multiple of the block size ${this.block}`);
    }
    // RFC 4253 6: at least 16 bytes (or the block) with the length; the length-excluding modes
    // align the rest to the block, which must hold the padding length and 4 bytes of padding.
    const min = this.lengthAligned ? Math.max(16, this.block) - 4 : Math.max(this.block, 5);
    if (len < min) throw new Error(`Bad packet length ${len}: under the minimum of ${min}`);
    return 4 + len + this.tagLength;
  }

  /**
   * packet_length of `packet`, given the `wire` length its head announced; throws unless the
   * packet has exactly that many bytes (a caller's mistake, or a length field that changed).
   */
  body(wire: number, packet: Uint8Array): number {
    if (packet.length !== wire) {
      throw new Error(`Bad packet length: ${packet.length} bytes given for a packet of ${wire}`);
    }
    return wire - 4 - this.tagLength;
  }

  sealedLength(payloadLength: number): number {
    return 4 + 1 + payloadLength + padding(payloadLength, this.block, this.lengthAligned) +
      this.tagLength;
  }
}

/**
 * The payload of a deciphered packet from its padding-length byte on (`plain`, packet_length
 * bytes), as a view; the padding length must leave room and be at least 4 (RFC 4253 6).
 */
function payloadOf(plain: Uint8Array): Uint8Array {
  const pad = plain[0]!;
  if (pad < 4 || pad + 1 > plain.length) {
    throw new Error(`Bad packet padding length ${pad} in a packet of ${plain.length} bytes`);
  }
  return plain.subarray(1, plain.length - pad);
}

/** The 12-byte AES-GCM nonce for a packet (see the module comment on sequence numbers). */
class GcmNonce {
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly #hi: number;
  readonly #lo: number;
  #seq0 = -1;

  constructor(iv: Uint8Array) {
    this.iv = new Uint8Array(12);
    this.iv.set(iv.subarray(0, 12));
    this.#hi = readU32(iv, 4);
    this.#lo = readU32(iv, 8);
  }

  /** The nonce for sequence number `seq` (in the shared buffer `iv`). */
  at(seq: number): Uint8Array<ArrayBuffer> {
    if (this.#seq0 < 0) this.#seq0 = seq >>> 0;
    const n = (seq - this.#seq0) >>> 0;
    // The invocation counter is a 64-bit big-endian number: add with the carry.
    const lo = this.#lo + n;
    const hi = (this.#hi + (lo > 0xffff_ffff ? 1 : 0)) >>> 0;
    writeU32(this.iv, hi, 4);
    writeU32(this.iv, lo >>> 0, 8);
    return this.iv;
  }
}

function evpAes(kind: "ctr" | "gcm", keyLength: number): EvpCipherName {
  return `aes-${keyLength * 8}-${kind}` as EvpCipherName;
}

const BAD_TAG = "Bad packet authentication tag";
const BAD_MAC = "Bad packet MAC";

// ---------------------------------------------------------------------------------------------
// None

class NoneSealer implements Sealer {
  sealedLength(payloadLength: number): number {
    return 4 + 1 + payloadLength + padding(payloadLength, 8, true);
  }

  seal(payload: readonly Uint8Array[], _seq: number, out: Uint8Array): void {
    writePlain(out, out.length, payload, 8, true, 0);
  }
}

class NoneOpener implements Opener {
  readonly headLength = 4;
  readonly #f: Framing;

  constructor(maxPacket: number) {
    this.#f = new Framing(8, true, 0, maxPacket);
  }

  wireLength(head: Uint8Array, _seq: number): number {
    return this.#f.wire(readU32(head));
  }

  open(packet: Uint8Array, seq: number): Uint8Array {
    const len = this.#f.body(this.wireLength(packet, seq), packet);
    return payloadOf(packet.subarray(4, 4 + len));
  }
}

// ---------------------------------------------------------------------------------------------
// AES-GCM

class SslGcmSealer implements Sealer {
  readonly #ctx: EvpCipher;
  readonly #nonce: GcmNonce;
  readonly #f: Framing;

  constructor(p: Prepared) {
    this.#ctx = new EvpCipher(p.ssl!, evpAes("gcm", p.key.length), p.key, p.iv, true);
    this.#nonce = new GcmNonce(p.iv);
    this.#f = new Framing(16, false, 16, Infinity);
  }

  sealedLength(payloadLength: number): number {
    return this.#f.sealedLength(payloadLength);
  }

  seal(payload: readonly Uint8Array[], seq: number, out: Uint8Array): void {
    const len = writePlain(out, out.length, payload, 16, false, 16);
    const ctx = this.#ctx;
    ctx.setIv(this.#nonce.at(seq));
    ctx.aad(out.subarray(0, 4));
    const body = out.subarray(4, 4 + len);
    ctx.update(body, body);
    ctx.finishEncrypt(out.subarray(4 + len));
  }
}

class SslGcmOpener implements Opener {
  readonly headLength = 4;
  readonly #ctx: EvpCipher;
  readonly #nonce: GcmNonce;
  readonly #f: Framing;

  constructor(p: Prepared, maxPacket: number) {
    this.#ctx = new EvpCipher(p.ssl!, evpAes("gcm", p.key.length), p.key, p.iv, false);
    this.#nonce = new GcmNonce(p.iv);
    this.#f = new Framing(16, false, 16, maxPacket);
  }

  wireLength(head: Uint8Array, _seq: number): number {
    return this.#f.wire(readU32(head));
  }

  open(packet: Uint8Array, seq: number): Uint8Array {
    const len = this.#f.body(this.wireLength(packet, seq), packet);
    const ctx = this.#ctx;
    ctx.setIv(this.#nonce.at(seq));
    ctx.aad(packet.subarray(0, 4));
    const body = packet.subarray(4, 4 + len);
    // Deciphered in place before the tag is known to be good; on a bad tag nothing is returned
    // and the connection ends.
    ctx.update(body, body);
    if (!ctx.finishDecrypt(packet.subarray(4 + len, 4 + len + 16))) throw new Error(BAD_TAG);
    return payloadOf(body);
  }
}

/** WebCrypto wants its buffers backed by an ArrayBuffer (not a SharedArrayBuffer). */
function ab(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

class WebGcmSealer implements Sealer {
  #key: CryptoKey | null = null;
  readonly #ready: Promise<CryptoKey>;
  readonly #nonce: GcmNonce;
  readonly #f: Framing;

  constructor(p: Prepared) {
    this.#ready = crypto.subtle.importKey("raw", p.key, "AES-GCM", false, ["encrypt"]);
    this.#nonce = new GcmNonce(p.iv);
    this.#f = new Framing(16, false, 16, Infinity);
  }

  sealedLength(payloadLength: number): number {
    return this.#f.sealedLength(payloadLength);
  }

  async seal(payload: readonly Uint8Array[], seq: number, out: Uint8Array): Promise<void> {
    const len = writePlain(out, out.length, payload, 16, false, 16);
    // WebCrypto copies the nonce and data when called, so the shared nonce buffer is safe.
    const iv = this.#nonce.at(seq);
    const key = this.#key ??= await this.#ready;
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: ab(out.subarray(0, 4)), tagLength: 128 },
      key,
      ab(out.subarray(4, 4 + len)),
    );
    out.set(new Uint8Array(sealed), 4);
  }
}

class WebGcmOpener implements Opener {
  readonly headLength = 4;
  #key: CryptoKey | null = null;
  readonly #ready: Promise<CryptoKey>;
  readonly #nonce: GcmNonce;
  readonly #f: Framing;

  constructor(p: Prepared, maxPacket: number) {
    this.#ready = crypto.subtle.importKey("raw", p.key, "AES-GCM", false, ["decrypt"]);
    this.#nonce = new GcmNonce(p.iv);
    this.#f = new Framing(16, false, 16, maxPacket);
  }

  wireLength(head: Uint8Array, _seq: number): number {
    return this.#f.wire(readU32(head));
  }

  async open(packet: Uint8Array, seq: number): Promise<Uint8Array> {
    this.#f.body(this.wireLength(packet, seq), packet);
    const iv = this.#nonce.at(seq);
    const key = this.#key ??= await this.#ready;
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: ab(packet.subarray(0, 4)), tagLength: 128 },
        key,
        ab(packet.subarray(4)),
      );
    } catch {
      throw new Error(BAD_TAG);
    }
    return payloadOf(new Uint8Array(plain));
  }
}

// ---------------------------------------------------------------------------------------------
// AES-CTR with HMAC

class SslCtrSealer implements Sealer {
  readonly #ctx: EvpCipher;
  readonly #mac: Hmac;
  readonly #etm: boolean;
  readonly #f: Framing;
  readonly #seq = new Uint8Array(4);

  constructor(p: Prepared) {
    const mac = p.mac!;
    this.#ctx = new EvpCipher(p.ssl!, evpAes("ctr", p.key.length), p.key, p.iv, true);
    this.#mac = new Hmac(p.ssl!, mac.digest, p.macKey);
    this.#etm = mac.etm;
    this.#f = new Framing(16, !mac.etm, mac.tagLength, Infinity);
  }

  sealedLength(payloadLength: number): number {
    return this.#f.sealedLength(payloadLength);
  }

  seal(payload: readonly Uint8Array[], seq: number, out: Uint8Array): void {
    const etm = this.#etm;
    const len = writePlain(out, out.length, payload, 16, !etm, this.#f.tagLength);
    writeU32(this.#seq, seq >>> 0);
    const packet = out.subarray(0, 4 + len);
    const tag = out.subarray(4 + len);
    if (etm) {
      const body = out.subarray(4, 4 + len);
      this.#ctx.update(body, body);
      this.#mac.mac(this.#seq, packet, tag);
    } else {
      this.#mac.mac(this.#seq, packet, tag);
      this.#ctx.update(packet, packet);
    }
  }
}

class SslCtrOpener implements Opener {
  readonly headLength: number;
  readonly #ctx: EvpCipher;
  readonly #mac: Hmac;
  readonly #etm: boolean;
  readonly #f: Framing;
  readonly #seq = new Uint8Array(4);
  readonly #tag: Uint8Array;
  /** Without etm: the deciphered first block of the packet whose length was asked for. */
  readonly #head = new Uint8Array(16);
  /** The sequence number of that packet while it waits for open, else -1. */
  #headSeq = -1;

  constructor(p: Prepared, maxPacket: number) {
    const mac = p.mac!;
    this.#ctx = new EvpCipher(p.ssl!, evpAes("ctr", p.key.length), p.key, p.iv, false);
    this.#mac = new Hmac(p.ssl!, mac.digest, p.macKey);
    this.#etm = mac.etm;
    this.#f = new Framing(16, !mac.etm, mac.tagLength, maxPacket);
    this.#tag = new Uint8Array(mac.tagLength);
    this.headLength = mac.etm ? 4 : 16;
  }

  wireLength(head: Uint8Array, seq: number): number {
    if (this.#etm) return this.#f.wire(readU32(head));
    seq >>>= 0;
    // The keystream moves on with every block deciphered, so the head is deciphered once per
    // packet (into private memory: `head` stays as it came) and kept for open.
    if (this.#headSeq !== seq) {
      if (this.#headSeq >= 0) {
        throw new Error(`Packet ${seq} before packet ${this.#headSeq} was opened`);
      }
      this.#ctx.update(head.subarray(0, 16), this.#head);
      this.#headSeq = seq;
    }
    return this.#f.wire(readU32(this.#head));
  }

  open(packet: Uint8Array, seq: number): Uint8Array {
    const len = this.#f.body(this.wireLength(packet, seq), packet);
    writeU32(this.#seq, seq >>> 0);
    const tag = packet.subarray(4 + len, 4 + len + this.#f.tagLength);
    const body = packet.subarray(4, 4 + len);
    if (this.#etm) {
      this.#mac.mac(this.#seq, packet.subarray(0, 4 + len), this.#tag);
      if (!same(this.#tag, tag)) throw new Error(BAD_MAC);
      this.#ctx.update(body, body);
    } else {
      this.#headSeq = -1;
      packet.set(this.#head, 0);
      const rest = packet.subarray(16, 4 + len);
      this.#ctx.update(rest, rest);
      this.#mac.mac(this.#seq, packet.subarray(0, 4 + len), this.#tag);
      if (!same(this.#tag, tag)) throw new Error(BAD_MAC);
    }
    return payloadOf(body);
  }
}

const HASH = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" } as const;

/**
 * The AES-CTR counter block for the keystream `blocks` blocks after `iv`: the IV plus `blocks`
 * as one 128-bit big-endian number (the carry runs through all 16 bytes), into `out`.
 */
function counterAt(iv: Uint8Array, blocks: number, out: Uint8Array<ArrayBuffer>): void {
  // `blocks` stays below 2^53: split into two 32-bit words, then add word by word from the end.
  let add = blocks % 0x1_0000_0000;
  let high = Math.floor(blocks / 0x1_0000_0000);
  for (let at = 12; at >= 0; at -= 4) {
    const sum = readU32(iv, at) + add;
    writeU32(out, sum >>> 0, at);
    add = high + (sum > 0xffff_ffff ? 1 : 0);
    high = 0;
  }
}

/** A growing scratch buffer, reused from packet to packet. */
class Scratch {
  #buf = new Uint8Array(0);

  get(n: number): Uint8Array<ArrayBuffer> {
    if (this.#buf.length < n) this.#buf = new Uint8Array(Math.max(n, 64 * 1024 + 128));
    return this.#buf.subarray(0, n);
  }
}

/** WebCrypto keys for CTR and its HMAC, imported once (asynchronously). */
class WebCtrKeys {
  aes: CryptoKey | null = null;
  hmac: CryptoKey | null = null;
  readonly ready: Promise<void>;

  constructor(p: Prepared) {
    const mac = p.mac!;
    this.ready = Promise.all([
      crypto.subtle.importKey("raw", p.key, "AES-CTR", false, ["encrypt", "decrypt"]),
      crypto.subtle.importKey(
        "raw",
        p.macKey,
        { name: "HMAC", hash: HASH[mac.digest] },
        false,
        ["sign", "verify"],
      ),
    ]).then(([aes, hmac]) => {
      this.aes = aes;
      this.hmac = hmac;
    });
  }
}

class WebCtrSealer implements Sealer {
  readonly #keys: WebCtrKeys;
  readonly #iv: Uint8Array;
  readonly #etm: boolean;
  readonly #f: Framing;
  readonly #counter = new Uint8Array(16);
  readonly #scratch = new Scratch();
  /** Keystream blocks used so far. */
  #blocks = 0;

  constructor(p: Prepared) {
    this.#keys = new WebCtrKeys(p);
    this.#iv = p.iv;
    this.#etm = p.mac!.etm;
    this.#f = new Framing(16, !this.#etm, p.mac!.tagLength, Infinity);
  }

  sealedLength(payloadLength: number): number {
    return this.#f.sealedLength(payloadLength);
  }

  async seal(payload: readonly Uint8Array[], seq: number, out: Uint8Array): Promise<void> {
    const keys = this.#keys;
    if (!keys.aes) await keys.ready;
    const etm = this.#etm;
    const tagLength = this.#f.tagLength;
    const counter = { name: "AES-CTR", counter: this.#counter, length: 128 };
    counterAt(this.#iv, this.#blocks, this.#counter);
    if (etm) {
      const len = writePlain(out, out.length, payload, 16, false, tagLength);
      this.#blocks += len / 16;
      const sealed = await crypto.subtle.encrypt(counter, keys.aes!, ab(out.subarray(4, 4 + len)));
      out.set(new Uint8Array(sealed), 4);
      // The MAC input is sequence number || length || ciphertext, contiguous for WebCrypto.
      const m = this.#scratch.get(8 + len);
      writeU32(m, seq >>> 0);
      m.set(out.subarray(0, 4 + len), 4);
      out.set(new Uint8Array(await crypto.subtle.sign("HMAC", keys.hmac!, m)), 4 + len);
    } else {
      // Build sequence number || plaintext packet in scratch: the MAC covers it all, and the
      // packet is enciphered from it at the same time.
      const total = out.length;
      const m = this.#scratch.get(total + 4);
      writeU32(m, seq >>> 0);
      const len = writePlain(m.subarray(4), total, payload, 16, true, tagLength);
      this.#blocks += (4 + len) / 16;
      const [sealed, mac] = await Promise.all([
        crypto.subtle.encrypt(counter, keys.aes!, m.subarray(4, 8 + len)),
        crypto.subtle.sign("HMAC", keys.hmac!, m.subarray(0, 8 + len)),
      ]);
      out.set(new Uint8Array(sealed), 0);
      out.set(new Uint8Array(mac), 4 + len);
    }
  }
}

class WebCtrOpener implements Opener {
  readonly headLength: number;
  readonly #keys: WebCtrKeys;
  readonly #iv: Uint8Array;
  readonly #etm: boolean;
  readonly #f: Framing;
  readonly #counter = new Uint8Array(16);
  readonly #scratch = new Scratch();
  readonly ready: Promise<unknown>;
  /** Without etm: @noble/ciphers's AES and the expanded key, for the first block. */
  #aes: NobleAes | null = null;
  #expanded: Uint32Array | null = null;
  readonly #keystream = new Uint8Array(16);
  #blocks = 0;

  constructor(p: Prepared, maxPacket: number) {
    this.#keys = new WebCtrKeys(p);
    this.#iv = p.iv;
    this.#etm = p.mac!.etm;
    this.#f = new Framing(16, !this.#etm, p.mac!.tagLength, maxPacket);
    this.headLength = this.#etm ? 4 : 16;
    const key = p.key.slice();
    this.ready = this.#etm ? Promise.resolve() : loadAes().then((aes) => {
      this.#aes = aes;
      this.#expanded = aes.expandKeyLE(key);
    });
    this.ready.catch(() => {});
  }

  wireLength(head: Uint8Array, _seq: number): number {
    if (this.#etm) return this.#f.wire(readU32(head));
    // Only the length is needed; the block is deciphered again, with the rest, in open.
    counterAt(this.#iv, this.#blocks, this.#counter);
    this.#keystream.set(this.#counter);
    loaded(this.#aes).encryptBlock(loaded(this.#expanded), this.#keystream);
    const k = this.#keystream;
    return this.#f.wire(
      ((head[0]! ^ k[0]!) << 24 | (head[1]! ^ k[1]!) << 16 | (head[2]! ^ k[2]!) << 8 |
        (head[3]! ^ k[3]!)) >>> 0,
    );
  }

  async open(packet: Uint8Array, seq: number): Promise<Uint8Array> {
    const keys = this.#keys;
    if (!keys.aes) await keys.ready;
    const tagLength = this.#f.tagLength;
    const len = this.#f.body(this.wireLength(packet, seq), packet);
    const tag = ab(packet.subarray(4 + len, 4 + len + tagLength));
    const counter = { name: "AES-CTR", counter: this.#counter, length: 128 };
    counterAt(this.#iv, this.#blocks, this.#counter);
    const m = this.#scratch.get(8 + len);
    writeU32(m, seq >>> 0);
    if (this.#etm) {
      m.set(packet.subarray(0, 4 + len), 4);
      const [ok, plain] = await Promise.all([
        crypto.subtle.verify("HMAC", keys.hmac!, tag, m),
        crypto.subtle.decrypt(counter, keys.aes!, ab(packet.subarray(4, 4 + len))),
      ]);
      if (!ok) throw new Error(BAD_MAC);
      this.#blocks += len / 16;
      return payloadOf(new Uint8Array(plain));
    }
    const plain = new Uint8Array(
      await crypto.subtle.decrypt(counter, keys.aes!, ab(packet.subarray(0, 4 + len))),
    );
    m.set(plain, 4);
    if (!await crypto.subtle.verify("HMAC", keys.hmac!, tag, m)) throw new Error(BAD_MAC);
    this.#blocks += (4 + len) / 16;
    return payloadOf(plain.subarray(4));
  }
}

// ---------------------------------------------------------------------------------------------
// ChaCha20-Poly1305

/**
 * The 16-byte libcrypto ChaCha20 IV for a packet: a 64-bit little-endian block counter (0)
 * then the 64-bit nonce, the sequence number big-endian (OpenSSL's ChaCha20 takes the
 * original 64-bit-counter layout this way).
 */
function chachaIv(iv: Uint8Array, seq: number): void {
  writeU32(iv, seq >>> 0, 12);
}

const ZERO64 = new Uint8Array(64);

class SslChachaSealer implements Sealer {
  readonly #len: EvpCipher;
  readonly #main: EvpCipher;
  readonly #poly: Poly1305;
  readonly #iv = new Uint8Array(16);
  readonly #polyKey = new Uint8Array(64);
  readonly #f = new Framing(8, false, 16, Infinity);

  constructor(p: Prepared) {
    const ssl = p.ssl!;
    // K_2 (the first half) for the packet, K_1 (the second half) for the length.
    this.#main = new EvpCipher(ssl, "chacha20", p.key.subarray(0, 32), this.#iv, true);
    this.#len = new EvpCipher(ssl, "chacha20", p.key.subarray(32, 64), this.#iv, true);
    this.#poly = new Poly1305(ssl);
  }

  sealedLength(payloadLength: number): number {
    return this.#f.sealedLength(payloadLength);
  }

  seal(payload: readonly Uint8Array[], seq: number, out: Uint8Array): void {
    const len = writePlain(out, out.length, payload, 8, false, 16);
    chachaIv(this.#iv, seq);
    const head = out.subarray(0, 4);
    this.#len.setIv(this.#iv);
    this.#len.update(head, head);
    this.#main.setIv(this.#iv);
    // Block 0 gives the Poly1305 key; the packet is enciphered from block 1 on.
    this.#main.update(ZERO64, this.#polyKey);
    const body = out.subarray(4, 4 + len);
    this.#main.update(body, body);
    this.#poly.mac(this.#polyKey.subarray(0, 32), out.subarray(0, 4 + len), out.subarray(4 + len));
  }
}

class SslChachaOpener implements Opener {
  readonly headLength = 4;
  readonly #len: EvpCipher;
  readonly #main: EvpCipher;
  readonly #poly: Poly1305;
  readonly #iv = new Uint8Array(16);
  readonly #polyKey = new Uint8Array(64);
  readonly #head = new Uint8Array(4);
  readonly #tag = new Uint8Array(16);
  readonly #f: Framing;

  constructor(p: Prepared, maxPacket: number) {
    const ssl = p.ssl!;
    // Encrypting and decrypting are the same for a stream cipher; the keystream is wanted.
    this.#main = new EvpCipher(ssl, "chacha20", p.key.subarray(0, 32), this.#iv, true);
    this.#len = new EvpCipher(ssl, "chacha20", p.key.subarray(32, 64), this.#iv, true);
    this.#poly = new Poly1305(ssl);
    this.#f = new Framing(8, false, 16, maxPacket);
  }

  wireLength(head: Uint8Array, seq: number): number {
    chachaIv(this.#iv, seq);
    this.#len.setIv(this.#iv);
    this.#len.update(head.subarray(0, 4), this.#head);
    return this.#f.wire(readU32(this.#head));
  }

  open(packet: Uint8Array, seq: number): Uint8Array {
    const len = this.#f.body(this.wireLength(packet, seq), packet);
    this.#main.setIv(this.#iv);
    this.#main.update(ZERO64, this.#polyKey);
    this.#poly.mac(this.#polyKey.subarray(0, 32), packet.subarray(0, 4 + len), this.#tag);
    if (!same(this.#tag, packet.subarray(4 + len, 4 + len + 16))) throw new Error(BAD_TAG);
    const body = packet.subarray(4, 4 + len);
    this.#main.update(body, body);
    return payloadOf(body);
  }
}

type Noble = {
  chacha20orig: typeof import("@noble/ciphers/chacha.js").chacha20orig;
  poly1305: typeof import("@noble/ciphers/_poly1305.js").poly1305;
};

let noble: Noble | null = null;
let nobleLoading: Promise<Noble> | null = null;

/** @noble/ciphers's ChaCha20 and Poly1305, imported on first use (about 5 ms). */
function loadNoble(): Promise<Noble> {
  return nobleLoading ??= Promise.all([
    import("@noble/ciphers/chacha.js"),
    import("@noble/ciphers/_poly1305.js"),
  ]).then(([c, p]) => noble = { chacha20orig: c.chacha20orig, poly1305: p.poly1305 });
}

type NobleAes = typeof import("@noble/ciphers/aes.js").unsafe;
let nobleAes: Promise<NobleAes> | null = null;

/** @noble/ciphers's single-block AES, imported on first use. */
function loadAes(): Promise<NobleAes> {
  return nobleAes ??= import("@noble/ciphers/aes.js").then((m) => m.unsafe);
}

/** ChaCha20-Poly1305 keys and scratch for the JavaScript path. */
class JsChacha {
  readonly main: Uint8Array;
  readonly lenKey: Uint8Array;
  readonly nonce = new Uint8Array(8);
  readonly polyKey = new Uint8Array(32);
  /** @noble/ciphers loaded: the opener's length is deciphered synchronously, so it waits. */
  readonly ready: Promise<Noble>;

  constructor(p: Prepared) {
    this.main = p.key.slice(0, 32);
    this.lenKey = p.key.slice(32, 64);
    this.ready = loadNoble();
    this.ready.catch(() => {});
  }

  /** Deciphers or enciphers (the same for a stream) the 4 length bytes of `from` into `to`. */
  length(n: Noble, seq: number, from: Uint8Array, to: Uint8Array): void {
    writeU32(this.nonce, seq >>> 0, 4);
    n.chacha20orig(this.lenKey, this.nonce, from.subarray(0, 4), to.subarray(0, 4), 0);
  }

  /** The Poly1305 key for `seq` into `polyKey`; sets `nonce`. */
  start(n: Noble, seq: number): void {
    writeU32(this.nonce, seq >>> 0, 4);
    n.chacha20orig(this.main, this.nonce, ZERO64.subarray(0, 32), this.polyKey, 0);
  }
}

/** The loaded @noble/ciphers, for an opener's synchronous step (after its `ready`). */
function loaded<T>(v: T | null): T {
  if (v === null) throw new Error("The cipher is not ready yet: await the opener's ready first");
  return v;
}

class JsChachaSealer implements Sealer {
  readonly #c: JsChacha;
  readonly #f = new Framing(8, false, 16, Infinity);

  constructor(p: Prepared) {
    this.#c = new JsChacha(p);
  }

  sealedLength(payloadLength: number): number {
    return this.#f.sealedLength(payloadLength);
  }

  seal(payload: readonly Uint8Array[], seq: number, out: Uint8Array): void | Promise<void> {
    if (noble) return this.#seal(noble, payload, seq, out);
    return loadNoble().then((n) => this.#seal(n, payload, seq, out));
  }

  #seal(n: Noble, payload: readonly Uint8Array[], seq: number, out: Uint8Array): void {
    const c = this.#c;
    const len = writePlain(out, out.length, payload, 8, false, 16);
    c.length(n, seq, out, out);
    c.start(n, seq);
    const body = out.subarray(4, 4 + len);
    n.chacha20orig(c.main, c.nonce, body, body, 1);
    out.set(n.poly1305(out.subarray(0, 4 + len), c.polyKey), 4 + len);
  }
}

class JsChachaOpener implements Opener {
  readonly headLength = 4;
  readonly ready: Promise<unknown>;
  readonly #c: JsChacha;
  readonly #f: Framing;
  readonly #head = new Uint8Array(4);

  constructor(p: Prepared, maxPacket: number) {
    this.#c = new JsChacha(p);
    this.ready = this.#c.ready;
    this.#f = new Framing(8, false, 16, maxPacket);
  }

  wireLength(head: Uint8Array, seq: number): number {
    this.#c.length(loaded(noble), seq, head, this.#head);
    return this.#f.wire(readU32(this.#head));
  }

  open(packet: Uint8Array, seq: number): Uint8Array | Promise<Uint8Array> {
    if (noble) return this.#open(noble, packet, seq);
    return loadNoble().then((n) => this.#open(n, packet, seq));
  }

  #open(n: Noble, packet: Uint8Array, seq: number): Uint8Array {
    const c = this.#c;
    const len = this.#f.body(this.wireLength(packet, seq), packet);
    c.start(n, seq);
    const tag = n.poly1305(packet.subarray(0, 4 + len), c.polyKey);
    if (!same(tag, packet.subarray(4 + len, 4 + len + 16))) throw new Error(BAD_TAG);
    const body = packet.subarray(4, 4 + len);
    n.chacha20orig(c.main, c.nonce, body, body, 1);
    return payloadOf(body);
  }
}

/**
 * Fast AES for ssh2 (the SFTP backend), which takes its ciphers from `node:crypto`.
 *
 * Deno's `node:crypto` runs `aes-128-ctr` at about 410 MiB/s on this machine, HMAC-SHA-256 at
 * about 1.6 GB/s and `aes-128-gcm` at about 180 MiB/s, and in an SFTP transfer the cipher and MAC
 * were the largest costs. Faster ways, measured with 32 KiB packets as ssh2 makes them:
 *
 * - {@link OpenSslGcm}: AES-GCM by the system's OpenSSL (`libcrypto.so.3`) through Deno's FFI,
 *   about 3 GiB/s for encryption and authentication together, so the HMAC goes too. Linux only
 *   (macOS's libcrypto must not be loaded by applications, Windows has none), and only where the
 *   process may use FFI; `AFT_OPENSSL=0` turns it off. With it, `aes128-gcm@openssh.com` is the
 *   SFTP backend's first choice ({@link preferredSshCiphers}).
 * - {@link OpenSslCtr}: AES-CTR by the same library, about 4 GiB/s, for servers without GCM.
 * - {@link EcbCtr}: Deno's own `aes-*-ecb` (1.3 GiB/s: that path keeps the AES instructions busy
 *   on many blocks at once) over counter blocks, XORed with the data: AES-CTR everywhere else.
 *
 * ssh2 takes `createCipheriv`/`createDecipheriv` from `node:crypto` once, when it loads. This
 * module puts {@link fastCreateCipheriv}/{@link fastCreateDecipheriv} in their place as it is
 * evaluated, and `./ssh2.ts` (the only way the backend imports ssh2) puts the originals back with
 * {@link restoreNodeCiphers} right after ssh2 has loaded: the rest of the process (the AWS SDK,
 * OpenPGP, ...) keeps Deno's own `node:crypto`. The unit tests check every cipher here against
 * WebCrypto.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import type { CipherAlgorithm } from "ssh2";

const BLOCK = 16;

/** The part of node:crypto's Cipheriv that ssh2 uses. */
export interface CtrCipher {
  update(input: Uint8Array | string, inputEncoding?: BufferEncoding): Buffer;
  final(): Buffer;
  setAutoPadding(pad?: boolean): this;
}

type Bits = 128 | 192 | 256;

/** AES-CTR (128-bit big-endian counter, as SSH and OpenSSL use it) on Deno's AES-ECB. */
export class EcbCtr implements CtrCipher {
  readonly #ecb: crypto.Cipheriv;
  /** The counter of the block holding the next byte, as four big-endian 32-bit words. */
  readonly #ctr = new Uint32Array(4);
  /** Where the next byte falls in that block (0 to 15). */
  #off = 0;
  #ctrBuf = new Uint8Array(0);
  #scratch = new Uint8Array(0);

  constructor(bits: Bits, key: Uint8Array, iv: Uint8Array) {
    checkKeyAndIv(bits, key, iv);
    this.#ecb = crypto.createCipheriv(`aes-${bits}-ecb`, key, null);
    this.#ecb.setAutoPadding(false);
    const v = new DataView(iv.buffer, iv.byteOffset, BLOCK);
    for (let i = 0; i < 4; i++) this.#ctr[i] = v.getUint32(i * 4);
  }

  update(input: Uint8Array | string, inputEncoding?: BufferEncoding): Buffer {
    const data = typeof input === "string" ? Buffer.from(input, inputEncoding) : input;
    const len = data.length;
    if (len === 0) return Buffer.alloc(0);
    // The keystream from the start of the block holding the first byte; a block begun by the
    // last update is made again (one block of work) rather than kept and copied in front.
    const skip = this.#off;
    const end = skip + len;
    const blocks = Math.ceil(end / BLOCK);
    let ks: Uint8Array = this.#ecb.update(this.#counters(blocks, Math.floor(end / BLOCK)));
    this.#off = end % BLOCK;
    // Buffer#slice is a view; a misaligned result is copied to fresh memory instead.
    if (ks.byteOffset % 4 !== 0) ks = new Uint8Array(ks);
    // XOR in 32-bit words: the data goes to an aligned scratch buffer at the same offset first.
    if (this.#scratch.length < blocks * BLOCK) {
      this.#scratch = new Uint8Array(Math.max(blocks * BLOCK, 64 * 1024));
    }
    this.#scratch.set(data, skip);
    const words = Math.ceil(end / 4);
    const k32 = new Int32Array(ks.buffer, ks.byteOffset, words);
    const d32 = new Int32Array(this.#scratch.buffer, 0, words);
    for (let i = 0; i < words; i++) k32[i]! ^= d32[i]!;
    return Buffer.from(ks.buffer, ks.byteOffset + skip, len);
  }

  final(): Buffer {
    return Buffer.alloc(0);
  }

  setAutoPadding(_pad?: boolean): this {
    return this;
  }

  /** `blocks` counter blocks from the current one; the counter then moves on by `advance`. */
  #counters(blocks: number, advance: number): Uint8Array {
    const size = blocks * BLOCK;
    if (this.#ctrBuf.length < size) this.#ctrBuf = new Uint8Array(Math.max(size, 64 * 1024));
    const buf = this.#ctrBuf.subarray(0, size);
    const v = new DataView(buf.buffer, 0, size);
    const c = this.#ctr;
    let [c0, c1, c2, c3] = [c[0]!, c[1]!, c[2]!, c[3]!];
    for (let i = 0; i < blocks; i++) {
      if (i === advance) c.set([c0, c1, c2, c3]);
      const off = i * BLOCK;
      v.setUint32(off, c0);
      v.setUint32(off + 4, c1);
      v.setUint32(off + 8, c2);
      v.setUint32(off + 12, c3);
      // Carry while a word wraps to zero.
      c3 = (c3 + 1) >>> 0;
      if (c3 === 0) {
        c2 = (c2 + 1) >>> 0;
        if (c2 === 0) {
          c1 = (c1 + 1) >>> 0;
          if (c1 === 0) c0 = (c0 + 1) >>> 0;
        }
      }
    }
    if (advance === blocks) c.set([c0, c1, c2, c3]);
    return buf;
  }
}

function checkKeyAndIv(bits: Bits, key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== bits / 8) throw new RangeError(`Invalid key length ${key.length}`);
  if (iv.length !== BLOCK) throw new RangeError(`Invalid IV length ${iv.length}`);
}

/** The part of node:crypto's Cipheriv/Decipheriv for AES-GCM that ssh2 uses. */
export interface GcmCipher extends CtrCipher {
  setAAD(aad: Uint8Array): this;
  getAuthTag(): Buffer;
  setAuthTag(tag: Uint8Array): this;
}

const OPENSSL_SYMBOLS = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  EVP_aes_128_ctr: { parameters: [], result: "pointer" },
  EVP_aes_192_ctr: { parameters: [], result: "pointer" },
  EVP_aes_256_ctr: { parameters: [], result: "pointer" },
  EVP_aes_128_gcm: { parameters: [], result: "pointer" },
  EVP_aes_192_gcm: { parameters: [], result: "pointer" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

// EVP_CIPHER_CTX_ctrl commands for GCM (openssl/evp.h).
const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;
const GCM_IV = 12;
const GCM_TAG = 16;

/** The libcrypto functions this module binds. */
export type OpenSsl = Deno.DynamicLibrary<typeof OPENSSL_SYMBOLS>["symbols"];
let openssl: OpenSsl | null | undefined;

/** The system's libcrypto, or null where it cannot or must not be used. */
export function systemOpenSsl(): OpenSsl | null {
  if (openssl !== undefined) return openssl;
  openssl = null;
  if (Deno.build.os !== "linux" || Deno.env.get("AFT_OPENSSL") === "0") return null;
  for (const name of ["libcrypto.so.3", "libcrypto.so"]) {
    try {
      openssl = Deno.dlopen(name, OPENSSL_SYMBOLS).symbols;
      break;
    } catch { /* not there, too old, or no FFI permission: Deno's own ciphers serve */ }
  }
  return openssl;
}

/**
 * Contexts of finished AES-GCM messages, kept for the next (ssh2 makes a cipher per SSH packet:
 * a new context each time cost about 4% of a download's CPU). EVP_CipherInit_ex with a cipher,
 * key and IV sets a used context up afresh.
 */
const spare: Deno.PointerValue[] = [];
const SPARE_MAX = 8;

/** Frees an OpenSSL context whose cipher object became garbage before it was done with it. */
const contexts = new FinalizationRegistry<Deno.PointerValue>((ctx) => {
  openssl?.EVP_CIPHER_CTX_free(ctx);
});

/** A new EVP context set up for `cipher` with `key` and `iv`, freed with its owner. */
function newContext(
  ssl: OpenSsl,
  owner: object,
  cipher: Deno.PointerValue,
  key: Uint8Array,
  iv: Uint8Array,
  encrypt: boolean,
): Deno.PointerValue {
  const ctx = spare.pop() ?? ssl.EVP_CIPHER_CTX_new();
  if (ctx === null) throw new Error("OpenSSL could not make a cipher context");
  // OpenSSL copies the key and IV into the context, so the caller may change its buffers
  // after (ssh2 counts its GCM IV up in place after each packet).
  const ok = ssl.EVP_CipherInit_ex(ctx, cipher, null, key, iv, encrypt ? 1 : 0);
  if (ok !== 1) {
    ssl.EVP_CIPHER_CTX_free(ctx);
    throw new Error("OpenSSL refused the AES key");
  }
  contexts.register(owner, ctx, owner);
  return ctx;
}

/**
 * Runs EVP_CipherUpdate over `data` (in pieces under 2 GiB) into `out`, which has its size and
 * may be `data` itself (CTR and GCM write exactly as many bytes as they read, in place too).
 */
function cipherUpdate(
  ssl: OpenSsl,
  ctx: Deno.PointerValue,
  data: Uint8Array,
  out: Uint8Array,
  outLen: Int32Array,
): void {
  for (let at = 0; at < data.length; at += 1 << 30) {
    const n = Math.min(1 << 30, data.length - at);
    const ok = ssl.EVP_CipherUpdate(
      ctx,
      out.subarray(at, at + n),
      outLen,
      data.subarray(at, at + n),
      n,
    );
    if (ok !== 1 || outLen[0] !== n) throw new Error("OpenSSL AES update failed");
  }
}

/** AES-CTR by the system's OpenSSL (EVP, encryption and decryption are the same in CTR). */
export class OpenSslCtr implements CtrCipher {
  readonly #ctx: Deno.PointerValue;
  readonly #ssl: OpenSsl;
  readonly #outLen = new Int32Array(1);

  constructor(ssl: OpenSsl, bits: Bits, key: Uint8Array, iv: Uint8Array) {
    checkKeyAndIv(bits, key, iv);
    this.#ssl = ssl;
    const cipher = ssl[`EVP_aes_${bits}_ctr`]();
    // A CTR cipher lives as long as its SSH connection: freed only when it becomes garbage.
    this.#ctx = newContext(ssl, this, cipher, key, iv, true);
  }

  update(input: Uint8Array | string, inputEncoding?: BufferEncoding): Buffer {
    const data = typeof input === "string" ? Buffer.from(input, inputEncoding) : input;
    if (data.length === 0) return Buffer.alloc(0);
    const out = Buffer.allocUnsafeSlow(data.length);
    cipherUpdate(this.#ssl, this.#ctx, data, out, this.#outLen);
    return out;
  }

  final(): Buffer {
    return Buffer.alloc(0);
  }

  setAutoPadding(_pad?: boolean): this {
    return this;
  }
}

/**
 * AES-GCM by the system's OpenSSL, for one message (ssh2 makes one per SSH packet), with
 * node:crypto's order of calls: `setAAD`, `update`s, then `final` and `getAuthTag` to encrypt,
 * or `setAuthTag` then `final` to decrypt, where `final` throws if the tag does not match. The
 * context is handed back at `final` for the next message (see `spare`), so a packet's context
 * does not wait for the garbage collector.
 *
 * Unlike node:crypto, `update` works **in place**: it overwrites its input and returns a view of
 * it. That saves a new 32 KiB buffer per SSH packet (a 256 MiB download: 0.52 → 0.49 s raw, to
 * disk 0.60 → 0.52 s), and it is safe for the one caller that gets this class: ssh2's
 * AES-GCM cipher and decipher (`AESGCMCipherNative`/`AESGCMDecipherNative` in its
 * `lib/protocol/crypto.js`), which pass a packet buffer of their own or the socket's chunk and
 * never read the bytes again. Its key parser passes options, so it gets node:crypto's own. The
 * socket's chunks are fresh memory for each read under Deno (checked: a decrypted chunk kept
 * its bytes while the rest of a 64 MiB download arrived).
 */
export class OpenSslGcm implements GcmCipher {
  #ctx: Deno.PointerValue;
  readonly #ssl: OpenSsl;
  readonly #encrypt: boolean;
  readonly #outLen = new Int32Array(1);
  #tag: Buffer | null = null;
  #tagSet = false;
  #done = false;

  constructor(ssl: OpenSsl, bits: Bits, key: Uint8Array, iv: Uint8Array, encrypt: boolean) {
    if (key.length !== bits / 8) throw new RangeError(`Invalid key length ${key.length}`);
    if (iv.length !== GCM_IV) throw new RangeError(`Invalid IV length ${iv.length}`);
    this.#ssl = ssl;
    this.#encrypt = encrypt;
    const cipher = ssl[`EVP_aes_${bits}_gcm`]();
    this.#ctx = newContext(ssl, this, cipher, key, iv, encrypt);
  }

  #live(): Deno.PointerValue {
    if (this.#done) throw new Error("Unsupported state: the cipher has been finalized");
    return this.#ctx;
  }

  setAAD(aad: Uint8Array): this {
    const ctx = this.#live();
    // With no output buffer, EVP_CipherUpdate takes its input as additional authenticated data.
    if (this.#ssl.EVP_CipherUpdate(ctx, null, this.#outLen, aad, aad.length) !== 1) {
      throw new Error("OpenSSL refused the AES-GCM additional data");
    }
    return this;
  }

  update(input: Uint8Array | string, inputEncoding?: BufferEncoding): Buffer {
    const data = typeof input === "string" ? Buffer.from(input, inputEncoding) : input;
    const ctx = this.#live();
    if (data.length === 0) return Buffer.alloc(0);
    // In place (see the class comment).
    cipherUpdate(this.#ssl, ctx, data, data, this.#outLen);
    return Buffer.from(data.buffer, data.byteOffset, data.length);
  }

  setAuthTag(tag: Uint8Array): this {
    const ctx = this.#live();
    if (this.#encrypt) throw new Error("setAuthTag is for decryption");
    if (tag.length !== GCM_TAG) {
      throw new RangeError(`Invalid authentication tag length ${tag.length}`);
    }
    if (
      this.#ssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag) !== 1
    ) {
      throw new Error("OpenSSL refused the AES-GCM tag");
    }
    this.#tagSet = true;
    return this;
  }

  final(): Buffer {
    const ctx = this.#live();
    if (!this.#encrypt && !this.#tagSet) {
      throw new Error("Unsupported state: no authentication tag to check");
    }
    const ok = this.#ssl.EVP_CipherFinal_ex(ctx, new Uint8Array(GCM_TAG), this.#outLen) === 1;
    if (ok && this.#encrypt) {
      const tag = Buffer.alloc(GCM_TAG);
      this.#ssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG, tag);
      this.#tag = tag;
    }
    this.#done = true;
    contexts.unregister(this);
    if (spare.length < SPARE_MAX) spare.push(ctx);
    else this.#ssl.EVP_CIPHER_CTX_free(ctx);
    this.#ctx = null;
    if (!ok) throw new Error("Unsupported state or unable to authenticate data");
    return Buffer.alloc(0);
  }

  getAuthTag(): Buffer {
    if (!this.#encrypt || this.#tag === null) {
      throw new Error("Unsupported state: getAuthTag comes after final, when encrypting");
    }
    return this.#tag;
  }

  setAutoPadding(_pad?: boolean): this {
    return this;
  }
}

/** The fastest AES-CTR this process can have (see the module comment). */
export function aesCtr(bits: Bits, key: Uint8Array, iv: Uint8Array): CtrCipher {
  const ssl = systemOpenSsl();
  return ssl ? new OpenSslCtr(ssl, bits, key, iv) : new EcbCtr(bits, key, iv);
}

/**
 * The SSH ciphers the SFTP backend offers, best first for this process: with OpenSSL's GCM, one
 * pass does both encryption and integrity; without it, Deno's GCM is slower than CTR (on the
 * ECB path) plus an encrypt-then-MAC HMAC, so CTR comes first.
 */
export function preferredSshCiphers(): CipherAlgorithm[] {
  const gcm: CipherAlgorithm[] = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"];
  const ctr: CipherAlgorithm[] = ["aes128-ctr", "aes256-ctr"];
  const order = systemOpenSsl() ? [...gcm, ...ctr] : [...ctr, ...gcm];
  return [...order, "chacha20-poly1305@openssh.com"];
}

const AES = /^aes-(128|192|256)-(ctr|gcm)$/i;
type Original = (...args: unknown[]) => unknown;
const nodeCrypto = crypto as unknown as Record<string, Original>;
const originals = {
  createCipheriv: nodeCrypto.createCipheriv!,
  createDecipheriv: nodeCrypto.createDecipheriv!,
};

function fast(encrypt: boolean, algorithm: unknown, key: unknown, iv: unknown, rest: unknown[]) {
  const m = typeof algorithm === "string" ? AES.exec(algorithm) : null;
  // Options (an authTagLength, say) and string keys stay with node:crypto.
  if (!m || rest.length > 0 || !(key instanceof Uint8Array) || !(iv instanceof Uint8Array)) {
    return undefined;
  }
  const bits = Number(m[1]) as Bits;
  if (m[2]!.toLowerCase() === "ctr") return aesCtr(bits, key, iv);
  const ssl = systemOpenSsl();
  return ssl && iv.length === GCM_IV ? new OpenSslGcm(ssl, bits, key, iv, encrypt) : undefined;
}

/** node:crypto's createCipheriv, with AES-CTR and (where OpenSSL serves) AES-GCM made fast. */
export function fastCreateCipheriv(
  algorithm: unknown,
  key: unknown,
  iv: unknown,
  ...rest: unknown[]
) {
  return fast(true, algorithm, key, iv, rest) ??
    originals.createCipheriv.call(crypto, algorithm, key, iv, ...rest);
}

/** node:crypto's createDecipheriv, likewise. */
export function fastCreateDecipheriv(
  algorithm: unknown,
  key: unknown,
  iv: unknown,
  ...rest: unknown[]
) {
  return fast(false, algorithm, key, iv, rest) ??
    originals.createDecipheriv.call(crypto, algorithm, key, iv, ...rest);
}

/** Puts node:crypto's own createCipheriv/createDecipheriv back (see the module comment). */
export function restoreNodeCiphers(): void {
  nodeCrypto.createCipheriv = originals.createCipheriv;
  nodeCrypto.createDecipheriv = originals.createDecipheriv;
}

// For ssh2, which is loaded next by ./ssh2.ts.
nodeCrypto.createCipheriv = fastCreateCipheriv;
nodeCrypto.createDecipheriv = fastCreateDecipheriv;

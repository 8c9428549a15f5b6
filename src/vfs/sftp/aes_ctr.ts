/**
 * Faster AES-CTR for ssh2's `aes*-ctr` ciphers.
 *
 * Deno's `node:crypto` runs `aes-128-ctr` at about 410 MiB/s on this machine, and in an SFTP
 * transfer that cipher was the largest single cost (over a third of the CPU of a download). Two
 * faster ways, measured with 32 KiB updates as ssh2 makes them:
 *
 * - {@link OpenSslCtr}: the system's OpenSSL (`libcrypto.so.3`) through Deno's FFI, about
 *   4 GiB/s. Linux only (macOS's libcrypto must not be loaded by applications, Windows has
 *   none), and only where the process may use FFI; `AFT_OPENSSL=0` turns it off.
 * - {@link EcbCtr}: Deno's own `aes-*-ecb` (1.3 GiB/s: that path keeps the AES instructions busy
 *   on many blocks at once) over counter blocks, XORed with the data: everywhere else.
 *
 * `useFastAesCtr()` makes `createCipheriv`/`createDecipheriv` of `node:crypto` answer the three
 * `aes-*-ctr` names with one of them. ssh2 takes those two functions from the module when it is
 * first loaded, so the SFTP backend imports this module before ssh2. Any other caller in the
 * process gets the same bytes (a CTR stream cipher has nothing else to differ in: no padding,
 * no tag); the unit tests check both against WebCrypto's AES-CTR over odd split points.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import crypto from "node:crypto";

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

const OPENSSL_SYMBOLS = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_aes_128_ctr: { parameters: [], result: "pointer" },
  EVP_aes_192_ctr: { parameters: [], result: "pointer" },
  EVP_aes_256_ctr: { parameters: [], result: "pointer" },
  EVP_EncryptInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"],
    result: "i32",
  },
  EVP_EncryptUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
} as const;

type OpenSsl = Deno.DynamicLibrary<typeof OPENSSL_SYMBOLS>["symbols"];
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
    } catch { /* not there, or no FFI permission: the ECB path serves */ }
  }
  return openssl;
}

/** Frees each OpenSSL context once its cipher object is garbage (ssh2 never says when). */
const contexts = new FinalizationRegistry<Deno.PointerValue>((ctx) => {
  openssl?.EVP_CIPHER_CTX_free(ctx);
});

/** AES-CTR by the system's OpenSSL (EVP, encryption and decryption are the same in CTR). */
export class OpenSslCtr implements CtrCipher {
  readonly #ctx: Deno.PointerValue;
  readonly #ssl: OpenSsl;
  readonly #outLen = new Int32Array(1);

  constructor(ssl: OpenSsl, bits: Bits, key: Uint8Array, iv: Uint8Array) {
    checkKeyAndIv(bits, key, iv);
    this.#ssl = ssl;
    const ctx = ssl.EVP_CIPHER_CTX_new();
    if (ctx === null) throw new Error("OpenSSL could not make a cipher context");
    const cipher = bits === 128
      ? ssl.EVP_aes_128_ctr()
      : bits === 192
      ? ssl.EVP_aes_192_ctr()
      : ssl.EVP_aes_256_ctr();
    // Copies: FFI needs buffers of its own, and the caller may reuse its key and IV buffers.
    if (ssl.EVP_EncryptInit_ex(ctx, cipher, null, new Uint8Array(key), new Uint8Array(iv)) !== 1) {
      ssl.EVP_CIPHER_CTX_free(ctx);
      throw new Error("OpenSSL refused the AES-CTR key");
    }
    this.#ctx = ctx;
    contexts.register(this, ctx);
  }

  update(input: Uint8Array | string, inputEncoding?: BufferEncoding): Buffer {
    const data = typeof input === "string" ? Buffer.from(input, inputEncoding) : input;
    if (data.length === 0) return Buffer.alloc(0);
    // CTR writes exactly as many bytes as it reads.
    const out = Buffer.allocUnsafeSlow(data.length);
    for (let at = 0; at < data.length; at += 1 << 30) {
      const n = Math.min(1 << 30, data.length - at);
      const ok = this.#ssl.EVP_EncryptUpdate(
        this.#ctx,
        out.subarray(at, at + n),
        this.#outLen,
        data.subarray(at, at + n),
        n,
      );
      if (ok !== 1 || this.#outLen[0] !== n) throw new Error("OpenSSL AES-CTR update failed");
    }
    return out;
  }

  final(): Buffer {
    return Buffer.alloc(0);
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

const CTR = /^aes-(128|192|256)-ctr$/i;
let installed = false;

/** Routes `aes-*-ctr` in `node:crypto`'s createCipheriv/createDecipheriv to {@link aesCtr}. */
export function useFastAesCtr(): void {
  if (installed) return;
  installed = true;
  const mod = crypto as unknown as Record<string, unknown>;
  for (const name of ["createCipheriv", "createDecipheriv"]) {
    const original = mod[name] as (...args: unknown[]) => unknown;
    mod[name] = function (algorithm: unknown, key: unknown, iv: unknown, ...rest: unknown[]) {
      const m = typeof algorithm === "string" ? CTR.exec(algorithm) : null;
      if (m && rest.length === 0 && key instanceof Uint8Array && iv instanceof Uint8Array) {
        return aesCtr(Number(m[1]) as Bits, key, iv);
      }
      return original.call(crypto, algorithm, key, iv, ...rest);
    };
  }
}

useFastAesCtr();

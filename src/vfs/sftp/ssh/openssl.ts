/**
 * The system's OpenSSL 3 (`libcrypto.so.3`) through Deno's FFI, for the SSH packet ciphers and
 * MACs (./cipher.ts): AES-CTR, AES-GCM and ChaCha20 by EVP, HMAC by `HMAC_CTX`, Poly1305 by
 * `EVP_MAC`. libcrypto uses the CPU's AES, SHA and vector instructions, several GB/s where
 * WebCrypto, with a promise and fresh memory per call, reaches a fraction of that on 32 KiB SSH
 * packets.
 *
 * Linux only: macOS's libcrypto must not be loaded by applications, and Windows has none. It is
 * also off where the process may not use FFI, where there is no OpenSSL 3 (`libcrypto.so.3`:
 * OpenSSL 1.1 has no `EVP_MAC`), and with `AFT_OPENSSL=0`; {@linkcode systemOpenSsl}
 * then answers null and callers use WebCrypto.
 *
 * No `node:` module is imported: loading Deno's Node layer is the cost this code avoids.
 *
 * Every wrapper here works on caller-owned memory, in place where the caller wants, and keeps
 * its OpenSSL context for the life of the wrapper (an SSH connection's direction, until the next
 * key exchange): one context per packet cost measurably before. Contexts are freed by
 * `free()` or, failing that, when the wrapper becomes garbage.
 *
 * @module
 */

/** The ciphers, bound when the library is loaded. */
const EVP = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  EVP_aes_128_ctr: { parameters: [], result: "pointer" },
  EVP_aes_192_ctr: { parameters: [], result: "pointer" },
  EVP_aes_256_ctr: { parameters: [], result: "pointer" },
  EVP_aes_128_gcm: { parameters: [], result: "pointer" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  EVP_chacha20: { parameters: [], result: "pointer" },
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

/** HMAC, bound on first use. */
const HMAC = {
  EVP_sha1: { parameters: [], result: "pointer" },
  EVP_sha256: { parameters: [], result: "pointer" },
  EVP_sha512: { parameters: [], result: "pointer" },
  // HMAC_CTX is deprecated in OpenSSL 3 but exported, and unlike EVP_MAC's HMAC it needs no
  // OSSL_PARAM array (a C struct of pointers) to name the digest.
  HMAC_CTX_new: { parameters: [], result: "pointer" },
  HMAC_CTX_free: { parameters: ["pointer"], result: "void" },
  HMAC_Init_ex: {
    parameters: ["pointer", "buffer", "i32", "pointer", "pointer"],
    result: "i32",
  },
  HMAC_Update: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  HMAC_Final: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

/** EVP_MAC (for Poly1305), bound on first use. */
const MAC = {
  EVP_MAC_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer" },
  EVP_MAC_free: { parameters: ["pointer"], result: "void" },
  EVP_MAC_CTX_new: { parameters: ["pointer"], result: "pointer" },
  EVP_MAC_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_MAC_init: { parameters: ["pointer", "buffer", "usize", "pointer"], result: "i32" },
  EVP_MAC_update: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_MAC_final: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "i32" },
} as const;

/**
 * The library: the ciphers bound at once, HMAC and EVP_MAC when first wanted. Binding costs
 * about 0.15 ms per function (Deno compiles a call stub for each), on top of about 5.5 ms to
 * load the library, so a GCM connection binds only the dozen it uses.
 */
export interface OpenSsl {
  /** The EVP cipher functions. */
  readonly evp: Deno.DynamicLibrary<typeof EVP>["symbols"];
  /** The HMAC functions, bound on first call. */
  hmac(): Deno.DynamicLibrary<typeof HMAC>["symbols"];
  /** The EVP_MAC functions, bound on first call. */
  mac(): Deno.DynamicLibrary<typeof MAC>["symbols"];
}

// Only the OpenSSL 3 ABI (this soname) is bound: every function above exists there, while
// OpenSSL 1.1 has no EVP_MAC and a later major version may drop the deprecated HMAC_CTX.
const LIBRARY = "libcrypto.so.3";

let openssl: OpenSsl | null | undefined;

/**
 * The system's libcrypto (OpenSSL 3), or null where it cannot or must not be used (see the
 * module comment). Loaded once per process, on the first call.
 */
export function systemOpenSsl(): OpenSsl | null {
  if (openssl !== undefined) return openssl;
  openssl = null;
  let off = Deno.build.os !== "linux";
  try {
    off ||= Deno.env.get("AFT_OPENSSL") === "0";
  } catch { /* no env permission: the default (on) */ }
  if (off) return null;
  try {
    const evp = Deno.dlopen(LIBRARY, EVP).symbols;
    let hmac: Deno.DynamicLibrary<typeof HMAC>["symbols"] | undefined;
    let mac: Deno.DynamicLibrary<typeof MAC>["symbols"] | undefined;
    // The library is loaded already: these only bind (and cannot miss in OpenSSL 3).
    openssl = {
      evp,
      hmac: () => hmac ??= Deno.dlopen(LIBRARY, HMAC).symbols,
      mac: () => mac ??= Deno.dlopen(LIBRARY, MAC).symbols,
    };
  } catch { /* not there, or no FFI permission: WebCrypto serves */ }
  return openssl;
}

// EVP_CIPHER_CTX_ctrl commands for GCM (openssl/evp.h).
const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;

/** The EVP ciphers the SSH code uses. */
export type EvpCipherName =
  | "aes-128-ctr"
  | "aes-192-ctr"
  | "aes-256-ctr"
  | "aes-128-gcm"
  | "aes-256-gcm"
  | "chacha20";

function evpCipher(ssl: OpenSsl["evp"], name: EvpCipherName): Deno.PointerValue {
  switch (name) {
    case "aes-128-ctr":
      return ssl.EVP_aes_128_ctr();
    case "aes-192-ctr":
      return ssl.EVP_aes_192_ctr();
    case "aes-256-ctr":
      return ssl.EVP_aes_256_ctr();
    case "aes-128-gcm":
      return ssl.EVP_aes_128_gcm();
    case "aes-256-gcm":
      return ssl.EVP_aes_256_gcm();
    case "chacha20":
      return ssl.EVP_chacha20();
  }
}

/** Frees the OpenSSL object of a wrapper that became garbage without `free()`. */
const finalizer = new FinalizationRegistry<() => void>((free) => free());

/**
 * One EVP cipher context: a key set once, then IVs and data. For CTR the keystream position
 * carries over from one `update` to the next (SSH's CTR modes continue across packets); for
 * GCM and ChaCha20 each message starts with {@linkcode EvpCipher.setIv}.
 */
export class EvpCipher {
  readonly #ssl: OpenSsl["evp"];
  #ctx: Deno.PointerValue;
  readonly #outLen = new Int32Array(1);
  /** Scratch for EVP_CipherFinal_ex, which writes nothing for these modes but wants room. */
  readonly #final = new Uint8Array(32);

  constructor(
    lib: OpenSsl,
    name: EvpCipherName,
    key: Uint8Array,
    iv: Uint8Array | null,
    encrypt: boolean,
  ) {
    const evp = this.#ssl = lib.evp;
    const ctx = evp.EVP_CIPHER_CTX_new();
    if (ctx === null) throw new Error("OpenSSL could not make a cipher context");
    // OpenSSL copies the key and IV, so the caller may reuse its buffers at once.
    if (evp.EVP_CipherInit_ex(ctx, evpCipher(evp, name), null, key, iv, encrypt ? 1 : 0) !== 1) {
      evp.EVP_CIPHER_CTX_free(ctx);
      throw new Error(`OpenSSL refused the ${name} key or IV`);
    }
    this.#ctx = ctx;
    finalizer.register(this, () => evp.EVP_CIPHER_CTX_free(ctx), this);
  }

  #live(): Deno.PointerValue {
    if (this.#ctx === null) throw new Error("The cipher context was freed");
    return this.#ctx;
  }

  /** Starts a new message with `iv` (same key, same direction). */
  setIv(iv: Uint8Array): void {
    if (this.#ssl.EVP_CipherInit_ex(this.#live(), null, null, null, iv, -1) !== 1) {
      throw new Error("OpenSSL refused the IV");
    }
  }

  /** Additional authenticated data (GCM): EVP_CipherUpdate with no output buffer. */
  aad(data: Uint8Array): void {
    if (this.#ssl.EVP_CipherUpdate(this.#live(), null, this.#outLen, data, data.length) !== 1) {
      throw new Error("OpenSSL refused the additional data");
    }
  }

  /**
   * Enciphers or deciphers `data` into `out` (its size; may be `data` itself: these stream
   * modes write exactly as many bytes as they read, in place too). In pieces under 2 GiB, as
   * the length is a C int.
   */
  update(data: Uint8Array, out: Uint8Array): void {
    const ctx = this.#live();
    for (let at = 0; at < data.length; at += 1 << 30) {
      const n = Math.min(1 << 30, data.length - at);
      const ok = this.#ssl.EVP_CipherUpdate(
        ctx,
        at === 0 && n === out.length ? out : out.subarray(at, at + n),
        this.#outLen,
        at === 0 && n === data.length ? data : data.subarray(at, at + n),
        n,
      );
      if (ok !== 1 || this.#outLen[0] !== n) throw new Error("OpenSSL cipher update failed");
    }
  }

  /** Ends a GCM encryption and writes its 16-byte tag into `tag`. */
  finishEncrypt(tag: Uint8Array): void {
    const ctx = this.#live();
    if (this.#ssl.EVP_CipherFinal_ex(ctx, this.#final, this.#outLen) !== 1) {
      throw new Error("OpenSSL AES-GCM final failed");
    }
    if (this.#ssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, tag.length, tag) !== 1) {
      throw new Error("OpenSSL gave no AES-GCM tag");
    }
  }

  /** Ends a GCM decryption: whether `tag` (16 bytes) matches what was deciphered. */
  finishDecrypt(tag: Uint8Array): boolean {
    const ctx = this.#live();
    if (this.#ssl.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, tag.length, tag) !== 1) {
      throw new Error("OpenSSL refused the AES-GCM tag");
    }
    return this.#ssl.EVP_CipherFinal_ex(ctx, this.#final, this.#outLen) === 1;
  }

  /** Frees the context now (later calls throw). */
  free(): void {
    if (this.#ctx === null) return;
    finalizer.unregister(this);
    this.#ssl.EVP_CIPHER_CTX_free(this.#ctx);
    this.#ctx = null;
  }
}

/** HMAC digests by SSH name part. */
export type HmacDigest = "sha1" | "sha256" | "sha512";

/**
 * HMAC with a fixed key over messages given in parts (SSH MACs cover the sequence number and
 * the packet, which are not adjacent in memory). The key is set once; each message restarts
 * the context with it (HMAC_Init_ex with no key reuses the last one and skips re-hashing it).
 */
export class Hmac {
  readonly #ssl: ReturnType<OpenSsl["hmac"]>;
  #ctx: Deno.PointerValue;
  readonly #mdLen = new Uint32Array(1);
  /** Bytes of the digest. */
  readonly length: number;

  constructor(lib: OpenSsl, digest: HmacDigest, key: Uint8Array) {
    const ssl = this.#ssl = lib.hmac();
    const md = digest === "sha1"
      ? ssl.EVP_sha1()
      : digest === "sha256"
      ? ssl.EVP_sha256()
      : ssl.EVP_sha512();
    this.length = digest === "sha1" ? 20 : digest === "sha256" ? 32 : 64;
    const ctx = ssl.HMAC_CTX_new();
    if (ctx === null) throw new Error("OpenSSL could not make an HMAC context");
    if (ssl.HMAC_Init_ex(ctx, key, key.length, md, null) !== 1) {
      ssl.HMAC_CTX_free(ctx);
      throw new Error("OpenSSL refused the HMAC key");
    }
    this.#ctx = ctx;
    finalizer.register(this, () => ssl.HMAC_CTX_free(ctx), this);
  }

  /** Writes HMAC(key, a || b) into `out` (`length` bytes). */
  mac(a: Uint8Array, b: Uint8Array, out: Uint8Array): void {
    const ctx = this.#ctx;
    if (ctx === null) throw new Error("The HMAC context was freed");
    const ssl = this.#ssl;
    if (
      ssl.HMAC_Init_ex(ctx, null, 0, null, null) !== 1 ||
      ssl.HMAC_Update(ctx, a, BigInt(a.length)) !== 1 ||
      ssl.HMAC_Update(ctx, b, BigInt(b.length)) !== 1 ||
      ssl.HMAC_Final(ctx, out, this.#mdLen) !== 1 ||
      this.#mdLen[0] !== this.length
    ) {
      throw new Error("OpenSSL HMAC failed");
    }
  }

  /** Frees the context now (later calls throw). */
  free(): void {
    if (this.#ctx === null) return;
    finalizer.unregister(this);
    this.#ssl.HMAC_CTX_free(this.#ctx);
    this.#ctx = null;
  }
}

/** Poly1305 (one-time key per message) by EVP_MAC; one context, re-keyed per message. */
export class Poly1305 {
  readonly #ssl: ReturnType<OpenSsl["mac"]>;
  #ctx: Deno.PointerValue;
  readonly #outLen = new BigUint64Array(1);

  constructor(lib: OpenSsl) {
    const ssl = this.#ssl = lib.mac();
    const mac = ssl.EVP_MAC_fetch(null, new TextEncoder().encode("POLY1305\0"), null);
    if (mac === null) throw new Error("OpenSSL has no Poly1305");
    const ctx = ssl.EVP_MAC_CTX_new(mac);
    // The context holds its own reference to the algorithm.
    ssl.EVP_MAC_free(mac);
    if (ctx === null) throw new Error("OpenSSL could not make a Poly1305 context");
    this.#ctx = ctx;
    finalizer.register(this, () => ssl.EVP_MAC_CTX_free(ctx), this);
  }

  /** Writes the 16-byte Poly1305 tag of `data` under the 32-byte one-time `key` into `out`. */
  mac(key: Uint8Array, data: Uint8Array, out: Uint8Array): void {
    const ctx = this.#ctx;
    if (ctx === null) throw new Error("The Poly1305 context was freed");
    const ssl = this.#ssl;
    if (
      ssl.EVP_MAC_init(ctx, key, BigInt(key.length), null) !== 1 ||
      ssl.EVP_MAC_update(ctx, data, BigInt(data.length)) !== 1 ||
      ssl.EVP_MAC_final(ctx, out, this.#outLen, BigInt(out.length)) !== 1 ||
      this.#outLen[0] !== 16n
    ) {
      throw new Error("OpenSSL Poly1305 failed");
    }
  }

  /** Frees the context now (later calls throw). */
  free(): void {
    if (this.#ctx === null) return;
    finalizer.unregister(this);
    this.#ssl.EVP_MAC_CTX_free(this.#ctx);
    this.#ctx = null;
  }
}

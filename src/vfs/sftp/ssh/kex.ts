/**
 * SSH key exchange (RFC 4253 section 7 and 8): the KEXINIT offer, the choice of algorithms from
 * two offers, the Diffie-Hellman exchange itself and the keys derived from it.
 *
 * The exchanges, best first: curve25519-sha256 (RFC 8731) and ECDH on the NIST curves
 * (RFC 5656), both through WebCrypto; then finite-field Diffie-Hellman on the RFC 3526 groups
 * of 2048 and 4096 bits (RFC 8268), computed with BigInt, for servers that have nothing newer.
 * The group exchange (diffie-hellman-group-exchange-*) is not offered: every server seen that
 * has it also has one of these.
 *
 * The offer also carries two markers (not algorithms): `ext-info-c` (RFC 8308: the server may
 * then say which signature algorithms it takes for user keys) and
 * `kex-strict-c-v00@openssh.com` (OpenSSH's strict key exchange, the answer to the "Terrapin"
 * prefix truncation: sequence numbers restart at each NEWKEYS and nothing but the exchange may
 * come during the first one).
 *
 * @module
 */

import { MSG } from "./messages.ts";
import { bigintBytes, bytesBigint, mpintBody, SshReader, SshWriter } from "./wire.ts";

/** Key exchange methods offered, best first. */
export const KEX_ALGORITHMS: readonly string[] = [
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "ecdh-sha2-nistp521",
  "diffie-hellman-group16-sha512",
  "diffie-hellman-group14-sha256",
  "diffie-hellman-group14-sha1",
];

const EXT_INFO_C = "ext-info-c";
const STRICT_C = "kex-strict-c-v00@openssh.com";
const STRICT_S = "kex-strict-s-v00@openssh.com";

/** The ten name-lists of a KEXINIT, and whether a guessed exchange packet follows it. */
export interface KexInit {
  kex: string[];
  hostKey: string[];
  cipherCS: string[];
  cipherSC: string[];
  macCS: string[];
  macSC: string[];
  compressionCS: string[];
  compressionSC: string[];
  firstFollows: boolean;
  /** The whole message, as it goes into the exchange hash. */
  payload: Uint8Array;
}

/** What the client offers (the transport fills in ciphers and MACs). */
export interface Offer {
  /** Key exchange methods (default {@linkcode KEX_ALGORITHMS}). */
  kex?: readonly string[];
  hostKey: readonly string[];
  ciphers: readonly string[];
  macs: readonly string[];
  /** Only for the first exchange of a connection: the two markers above. */
  first: boolean;
}

/** Builds the client's KEXINIT message. */
export function kexInitMessage(offer: Offer): KexInit {
  const methods = offer.kex ?? KEX_ALGORITHMS;
  const kex = offer.first ? [...methods, EXT_INFO_C, STRICT_C] : [...methods];
  const w = new SshWriter(1024);
  w.byte(MSG.KEXINIT).raw(crypto.getRandomValues(new Uint8Array(16)));
  const lists = [
    kex,
    offer.hostKey,
    offer.ciphers,
    offer.ciphers,
    offer.macs,
    offer.macs,
    ["none"],
    ["none"],
    [],
    [],
  ];
  for (const l of lists) w.nameList(l);
  w.bool(false).u32(0);
  return {
    kex,
    hostKey: [...offer.hostKey],
    cipherCS: [...offer.ciphers],
    cipherSC: [...offer.ciphers],
    macCS: [...offer.macs],
    macSC: [...offer.macs],
    compressionCS: ["none"],
    compressionSC: ["none"],
    firstFollows: false,
    payload: w.finish().slice(),
  };
}

/** Reads a KEXINIT message (the payload, message number included). */
export function parseKexInit(payload: Uint8Array): KexInit {
  const r = new SshReader(payload);
  r.byte();
  r.raw(16);
  const l = () => r.nameList();
  const out = {
    kex: l(),
    hostKey: l(),
    cipherCS: l(),
    cipherSC: l(),
    macCS: l(),
    macSC: l(),
    compressionCS: l(),
    compressionSC: l(),
  };
  l();
  l();
  return { ...out, firstFollows: r.bool(), payload: payload.slice() };
}

/** The algorithms both sides agreed on. */
export interface Agreed {
  kex: string;
  hostKey: string;
  cipherCS: string;
  cipherSC: string;
  /** Undefined where the cipher authenticates itself (AES-GCM, ChaCha20-Poly1305). */
  macCS?: string;
  macSC?: string;
  /** Both sides asked for strict key exchange. */
  strict: boolean;
  /** The server sent a guessed exchange packet for an exchange that was not chosen: drop it. */
  dropGuess: boolean;
}

/** No algorithm of a kind is on both lists. */
export class NegotiationError extends Error {
  override name = "NegotiationError";
}

function pick(what: string, client: readonly string[], server: readonly string[]): string {
  for (const c of client) if (server.includes(c)) return c;
  throw new NegotiationError(
    `The server and aft have no ${what} in common (the server offers ${
      server.join(", ") || "none"
    }; aft offers ${client.join(", ")})`,
  );
}

/**
 * Chooses the algorithms (RFC 4253 7.1: the first of the client's that the server has).
 * `aead` tells which ciphers need no separate MAC.
 */
export function negotiate(
  client: KexInit,
  server: KexInit,
  aead: (cipher: string) => boolean,
): Agreed {
  const kexList = client.kex.filter((k) => k !== EXT_INFO_C && k !== STRICT_C);
  const kex = pick("key exchange method", kexList, server.kex);
  const hostKey = pick("host key type", client.hostKey, server.hostKey);
  const cipherCS = pick("cipher (client to server)", client.cipherCS, server.cipherCS);
  const cipherSC = pick("cipher (server to client)", client.cipherSC, server.cipherSC);
  const macCS = aead(cipherCS)
    ? undefined
    : pick("MAC (client to server)", client.macCS, server.macCS);
  const macSC = aead(cipherSC)
    ? undefined
    : pick("MAC (server to client)", client.macSC, server.macSC);
  pick("compression", client.compressionCS, server.compressionCS);
  pick("compression", client.compressionSC, server.compressionSC);
  const dropGuess = server.firstFollows &&
    (server.kex[0] !== kex || server.hostKey[0] !== hostKey);
  return {
    kex,
    hostKey,
    cipherCS,
    cipherSC,
    macCS,
    macSC,
    strict: client.kex.includes(STRICT_C) && server.kex.includes(STRICT_S),
    dropGuess,
  };
}

/** WebCrypto's name for a hash. */
export type HashName = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

/** One side's part of an exchange in progress. */
export interface Exchange {
  readonly hash: HashName;
  /** Writes the client's public value into KEX_INIT and into the exchange hash. */
  writePublic(w: SshWriter): void;
  /** Reads the server's public value from KEX_REPLY (after K_S) and writes it for the hash. */
  readServerPublic(r: SshReader, hashInput: SshWriter): void;
  /** The shared secret K as an mpint body (unsigned, canonical), once the server's value is read. */
  secret(): Promise<Uint8Array>;
}

const GROUP14 = BigInt(
  "0x" +
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
);
const GROUP16 = BigInt(
  "0x" +
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7" +
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6" +
    "287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9" +
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
);

/** Starts the exchange `name` (one of {@linkcode KEX_ALGORITHMS}). */
export async function startExchange(name: string): Promise<Exchange> {
  if (name === "curve25519-sha256" || name === "curve25519-sha256@libssh.org") {
    return await ecExchange("X25519", "SHA-256", 256);
  }
  const ec = /^ecdh-sha2-nistp(256|384|521)$/.exec(name);
  if (ec) {
    const bits = Number(ec[1]);
    const hash: HashName = bits === 256 ? "SHA-256" : bits === 384 ? "SHA-384" : "SHA-512";
    // P-521's x coordinate is 66 bytes.
    return await ecExchange(`P-${bits}`, hash, bits === 521 ? 528 : bits);
  }
  if (name === "diffie-hellman-group16-sha512") return dhExchange(GROUP16, "SHA-512");
  if (name === "diffie-hellman-group14-sha256") return dhExchange(GROUP14, "SHA-256");
  if (name === "diffie-hellman-group14-sha1") return dhExchange(GROUP14, "SHA-1");
  throw new NegotiationError(`Key exchange "${name}" is not supported`);
}

async function ecExchange(curve: string, hash: HashName, bits: number): Promise<Exchange> {
  const algo = curve === "X25519" ? { name: "X25519" } : { name: "ECDH", namedCurve: curve };
  const pair = await crypto.subtle.generateKey(algo, true, ["deriveBits"]) as CryptoKeyPair;
  const mine = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  let theirs: Uint8Array | undefined;
  return {
    hash,
    writePublic: (w) => void w.string(mine),
    readServerPublic(r, h) {
      theirs = r.string().slice();
      h.string(theirs);
    },
    async secret() {
      if (!theirs) throw new Error("The server's public value has not been read");
      let shared: ArrayBuffer;
      try {
        const pub = await crypto.subtle.importKey(
          "raw",
          theirs as Uint8Array<ArrayBuffer>,
          algo,
          false,
          [],
        );
        shared = await crypto.subtle.deriveBits(
          { ...algo, public: pub } as EcdhKeyDeriveParams,
          pair.privateKey,
          bits,
        );
      } catch (err) {
        throw new Error(`The server's key exchange value is not valid: ${(err as Error).message}`);
      }
      const k = new Uint8Array(shared);
      if (k.every((b) => b === 0)) throw new Error("The key exchange gave an all-zero secret");
      return mpintBody(k);
    },
  };
}

function dhExchange(p: bigint, hash: HashName): Exchange {
  // A 512-bit private exponent: twice the strength of the strongest cipher offered.
  const x = bytesBigint(crypto.getRandomValues(new Uint8Array(64))) | 1n;
  const e = modPow(2n, x, p);
  let f: bigint | undefined;
  return {
    hash,
    writePublic: (w) => void w.mpint(e),
    readServerPublic(r, h) {
      f = r.mpint();
      if (f <= 1n || f >= p - 1n) {
        throw new Error("The server's Diffie-Hellman value is out of range");
      }
      h.mpint(f);
    },
    secret() {
      if (f === undefined) throw new Error("The server's public value has not been read");
      return Promise.resolve(mpintBody(bigintBytes(modPow(f, x, p))));
    },
  };
}

/** `base ** exp % mod` by square and multiply. */
export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/** A hash over `data`. */
export async function digest(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, data as Uint8Array<ArrayBuffer>));
}

/** The keys of both directions, derived from the exchange (RFC 4253 7.2). */
export interface DerivedKeys {
  ivCS: Uint8Array;
  ivSC: Uint8Array;
  keyCS: Uint8Array;
  keySC: Uint8Array;
  macCS: Uint8Array;
  macSC: Uint8Array;
}

/** Derives `lengths` bytes of each key from the secret `k` (mpint body), `h` and the session id. */
export async function deriveKeys(
  hash: HashName,
  k: Uint8Array,
  h: Uint8Array,
  sessionId: Uint8Array,
  lengths: { iv: [number, number]; key: [number, number]; mac: [number, number] },
): Promise<DerivedKeys> {
  const kEnc = new SshWriter(k.length + 8).mpint(k).finish();
  const one = async (letter: string, n: number): Promise<Uint8Array> => {
    if (n === 0) return new Uint8Array(0);
    const w = new SshWriter(kEnc.length + h.length + 1 + sessionId.length);
    w.raw(kEnc).raw(h).byte(letter.charCodeAt(0)).raw(sessionId);
    let out = await digest(hash, w.finish());
    while (out.length < n) {
      const more = await digest(hash, new SshWriter().raw(kEnc).raw(h).raw(out).finish());
      const next = new Uint8Array(out.length + more.length);
      next.set(out);
      next.set(more, out.length);
      out = next;
    }
    return out.slice(0, n);
  };
  const [ivCS, ivSC, keyCS, keySC, macCS, macSC] = await Promise.all([
    one("A", lengths.iv[0]),
    one("B", lengths.iv[1]),
    one("C", lengths.key[0]),
    one("D", lengths.key[1]),
    one("E", lengths.mac[0]),
    one("F", lengths.mac[1]),
  ]);
  return { ivCS: ivCS!, ivSC: ivSC!, keyCS: keyCS!, keySC: keySC!, macCS: macCS!, macSC: macSC! };
}

/**
 * SSH keys for the SFTP backend: the user's private key (parsed into a WebCrypto key that signs
 * for public-key authentication), the check of a host's signature during key exchange, and key
 * fingerprints.
 *
 * Key types: Ed25519 (RFC 8709), ECDSA on nistp256/384/521 (RFC 5656) and RSA, signing with
 * rsa-sha2-512/256 (RFC 8332) or SHA-1 `ssh-rsa` (RFC 4253 section 6.6).
 *
 * Unencrypted keys are read here with nothing but WebCrypto: OpenSSH's own format
 * ("openssh-key-v1", PROTOCOL.key), PKCS#8 ("BEGIN PRIVATE KEY"), and PEM PKCS#1 ("BEGIN RSA
 * PRIVATE KEY") and SEC1 ("BEGIN EC PRIVATE KEY"). Encrypted keys (OpenSSH's need bcrypt, PEM's
 * need MD5, neither in WebCrypto) and PuTTY keys go through npm ssh2's key parser, imported only
 * when such a key is given: loading it brings in Deno's Node compatibility layer, which costs
 * tens of milliseconds. What ssh2 decodes is made a WebCrypto key too, so all keys sign alike.
 *
 * @example
 * ```ts
 * const key = await parsePrivateKey(await Deno.readTextFile("id_ed25519"));
 * const sig = await key.sign(key.algorithms[0]!, new TextEncoder().encode("to sign"));
 * ```
 *
 * @module
 */

import { bigintBytes, SshReader, SshWriter, WireError } from "./wire.ts";

/** A private key that can sign for user authentication. */
export interface UserKey {
  /** The key type: "ssh-ed25519", "ecdsa-sha2-nistp256" | "-nistp384" | "-nistp521", "ssh-rsa". */
  readonly type: string;
  /** The public key blob (as in authorized_keys, base64-decoded). */
  readonly publicBlob: Uint8Array;
  /**
   * Signature algorithms this key signs with, best first: ed25519 ["ssh-ed25519"]; ecdsa [its
   * type]; rsa ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"].
   */
  readonly algorithms: readonly string[];
  /**
   * Signs `data`; answers the SSH signature blob: string algorithm, string signature (ECDSA: the
   * signature string holds mpint r, mpint s).
   */
  sign(algorithm: string, data: Uint8Array): Promise<Uint8Array>;
}

/**
 * A private key that cannot be used, with a message a user can act on: "The key needs a
 * passphrase", "The passphrase is wrong", or "Not a private key the SFTP backend can use: …".
 */
export class KeyError extends Error {
  override name = "KeyError";
}

/** The host key algorithms the client offers, best first. */
export const HOST_KEY_ALGORITHMS: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

const RSA_ALGORITHMS: readonly string[] = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
const RSA_HASH: Readonly<Record<string, string>> = {
  "rsa-sha2-512": "SHA-512",
  "rsa-sha2-256": "SHA-256",
  "ssh-rsa": "SHA-1",
};

/** An ECDSA key type's curve: its name in SSH blobs, in WebCrypto, its hash, its size in bytes. */
interface Curve {
  readonly ssh: string;
  readonly web: string;
  readonly hash: string;
  readonly size: number;
}
const CURVES: Readonly<Record<string, Curve>> = {
  "ecdsa-sha2-nistp256": { ssh: "nistp256", web: "P-256", hash: "SHA-256", size: 32 },
  "ecdsa-sha2-nistp384": { ssh: "nistp384", web: "P-384", hash: "SHA-384", size: 48 },
  "ecdsa-sha2-nistp521": { ssh: "nistp521", web: "P-521", hash: "SHA-512", size: 66 },
};

function unusable(why: string): KeyError {
  return new KeyError(`Not a private key the SFTP backend can use: ${why}`);
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Parses an OpenSSH ("-----BEGIN OPENSSH PRIVATE KEY-----") or PEM private key. */
export async function parsePrivateKey(text: string, passphrase?: string): Promise<UserKey> {
  const pem = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  const [, label, body = ""] = pem ?? [];
  // PEM headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") mean an encrypted key: for ssh2.
  const plain = !body.includes(":");
  if (label === "OPENSSH PRIVATE KEY") {
    const key = await fromOpenSSH(base64(body));
    if (key) return key;
  } else if (label === "PRIVATE KEY") {
    // ssh2 does not read PKCS#8 (what `ssh-keygen -m PKCS8` writes); WebCrypto does.
    return await fromPkcs8(base64(body));
  } else if (label === "ENCRYPTED PRIVATE KEY") {
    throw unusable("encrypted PKCS#8 keys are not supported (`ssh-keygen -p` can convert it)");
  } else if (label === "RSA PRIVATE KEY" && plain) {
    return await fromDer(() => userKey("ssh-rsa", rsaFromPkcs1(base64(body))));
  } else if (label === "EC PRIVATE KEY" && plain) {
    const key = await fromDer(() => fromSec1(base64(body)));
    if (key) return key;
  }
  return await fromSsh2(text, passphrase);
}

/** What `make` answers, with a malformed DER structure as a KeyError. */
async function fromDer<T>(make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw unusable(e instanceof WireError ? "the key file is damaged" : String(e));
  }
}

/**
 * A SEC1 ECPrivateKey (RFC 5915): version, d, [0] curve, [1] public point. Undefined where the
 * curve or point is absent (OpenSSL and ssh-keygen write both): ssh2 can work the point out.
 */
async function fromSec1(der: Uint8Array): Promise<UserKey | undefined> {
  const items = derSequence(der);
  const tagged = (tag: number) => {
    const item = items.find((i) => i.tag === tag);
    return item && derOne(item.body, 0).body;
  };
  const type = EC_OIDS[hex(tagged(0xa0) ?? new Uint8Array(0))];
  const point = tagged(0xa1)?.subarray(1); // a BIT STRING: its first byte counts unused bits
  if (!type || !point || !items[1]) return undefined;
  return await userKey(type, ecJwk(CURVES[type]!, point, items[1].body));
}

/** A PKCS#1 RSAPrivateKey: version, n, e, d, p, q, dp, dq, qi. */
function rsaFromPkcs1(der: Uint8Array): JsonWebKey {
  const [, n, e, d, p, q, dp, dq, qi] = derSequence(der).map((i) => bytesUnsigned(i.body));
  if (qi === undefined) throw new WireError("Too few RSA numbers");
  return rsaJwk(n!, e!, d!, p!, q!, dp!, dq!, qi);
}

function base64(body: string): Uint8Array {
  try {
    return Uint8Array.fromBase64(body.replace(/\s+/g, ""));
  } catch {
    throw unusable("its base64 is damaged");
  }
}

/**
 * An openssh-key-v1 key (PROTOCOL.key), or undefined where it is encrypted (left to ssh2, which
 * has bcrypt and the ciphers).
 */
async function fromOpenSSH(bin: Uint8Array): Promise<UserKey | undefined> {
  const magic = new TextEncoder().encode("openssh-key-v1\0");
  if (bin.length < magic.length || magic.some((b, i) => bin[i] !== b)) {
    throw unusable("not an openssh-key-v1 key");
  }
  try {
    const r = new SshReader(bin, magic.length);
    const cipher = r.text();
    const kdf = r.text();
    r.string(); // kdf options
    if (cipher !== "none" || kdf !== "none") return undefined;
    const count = r.u32();
    if (count !== 1) throw unusable(`the file holds ${count} keys, not one`);
    const publicBlob = r.string();
    const priv = new SshReader(r.string());
    // Two equal random numbers: with a wrong passphrase (or a damaged file) they differ.
    if (priv.u32() !== priv.u32()) throw unusable("the key file is damaged");
    const type = priv.text();
    let jwk: JsonWebKey;
    if (type === "ssh-ed25519") {
      const pub = priv.string();
      const seedPub = priv.string(); // the 32-byte seed, then the public key again
      if (pub.length !== 32 || seedPub.length !== 64) throw unusable("the key file is damaged");
      jwk = { kty: "OKP", crv: "Ed25519", x: b64url(pub), d: b64url(seedPub.subarray(0, 32)) };
    } else if (CURVES[type]) {
      const curve = CURVES[type];
      if (priv.text() !== curve.ssh) throw unusable("the key file is damaged");
      jwk = ecJwk(curve, priv.string(), bigintBytes(positive(priv.mpint())));
    } else if (type === "ssh-rsa") {
      const [n, e, d, iqmp, p, q] = Array.from({ length: 6 }, () => positive(priv.mpint()));
      // The file has no d mod (p-1) and d mod (q-1); a JWK wants them.
      jwk = rsaJwk(n!, e!, d!, p!, q!, d! % (p! - 1n), d! % (q! - 1n), iqmp!);
    } else {
      throw unsupportedType(type);
    }
    const key = await userKey(type, jwk);
    // The private part carries the public key again: both must be the same key.
    if (!sameBytes(key.publicBlob, publicBlob)) throw unusable("the key file is damaged");
    return key;
  } catch (e) {
    if (e instanceof KeyError) throw e;
    if (e instanceof WireError) throw unusable("the key file is damaged");
    throw unusable(e instanceof Error ? e.message : String(e));
  }
}

function positive(n: bigint): bigint {
  if (n <= 0n) throw unusable("the key file is damaged");
  return n;
}

function unsupportedType(type: string): KeyError {
  return unusable(
    type === "ssh-dss"
      ? "DSA keys are not supported (servers no longer accept them); use an Ed25519 key"
      : `keys of type ${type} are not supported`,
  );
}

// DER object identifiers (their content bytes, in hex) that name key algorithms in PKCS#8.
const OID_RSA = "2a864886f70d010101";
const OID_EC = "2a8648ce3d0201";
const OID_ED25519 = "2b6570";
const EC_OIDS: Readonly<Record<string, string>> = {
  "2a8648ce3d030107": "ecdsa-sha2-nistp256",
  "2b81040022": "ecdsa-sha2-nistp384",
  "2b81040023": "ecdsa-sha2-nistp521",
};

/**
 * A PKCS#8 key. WebCrypto reads it; taken out again as a JWK, its public parts make the public
 * blob, and the JWK makes the key that signs (not extractable).
 */
async function fromPkcs8(der: Uint8Array): Promise<UserKey> {
  let type: string;
  let params: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  try {
    const info = derSequence(der)[1];
    const [oid, param] = info ? derItems(info.body).map((i) => i.body) : [];
    const algo = oid ? hex(oid) : "";
    if (algo === OID_RSA) {
      type = "ssh-rsa";
      params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" };
    } else if (algo === OID_ED25519) {
      type = "ssh-ed25519";
      params = { name: "Ed25519" };
    } else if (algo === OID_EC && param && EC_OIDS[hex(param)]) {
      type = EC_OIDS[hex(param)]!;
      params = { name: "ECDSA", namedCurve: CURVES[type]!.web };
    } else {
      throw unusable("its PKCS#8 key algorithm is not Ed25519, ECDSA P-256/384/521 or RSA");
    }
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw unusable("its PKCS#8 structure is damaged");
  }
  let jwk: JsonWebKey;
  try {
    const k = await crypto.subtle.importKey("pkcs8", buf(der), params, true, ["sign"]);
    jwk = await crypto.subtle.exportKey("jwk", k);
  } catch (e) {
    throw unusable(`WebCrypto cannot read it (${e instanceof Error ? e.message : e})`);
  }
  const { kty, crv, x, y, d, n, e, p, q, dp, dq, qi } = jwk;
  return await userKey(type, { kty, crv, x, y, d, n, e, p, q, dp, dq, qi });
}

/** The part of a key npm ssh2's parser answers that is used here. */
interface Ssh2Key {
  type: string;
  isPrivateKey(): boolean;
  getPrivatePEM(): string | null;
  getPublicSSH(): Uint8Array;
}

/**
 * A key in a format only npm ssh2 reads. Its parser decrypts and decodes; what it answers is
 * turned into a WebCrypto key here rather than signed with by ssh2: on Deno, ssh2 cannot sign
 * with a key from an encrypted PEM file (it leaves the cipher's padding after the key, which
 * Deno's `node:crypto` rejects), and one way of signing for all keys is simpler to trust.
 */
async function fromSsh2(text: string, passphrase?: string): Promise<UserKey> {
  const { parseKey } = await import("ssh2/lib/protocol/keyParser.js") as {
    parseKey(text: string, passphrase?: string): Ssh2Key | Ssh2Key[] | Error;
  };
  let parsed;
  try {
    parsed = parseKey(text, passphrase);
  } catch (e) {
    // It throws where Deno's node:crypto lacks what it uses (P-521 ECDH, for encrypted PEM).
    const why = e instanceof Error ? e.message : String(e);
    throw unusable(`it could not be read (${why}); \`ssh-keygen -p\` can rewrite it as OpenSSH`);
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined) throw unusable("the file holds no key");
  if (key instanceof Error) {
    const m = key.message;
    if (/no passphrase given/i.test(m)) throw new KeyError("The key needs a passphrase");
    if (/bad passphrase/i.test(m)) throw new KeyError("The passphrase is wrong");
    if (m === "Unsupported key format") {
      throw unusable("the text is not a key in a format it reads (OpenSSH, PEM, PKCS#8, PuTTY)");
    }
    throw unusable(m.replace(/^./, (c) => c.toLowerCase()));
  }
  if (!key.isPrivateKey()) {
    throw unusable("this is a public key; give the private key (the file without .pub)");
  }
  const type = key.type;
  const publicBlob = new Uint8Array(key.getPublicSSH());
  const pem = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END/.exec(key.getPrivatePEM() ?? "");
  if (!pem) throw unusable("its private part could not be read");
  const der = base64(pem[2]!);
  let jwk: JsonWebKey;
  try {
    const pub = new SshReader(publicBlob);
    pub.string(); // the type, also in key.type
    if (type === "ssh-ed25519") {
      // PKCS#8 (RFC 8410): the private key is an OCTET STRING in the OCTET STRING.
      const inner = derOne(derSequence(der)[2]!.body, 0);
      if (inner.tag !== 0x04 || inner.body.length !== 32) throw unusable("the key file is damaged");
      const seed = inner.body;
      jwk = { kty: "OKP", crv: "Ed25519", x: b64url(pub.string()), d: b64url(seed) };
    } else if (CURVES[type]) {
      // SEC1 ECPrivateKey: version, d, ...; the public point from the public blob.
      pub.string(); // the curve name
      jwk = ecJwk(CURVES[type], pub.string(), derSequence(der)[1]!.body);
    } else if (type === "ssh-rsa") {
      jwk = rsaFromPkcs1(der);
    } else {
      throw unsupportedType(type);
    }
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw unusable("the key file is damaged");
  }
  const made = await userKey(type, jwk);
  if (!sameBytes(made.publicBlob, publicBlob)) throw unusable("the key file is damaged");
  return made;
}

/** One DER value: its tag, its contents, and where it ends in what it was read from. */
interface Der {
  tag: number;
  body: Uint8Array;
  end: number;
}

/**
 * The items of the DER SEQUENCE at the start of `der`; bytes after it (such as the padding ssh2
 * leaves after a key it decrypted) are ignored. Throws WireError on anything malformed.
 */
function derSequence(der: Uint8Array): Der[] {
  const outer = derOne(der, 0);
  if (outer.tag !== 0x30) throw new WireError("Not a DER SEQUENCE");
  return derItems(outer.body);
}

/** The values one after another in `contents`. */
function derItems(contents: Uint8Array): Der[] {
  const out: Der[] = [];
  for (let at = 0; at < contents.length; at = out[out.length - 1]!.end) {
    out.push(derOne(contents, at));
  }
  return out;
}

/** The DER value at `at` of `b`. */
function derOne(b: Uint8Array, at: number): Der {
  const tag = b[at];
  let len = b[at + 1];
  if (tag === undefined || len === undefined) throw new WireError("DER too short");
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > b.length) throw new WireError("Bad DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > b.length) throw new WireError("DER too short");
  return { tag, body: b.subarray(start, start + len), end: start + len };
}

function bytesUnsigned(b: Uint8Array): bigint {
  return BigInt("0x0" + hex(b));
}

function hex(b: Uint8Array): string {
  return b.toHex();
}

function ecJwk(curve: Curve, q: Uint8Array, d: Uint8Array): JsonWebKey {
  const { size } = curve;
  if (q.length !== 1 + 2 * size || q[0] !== 4) throw unusable("the key file is damaged");
  return {
    kty: "EC",
    crv: curve.web,
    x: b64url(q.subarray(1, 1 + size)),
    y: b64url(q.subarray(1 + size)),
    d: b64url(fixedSize(d, size)),
  };
}

function rsaJwk(...v: bigint[]): JsonWebKey {
  const [n, e, d, p, q, dp, dq, qi] = v.map((x) => b64url(bigintBytes(x)));
  return { kty: "RSA", n, e, d, p, q, dp, dq, qi };
}

/** An unsigned number as exactly `size` bytes; throws where it does not fit. */
function fixedSize(b: Uint8Array, size: number): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  const digits = b.subarray(i);
  if (digits.length > size) throw new WireError("Number too large");
  const out = new Uint8Array(size);
  out.set(digits, size - digits.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Signing

/** The public key blob of a private or public JWK of `type`. */
function blobOf(type: string, jwk: JsonWebKey): Uint8Array {
  const w = new SshWriter().string(type);
  const curve = CURVES[type];
  if (type === "ssh-ed25519") {
    w.string(unb64url(jwk.x));
  } else if (curve) {
    const point = new Uint8Array(1 + 2 * curve.size);
    point[0] = 4;
    point.set(fixedSize(unb64url(jwk.x), curve.size), 1);
    point.set(fixedSize(unb64url(jwk.y), curve.size), 1 + curve.size);
    w.string(curve.ssh).string(point);
  } else {
    w.mpint(unb64url(jwk.e)).mpint(unb64url(jwk.n));
  }
  return w.finish().slice();
}

/**
 * The signing key for a private JWK. The WebCrypto key is imported now, so a key WebCrypto
 * rejects fails here rather than at the first login; RSA gets one key per hash (WebCrypto ties
 * the hash to the key), the others made when first used.
 */
async function userKey(type: string, jwk: JsonWebKey): Promise<UserKey> {
  const publicBlob = blobOf(type, jwk);
  const importAs = (alg: RsaHashedImportParams | EcKeyImportParams | Algorithm) =>
    crypto.subtle.importKey("jwk", jwk, alg, false, ["sign"]);
  const sigBlob = (algorithm: string, sig: Uint8Array) =>
    new SshWriter(sig.length + 64).string(algorithm).string(sig).finish().slice();
  const wrongAlgorithm = (algorithm: string) =>
    new KeyError(`A ${type} key cannot sign with ${algorithm}`);

  if (type === "ssh-ed25519") {
    const key = await importAs({ name: "Ed25519" });
    return {
      type,
      publicBlob,
      algorithms: [type],
      async sign(algorithm, data) {
        if (algorithm !== type) throw wrongAlgorithm(algorithm);
        const sig = await crypto.subtle.sign("Ed25519", key, buf(data));
        return sigBlob(algorithm, new Uint8Array(sig));
      },
    };
  }
  const curve = CURVES[type];
  if (curve) {
    const key = await importAs({ name: "ECDSA", namedCurve: curve.web });
    return {
      type,
      publicBlob,
      algorithms: [type],
      async sign(algorithm, data) {
        if (algorithm !== type) throw wrongAlgorithm(algorithm);
        // WebCrypto answers r||s (IEEE P1363); SSH wants them as two mpints (RFC 5656 3.1.2).
        const rs = new Uint8Array(
          await crypto.subtle.sign({ name: "ECDSA", hash: curve.hash }, key, buf(data)),
        );
        const inner = new SshWriter(2 * curve.size + 16)
          .mpint(rs.subarray(0, curve.size))
          .mpint(rs.subarray(curve.size))
          .finish();
        return sigBlob(algorithm, inner);
      },
    };
  }
  // RSA
  const keys = new Map<string, Promise<CryptoKey>>();
  const rsaKey = (hash: string) => {
    let k = keys.get(hash);
    if (!k) keys.set(hash, k = importAs({ name: "RSASSA-PKCS1-v1_5", hash }));
    return k;
  };
  await rsaKey("SHA-512");
  return {
    type,
    publicBlob,
    algorithms: RSA_ALGORITHMS,
    async sign(algorithm, data) {
      const hash = RSA_HASH[algorithm];
      if (!hash) throw wrongAlgorithm(algorithm);
      const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", await rsaKey(hash), buf(data));
      return sigBlob(algorithm, new Uint8Array(sig));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Host keys

/**
 * Verifies a host's signature `sigBlob` over `data` (the exchange hash) with host key `keyBlob`,
 * for the negotiated `algorithm`; false for a bad signature, a signature of another algorithm,
 * or a key of another type than the algorithm needs (rsa-sha2-* use "ssh-rsa" key blobs). Never
 * throws for malformed blobs: false.
 */
export async function verifyHostSignature(
  algorithm: string,
  keyBlob: Uint8Array,
  sigBlob: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  try {
    const sr = new SshReader(sigBlob);
    if (sr.text() !== algorithm) return false;
    const sig = sr.string();
    const kr = new SshReader(keyBlob);
    const keyType = kr.text();
    // Trailing bytes are refused, as OpenSSH does: a blob means exactly one thing.
    const done = () => sr.remaining === 0 && kr.remaining === 0;

    if (algorithm === "ssh-ed25519") {
      if (keyType !== algorithm) return false;
      const pub = kr.string();
      if (!done() || pub.length !== 32 || sig.length !== 64) return false;
      const key = await crypto.subtle.importKey("raw", buf(pub), "Ed25519", false, ["verify"]);
      return await crypto.subtle.verify("Ed25519", key, buf(sig), buf(data));
    }
    const curve = CURVES[algorithm];
    if (curve) {
      if (keyType !== algorithm || kr.text() !== curve.ssh) return false;
      const point = kr.string();
      if (!done()) return false;
      const inner = new SshReader(sig);
      const r = inner.mpint();
      const s = inner.mpint();
      if (inner.remaining !== 0 || r <= 0n || s <= 0n) return false;
      const rs = new Uint8Array(2 * curve.size);
      rs.set(fixedSize(bigintBytes(r), curve.size));
      rs.set(fixedSize(bigintBytes(s), curve.size), curve.size);
      const params = { name: "ECDSA", namedCurve: curve.web };
      const key = await crypto.subtle.importKey("raw", buf(point), params, false, ["verify"]);
      return await crypto.subtle.verify({ name: "ECDSA", hash: curve.hash }, key, rs, buf(data));
    }
    const hash = RSA_HASH[algorithm];
    if (hash) {
      if (keyType !== "ssh-rsa") return false;
      const e = kr.mpint();
      const n = kr.mpint();
      // OpenSSH refuses RSA keys under 1024 bits; so does this client.
      if (!done() || e <= 0n || n < 1n << 1023n) return false;
      const nBytes = bigintBytes(n);
      // Some servers drop the leading zero bytes of the signature; it must fill the modulus.
      if (sig.length > nBytes.length) return false;
      const full = fixedSize(sig, nBytes.length);
      const jwk = { kty: "RSA", n: b64url(nBytes), e: b64url(bigintBytes(e)) };
      const key = await crypto.subtle.importKey(
        "jwk",
        jwk,
        { name: "RSASSA-PKCS1-v1_5", hash },
        false,
        ["verify"],
      );
      return await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, buf(full), buf(data));
    }
    return false;
  } catch {
    // Malformed blobs, and keys WebCrypto refuses (a point not on the curve, ...).
    return false;
  }
}

/** "SHA256:" + unpadded base64 of SHA-256(blob), as `ssh-keygen -l` prints it. */
export async function fingerprintSHA256(blob: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buf(blob)));
  return "SHA256:" + digest.toBase64({ omitPadding: true });
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/**
 * Bytes for WebCrypto, whose types want an ArrayBuffer behind a view; the views here never sit
 * on a SharedArrayBuffer.
 */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

function b64url(b: Uint8Array): string {
  return b.toBase64({ alphabet: "base64url", omitPadding: true });
}

function unb64url(s: string | undefined): Uint8Array {
  if (s === undefined) throw new WireError("JWK field missing");
  return Uint8Array.fromBase64(s, { alphabet: "base64url" });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

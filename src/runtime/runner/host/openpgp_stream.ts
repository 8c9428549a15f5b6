/**
 * Streaming OpenPGP encryption. OpenPGP.js (v6) holds the whole plaintext in memory when it
 * writes the integrity-protected packet that GnuPG 2.2 reads (SEIPD version 1): it hashes a
 * "passive clone" of the data that is read only at the end. So aft lets OpenPGP.js make the
 * public-key-encrypted session key packet and writes the SEIPD v1 packet itself, in one pass
 * with constant memory, from the standard parts (RFC 4880 sections 4.2.2.4, 5.9, 5.13):
 *
 * - a literal data packet (binary, with the file name and time) framed with partial body
 *   lengths,
 * - prefixed by one random block whose last two bytes repeat, followed by the modification
 *   detection code packet (0xD3 0x14 + SHA-1 of everything before it),
 * - encrypted with AES-256 in CFB mode with an all-zero IV (no resynchronisation), by the
 *   audited `@noble/ciphers` (Deno's `node:crypto` has no CFB mode), chunk by chunk: in full-
 *   block CFB the next chunk's IV is the previous chunk's last ciphertext block,
 * - in a tag-18 packet, version 1, framed with partial body lengths.
 *
 * The interoperability tests check the result with `gpg --decrypt`.
 *
 * @module
 */

import { createHash, randomBytes } from "node:crypto";
import { cfb } from "@noble/ciphers/aes.js";
import * as openpgp from "openpgp";
import { joinBytes } from "../../../bytes.ts";

const BLOCK = 16;
/** Partial body chunks of 2^16 bytes (RFC 4880 4.2.2.4: a power of two, the first ≥ 512). */
const CHUNK_LOG2 = 16;
const CHUNK = 1 << CHUNK_LOG2;

/** A packet header's length octets for a final (non-partial) length. */
function lengthOctets(n: number): Uint8Array {
  if (n < 192) return Uint8Array.of(n);
  if (n < 8384) return Uint8Array.of(((n - 192) >> 8) + 192, (n - 192) & 0xff);
  return Uint8Array.of(0xff, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Frames a byte stream as the body of a new-format packet with `tag`, partial lengths. */
async function* packet(tag: number, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield Uint8Array.of(0xc0 | tag);
  let buf = new Uint8Array(CHUNK);
  let fill = 0;
  for await (const chunk of body) {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(CHUNK - fill, chunk.length - off);
      buf.set(chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === CHUNK) {
        yield Uint8Array.of(224 + CHUNK_LOG2);
        yield buf;
        buf = new Uint8Array(CHUNK);
        fill = 0;
      }
    }
  }
  yield lengthOctets(fill);
  if (fill > 0) yield buf.subarray(0, fill);
}

/** The literal data packet's body: binary format, file name, modification time, data. */
async function* literalBody(
  name: string,
  mtime: Date,
  data: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const nameBytes = new TextEncoder().encode(name).subarray(0, 255);
  const t = Math.floor(mtime.getTime() / 1000) >>> 0;
  yield Uint8Array.of(
    0x62, // 'b'
    nameBytes.length,
    ...nameBytes,
    (t >>> 24) & 0xff,
    (t >>> 16) & 0xff,
    (t >>> 8) & 0xff,
    t & 0xff,
  );
  yield* data;
}

/** AES-256-CFB over a stream: whole blocks go out as they come, the rest at `final()`. */
class CfbStream {
  #key: Uint8Array;
  #iv = new Uint8Array(BLOCK);
  #rest = new Uint8Array(0);

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  update(data: Uint8Array): Uint8Array {
    const all = this.#rest.length === 0 ? data : joinBytes([this.#rest, data]);
    const whole = all.length - (all.length % BLOCK);
    this.#rest = all.slice(whole);
    if (whole === 0) return new Uint8Array(0);
    const out = cfb(this.#key, this.#iv).encrypt(all.subarray(0, whole));
    this.#iv = out.slice(whole - BLOCK);
    return out;
  }

  final(): Uint8Array {
    return this.#rest.length === 0 ? this.#rest : cfb(this.#key, this.#iv).encrypt(this.#rest);
  }
}

/** Prefix, plaintext, MDC, encrypted with AES-256-CFB: the body of a SEIPD v1 packet. */
async function* seipdBody(
  key: Uint8Array,
  plain: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const cipher = new CfbStream(key);
  const sha1 = createHash("sha1");
  const feed = (b: Uint8Array) => {
    sha1.update(b);
    return cipher.update(b);
  };
  yield Uint8Array.of(1); // version 1
  const prefix = new Uint8Array(BLOCK + 2);
  prefix.set(randomBytes(BLOCK));
  prefix[BLOCK] = prefix[BLOCK - 2]!;
  prefix[BLOCK + 1] = prefix[BLOCK - 1]!;
  yield feed(prefix);
  for await (const chunk of plain) yield feed(chunk);
  const mdcHeader = Uint8Array.of(0xd3, 0x14);
  yield feed(mdcHeader);
  yield cipher.update(new Uint8Array(sha1.digest()));
  const last = cipher.final();
  if (last.length > 0) yield last;
}

/**
 * Encrypts `data` for `key`: the whole OpenPGP message (session key packet + SEIPD packet) as
 * a stream of chunks.
 */
export async function* encryptStream(
  key: openpgp.Key,
  name: string,
  mtime: Date,
  data: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const sessionKey = new Uint8Array(randomBytes(32));
  const pkesk = await openpgp.encryptSessionKey({
    data: sessionKey,
    algorithm: "aes256",
    encryptionKeys: key,
    format: "binary",
  }) as Uint8Array;
  yield pkesk;
  const literal = packet(11, literalBody(name, mtime, data));
  yield* packet(18, seipdBody(sessionKey, literal));
}

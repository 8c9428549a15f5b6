/**
 * Streaming OpenPGP decryption of the common messages (what `gpg -e` and aft write): public-key
 * encrypted session key packets, then one symmetrically encrypted integrity protected data
 * packet of version 1 (RFC 4880 5.13) with AES, holding a literal data packet, possibly inside
 * a compressed data packet (uncompressed, ZIP or ZLIB) and beside one-pass signature and
 * signature packets (skipped, as OpenPGP.js does without verification keys).
 *
 * OpenPGP.js opens the session key (with only the needed key packet unlocked, see
 * `openpgp_unlock.ts`); the data is decrypted here in one pass with constant
 * memory: OpenPGP's CFB has an all-zero IV and no resynchronisation in SEIPD, so plaintext
 * block i is ciphertext block i XOR AES(ciphertext block i-1). All the AES inputs are known
 * ciphertext, so one ECB call of the platform's cipher (`node:crypto`) serves a whole megabyte.
 * The modification detection code (SHA-1 over the prefix, the packets and 0xD3 0x14) is checked
 * at the end: the stream fails there, before the caller renames its file into place.
 *
 * Anything else (AEAD, SEIPD v2, password-encrypted messages, other ciphers, BZip2) throws
 * `UnsupportedMessage` before any plaintext is handed out: the caller then uses OpenPGP.js.
 *
 * @module
 */

import { createCipheriv, createHash } from "node:crypto";
import * as openpgp from "openpgp";
import { KeyUnlockError, unlockFor } from "./openpgp_unlock.ts";
import { ByteReader, header, nextPacket, readAll, skip } from "./openpgp_packets.ts";
import { joinBytes } from "../../../bytes.ts";

/** The message uses a feature this path does not cover; OpenPGP.js should decrypt it. */
export class UnsupportedMessage extends Error {}

const BLOCK = 16;
/**
 * Ciphertext decrypted per ECB call. Each call makes two buffers of this size (node:crypto's
 * block cache and its output); at a megabyte they went back to the system and were faulted in
 * again every time, and waited for the collector in numbers (50 MiB more peak memory).
 */
const STAGE = 1 << 16;
const READ = 1 << 20;
const AES_KEY_BYTES: Record<string, number> = { aes128: 16, aes192: 24, aes256: 32 };
const TAG = { pkesk: 1, sig: 2, skesk: 3, onePassSig: 4, compressed: 8, marker: 10, literal: 11 };
const TAG_SEIPD = 18;

/**
 * A file's bytes in chunks of up to 1 MiB, the next one read while the current one is used.
 * The chunks are views of three buffers used in turn: a chunk stays valid until two more have
 * been taken, so whoever keeps bytes beyond that copies them (the packet reader and the
 * decryption below do). Fresh megabyte buffers cost more than their copies: the allocator
 * hands them back to the system and takes them again, a page fault per 4 KiB.
 */
async function* fileChunks(file: Deno.FsFile): AsyncGenerator<Uint8Array> {
  const ring = [new Uint8Array(READ), new Uint8Array(READ), new Uint8Array(READ)];
  let turn = 0;
  const readInto = (buf: Uint8Array) => {
    const n = file.read(buf);
    // Awaited below; but when the reader stops early (a failure further on, possibly without
    // closing this generator) the read under way fails as the file closes, unseen.
    n.catch(() => {});
    return n;
  };
  let next = readInto(ring[0]!);
  for (;;) {
    const n = await next;
    if (n === null) return;
    const chunk = ring[turn % 3]!.subarray(0, n);
    turn++;
    next = readInto(ring[turn % 3]!);
    yield chunk;
  }
}

/** `out = a XOR b` over `out.length` bytes. */
function xor(out: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  const n = out.length;
  if ((out.byteOffset | a.byteOffset | b.byteOffset | n) % 4 === 0) {
    const o = new Uint32Array(out.buffer, out.byteOffset, n / 4);
    const x = new Uint32Array(a.buffer, a.byteOffset, n / 4);
    const y = new Uint32Array(b.buffer, b.byteOffset, n / 4);
    for (let i = 0; i < o.length; i++) o[i] = x[i]! ^ y[i]!;
    return;
  }
  for (let i = 0; i < n; i++) out[i] = a[i]! ^ b[i]!;
}

/** OpenPGP CFB decryption (zero IV, no resync) of a stream, by AES-ECB of the ciphertext. */
async function* cfbDecrypt(
  algorithm: string,
  key: Uint8Array,
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const ecb = createCipheriv(algorithm.replace("aes", "aes-") + "-ecb", key, null);
  ecb.setAutoPadding(false);
  // stage[0..16) is the previous ciphertext block (the IV first), then ciphertext to decrypt.
  const stage = new Uint8Array(BLOCK + STAGE);
  let fill = BLOCK;
  const run = (): Uint8Array => {
    const whole = Math.floor((fill - BLOCK) / BLOCK) * BLOCK;
    const keystream = ecb.update(stage.subarray(0, whole));
    if (keystream.length !== whole) throw new Error("The AES cipher held back data");
    // The keystream is a fresh buffer of the cipher's: the plaintext goes in its place.
    const out = new Uint8Array(keystream.buffer, keystream.byteOffset, whole);
    xor(out, stage.subarray(BLOCK, BLOCK + whole), out);
    stage.copyWithin(0, whole, fill);
    fill -= whole;
    return out;
  };
  for await (const piece of body) {
    for (let off = 0; off < piece.length;) {
      const n = Math.min(stage.length - fill, piece.length - off);
      stage.set(piece.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === stage.length) yield run();
    }
  }
  if (fill - BLOCK >= BLOCK) yield run();
  const rest = fill - BLOCK;
  if (rest > 0) {
    const keystream = ecb.update(stage.subarray(0, BLOCK));
    const out = new Uint8Array(rest);
    xor(out, stage.subarray(BLOCK, fill), keystream.subarray(0, rest));
    yield out;
  }
}

/**
 * The plaintext without its last 22 bytes (the MDC packet), hashed on the way; throws at the
 * end when the MDC is missing or does not match.
 */
async function* checkMdc(plain: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const sha1 = createHash("sha1");
  let held: Uint8Array | null = null; // the last chunk, which may hold the MDC
  for await (const chunk of plain) {
    if (chunk.length === 0) continue;
    if (held === null) held = chunk;
    else if (chunk.length >= 22) {
      sha1.update(held);
      yield held;
      held = chunk;
    } else held = joinBytes([held, chunk]);
  }
  if (held === null || held.length < 22) {
    throw new Error("The message has no integrity check (MDC): it is cut short");
  }
  const data = held.subarray(0, held.length - 22);
  const mdc = held.subarray(held.length - 22);
  if (mdc[0] !== 0xd3 || mdc[1] !== 0x14) {
    throw new Error("The message has no integrity check (MDC) at its end");
  }
  sha1.update(data);
  sha1.update(mdc.subarray(0, 2));
  const digest = new Uint8Array(sha1.digest());
  let diff = 0;
  for (let i = 0; i < 20; i++) diff |= digest[i]! ^ mdc[2 + i]!;
  if (diff !== 0) throw new Error("The message was modified: its integrity check (MDC) fails");
  if (data.length > 0) yield data;
}

/** The literal data in a packet sequence (a message's inside, or a compressed packet's). */
async function* literalData(r: ByteReader, depth: number): AsyncGenerator<Uint8Array> {
  let seen = false;
  for (let p = await nextPacket(r); p !== null; p = await nextPacket(r)) {
    if (p.tag === TAG.literal && !seen) {
      seen = true;
      const b = new ByteReader(p.body);
      const head = await b.exact(2); // format, name length
      await b.exact(head[1]! + 4); // name, date
      for (let d = await b.some(READ); d !== null; d = await b.some(READ)) yield d;
    } else if (p.tag === TAG.compressed && !seen && depth === 0) {
      seen = true;
      const b = new ByteReader(p.body);
      const algo = (await b.exact(1))[0]!;
      const rest = restOf(b);
      if (algo === 0) yield* literalData(new ByteReader(rest), depth + 1);
      else if (algo === 1 || algo === 2) {
        const inflated = ReadableStream.from(rest as AsyncIterable<Uint8Array<ArrayBuffer>>)
          .pipeThrough(
            new DecompressionStream(algo === 1 ? "deflate-raw" : "deflate"),
          );
        yield* literalData(new ByteReader(inflated), depth + 1);
      } else throw new UnsupportedMessage(`Compression algorithm ${algo}`);
    } else if (p.tag === TAG.onePassSig || p.tag === TAG.sig || p.tag === TAG.marker) {
      await skip(p.body);
    } else {
      throw new Error(`The message holds an unexpected packet: tag ${p.tag}`);
    }
  }
  if (!seen) throw new Error("The message holds no literal data");
}

async function* restOf(b: ByteReader): AsyncGenerator<Uint8Array> {
  for (let d = await b.some(READ); d !== null; d = await b.some(READ)) yield d;
}

/**
 * Decrypts the binary OpenPGP message in `file` with `key`: the literal data as a stream.
 * Throws `UnsupportedMessage` (before any data) for messages this path does not cover.
 */
export async function* decryptStream(
  key: openpgp.PrivateKey,
  passphrase: string,
  file: Deno.FsFile,
): AsyncGenerator<Uint8Array> {
  const r = new ByteReader(fileChunks(file));
  let pkesks: Uint8Array = new Uint8Array(0);
  for (;;) {
    const p = await nextPacket(r);
    if (p === null) throw new UnsupportedMessage("No encrypted data packet");
    if (p.tag === TAG.pkesk) {
      const bytes = await readAll(p.body, 1 << 16);
      pkesks = joinBytes([pkesks, header(TAG.pkesk, bytes.length), bytes]);
    } else if (p.tag === TAG.marker) await skip(p.body);
    else if (p.tag !== TAG_SEIPD) throw new UnsupportedMessage(`Packet tag ${p.tag}`);
    else {
      const body = new ByteReader(p.body);
      if ((await body.exact(1))[0] !== 1) throw new UnsupportedMessage("SEIPD version 2");
      const session = await sessionKey(key, passphrase, pkesks);
      const plain = new ByteReader(
        checkMdc(cfbDecrypt(session.algorithm, session.data, restOf(body))),
      );
      const prefix = await plain.exact(BLOCK + 2);
      if (prefix[BLOCK - 2] !== prefix[BLOCK] || prefix[BLOCK - 1] !== prefix[BLOCK + 1]) {
        throw new Error("The session key does not fit the data: its check bytes differ");
      }
      yield* literalData(plain, 0);
      if (!(await r.atEnd())) throw new Error("The message has data after its encrypted packet");
      return;
    }
  }
}

/** Unlocks what the message needs of `key` (throws `KeyUnlockError`), opens the session key. */
async function sessionKey(
  key: openpgp.PrivateKey,
  passphrase: string,
  pkesks: Uint8Array,
): Promise<{ data: Uint8Array; algorithm: string }> {
  if (pkesks.length === 0) throw new UnsupportedMessage("No public-key encrypted session key");
  let keys: { data: Uint8Array; algorithm: string | null }[];
  try {
    const message = await openpgp.readMessage({ binaryMessage: pkesks });
    await unlockFor(key, message.getEncryptionKeyIDs(), passphrase);
    keys = await openpgp.decryptSessionKeys({ message, decryptionKeys: key });
  } catch (err) {
    if (err instanceof KeyUnlockError) throw err;
    // OpenPGP.js says it best (or can do what this path cannot): let it try the whole file.
    throw new UnsupportedMessage(String(err));
  }
  const aes = keys.find((k) => k.algorithm && AES_KEY_BYTES[k.algorithm] === k.data.length);
  if (!aes) throw new UnsupportedMessage("Not an AES session key");
  return { data: aes.data, algorithm: aes.algorithm! };
}

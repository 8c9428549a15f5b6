/**
 * Unlocking OpenPGP secret keys faster than `openpgp.decryptKey`, with the same checks:
 *
 * - only the key packets a message is encrypted to are unlocked (gpg does the same), not the
 *   primary key and every subkey;
 * - the iterated and salted string-to-key (RFC 4880 3.7.1.3; GnuPG exports with 65 MB of
 *   hashing per key) streams a 1 MiB pattern through the platform's hash (`node:crypto`), where
 *   OpenPGP.js builds the whole 65 MB input in memory once per 20 bytes of key.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type * as openpgp from "openpgp";

/** The passphrase does not unlock the key (or the key's secret part is damaged). */
export class KeyUnlockError extends Error {}

/** The fields of OpenPGP.js's S2K object this module reads (not in its typings). */
interface IteratedS2k {
  type: string;
  algorithm: number;
  salt: Uint8Array | null;
  getCount(): number;
  produceKey(passphrase: string, numBytes: number): Promise<Uint8Array>;
}

/** RFC 4880 9.4 hash identifiers and their `node:crypto` names. */
const HASHES: Record<number, string> = {
  1: "md5",
  2: "sha1",
  3: "ripemd160",
  8: "sha256",
  9: "sha384",
  10: "sha512",
  11: "sha224",
};
const PATTERN = 1 << 20;

/** Iterated and salted S2K: `numBytes` of key from `passphrase`, streamed. */
export function iteratedS2k(
  hash: string,
  salt: Uint8Array,
  count: number,
  passphrase: string,
  numBytes: number,
): Uint8Array {
  const pass = new TextEncoder().encode(passphrase);
  const unit = new Uint8Array(salt.length + pass.length);
  unit.set(salt);
  unit.set(pass, salt.length);
  const total = Math.max(count, unit.length);
  // Whole repetitions of salt+passphrase, so each chunk continues where the last one ended.
  const reps = Math.max(1, Math.floor(PATTERN / unit.length));
  const pattern = new Uint8Array(unit.length * reps);
  for (let i = 0; i < reps; i++) pattern.set(unit, i * unit.length);
  const size = createHash(hash).digest().length;
  const contexts = Array.from({ length: Math.ceil(numBytes / size) }, (_, i) => {
    const h = createHash(hash);
    if (i > 0) h.update(new Uint8Array(i)); // context i is preloaded with i zero octets
    return h;
  });
  for (let left = total; left > 0; left -= pattern.length) {
    const part = left >= pattern.length ? pattern : pattern.subarray(0, left);
    for (const h of contexts) h.update(part);
  }
  const out = new Uint8Array(contexts.length * size);
  contexts.forEach((h, i) => out.set(h.digest(), i * size));
  return out.subarray(0, numBytes);
}

/** Routes a key packet's iterated S2K through `iteratedS2k` (same output, less time). */
function streamS2k(packet: openpgp.SecretKeyPacket | openpgp.SecretSubkeyPacket): void {
  const s2k = (packet as unknown as { s2k?: IteratedS2k }).s2k;
  if (!s2k || s2k.type !== "iterated" || !s2k.salt) return;
  const hash = HASHES[s2k.algorithm];
  if (!hash) return;
  const salt = s2k.salt;
  const count = s2k.getCount();
  s2k.produceKey = (passphrase, numBytes) =>
    Promise.resolve(iteratedS2k(hash, salt, count, passphrase, numBytes));
}

/**
 * Unlocks, in `key` itself, the packets that can decrypt session keys for `keyIds`, and checks
 * each against its public part as `openpgp.decryptKey` does.
 */
export async function unlockFor(
  key: openpgp.PrivateKey,
  keyIds: openpgp.KeyID[],
  passphrase: string,
): Promise<void> {
  for (const id of keyIds) {
    for (const k of await key.getDecryptionKeys(id)) {
      const packet = k.keyPacket as openpgp.SecretKeyPacket | openpgp.SecretSubkeyPacket;
      if (packet.isDecrypted()) continue;
      streamS2k(packet);
      try {
        await packet.decrypt(passphrase);
        await packet.validate();
      } catch (err) {
        throw new KeyUnlockError(err instanceof Error ? err.message : String(err));
      }
    }
  }
}

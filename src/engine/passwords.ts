/**
 * Admin password hashes: scrypt (node:crypto) with a random 16-byte salt per password, kept as
 * one string that carries its parameters, so they can be raised later without breaking the
 * hashes already stored:
 *
 *     $scrypt$ln=15,r=8,p=1$<salt, base64>$<32-byte hash, base64>
 *
 * (N = 2^ln: 32 MiB of memory and a few hundred milliseconds a hash.) Hashes are computed two at a
 * time at most, so a burst of sign-ins cannot take the service's memory.
 *
 * @example
 * ```ts
 * const stored = await hashPassword("correct horse battery staple");
 * await verifyPassword("correct horse battery staple", stored); // true
 * ```
 * @module
 */

import { b64 as padded, unb64 } from "./crypto.ts";
import { Slots } from "../slots.ts";

/** The cost of new hashes: N = 2^ln, block size r, parallelism p. */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** Hashes running at once (two); the others wait for a turn. */
const hashing = new Slots(2);

function derive(
  password: string,
  salt: Uint8Array,
  params: { ln: number; r: number; p: number },
): Promise<Uint8Array> {
  return hashing.run(async () => {
    const N = 2 ** params.ln;
    // Loaded here, not with the module: commands that never check a password (`aft run`) do
    // not pay for node:crypto (nor for Node's layer, which any node: module but node:sqlite
    // loads, about 23 ms of CPU).
    const { scrypt } = await import("node:crypto");
    return await new Promise<Uint8Array>((resolve, reject) =>
      scrypt(
        new TextEncoder().encode(password.normalize("NFC")),
        salt,
        KEY_BYTES,
        { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 },
        (err, key) => err ? reject(err) : resolve(new Uint8Array(key)),
      )
    );
  });
}

const b64 = (bytes: Uint8Array) => padded(bytes).replace(/=+$/, "");

/** A new hash string of `password`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const key = await derive(password, salt, SCRYPT_PARAMS);
  const { ln, r, p } = SCRYPT_PARAMS;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

/** The parts of a stored hash, or undefined when it is not one this module wrote. */
function parse(stored: string) {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (!m) return undefined;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds, so a tampered row cannot make a sign-in take the machine's memory.
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  try {
    return { params: { ln, r, p }, salt: unb64(m[4]!), key: unb64(m[5]!) };
  } catch {
    return undefined; // a length base64 cannot have
  }
}

/** True when `password` is the one `stored` was made from (compared in constant time). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h || h.key.length !== KEY_BYTES) return false;
  const key = await derive(password, h.salt, h.params);
  let diff = 0;
  for (let i = 0; i < KEY_BYTES; i++) diff |= key[i]! ^ h.key[i]!;
  return diff === 0;
}

/** True when `stored` was made with weaker parameters than new hashes get. */
export function needsRehash(stored: string): boolean {
  const h = parse(stored);
  return !h || h.params.ln < SCRYPT_PARAMS.ln || h.params.r < SCRYPT_PARAMS.r;
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of one verification without a stored hash, so that a sign-in for a user
 * name that does not exist takes as long as one for a wrong password.
 */
export async function burnVerification(password: string): Promise<false> {
  dummy ??= hashPassword("not a password of anyone");
  await verifyPassword(password, await dummy);
  return false;
}

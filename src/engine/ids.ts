/**
 * IDs sortable by creation time: 10 characters of base32 milliseconds, then 16 of randomness
 * (lowercase Crockford base32, like a ULID).
 *
 * @example
 * ```ts
 * newId(); // "01jd3k5x9qf3w2m8c4r7t6y1za"
 * ```
 * @module
 */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A new time-sortable ID. */
export function newId(now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = crypto.getRandomValues(new Uint8Array(16));
  let rand = "";
  for (const b of rnd) rand += ALPHABET[b % 32];
  return time + rand;
}

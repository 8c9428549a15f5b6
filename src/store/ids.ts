/**
 * IDs sortable by creation time: 10 characters of base32 milliseconds, then 16 of randomness
 * (lowercase Crockford base32, like a ULID). Within one process IDs are strictly increasing:
 * an ID made in the same millisecond as the previous one (or when the clock stepped back)
 * takes the previous random part plus one, as monotonic ULIDs do, so the job queue's
 * oldest-first order is the order jobs were created in.
 *
 * @example
 * ```ts
 * newId(); // "01jd3k5x9qf3w2m8c4r7t6y1za"
 * ```
 * @module
 */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = -1;
let lastRand: number[] = [];

/** A new time-sortable ID. */
export function newId(now = Date.now()): string {
  let rand: number[];
  if (now <= lastTime) {
    now = lastTime;
    rand = increment(lastRand);
  } else {
    rand = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b % 32);
    rand[0]! &= 0x0f; // headroom, so increments never overflow in practice
  }
  lastTime = now;
  lastRand = rand;
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + rand.map((d) => ALPHABET[d]).join("");
}

function increment(digits: number[]): number[] {
  const out = [...digits];
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 31) {
      out[i]!++;
      return out;
    }
    out[i] = 0;
  }
  return out;
}

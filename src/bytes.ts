/**
 * Joining byte arrays: the one copy of a loop that the protocol frames, the OpenPGP reader and
 * writer, the service client and the tests each had written for themselves.
 *
 * @example
 * ```ts
 * joinBytes([Uint8Array.of(1, 2), Uint8Array.of(3)]); // Uint8Array [1, 2, 3]
 * ```
 * @module
 */

/** The bytes of `parts`, one after the other, in a new array. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

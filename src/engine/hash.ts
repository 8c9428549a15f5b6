/**
 * Hashes and comparisons of API keys and tokens.
 *
 * @module
 */

import { sha256Hex } from "../sha256.ts";

/** Hex SHA-256 of a key. */
export function hashKeySync(key: string): string {
  // Hashed here and now: WebCrypto's digest hops to a thread and back, which cost the API more
  // CPU per request than anything else on its path; node:crypto, which also hashes at once,
  // costs a process that loads it (as `aft run` would) about 10 ms of its start.
  return sha256Hex(key);
}

/** Hex SHA-256 of a key (`hashKeySync`, as a promise). */
export function hashKey(key: string): Promise<string> {
  return Promise.resolve(hashKeySync(key));
}

/**
 * Equality of two digests (or tokens) in time that depends only on their lengths, not on
 * where they differ.
 */
export function sameHash(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

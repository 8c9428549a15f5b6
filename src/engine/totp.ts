/**
 * Time-based one-time passwords (RFC 6238) as authenticator apps and `oathtool --totp` make
 * them: HMAC-SHA-1 over the 30-second time step, 6 digits, secrets of 20 random bytes written in
 * base32 (RFC 4648, no padding). A code is accepted for the current step and one step either
 * side (clocks drift); which step matched is returned, so a caller can refuse a code used before.
 *
 * @example
 * ```ts
 * const secret = newTotpSecret();
 * const code = await totpCode(secret, totpStep(Date.now()));
 * await matchTotp(secret, code, Date.now()); // the step, a number
 * ```
 * @module
 */

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Seconds in a time step. */
export const TOTP_PERIOD = 30;
/** Digits of a code. */
export const TOTP_DIGITS = 6;

/** Base32 of `bytes` (RFC 4648 alphabet, no padding). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(buffer << (5 - bits)) & 31];
  return out;
}

/** The bytes of base32 text (case, spaces and padding ignored); undefined when it is not base32. */
export function base32Decode(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s=-]/g, "").toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of clean) {
    const v = B32.indexOf(c);
    if (v < 0) return undefined;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** A new secret: 20 random bytes (the HMAC-SHA-1 key size RFC 4226 recommends), in base32. */
export function newTotpSecret(): string {
  return base32Encode(crypto.getRandomValues(new Uint8Array(20)));
}

/** The time step of a moment (milliseconds since the epoch). */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD);
}

/** The code of `secret` (base32) for time step `step`. */
export async function totpCode(secret: string, step: number): Promise<string> {
  const key = base32Decode(secret);
  if (!key || key.length === 0) throw new Error("The TOTP secret is not base32");
  const counter = new Uint8Array(8);
  new DataView(counter.buffer).setBigUint64(0, BigInt(step));
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, counter));
  // Dynamic truncation (RFC 4226, section 5.3).
  const at = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[at]! & 0x7f) << 24) | (mac[at + 1]! << 16) | (mac[at + 2]! << 8) |
    mac[at + 3]!;
  return String(bin % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, "0");
}

/**
 * The time step whose code `code` is, among the current one and one either side at `nowMs`;
 * undefined when it is none of them (or is not six digits).
 */
export async function matchTotp(
  secret: string,
  code: string,
  nowMs: number,
): Promise<number | undefined> {
  const given = code.replace(/\s/g, "");
  if (!/^\d{6}$/.test(given)) return undefined;
  const now = totpStep(nowMs);
  let found: number | undefined;
  // Every candidate is computed and compared in full, so timing does not say which matched.
  for (const step of [now - 1, now, now + 1]) {
    const want = await totpCode(secret, step);
    let diff = 0;
    for (let i = 0; i < TOTP_DIGITS; i++) diff |= want.charCodeAt(i) ^ given.charCodeAt(i);
    if (diff === 0 && found === undefined) found = step;
  }
  return found;
}

/** The `otpauth://` URI authenticator apps read (often from a QR code) for an account. */
export function totpUri(secret: string, account: string, issuer = "aft"): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const q = new URLSearchParams({
    secret,
    issuer,
    algorithm: "SHA1",
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD),
  });
  return `otpauth://totp/${label}?${q}`;
}

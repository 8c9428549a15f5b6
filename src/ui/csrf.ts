/**
 * CSRF tokens of the console. Every state-changing request carries a token (form field `_csrf`
 * or header `X-CSRF-Token`) that proves it comes from a page this service served to the same
 * browser. The secret behind it is derived from the session token (the cookie, which only the
 * browser and this request hold), so it needs no storage and ends with the session; forms shown
 * before sign-in use a random pre-session cookie instead.
 *
 * Pages are compressed (gzip), which lets an attacker who can inject text into a page and watch
 * its compressed size guess a secret repeated in it (BREACH): so the token a page carries is the
 * secret masked with fresh random bytes on every response (`mask || mask XOR secret`), and never
 * the same twice.
 *
 * @example
 * ```ts
 * const secret = await csrfSecret(sessionToken);
 * const token = maskCsrf(secret); // embed in the page
 * checkCsrf(secret, token); // true
 * ```
 * @module
 */

const enc = new TextEncoder();
const SIZE = 32;

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

function unb64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The CSRF secret of a session (or pre-session) cookie value. */
export async function csrfSecret(cookie: string, purpose = "session"): Promise<Uint8Array> {
  const d = await crypto.subtle.digest("SHA-256", enc.encode(`aft-csrf:${purpose}:${cookie}`));
  return new Uint8Array(d);
}

/** A token for a page: the secret masked with new random bytes. */
export function maskCsrf(secret: Uint8Array): string {
  const mask = crypto.getRandomValues(new Uint8Array(SIZE));
  const out = new Uint8Array(SIZE * 2);
  out.set(mask);
  for (let i = 0; i < SIZE; i++) out[SIZE + i] = mask[i]! ^ secret[i]!;
  return b64url(out);
}

/** True when `token` is a masked form of `secret` (compared in constant time). */
export function checkCsrf(secret: Uint8Array, token: string | undefined | null): boolean {
  if (typeof token !== "string" || token.length > 200) return false;
  const raw = unb64url(token);
  if (!raw || raw.length !== SIZE * 2 || secret.length !== SIZE) return false;
  let diff = 0;
  for (let i = 0; i < SIZE; i++) diff |= (raw[i]! ^ raw[SIZE + i]!) ^ secret[i]!;
  return diff === 0;
}

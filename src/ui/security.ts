/**
 * The headers every console response carries. The Content-Security-Policy allows scripts,
 * styles, fetches and form posts to this origin only, no inline script and no inline style
 * attribute (pages are built to need neither), images from here or `data:`, and no framing.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";

/** The console's Content-Security-Policy. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** Sets the security headers, and `Cache-Control: no-store` where a route set no caching. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CSP);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "same-origin");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  };
}

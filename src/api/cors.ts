/**
 * Cross-origin requests to the REST API from the origins of the `corsOrigins` setting (a web
 * page elsewhere that calls aft with an API key): their requests get
 * `Access-Control-Allow-Origin` naming the origin, and their preflights (`OPTIONS` with
 * `Access-Control-Request-Method`) are answered 204 with the methods and headers the API
 * takes, before any authentication (a browser sends no key with a preflight). `*` allows any
 * origin. No cookies are allowed across origins: the API authenticates with keys, and the
 * console, which uses a session cookie, is same-origin only.
 *
 * @module
 */

import type { Context, Next } from "hono";

const METHODS = "GET, POST, PUT, PATCH, DELETE";
const HEADERS = "X-API-Key, Content-Type, Accept, Last-Event-ID";
const EXPOSED = "Retry-After, Location";

/** True when `origin` is one `allowed` names (exactly, or `*`). */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowed.includes("*") || allowed.includes(origin);
}

/** The middleware, over the current value of `corsOrigins`. */
export function cors(origins: () => Promise<readonly string[]>) {
  return async (c: Context, next: Next): Promise<Response | void> => {
    const origin = c.req.header("Origin");
    const allowed = origin !== undefined && originAllowed(origin, await origins());
    if (c.req.method === "OPTIONS" && c.req.header("Access-Control-Request-Method")) {
      if (!allowed) return c.body(null, 204, { Vary: "Origin" });
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": origin!,
        "Access-Control-Allow-Methods": METHODS,
        "Access-Control-Allow-Headers": HEADERS,
        "Access-Control-Max-Age": "600",
        Vary: "Origin",
      });
    }
    await next();
    if (allowed) {
      c.header("Access-Control-Allow-Origin", origin!);
      c.header("Access-Control-Expose-Headers", EXPOSED);
    }
    c.header("Vary", "Origin", { append: true });
  };
}

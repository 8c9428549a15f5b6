/**
 * Console sessions in the browser: the `__Host-aft_session` cookie (`HttpOnly; Secure;
 * SameSite=Strict; Path=/`) holding a session token of `engine.sessions`, the middleware that
 * puts every console page and endpoint behind it (`requireAdmin`), and CSRF protection of
 * every state-changing request (`csrf.ts`). The console and the REST API authenticate apart:
 * the cookie is read here only (never by `/v1`), and an `X-API-Key` header opens nothing here.
 *
 * Forms shown before sign-in (sign-in, two-factor code, setup wizard) are protected the same
 * way with a random pre-session cookie, `__Host-aft_presession`.
 *
 * @example
 * ```ts
 * app.use("*", requireAdmin(engine)); // after /signin, /setup and /assets/
 * app.post("/scripts", async (c) => {
 *   await engine.as(actorOf(c)).scripts.create({ name, source });
 * });
 * ```
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { type Actor, type Engine, normalizeIp, type SessionView } from "../engine/mod.ts";
import { checkCsrf, csrfSecret, maskCsrf } from "./csrf.ts";
import type { ConsoleEnv } from "./env.ts";
import type { StreamAccess } from "../http/stream_access.ts";

/** The signed-in administrator. */
export interface ConsoleAdmin {
  id: string;
  username: string;
}

/** The session cookie's name. */
export const SESSION_COOKIE = "__Host-aft_session";
/** The cookie behind the CSRF tokens of forms shown before sign-in. */
export const PRESESSION_COOKIE = "__Host-aft_presession";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** The session of each request that passed `requireAdmin`. */
const sessions = new WeakMap<Request, SessionView>();

/** The caller's address, as the transport gave it. */
export function remoteIp(c: Context): string {
  return normalizeIp((c.env as ConsoleEnv["Bindings"] | undefined)?.remoteAddr ?? "");
}

/** The session of a request that passed `requireAdmin`. */
export function sessionOf(c: Context): SessionView | undefined {
  return sessions.get(c.req.raw);
}

/** The audit actor of this request: { kind: "admin", name: username, ip }. */
export function actorOf(c: Context): Actor {
  const admin = c.get("admin") as ConsoleAdmin | undefined;
  return { kind: "admin", name: admin?.username ?? "", ip: remoteIp(c) };
}

/**
 * False when the request says it comes from another origin (its `Origin` header, which
 * browsers send with every POST, names another scheme, host or port than the one it was sent
 * to). Requests without the header (older clients, tests) rely on the CSRF token alone.
 */
export function sameOrigin(c: Context): boolean {
  const origin = c.req.header("Origin");
  if (origin === undefined) return true;
  return origin === new URL(c.req.url).origin;
}

/** The CSRF token a request presents: `X-CSRF-Token`, else the form field `_csrf`. */
export async function presentedCsrf(c: Context): Promise<string | undefined> {
  const header = c.req.header("X-CSRF-Token");
  if (header !== undefined) return header;
  const type = (c.req.header("Content-Type") ?? "").toLowerCase();
  if (
    type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")
  ) {
    // Hono keeps the parsed form, so the handler after this reads it again for free.
    const form = await c.req.parseBody();
    return typeof form._csrf === "string" ? form._csrf : undefined;
  }
  return undefined;
}

/** The 403 of a state-changing request without its session's CSRF token. */
function csrfRefused(c: Context): Response {
  return c.json({
    error: {
      code: "CSRF_TOKEN",
      message:
        "The request has no valid CSRF token (a form out of date, or sent from another site): reload the page and try again",
    },
  }, 403);
}

/** The path (and query) to come back to after sign-in, when it is one of this console's. */
export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return "/";
  }
  if (next.length > 2000 || [...next].some((ch) => ch.charCodeAt(0) < 0x20 || ch === "\u007f")) {
    return "/";
  }
  return next;
}

/**
 * Every console page and endpoint except /signin, /setup and /assets/: without a valid
 * session a GET is sent to `/signin?next=<path>` (303), anything else gets 401 JSON; a
 * POST, PUT, PATCH or DELETE also needs the session's CSRF token (form field `_csrf` or header
 * `X-CSRF-Token`) and no foreign `Origin`, else 403. Sets `c.get("admin")` and `c.get("csrf")`
 * (the token to embed, masked anew for this response).
 */
export function requireAdmin(engine: Engine): MiddlewareHandler {
  return async (c, next) => {
    // An outer guard of the same request has checked the session already (app.ts guards every
    // page, pageRoutes its own again for the tests that mount it alone): one check a request.
    if (c.get("admin")) return await next();
    const token = getCookie(c, SESSION_COOKIE);
    const found = token ? await engine.sessions.check(token) : undefined;
    if (!token || !found) {
      if (token) deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
      // A live stream's request is made by the page's script, which cannot follow a redirect
      // to a sign-in page: it gets the 401 below, and says so.
      const stream = (c.req.header("Accept") ?? "").includes("text/event-stream");
      if (SAFE.has(c.req.method) && !stream) {
        const url = new URL(c.req.url);
        const q = new URLSearchParams({ next: url.pathname + url.search });
        if (token) q.set("ended", "1");
        return c.redirect(`/signin?${q}`, 303);
      }
      return c.json({
        error: {
          code: "UNAUTHORIZED",
          message: token ? SESSION_ENDED : "Sign in to the console first",
        },
      }, 401);
    }
    const secret = await csrfSecret(token);
    if (!SAFE.has(c.req.method)) {
      if (!sameOrigin(c) || !checkCsrf(secret, await presentedCsrf(c))) return csrfRefused(c);
    }
    c.set("admin", { id: found.admin.id, username: found.admin.username } satisfies ConsoleAdmin);
    c.set("csrf", maskCsrf(secret));
    sessions.set(c.req.raw, found.session);
    await next();
  };
}

/** What a page is told when its session has ended. */
export const SESSION_ENDED = "The session has ended: sign in again";

/**
 * A live stream's second looks at the session it was opened with (`stream_access.ts`): the
 * stream ends within seconds of a sign-out, the removal of the administrator or the end of the
 * session's lifetime.
 */
export function sessionAccess(engine: Engine, c: Context): StreamAccess {
  const token = sessionToken(c) ?? "";
  return {
    check: async () => (await engine.sessions.check(token)) !== undefined,
    ended: SESSION_ENDED,
  };
}

/** Gives the browser its new session's cookie, lasting as long as the session. */
export function setSessionCookie(c: Context, token: string, expiresAt: string): void {
  const maxAge = Math.max(1, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  setCookie(c, SESSION_COOKIE, token, {
    path: "/",
    secure: true,
    httpOnly: true,
    sameSite: "Strict",
    maxAge,
  });
  deleteCookie(c, PRESESSION_COOKIE, { path: "/", secure: true });
}

/** Takes the session cookie away (sign-out, or a session that has ended). */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
}

/** The session token the browser sent, if any. */
export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/**
 * A CSRF token for a form shown before sign-in, giving the browser its pre-session cookie
 * first when it has none.
 */
export async function presessionCsrf(c: Context): Promise<string> {
  let value = getCookie(c, PRESESSION_COOKIE);
  if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
    const b = crypto.getRandomValues(new Uint8Array(32));
    value = btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(
      /=+$/,
      "",
    );
    setCookie(c, PRESESSION_COOKIE, value, {
      path: "/",
      secure: true,
      httpOnly: true,
      sameSite: "Strict",
    });
  }
  return maskCsrf(await csrfSecret(value, "presession"));
}

/** True when a form posted before sign-in carries its pre-session CSRF token. */
export async function presessionValid(c: Context): Promise<boolean> {
  const value = getCookie(c, PRESESSION_COOKIE);
  if (!value || !sameOrigin(c)) return false;
  return checkCsrf(await csrfSecret(value, "presession"), await presentedCsrf(c));
}

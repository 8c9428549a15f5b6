/**
 * TEMPORARY, on the ui-pages branch only (see /work/notes/ui_contract.md): the seam that
 * ui-auth's real session module provides, with the same exports, so the pages and their
 * tests work before sign-in exists. Every request is the administrator "dev"; the CSRF check
 * is real (a token per process, from the form field `_csrf` or the `X-CSRF-Token` header), so
 * the pages are tested with it. Only a caller on this machine (loopback) is let in, and
 * `createConsole` mounts the pages only with the demo pages on (`AFT_UI_DEMO=1`). Replaced by
 * ui-auth's module when that lands.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { type Engine, isLoopback, normalizeIp } from "../engine/mod.ts";

/** The signed-in administrator. */
export interface ConsoleAdmin {
  id: string;
  username: string;
}

/** Who did something, for the audit log (the engine's `Actor` once ui-auth has landed). */
export interface Actor {
  kind: "admin" | "apikey" | "cli" | "local" | "schedule" | "system";
  name: string;
  ip?: string;
}

const TOKEN = crypto.randomUUID();

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** Accepts every request as the administrator "dev"; checks the CSRF token of changes. */
export function requireAdmin(_engine: Engine): MiddlewareHandler {
  return async (c, next) => {
    const ip = normalizeIp((c.env as { remoteAddr?: string } | undefined)?.remoteAddr ?? "");
    if (!isLoopback(ip)) {
      return c.json({
        error: { code: "FORBIDDEN", message: "The console's pages answer this machine only" },
      }, 403);
    }
    c.set("admin", { id: "dev", username: "dev" } satisfies ConsoleAdmin);
    c.set("csrf", TOKEN);
    if (!SAFE.has(c.req.method)) {
      let token = c.req.header("X-CSRF-Token");
      const type = c.req.header("Content-Type") ?? "";
      if (token === undefined && type.startsWith("application/x-www-form-urlencoded")) {
        const form = await c.req.parseBody();
        token = typeof form._csrf === "string" ? form._csrf : undefined;
      }
      if (token !== TOKEN) {
        return c.json(
          { error: { code: "CSRF", message: "The form is out of date: reload the page" } },
          403,
        );
      }
    }
    await next();
  };
}

/** The audit actor of this request. */
export function actorOf(c: Context): Actor {
  const admin = c.get("admin") as ConsoleAdmin | undefined;
  return { kind: "admin", name: admin?.username ?? "", ip: c.env?.remoteAddr };
}

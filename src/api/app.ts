/**
 * The REST API as a Hono app: `createApp({ engine })`. This file is the plumbing only: the
 * limit on bodies (1 MiB, or a route's own, refused with 413), authentication (`auth.ts`),
 * validation of bodies and query parameters against each route's schema, the one error boundary
 * (`api_error.ts`), and the OpenAPI document. The routes themselves are in `routes/`, one file
 * per resource, and call the engine's operations, which enforce the rules.
 *
 * @module
 */

import { Hono } from "hono";
import { type Actor, type Caller, normalizeIp } from "../engine/mod.ts";
import { VERSION } from "../version.ts";
import { ApiError, errorResponse } from "./api_error.ts";
import { authenticate } from "./auth.ts";
import { FailureLimiter } from "./limiter.ts";
import { cors } from "./cors.ts";
import { limitText, openApiDocument } from "./openapi.ts";
import type { AppDeps } from "./route_def.ts";
import { allRoutes } from "./routes/mod.ts";
import { validate } from "./schema.ts";
import { drainReader } from "./drain.ts";

export type { AppDeps } from "./route_def.ts";

/** Largest request body accepted, unless a route sets its own (`RouteDef.bodyLimit`). */
export const BODY_LIMIT = 1024 * 1024;

/** A body limit and what a 413 for it advises. */
interface Limit {
  bytes: number;
  advice?: string;
}

const DEFAULT_LIMIT: Limit = { bytes: BODY_LIMIT };

/** Hono bindings: the transport tells the app who is calling. */
export type Env = { Bindings: { remoteAddr?: string } };

const tooLarge = (limit: Limit) =>
  new ApiError(
    413,
    "BODY_TOO_LARGE",
    `The request body is over ${limitText(limit.bytes)}${limit.advice ? `: ${limit.advice}` : ""}`,
  );

/** The REST API over `deps.engine`. */
export function createApp(deps: AppDeps): Hono<Env> {
  const limiter = deps.limiter ?? new FailureLimiter(10, 60_000, deps.engine.failures);
  limiter.onLockout ??= (ip, seconds) => {
    deps.log?.(
      `${limiter.max} failed API authentications from ${ip} within ${
        limiter.windowMs / 1000
      } s: its requests are refused (429) for ${seconds} s; valid keys from other addresses still work`,
    );
    deps.engine.apikeys.lockedOut(ip, limiter.max, seconds).catch((err) =>
      deps.log?.(`The API lock-out of ${ip} could not be written to the audit log: ${err}`)
    );
  };
  const routes = allRoutes(deps);
  const app = new Hono<Env>();

  const patterns = [...routes, { method: "get", path: "/v1/openapi.json", rawBody: false }].map(
    (r) => ({
      method: r.method.toUpperCase(),
      path: pathPattern(r.path),
      rawBody: r.rawBody,
      limit: ("bodyLimit" in r ? r.bodyLimit : undefined) ?? DEFAULT_LIMIT,
    }),
  );
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) => {
    // A known address asked with another method is a 405 that names the methods it takes.
    const methods = [
      ...new Set(patterns.filter((r) => r.path.test(c.req.path)).map((r) => r.method)),
    ];
    if (methods.length > 0) {
      c.header("Allow", methods.join(", "));
      return c.json({
        error: {
          code: "METHOD_NOT_ALLOWED",
          message: `${c.req.path} does not take ${c.req.method}: use ${methods.join(" or ")}`,
        },
      }, 405);
    }
    return c.json(
      { error: { code: "NOT_FOUND", message: `No route for ${c.req.method} ${c.req.path}` } },
      404,
    );
  });
  // Routes that stream their body (uploads) are not held to the body limit; the others to
  // theirs (the routes that store a script take more), any other address to BODY_LIMIT.
  app.use("*", async (c, next) => {
    const route = patterns.find((r) => r.method === c.req.method && r.path.test(c.req.path));
    const limit = route?.limit ?? DEFAULT_LIMIT;
    if (!route?.rawBody && Number(c.req.header("Content-Length") ?? "0") > limit.bytes) {
      throw tooLarge(limit);
    }
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
  });

  app.use("/v1/*", cors(async () => (await deps.engine.settings.get()).corsOrigins));

  const doc = openApiDocument(routes, VERSION);
  app.get("/v1/openapi.json", (c) => c.json(doc));

  for (const r of routes) {
    const honoPath = r.path.replace(/\{(\w+)\}/g, ":$1");
    const limit = r.bodyLimit ?? DEFAULT_LIMIT;
    app.on(r.method.toUpperCase(), honoPath, async (c) => {
      const ip = normalizeIp(c.env?.remoteAddr ?? "");
      const caller = await authenticate(c, r, ip, deps, limiter);
      let body: unknown = undefined;
      if (!r.body && !r.rawBody && c.req.raw.body) {
        // A route without a body still refuses one over the limit, streamed (no length) or
        // not, before it acts: else a DELETE sent with 2 MiB would be carried out. Streamed
        // routes (uploads) read their own body, of any size.
        await readBody(c.req.raw, limit);
      } else if (r.body) {
        const text = await readBody(c.req.raw, limit);
        try {
          body = JSON.parse(text);
        } catch {
          throw new ApiError(400, "MALFORMED_JSON", "The request body is not valid JSON");
        }
        const problem = validate(r.body, body);
        if (problem) throw new ApiError(400, "INVALID_REQUEST", problem);
      }
      const query = c.req.query();
      for (const [k, s] of Object.entries(r.query ?? {})) {
        if (query[k] === undefined || query[k] === "") continue;
        const v = "type" in s && s.type === "integer" ? Number(query[k]) : query[k];
        const problem = validate(s, v, `query parameter ${k}`);
        if (problem) throw new ApiError(400, "INVALID_REQUEST", problem);
      }
      return await r.handler(c, {
        body,
        params: c.req.param() as Record<string, string>,
        query,
        caller,
        actor: actorOf(caller, ip),
        ip,
      });
    });
  }
  return app;
}

/** A route's path (`/v1/adm/jobs/{id}`) as a pattern of the request paths it serves. */
function pathPattern(path: string): RegExp {
  const parts = path.split(/\{\w+\}/).map((p) => p.replace(/[.*+?^$()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[^/]+")}$`);
}

/** The audit log's actor for a caller of the API. */
export function actorOf(caller: Caller, ip: string): Actor {
  if (caller.kind === "key") return { kind: "apikey", name: caller.key.name, ip };
  if (caller.kind === "local") return { kind: "local", name: "aft run", ip };
  return { kind: "system", name: "anonymous", ip };
}

/** The request body as text, refused with 413 past `limit` (declared or actual length). */
async function readBody(req: Request, limit: Limit): Promise<string> {
  const declared = Number(req.headers.get("Content-Length") ?? "0");
  if (declared > limit.bytes) throw tooLarge(limit);
  if (!req.body) return "";
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit.bytes) {
      await drainReader(reader); // read the rest (unkept) so HTTP/2 clients get the 413 intact
      throw tooLarge(limit);
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new TextDecoder().decode(all);
}
